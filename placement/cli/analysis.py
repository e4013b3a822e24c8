"""``placement explain``, ``placement sensitivity`` and ``placement frontier``: thin wrappers
over :mod:`placement.analysis` (MODEL.md section 7; methods in docs/analysis.md).

Exit codes as everywhere: 2 invalid input (unknown function, resource or criterion, bad
sample count, ...), 3 no placement to analyse (or a solve that proved nothing), 4 a placement
failed the independent checker.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from placement.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_NO_SOLUTION,
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
    out,
)

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console, RenderableType

__all__ = ["explain_cmd", "sensitivity_cmd", "frontier_cmd"]

FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")
]
T = TypeVar("T")


def _analyse(run: Callable[[], T]) -> T:
    """Run an analysis; no placement to analyse (or no proven optimum) exits 3, an optimum
    the independent checker rejects exits 4."""
    from placement.errors import AnalysisError, CheckerError, InfeasibleError

    try:
        return run()
    except CheckerError as e:
        fail(str(e), EXIT_CHECK_FAILED)
    except (InfeasibleError, AnalysisError) as e:
        fail(str(e), EXIT_NO_SOLUTION)


@contextmanager
def _console(output: Path | None) -> Iterator[Console]:
    """The console tables go to: standard output, or a buffer written to ``output``."""
    if output is None:
        yield out
        return
    from rich.console import Console

    buf = StringIO()
    yield Console(file=buf, width=160, color_system=None, soft_wrap=False)
    emit(buf.getvalue(), output)


def _cell(v: Any, digits: int = 6) -> str:
    from placement.cli.render import fmt

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float) and math.isinf(v):
        return "unbounded" if v > 0 else "-inf"
    if isinstance(v, int | float):
        return fmt(float(v), digits)
    return str(v)


def _share(v: float) -> str:
    return "-" if v != v else (f"{v:.0%}" if v in (0.0, 1.0) else f"{v:.1%}")


def _frame_table(df: pd.DataFrame, title: str, index: str) -> RenderableType:
    """Any DataFrame as a rich table (numbers formatted, text folded)."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column(index)
    for col in df.columns:
        numeric = df[col].dtype.kind in "fiu"
        t.add_column(str(col), justify="right" if numeric else "left", overflow="fold",
                     max_width=None if numeric else 60)
    for idx, row in df.iterrows():
        t.add_row(_cell(idx), *(_cell(v) for v in row.tolist()))
    return t


# -- explain ----------------------------------------------------------------------------------
@app.command("explain")
@handle_errors
def explain_cmd(
    path: PathArg,
    function: Annotated[
        str | None,
        typer.Argument(help="Id of the function to explain (none: every function's forcing "
                            "costs, runner-up and margin)."),
    ] = None,
    model: ModelOpt = None,
    scenario: ScenarioOpt = None,
    solver: SolverOpt = "highs",
    time_limit: TimeLimitOpt = None,
    threads: ThreadsOpt = None,
    format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
) -> None:
    """Why a function sits at its tier: contributions, forcing costs, resource effects.

    Without FUNCTION: the forcing cost of every function at every tier, with each one's
    runner-up and margin (closest calls first)."""
    from placement import solvers
    from placement.analysis import explain

    solvers.get(solver)
    inst = load_instance_or_exit(path, model)
    if function is None:
        _explain_all(inst, scenario, solver, time_limit, threads, format, output)
        return
    e = _analyse(lambda: explain(inst, function, scenario=scenario, solver=solver,
                                 time_limit=time_limit, threads=threads))
    if format is OutputFormat.json:
        emit(e.to_json(), output)
    elif format is OutputFormat.csv:
        emit(e.tiers().to_csv(), output)
    else:
        with _console(output) as con:
            _render_explanation(e, con)
    if not e.checks_ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _explain_all(inst: Any, scenario: str | None, solver: str, time_limit: float | None,
                 threads: int | None, format: OutputFormat, output: Path | None) -> None:
    from placement.analysis import forcing_costs
    from placement.cli.render import fmt

    fc = _analyse(lambda: forcing_costs(inst, scenario=scenario, solver=solver,
                                        time_limit=time_limit, threads=threads))
    summary = fc.summary()
    table = summary[["tier", "runner_up", "margin"]].join(fc.frame())
    table = table.sort_values("margin", kind="stable", na_position="last")
    if format is OutputFormat.json:
        emit(fc.to_json(), output)
        return
    if format is OutputFormat.csv:
        emit(table.to_csv(), output)
        return
    sense = fc.instance.sense.quantity
    with _console(output) as con:
        con.print(_frame_table(
            table, f"Forcing costs, {fc.instance.name}: objective lost with the function fixed "
                   f"at each tier (optimum {fmt(fc.objective)}, {sense}); closest calls first",
            "function"))
        con.print(f"{fc.solves} solves in {fc.seconds:.2f} s. margin = the runner-up's "
                  "forcing cost (- when no other tier is possible); a tier shown - is not "
                  "allowed, pinned elsewhere or infeasible. `placement explain PATH FUNCTION` "
                  "explains one function in depth.", highlight=False)


