"""What the column readers of the function table share: the table being read and where its
problems go (:class:`Rows`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from placement.errors import Problem
from placement.io.table import Table

__all__ = ["Rows", "LineOf"]

LineOf = Callable[[int], str]


@dataclass(frozen=True)
class Rows:
    """The table being validated and where its problems go, shared by the column readers.

    ``ctx`` names each row's function (``None`` where the id is blank) for problem messages.
    """

    df: Table
    file: str
    line_of: LineOf
    ctx: Sequence[str | None]
    problems: list[Problem]

    def report(self, i: int, col: str, value: object, expected: str) -> None:
        """Record a problem with the cell of row ``i`` in column ``col``."""
        self.problems.append(Problem(self.file, self.line_of(i), col, value, expected,
                                     self.ctx[i]))
