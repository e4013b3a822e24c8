"""A table of text cells read from a CSV file or a DataFrame, without pandas.

Loading an instance is on the path of every command, and importing pandas alone cost more CPU
than the rest of ``placement solve``; the readers need far less than a DataFrame: columns by
name, rows kept by a mask, a left join, and numbers parsed strictly. Every cell is stripped
text ("" when blank); :func:`numbers` parses a column the way the readers accept figures.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["Table", "numbers", "first_codes", "repeated"]

# One way only to match a cell (no backtracking to try), and none into earlier cells: a long
# column that fails late costs one pass, not one per split of its digits.
_NUMBER = r"[+-]?(?:\d++(?:\.\d*+)?+|\.\d++)(?:[eE][+-]?\d++)?+|[+-]?(?:inf(?:inity)?|nan)"
_CELL = re.compile(_NUMBER, re.ASCII | re.IGNORECASE)
_COLUMN = re.compile(rf"(?:(?:{_NUMBER})?+\n)*+", re.ASCII | re.IGNORECASE)


def numbers(cells: np.ndarray) -> np.ndarray:
    """The cells as floats; NaN where a cell is blank or not a number.

    A number is written with ASCII digits, an optional sign, point and exponent (``1``,
    ``-2.5``, ``.5``, ``3e6``); ``inf`` and ``nan`` parse to themselves, for the callers'
    finiteness checks to name. Thousands separators, underscores and other scripts' digits are
    not numbers (Python's ``float`` would take the last two).

    >>> numbers(np.array(["1", " ", "", "2.5e1", "1_000", "x", "-inf"], dtype=object))
    array([  1.,  nan,  nan,  25.,  nan,  nan, -inf])
    """
    text = [str(c).strip() for c in cells.tolist()]
    if not text:
        return np.zeros(0)
    if _COLUMN.fullmatch("\n".join(text) + "\n"):  # every cell a number or blank: one pass
        return np.array([c or "nan" for c in text], dtype=float)
    return np.array([float(c) if c and _CELL.fullmatch(c) else math.nan for c in text])


def first_codes(cells: np.ndarray | Sequence[Any]) -> np.ndarray:
    """A code per cell, numbering distinct values in order of first appearance.

    >>> first_codes(np.array(["b", "a", "b", "c"], dtype=object))
    array([0, 1, 0, 2])
    """
    seen: dict[Any, int] = {}
    values = cells.tolist() if isinstance(cells, np.ndarray) else list(cells)
    return np.array([seen.setdefault(c, len(seen)) for c in values], dtype=np.int64)


def repeated(cells: np.ndarray | Sequence[Any]) -> np.ndarray:
    """Whether each cell repeats an earlier one (the first of each value is not repeated).

    >>> repeated(np.array(["a", "b", "a"], dtype=object))
    array([False, False,  True])
    """
    codes = first_codes(cells)
    first = np.zeros(len(codes), dtype=bool)
    if len(codes):
        _, at = np.unique(codes, return_index=True)
        first[at] = True
    return ~first


class Table:
    """Named columns of stripped text cells, with the file line (or label) of every row.

    ``lines`` holds each row's line in its file, for problem messages; a table made from a
    DataFrame has ``labels`` (its index) instead. ``origin`` maps a joined column to the file
    its cells came from and each row's line there.
    """

    __slots__ = ("columns", "_cells", "lines", "labels", "origin", "_n")

    def __init__(self, columns: Sequence[str], cells: Mapping[str, np.ndarray],
                 lines: list[int] | None = None, labels: list[Any] | None = None,
                 origin: dict[str, tuple[str, list[int | None]]] | None = None) -> None:
        self.columns = list(columns)
        self._cells = {c: cells[c] for c in self.columns}
        self.lines = lines
        self.labels = labels
        self.origin = dict(origin or {})
        first = next(iter(self._cells.values()), None)
        self._n = len(first) if first is not None else len(lines or labels or ())

    @classmethod
    def from_rows(cls, header: Sequence[str], rows: Sequence[Sequence[str]],
                  lines: list[int]) -> Table:
        """A table from rows of cells as long as the header (already stripped)."""
        grid = np.empty((len(rows), len(header)), dtype=object)
        if rows:
            grid[:] = rows
        return cls(header, {c: grid[:, j] for j, c in enumerate(header)}, lines=lines)

    @classmethod
    def from_frame(cls, df: Any) -> Table:
        """A table from a DataFrame: every cell as text, a missing one (None, NaN, NA) blank,
        a float written so that it reads back exactly; rows located by the index."""
        cells = {str(c).strip(): np.array([_text(v) for v in df[c].tolist()], dtype=object)
                 for c in df.columns}
        header = [str(c).strip() for c in df.columns]
        return cls(header, cells, labels=list(df.index))

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]]) -> Table:
        """A table from rows as mappings; columns in order of first appearance, a column a
        row lacks blank there; rows located by their position."""
        header = list(dict.fromkeys(c for r in records for c in r))
        cells = {c: np.array([_text(r.get(c)) for r in records], dtype=object) for c in header}
        return cls(header, cells, labels=list(range(len(records))))

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, column: str) -> np.ndarray:
        return self._cells[column]

    def __contains__(self, column: object) -> bool:
        return column in self._cells

    @property
    def empty(self) -> bool:
        return len(self) == 0

    def locate(self, i: int) -> str:
        """Row ``i`` (0-based) in the words problems use: ``line N``, or ``row LABEL``."""
        if self.lines is not None:
            return f"line {self.lines[i]}"
        return f"row {self.labels[i] if self.labels is not None else i}"

    def take(self, rows: np.ndarray) -> Table:
        """The rows a boolean mask or an array of positions picks, in that order."""
        at = np.nonzero(rows)[0] if rows.dtype == bool else np.asarray(rows, dtype=np.int64)
        pick = at.tolist()
        origin = {c: (f, [ln[i] for i in pick]) for c, (f, ln) in self.origin.items()}
        return Table(self.columns, {c: v[at] for c, v in self._cells.items()},
                     None if self.lines is None else [self.lines[i] for i in pick],
                     None if self.labels is None else [self.labels[i] for i in pick], origin)

    def select(self, columns: Iterable[str]) -> Table:
        cols = list(columns)
        return Table(cols, self._cells, self.lines, self.labels,
                     {c: o for c, o in self.origin.items() if c in cols})

    def rename(self, names: Mapping[str, str]) -> Table:
        cols = [names.get(c, c) for c in self.columns]
        cells = {names.get(c, c): v for c, v in self._cells.items()}
        return Table(cols, cells, self.lines, self.labels,
                     {names.get(c, c): o for c, o in self.origin.items()})

    def with_columns(self, cells: Mapping[str, np.ndarray],
                     origin: Mapping[str, tuple[str, list[int | None]]]) -> Table:
        """This table with more columns (each as long as the table) and where they came from."""
        return Table([*self.columns, *cells], {**self._cells, **cells}, self.lines,
                     self.labels, {**self.origin, **origin})

    def records(self) -> list[dict[str, str]]:
        """Every row as a mapping from column to cell."""
        cols = [self._cells[c].tolist() for c in self.columns]
        return [dict(zip(self.columns, row, strict=True)) for row in zip(*cols, strict=True)]

    def row_keys(self) -> list[tuple[str, ...]]:
        """One hashable key per row (its cells), for finding repeated rows."""
        return list(zip(*(self._cells[c].tolist() for c in self.columns), strict=True))


def _text(v: Any) -> str:
    """A DataFrame cell as the text a CSV file would hold."""
    if v is None:
        return ""
    if isinstance(v, float | np.floating):
        return "" if math.isnan(v) else repr(float(v))
    try:
        if v != v:  # pandas NA and NaT
            return ""
    except TypeError:  # pandas NA: its comparisons are NA, whose truth is undefined
        return ""
    return str(v).strip()
