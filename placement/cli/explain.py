"""``placement explain``: why a function sits at its tier (contributions, forcing costs,
resource consequences), or, without a function, every function's forcing costs with its
runner-up and margin. A thin wrapper over :func:`placement.analysis.explain` and
:func:`placement.analysis.forcing_costs` (docs/model.md section 7; methods in docs/analysis.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.text import Text

from placement.cli.analysis import FormatOpt, analyse, cell, console_to, frame_table
from placement.cli.common import (
    EXIT_CHECK_FAILED,
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
    handle_errors,
    load_instance_or_exit,
)
from placement.cli.overrides import SetOpt, WeightOpt, with_overrides

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console, RenderableType

    from placement.analysis import Explanation
    from placement.model import Instance

__all__ = ["explain_cmd"]

# Placement internals (and with them numpy, pandas and the solvers) are imported inside the
# functions on purpose: `placement --help` imports this module and must stay instant
# (tests/test_cli.py checks that it loads no numeric stack and no solver).


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
    wide: WideOpt = False,
    quiet: QuietOpt = False,
    area: Annotated[
        str | None,
        typer.Option("--area", metavar="CODE",
                     help="Per area: the forcing cost of every tier for FUNCTION in this area "
                          "(an area id or name)."),
    ] = None,
    weight: WeightOpt = None,
    set_: SetOpt = None,
) -> None:
    """Why a function sits at its tier: contributions, forcing costs, resource effects.

    Without FUNCTION: the forcing cost of every function at every tier, with each one's
    runner-up and margin (closest calls first). With --area (instances with areas): the
    forcing cost of every tier for FUNCTION in that area."""
    from placement import solvers
    from placement.analysis import explain

    solvers.get(solver)
    inst = with_overrides(load_instance_or_exit(path, model), weight, set_)
    if area is not None:
        _explain_area(inst, function, area, scenario, solver, time_limit, format, output, wide)
        return
    if function is None:
        _explain_all(inst, scenario, solver, time_limit, threads, format, output, wide, quiet)
        return
    e = analyse(lambda: explain(inst, function, scenario=scenario, solver=solver,
                                time_limit=time_limit, threads=threads))
    if format is OutputFormat.json:
        emit(e.to_json(), output)
    elif format is OutputFormat.csv:
        emit(e.tiers().to_csv(), output)
    else:
        with console_to(output, wide) as con:
            _render_explanation(e, con)
    if not e.checks_ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _explain_all(inst: Instance, scenario: str | None, solver: str, time_limit: float | None,
                 threads: int | None, format: OutputFormat, output: Path | None,
                 wide: bool = False, quiet: bool = False) -> None:
    """Every function's forcing costs, runner-up and margin, closest calls first."""
    from placement.analysis import forcing_costs
    from placement.cli.progress import progress
    from placement.util.numbers import fmt

    with progress("forcing every function to every tier", inst.n_functions, quiet) as work:
        fc = analyse(lambda: forcing_costs(inst, scenario=scenario, solver=solver,
                                           time_limit=time_limit, threads=threads,
                                           progress=work.advance))
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
    with console_to(output, wide) as con:
        con.print(frame_table(
            table, f"Forcing costs, {fc.instance.name}: objective lost with the function fixed "
                   f"at each tier (optimum {fmt(fc.objective, 'objective')}, {sense}); closest "
                   "calls first", "function", con.width, kinds={"margin": "gap"}))
        con.print(f"{fc.solves} solves in {fmt(fc.seconds, 'seconds')} s. margin = the runner-up's "
                  "forcing cost (- when no other tier is possible); a tier shown - is not "
                  "allowed, pinned elsewhere or infeasible. `placement explain PATH FUNCTION` "
                  "explains one function in depth.", highlight=False)


def _render_explanation(e: Explanation, con: Console) -> None:
    """The headline, then one table per view: the tiers, the criterion contributions, the
    resource consequences (the last two only when there is something to show)."""
    from placement.util.numbers import fmt

    inst = e.instance
    head = (f"[bold]{escape(e.function)}[/] ({escape(e.function_name)}) sits at "
            f"[bold]{escape(e.tier)}[/]")
    if e.runner_up is not None:
        head += escape(f"; runner-up {e.runner_up}, which would cost "
                       f"{fmt(e.forcing[e.runner_up].cost, 'gap')}")
    sense = inst.sense.quantity
    con.print(head + f" (optimum {fmt(e.objective, 'objective')}, {sense}).",
              highlight=False, markup=True)
    con.print(_tiers_table(e, con.width))
    contrib = e.contributions()
    if len(contrib):
        con.print(_contributions_table(e, contrib, con.width))
    res = e.resources()
    if len(res):
        con.print(_resources_table(res, con.width))


