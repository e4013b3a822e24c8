"""``placement sensitivity``: how far each criterion weight can move before the placement
changes (``--weights``), and how often each function keeps its tier when the weights are
drawn around the model's (``--samples N``). A thin wrapper over
:func:`placement.analysis.weight_stability` and :func:`placement.analysis.monte_carlo`
(docs/model.md section 7; methods in docs/analysis.md).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from placement.cli.analysis import FormatOpt, analyse, cell, console_to
from placement.cli.common import (
    ModelOpt,
    OutputFormat,
    OutputOpt,
    PathArg,
    QuietOpt,
    ScenarioOpt,
    SolverOpt,
    ThreadsOpt,
    TimeLimitOpt,
    WideOpt,
    app,
    emit,
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
        int, typer.Option("--workers", "-w", help="Worker processes for the Monte Carlo "
                          "draws and the criteria's stability searches.")
    ] = 1,
    no_progress: Annotated[
        bool, typer.Option("--no-progress", help="Monte Carlo: no progress bar (as --quiet).")
    ] = False,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="A Dask scheduler (tcp://HOST:8786) "
                                 "to run the draws and stability searches on (default: "
                                 "$DASK_SCHEDULER_ADDRESS, else --workers local processes).")
    ] = None,
    model: ModelOpt = None,
    scenario: ScenarioOpt = None,
    solver: SolverOpt = "highs",
    time_limit: TimeLimitOpt = None,
    threads: ThreadsOpt = None,
    format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
    wide: WideOpt = False,
    quiet: QuietOpt = False,
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
    quiet = quiet or no_progress
    from placement.util.executor import executor_for

    ex = executor_for(scheduler, workers)
    try:
        if weights:
            from placement.analysis import weight_stability
            from placement.cli.progress import progress

            with progress("weight stability intervals", quiet=quiet):
                stability = analyse(lambda: weight_stability(
                    inst, criterion, scenario=scenario, solver=solver, time_limit=time_limit,
                    threads=threads, executor=ex))
        if samples is not None:
            mc = analyse(lambda: _monte_carlo(inst, samples, seed, concentration, workers,
                                              scenario, solver, quiet, ex))
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
        with console_to(output, wide) as con:
            if stability is not None:
                _render_stability(stability, con)
            if mc is not None:
                _render_monte_carlo(mc, con)


def _monte_carlo(inst: Instance, samples: int, seed: int, concentration: float, workers: int,
                 scenario: str | None, solver: str, quiet: bool,
                 executor: Any = None) -> MonteCarlo:
    """The Monte Carlo run, with a progress bar on standard error (on a terminal)."""
    from placement.analysis.montecarlo import monte_carlo
    from placement.cli.progress import progress

    total = samples if isinstance(samples, int) and samples >= 1 else None
    what = f"draws ({workers} worker{'s' if workers != 1 else ''})"
    with progress(what, total, quiet) as work:
        return monte_carlo(inst, samples, seed=seed, concentration=concentration,
                           workers=workers, scenario=scenario, solver=solver,
                           progress=work.advance if total else None, executor=executor)


def _render_stability(ws: WeightStability, con: Console) -> None:
    from placement.analysis.common import describe_moves
    from placement.cli.tables import Col, fitted
    from placement.util.numbers import fmt

    rows = []
    for c in ws.criteria:
        upper = "unbounded" if math.isinf(c.upper) else cell(c.upper, "weight")
        span = f"{cell(c.lower, 'weight')} to {upper}"
        if c.weight > 0:
            up = "unbounded" if math.isinf(c.upper) else fmt(c.upper / c.weight, "weight")
            span += f" (x{fmt(c.lower / c.weight, 'weight')} to x{up})"
        below = ("nothing (stays optimal down to 0)" if c.below is None
                 else describe_moves(c.below.moves))
        above = ("nothing (stays optimal however large)" if c.above is None
                 else describe_moves(c.above.moves))
        style = "yellow" if c.knife_edge else ""
        rows.append([Text(x, style=style) for x in
                     (c.criterion, cell(c.weight, "weight"), span, below, above)])
    cols = [Col("criterion"), Col("weight", numeric=True), Col("stays optimal for", wrap=True),
            Col("below that, first to move", wrap=True),
            Col("above that, first to move", wrap=True)]
    con.print(fitted(cols, rows, con.width, force=True,
                     title=f"Weight stability, {ws.instance.name}: each criterion's weight "
                           "(others fixed) over which the placement stays optimal"))
    if any(c.knife_edge for c in ws.criteria):
        con.print("[yellow]knife edge[/]: another optimum ties with this placement at the "
                  "model's weight; the slightest change of that weight picks another.",
                  highlight=False, markup=True)


def _render_monte_carlo(mc: MonteCarlo, con: Console) -> None:
    from placement.cli.tables import Col, fits, fitted, legend, tier_codes
    from placement.util.numbers import share

    df = mc.frame()
    tiers = list(mc.instance.tier_ids)
    rows = []
    for fid, row in df.iterrows():
        at = float(row["share_at_optimum"])
        style = "" if at >= 0.9 else ("yellow" if at >= 0.5 else "red")
        cells = [str(fid), str(row["optimum"]), share(at),
                 *(share(float(row[tier])) for tier in tiers)]
        rows.append([Text(x, style=style) for x in cells])
    title = (f"Monte Carlo robustness, {mc.instance.name}: share of weight draws placing each "
             "function at each tier")
    cols = [Col("function"), Col("optimum"), Col("at optimum", numeric=True),
            *(Col(t, numeric=True) for t in tiers)]
    if fits(cols, rows, con.width):
        con.print(fitted(cols, rows, con.width, title=title))
    else:
        code = tier_codes(tiers)
        for r in rows:
            r[1] = Text(code[r[1].plain], style=r[1].style)
        cols = [Col("function"), Col("optimum"), Col("at optimum", numeric=True),
                *(Col(code[t], numeric=True) for t in tiers)]
        con.print(fitted(cols, rows, con.width, title=title, force=True))
        con.print(legend("tiers", [(code[t], t) for t in tiers], con.width))
    con.print(str(mc), highlight=False)