def _render_explanation(e: Any, con: Console) -> None:
    from rich.table import Table

    from placement.cli.render import fmt

    inst = e.instance
    head = f"[bold]{e.function}[/] ({e.function_name}) sits at [bold]{e.tier}[/]"
    if e.runner_up is not None:
        head += (f"; runner-up {e.runner_up}, which would cost "
                 f"{fmt(e.forcing[e.runner_up].cost)}")
    sense = inst.sense.quantity
    con.print(head + f" (optimum {fmt(e.objective)}, {sense}).", highlight=False)
    t = Table(title="Each tier: the optimum with the function fixed there",
              title_justify="left")
    for c, j in (("tier", "left"), ("status", "left"), ("value there", "right"),
                 ("optimum", "right"), ("cost of forcing", "right"),
                 ("what else moves", "left")):
        t.add_column(c, justify=j)  # type: ignore[arg-type]
    from placement.analysis.common import describe_moves

    for o in e.options:
        style = "bold" if o.status == "chosen" else ("dim" if o.result is None else "")
        moves = describe_moves(o.moves) if o.result is not None else o.reason
        t.add_row(o.tier, o.status, _cell(o.value), _cell(o.objective), _cell(o.cost),
                  moves or "nothing", style=style)
    con.print(t)
    contrib = e.contributions()
    if len(contrib):
        ct = Table(title="Criterion contributions (weight x score x performance)",
                  title_justify="left")
        ct.add_column("criterion")
        for col in contrib.columns:
            label = {e.tier: f"{col} (chosen)", e.runner_up: f"{col} (runner-up)"}.get(col, col)
            ct.add_column(str(label), justify="right")
        for crit, row in contrib.iterrows():
            ct.add_row(str(crit), *(_cell(v) for v in row.tolist()))
        con.print(ct)
    res = e.resources()
    if len(res):
        r = Table(title="Resource consequences", title_justify="left")
        for col, j in (("tier", "left"), ("resource", "left"), ("limit", "left"),
                       ("used", "right"), ("change", "right"), ("limit value", "right"),
                       ("slack", "right")):
            r.add_column(col, justify=j)  # type: ignore[arg-type]
        for row in res.itertuples(index=False):
            change = "" if row.change == 0 else f"{row.change:+,.6g}"
            slack = _cell(row.slack)
            if row.slack == row.slack and row.slack < 0:
                slack = f"[red]{slack}[/]"
            r.add_row(row.tier, row.resource, row.limit, _cell(row.used), change,
                      _cell(row.limit_value), slack)
        con.print(r)


# -- sensitivity ------------------------------------------------------------------------------
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

        stability = _analyse(lambda: weight_stability(
            inst, criterion, scenario=scenario, solver=solver, time_limit=time_limit,
            threads=threads))
    if samples is not None:
        mc = _analyse(lambda: _monte_carlo(inst, samples, seed, concentration, workers,
                                           scenario, solver, not no_progress))
    if format is OutputFormat.json:
        import json

        if stability is not None and mc is not None:
            emit(json.dumps({"weights": json.loads(stability.to_json()),
                             "monte_carlo": json.loads(mc.to_json())}, indent=2), output)
        else:
            emit((stability or mc).to_json(), output)  # type: ignore[union-attr]
    elif format is OutputFormat.csv:
        emit((stability or mc).frame().to_csv(), output)  # type: ignore[union-attr]
    else:
        with _console(output) as con:
            if stability is not None:
                _render_stability(stability, con)
            if mc is not None:
                _render_monte_carlo(mc, con)


