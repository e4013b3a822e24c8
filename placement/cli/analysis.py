"""What the analysis commands (``explain``, ``sensitivity``, ``frontier``, ``report``) share:
the exit codes for an analysis that fails, the console their tables go to, and how a value or
a whole DataFrame is shown in a table.

Exit codes as everywhere: 2 invalid input (unknown function, resource or criterion, bad
sample count, ...), 3 no placement to analyse (or a solve that proved nothing), 4 a placement
failed the independent checker.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
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
def console_to(output: Path | None) -> Iterator[Console]:
    """The console tables go to: standard output, or a buffer written to ``output``."""
    if output is None:
        yield out
        return
    from rich.console import Console

    buf = StringIO()
    yield Console(file=buf, width=160, color_system=None, soft_wrap=False, markup=False)
    emit(buf.getvalue(), output)


def cell(v: Any, digits: int = 6) -> str:
    """A value for a table cell: "-" for nothing, "unbounded" for infinity, numbers as
    :func:`placement.cli.render.fmt` writes them."""
    from placement.cli.render import fmt

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, bool):
        return "yes" if v else ""
    if isinstance(v, float) and math.isinf(v):
        return "unbounded" if v > 0 else "-inf"
    if isinstance(v, int | float):
        return fmt(float(v), digits)
    return str(v)


def frame_table(df: pd.DataFrame, title: str, index: str) -> RenderableType:
    """Any DataFrame as a rich table (numbers formatted, text folded)."""
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    t.add_column(index)
    for col in df.columns:
        numeric = df[col].dtype.kind in "fiu"
        t.add_column(str(col), justify="right" if numeric else "left", overflow="fold",
                     max_width=None if numeric else 60)
    for idx, row in df.iterrows():
        t.add_row(cell(idx), *(cell(v) for v in row.tolist()))
    return t
