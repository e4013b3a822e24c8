"""Where placements change across a sweep: for every point, how many functions sit elsewhere
than at the sweep's first point (per area: how much of the people served moved), drawn
against the first axis (a line) or the first two (a heat map; further axes averaged)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from placement.util.files import atomic_path

__all__ = ["changed_functions", "plot_changes"]


def _shares(cell: object) -> dict[str, float]:
    text = "" if cell is None or (isinstance(cell, float) and np.isnan(cell)) else str(cell)
    if ":" not in text:
        return {text: 1.0} if text else {}
    return {t: float(v) for t, v in (p.rsplit(":", 1) for p in text.split(";") if p)}


def changed_functions(table: pd.DataFrame) -> pd.Series:
    """Per point: functions placed elsewhere than at point 0 (a function moved for part of
    its people counts that part), NaN for a point with no placement."""
    tiers = [c for c in table.columns if c.startswith("tier:")]
    if table.empty or not tiers:
        return pd.Series(dtype=float)
    ref = table.iloc[0]
    out = []
    for _, row in table.iterrows():
        if row.get("status") not in ("optimal", "feasible", "time_limit") or pd.isna(
                row.get("objective")):
            out.append(np.nan)
            continue
        moved = 0.0
        for c in tiers:
            a, b = _shares(ref[c]), _shares(row[c])
            moved += 0.5 * sum(abs(a.get(t, 0.0) - b.get(t, 0.0)) for t in set(a) | set(b))
        out.append(moved)
    return pd.Series(out, index=table["point"], name="changed")


def plot_changes(table: pd.DataFrame, axes: Sequence[str], path: Path) -> Path:
    """Draw :func:`changed_functions` against the first one or two axes into ``path`` (PNG)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    df = table.assign(changed=changed_functions(table).to_numpy())
    fig = Figure(figsize=(7.5, 4.8), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    if len(axes) == 1 or df[axes[1]].nunique() == 1:
        g = df.groupby(axes[0])["changed"].mean()
        ax.plot(g.index, g.to_numpy(), marker="o", color="#1f4e79")
        ax.set_xlabel(axes[0])
        ax.set_ylabel("functions placed differently from point 0")
    else:
        grid = df.pivot_table(index=axes[1], columns=axes[0], values="changed", aggfunc="mean")
        im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(grid.shape[1]), [f"{v:.3g}" for v in grid.columns], rotation=45)
        ax.set_yticks(range(grid.shape[0]), [f"{v:.3g}" for v in grid.index])
        ax.set_xlabel(axes[0])
        ax.set_ylabel(axes[1])
        fig.colorbar(im, ax=ax, label="functions placed differently from point 0")
    ax.set_title("Where the placement changes across the sweep")
    fig.tight_layout()
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    return path
