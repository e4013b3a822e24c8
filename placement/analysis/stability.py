"""Weight stability (docs/model.md section 7): for each criterion, the exact interval of its weight
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

Where it runs: the criteria's searches are independent of each other once the reported
placement is known, so each is one task on an executor (:mod:`placement.util.executor`: this
process by default, local processes or a Dask cluster). Each search opens its own loaded model
(session), so no search inherits a warm start from another and the answer is the same
wherever, and in whatever order, the searches run.

This module holds the search (one criterion at a time, on one loaded model re-solved with new
objectives) and :func:`weight_stability`; what it returns is in
:mod:`placement.analysis.stability_result`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.analysis.common import (
    moves_between,
    require_exact_backend,
    require_model,
    require_single_area,
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
from placement.analysis.stability_result import (
    CriterionStability,
    Line,
    StabilityEnd,
    WeightStability,
)
from placement.errors import AnalysisError
from placement.milp import build
from placement.model import Instance, Scenario
from placement.model.scoring import value_matrix_for_weights
from placement.solvers.base import SolveOptions
from placement.util.executor import Executor, SerialExecutor, per_worker

if TYPE_CHECKING:
    from collections.abc import Sequence

    from placement.milp import CanonicalForm
    from placement.solvers.base import Session

__all__ = ["weight_stability", "MAX_ROUNDS"]

#: Rounds of the breakpoint search before giving up (each finds a new envelope line).
MAX_ROUNDS = 1000


class _Sweep:
    """The breakpoint search for criterion ``k`` on an open session: both ends of its
    interval around the reported placement ``x0`` (see the module docstring)."""

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
        """The value line of solution ``x``, recomputed from the value tables."""
        n = self.form.n_x
        gamma = float(self.v_rest @ x[:n] + self.form.c[n:] @ x[n:] + self.form.offset)
        return Line(gamma, float(self.p @ x[:n]))

    def values(self, lam: float) -> np.ndarray:
        """(F, T) values with criterion k weighted ``lam``, the others as in the model."""
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
        """``line`` gains on the placement's own as the weight grows."""
        return self.s * (line.slope - self.line0.slope) > tolerance(self.line0.slope)

    def end(self, upward: bool) -> tuple[float, StabilityEnd | None]:
        """The upper (``upward``) or lower end of the interval, and what takes over beyond it
        (``None`` when nothing does: ``inf`` above, ``0`` below)."""
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
        """Criterion k's unweighted score as a row over all columns of the form."""
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
    executor: Executor | None = None,
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
    executor
        Where the criteria's searches run (:mod:`placement.util.executor`): one task per
        criterion; by default this process. The answer is the same on any executor.

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
    require_single_area(inst, "weight stability")
    require_model(inst, "weight stability")
    ks = criterion_indices(inst, criteria, "weight stability")
    sol = Solver(solver, SolveOptions(time_limit=time_limit, threads=threads))
    form = build(inst)
    raw0 = sol.proven(sol.solve(form), "weight stability")
    if raw0.x is None or raw0.objective is None:
        raise infeasible_error(inst, raw0, "weight stability")
    x0 = rounded(form, raw0.x)
    job = _Job(inst, form, x0, solver, sol.options)
    found: dict[int, tuple[CriterionStability, int]] = {}
    for i, got in (executor or SerialExecutor()).run(_search, job, ks):
        found[i] = got
    out = [found[i][0] for i in range(len(ks))]  # in the order asked, however they finished
    return WeightStability(
        instance=inst,
        objective=float(raw0.objective),
        assignment=assignment_of(form, x0),
        criteria=out,
        solver=sol.name,
        seconds=time.perf_counter() - t0,
        solves=sol.solves + sum(n for _, n in found.values()),
    )


@dataclass
class _Job:
    """What every criterion's search shares (one task per criterion, on any executor). The
    built form stays in this process (its row labels are closures, which do not pickle); a
    worker elsewhere builds it again from the instance, once (the build is deterministic)."""

    inst: Instance
    form: CanonicalForm | None
    x0: np.ndarray
    solver: str
    options: SolveOptions

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "form": None}

    def built(self) -> CanonicalForm:
        return self.form if self.form is not None else \
            per_worker(self, "stability-form", lambda: build(self.inst))


def _search(job: _Job, k: int) -> tuple[CriterionStability, int]:
    """Both ends of criterion ``k``'s interval, on a session of its own: (result, solves)."""
    sol = Solver(job.solver, job.options)
    form = job.built()
    sweep = _Sweep(job.inst, form, sol, sol.open(form), k, job.x0)
    lower, below = sweep.end(upward=False)
    upper, above = sweep.end(upward=True)
    model = job.inst.model
    assert model is not None
    return (CriterionStability(model.criterion_ids[k], float(model.weights[k]), float(lower),
                               float(upper), sweep.line0, below, above, sweep.solves),
            sol.solves)