def _monte_carlo(inst: Any, samples: int, seed: int, concentration: float, workers: int,
                 scenario: str | None, solver: str, show: bool) -> Any:
    """The Monte Carlo run, with a progress bar on standard error."""
    from placement.analysis.montecarlo import monte_carlo

    def run(progress: Callable[[int], None] | None) -> Any:
        return monte_carlo(inst, samples, seed=seed, concentration=concentration,
                           workers=workers, scenario=scenario, solver=solver,
                           progress=progress)

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


def _render_stability(ws: Any, con: Console) -> None:
    from rich.table import Table

    from placement.analysis.common import describe_moves

    t = Table(title=f"Weight stability, {ws.instance.name}: each criterion's weight (others "
                    "fixed) over which the placement stays optimal", title_justify="left")
    for col, j in (("criterion", "left"), ("weight", "right"), ("stays optimal for", "left"),
                   ("below that, first to move", "left"), ("above that, first to move", "left")):
        t.add_column(col, justify=j, overflow="fold")  # type: ignore[arg-type]
    for c in ws.criteria:
        upper = "inf" if math.isinf(c.upper) else _cell(c.upper)
        span = f"{_cell(c.lower)} to {upper}"
        if c.weight > 0:
            up = "inf" if math.isinf(c.upper) else f"{c.upper / c.weight:.2f}"
            span += f" (x{c.lower / c.weight:.2f} to x{up})"
        below = ("nothing (stays optimal down to 0)" if c.below is None
                 else describe_moves(c.below.moves))
        above = ("nothing (stays optimal however large)" if c.above is None
                 else describe_moves(c.above.moves))
        t.add_row(c.criterion, _cell(c.weight), span, below, above,
                  style="yellow" if c.knife_edge else "")
    con.print(t)
    if any(c.knife_edge for c in ws.criteria):
        con.print("[yellow]knife edge[/]: another optimum ties with this placement at the "
                  "model's weight; the slightest change of that weight picks another.",
                  highlight=False)


def _render_monte_carlo(mc: Any, con: Console) -> None:
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


# -- frontier ---------------------------------------------------------------------------------
@app.command("frontier")
@handle_errors
def frontier_cmd(
    path: PathArg,
    resource: Annotated[
        str, typer.Option("--resource", "-r", help="Resource whose budget varies.")
    ],
    budget_from: Annotated[
        float | None, typer.Option("--from", help="Lowest budget to explore.")
    ] = None,
    budget_to: Annotated[
        float | None, typer.Option("--to", help="Highest budget to explore.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw the frontier as a PNG chart.")
    ] = None,
    model: ModelOpt = None,
    scenario: ScenarioOpt = None,
    solver: SolverOpt = "highs",
    time_limit: TimeLimitOpt = None,
    format: FormatOpt = OutputFormat.table,
    output: OutputOpt = None,
) -> None:
    """The optimum against one resource's budget, with every breakpoint and what moves."""
    from placement import solvers
    from placement.analysis.frontier import frontier

    solvers.get(solver)
    if plot is not None and not (plot.parent if str(plot.parent) else Path(".")).is_dir():
        fail(f"--plot {plot}: the directory {plot.parent} does not exist")
    inst = load_instance_or_exit(path, model)
    fr = _analyse(lambda: frontier(inst, resource, lower=budget_from, upper=budget_to,
                                   scenario=scenario, solver=solver, time_limit=time_limit))
    if plot is not None:
        _write_png(plot, fr.plot)
        err.print(f"wrote {plot}", highlight=False)
    df = fr.frame()
    if format is OutputFormat.json:
        emit(fr.to_json(), output)
    elif format is OutputFormat.csv:
        emit(df.to_csv(index=False), output)
    else:
        with _console(output) as con:
            unit = next((r.unit for r in fr.instance.resources if r.id == resource), "")
            title = (f"Budget frontier, {fr.instance.name}: the optimum against the {resource}"
                     f" budget{f' ({unit})' if unit else ''}")
            con.print(_frame_table(df.reset_index(drop=True), title, "step"))
            con.print(f"{len(df)} steps; {fr.solves} solves in {fr.seconds:.1f} s"
                      + ("; truncated: more steps exist" if fr.truncated else ""),
                      highlight=False)
    if len(df) == 0:
        raise typer.Exit(EXIT_NO_SOLUTION)


def _write_png(path: Path, draw: Callable[[Path], Any]) -> None:
    """Draw to a temporary file beside ``path`` and move it into place (no partial file)."""
    parent = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=parent)
    os.close(fd)
    try:
        draw(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
