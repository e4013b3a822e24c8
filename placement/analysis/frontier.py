"""The budget frontier (docs/model.md section 7): the optimum against the budget of one resource,
with every breakpoint and the placements that change there.

What is computed
----------------
Fix everything but the budget ``B`` of resource ``r`` (other budgets, every cap - those of r
too - pins, links, max_moves and max_share stay as the instance has them). The budget row reads
as in the model (docs/model.md section 3): ``use(a) = sum_f cost[f, a_f, r] + move[f, r]`` for
functions that leave their current tier, so one-off move costs count. With finitely many
placements the optimum

    V(B) = best { objective(a) : a feasible, use(a) <= B }

is a non-decreasing step function of ``B`` (non-increasing cost when the instance
minimises), right-continuous: it steps up exactly at the use of some placement. The frontier is
the list of steps: for each, the least budget at which its value is reached (``budget_from``,
the breakpoint), the budget at which the next step begins (``budget_to``, exclusive), the value,
and one placement reaching it with use ``budget_from``.

How it is found
---------------
By successive exact re-solves going down from the top budget, three per step (the best value;
the least use reaching it, which is the breakpoint; the fewest moves from the step above):
the method is described in :mod:`placement.analysis.frontier_search`. The result objects are
in :mod:`placement.analysis.frontier_result`.

Exactness: every value and use reported is recomputed from the placement with the instance's
own arrays (not read off the solver). The best value and the least use are proven optima, so
between two reported breakpoints no placement does better. The only approximations are
tolerances: the search steps ``eps`` below each breakpoint, ``1e-7`` relative (raised tenfold,
up to ``1e-3``, when the solver's feasibility tolerance lets a placement with the breakpoint's
use through - the frontier reports the ``eps`` it used), so two placements whose uses differ
by less than ``eps`` share a breakpoint; values within ``1e-9`` relative count as ties. HiGHS
runs with feasibility tolerances of ``1e-9`` here.
"""

from __future__ import annotations

import math
import time

import numpy as np

from placement.analysis.common import require_exact_backend, require_single_area, resource_index
from placement.analysis.frontier_result import Frontier
from placement.analysis.frontier_search import BudgetSearch, descend
from placement.errors import InfeasibleError, InstanceError, Problem
from placement.model import Instance, Scenario
from placement.solution.solving import solve
from placement.solvers.base import Status

__all__ = ["frontier", "MAX_STEPS"]

#: Steps computed before the frontier stops (and says it was cut short).
MAX_STEPS = 1000


def frontier(
    instance: Instance,
    resource: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    scenario: str | Scenario | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    max_steps: int = MAX_STEPS,
) -> Frontier:
    """The optimum against the budget of ``resource``, with its exact breakpoints.

    Parameters
    ----------
    instance
        The instance (a scenario, if given, is applied first).
    resource
        A resource id of the instance (it need not have a budget).
    lower, upper
        The budget range to cover. ``upper`` defaults to no budget at all (the first step is
        then the optimum with the resource unconstrained); ``lower`` to the least budget any
        placement needs (the frontier then ends where placements run out).
    scenario, solver, time_limit
        Scenario to apply; backend (one with exact real coefficients: not CP-SAT); time limit
        per solve (every solve must still prove optimality).
    max_steps
        Stop after this many steps (``truncated`` then says so).

    Returns
    -------
    Frontier
        ``frame()`` (one row per step), ``changes()`` (what moves at each breakpoint),
        ``placements()``, ``plot(path)``, ``to_json()``.

    Raises
    ------
    InstanceError
        Unknown resource, an empty or negative range, a backend that rounds coefficients.
    placement.errors.InfeasibleError
        No placement at any budget of the resource (other constraints conflict). An
        instance infeasible only for want of this budget is fine: its frontier shows the
        budget where placements begin.

    Examples
    --------
    >>> import placement
    >>> from placement.analysis.frontier import frontier
    >>> fr = frontier(placement.load("instances/tiny-budget"), "staff")
    >>> fr.frame()[["budget_from", "budget_to", "value"]]  # doctest: +NORMALIZE_WHITESPACE
          budget_from  budget_to  value
    step
    0           2.011       2.11   13.0
    1           2.110       3.10   15.0
    2           3.100      12.01   15.5
    3          12.010      13.00   17.0
    4          13.000     112.00   17.5
    5         112.000        inf   18.0
    >>> fr.changes()[["breakpoint", "function", "below", "at_or_above"]].tail(2)
       breakpoint       function     below at_or_above
    4        13.0  commissioning  national      region
    5       112.0  commissioning    region       local
    >>> fr.value_at(50.0), fr.complete_below      # the instance's own budget is 50
    (17.5, True)
    """
    _check_arguments(lower, upper, max_steps)
    require_exact_backend(solver, "an exact frontier")

    t0 = time.perf_counter()
    r = resource_index(instance.with_scenario(scenario), resource)
    require_single_area(instance, "the budget frontier")
    # placement solve's optimum at the instance's own budgets (there may be none: the
    # frontier shows where placements begin), and the scenario applied exactly as it applies it
    ref = solve(instance, solver, scenario=scenario, time_limit=time_limit)
    inst = ref.instance
    proven = ref.status is Status.OPTIMAL and ref.assignment is not None
    search = BudgetSearch(inst, r, solver, time_limit)
    walk = descend(search,
                   top=math.inf if upper is None else float(upper),
                   bottom=-math.inf if lower is None else float(lower),
                   max_steps=max_steps,
                   start=np.asarray(ref.assignment, dtype=np.int64) if proven else None)
    if not walk.steps:
        if upper is not None:
            raise InstanceError.single(
                None, "--to", None, upper,
                f"a {resource} budget at which some placement exists (none fits {upper:g}; "
                "omit --to to see where placements begin)", subject="frontier")
        raise InfeasibleError(
            f"no placement at any {resource} budget: '{inst.name}' is infeasible for other "
            "reasons" + (f"\n{ref.diagnosis}" if ref.diagnosis is not None else ""),
            ref.diagnosis)
    res = inst.resources[r]
    return Frontier(
        instance=inst,
        resource=res.id,
        steps=walk.steps,
        lower=lower,
        upper=upper,
        budget=res.budget,
        optimum=(ref.check.objective if proven and ref.check is not None else None),
        eps=walk.eps,
        complete_below=walk.complete_below,
        truncated=walk.truncated,
        solves=search.solves,
        seconds=time.perf_counter() - t0,
        solver=solver,
    )


def _check_arguments(lower: float | None, upper: float | None, max_steps: int) -> None:
    """Every problem with the range and ``max_steps`` at once, as one :class:`InstanceError`."""
    problems = []
    for name, v in (("--from", lower), ("--to", upper)):
        if v is not None and not (isinstance(v, int | float) and math.isfinite(v)):
            problems.append(Problem(None, name, None, v, "a finite budget"))
    if not problems and lower is not None and upper is not None and lower > upper:
        problems.append(Problem(None, "--from", None, lower,
                                f"a budget no larger than --to ({upper:g})"))
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        problems.append(Problem(None, "max_steps", None, max_steps, "1 or more steps"))
    if problems:
        raise InstanceError(problems, subject="frontier")