def _tiers_table(e: Explanation, width: int) -> RenderableType:
    from placement.analysis.common import describe_moves
    from placement.cli.tables import Col, fitted

    cols = [Col("tier"), Col("status"), Col("value there", numeric=True),
            Col("optimum", numeric=True), Col("cost of forcing", numeric=True),
            Col("what else moves", wrap=True)]
    rows = []
    for o in e.options:
        style = "bold" if o.status == "chosen" else ("dim" if o.result is None else "")
        moves = describe_moves(o.moves) if o.result is not None else o.reason
        cells = [o.tier, o.status, cell(o.value), cell(o.objective, "objective"),
                 cell(o.cost, "gap"), moves or "nothing"]
        rows.append([Text(c, style=style) for c in cells])
    return fitted(cols, rows, width, force=True,
                  title="Each tier: the optimum with the function fixed there")


def _contributions_table(e: Explanation, contrib: pd.DataFrame, width: int) -> RenderableType:
    from placement.cli.tables import Col, fitted

    cols = [Col("criterion")]
    for col in contrib.columns:
        label = {e.tier: f"{col} (chosen)", e.runner_up: f"{col} (runner-up)"}.get(col, col)
        cols.append(Col(str(label), numeric=True, wrap=True))
    rows = [[str(crit), *(cell(v) for v in row.tolist())] for crit, row in contrib.iterrows()]
    return fitted(cols, rows, width, force=True,
                  title="Criterion contributions (weight x score x performance)")


def _resources_table(res: pd.DataFrame, width: int) -> RenderableType:
    from placement.cli.tables import Col, fitted
    from placement.util.numbers import signed

    cols = [Col("tier"), Col("resource"), Col("limit", wrap=True),
            Col("used", numeric=True), Col("change", numeric=True),
            Col("limit value", numeric=True, wrap=True), Col("slack", numeric=True)]
    rows: list[list[object]] = []
    tuples: Iterable[Any] = res.itertuples(index=False)  # named tuples of mixed cells
    for row in tuples:
        change = "" if row.change == 0 else signed(row.change, "resource")
        negative = row.slack == row.slack and row.slack < 0
        slack = Text(cell(row.slack, "resource"), style="red" if negative else "")
        rows.append([row.tier, row.resource, row.limit, cell(row.used, "resource"), change,
                     cell(row.limit_value, "resource"), slack])
    return fitted(cols, rows, width, force=True, title="Resource consequences")


def _explain_area(inst: Instance, function: str | None, area: str, scenario: str | None,
                  solver: str, time_limit: float | None, format: OutputFormat,
                  output: Path | None, wide: bool = False) -> None:
    """``--area``: one function's tiers in one area, each with its unit and forcing cost."""
    from placement.analysis import explain_area
    from placement.cli.common import fail

    if function is None:
        fail("--area needs a FUNCTION to explain")
    assert function is not None
    e = analyse(lambda: explain_area(inst, function, area, scenario=scenario, solver=solver,
                                     time_limit=time_limit))
    if format is OutputFormat.json:
        emit(e.to_json(), output)
        return
    if format is OutputFormat.csv:
        emit(e.tiers().reset_index().to_csv(index=False), output)
        return
    with console_to(output, wide) as con:
        con.print(f"{function} in {e.area} ({e.area_name}): {e.tier}; runner-up "
                  f"{e.runner_up or 'none'}; optimum {cell(e.objective, 'objective')}")
        con.print(frame_table(e.tiers(), f"Forcing {function} to each tier in {e.area_name}",
                              "tier", con.width,
                              kinds={"objective": "objective", "forcing_cost": "gap"}))
        contrib = e.contributions()
        if len(contrib):
            con.print(frame_table(contrib, "Criterion contributions", "criterion",
                                  con.width))
