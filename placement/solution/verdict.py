"""The independent checker's verdict: :class:`Violation` (one broken constraint, in the
instance's own words) and :class:`CheckReport` (the recomputed objective and everything
broken)."""

from __future__ import annotations

from dataclasses import dataclass, field

from placement.util import finite_or_none

__all__ = ["Violation", "CheckReport", "TOLERANCE", "over"]

#: Relative tolerance for constraint and objective comparisons.
TOLERANCE = 1e-6


def over(amount: float, limit: float) -> bool:
    """Whether ``amount`` exceeds ``limit`` by more than the tolerance."""
    return amount > limit + TOLERANCE * max(1.0, abs(limit))


@dataclass(frozen=True)
class Violation:
    """One broken constraint, in the instance's own words."""

    kind: str  # assignment, allowed, pinned, budget, cap, max_moves, objective, link, ...
    subject: str  # what it concerns: a function, a resource, a resource at a tier
    amount: float  # how much the left-hand side is
    limit: float  # what it may be
    message: str

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "amount": finite_or_none(self.amount),
            "limit": finite_or_none(self.limit),
            "message": self.message,
        }


@dataclass
class CheckReport:
    """The checker's verdict. ``ok`` is true when nothing is violated."""

    objective: float | None  # recomputed from the instance
    claimed: float | None  # what the solver said
    violations: list[Violation] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)  # which families were checked

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "objective": self.objective,
            "claimed_objective": self.claimed,
            "checked": list(self.checked),
            "violations": [v.to_dict() for v in self.violations],
        }

    def summary(self) -> str:
        if self.ok:
            return f"checker: ok ({', '.join(self.checked)})"
        return f"checker: {len(self.violations)} violation(s): " + "; ".join(
            v.message for v in self.violations[:5]
        )
