"""Progress on standard error for commands that can take more than a couple of seconds.

A spinner with the elapsed time and what is being done, or a bar when the amount of work is
known (draws, solves). Only on a terminal: when standard error is a pipe or a file, or with
``--quiet``, nothing at all is written, so logs and captured output hold only the results.
The display is transient: it disappears when the work is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["Tracker", "progress", "enabled"]


def enabled(quiet: bool = False) -> bool:
    """Whether progress is shown: standard error is a terminal and not ``--quiet``."""
    from placement.cli.common import err

    return not quiet and err.is_terminal


class Tracker:
    """What a command reports as it works; does nothing when progress is off."""

    def __init__(self, bar: Progress | None = None, task: TaskID | None = None) -> None:
        self._bar, self._task = bar, task

    def advance(self, n: int = 1) -> None:
        """``n`` more units of the known total done."""
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, n)

    def describe(self, what: str) -> None:
        """What is being done now."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, description=what)

    def total(self, n: int | None) -> None:
        """The amount of work, once known (a bar instead of a spinner)."""
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, total=n)


@contextmanager
def progress(what: str, total: int | None = None, quiet: bool = False) -> Iterator[Tracker]:
    """Show progress on standard error while the block runs (a spinner and the elapsed time;
    a bar, count and time left once ``total`` is known)."""
    if not enabled(quiet):
        yield Tracker()
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from placement.cli.common import err

    columns = [SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn()]
    if total is not None:
        columns[2:2] = [BarColumn(bar_width=24), MofNCompleteColumn()]
        columns.append(TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        # rich hides the cursor while it draws; Ctrl-C ends the process at once
        # (placement.util.interrupt), before rich could show it again, so keep it shown
        err.show_cursor(True)
        yield Tracker(bar, bar.add_task(what, total=total))
