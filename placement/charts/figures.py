"""Charts of one placement and its analyses: value heatmap, functions per tier, baselines,
options, robustness.

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (so it is
safe in any backend, thread or server) and draws only what its arguments hold; nothing is
re-solved here. :func:`png_bytes` renders a figure to PNG. ``placement report`` embeds these;
analysts can call them directly.

Tiers keep one colour everywhere, from most central (dark blue) to most local (brown), so a
reader learns the key once.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from placement.model.sense import Sense
from placement.util.numbers import fmt, signed

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from placement.analysis.compare import Comparison
    from placement.analysis.montecarlo_result import MonteCarlo
    from placement.model import Instance
    from placement.solution.result import Result

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
    "MAX_ROWS",
]

#: Central to local. Colour-blind safe (Okabe-Ito order rearranged to run dark to warm).
TIER_COLOURS = ("#1f4e79", "#0072b2", "#56b4e9", "#009e73", "#e69f00", "#d55e00", "#cc79a7",
                "#999999", "#f0e442", "#000000")

#: Rows (functions) a per-function chart draws at most; the rest is counted in the title.
MAX_ROWS = 120

_INK = "#222222"
_GRID = "#dddddd"


def tier_colours(tier_ids: Sequence[str]) -> dict[str, str]:
    """One colour per tier, in tier order (cycling past ten tiers).

    >>> tier_colours(["national", "local"])
    {'national': '#1f4e79', 'local': '#0072b2'}
    """
    return {t: TIER_COLOURS[i % len(TIER_COLOURS)] for i, t in enumerate(tier_ids)}


def palette(inst: Instance, extra: Sequence[str] = ()) -> dict[str, str]:
    """Tier id -> colour for ``inst``: in the order of its tiers as loaded (before a scenario
    dropped any), so a tier has one colour on every chart; then any ``extra`` tier."""
    ids = list(inst.palette_tiers or inst.tier_ids)
    ids += [t for t in (*inst.tier_ids, *extra) if t not in ids]
    return tier_colours(ids)


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG bytes.

    >>> png_bytes(_figure(1, 1))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def _robust_limit(x: np.ndarray) -> float:
    """A scale for differences that one outlier does not flatten: the largest magnitude, or,
    when it is over three times the next, 1.3 times the next.

    >>> _robust_limit(np.array([-1.0, -2.0, -300.0, 0.0])), _robust_limit(np.array([0.0]))
    (2.6, 1.0)
    """
    a = np.sort(np.abs(x[np.isfinite(x)]))
    a = a[a > 0]
    if not len(a):
        return 1.0
    if len(a) > 1 and a[-1] > 3 * a[-2]:
        return float(1.3 * a[-2])
    return float(a[-1])


def _row_label(name: str, width: int = 42) -> str:
    r"""A function's name as a row label: on up to two lines of ``width`` characters.

    >>> _row_label("Commissioning of national immunisation and screening programmes")
    'Commissioning of national immunisation and\nscreening programmes'
    """
    import textwrap

    return "\n".join(textwrap.wrap(name, width, max_lines=2, placeholder=" ..."))


def _count(v: float) -> str:
    """A bar's count: whole functions as integers, population-weighted ones to 0.1."""
    if v < 0.05:
        return ""
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _style(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(colors=_INK, labelsize=8)


def display_order(inst: Instance, assignment: np.ndarray) -> np.ndarray:
    """Functions ordered for reading: by tier of ``assignment`` (central first), then
    category, then file order."""
    cats = np.asarray(inst.functions.categories, dtype=str)
    return np.lexsort((np.arange(inst.n_functions), cats, np.asarray(assignment)))


def value_heatmap(inst: Instance, assignment: np.ndarray,
                  order: np.ndarray | None = None) -> Figure:
    """The value ``v[f, t]`` of every function at every tier, the chosen tier outlined, the
    current tier (where different) marked with a ring, tiers a function may not take hatched.

    Rows follow ``order`` (default :func:`display_order`), at most :data:`MAX_ROWS`.
    """
    from matplotlib.patches import Rectangle

    a = np.asarray(assignment, dtype=np.int64)
    idx = display_order(inst, a) if order is None else np.asarray(order)
    shown = idx[:MAX_ROWS]
    V = inst.value_matrix[shown]
    allowed = inst.functions.allowed[shown]
    current = inst.functions.current[shown]
    F, T = V.shape
    # sized so that the page's 800 px show the cell numbers about 10 px tall: narrow tier
    # columns, 9 pt numbers, names (on up to two lines) as row labels
    fig = _figure(3.4 + 0.8 * T + 0.9, 1.5 + 0.34 * F)
    ax = fig.add_subplot()
    masked = np.ma.masked_where(~allowed, V)
    finite = V[allowed] if allowed.any() else np.zeros(1)
    im = ax.imshow(masked, aspect="auto", cmap="YlGnBu", vmin=min(0.0, float(finite.min())),
                   vmax=float(finite.max()) or 1.0, interpolation="nearest")
    span = float(finite.max() - min(0.0, float(finite.min()))) or 1.0
    for i in range(F):
        for t in range(T):
            if not allowed[i, t]:
                ax.add_patch(Rectangle((t - 0.5, i - 0.5), 1, 1, facecolor="#f2f2f2",
                                       edgecolor="#bbbbbb", hatch="///", linewidth=0))
                continue
            dark = (V[i, t] - min(0.0, float(finite.min()))) / span > 0.6
            ax.text(t, i, fmt(float(V[i, t])), ha="center", va="center", fontsize=9,
                    color="white" if dark else _INK)
    rows = np.arange(F)
    for i in rows.tolist():
        ax.add_patch(Rectangle((a[shown[i]] - 0.5, i - 0.5), 1, 1, fill=False,
                               edgecolor="#c0392b", linewidth=1.8))
    moved = (current >= 0) & (current != a[shown])
    if moved.any():
        ax.plot(current[moved] + 0.36, rows[moved] - 0.22, linestyle="none", marker="o",
                markersize=4, markerfacecolor="white", markeredgecolor="#c0392b",
                markeredgewidth=1.0)
    ax.set_xticks(range(T))
    ax.set_xticklabels([f"{t.id.replace('_', ' ')}\n({t.units:,} unit"
                        f"{'s' if t.units != 1 else ''})" for t in inst.tiers], fontsize=8,
                       rotation=30, ha="left", rotation_mode="anchor")
    ax.xaxis.tick_top()
    ax.set_yticks(range(F))
    ax.set_yticklabels([_row_label(str(x)) for x in inst.functions.names[shown]], fontsize=8)
    for b in np.nonzero(np.diff(a[shown]) != 0)[0].tolist():
        ax.axhline(b + 0.5, color="#555555", linewidth=0.8)
    if len(idx) > F:
        ax.set_title(f"first {F} of {len(idx)} functions", fontsize=8, loc="left")
    cb = fig.colorbar(im, ax=ax, shrink=0.35, pad=0.01, aspect=25)
    cb.set_label("value v[f, t]" if inst.sense is Sense.MAX else "cost", fontsize=8)
    cb.ax.tick_params(labelsize=7)
    return fig


def functions_per_tier(inst: Instance, columns: Mapping[str, Mapping[str, float]]) -> Figure:
    """One stacked bar per placement (``columns``: name -> tier -> count, in display order):
    how many functions it puts at each tier, in the tier colours. Tiers beyond the instance's
    own (a scenario's optional tiers) follow them."""
    tiers: list[str] = list(inst.tier_ids)
    for counts in columns.values():
        tiers += [t for t in counts if t not in tiers]
    names = list(columns)
    fig = _figure(8.0, 1.4 + 0.36 * max(len(names), 1))
    ax = fig.add_subplot()
    colours = palette(inst, tiers)
    y = np.arange(len(names))[::-1]
    left = np.zeros(len(names))
    for t in tiers:
        w = np.array([columns[n].get(t, 0) for n in names], dtype=float)
        bars = ax.barh(y, w, left=left, color=colours[t], label=t, edgecolor="white",
                       linewidth=0.6)
        ax.bar_label(bars, labels=[_count(v) for v in w], label_type="center",
                     fontsize=7, color="white" if t in tiers[:2] else _INK)
        left += w
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xlim(0, max(left.max() if len(left) else 1.0, 1.0))
    ax.set_xlabel("functions", fontsize=8)
    ax.legend(fontsize=7, ncols=min(len(tiers), 7), loc="lower center",
              bbox_to_anchor=(0.5, 1.0), frameon=False)
    _style(ax)
    return fig


def baselines_chart(result: Result) -> Figure:
    """The optimum against the status quo and every one-size baseline (all functions at one
    tier; with pins, all that may move there, the others kept): value, with infeasible
    options hatched and their loss against the optimum."""
    inst = result.instance
    b = result.baselines or {}
    rows: list[tuple[str, float, bool, str]] = []
    if result.objective is not None:
        rows.append(("optimum", float(result.objective), True, "#c0392b"))
    sq = b.get("status_quo")
    if sq:
        rows.append(("status quo", float(sq["value"]), bool(sq["feasible"]), "#7f8c8d"))
    colours = palette(inst)
    free = b.get("one_size_free") or {}
    pins = any(row["kept"] for row in free.values())  # else the same as one_size
    for t, row in (free if pins else b.get("one_size") or {}).items():
        if row["value"] is not None:
            rows.append((f"all{' free' if pins else ''} at {t}", float(row["value"]),
                         bool(row["feasible"]), colours.get(t, "#999999")))
    fig = _figure(7.5, 1.2 + 0.42 * max(len(rows), 1))
    ax = fig.add_subplot()
    if not rows:
        ax.text(0.5, 0.5, "no placement", ha="center", transform=ax.transAxes)
        return fig
    y = np.arange(len(rows))[::-1]
    vals = [r[1] for r in rows]
    for yi, (_label, v, ok, c) in zip(y, rows, strict=True):
        ax.barh(yi, v, color=c if ok else "white", edgecolor=c, hatch=None if ok else "///",
                linewidth=1.2)
    best = vals[0]
    right = max(vals + [0.0])
    for yi, (label, v, ok, _c) in zip(y, rows, strict=True):
        note = fmt(v, "objective")
        if label != "optimum" and best:
            loss = inst.sense.loss(best, v) / abs(best)
            note += f"  ({signed(-loss, 'percent')})"
        if not ok:
            note += "  infeasible"
        ax.text(max(v, 0.0) + 0.01 * right, yi, note, va="center", fontsize=7.5, color=_INK)
    ax.set_yticks(y)
    ax.set_yticklabels([r[0] for r in rows], fontsize=8)
    ax.set_xlim(min(0.0, min(vals)), right * 1.28 if right > 0 else 1.0)
    ax.set_xlabel(inst.sense.quantity, fontsize=8)
    ax.grid(axis="x", color=_GRID)
    ax.set_axisbelow(True)
    _style(ax)
    return fig


def options_chart(comparison: Comparison) -> Figure:
    """How each option differs from the optimum: on the left its total value (the bar is the
    loss against the optimum, labelled with the value and the relative gap; hatched when it
    breaks a constraint), on the right the difference in every criterion, one cell per
    option and criterion (blue better than the optimum, red worse), so that differences of a
    few percent are visible rather than lost at the end of long stacked bars."""
    opts = comparison.options
    ref = comparison.optimum
    crit = list(ref.criteria)
    sign = comparison.instance.sense.sign
    n = max(len(opts), 1)
    fig = _figure(10.0, 1.5 + 0.42 * n)
    grid = fig.add_gridspec(1, 2, width_ratios=[1.0, max(1.2, 0.55 * len(crit))])
    ax, heat = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    y = np.arange(len(opts))
    base = float(ref.value) if ref.value is not None else 0.0
    gaps = np.array([float(o.value) - base if o.value is not None else np.nan for o in opts])
    lim = _robust_limit(gaps)
    labels = []
    for yi, o, g in zip(y.tolist(), opts, gaps.tolist(), strict=True):
        colour = "#c0392b" if o.kind == "optimum" else "#4c72b0"
        shown = 0.0 if g != g else float(np.clip(g, -lim, lim))
        ax.barh(yi, shown, color=colour if o.feasible else "white", edgecolor=colour,
                hatch=None if o.feasible else "///", linewidth=1.0)
        if g == g and abs(g) > lim:  # off the scale: say so at the bar's end
            ax.text(shown, yi, " off scale", va="center", ha="right" if g > 0 else "left",
                    fontsize=7, color="white")
        note = fmt(o.value, "objective")
        if o.relative_gap is not None and o.kind != "optimum":
            note += f" ({signed(-o.relative_gap, 'percent')})"
        if not o.feasible:
            note += f", breaks {len(o.violations)}"
        labels.append(f"{o.label}: {note}")
    ax.set_xlim(-lim * 1.05 if np.nanmin(np.append(gaps, 0.0)) < 0 else -lim * 0.05,
                lim * 1.05 if np.nanmax(np.append(gaps, 0.0)) > 0 else lim * 0.05)
    ax.axvline(0.0, color=_INK, linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels(labels, fontsize=8.5)
    ax.invert_yaxis()
    ax.set_xlabel("value minus the optimum's", fontsize=8)
    ax.grid(axis="x", color=_GRID)
    ax.set_axisbelow(True)
    _style(ax)
    D = np.array([[float(o.criteria.get(c, np.nan) or 0.0) - float(ref.criteria.get(c, 0.0))
                   for c in crit] for o in opts]) if crit else np.zeros((len(opts), 1))
    big = np.abs(D[np.isfinite(D) & (D != 0)])
    # the colours saturate at the 90th percentile: one far-off option does not wash out the
    # differences between the others (every cell is labelled with its number)
    m = float(np.quantile(big, 0.9)) if big.size else 1.0
    heat.imshow(sign * D, cmap="RdBu", vmin=-m, vmax=m, aspect="auto")
    for i in range(D.shape[0]):
        for k in range(D.shape[1] if crit else 0):
            heat.text(k, i, signed(D[i, k], "gap"), ha="center", va="center", fontsize=8.5,
                      color="white" if abs(D[i, k]) > 0.6 * m else _INK)
    heat.set_xticks(range(len(crit)))
    heat.set_xticklabels([c.replace("_", " ") for c in crit], fontsize=8, rotation=20,
                         ha="right")
    heat.set_yticks([])
    heat.set_title("difference from the optimum, by criterion", fontsize=8.5, loc="left")
    return fig


def robustness_chart(mc: MonteCarlo) -> Figure:
    """Share of weight draws placing each function at each tier, for the functions that do
    not sit at their optimal tier in every draw (least robust first)."""
    inst = mc.instance
    df = mc.frame()
    tiers = list(inst.tier_ids)
    shaky = df[df["share_at_optimum"] < 1.0].sort_values("share_at_optimum", kind="stable")
    steady = len(df) - len(shaky)
    shown = shaky.iloc[:MAX_ROWS]
    fig = _figure(8.0, 1.5 + 0.24 * max(len(shown), 2))
    ax = fig.add_subplot()
    title = f"{steady} of {len(df)} functions keep their tier in all {mc.samples:,} draws"
    if not len(shown):
        ax.text(0.5, 0.5, "every function keeps its optimal tier in every draw", ha="center",
                va="center", transform=ax.transAxes, fontsize=9)
        ax.set_axis_off()
        ax.set_title(title, fontsize=9, loc="left")
        return fig
    colours = palette(mc.instance, tiers)
    y = np.arange(len(shown))[::-1]
    left = np.zeros(len(shown))
    for t in tiers:
        w = shown[t].to_numpy(dtype=float)
        ax.barh(y, w, left=left, color=colours[t], label=t, edgecolor="white", linewidth=0.4)
        left += w
    ax.set_yticks(y)
    ax.set_yticklabels([f"{fid} (opt: {row['optimum']})" for fid, row in shown.iterrows()],
                       fontsize=7)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.set_xlabel("share of draws at each tier", fontsize=8)
    more = f"; the {len(shaky) - len(shown)} next not drawn" if len(shaky) > len(shown) else ""
    ax.set_title(title + more, fontsize=8, loc="left", pad=22)
    ax.legend(fontsize=7, ncols=min(len(tiers), 7), loc="lower center",
              bbox_to_anchor=(0.5, 1.0), frameon=False)
    _style(ax)
    return fig
