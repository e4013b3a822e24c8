"""Reading CSV files as all-text tables, with located errors instead of tracebacks."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from placement.errors import Problem
from placement.io.table import Table

__all__ = ["read_text_csv", "line_locator", "display_path"]


def display_path(path: Path) -> str:
    """``path`` as problems name it: relative to the working directory when inside it.

    Parameters
    ----------
    path
        A file or directory, relative or absolute.

    Returns
    -------
    str
        The path relative to the working directory, or ``path`` as given when it lies
        outside.

    Examples
    --------
    >>> display_path(Path.cwd() / "instances" / "tiny" / "functions.csv")
    'instances/tiny/functions.csv'
    """
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # outside; a name too long; a link loop
        return str(path)


def line_locator(table: Table) -> Callable[[int], str]:
    """Map a 0-based data row of a table read by :func:`read_text_csv` to "line N" (a table
    from a DataFrame: "row LABEL")."""
    return table.locate


def read_text_csv(path: Path, label: str, problems: list[Problem]) -> Table | None:
    """Read ``path`` with every cell as stripped text, or record why not.

    Blank lines and lines whose first cell starts with ``#`` are skipped. A row with more
    cells than the header is an error naming its line (it would shift columns otherwise); a
    shorter row is padded with blanks, as spreadsheets write them. A blank or repeated column
    name is an error too. The table's ``lines`` hold the file line of every data row, for
    error messages.
    """
    try:
        if not path.is_file():  # (is_file raises for a link loop only on some Pythons)
            problems.append(Problem(label, None, None, None, "a file at this path",
                                    missing=True))
            return None
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        problems.append(Problem(label, f"byte {e.start}", None, None,
                                "text encoded as UTF-8 (save the spreadsheet as CSV UTF-8)"))
        return None
    except (OSError, RuntimeError) as e:  # a name too long, no permission, a link loop
        problems.append(Problem(label, None, None, None,
                                f"a readable file ({getattr(e, 'strerror', None) or e})"))
        return None
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    start = 1
    ok = True
    try:
        for row in reader:
            line = start
            start = reader.line_num + 1
            if not row or not any(c.strip() for c in row) or row[0].lstrip().startswith("#"):
                continue
            if header is None:
                header = [c.strip() for c in row]
                continue
            if len(row) > len(header):
                extra = row[len(header):]
                if any(c.strip() for c in extra):
                    problems.append(Problem(
                        label, f"line {line}", None, f"{len(row)} cells",
                        f"at most {len(header)} cells, as in the header (a stray comma?)"))
                    ok = False
                    continue
                row = row[: len(header)]
            elif len(row) < len(header):
                row = row + [""] * (len(header) - len(row))
            rows.append([c.strip() for c in row])
            lines.append(line)
    except csv.Error as e:
        problems.append(Problem(label, f"line {reader.line_num}", None, None,
                                f"well-formed CSV ({e})"))
        return None
    if header is None:
        problems.append(Problem(label, None, None, None, "a header line and data rows",
                                missing=True))
        return None
    for j, c in enumerate(header):
        if not c:
            problems.append(Problem(label, "line 1 (header)", None, None,
                                    f"a name for every column (column {j + 1} is blank)"))
            ok = False
        elif c in header[:j]:
            problems.append(Problem(label, "line 1 (header)", c, c,
                                    f"each column name only once (column {j + 1} repeats "
                                    f"column {header.index(c) + 1})"))
            ok = False
    if not ok:
        return None
    return Table.from_rows(header, rows, lines)
