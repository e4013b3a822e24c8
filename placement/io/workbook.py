"""Tables out as an Excel workbook (``-f xlsx``): one sheet per table, numbers as numbers, for
strategists who live in spreadsheets.

openpyxl is imported only when a workbook is written. The file is written atomically, so a
failure leaves no partial workbook.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from placement.util import write_bytes_atomic

__all__ = ["write_workbook", "workbook_bytes", "sheet_name", "cell_value"]

#: Excel's limit on a sheet name, and the characters it refuses in one.
MAX_SHEET_NAME = 31
BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
#: Columns no wider than this (characters) when sized to their contents.
MAX_WIDTH = 60


def sheet_name(name: str, taken: set[str]) -> str:
    """``name`` as Excel accepts it (31 characters, none of ``[]:*?/\\``), unique among
    ``taken`` (compared without case, as Excel does) and added to it."""
    base = BAD_SHEET_CHARS.sub("_", name).strip("'") or "sheet"
    out, k = base[:MAX_SHEET_NAME], 1
    while out.lower() in taken:
        k += 1
        suffix = f" ({k})"
        out = base[:MAX_SHEET_NAME - len(suffix)] + suffix
    taken.add(out.lower())
    return out


def cell_value(v: Any) -> Any:
    """A value a cell can hold: numbers as numbers, NaN and infinities empty (as the JSON
    writes ``null``), containers as JSON text.

    >>> cell_value(np.float64(2.5)), cell_value(float("nan")), cell_value({"a": 1})
    (2.5, None, '{"a": 1}')
    """
    if v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Mapping | list | tuple | set | np.ndarray):
        seq = v.tolist() if isinstance(v, np.ndarray) else v
        return json.dumps(list(seq) if isinstance(seq, set | tuple) else seq, default=str)
    if v is pd.NA or v is pd.NaT:
        return None
    return str(v)


def _rows(df: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of ``df``, its index as the first column when it is named."""
    named = any(n is not None for n in df.index.names)
    frame = df.reset_index() if named else df
    header = [str(c) for c in frame.columns]
    rows = [[cell_value(v) for v in row] for row in frame.itertuples(index=False, name=None)]
    return header, rows


def workbook_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """The workbook of ``sheets`` (sheet title -> table), in order, as ``.xlsx`` bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    first = wb.active
    taken: set[str] = set()
    for title, df in sheets.items():
        ws = wb.create_sheet(sheet_name(title, taken))
        header, rows = _rows(df)
        ws.append(header)
        for row in rows:
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        for j, name in enumerate(header, start=1):
            longest = max([len(name)] + [len(str(r[j - 1])) for r in rows[:200]
                                         if r[j - 1] is not None])
            ws.column_dimensions[get_column_letter(j)].width = min(longest + 2, MAX_WIDTH)
    if first is not None and len(wb.sheetnames) > 1:
        wb.remove(first)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_workbook(path: str | Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """Write ``sheets`` to ``path`` as an ``.xlsx`` workbook, atomically."""
    return write_bytes_atomic(path, workbook_bytes(sheets))
