"""What the analysis commands (``explain``, ``sensitivity``, ``frontier``, ``report``) share:
the exit codes for an analysis that fails, the console their tables go to, and how a value or
a whole DataFrame is shown in a table.

Exit codes as everywhere: 2 invalid input (unknown function, resource or criterion, bad
sample count, ...), 3 no placement to analyse (or a solve that proved nothing), 4 a placement
failed the independent checker.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from placement.cli.common import EXIT_CHECK_FAILED, EXIT_NO_SOLUTION, OutputFormat, emit, fail, out

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console, RenderableType

__all__ = ["FormatOpt", "analyse", "console_to", "cell", "frame_table"]

# Placement internals (and with them numpy, pandas and the solvers) are imported inside the
# functions on purpose: `placement --help` imports this module and must stay instant
# (tests/test_cli.py checks that it loads no numeric stack and no solver).

#: The --format option of the analysis commands.
FormatOpt = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table, json or csv.")
]
T = TypeVar("T")


def analyse(run: Callable[[], T]) -> T:
    """Run an analysis; no placement to analyse (or no proven optimum) exits 3, an optimum
    the independent checker rejects exits 4."""
    from placement.errors import AnalysisError, CheckerError, InfeasibleError

    try:
        return run()
    except CheckerError as e:
        fail(str(e), EXIT_CHECK_FAILED)
    except (InfeasibleError, AnalysisError) as e:
        fail(str(e), EXIT_NO_SOLUTION)


@contextmanager
def console_to(output: Path | None, wide: bool = False) -> Iterator[Console]:
    """The console tables go to: standard output, or a buffer written to ``output``; 80
    columns when not a terminal (or ``COLUMNS``), at least 200 with ``wide``."""
    from placement.cli.tables import file_console, widened

    if output is None:
        yield widened(out, wide)
        return
    con, buf = file_console(wide)
    yield con
    emit(buf.getvalue(), output)


def cell(v: Any, kind: str = "value") -> str:
    """A value for a table cell: "-" for nothing, "unbounded" for infinity, numbers as
    :func:`placement.util.numbers.fmt` writes ``kind``."""
    from placement.util.numbers import fmt

    if isinstance(v, bool):
        return "yes" if v else ""
    return fmt(v, kind)


def frame_table(df: pd.DataFrame, title: str, index: str, width: int | None = None,
                kinds: dict[str, str] | None = None) -> RenderableType:
    """Any DataFrame as tables that fit ``width`` (default: standard output's): numbers
    formatted by kind (``kinds``: column -> kind, else ``value``) and never wrapped, text
    wrapped at spaces; when the columns do not fit, they are split into blocks, each
    repeating the index column."""
    from rich.console import Group

    from placement.cli.tables import Col, fits, fitted

    w = out.width if width is None else width
    kinds = kinds or {}
    numeric = {str(c): df[c].dtype.kind in "fiuc" for c in df.columns}
    names = [str(c) for c in df.columns]
    cells = {n: [cell(v, kinds.get(n, "value")) for v in df[c].tolist()]
             for n, c in zip(names, df.columns, strict=True)}
    ids = [cell(i) for i in df.index.tolist()]

    def block(cols_: list[str]) -> tuple[list[Col], list[list[object]]]:
        cols = [Col(index)] + [Col(n, numeric=numeric[n], wrap=not numeric[n])
                               for n in cols_]
        rows: list[list[object]] = [[ids[i], *(cells[n][i] for n in cols_)]
                                    for i in range(len(ids))]
        return cols, rows

    groups: list[list[str]] = []
    for n in names:
        if groups and fits(*block([*groups[-1], n]), w):
            groups[-1].append(n)
        else:
            groups.append([n])
    if len(groups) <= 1:
        return fitted(*block(names), w, title=title, force=True)
    return Group(*(fitted(*block(g), w, title=f"{title} ({k + 1} of {len(groups)})",
                          force=True) for k, g in enumerate(groups)))
