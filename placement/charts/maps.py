"""Maps of a per-area placement (docs/model.md section 9): which tier serves a function in each
upper-tier authority (UTLA) or integrated care board (ICB) of England, on hex cartograms.

An authority split across ICBs (or an ICB spanning authorities) is several areas of the
instance. Its hex takes the colour of the tier serving most of its people and is hatched when
its pieces are served by different tiers. The four authorities without a hex of their own share
their parent's hex in halves (:mod:`placement.charts.hexes`); the footnote says which half is
which. Hexes of authorities the instance has no area in are left pale grey, never dropped.

Like :mod:`placement.charts.figures`, every function returns a matplotlib ``Figure`` built
without ``pyplot`` and only draws what it is given; :func:`map_shading` returns the colour of
every hex as a table, so what a map shows can be checked without reading pixels.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from placement.charts.figures import _INK, _figure, palette, tier_colours
from placement.charts.hexes import (
    ATTRIBUTION,
    AreaCodes,
    HexLayout,
    Level,
    area_codes,
    hex_layout,
    hex_polygons,
)
from placement.util.numbers import share as fmt_share

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from placement.model import Instance

__all__ = ["map_shading", "function_map", "area_maps", "differing_functions", "MAX_MAPS",
           "NO_AREA_COLOUR", "NO_TIER_COLOUR", "MIXED_LABEL"]

#: Small maps drawn at most by :func:`area_maps`; the rest is counted in the title.
MAX_MAPS = 40
#: A hex whose authority has no area in the instance.
NO_AREA_COLOUR = "#eeeeee"
#: An area the placement leaves without a tier (a partial placement).
NO_TIER_COLOUR = "#bbbbbb"
MIXED_LABEL = "pieces served by different\ntiers (colour: the tier\nserving most people)"
_HATCH = "////"
_LEVEL_WORDS = {"utla": "upper-tier authority", "icb": "integrated care board"}


def _function_index(inst: Instance, function: str) -> int:
    ids = [str(f) for f in inst.function_ids]
    if function not in ids:
        shown = ", ".join(ids[:8]) + (f" ... ({len(ids)} in all)" if len(ids) > 8 else "")
        raise ValueError(f"function {function!r} is not in instance '{inst.name}'; expected "
                         f"one of {shown}")
    return ids.index(function)


def _level_codes(inst: Instance, level: Level, codes: AreaCodes | None,
                 data_dir: str | Path | None) -> np.ndarray:
    codes = codes if codes is not None else area_codes(inst, data_dir)
    got = codes.utla if level == "utla" else codes.icb
    if got is None:
        raise ValueError(f"instance '{inst.name}': the areas carry no ICB code; expected "
                         "area ids '<utla_code>/<icb_code>' or a tier whose units are ICBs "
                         "(use --level utla)")
    if len(got) != inst.n_areas:
        raise ValueError(f"{len(got)} {level.upper()} codes for {inst.n_areas} areas; "
                         "expected one per area")
    return np.asarray(got, dtype=object)


def _tier_mix(inst: Instance, tiers: np.ndarray, shape: np.ndarray,
              n: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, T + 1) people and areas of each shape served by each tier (the last column: no
    tier), summed over the shape's areas in one ``bincount`` each."""
    T = inst.n_tiers
    t = np.where(np.asarray(tiers) < 0, T, tiers)
    cell = shape * (T + 1) + t
    pop = np.asarray(inst.units.area_population, dtype=float)
    people = np.bincount(cell, weights=pop, minlength=n * (T + 1)).reshape(n, T + 1)
    count = np.bincount(cell, minlength=n * (T + 1)).reshape(n, T + 1)
    return people, count


