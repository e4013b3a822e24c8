"""Typed exceptions with messages a strategist can act on.

Every error raised for bad input names the place (file, line or key, field), the value found
and what was expected. Validation collects every problem it can find before raising, so one run
reports them all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from placement.solution.diagnosis import Diagnosis

__all__ = [
    "PlacementError",
    "Problem",
    "InstanceError",
    "SolverUnavailableError",
    "SolverError",
    "InfeasibleError",
    "AnalysisError",
    "CheckerError",
]


class PlacementError(Exception):
    """Base class of every error the engine raises on purpose."""


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    return str(value)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located precisely.

    Parameters
    ----------
    file
        The file (as the user named it, or relative to the instance directory).
    where
        The line (CSV: ``"line 7"``, counting the header as line 1) or key (TOML: a dotted path
        such as ``"resources[1].budget"``).
    field
        The column or key name, when the place is finer than ``where``.
    value
        The value found (``None`` when the problem is that something is missing).
    expected
        What would have been accepted, in words.
    context
        Optional extra words, e.g. which function the line holds.
    """

    file: str | None
    where: str | None
    field: str | None
    value: Any
    expected: str
    context: str | None = None
    missing: bool = False

    def __str__(self) -> str:
        place = ", ".join(
            p
            for p in (
                self.file,
                self.where,
                f"{self.context}" if self.context else None,
                f"field '{self.field}'" if self.field else None,
            )
            if p
        )
        if self.missing:
            return f"{place}: found nothing, expected {self.expected}"
        if self.value is None:
            return f"{place}: {self.expected}"
        return f"{place}: found {_show(self.value)}, expected {self.expected}"


@dataclass
class InstanceError(PlacementError):
    """An instance, scoring model or scenario that cannot be used, with every problem found."""

    problems: Sequence[Problem]
    subject: str = "instance"
    warnings: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{self.subject} is not valid: {n} problem{'s' if n != 1 else ''}"
        return head + "".join(f"\n  - {p}" for p in self.problems)

    @classmethod
    def single(
        cls,
        file: str | None,
        where: str | None,
        field: str | None,
        value: Any,
        expected: str,
        *,
        subject: str = "instance",
        missing: bool = False,
    ) -> InstanceError:
        return cls([Problem(file, where, field, value, expected, missing=missing)], subject)


class SolverUnavailableError(PlacementError):
    """A backend was asked for that is unknown or not installed."""

    def __init__(self, name: str, known: Iterable[str], installed: Iterable[str]) -> None:
        self.name = name
        known_l, inst_l = list(known), list(installed)
        if name not in known_l:
            msg = f"unknown solver {name!r}; known solvers: {', '.join(known_l)}"
        else:
            msg = f"solver {name!r} is not installed"
        msg += f"; installed: {', '.join(inst_l) if inst_l else 'none'}"
        super().__init__(msg)


class SolverError(PlacementError):
    """A backend failed in a way that is not the instance's fault."""


class InfeasibleError(PlacementError):
    """No feasible placement; ``diagnosis`` (when there is one) names what conflicts and the
    smallest relaxation (:class:`placement.solution.diagnosis.Diagnosis`)."""

    def __init__(self, message: str, diagnosis: Diagnosis | None = None) -> None:
        super().__init__(message)
        self.diagnosis = diagnosis


class AnalysisError(PlacementError):
    """An analysis could not be carried out exactly (a solve that did not prove optimality)."""


class CheckerError(AnalysisError):
    """The placement to analyse failed the independent checker (a solver or engine bug, never
    the user's fault): nothing is analysed on top of it."""
