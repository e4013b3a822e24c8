"""``placement frontier``: the optimum against one resource's budget, with every breakpoint and
what moves there (table, JSON or CSV, and a PNG chart with ``--plot``). A thin wrapper over
:func:`placement.analysis.frontier` (docs/model.md section 7; methods in docs/analysis.md).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from placement.cli.analysis import FormatOpt, analyse, console_to, frame_table
from placement.cli.common import (
    EXIT_NO_SOLUTION,
    ModelOpt,
    OutputFormat,
    OutputOpt,
    PathArg,
    QuietOpt,
    ScenarioOpt,
    SolverOpt,
    TimeLimitOpt,
    WideOpt,
    app,
    emit,
    err,
    fail,
    handle_errors,
    load_instance_or_exit,
)

__all__ = ["frontier_cmd"]

# Placement internals (and with them numpy, pandas and the solvers) are imported inside the
# functions on purpose: `placement --help` imports this module and must stay instant
# (tests/test_cli.py checks that it loads no numeric stack and no solver).


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
    wide: WideOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """The optimum against one resource's budget, with every breakpoint and what moves."""
    from placement import solvers
    from placement.analysis.frontier import frontier
    from placement.util.numbers import fmt

    solvers.get(solver)
    if plot is not None and not (plot.parent if str(plot.parent) else Path(".")).is_dir():
        fail(f"--plot {plot}: the directory {plot.parent} does not exist")
    inst = load_instance_or_exit(path, model)
    from placement.cli.progress import progress

    with progress(f"tracing the {resource} frontier", quiet=quiet):
        fr = analyse(lambda: frontier(inst, resource, lower=budget_from, upper=budget_to,
                                      scenario=scenario, solver=solver,
                                      time_limit=time_limit))
    if plot is not None:
        _write_png(plot, fr.plot)
        err.print(f"wrote {plot}", highlight=False)
    df = fr.frame()
    if format is OutputFormat.json:
        emit(fr.to_json(), output)
    elif format is OutputFormat.csv:
        emit(df.to_csv(index=False), output)
    else:
        with console_to(output, wide) as con:
            unit = next((r.unit for r in fr.instance.resources if r.id == resource), "")
            title = (f"Budget frontier, {fr.instance.name}: the optimum against the {resource}"
                     f" budget{f' ({unit})' if unit else ''}")
            con.print(frame_table(df.reset_index(drop=True), title, "step", con.width,
                                  kinds=_frontier_kinds(df)))
            con.print(f"{len(df)} steps; {fr.solves} solves in {fmt(fr.seconds, 'seconds')} s"
                      + ("; truncated: more steps exist" if fr.truncated else ""),
                      highlight=False)
    if len(df) == 0:
        raise typer.Exit(EXIT_NO_SOLUTION)


def _frontier_kinds(df: Any) -> dict[str, str]:
    """Budgets as resources, the optimum as an objective, counts as counts."""
    return {c: ("resource" if c.startswith("budget") else "objective" if c == "value"
                else "count") for c in map(str, df.columns)}


def _write_png(path: Path, draw: Callable[[Path], Any]) -> None:
    """Draw to a temporary file beside ``path`` and move it into place (no partial file)."""
    from placement.util.files import atomic_path

    with atomic_path(path, suffix=".png") as tmp:
        draw(tmp)
