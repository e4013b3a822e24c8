"""The independent checker's verdict: :class:`Violation` (one broken constraint, in the
instance's own words) and :class:`CheckReport` (the recomputed objective and everything
broken)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from placement.util import finite_or_none

if TYPE_CHECKING:
    import numpy as np

    from placement.model import Resource

__all__ = ["Violation", "CheckReport", "TOLERANCE", "over", "budget_and_cap_violations"]

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


def budget_and_cap_violations(resources: Sequence[Resource], tier_index: Mapping[str, int],
                              total: np.ndarray, per_tier: np.ndarray) -> list[Violation]:
    """Every budget and per-tier cap broken, from the recomputed use: ``total`` (R,) running
    use plus one-off moves per resource, ``per_tier`` (T, R) running use at each tier."""
    out = []
    for r, res in enumerate(resources):
        if res.budget is not None and over(float(total[r]), res.budget):
            t = float(total[r])
            out.append(Violation(
                "budget", res.id, t, float(res.budget),
                f"{res.id} used {t:,.6g} exceeds its budget {res.budget:,.6g} "
                f"by {t - res.budget:,.6g}"))
        for tid, cap in res.caps.items():
            if tid not in tier_index or cap is None:
                continue
            at = float(per_tier[tier_index[tid], r])
            if over(at, cap):
                out.append(Violation(
                    "cap", f"{res.id}@{tid}", at, float(cap),
                    f"{res.id} used at {tid} {at:,.6g} exceeds its cap {cap:,.6g} "
                    f"by {at - cap:,.6g}"))
    return out
