"""The structure of a per-area placement as a picture: the share of people each function is
done for at each tier (docs/model.md section 9)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.charts.figures import _figure, _row_label, _style
from placement.util.numbers import share

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["share_heatmap"]

#: Rows drawn at most (the rest are in the tables beside the chart).
MAX_ROWS = 70


def share_heatmap(shares: pd.DataFrame, names: pd.Series | None = None,
                  mixed_first: bool = True) -> Figure:
    """Functions (rows) x tiers (columns), coloured by the share of the people each function is
    done for at that tier, with the percentage written in every cell above 0.5%.

    ``shares`` is :attr:`placement.Result.tier_shares`; ``names`` labels the rows (function
    name by id) when given. With ``mixed_first``, functions done at more than one tier come
    first, so the ones that differ by area are the ones in view.
    """
    df = shares
    if mixed_first:
        mixed = (df.to_numpy() > 1e-9).sum(axis=1) > 1
        df = df.iloc[np.argsort(~mixed, kind="stable")]
    shown = df.iloc[:MAX_ROWS]
    F, T = shown.shape
    # 8.5 pt numbers and names on up to two lines: readable when the page is 800 px wide
    fig = _figure(8.0, 1.2 + 0.3 * max(F, 1))
    ax = fig.add_subplot()
    vals = shown.to_numpy(dtype=float)
    ax.imshow(vals, aspect="auto", cmap="Blues", vmin=0.0, vmax=1.0)
    for i, j in zip(*np.nonzero(vals > 0.005), strict=True):
        v = vals[i, j]
        ax.text(j, i, share(v), ha="center", va="center", fontsize=8.5,
                color="white" if v > 0.55 else "#222222")
    ax.set_xticks(range(T))
    ax.set_xticklabels([str(c) for c in shown.columns], fontsize=8, rotation=20, ha="left")
    ax.xaxis.tick_top()
    labels = [str(names.get(f, f)) if names is not None else str(f) for f in shown.index]
    ax.set_yticks(range(F))
    ax.set_yticklabels([_row_label(lab) for lab in labels], fontsize=7.5)
    if mixed_first:
        k = int(((shown.to_numpy() > 1e-9).sum(axis=1) > 1).sum())
        if 0 < k < F:
            ax.axhline(k - 0.5, color="#555555", linewidth=0.8)
    if len(df) > F:
        ax.set_title(f"first {F} of {len(df)} functions", fontsize=8, loc="left")
    _style(ax)
    return fig