def map_shading(inst: Instance, tiers: np.ndarray, level: Level = "utla",
                codes: AreaCodes | None = None, data_dir: str | Path | None = None,
                layout: HexLayout | None = None,
                palette: Sequence[str] | None = None) -> pd.DataFrame:
    """What a map of one function draws: one row per shape of the ``level`` layout (every
    UTLA or ICB, also those the instance has no area in), in layout order.

    ``tiers`` is the (A,) tier index serving the function in each area (a row of a result's
    assignment). Columns: ``name``, ``hex`` (the layout's hex: a shared parent's for the
    halves), ``half`` (0 whole, 1 top, 2 bottom), ``tier`` (serving most of its people; ""
    with no area), ``colour``, ``mixed`` (its areas are served by different tiers),
    ``areas``, ``people`` and ``tiers`` (each tier's share of its people, as text).
    ``palette`` is the tier order colours follow (default the instance's; pass the tiers of
    the instance before a scenario dropped some, so that a tier keeps its colour on every
    option's map).
    """
    lay = layout or hex_layout(level, data_dir)
    area_code = _level_codes(inst, level, codes, data_dir)
    shape = lay.index(area_code)
    if (shape < 0).any():
        bad = sorted({str(c) for c in area_code[shape < 0]})
        raise ValueError(f"{level.upper()} codes {', '.join(bad[:5])} of instance "
                         f"'{inst.name}' are not in {lay.source}; expected codes of that "
                         "layout")
    t = np.asarray(tiers, dtype=np.int64)
    if t.shape != (inst.n_areas,):
        raise ValueError(f"tiers of shape {t.shape}; expected one per area, "
                         f"({inst.n_areas},): a row of the (functions, areas) assignment")
    people, count = _tier_mix(inst, t, shape, len(lay))
    areas = count.sum(axis=1)
    weight = np.where(people.sum(axis=1, keepdims=True) > 0, people, count)
    main = weight.argmax(axis=1)
    labels = np.array([*inst.tier_ids, "no tier"], dtype=object)
    pal = _palette(inst, palette)
    colours = np.array([*(pal[t] for t in inst.tier_ids), NO_TIER_COLOUR], dtype=object)
    share = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-300)
    text = [", ".join(f"{labels[k]} {fmt_share(share[i, k])}"
                      for k in np.argsort(-share[i], kind="stable") if share[i, k] > 0)
            for i in range(len(lay))]
    has = areas > 0
    return pd.DataFrame({
        "name": lay.names, "hex": lay.hex_id, "half": lay.half,
        "tier": np.where(has, labels[main], ""),
        "colour": np.where(has, colours[main], NO_AREA_COLOUR),
        "mixed": (count > 0).sum(axis=1) > 1,
        "areas": areas, "people": people.sum(axis=1), "tiers": text,
    }, index=pd.Index(lay.codes, name=level))


def differing_functions(inst: Instance, assignment: np.ndarray) -> np.ndarray:
    """Indices of the functions whose tier differs between areas."""
    a = np.asarray(assignment)
    if a.ndim != 2:
        return np.zeros(0, dtype=np.int64)
    return np.nonzero((a != a[:, :1]).any(axis=1))[0]


def _is_dark(colour: str) -> bool:
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return 0.299 * r + 0.587 * g + 0.114 * b < 0.55


