"""Rejecting one-size optimum scale (docs/model.md section 5): baselines every solve reports.

Everything here is computed with the independent checker
(:func:`placement.solution.checker.check`) on fixed placements: no extra solves.

Definitions
-----------
one-size baseline at tier t
    Every function at t. Reported: its objective (values less soft-link penalties), resource
    use (running use plus one-off move costs), whether it is feasible, which of budgets, caps,
    pins, allowed tiers, max_moves, max_share and links permit it, and the constraints it
    breaks, in the checker's words.
best one-size
    The feasible one-size baseline with the best objective (ties: the more local tier).
    ``None`` when no one-size placement is feasible.
price of uniformity
    ``loss / |v*|`` where ``loss = v* - v1`` when maximising and ``v1 - v*`` when minimising
    (v* the optimum, v1 the best one-size objective), so it is 0 or more for a proven optimum
    whatever the sense and the sign of v*. ``None`` when no one-size placement is feasible
    (uniformity is then not merely costly but impossible; ``price_of_uniformity_note`` says so)
    and when v* = 0 (a relative price is undefined; ``uniformity_loss`` still gives the
    absolute loss). Either way the report also gives the best one-size placement *ignoring
    constraints* and its price, which may be negative when constraints bind the optimum.
status quo
    When every function has a ``current`` tier: its objective, feasibility, what it breaks,
    the optimum's gain over it (``gap``, with the same sign convention as the loss above, and
    ``relative_gap = gap / |v*|``) and how many functions the optimum places elsewhere.
single tier
    The tier holding every function when the optimum itself is one-size (then a warning is
    added to the result: the scoring model has collapsed to one scale).
one-size with pins kept (``one_size_free``)
    The same per tier, for every function free to move there, the others where they must be
    (pinned ones at their pin, ones the tier may not hold at the nearest tier that may):
    :mod:`placement.solution.one_size_free`. Each row also has ``at_tier`` (how many
    functions are at the tier wherever it has a unit) and ``kept`` (every other function by
    name, with why and where it is). ``best_one_size_free``, ``uniformity_loss_free`` and
    ``price_of_uniformity_free`` are defined as above on these rows; the price is meaningful
    where pins make every strict one-size placement infeasible.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from placement.model import NO_TIER, Instance, Sense
from placement.solution import area_result
from placement.solution.checker import OBJECTIVE_TERMS, CheckReport, check, placement_values
from placement.solution.one_size_free import free_one_size

__all__ = ["one_size_baselines", "price_of_uniformity", "uniformity_loss",
           "single_tier_warning", "PERMISSIONS"]

#: Constraint kinds a baseline may break, as the checker names them, grouped for the report.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "budgets": ("budget",),
    "caps": ("cap",),
    "pins": ("pinned",),
    "allowed": ("allowed",),
    "max_moves": ("max_moves",),
    "max_share": ("max_share",),
    "links": ("link",),
}


def uniformity_loss(optimum: float, other: float, sense: Sense | str) -> float:
    """How much worse ``other`` is than ``optimum`` (>= 0 when ``optimum`` is optimal).

    A difference within floating-point noise of the two values (1e-9 relative) is 0, so that
    the optimum re-evaluated is not reported as a loss of -1e-13.

    >>> uniformity_loss(10.0, 8.0, "max"), uniformity_loss(10.0, 12.0, "min")
    (2.0, 2.0)
    >>> uniformity_loss(589.2287202537847, 589.2287202537848, "max")
    0.0
    """
    loss = Sense(sense).loss(optimum, other)
    if abs(loss) <= 1e-9 * max(1.0, abs(optimum), abs(other)):
        return 0.0
    return loss


def price_of_uniformity(optimum: float | None, one_size: float | None,
                        sense: Sense | str) -> float | None:
    """``uniformity_loss / |optimum|``; ``None`` when either is missing or the optimum is 0.

    >>> price_of_uniformity(20.0, 15.0, "max")
    0.25
    >>> price_of_uniformity(-20.0, -25.0, "max")    # negative optimum: still a loss of 25%
    0.25
    >>> price_of_uniformity(100.0, 130.0, "min")
    0.3
    >>> price_of_uniformity(0.0, -1.0, "max") is None
    True
    """
    if optimum is None or one_size is None or abs(optimum) < 1e-12:
        return None
    return uniformity_loss(optimum, one_size, sense) / abs(optimum)


def _use(inst: Instance, a: np.ndarray) -> dict[str, float]:
    if a.ndim == 2:  # per area: every body used, and the people whose function moves
        run, moves = area_result.resource_use(inst, a)
        return {r.id: float(run[:, :, i].sum() + moves[:, i].sum())
                for i, r in enumerate(inst.resources)}
    F = inst.n_functions
    costs = inst.cost_tensor[np.arange(F), a, :]
    fn = inst.functions
    moved = (fn.current != NO_TIER) & (a != fn.current)
    return {r.id: float(costs[:, i].sum() + (fn.move[:, i] * moved).sum())
            for i, r in enumerate(inst.resources)}


def _permits(rep: CheckReport) -> dict[str, bool]:
    kinds = {v.kind for v in rep.violations}
    return {name: not (set(ks) & kinds) for name, ks in PERMISSIONS.items()}


def _evaluate(inst: Instance, a: np.ndarray) -> dict[str, Any]:
    rep = check(inst, a)
    if a.ndim == 2:
        values = float((inst.value_matrix * area_result.units_used(inst, a)).sum())
    elif rep.objective is not None:  # the checker's, less its penalty terms: values once
        values = rep.objective - sum(term(inst, a) for term in OBJECTIVE_TERMS)
    else:
        values = float(placement_values(inst, a).sum())
    return {
        "value": rep.objective,
        "value_before_penalties": values,
        "resources": _use(inst, a),
        "feasible": rep.ok,
        "permitted_by": _permits(rep),
        "breaks": [v.message for v in rep.violations],
    }


def single_tier_warning(inst: Instance, assignment: np.ndarray) -> str | None:
    """The warning of docs/model.md section 5 when a placement uses one tier only."""
    if inst.n_functions < 2 or inst.n_tiers < 2:
        return None
    a = np.asarray(assignment).ravel()
    if (a == a[0]).all():
        return (f"the optimum places every function at {inst.tier_ids[int(a[0])]}: the scoring "
                "model has collapsed to one scale; look at its weights and curves before "
                "trusting this (docs/model.md section 5)")
    return None


def one_size_baselines(
    inst: Instance, assignment: np.ndarray | None, optimum: float | None
) -> dict[str, Any]:
    """The one-size baselines, best one-size, price of uniformity and status quo.

    Parameters
    ----------
    inst
        The instance as solved (scenario applied).
    assignment, optimum
        The optimal placement and its objective (``None`` when there is none).

    Examples
    --------
    >>> import placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> r = placement.solve(inst)
    >>> b = one_size_baselines(inst, r.assignment, r.objective)
    >>> b["best_one_size"], round(b["price_of_uniformity"], 4)
    ({'tier': 'national', 'value': 13.0}, 0.2571)
    >>> b["one_size"]["local"]["breaks"]
    ['staff used 112 exceeds its budget 50 by 62']
    >>> b["status_quo"]["functions_differ"]
    2
    """
    F, T = inst.n_functions, inst.n_tiers
    one_size = {tid: _one_size(inst, t) for t, tid in enumerate(inst.tier_ids)}
    free = {tid: _one_size_free(inst, t, one_size[tid]) for t, tid in enumerate(inst.tier_ids)}
    best_feasible = _best(inst, one_size, True)
    best_any = _best(inst, one_size, False)
    best_free = _best(inst, free, True)
    out: dict[str, Any] = {
        "one_size": one_size,
        "best_one_size": best_feasible,
        "price_of_uniformity": None,
        "price_of_uniformity_note": "",
        "uniformity_loss": None,
        "best_one_size_ignoring_constraints": best_any,
        "price_of_uniformity_ignoring_constraints": None,
        "status_quo": None,
        "status_quo_note": "",
        "single_tier": None,
        "one_size_free": free,
        "best_one_size_free": best_free,
        "uniformity_loss_free": None,
        "price_of_uniformity_free": None,
    }
    if optimum is not None and best_free is not None:
        out["uniformity_loss_free"] = uniformity_loss(optimum, best_free["value"], inst.sense)
        out["price_of_uniformity_free"] = price_of_uniformity(optimum, best_free["value"],
                                                              inst.sense)
    if optimum is None:
        out["price_of_uniformity_note"] = "no optimum to compare with"
    else:
        if best_feasible is None:
            out["price_of_uniformity_note"] = (
                f"no one-size placement is feasible (each of the {T} breaks a constraint)"
                + _why_none(one_size))
        else:
            out["uniformity_loss"] = uniformity_loss(optimum, best_feasible["value"],
                                                     inst.sense)
            out["price_of_uniformity"] = price_of_uniformity(optimum, best_feasible["value"],
                                                             inst.sense)
            if out["price_of_uniformity"] is None:
                out["price_of_uniformity_note"] = (
                    "the optimum is 0, so a relative price is undefined; see uniformity_loss")
        if best_any is not None:
            out["price_of_uniformity_ignoring_constraints"] = price_of_uniformity(
                optimum, best_any["value"], inst.sense)
    if assignment is not None:
        a = np.asarray(assignment, dtype=np.int64)
        if single_tier_warning(inst, a) is not None:
            out["single_tier"] = inst.tier_ids[int(a.ravel()[0])]
    cur = inst.current_by_area if inst.per_area else inst.functions.current
    missing = int((cur == NO_TIER).any(axis=-1).sum()) if cur.ndim == 2 else int(
        (cur == NO_TIER).sum())
    if missing:
        out["status_quo_note"] = (f"{missing} of {F} functions have no current tier, so there "
                                  "is no status quo to evaluate")
    else:
        sq = _evaluate(inst, cur.copy())
        if optimum is not None and assignment is not None and sq["value"] is not None:
            a = np.asarray(assignment, dtype=np.int64)
            gap = uniformity_loss(optimum, float(sq["value"]), inst.sense)
            sq["gap"] = gap
            sq["relative_gap"] = None if abs(optimum) < 1e-12 else gap / abs(optimum)
            sq.update(_moves(inst, a, cur))
        out["status_quo"] = sq
    return out

def _best(inst: Instance, rows: dict[str, dict[str, Any]],
          feasible_only: bool) -> dict[str, Any] | None:
    """The best row by objective (ties: the more local tier), feasible ones only or all."""
    sign = inst.sense.sign
    cands = [(sign * float(b["value"]), t, tid) for t, (tid, b) in enumerate(rows.items())
             if b["value"] is not None and (b["feasible"] or not feasible_only)]
    if not cands:
        return None
    _, _, tid = max(cands, key=lambda c: (round(c[0], 9), c[1]))
    return {"tier": tid, "value": float(rows[tid]["value"])}


def _why_none(one_size: dict[str, dict[str, Any]]) -> str:
    """Why no strict one-size placement holds, when pins or allowed tiers are the reason."""
    kinds = {k for row in one_size.values() for k, ok in row["permitted_by"].items() if not ok}
    fixed = [w for k, w in (("pins", "pins"), ("allowed", "allowed tiers")) if k in kinds]
    if not fixed:
        return ": uniformity is impossible here, not merely costly"
    return (f": {' and '.join(fixed)} keep some functions off each tier; see the one-size "
            "baselines with pins kept")


def _one_size_free(inst: Instance, t: int, strict: dict[str, Any]) -> dict[str, Any]:
    """Every function free to move at tier t, the others kept (named, with why); ``strict``
    is the evaluation of every function at t, used again when no function is kept (without
    pins or allowed tiers, every tier: half the baselines' checks)."""
    a, kept = free_one_size(inst, t)
    same = strict.get("value") is not None and bool((a == t).all())
    row = copy.deepcopy(strict) if same else _evaluate(inst, a)
    at = (a == t).reshape(inst.n_functions, -1)
    where = inst.units.unit_of[:, t] >= 0 if inst.per_area else np.ones(1, dtype=bool)
    row["at_tier"] = int(((at | ~where[None, :]).all(axis=1) & at.any(axis=1)).sum())
    row["kept"] = kept
    return row


def _one_size(inst: Instance, t: int) -> dict[str, Any]:
    """Every function at tier t (in every area): evaluated, or impossible where the tier has no
    unit in some areas."""
    F = inst.n_functions
    if not inst.per_area:
        return _evaluate(inst, np.full(F, t, dtype=np.int64))
    missing = inst.units.unit_of[:, t] < 0
    if missing.any():
        names = inst.units.area_names[missing]
        shown = ", ".join(str(n) for n in names[:3]) + (
            f" and {len(names) - 3} more" if len(names) > 3 else "")
        return {"value": None, "value_before_penalties": None, "resources": {},
                "feasible": False, "permitted_by": {k: False for k in PERMISSIONS},
                "breaks": [f"{inst.tier_ids[t]} has no unit in {int(missing.sum())} of "
                           f"{inst.n_areas} areas ({shown})"]}
    return _evaluate(inst, np.full((F, inst.n_areas), t, dtype=np.int64))


def _moves(inst: Instance, a: np.ndarray, cur: np.ndarray) -> dict[str, Any]:
    """How many functions the optimum places differently from today, and which (per area: the
    tier serving most people, and the share of the people whose function moves)."""
    tids = inst.tier_ids
    ids = inst.functions.ids
    out: dict[str, Any] = {}
    if a.ndim == 2:
        differ = np.nonzero((a != cur).any(axis=1))[0]
        d = area_result.distance(inst, a, cur)
        now = area_result.summary_columns(inst, cur)
        then = area_result.summary_columns(inst, a)
        moved = then["moved_share"]
        out["moves"] = [{"function": str(ids[f]), "from": str(now["tier"][f]),
                         "to": str(then["tier"][f]), "people_share": float(moved[f])}
                        for f in differ[:100].tolist()]
        out["person_functions_differ"] = d["person_functions"]
    else:
        differ = np.nonzero(a != cur)[0]
        out["moves"] = [{"function": str(ids[f]), "from": tids[int(cur[f])],
                         "to": tids[int(a[f])]} for f in differ[:100].tolist()]
    out["functions_differ"] = int(differ.size)
    if differ.size > 100:
        out["moves_truncated"] = True
    return out
