"""Charts of placements and their analyses, as matplotlib figures.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (so it is
safe in any backend, thread or server) and draws only what its arguments hold; nothing is
re-solved here. :func:`png_bytes` renders a figure to PNG. ``placement report`` embeds these;
analysts can call them directly. Per-area placements also have hex maps of England
(:func:`function_map`, :func:`area_maps`; ``placement map``).

>>> import placement
>>> from placement import charts
>>> r = placement.solve(placement.load("instances/tiny-budget"))
>>> charts.png_bytes(charts.value_heatmap(r.instance, r.assignment))[:4]
b'\\x89PNG'
"""

from placement.charts.figures import (
    MAX_ROWS,
    TIER_COLOURS,
    baselines_chart,
    display_order,
    functions_per_tier,
    options_chart,
    png_bytes,
    robustness_chart,
    tier_colours,
    value_heatmap,
)
from placement.charts.hexes import ATTRIBUTION, AreaCodes, area_codes, codes_from_ids, hex_layout
from placement.charts.maps import area_maps, differing_functions, function_map, map_shading
from placement.charts.shares import share_heatmap

__all__ = [
    "TIER_COLOURS",
    "tier_colours",
    "png_bytes",
    "display_order",
    "value_heatmap",
    "functions_per_tier",
    "baselines_chart",
    "options_chart",
    "robustness_chart",
    "share_heatmap",
    "MAX_ROWS",
    "function_map",
    "area_maps",
    "map_shading",
    "differing_functions",
    "area_codes",
    "codes_from_ids",
    "AreaCodes",
    "hex_layout",
    "ATTRIBUTION",
]
