"""The blocks a report section is made of (paragraphs, tables, charts), and how numbers and
shares are written in them.

A section is computed once as blocks and rendered twice (HTML and Markdown) from the same
blocks, so the two cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.charts import png_bytes

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["Paragraph", "Table", "Chart", "Block", "Section", "number", "percent",
           "frame_table", "chart", "MAX_TABLE_ROWS"]

#: Rows a table shows before the rest is left to report.json.
MAX_TABLE_ROWS = 500


# -- the blocks a section is made of ----------------------------------------------------------
@dataclass
class Paragraph:
    """Plain text (escaped when rendered); ``items`` make it a bulleted list."""

    text: str = ""
    items: list[str] = field(default_factory=list)


@dataclass
class Table:
    """A table of already formatted cells; ``numeric`` columns align right."""

    headers: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    caption: str = ""
    collapsed: bool = False  # shown behind a "details" toggle (long tables)
    note: str = ""


@dataclass
class Chart:
    """A figure rendered to PNG, with the caption a reader needs to read it."""

    name: str
    png: bytes
    caption: str
    alt: str


Block = Paragraph | Table | Chart


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block]


def number(x: Any, digits: int = 4) -> str:
    """A number for a reader: thousands separators, ``digits`` significant figures, "-" for
    missing; integers as integers.

    >>> number(583.50848), number(44446.0), number(None), number(float("inf")), number(0.0441382)
    ('583.5', '44,446', '-', 'unbounded', '0.04414')
    >>> number(3719.9999999), number(12345.6)
    ('3,720', '12,346')
    """
    if x is None or isinstance(x, str):
        return "-" if x is None else x
    if isinstance(x, bool | np.bool_):
        return "yes" if x else "no"
    v = float(x)
    if math.isnan(v):
        return "-"
    if math.isinf(v):
        return "unbounded" if v > 0 else "-unbounded"
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def percent(x: float | None, digits: int = 1) -> str:
    """A share as a percentage.

    >>> percent(0.0222), percent(None), percent(1.0)
    ('2.2%', '-', '100%')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x in (0.0, 1.0):
        return f"{x:.0%}"
    return f"{x:.{digits}%}"


def frame_table(df: pd.DataFrame, index: str | None, caption: str = "", *,
                 collapsed: bool = False, pct: Sequence[str] = ()) -> Table:
    """Any DataFrame as a :class:`Table` (the index as the first column when ``index``)."""
    headers = ([index] if index is not None else []) + [str(c) for c in df.columns]
    numeric = ([False] if index is not None else []) + [
        df[c].dtype.kind in "fiu" for c in df.columns]
    rows = []
    shown = df.iloc[:MAX_TABLE_ROWS]
    for idx, row in zip(shown.index.tolist(), shown.itertuples(index=False), strict=True):
        cells = [percent(v) if c in pct else number(v) for c, v in zip(df.columns, row,
                                                                   strict=True)]
        rows.append(([str(idx)] if index is not None else []) + cells)
    note = (f"first {MAX_TABLE_ROWS} of {len(df)} rows; report.json has them all"
            if len(df) > MAX_TABLE_ROWS else "")
    return Table(headers, rows, numeric, caption, collapsed, note)


def chart(name: str, fig: Figure, caption: str, alt: str) -> Chart:
    return Chart(name, png_bytes(fig), caption, alt)


