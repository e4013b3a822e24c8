"""The blocks a report section is made of (paragraphs, tables, charts), and how numbers and
shares are written in them.

A section is computed once as blocks and rendered twice (HTML and Markdown) from the same
blocks, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from placement.charts import png_bytes
from placement.util.numbers import fmt, pct, share

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["Paragraph", "Table", "Chart", "Block", "Section", "number", "percent", "share",
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


def number(x: Any, kind: str = "value") -> str:
    """A number for a reader, as :func:`placement.util.numbers.fmt` writes ``kind`` (the
    same rules as the command line's tables); "yes"/"no" for a boolean.

    >>> number(583.50848, "objective"), number(44446.0), number(None), number(float("inf"))
    ('583.508', '44,446', '-', 'unbounded')
    >>> number(0.0441382, "gap"), number(3719.9999999, "resource"), number(-1.1e-13, "gap")
    ('0.04414', '3,720', '0')
    """
    return fmt(x, kind)


def percent(x: float | None) -> str:
    """A fraction as a percentage (relative gaps, prices): 3 significant figures.

    >>> percent(0.0222), percent(None), percent(1.0), percent(-1e-16)
    ('2.22%', '-', '100%', '0%')
    """
    return pct(x)


def frame_table(df: pd.DataFrame, index: str | None, caption: str = "", *,
                collapsed: bool = False, pct: Sequence[str] = (),
                kinds: dict[str, str] | None = None) -> Table:
    """Any DataFrame as a :class:`Table` (the index as the first column when ``index``):
    ``pct`` columns are shares (whole percent), ``kinds`` gives other columns' kind of number
    (default ``value``)."""
    kinds = kinds or {}
    headers = ([index] if index is not None else []) + [str(c) for c in df.columns]
    numeric = ([False] if index is not None else []) + [
        df[c].dtype.kind in "fiu" for c in df.columns]
    rows = []
    shown = df.iloc[:MAX_TABLE_ROWS]
    for idx, row in zip(shown.index.tolist(), shown.itertuples(index=False), strict=True):
        cells = [share(v) if c in pct else number(v, kinds.get(str(c), "value"))
                 for c, v in zip(df.columns, row, strict=True)]
        rows.append(([str(idx)] if index is not None else []) + cells)
    note = (f"first {MAX_TABLE_ROWS} of {len(df)} rows; report.json has them all"
            if len(df) > MAX_TABLE_ROWS else "")
    return Table(headers, rows, numeric, caption, collapsed, note)


def chart(name: str, fig: Figure, caption: str, alt: str) -> Chart:
    return Chart(name, png_bytes(fig), caption, alt)


