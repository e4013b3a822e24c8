"""Subsidiarity (docs/model.md section 6): the most local placement within epsilon of the optimum.

"Decisions should start at the most local level possible." Stage 1 is the ordinary solve
(optimum v*). Stage 2 minimises centrality, ``sum_f rank(tier_f)`` with rank = the number of
tiers more local than the tier (national highest, the most local tier 0), subject to a value
floor:

    maximising:  value >= v* - epsilon * |v*|
    minimising:  value <= v* + epsilon * |v*|

The floor is written with ``|v*|`` so that it is a relaxation for any sign of v* (with
``(1 - epsilon) * v*`` a negative optimum would demand *more* than v*); for v* = 0 only
optimal placements qualify. "value" is the instance's objective, soft-link penalties included.
Among the least central placements stage 2 then keeps the best value (a second solve with
centrality fixed at its minimum), so the reported placement is lexicographically (centrality,
value) optimal. Both stages reuse the stage-1 canonical form with one extra row each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from placement.milp import CanonicalForm, centrality_ranks, centrality_weights
from placement.model.sense import Sense
from placement.solvers.base import Backend, RawSolution, SolveOptions, Status

__all__ = ["value_floor", "centrality", "Stage", "SubsidiarityReport", "solve_subsidiarity"]


def value_floor(optimum: float, epsilon: float, sense: Sense | str) -> float:
    """The least acceptable value (``sense="max"``) or the most acceptable cost (``"min"``).

    >>> value_floor(20.0, 0.1, "max"), value_floor(-20.0, 0.1, "max"), value_floor(50.0, 0.1, "min")
    (18.0, -22.0, 55.0)
    """
    return Sense(sense).within(optimum, epsilon)


def centrality(assignment: np.ndarray, n_tiers: int) -> int:
    """``sum_f rank(tier_f)``, rank = number of tiers more local (national highest).

    >>> import numpy as np
    >>> centrality(np.array([0, 2, 1]), 3)    # national 2 + most local 0 + middle 1
    3
    """
    a = np.asarray(assignment, dtype=np.int64)
    return int((n_tiers - 1 - a).sum())


@dataclass(frozen=True)
class Stage:
    """One stage of a subsidiarity solve, as reported."""

    name: str
    status: str
    objective: float | None
    centrality: float | None  # a whole number in the single-area case
    functions_per_tier: dict[str, float]  # per area: counted by the share of the people
    solve_seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.name,
            "status": self.status,
            "objective": self.objective,
            "centrality": self.centrality,
            "functions_per_tier": dict(self.functions_per_tier),
            "solve_seconds": round(self.solve_seconds, 6),
        }


@dataclass(frozen=True)
class SubsidiarityReport:
    """Both stages of a subsidiarity solve.

    ``floor`` is the value the subsidiarity placement had to reach (maximising) or stay under
    (minimising); ``within_epsilon`` is recomputed from the final placement's checked value.
    """

    epsilon: float
    sense: str
    optimum: float
    floor: float
    stages: tuple[Stage, ...]
    within_epsilon: bool
    moved_down: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "epsilon": self.epsilon,
            "sense": self.sense,
            "optimum": self.optimum,
            "floor": self.floor,
            "within_epsilon": self.within_epsilon,
            "stages": [s.to_dict() for s in self.stages],
            "moved_down": list(self.moved_down),
            "definition": "stage 2 minimises sum rank(t) x[f,t] (rank = tiers more local; "
                          "national highest) subject to value >= v* - epsilon |v*| "
                          "(<= v* + epsilon |v*| when minimising), then keeps the best value "
                          "at that centrality",
        }

    def __str__(self) -> str:
        word = Sense(self.sense).at_least
        lines = [f"subsidiarity epsilon {self.epsilon:g}: value {word} {self.floor:,.6g} "
                 f"(optimum {self.optimum:,.6g})"]
        for s in self.stages:
            obj = "-" if s.objective is None else f"{s.objective:,.6g}"
            lines.append(f"  {s.name}: objective {obj}, centrality {s.centrality}, "
                         + ", ".join(f"{t} {n}" for t, n in s.functions_per_tier.items()))
        return "\n".join(lines)


def _counts(x: np.ndarray | None, form: CanonicalForm, tier_ids: tuple[str, ...]) -> tuple[
        dict[str, float], float | None, np.ndarray | None]:
    if x is None:
        return {t: 0 for t in tier_ids}, None, None
    if form.per_area:
        assert form.layout is not None
        tiers = form.placement_of(x)
        w = form.layout.area_population / form.layout.area_population.sum()
        share = ((tiers[:, :, None] == np.arange(form.n_tiers)) * w[None, :, None]).sum(
            axis=(0, 1))
        rank = float(((form.n_tiers - 1 - tiers) * w[None, :]).sum())
        return ({t: float(n) for t, n in zip(tier_ids, share.tolist(), strict=True)}, rank,
                tiers)
    a = form.assignment_of(x)
    c = np.bincount(a, minlength=form.n_tiers)
    return ({t: int(n) for t, n in zip(tier_ids, c.tolist(), strict=True)},
            centrality(a, form.n_tiers), a)


def solve_subsidiarity(
    form: CanonicalForm,
    backend: Backend,
    options: SolveOptions,
    stage1: RawSolution,
    epsilon: float,
    tier_ids: tuple[str, ...],
) -> tuple[RawSolution, list[Stage], float]:
    """Stage 2 on the stage-1 form: returns the final raw solution (its objective is the
    instance's value), the stages, and the floor.

    Raises ``ValueError`` when ``epsilon`` is not in [0, 1] or stage 1 has no solution.
    """
    if not (0.0 <= epsilon <= 1.0) or math.isnan(epsilon):
        raise ValueError(f"subsidiarity epsilon must be between 0 and 1, got {epsilon}")
    if stage1.x is None or stage1.objective is None:
        raise ValueError("subsidiarity needs a stage-1 solution")
    v_star = float(stage1.objective)
    floor = value_floor(v_star, epsilon, form.sense)
    # a hair of tolerance so that the stage-1 solution itself always meets the floor
    tol = 1e-9 * max(1.0, abs(v_star))
    lo, up = ((floor - form.offset - tol, np.inf) if form.sense is Sense.MAX
              else (-np.inf, floor - form.offset + tol))
    floored = form.with_rows(form.c[None, :], lo, up, "value_floor", ["value_floor"],
                        "subsidiarity: value within epsilon of the optimum")
    rank = np.zeros(form.n_cols)
    per_unit = (centrality_weights(form.layout) if form.layout is not None
                else centrality_ranks(form.n_tiers))
    rank[: form.n_x] = np.tile(per_unit, form.n_functions)
    central = floored.with_objective(rank, "min")
    raw2 = backend.solve(central, options)
    counts1, c1, _ = _counts(stage1.x, form, tier_ids)
    stages = [Stage("optimum", str(stage1.status), v_star, c1, counts1, stage1.seconds)]
    if raw2.x is None:
        stages.append(Stage("subsidiarity", str(raw2.status), None, None,
                            {t: 0 for t in tier_ids}, raw2.seconds))
        return stage1, stages, floor
    # keep the best value among the least central placements: centrality is a whole number
    # of ranks in the single-area case, a population-weighted sum per area
    c2 = float(rank @ raw2.x)
    cap = (round(c2) + 0.5) if not form.per_area else c2 + 1e-7 * max(1.0, abs(c2))
    tie = floored.with_rows(rank[None, :], -np.inf, cap, "centrality_cap",
                    ["centrality_cap"], "subsidiarity: centrality at its minimum")
    raw3 = backend.solve(tie, options)
    final = raw3 if raw3.x is not None else raw2
    x = np.asarray(final.x)
    value = form.objective_of(x)
    counts2, cen2, _ = _counts(x, form, tier_ids)
    status = raw2.status
    if raw3.x is not None and raw3.status is not Status.OPTIMAL:
        status = raw3.status
    stages.append(Stage("subsidiarity", str(status), value, cen2, counts2,
                        raw2.seconds + raw3.seconds))
    out = RawSolution(
        status=status,
        x=x,
        objective=value,
        bound=None,
        gap=None,
        nodes=(raw2.nodes or 0) + (raw3.nodes or 0),
        seconds=stage1.seconds + raw2.seconds + raw3.seconds,
        message=f"subsidiarity epsilon {epsilon:g}: {raw2.message}",
        precision_loss=raw3.precision_loss or raw2.precision_loss or stage1.precision_loss,
        solver_version=stage1.solver_version,
    )
    return out, stages, floor
