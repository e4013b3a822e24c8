"""``placement map``: solve a per-area instance and draw where a function sits on a hex map of
England's upper-tier authorities or integrated care boards (PNG), or, without a function, the
small multiples of every function done by different tiers in different places.

A thin wrapper over :mod:`placement.charts.maps`; the maps are described in docs/analysis.md.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placement.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_NO_SOLUTION,
    ModelOpt,
    PathArg,
    ScenarioOpt,
    SolverOpt,
    TimeLimitOpt,
    app,
    err,
    fail,
    handle_errors,
    load_instance_or_exit,
)

if TYPE_CHECKING:
    from placement.charts.hexes import AreaCodes
    from placement.model import Instance

__all__ = ["map_cmd", "MapLevel"]

# Placement internals (and with them numpy, pandas and matplotlib) are imported inside the
# functions on purpose: `placement --help` imports this module and must stay instant
# (tests/test_cli.py checks that it loads no numeric stack and no solver).


class MapLevel(str, Enum):
    utla = "utla"
    icb = "icb"


@app.command("map")
@handle_errors
def map_cmd(
    path: PathArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="PNG file to write.")],
    function: Annotated[
        str | None,
        typer.Argument(help="Id of the function to map (none: one small map per function "
                            "whose tier differs by area)."),
    ] = None,
    level: Annotated[
        MapLevel, typer.Option("--level", help="Hexes of upper-tier authorities (utla) or "
                                               "integrated care boards (icb).")
    ] = MapLevel.utla,
    scenario: ScenarioOpt = None,
    model: ModelOpt = None,
    solver: SolverOpt = "highs",
    time_limit: TimeLimitOpt = None,
) -> None:
    """Draw a per-area placement on a hex map of England (PNG).

    Each hex is one upper-tier authority (or ICB with --level icb), in the colour of the tier
    serving FUNCTION for most of its people; hatched where its pieces are served by
    different tiers. Without FUNCTION: one small authority map per function whose tier
    differs by area (authorities, or ICBs with --level icb)."""
    from rich.markup import escape

    from placement import solvers
    from placement.charts import png_bytes
    from placement.charts.maps import area_maps, function_map
    from placement.solution.solving import solve
    from placement.util import write_bytes_atomic

    solvers.get(solver)
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        fail(f"--output {output}: the directory {parent} does not exist")
    inst = load_instance_or_exit(path, model)
    codes = _codes_or_exit(path, inst, function, level)
    r = solve(inst, solver, scenario=scenario, time_limit=time_limit)
    if not r.has_solution:
        why = f"\n{r.diagnosis}" if r.diagnosis is not None else ""
        fail(escape(f"{path}: no placement to map (status {r.status}){why}"), EXIT_NO_SOLUTION)
    if r.check is not None and not r.check.ok:
        fail(f"{path}: the placement failed the independent checker; please report this "
             "with the instance", EXIT_CHECK_FAILED)
    assert r.assignment is not None
    if function is None:
        fig = area_maps(r.instance, r.assignment, level=level.value, codes=codes)
    else:
        fig = function_map(r.instance, r.assignment, function, level=level.value, codes=codes)
    write_bytes_atomic(output, png_bytes(fig))
    err.print(f"wrote {output}", highlight=False)


def _codes_or_exit(path: Path, inst: Instance, function: str | None,
                   level: MapLevel) -> AreaCodes:
    """Check, before solving, that the map can be drawn: a known function, an instance with
    areas, and areas that lie in known UTLAs (and ICBs for ``--level icb``)."""
    from rich.markup import escape

    from placement.charts.hexes import area_codes

    ids = [str(f) for f in inst.function_ids]
    if function is not None and function not in ids:
        shown = ", ".join(ids[:10]) + (f" ... ({len(ids)} in all)" if len(ids) > 10 else "")
        fail(escape(f"{path}: FUNCTION {function!r} is not a function of the instance; "
                    f"expected one of {shown}"))
    if not inst.per_area:
        fail(escape(f"{path}: instance '{inst.name}' has no areas, so every function has one "
                    "tier everywhere; a map needs format placement/2 with an [areas] table "
                    "(docs/instance-format.md)"))
    try:
        codes = area_codes(inst)
    except ValueError as e:
        fail(escape(f"{path}: {e}"))
    if level is MapLevel.icb and codes.icb is None:
        fail(escape(f"{path}: --level icb, but the areas of instance '{inst.name}' carry no "
                    "ICB code; expected area ids '<utla_code>/<icb_code>' or a tier whose "
                    "units are ICBs (use --level utla)"))
    return codes
