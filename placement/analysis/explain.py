"""Why a function sits where it does (docs/model.md section 7, "explain f").

A MILP has no duals, so the honest substitute is to ask the model directly: for every other
tier t, re-solve with the function fixed at t and report

* the **forcing cost**: the objective lost, ``v* - v*(f at t)`` (``v*(f at t) - v*`` when
  minimising), never negative;
* **what else moves**: the other functions placed differently from the optimum. A forced
  optimum is rarely unique, so the engine reports, among the placements that reach the forced
  optimum, one that moves the fewest other functions (a second solve minimising moves with the
  objective held at its forced optimum);
* the **resource consequences**: the change in use of every resource, and the slack left
  under its budget and under each per-tier cap.

A tier the function cannot take is reported, not raised: ``not allowed`` (the instance does
not allow it there), ``pinned`` (the function is pinned elsewhere) or ``infeasible`` (allowed,
but no placement with the function there meets the budgets, caps and links).

The **runner-up** is the other tier with the smallest forcing cost (ties: the higher value of
the function itself there, then the more central tier), so it accounts for the constraints and
not only for the function's own values. The criterion contributions ``w_c * s[f,c] * a[f,c,t]``
at the chosen tier and the runner-up say which criteria decide between them.

This module computes an explanation; :mod:`placement.analysis.explain_result` holds what
:func:`explain` returns.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from placement.analysis.common import function_index, moves_between, require_single_area, tolerance
from placement.analysis.explain_result import (
    CHOSEN,
    FORCED,
    INFEASIBLE,
    NOT_ALLOWED,
    PINNED,
    Explanation,
    TierOption,
)
from placement.analysis.resolving import (
    Solver,
    assignment_of,
    closest,
    infeasible_error,
    rounded,
    value_row,
)
from placement.milp import build
from placement.model import NO_TIER, Instance, Scenario
from placement.solution.solving import result_from_raw
from placement.solvers.base import SolveOptions

if TYPE_CHECKING:
    from placement.milp import CanonicalForm
    from placement.solvers.base import RawSolution

__all__ = ["explain"]


def _runner_up(options: list[TierOption]) -> str | None:
    """The forced tier with the smallest forcing cost; ties: the higher value of the function
    there, then the more central tier (``None`` when no other tier is possible)."""
    cands = [(o.cost, -o.value, i) for i, o in enumerate(options)
             if o.status == FORCED and o.cost is not None]
    if not cands:
        return None
    return options[min(cands)[2]].tier


def explain(
    instance: Instance,
    function: str,
    *,
    scenario: str | Scenario | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    threads: int | None = None,
    minimal_moves: bool = True,
) -> Explanation:
    """Why ``function`` sits at its tier: contributions, forcing costs, resource consequences.

    Parameters
    ----------
    instance
        The instance (a scenario, if given, is applied first).
    function
        A function id.
    scenario
        Scenario id or object whose overrides apply.
    solver, time_limit, threads
        Backend and its options (every solve must be proven optimal).
    minimal_moves
        Report, for each forced tier, a forced optimum that moves the fewest other functions
        (one extra solve per tier). ``False`` reports whichever forced optimum the solver
        returns.

    Returns
    -------
    Explanation
        ``tiers()`` (DataFrame, one row per tier), ``contributions()``, ``moves()``,
        ``resources()``, ``to_json()``.

    Raises
    ------
    InstanceError
        Unknown function (or scenario).
    InfeasibleError
        The instance itself has no placement.

    Examples
    --------
    >>> import placement
    >>> from placement.analysis import explain
    >>> e = explain(placement.load("instances/tiny-budget"), "commissioning")
    >>> e.tier, e.runner_up
    ('region', 'national')
    >>> e.tiers()[["status", "forcing_cost"]]  # doctest: +NORMALIZE_WHITESPACE
                  status  forcing_cost
    tier
    national      forced           0.5
    region        chosen           0.0
    local     infeasible           NaN
    >>> e.contributions()  # doctest: +NORMALIZE_WHITESPACE
               region  national  difference
    criterion
    scale         1.5       3.0        -1.5
    local         2.0       0.0         2.0
    """

    t0 = time.perf_counter()
    inst = instance.with_scenario(scenario)
    require_single_area(inst, f"explain {function}")
    f = function_index(inst, function)
    options = SolveOptions(time_limit=time_limit, threads=threads)
    sol = Solver(solver, options)
    form = build(inst)
    build_seconds = float(form.info.get("build_seconds", 0.0))  # type: ignore[arg-type]
    raw0 = sol.proven(sol.solve(form), f"explain {function}")
    if raw0.x is None or raw0.objective is None:
        raise infeasible_error(inst, raw0, f"explain {function}")
    x0 = rounded(form, raw0.x)
    a0 = assignment_of(form, x0)
    z0 = float(raw0.objective)
    optimum = result_from_raw(inst, form, raw0, solver=sol.name, options=options,
                              build_seconds=build_seconds)
    s = inst.sense.sign
    T = inst.n_tiers
    fn = inst.functions
    values = inst.value_matrix[f]
    tids = inst.tier_ids
    cols = f * T + np.arange(T)
    session = sol.open(form)
    out: list[TierOption] = []
    for t in range(T):
        v = float(values[t])
        if t == a0[f]:
            out.append(TierOption(tids[t], CHOSEN, v, z0, 0.0, [], optimum))
            continue
        if fn.pinned[f] != NO_TIER:
            out.append(TierOption(tids[t], PINNED, v,
                                  reason=f"pinned at {tids[int(fn.pinned[f])]}"))
            continue
        if not fn.allowed[f, t]:
            out.append(TierOption(tids[t], NOT_ALLOWED, v,
                                  reason=f"the instance does not allow {function} at "
                                         f"{tids[t]}"))
            continue
        at = (np.arange(T) == t).astype(float)
        # all of f's columns are set, so each forced tier replaces the last one's bounds; the
        # loaded session re-solves, and ``forced`` is the same model as a form (for the
        # checked result and the fewest-moves solve)
        session.set_col_bounds(cols, at, at)
        forced = form.with_col_bounds(*_bounds(form, cols, at))
        raw = sol.proven(sol.run(session), f"explain {function} at {tids[t]}")
        if raw.x is None or raw.objective is None:
            out.append(TierOption(tids[t], INFEASIBLE, v,
                                  reason="no placement with it there meets the budgets, caps "
                                         "and links"))
            continue
        zt = float(raw.objective)
        if minimal_moves:
            raw = _fewest_moves(sol, forced, raw, zt, a0)
        x = rounded(form, np.asarray(raw.x))
        r = result_from_raw(inst, forced, raw, solver=sol.name, options=options,
                            build_seconds=0.0)
        others = [m for m in moves_between(inst, a0, assignment_of(form, x))
                  if m.function != function]  # "what else moves": not the function itself
        out.append(TierOption(tids[t], FORCED, v, zt, max(0.0, s * (z0 - zt)), others, r))
    return Explanation(
        instance=inst,
        function=function,
        function_name=str(fn.names[f]),
        tier=tids[int(a0[f])],
        runner_up=_runner_up(out),
        objective=z0,
        optimum=optimum,
        options=out,
        solver=sol.name,
        seconds=time.perf_counter() - t0,
    )


def _bounds(form: CanonicalForm, cols: np.ndarray,
            at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The form's column bounds with columns ``cols`` fixed at ``at``."""
    lo, up = form.col_lower.copy(), form.col_upper.copy()
    lo[cols], up[cols] = at, at
    return lo, up


def _fewest_moves(sol: Solver, forced: CanonicalForm, raw: RawSolution, zt: float,
                  a0: np.ndarray) -> RawSolution:
    """Among the forced optima, one that moves the fewest functions from ``a0``; the solver's
    own forced optimum when the second solve does not confirm the same objective."""
    tol = tolerance(zt)
    alt = closest(sol, forced, a0, [value_row(forced, zt, tol)])
    if alt.x is None:
        return raw
    z_alt = forced.objective_of(rounded(forced, alt.x))
    if abs(z_alt - zt) > tol:
        return raw
    # the second solve's own objective counted functions kept: report the placement's value
    alt.objective, alt.bound, alt.gap = z_alt, None, None
    return alt
