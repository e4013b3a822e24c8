"""Weight stability (MODEL.md section 7): for each criterion, the exact interval of its weight
over which the placement stays optimal, and what changes first beyond each end.

The mathematics
---------------
Fix every weight but one, ``w_k = lam``. The objective of a placement ``x`` is then a line in
``lam``::

    z(x, lam) = gamma(x) + lam * beta(x)

``beta(x) = sum_f s[f,k] a[f,k,t_f]`` is the placement's unweighted score on criterion k and
``gamma(x)`` everything else: the other criteria at their weights, less any soft-link
penalties (which no weight touches). The constraints do not depend on weights, so the feasible
placements are the same for every ``lam``, and the optimum

    z*(lam) = max_x z(x, lam)        (min_x when the instance minimises)

is the upper envelope of finitely many lines: piecewise linear and convex in ``lam`` (concave
when minimising; below, "better" and "score" mean ``+z`` when maximising and ``-z`` when
minimising, so everything reads as a maximum of lines). The placement ``x0`` reported at the
model's weight ``lam0`` stays optimal exactly on the interval where its line is the envelope:

    I = { lam >= 0 : z(x0, lam) >= z(x, lam) for every feasible x } = [lower, upper]

a closed interval containing ``lam0``, because each other line beats ``x0`` on a half-line.

How it is found (exactly, not on a grid)
----------------------------------------
Upper end (Eisner-Severance breakpoint search, one breakpoint): first the line of steepest
score slope, by solving with criterion k alone as the objective (``lam -> infinity``). If no
placement has a steeper line than ``x0``, ``upper = inf``. Otherwise take that placement as
the candidate, and repeat: compute ``lam_c``, where the candidate's line meets ``x0``'s, and
solve at ``lam_c``. If the solve finds a placement strictly better than ``x0`` there, it
becomes the candidate (its line is on the envelope at ``lam_c``, steeper than ``x0``'s and
crossing it earlier); if not, ``x0`` is still optimal at ``lam_c`` and the candidate beats it
for every larger weight, so ``upper = lam_c`` exactly. Each round finds a new envelope line, so
the search ends after at most as many solves as the envelope has pieces to the right of
``lam0`` (in practice two or three). The lower end is the mirror image, probing ``lam = 0``
(weights stay non-negative: ``lower`` may be 0, and then nothing changes there).

Ties and alternative optima
---------------------------
"The placement does not change" means: the reported placement ``x0`` remains *an* optimal
placement. Placements with the same line as ``x0`` (same ``gamma`` and ``beta``: e.g. a
function whose value is the same at two tiers for every weight) are optimal wherever ``x0`` is
and are not counted as a change. Strictly inside the interval every optimum has ``x0``'s line;
at an end another line ties with it, and just beyond the end that line is strictly better. If
another optimum with a different line ties with ``x0`` already at ``lam0``, one end equals
``lam0`` (``knife_edge``): the reported placement is one of several, and the slightest change
of this weight in that direction picks another.

What changes first: beyond each end, the placement that takes over is the one on the next
envelope line. Several placements can share that line, so the engine reports one that moves the
fewest functions from ``x0`` (a solve minimising moves among the placements optimal at the end
with the next line's slope); usually a single function.

Exactness: the ends are computed from each placement's line, recomputed from the value tables
(not read off the solver), and are exact up to the solver's optimality tolerance: a placement
better than ``x0`` at ``lam_c`` by less than about 1e-9 relative (HiGHS proves optimality to
about 1e-6 absolute) is not told apart from a tie.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placement.analysis.common import (
    Move,
    describe_moves,
    header,
    moves_between,
    require_exact_backend,
    require_model,
    tolerance,
)
from placement.analysis.resolving import (
    Solver,
    assignment_of,
    closest,
    criterion_indices,
    infeasible_error,
    rounded,
    value_row,
    x_objective,
)
from placement.errors import AnalysisError
from placement.milp import build
from placement.model import Instance, Scenario
from placement.model.scoring import value_matrix_for_weights
from placement.solvers.base import SolveOptions
from placement.util import dumps

if TYPE_CHECKING:
    from collections.abc import Sequence

    from placement.milp import CanonicalForm
    from placement.solvers.base import Session

__all__ = ["Line", "StabilityEnd", "CriterionStability", "WeightStability",
           "weight_stability"]

#: Rounds of the breakpoint search before giving up (each finds a new envelope line).
MAX_ROUNDS = 1000


@dataclass(frozen=True)
class Line:
    """A placement's objective as a function of one criterion's weight:
    ``intercept + slope * weight``.

    >>> Line(10.0, 2.0).at(1.5)
    13.0
    """

    intercept: float
    slope: float

    def at(self, weight: float) -> float:
        return self.intercept + self.slope * weight

    def meets(self, other: Line) -> float:
        """The weight at which the two lines cross (``inf`` when parallel)."""
        d = other.slope - self.slope
        if d == 0.0:
            return math.inf
        return (self.intercept - other.intercept) / d

    def to_dict(self) -> dict[str, float]:
        return {"intercept": self.intercept, "slope": self.slope}


@dataclass
class StabilityEnd:
    """What takes over just beyond one end of a stability interval.

    Attributes
    ----------
    weight
        The end itself.
    line
        Value line of the placement that is optimal just beyond the end.
    assignment
        That placement (tier index per function): among those on ``line``, one moving the
        fewest functions.
    moves
        The functions it places differently from the reported placement.
    """

    weight: float
    line: Line
    assignment: np.ndarray
    moves: list[Move]

    def to_dict(self) -> dict[str, Any]:
        return {"weight": self.weight, "line": self.line.to_dict(),
                "moves": [m.to_dict() for m in self.moves]}


@dataclass
class CriterionStability:
    """The stability interval of one criterion's weight; see the module docstring.

    ``below`` is ``None`` when the placement stays optimal down to weight 0, ``above`` when it
    stays optimal however large the weight grows (``upper = inf``).
    """

    criterion: str
    weight: float
    lower: float
    upper: float
    line: Line
    below: StabilityEnd | None
    above: StabilityEnd | None
    solves: int

    @property
    def knife_edge(self) -> bool:
        """Another optimum with a different line ties with the placement at the model's
        weight: any change of this weight in one direction picks another placement."""
        return (self.below is not None and self.lower >= self.weight) or (
            self.above is not None and self.upper <= self.weight)

    def contains(self, weight: float) -> bool:
        """Whether ``weight`` lies in the interval (ends included)."""
        return self.lower <= weight <= self.upper

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "weight": self.weight,
            "lower": self.lower,
            "upper": None if math.isinf(self.upper) else self.upper,
            "upper_unbounded": math.isinf(self.upper),
            "knife_edge": self.knife_edge,
            "line": self.line.to_dict(),
            "below": None if self.below is None else self.below.to_dict(),
            "above": None if self.above is None else self.above.to_dict(),
            "solves": self.solves,
        }


@dataclass
class WeightStability:
    """Stability intervals for the criteria of one instance (see the module docstring)."""

    instance: Instance
    objective: float
    assignment: np.ndarray
    criteria: list[CriterionStability]
    solver: str
    seconds: float
    solves: int = 0
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, criterion: str) -> CriterionStability:
        for c in self.criteria:
            if c.criterion == criterion:
                return c
        raise KeyError(criterion)

    def frame(self) -> pd.DataFrame:
        """One row per criterion: weight, interval ends (and as multiples of the weight),
        what moves first below and above, whether the placement is on a knife edge."""
        rows = []
        for c in self.criteria:
            w = c.weight
            rows.append({
                "weight": w,
                "lower": c.lower,
                "upper": c.upper,
                "lower_ratio": c.lower / w if w > 0 else np.nan,
                "upper_ratio": c.upper / w if w > 0 else np.nan,
                "below_moves": "" if c.below is None else describe_moves(c.below.moves),
                "above_moves": "" if c.above is None else describe_moves(c.above.moves),
                "knife_edge": c.knife_edge,
                "solves": c.solves,
            })
        return pd.DataFrame(rows, index=pd.Index([c.criterion for c in self.criteria],
                                                 name="criterion"))

    def moves(self) -> pd.DataFrame:
        """One row per (criterion, end, function that moves there)."""
        rows = []
        for c in self.criteria:
            for end, e in (("lower", c.below), ("upper", c.above)):
                if e is not None:
                    rows += [{"criterion": c.criterion, "end": end, "weight": e.weight,
                              **m.to_dict()} for m in e.moves]
        return pd.DataFrame(rows, columns=["criterion", "end", "weight", "function", "from",
                                           "to"])

    def placement(self) -> pd.Series:
        """The placement whose stability is measured (tier id per function)."""
        inst = self.instance
        tids = np.array(inst.tier_ids, dtype=object)
        return pd.Series(tids[self.assignment], index=pd.Index(inst.function_ids,
                                                                 name="function"), name="tier")

    def to_dict(self) -> dict[str, Any]:
        inst = self.instance
        return {
            **header(inst, self.solver),
            "objective": self.objective,
            "placement": {str(k): str(v) for k, v in self.placement().items()},
            "criteria": [c.to_dict() for c in self.criteria],
            "solves": self.solves,
            "seconds": round(self.seconds, 6),
            "definition": "for each criterion, the weights (others fixed) at which the "
                          "reported placement is still an optimal placement; beyond each end "
                          "the placement described is strictly better",
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)


class _Sweep:
    """The breakpoint search for one criterion on an open session."""

    def __init__(self, inst: Instance, form: CanonicalForm, sol: Solver, session: Session,
                 k: int, x0: np.ndarray) -> None:
        model = require_model(inst, "weight stability")
        self.inst, self.form, self.sol, self.session, self.k = inst, form, sol, session, k
        self.w = model.weights
        self.s = form.sense.sign
        rest = self.w.copy()
        rest[k] = 0.0
        unit = np.zeros_like(self.w)
        unit[k] = 1.0
        self.v_rest = value_matrix_for_weights(inst, rest).ravel()
        self.p = value_matrix_for_weights(inst, unit).ravel()
        self.solves = 0
        self.x0 = x0
        self.a0 = assignment_of(form, x0)
        self.line0 = self.line(x0)

    def line(self, x: np.ndarray) -> Line:
        n = self.form.n_x
        gamma = float(self.v_rest @ x[:n] + self.form.c[n:] @ x[n:] + self.form.offset)
        return Line(gamma, float(self.p @ x[:n]))

    def values(self, lam: float) -> np.ndarray:
        w = self.w.copy()
        w[self.k] = lam
        return value_matrix_for_weights(self.inst, w)

    def _run(self, c: np.ndarray, what: str) -> np.ndarray:
        self.session.set_objective(c)
        raw = self.sol.proven(self.sol.run(self.session), what)
        self.solves += 1
        if raw.x is None:  # the constraints are those of the solved instance: cannot happen
            raise AnalysisError(f"{what}: no placement found (status '{raw.status}')")
        return rounded(self.form, raw.x)

    def solve_at(self, lam: float) -> np.ndarray:
        cid = self.inst.model.criterion_ids[self.k]  # type: ignore[union-attr]
        return self._run(x_objective(self.form, self.values(lam)),
                         f"weight stability: {cid} at {lam:g}")

    def solve_steepest(self) -> np.ndarray:
        """A placement of steepest score slope: criterion k alone as the objective."""
        c = np.zeros(self.form.n_cols)
        c[: self.form.n_x] = self.p
        cid = self.inst.model.criterion_ids[self.k]  # type: ignore[union-attr]
        return self._run(c, f"weight stability: {cid} alone")

    def better(self, line: Line, lam: float) -> bool:
        """``line`` is strictly better than the placement's own at weight ``lam``."""
        ref = self.line0.at(lam)
        return self.s * (line.at(lam) - ref) > tolerance(ref)

    def steeper(self, line: Line) -> bool:
        return self.s * (line.slope - self.line0.slope) > tolerance(self.line0.slope)

    def end(self, upward: bool) -> tuple[float, StabilityEnd | None]:
        lam0 = float(self.w[self.k])
        if upward:
            x = self.solve_steepest()
            cand = self.line(x)
            if not self.steeper(cand):
                return math.inf, None
        else:
            if lam0 <= 0.0:
                return 0.0, None
            x = self.solve_at(0.0)
            cand = self.line(x)
            if not self.better(cand, 0.0):
                return 0.0, None
        for _ in range(MAX_ROUNDS):
            lam = self.line0.meets(cand)
            lam = max(lam, lam0) if upward else min(max(lam, 0.0), lam0)
            xc = self.solve_at(lam)
            lc = self.line(xc)
            if self.better(lc, lam):
                x, cand = xc, lc
                continue
            return lam, self._takeover(lam, cand, x, upward)
        raise AnalysisError(f"weight stability did not converge in {MAX_ROUNDS} rounds")

    def _takeover(self, lam: float, cand: Line, x: np.ndarray, upward: bool) -> StabilityEnd:
        """The placement on ``cand`` that moves the fewest functions from the reported one."""
        form_lam = self.form.with_objective(x_objective(self.form, self.values(lam)))
        level = self.line0.at(lam)
        slope_tol = tolerance(cand.slope)
        # placements optimal at lam whose score slope is at least (upward) or at most
        # (downward) the candidate's: exactly those on the candidate's line
        steeper = (self.s > 0) == upward
        slope_row = (self.p_full()[None, :], cand.slope - slope_tol, np.inf) if steeper else \
            (self.p_full()[None, :], -np.inf, cand.slope + slope_tol)
        alt = closest(self.sol, form_lam, self.a0,
                      [value_row(form_lam, level, tolerance(level)), slope_row])
        self.solves += 1
        if alt.x is not None:
            xa = rounded(self.form, alt.x)
            la = self.line(xa)
            if (abs(la.slope - cand.slope) <= slope_tol
                    and abs(la.at(lam) - cand.at(lam)) <= tolerance(level)):
                x, cand = xa, la
        a = assignment_of(self.form, x)
        return StabilityEnd(lam, cand, a, moves_between(self.inst, self.a0, a))

    def p_full(self) -> np.ndarray:
        out = np.zeros(self.form.n_cols)
        out[: self.form.n_x] = self.p
        return out


