"""``placement compare``: reform options side by side."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

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
    fail,
    handle_errors,
    load_instance_or_exit,
    out,
)
from placement.cli.overrides import SetOpt, WeightOpt, with_overrides
from placement.cli.workbook import SheetFormat, SheetFormatOpt, plain_format, write_sheets

if TYPE_CHECKING:
    from placement.analysis.compare import Comparison
    from placement.model import Instance

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


def _check_maps(path: Path, inst: Instance, directory: Path) -> None:
    """Before solving: the instance has areas the maps can draw, and DIR can be a directory."""
    from placement.charts.hexes import area_codes

    if not inst.per_area:
        fail(escape(f"{path}: --maps needs an instance with areas (format placement/2); "
                    f"'{inst.name}' puts every function at one tier everywhere"))
    try:
        area_codes(inst)
    except ValueError as e:
        fail(escape(f"{path}: --maps: {e}"))
    blocker = next((q for q in (directory, *directory.parents)
                    if q.exists() and not q.is_dir()), None)
    if blocker is not None:
        fail(escape(f"--maps {directory}: expected a directory to write the maps into "
                    f"({blocker} is a file)"))


def _write_maps(c: Comparison, directory: Path) -> None:
    """One small-multiples PNG per option (rendered first, then written atomically)."""
    import re

    import numpy as np

    from placement.charts import area_maps, png_bytes
    from placement.util import write_bytes_atomic

    pngs = {}
    for o in c.options:
        a = o.result.assignment
        if a is None:
            continue
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", o.label).strip("-") + ".png"
        pngs[name] = png_bytes(area_maps(o.result.instance, np.asarray(a)))
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in pngs.items():
        write_bytes_atomic(directory / name, data)
    err.print(f"wrote {len(pngs)} maps to {escape(str(directory))}", highlight=False)


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
    format: SheetFormatOpt = SheetFormat.table,
    output: OutputOpt = None,
    maps: Annotated[
        Path | None,
        typer.Option("--maps", help="Per area: also write DIR/<option>.png, the hex maps of "
                                    "every function each option does differently by place."),
    ] = None,
    weight: WeightOpt = None,
    set_: SetOpt = None,
) -> None:
    """Compare the optimum with reform scenarios: value, resources, tiers, links, distance."""
    from placement import solvers
    from placement.analysis.compare import compare

    solvers.get(solver)
    plain = plain_format(format, output)
    inst = with_overrides(load_instance_or_exit(path, model), weight, set_)
    if maps is not None:
        _check_maps(path, inst, maps)
    c = compare(inst, scenario, optimise=optimise, solver=solver, time_limit=time_limit)
    if maps is not None:
        _write_maps(c, maps)
    if plain is None:
        write_sheets(output, c.sheets)
    elif plain is OutputFormat.json:
        emit(c.to_json(), output)
    elif plain is OutputFormat.csv:
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