def _draw(ax: Axes, lay: HexLayout, shade: pd.DataFrame, labels: bool = False,
          edge: float = 0.6) -> None:
    """The hexes in their colours, white hatching over the mixed ones, optional labels."""
    from matplotlib.collections import PolyCollection

    polys = hex_polygons(lay)
    face = shade["colour"].to_numpy(dtype=object)
    ax.add_collection(PolyCollection(polys, facecolors=list(face), edgecolors="white",
                                     linewidths=edge))
    mixed = np.nonzero(shade["mixed"].to_numpy())[0]
    if mixed.size:
        # one patch each: hatch colour follows the patch's edge colour on every matplotlib
        # release the project supports, which a collection's does not
        from matplotlib.patches import Polygon

        for i in mixed.tolist():
            ax.add_patch(Polygon(polys[i], closed=True, fill=False, hatch=_HATCH,
                                 edgecolor="white", linewidth=0))
    if labels:
        for i, short in enumerate(lay.short.tolist()):
            x, y = polys[i].mean(axis=0)
            ax.text(x, y, str(short), ha="center", va="center", fontsize=5.8,
                    color="white" if _is_dark(str(face[i])) else _INK)
    pts = np.concatenate(polys)
    ax.set_xlim(pts[:, 0].min() - 0.3, pts[:, 0].max() + 0.3)
    ax.set_ylim(pts[:, 1].min() - 0.3, pts[:, 1].max() + 0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _palette(inst: Instance, order: Sequence[str] | None) -> dict[str, str]:
    """Tier id -> colour, following ``order`` (default: the instance's tiers as loaded,
    :func:`placement.charts.figures.palette`), then any tier it lacks."""
    if order is None:
        return palette(inst)
    ids = list(order)
    ids += [t for t in inst.tier_ids if t not in ids]
    return tier_colours(ids)


def _handles(inst: Instance, shades: Sequence[pd.DataFrame],
             palette: Sequence[str] | None = None) -> list[Artist]:
    """Legend entries: every tier drawn, in tier order and colour; then the hatching, hexes
    without a tier and hexes without an area, when any map has them."""
    from matplotlib.patches import Patch

    used = set().union(*(set(s["tier"]) for s in shades))
    pal = _palette(inst, palette)
    out: list[Artist] = [Patch(facecolor=pal[t], edgecolor="white", label=t)
                         for t in inst.tier_ids if t in used]
    if "no tier" in used:
        out.append(Patch(facecolor=NO_TIER_COLOUR, edgecolor="white", label="no tier"))
    if any(s["mixed"].any() for s in shades):
        out.append(Patch(facecolor="#777777", edgecolor="white", hatch=_HATCH,
                         label=MIXED_LABEL))
    if any((s["areas"] == 0).any() for s in shades):
        out.append(Patch(facecolor=NO_AREA_COLOUR, edgecolor="#cccccc",
                         label="no area in the instance"))
    return out


def _footnote(lay: HexLayout, width: int) -> str:
    """The attribution, and which half of a shared hex is which authority."""
    parts = [f"{ATTRIBUTION}. Each hex is one {_LEVEL_WORDS[lay.level]}, whatever its size."]
    splits = lay.splits()
    if splits:
        name = dict(zip(lay.codes.tolist(), lay.names.tolist(), strict=True))
        hexname = dict(zip(lay.hex_id.tolist(), lay.hex_name.tolist(), strict=True))
        each = [f"{hexname[h]}'s into {name[top]} (top) and {name[bottom]} (bottom)"
                for h, (top, bottom) in splits.items()]
        parts.append("Authorities created after the layout share their predecessor's hex, "
                     "split in halves: " + "; ".join(each) + ".")
    return "\n".join(textwrap.fill(p, width) for p in parts)


def _legend(fig: Figure, handles: list[Artist]) -> None:
    # right of the maps: above them it would collide with the suptitle, which constrained
    # layout does not keep clear of an outside legend
    fig.legend(handles=handles, loc="outside right upper", fontsize=7.5, frameon=False,
               handlelength=1.6, labelspacing=0.8)


def _title(fig: Figure, text: str, inches: float, size: float) -> None:
    """A left-aligned title wrapped to ``inches`` (clear of the legend on the right)."""
    chars = max(int(inches * 72 / (0.55 * size)), 20)
    fig.suptitle(textwrap.fill(text, chars), fontsize=size, color=_INK, x=0.02, ha="left")


def _note(fig: Figure, lay: HexLayout, inches: float) -> None:
    """The attribution footnote, wrapped to the figure's width."""
    chars = max(int((inches - 0.4) * 72 / (0.52 * 6.5)), 40)
    fig.supxlabel(_footnote(lay, chars), fontsize=6.5, color="#555555", x=0.02, ha="left")


def function_map(inst: Instance, assignment: np.ndarray, function: str, *,
                 level: Level = "utla", codes: AreaCodes | None = None,
                 data_dir: str | Path | None = None,
                 palette: Sequence[str] | None = None) -> Figure:
    """One function on the hex map of UTLAs (``level="utla"``) or ICBs: each hex in the
    colour of the tier serving most of its people, hatched where its pieces differ.

    ``assignment`` is a per-area result's (F, A) tiers; ``codes`` the UTLA and ICB of each
    area (default :func:`placement.charts.hexes.area_codes`).
    """
    f = _function_index(inst, function)
    tiers = np.asarray(assignment)
    if tiers.ndim != 2 or tiers.shape != (inst.n_functions, inst.n_areas):
        raise ValueError(f"assignment of shape {tiers.shape}; expected (functions, areas) = "
                         f"({inst.n_functions}, {inst.n_areas}) from an instance with areas")
    lay = hex_layout(level, data_dir)
    shade = map_shading(inst, tiers[f], level, codes, data_dir, lay, palette)
    utla = level == "utla"
    fig = _figure(9.0, 8.6 if utla else 7.4)
    ax = fig.add_subplot()
    _draw(ax, lay, shade, labels=not utla, edge=0.6 if utla else 1.2)
    name = str(inst.functions.names[f])
    _title(fig, f"{name}: the tier serving it in each {_LEVEL_WORDS[level]}", 6.6, 11)
    share = (np.asarray(inst.units.area_population, dtype=float) / inst.units.total_population)
    by_tier = np.bincount(np.where(tiers[f] < 0, inst.n_tiers, tiers[f]), weights=share,
                          minlength=inst.n_tiers + 1)[:inst.n_tiers]
    said = ", ".join(f"{t} {fmt_share(by_tier[i])}" for i, t in enumerate(inst.tier_ids)
                     if by_tier[i] > 0)
    ax.set_title(textwrap.fill(f"{function} in instance {inst.name}. Share of the people "
                               f"served at each tier: {said}", 95), fontsize=7.5,
                 color="#555555", loc="left")
    handles = _handles(inst, [shade], palette)
    _legend(fig, handles)
    _note(fig, lay, 9.0)
    return fig


def area_maps(inst: Instance, assignment: np.ndarray, functions: Sequence[str] | None = None,
              *, level: Level = "utla", codes: AreaCodes | None = None,
              data_dir: str | Path | None = None, ncols: int = 4,
              palette: Sequence[str] | None = None) -> Figure:
    """Small multiples: one hex map (UTLAs, or ICBs) per function whose structure differs by
    area (or per function of ``functions``), each titled with its name; at most
    :data:`MAX_MAPS`."""
    tiers = np.asarray(assignment)
    if functions is None:
        idx = differing_functions(inst, tiers)
    else:
        idx = np.array([_function_index(inst, f) for f in functions], dtype=np.int64)
    lay = hex_layout(level, data_dir)
    codes = codes if codes is not None else area_codes(inst, data_dir)
    shown = idx[:MAX_MAPS]
    n = max(len(shown), 1)
    cols = max(1, min(ncols, n))
    rows = -(-n // cols)
    width = 2.45 * cols + 2.0
    fig = _figure(width, 2.7 * rows + 1.2)
    more = f" (the first {len(shown)} of {len(idx)})" if len(idx) > len(shown) else ""
    what = ("Functions done by different tiers in different places" if functions is None
            else "Functions by place")
    _title(fig, f"{what}{more}: the tier serving each {_LEVEL_WORDS[level]}",
           max(width - 2.2, 2.4), 10)
    if not len(shown):
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "every function is done by the same tier everywhere", ha="center",
                va="center", fontsize=9, transform=ax.transAxes)
        ax.set_axis_off()
        _note(fig, lay, width)
        return fig
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    shades = []
    for ax, f in zip(axes, shown.tolist(), strict=False):
        shade = map_shading(inst, tiers[f], level, codes, data_dir, lay, palette)
        shades.append(shade)
        _draw(ax, lay, shade, edge=0.25)
        ax.set_title(textwrap.fill(str(inst.functions.names[f]), 30), fontsize=7.5,
                     color=_INK)
    for ax in axes[len(shown):]:
        ax.set_axis_off()
    handles = _handles(inst, shades, palette)
    _legend(fig, handles)
    _note(fig, lay, width)
    return fig

