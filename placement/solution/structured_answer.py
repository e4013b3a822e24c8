"""The answers of the structure-aware solve (:mod:`placement.solution.structured`): the
forest's placement when it already meets the forest's bound (proven without a core or the
backend), and the incumbent the cores gave, with the whole form's bound."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from placement.milp import CanonicalForm
from placement.milp.core import Pricing
from placement.milp.link_forest import ForestBound
from placement.solution.anytime import Prepared
from placement.solvers.base import RawSolution, Status, relative_gap

if TYPE_CHECKING:
    from placement import solvers

__all__ = ["forest_answer", "forest_message", "core_answer", "limit_answer"]


def _details(prep: Prepared, lagrangian_bound: float | None,
             rounds: list[dict[str, Any]], pricing: dict[str, Any] | None) -> dict[str, Any]:
    """``extra["structure"]``: the bounds, the start, the preparation's times, the rounds, and
    the prices of the bound the answer rests on (``pricing``: its kind, value, and the rows'
    nonzero multipliers, so that anyone can re-derive it)."""
    return {"lagrangian_bound": lagrangian_bound, "pricing": pricing,
            "lagrangian_iterations": None if prep.bound is None else prep.bound.iterations,
            "forest_bound": None if prep.forest is None else prep.forest.details(),
            "construction_objective": prep.start_objective,
            "prepare_seconds": {k: round(v, 4) for k, v in prep.seconds.items()},
            "rounds": rounds}


def forest_answer(form: CanonicalForm, prep: Prepared, backend: solvers.Backend,
                  seconds: float) -> RawSolution:
    """The forest's placement, proven within the gap asked for by the forest's bound."""
    assert prep.forest is not None and prep.start is not None
    bound = prep.forest.bound
    details = _details(prep, None if prep.bound is None else prep.bound.bound, [],
                       _forest_prices(form, prep.forest))
    return RawSolution(status=Status.OPTIMAL, x=prep.start, objective=prep.start_objective,
                       bound=bound, gap=relative_gap(prep.start_objective, bound), nodes=0,
                       seconds=seconds, message=forest_message(prep.forest),
                       extra={"structure": details}, solver_version=backend.version())


def limit_answer(form: CanonicalForm, prep: Prepared, backend: solvers.Backend,
                 seconds: float) -> RawSolution:
    """No core round: too little of the time limit is left to price the columns and choose
    a core (a pass over the whole form each). The start and its bound are the answer."""
    lb, best = prep.bound, prep.best_bound(form)
    prices = None  # those of the bound given: the forest's or the Lagrangian's
    if best is not None and prep.forest is not None and best == prep.forest.bound:
        prices = _forest_prices(form, prep.forest)
    elif lb is not None:
        prices = _prices("lagrangian", lb.bound, lb.multipliers)
    details = _details(prep, None if lb is None else lb.bound, [], prices)
    bound = best if prep.start is not None else None
    return RawSolution(status=Status.TIME_LIMIT, x=prep.start, objective=prep.start_objective,
                       bound=bound, gap=relative_gap(prep.start_objective, bound), nodes=0,
                       seconds=seconds, message="time limit: too little was left to price the "
                       "columns and choose a core", extra={"structure": details},
                       solver_version=backend.version())


def forest_message(fb: ForestBound) -> str:
    """What proved it: the bound with the links kept, of several rows, or of one budget."""
    if fb.links:
        return "proven optimal by the Lagrangian bound with the links kept: the placement " \
               "meets it"
    if fb.rows.shape[0] > 1:
        return (f"proven optimal by the Lagrangian bound of the {fb.rows.shape[0]} priced "
                "rows (the LP bound): the placement meets it")
    return "proven optimal by the Lagrangian bound of the one budget (exact): the placement " \
           "meets it"


def _forest_prices(form: CanonicalForm, fb: ForestBound) -> dict[str, Any]:
    return _prices("forest", form.sense.sign * fb.value, fb.full_multipliers(form))


def _prices(kind: str, bound: float, multipliers: np.ndarray) -> dict[str, Any]:
    """A bound's kind and value with its nonzero multipliers (row indices of the form)."""
    rows = np.flatnonzero(multipliers)
    return {"kind": kind, "bound": float(bound), "rows": rows.tolist(),
            "multipliers": multipliers[rows].tolist()}


def core_answer(form: CanonicalForm, x: np.ndarray | None, objective: float | None,
                nodes: int, pricing: Pricing, bound: float | None, status: Status,
                rounds: list[dict[str, Any]], prep: Prepared, seconds: float) -> RawSolution:
    """The cores' incumbent ``x`` with the whole form's ``bound`` at ``status``; ``pricing``
    priced the cores (its bound is the one the fixing rests on)."""
    lagrangian_bound = pricing.bound(form)
    if x is None and status is not Status.INFEASIBLE:
        bound = None  # no placement: no gap to report (the Lagrangian bound is in extra)
    message = {Status.OPTIMAL: "proven optimal through the core: nothing outside it beats "
                               "the placement",
               Status.INFEASIBLE: "infeasible: the core, which fixes only what is exact, "
                                  "has no placement"}.get(
        status, "the best placement the core gave, with the whole form's bound")
    return RawSolution(status=status, x=x, objective=objective, bound=bound,
                       gap=relative_gap(objective, bound), nodes=nodes, seconds=seconds,
                       message=message, extra={"structure": _details(
                           prep, lagrangian_bound, rounds,
                           _prices(pricing.kind, lagrangian_bound, pricing.multipliers))})
