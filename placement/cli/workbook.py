"""``-f xlsx`` on ``solve``, ``compare`` and ``report``: one sheet per table, written to the
file ``--output`` names (atomically; openpyxl is imported only then)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from placement.cli.common import OutputFormat, err, fail

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SheetFormat", "SheetFormatOpt", "plain_format", "write_sheets"]


class SheetFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


SheetFormatOpt = Annotated[
    SheetFormat,
    typer.Option("--format", "-f",
                 help="table, json, csv, or xlsx (an Excel workbook, one sheet per table; "
                      "needs --output FILE)."),
]


def plain_format(fmt: SheetFormat, output: Path | None) -> OutputFormat | None:
    """The command's own format, or ``None`` for xlsx (checked early: --output is a file
    whose directory exists)."""
    if fmt is not SheetFormat.xlsx:
        return OutputFormat(fmt.value)
    if output is None:
        fail("-f xlsx writes a workbook: give the file with --output FILE.xlsx")
    parent = output.parent if str(output.parent) else Path(".")
    if not parent.is_dir():
        fail(f"--output {output}: the directory {parent} does not exist")
    if output.is_dir():
        fail(f"--output {output}: expected a file to write the workbook to (it is a directory)")
    return None


def write_sheets(output: Path | None, sheets: Mapping[str, pd.DataFrame]
                 | Callable[[], Mapping[str, pd.DataFrame]]) -> None:
    """Write the sheets to ``output`` as an Excel workbook, atomically."""
    from placement.io.workbook import write_workbook

    assert output is not None  # plain_format checked it
    tables = sheets() if callable(sheets) else sheets
    write_workbook(output, tables)
    err.print(f"wrote {output} ({len(tables)} sheets: {', '.join(tables)})", highlight=False)