def weight_stability(
    instance: Instance,
    criteria: Sequence[str] | None = None,
    *,
    scenario: str | Scenario | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    threads: int | None = None,
) -> WeightStability:
    """For each criterion, the exact interval of its weight (others fixed) over which the
    placement stays optimal, and what moves first at each end.

    Parameters
    ----------
    instance
        An instance with a scoring model (a scenario, if given, is applied first).
    criteria
        Criterion ids to analyse; all of the model's by default.
    scenario
        Scenario id or object whose overrides (weights included) apply.
    solver, time_limit, threads
        Backend and its options. Every solve must be proven optimal; CP-SAT, which rounds
        the objective to integers, is refused.

    Returns
    -------
    WeightStability
        ``frame()`` (one row per criterion), ``moves()``, ``to_json()``; ``result[criterion]``
        for one :class:`CriterionStability`.

    Examples
    --------
    >>> import placement
    >>> from placement.analysis import weight_stability
    >>> ws = weight_stability(placement.load("instances/tiny-budget"))
    >>> for c in ws.criteria:
    ...     print(c.criterion, c.weight, c.lower, round(c.upper, 4), str(c.below.moves[0]),
    ...           "|", str(c.above.moves[0]))
    scale 1.0 0.5 1.3333 workforce: national -> local | commissioning: region -> national
    local 1.0 0.75 2.0 commissioning: region -> national | workforce: national -> local

    With the local-knowledge weight at 1, the scale weight may fall to 0.5 (below it workforce
    planning goes local) or rise to 4/3 (above it commissioning goes national) before the
    placement changes.
    """

    t0 = time.perf_counter()
    require_exact_backend(solver, "weight stability")  # breakpoints need unrounded objectives
    inst = instance.with_scenario(scenario)
    require_model(inst, "weight stability")
    ks = criterion_indices(inst, criteria, "weight stability")
    sol = Solver(solver, SolveOptions(time_limit=time_limit, threads=threads))
    form = build(inst)
    session = sol.open(form)
    raw0 = sol.proven(sol.run(session), "weight stability")
    if raw0.x is None or raw0.objective is None:
        raise infeasible_error(inst, raw0, "weight stability")
    x0 = rounded(form, raw0.x)
    model = inst.model
    assert model is not None
    out = []
    for k in ks:
        sweep = _Sweep(inst, form, sol, session, k, x0)
        lower, below = sweep.end(upward=False)
        upper, above = sweep.end(upward=True)
        out.append(CriterionStability(model.criterion_ids[k], float(model.weights[k]),
                                      float(lower), float(upper), sweep.line0, below, above,
                                      sweep.solves))
    return WeightStability(
        instance=inst,
        objective=float(raw0.objective),
        assignment=assignment_of(form, x0),
        criteria=out,
        solver=sol.name,
        seconds=time.perf_counter() - t0,
        solves=sol.solves,
    )
