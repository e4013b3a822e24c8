"""Forcing costs of every function at every tier: the whole-placement view of "explain".

:func:`placement.analysis.explain` answers "why here?" for one function, in depth. This module
answers it for all of them at once, in one number per (function, tier): the **forcing cost**,
the objective lost when the function is fixed at the tier and everything else re-optimised
(``v* - v*(f at t)``, or ``v*(f at t) - v*`` when minimising; never negative). It is the same
number ``explain`` reports, computed the same way, from one loaded model re-solved with only
the function's column bounds changed, so a placement of F functions over T tiers costs at most
F x (T - 1) re-solves and no rebuild.

Read per function, the smallest forcing cost over the other tiers is the **margin**: how much
the objective must be wrong by before another tier would be chosen for it. A margin near 0
marks a function whose tier is a close call (a tie is a margin of exactly 0); a large one, a
placement that survives sizeable errors in its scores. Tiers the function cannot take are
reported, not raised, with explain's words: ``not allowed``, ``pinned`` or ``infeasible``.

Every placement a cost is measured from (the optimum and each forced optimum) goes through the
independent checker, and the costs are differences of the checker's objectives, not of the
solver's: a placement the checker rejects stops the analysis with a :class:`CheckerError`.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placement.analysis.common import header, require_single_area
from placement.analysis.explain_result import CHOSEN, FORCED, INFEASIBLE, NOT_ALLOWED, PINNED
from placement.analysis.resolving import Solver, infeasible_error
from placement.errors import CheckerError
from placement.milp import build
from placement.model import NO_TIER, Instance, Scenario
from placement.solution import checker
from placement.solvers.base import SolveOptions
from placement.util import json_safe
from placement.util.executor import Executor, SerialExecutor, per_worker

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["ForcingCosts", "forcing_costs"]


@dataclass
class ForcingCosts:
    """Forcing cost of every function at every tier (see the module docstring).

    Attributes
    ----------
    instance
        The instance (scenario applied).
    assignment
        Tier index per function of the optimum the costs are measured from.
    objective
        That optimum's objective.
    costs
        (F, T) forcing costs: 0 at the chosen tier, ``NaN`` where the tier is impossible.
    status
        (F, T) ``chosen``, ``forced``, ``infeasible``, ``not allowed`` or ``pinned``.
    """

    instance: Instance
    assignment: np.ndarray
    objective: float
    costs: np.ndarray
    status: np.ndarray
    solver: str
    solves: int
    seconds: float

    def frame(self) -> pd.DataFrame:
        """Forcing costs, functions (rows) by tiers (columns); ``NaN`` where impossible."""
        inst = self.instance
        return pd.DataFrame(self.costs, index=pd.Index(inst.function_ids, name="function"),
                            columns=pd.Index(list(inst.tier_ids), name="tier"))

    def runner_up(self) -> np.ndarray:
        """Tier index of each function's runner-up (``-1`` when no other tier is possible):
        the other tier with the smallest forcing cost; ties go to the higher value of the
        function itself there, then to the more central tier (as ``explain`` chooses)."""
        F, T = self.costs.shape
        other = self.status == FORCED
        cost = np.where(other, self.costs, np.inf)
        values = self.instance.value_matrix
        # lexicographic (cost, -value, tier index): sort by the later keys first, stably
        order = np.argsort(-np.where(other, values, -np.inf), axis=1, kind="stable")
        best = np.take_along_axis(cost, order, axis=1).argmin(axis=1)
        ru = order[np.arange(F), best]
        return np.where(other.any(axis=1), ru, -1)

    def margins(self) -> np.ndarray:
        """(F,) the runner-up's forcing cost (``inf`` when no other tier is possible)."""
        cost = np.where(self.status == FORCED, self.costs, np.inf)
        return cost.min(axis=1) if cost.size else np.zeros(0)

    def summary(self) -> pd.DataFrame:
        """One row per function: its tier, the runner-up, the margin (the runner-up's forcing
        cost), the function's own value at both, and how many tiers were possible."""
        inst = self.instance
        F = inst.n_functions
        tids = np.array([*inst.tier_ids, ""], dtype=object)
        ru = self.runner_up()
        values = inst.value_matrix
        rows = np.arange(F)
        margin = self.margins()
        return pd.DataFrame({
            "tier": tids[self.assignment],
            "runner_up": tids[ru],
            "margin": np.where(np.isinf(margin), np.nan, margin),
            "value": values[rows, self.assignment],
            "value_at_runner_up": np.where(ru >= 0, values[rows, np.maximum(ru, 0)], np.nan),
            "possible_tiers": ((self.status == CHOSEN) | (self.status == FORCED)).sum(axis=1),
        }, index=pd.Index(inst.function_ids, name="function"))

    def to_dict(self) -> dict[str, Any]:
        inst = self.instance
        tiers = list(inst.tier_ids)
        s = self.summary()
        return json_safe({
            **header(inst, self.solver),
            "objective": self.objective,
            "solves": self.solves,
            "seconds": round(self.seconds, 6),
            "functions": [
                {"function": str(fid), "tier": row["tier"],
                 "runner_up": row["runner_up"] or None, "margin": row["margin"],
                 "forcing_cost": {t: (None if math.isnan(c) else float(c))
                                  for t, c in zip(tiers, self.costs[i].tolist(),
                                                  strict=True)},
                 "status": dict(zip(tiers, self.status[i].tolist(), strict=True))}
                for i, (fid, row) in enumerate(s.iterrows())],
            "definition": "forcing cost = objective lost when the function is fixed at the "
                          "tier and everything else re-optimised; margin = the smallest "
                          "forcing cost over the function's other possible tiers",
        })

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)


