"""``placement sensitivity``: how far each criterion weight can move before the placement
changes (``--weights``), and how often each function keeps its tier when the weights are
drawn around the model's (``--samples N``). A thin wrapper over
:func:`placement.analysis.weight_stability` and :func:`placement.analysis.monte_carlo`
(docs/model.md section 7; methods in docs/analysis.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from placement.cli.analysis import FormatOpt, analyse, cell, console_to
from placement.cli.common import (
    ModelOpt,
    OutputFormat,
    OutputOpt,
    PathArg,
    ScenarioOpt,
    SolverOpt,
    ThreadsOpt,
    TimeLimitOpt,
    app,
    emit,
    err,
    fail,
    handle_errors,
    load_instance_or_exit,
)

if TYPE_CHECKING:
    from rich.console import Console

    from placement.analysis import MonteCarlo, WeightStability
    from placement.model import Instance

__all__ = ["sensitivity_cmd"]

# Placement internals (and with them numpy, pandas and the solvers) are imported inside the
# functions on purpose: `placement --help` imports this module and must stay instant
# (tests/test_cli.py checks that it loads no numeric stack and no solver).


@app.command("sensitivity")
@handle_errors
def sensitivity_cmd(
    path: PathArg,
    weights: Annotated[
        bool, typer.Option("--weights", help="Exact stability interval of every weight.")
    ] = False,
    criterion: Annotated[
        list[str] | None,
        typer.Option("--criterion", "-c", help="With --weights: only these criteria (repeat)."),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option("--samples", "-n", help="Monte Carlo: number of weight draws."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Monte Carlo: seed of the draws.")] = 0,
    concentration: Annotated[
        float,
        typer.Option("--concentration", "-k",
                     help="Monte Carlo: Dirichlet concentration (larger = closer to the "
                          "model's weights)."),
    ] = 50.0,
    workers: Annotated[
        int, typer.Option("--workers", "-w", help="Monte Carlo: worker processes.")
    ] = 1,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="Monte Carlo: no progress bar.")
    ] = False,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Monte Carlo: a Dask scheduler "
                                 "(tcp://HOST:8786) to run the draws on (default: "
                                 "$DASK_SCHEDULER_ADDRESS, else --workers local processes).")
    ] = None,
    model: ModelOpt = None,
    scenario: ScenarioOpt = None,
    solver: SolverOpt = "highs",
    time_limit: TimeLimitOpt = None,
    threads: ThreadsOpt = None,
    format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
) -> None:
    """Weight stability intervals (--weights) and Monte Carlo robustness (--samples N)."""
    from placement import solvers

    if not weights and samples is None:
        fail("say what to analyse: --weights (stability intervals), --samples N (Monte "
             "Carlo), or both")
    if criterion and not weights:
        fail("--criterion selects criteria for --weights")
    if weights and samples is not None and format is OutputFormat.csv:
        fail("--format csv writes one table: give --weights or --samples, not both")
    solvers.get(solver)
    inst = load_instance_or_exit(path, model)
    stability = None
    mc = None
    if weights:
        from placement.analysis import weight_stability

        stability = analyse(lambda: weight_stability(
            inst, criterion, scenario=scenario, solver=solver, time_limit=time_limit,
            threads=threads))
    if samples is not None:
        from placement.util.executor import executor_for

        ex = executor_for(scheduler, workers)
        try:
            mc = analyse(lambda: _monte_carlo(inst, samples, seed, concentration, workers,
                                              scenario, solver, not no_progress, ex))
        finally:
            close = getattr(ex, "close", None)
            if callable(close):
                close()
    if format is OutputFormat.json:
        if stability is not None and mc is not None:
            emit(json.dumps({"weights": json.loads(stability.to_json()),
                             "monte_carlo": json.loads(mc.to_json())}, indent=2), output)
        else:
            emit((stability or mc).to_json(), output)  # type: ignore[union-attr]
    elif format is OutputFormat.csv:
        emit((stability or mc).frame().to_csv(), output)  # type: ignore[union-attr]
    else:
        with console_to(output) as con:
            if stability is not None:
                _render_stability(stability, con)
            if mc is not None:
                _render_monte_carlo(mc, con)


def _monte_carlo(inst: Instance, samples: int, seed: int, concentration: float, workers: int,
                 scenario: str | None, solver: str, show: bool,
                 executor: Any = None) -> MonteCarlo:
    """The Monte Carlo run, with a progress bar on standard error."""
    from placement.analysis.montecarlo import monte_carlo

    def run(progress: Callable[[int], None] | None) -> MonteCarlo:
        return monte_carlo(inst, samples, seed=seed, concentration=concentration,
                           workers=workers, scenario=scenario, solver=solver,
                           progress=progress, executor=executor)

    if not show or not isinstance(samples, int) or samples < 1:
        return run(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn("[progress.description]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TaskProgressColumn(), TimeElapsedColumn(),
                  TimeRemainingColumn(), console=err, transient=False) as bar:
        task = bar.add_task(f"draws ({workers} worker{'s' if workers != 1 else ''})",
                            total=samples)
        return run(lambda n: bar.advance(task, n))


def _render_stability(ws: WeightStability, con: Console) -> None:
    from rich.table import Table

    from placement.analysis.common import describe_moves

    t = Table(title=f"Weight stability, {ws.instance.name}: each criterion's weight (others "
                    "fixed) over which the placement stays optimal", title_justify="left")
    for col, j in (("criterion", "left"), ("weight", "right"), ("stays optimal for", "left"),
                   ("below that, first to move", "left"), ("above that, first to move", "left")):
        t.add_column(col, justify=j, overflow="fold")  # type: ignore[arg-type]
    for c in ws.criteria:
        upper = "inf" if math.isinf(c.upper) else cell(c.upper)
        span = f"{cell(c.lower)} to {upper}"
        if c.weight > 0:
            up = "inf" if math.isinf(c.upper) else f"{c.upper / c.weight:.2f}"
            span += f" (x{c.lower / c.weight:.2f} to x{up})"
        below = ("nothing (stays optimal down to 0)" if c.below is None
                 else describe_moves(c.below.moves))
        above = ("nothing (stays optimal however large)" if c.above is None
                 else describe_moves(c.above.moves))
        t.add_row(c.criterion, cell(c.weight), span, below, above,
                  style="yellow" if c.knife_edge else "")
    con.print(t)
    if any(c.knife_edge for c in ws.criteria):
        con.print("[yellow]knife edge[/]: another optimum ties with this placement at the "
                  "model's weight; the slightest change of that weight picks another.",
                  highlight=False, markup=True)


def _share(v: float) -> str:
    """A share of draws: whole percent at 0 and 1, one decimal between."""
    return "-" if v != v else (f"{v:.0%}" if v in (0.0, 1.0) else f"{v:.1%}")


def _render_monte_carlo(mc: MonteCarlo, con: Console) -> None:
    from rich.table import Table

    df = mc.frame()
    tiers = list(mc.instance.tier_ids)
    t = Table(title=f"Monte Carlo robustness, {mc.instance.name}: share of weight draws "
                    "placing each function at each tier", title_justify="left")
    t.add_column("function")
    t.add_column("optimum", style="bold")
    t.add_column("at optimum", justify="right")
    for tier in tiers:
        t.add_column(tier, justify="right")
    for fid, row in df.iterrows():
        share = float(row["share_at_optimum"])
        style = "" if share >= 0.9 else ("yellow" if share >= 0.5 else "red")
        t.add_row(str(fid), str(row["optimum"]), _share(share),
                  *(_share(float(row[tier])) for tier in tiers), style=style)
    con.print(t)
    con.print(str(mc), highlight=False)
