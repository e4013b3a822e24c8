"""The engine's bound re-derived from its multipliers alone, outside the solve.

The structure-aware path (:mod:`placement.solution.structured`) reports the bound its fixing
rests on with the prices that gave it: ``extra["solver_details"]["structure"]["pricing"]``
holds the bound's ``kind``, its value and every nonzero multiplier by row of the canonical form
it solved. Any multipliers give a valid bound (weak duality); what needs checking is that the
number reported is the one those prices give. This module computes it afresh:

``lagrangian``
    The assignment rows kept, every other row priced:
    ``L(y) = sum over kept rows of the best allowed column's reduced value
    + sum over the other columns of their best end + y . (the side each priced row has)
    + offset``. Written here with ``np.maximum.at``, apart from the engine's
    :func:`placement.milp.core.price`.
``forest``
    The links kept: every component of the links' forest solved exactly at the priced
    values (:meth:`placement.milp.forest.Forest.solve`), the priced rows' sides added.

The form is rebuilt as ``placement.solve`` builds it: the instance scoped (tiers no scenario
keeps left off) and, per area, alike areas merged (an exact reduction).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["rederive", "agrees", "forest_value", "lagrangian_value"]

#: Relative difference allowed between a reported bound and its re-derivation (sums in
#: another order).
TOLERANCE = 1e-9


def rederive(inst: Any, pricing: dict[str, Any]) -> float:
    """The bound ``pricing`` (the engine's record) stands for, recomputed from its
    multipliers on ``inst`` (the instance as solved, scenario applied)."""
    from placement.milp import build
    from placement.model.area_merge import merge_alike_areas

    scoped = inst.with_scenario(None)  # as placement.solve scopes it: optional tiers left off
    alike = merge_alike_areas(scoped)
    solved = alike.instance if alike is not None else scoped
    form = build(solved)
    y = np.zeros(form.n_rows)
    rows = np.asarray(pricing["rows"], dtype=np.int64)
    y[rows] = np.asarray(pricing["multipliers"], dtype=float)
    if not np.all(np.isfinite(y)):
        raise ValueError("the engine's multipliers are not all finite")
    if pricing["kind"] == "forest":
        return forest_value(solved, form, y)
    return lagrangian_value(form, y)


def agrees(reported: float, rederived: float) -> bool:
    """Whether a reported bound is its re-derivation, to :data:`TOLERANCE`."""
    return abs(reported - rederived) <= TOLERANCE * max(1.0, abs(reported), abs(rederived))


def _sides(form: Any, y: np.ndarray) -> float:
    """``y`` times the side each priced row is priced on (upper when positive)."""
    side = np.where(y > 0, form.row_upper, np.where(y < 0, form.row_lower, 0.0))
    on = y != 0
    if not np.all(np.isfinite(side[on])):
        raise ValueError("a multiplier prices a side its row does not have")
    return float(y[on] @ side[on])


def lagrangian_value(form: Any, y: np.ndarray) -> float:
    """``L(y)`` with the assignment rows kept, in the form's sense (see the module docstring);
    ``y`` has one entry per row of the form."""
    sign = float(form.sense.sign)
    block = form.row_block("assign")
    kept = np.arange(block.start, block.stop)
    if np.any(y[kept] != 0):
        raise ValueError("the engine priced an assignment row it keeps")
    d = sign * form.c - form.A.T @ y
    K = form.A[kept].tocoo()
    allowed = form.col_upper[K.col] >= 0.5
    best = np.full(kept.shape[0], -np.inf)
    np.maximum.at(best, K.row[allowed], d[K.col[allowed]])
    forced = form.col_lower[K.col] >= 0.5
    best[K.row[forced]] = d[K.col[forced]]  # a pinned row takes its pin
    free = np.ones(form.n_cols, dtype=bool)
    free[K.col] = False
    value = float(best.sum()) + _sides(form, y) + sign * form.offset
    value += float(np.maximum(d[free] * form.col_lower[free],
                              d[free] * form.col_upper[free]).sum())
    return sign * value


def forest_value(inst: Any, form: Any, y: np.ndarray) -> float:
    """The bound with the links kept at prices ``y`` (one per row of the form), in the
    form's sense."""
    from placement.milp.link_forest import forest_of

    forest = forest_of(inst, form)
    if forest is None:
        raise ValueError("the engine reported a forest bound where the links form no forest")
    sign = float(form.sense.sign)
    F, T = form.n_functions, form.n_tiers
    c = np.where(form.allowed_grid(), (sign * form.c[: form.n_x]).reshape(F, T), -np.inf)
    theta = c - (form.A[:, : form.n_x].T @ y).reshape(F, T)
    _, values = forest.solve(theta, np.arange(forest.n))
    return sign * (float(values.sum()) + _sides(form, y) + sign * form.offset)