def _checked_objective(inst: Instance, a: np.ndarray, claimed: float, what: str) -> float:
    """The checker's objective of placement ``a``; :class:`CheckerError` when the checker
    rejects it (a violated constraint or an objective other than the solver claimed)."""
    rep = checker.check(inst, a, claimed)
    if not rep.ok or rep.objective is None:
        raise CheckerError(f"forcing costs: {what} failed the independent checker: "
                           f"{rep.summary()}")
    return float(rep.objective)


@dataclass(frozen=True)
class _Job:
    """What every function's re-solves share (one task per function, on any executor)."""

    inst: Instance
    solver: str
    options: SolveOptions
    z0: float
    forced: np.ndarray  # (F, T) the cells to force


def _force(job: _Job, f: int) -> tuple[int, np.ndarray, np.ndarray, int]:
    """Function ``f`` forced to each of its tiers in turn: (f, costs, infeasible, solves). The
    worker's loaded model is built once (:func:`placement.util.executor.per_worker`)."""
    sol, form, session = per_worker(job, "forcing", lambda: _open(job))
    inst, T = job.inst, job.inst.n_tiers
    ids = inst.functions.ids
    n0 = sol.solves
    row = np.full(T, np.nan)
    infeasible = np.zeros(T, dtype=bool)
    todo = np.nonzero(job.forced[f])[0]
    if todo.size:
        cols = f * T + np.arange(T)
        eye = np.eye(T)
        for t in todo.tolist():
            session.set_col_bounds(cols, eye[t], eye[t])
            raw = sol.proven(sol.run(session), f"forcing costs: {ids[f]} at "
                                               f"{inst.tier_ids[t]}")
            if raw.x is None or raw.objective is None:
                infeasible[t] = True
                continue
            a = form.assignment_of(raw.x).astype(np.int64)
            if a[f] != t:
                raise CheckerError(f"forcing costs: the solve with {ids[f]} fixed at "
                                   f"{inst.tier_ids[t]} placed it at "
                                   f"{inst.tier_ids[int(a[f])]}")
            zt = _checked_objective(inst, a, raw.objective,
                                    f"the placement with {ids[f]} at {inst.tier_ids[t]}")
            row[t] = max(0.0, inst.sense.sign * (job.z0 - zt))
        session.set_col_bounds(cols, form.col_lower[cols], form.col_upper[cols])
    return f, row, infeasible, sol.solves - n0


