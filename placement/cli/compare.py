"""``placement compare``: reform options side by side."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.text import Text

from placement.cli.common import (
    EXIT_NO_SOLUTION,
    ModelOpt,
    OutputFormat,
    OutputOpt,
    PathArg,
    SolverOpt,
    TimeLimitOpt,
    app,
    emit,
    err,
    handle_errors,
    load_instance_or_exit,
    out,
)

__all__ = ["compare_cmd"]


def _cell(metric: str, v: object) -> str:
    from placement.cli.render import fmt

    if v is None or (isinstance(v, float) and v != v):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if metric == "relative gap" and isinstance(v, int | float):
        return f"{v:.1%}"
    if isinstance(v, int | float):
        return fmt(float(v), 5)
    return str(v)


@app.command("compare")
@handle_errors
def compare_cmd(
    path: PathArg,
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario to compare (repeat; default: all)."),
    ] = None,
    optimise: Annotated[
        bool, typer.Option("--optimise", help="Also optimise under each scenario's overrides.")
    ] = False,
    model: ModelOpt = None,
    solver: SolverOpt = "highs",
    time_limit: TimeLimitOpt = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")
    ] = OutputFormat.table,
    output: OutputOpt = None,
) -> None:
    """Compare the optimum with reform scenarios: value, resources, tiers, links, distance."""
    from placement import solvers
    from placement.analysis.compare import compare

    solvers.get(solver)
    inst = load_instance_or_exit(path, model)
    c = compare(inst, scenario, optimise=optimise, solver=solver, time_limit=time_limit)
    if format is OutputFormat.json:
        emit(c.to_json(), output)
    elif format is OutputFormat.csv:
        emit(c.table().to_csv(index_label="metric"), output)
    else:
        from io import StringIO

        from rich.console import Console
        from rich.table import Table

        con = out
        buf = None
        if output is not None:
            buf = StringIO()
            con = Console(file=buf, width=200, color_system=None, markup=False)
        df = c.table()
        t = Table(title=f"Options for {c.instance.name} (values on the instance's own weights)",
                  title_justify="left")
        t.add_column("metric")
        for col in df.columns:
            t.add_column(str(col), justify="right", overflow="fold")
        for metric, row in df.iterrows():
            t.add_row(str(metric), *(_cell(str(metric), v) for v in row.tolist()))
        con.print(t)
        diff = c.differences()
        if len(diff):
            d = Table(title="Functions placed differently from the optimum",
                      title_justify="left")
            d.add_column("function")
            for col in diff.columns:
                d.add_column(str(col))
            for fid, row in diff.iterrows():
                ref = row.iloc[0]
                d.add_row(str(fid), *(
                    ("-" if v != v else (Text(str(v), style="bold") if v != ref else str(v)))
                    for v in row.tolist()))
            con.print(d)
        for o in c.options:
            if o.note:
                con.print(f"{o.id}: {o.note}", highlight=False)
            if o.violations and o.kind != "optimum":
                con.print(f"[yellow]{escape(o.id)}[/] breaks {len(o.violations)} constraint(s): "
                          + escape("; ".join(o.violations[:3]))
                          + (" ..." if len(o.violations) > 3 else ""), highlight=False,
                          markup=True)
        if buf is not None:
            emit(buf.getvalue(), output)
    if c.optimum.result.assignment is None:
        err.print(f"[bold red]error:[/] the instance itself has no placement "
                  f"({c.optimum.result.status})", markup=True)
        raise typer.Exit(EXIT_NO_SOLUTION)
