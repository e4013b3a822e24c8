"""One function's tier in every area as an SVG hex map for the page, drawn from the same
shading as ``placement map`` (:func:`placement.charts.maps.map_shading`) and the same Open
Innovations layouts, whose attribution (MIT) every map carries."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.charts.hexes import ATTRIBUTION, AreaCodes, Level, hex_layout, hex_polygons
from placement.charts.maps import map_shading

if TYPE_CHECKING:
    from collections.abc import Sequence

    from placement.model import Instance

__all__ = ["map_available", "function_svg"]


def map_available(inst: Instance, codes: AreaCodes | None) -> list[str]:
    """The levels (``utla``, ``icb``) a map of ``inst`` can be drawn at: none without areas
    or when its areas are not England's."""
    if not inst.per_area or codes is None:
        return []
    levels: tuple[tuple[Level, np.ndarray | None], ...] = (("utla", codes.utla),
                                                           ("icb", codes.icb))
    return [lv for lv, got in levels
            if got is not None and (hex_layout(lv).index(np.asarray(got)) >= 0).all()]


def function_svg(inst: Instance, tiers: np.ndarray, function: str, level: Level,
                 codes: AreaCodes, palette: Sequence[str]) -> dict[str, Any]:
    """The map of one function (``tiers``: its tier index in each area of ``inst``) as SVG
    text, with the shading table behind it (one row per hex) so a script can read it."""
    lay = hex_layout(level)
    shade = map_shading(inst, tiers, level, codes=codes, layout=lay, palette=palette)
    polys = hex_polygons(lay)
    pts = np.concatenate(polys)
    x0, x1 = float(pts[:, 0].min()) - 0.5, float(pts[:, 0].max()) + 0.5
    y0, y1 = float(-pts[:, 1].max()) - 0.5, float(-pts[:, 1].min()) + 1.5
    area_ids = np.asarray(inst.units.area_ids, dtype=object)
    got = np.asarray(codes.utla if level == "utla" else codes.icb, dtype=object)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x0:.2f} {y0:.2f} '
             f'{x1 - x0:.2f} {y1 - y0:.2f}" class="hexmap" role="img" '
             f'aria-label="{escape(function)} by {level.upper()}">']
    for i, (code, row) in enumerate(shade.iterrows()):
        d = "M" + " L".join(f"{x:.3f},{-y:.3f}" for x, y in polys[i]) + " Z"
        areas = " ".join(str(a) for a in area_ids[got == code])
        title = f"{row['name']}: {row['tiers'] or 'no area of this instance'}"
        parts.append(
            f'<path d="{d}" fill="{row["colour"]}" data-code="{escape(str(code))}" '
            f'data-tier="{escape(str(row["tier"]))}" data-areas="{escape(areas)}" '
            f'class="hex{" mixed" if row["mixed"] else ""}"><title>{escape(title)}</title>'
            "</path>")
    parts.append(f'<text x="{x0 + 0.2:.2f}" y="{y1 - 0.3:.2f}" class="attribution">'
                 f"{escape(ATTRIBUTION)}</text></svg>")
    rows = [{"code": str(code), "name": str(r["name"]), "tier": str(r["tier"]),
             "colour": str(r["colour"]), "mixed": bool(r["mixed"]), "areas": int(r["areas"]),
             "tiers": str(r["tiers"])} for code, r in shade.iterrows()]
    return {"function": function, "level": level, "svg": "".join(parts), "hexes": rows,
            "attribution": ATTRIBUTION}