def _open(job: _Job) -> tuple[Solver, Any, Any]:
    sol = Solver(job.solver, job.options)
    form = build(job.inst)
    return sol, form, sol.open(form)


def forcing_costs(
    instance: Instance,
    *,
    scenario: str | Scenario | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
    executor: Executor | None = None,
) -> ForcingCosts:
    """Forcing cost of every function at every tier, from one loaded model (per worker).

    Parameters
    ----------
    instance
        The instance (a scenario, if given, is applied first).
    scenario
        Scenario id or object whose overrides apply.
    solver, time_limit, threads
        Backend and its options; ``time_limit`` applies to each re-solve, and every solve
        must be proven optimal (or proven infeasible).
    progress
        Called with 1 after each function is done.
    executor
        Where the functions' re-solves run (:mod:`placement.util.executor`; default this
        process, one loaded model for all of them).

    Returns
    -------
    ForcingCosts
        ``frame()`` (F x T costs), ``summary()`` (runner-up and margin per function),
        ``to_json()``.

    Raises
    ------
    placement.errors.InfeasibleError
        The instance itself has no placement.
    AnalysisError
        A solve ended without a proof (raise ``time_limit``); :class:`CheckerError` when a
        placement fails the independent checker.

    Examples
    --------
    >>> import placement
    >>> from placement.analysis import forcing_costs
    >>> fc = forcing_costs(placement.load("instances/tiny-budget"))
    >>> fc.frame().round(3)  # doctest: +NORMALIZE_WHITESPACE
    tier           national  region  local
    function
    procurement         0.0     2.0    4.0
    prevention          4.0     2.0    0.0
    commissioning       0.5     0.0    NaN
    workforce           0.0     1.0    2.0
    >>> fc.status[2].tolist()  # commissioning cannot go local within the budget
    ['forced', 'chosen', 'infeasible']
    >>> fc.summary().loc["commissioning", ["tier", "runner_up", "margin"]].to_dict()
    {'tier': 'region', 'runner_up': 'national', 'margin': 0.5}
    """

    t0 = time.perf_counter()
    inst = instance.with_scenario(scenario)
    require_single_area(inst, "the forcing-cost table")
    sol = Solver(solver, SolveOptions(time_limit=time_limit, threads=threads))
    form = build(inst)
    raw0 = sol.proven(sol.solve(form), "forcing costs")
    if raw0.x is None or raw0.objective is None:
        raise infeasible_error(inst, raw0, "forcing costs")
    a0 = form.assignment_of(raw0.x).astype(np.int64)
    z0 = _checked_objective(inst, a0, raw0.objective, "the optimum")
    F, T = inst.n_functions, inst.n_tiers
    fn = inst.functions
    costs = np.full((F, T), np.nan)
    status = np.empty((F, T), dtype=object)
    status[:] = FORCED
    status[~fn.allowed] = NOT_ALLOWED
    pinned = fn.pinned != NO_TIER
    status[pinned, :] = PINNED
    rows = np.arange(F)
    status[rows, a0] = CHOSEN
    costs[rows, a0] = 0.0
    job = _Job(inst, solver, SolveOptions(time_limit=time_limit, threads=threads), z0,
               status == FORCED)
    solves = sol.solves
    for _, (f, row, infeasible, n) in (executor or SerialExecutor()).run(
            _force, job, list(range(F))):
        todo = job.forced[f]
        costs[f, todo] = row[todo]
        status[f, infeasible] = INFEASIBLE
        solves += n
        if progress is not None:
            progress(1)
    return ForcingCosts(instance=inst, assignment=a0, objective=z0, costs=costs,
                        status=status, solver=sol.name, solves=solves,
                        seconds=time.perf_counter() - t0)
