"""Performance curves, the value matrix and the cost tensor (docs/model.md sections 2 and 9),
vectorised over the units of the instance (:class:`~placement.model.units.UnitLayout`).

    r(p)        = clamp((log p - log lo) / (log hi - log lo), 0, 1)
    a[f, c, u]  = r(p_u) for "up" criteria, 1 - r(p_u) for "down" ones
    v[f, u]     = (q_f(u) / Q_f) * sum_c w_c * s[f, c] * a[f, c, u]
                  - eta * s[f, lk] * h_u * q_f(u) / Q_f
    cost[f,u,r] = fixed[f, r] * n_u + variable[f, r] * q_f(u) / Q_f

p_u is the population one body of unit u serves, n_u the bodies the unit stands for, q_f(u) the
people f serves in u's areas (everyone, or the group named by the function's ``serves``) and
Q_f everyone f serves; h_u the heterogeneity of u's people and eta the scoring model's
heterogeneity weight. In the single-area case (an instance without areas) unit u is tier t,
p_u the tier's population, n_u its units and q/Q = 1: the formulas are the uniform model's
``v[f, t] = sum_c w_c s[f, c] a[f, c, t]`` and ``fixed * units + variable``, computed with the
same arithmetic.

A tier with an explicit ``performance`` table uses it instead of the ramp for the criteria it
names (as given, whatever the criterion's direction). An explicit cost table replaces the
formula wherever it has a number (scaled by q/Q per unit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from placement.model.instance import Instance
    from placement.model.scoring_model import ScoringModel
    from placement.model.tiers import Tier
    from placement.model.units import UnitLayout

__all__ = ["ramp", "performance", "unit_performance", "served_shares", "value_matrix",
           "value_matrix_for_weights", "cost_tensor", "contributions"]


def ramp(population: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Position of ``population`` on the log ramp from ``lo`` to ``hi``, clamped to [0, 1].

    Arrays broadcast together.

    >>> import numpy as np
    >>> ramp(np.array([1e3, 1e4, 1e5]), np.array(1e3), np.array(1e5)).round(12).tolist()
    [0.0, 0.5, 1.0]
    """
    lp = np.log(population)
    llo = np.log(lo)
    lhi = np.log(hi)
    return np.clip((lp - llo) / (lhi - llo), 0.0, 1.0)


def _explicit(model: ScoringModel, tiers: tuple[Tier, ...], column_tier: np.ndarray
              ) -> np.ndarray:
    """(C, columns) the explicit tier performances of each column's tier (NaN: the ramp)."""
    cid = {c.id: i for i, c in enumerate(model.criteria)}
    by_tier = np.full((len(model.criteria), len(tiers)), np.nan)
    for ti, t in enumerate(tiers):  # a handful of tiers and criteria
        for name, val in t.performance.items():
            if name in cid:
                by_tier[cid[name], ti] = val
    return by_tier[:, column_tier]


def performance(
    model: ScoringModel,
    tiers: tuple[Tier, ...],
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
) -> np.ndarray:
    """Tier performance a[f, c, t], or a[c, t] when no per-function overrides are given.

    ``lo`` and ``hi`` are (F, C) arrays of per-function curve overrides, NaN meaning "use the
    model's default".
    """
    p = np.array([t.population for t in tiers], dtype=float)
    return _performance(model, p, _explicit(model, tiers, np.arange(len(tiers))), lo, hi)


def unit_performance(model: ScoringModel, tiers: tuple[Tier, ...], layout: UnitLayout,
                     lo: np.ndarray | None = None, hi: np.ndarray | None = None
                     ) -> np.ndarray:
    """Performance of every unit, a[f, c, u] (or a[c, u] without per-function overrides): the
    ramp read at the population one body of the unit serves."""
    return _performance(model, layout.unit_scale,
                        _explicit(model, tiers, layout.unit_tier), lo, hi)


def _performance(
    model: ScoringModel,
    p: np.ndarray,
    explicit: np.ndarray,
    lo: np.ndarray | None,
    hi: np.ndarray | None,
) -> np.ndarray:
    """a[c, k] or a[f, c, k] for columns k of population ``p`` and explicit values (C, K)."""
    crit = model.criteria
    d_lo = np.array([c.lo for c in crit], dtype=float)  # (C,)
    d_hi = np.array([c.hi for c in crit], dtype=float)
    down = np.array([c.direction == "down" for c in crit])

    if lo is None and hi is None:
        a = ramp(p[None, :], d_lo[:, None], d_hi[:, None])  # (C, T)
        a = np.where(down[:, None], 1.0 - a, a)
        return np.where(np.isnan(explicit), a, explicit)

    F = (lo if lo is not None else hi).shape[0]  # type: ignore[union-attr]
    lo_f = np.where(np.isnan(lo), d_lo[None, :], lo) if lo is not None else np.broadcast_to(
        d_lo, (F, len(crit)))
    hi_f = np.where(np.isnan(hi), d_hi[None, :], hi) if hi is not None else np.broadcast_to(
        d_hi, (F, len(crit)))
    # ramp() on (F, C, T), written with one temporary and in-place steps: this tensor is the
    # largest array of a build (5 * 10^6 entries at 10^6 binaries). Same arithmetic, same bits.
    llo = np.log(lo_f)  # (F, C): logs of the curves once, not once per tier
    a = np.log(p)[None, None, :] - llo[:, :, None]  # (F, C, T)
    a /= (np.log(hi_f) - llo)[:, :, None]
    np.clip(a, 0.0, 1.0, out=a)
    for c in np.nonzero(down)[0].tolist():  # a view per "down" criterion: no fancy-index copy
        np.subtract(1.0, a[:, c, :], out=a[:, c, :])
    if np.isnan(explicit).all():
        return a
    return np.where(np.isnan(explicit)[None, :, :], a, explicit[None, :, :])




def _has_overrides(inst: Instance) -> bool:
    fn = inst.functions
    return bool(np.isfinite(fn.lo).any() or np.isfinite(fn.hi).any())


def served_shares(inst: Instance) -> np.ndarray:
    """(F, U) q_f(u) / Q_f: the share of the people function f serves that live in unit u's
    areas (all 1 in the single-area case).

    ``serves`` names a ``share`` indicator per function (people aged 65+ for adult social
    care); blank means the whole population.
    """
    layout = inst.units
    F, U = inst.n_functions, layout.n_units
    if not layout.per_area:
        return np.ones((F, U))
    p = layout.area_population
    geo = inst.geography
    assert geo is not None
    idx = inst.functions.serves_index(geo.areas)  # (F,) indicator column, -1: everyone
    shares = np.hstack([np.ones((len(p), 1)), np.asarray(geo.areas.values, dtype=float)])
    q = p[None, :] * shares[:, idx + 1].T  # (F, A) people f serves in each area
    total = q.sum(axis=1)
    out: np.ndarray = np.asarray(q @ layout.membership()) / np.where(total > 0, total,
                                                                     1.0)[:, None]
    return out


def _per_area_terms(inst: Instance, base: np.ndarray) -> np.ndarray:
    """``base`` (F, U) scaled by the people each unit serves, less the heterogeneity term."""
    if not inst.units.per_area:
        return base
    share = _cached(inst, "served", served_shares)
    out = base * share
    model = inst.model
    if model is not None and model.heterogeneity > 0 and model.heterogeneity_criterion:
        lk = model.criterion_ids.index(model.heterogeneity_criterion)
        h = inst.units.unit_heterogeneity
        out = out - model.heterogeneity * inst.functions.scores[:, lk, None] * h[None, :] * share
    return out


def value_matrix_for_weights(inst: Instance, weights: np.ndarray) -> np.ndarray:
    """v[f, u] for the instance's scores and curves under another weight vector (C,).

    Sensitivity analyses call this thousands of times; the performance tensor is computed
    once per instance and cached.
    """
    model = inst.model
    if model is None:
        raise ValueError(f"instance {inst.name!r} has no scoring model (it gives values directly)")
    fn = inst.functions
    sw = fn.scores * np.asarray(weights, dtype=float)[None, :]  # (F, C)
    a = _cached(inst, "perf", _unit_performance)
    if a.ndim == 2:  # (C, U): no per-function overrides
        out: np.ndarray = sw @ a
    else:  # (F, C, U)
        out = np.einsum("fc,fcu->fu", sw, a, optimize=True)
    return _per_area_terms(inst, out)


def _unit_performance(inst: Instance) -> np.ndarray:
    fn = inst.functions
    assert inst.model is not None
    if _has_overrides(inst):
        return unit_performance(inst.model, inst.tiers, inst.units, fn.lo, fn.hi)
    return unit_performance(inst.model, inst.tiers, inst.units)


def _cached(inst: Instance, key: str, compute: Callable[[Instance], np.ndarray]) -> np.ndarray:
    cache = inst.__dict__.setdefault("_perf_cache", {})
    if key not in cache:
        cache[key] = compute(inst)
    out: np.ndarray = cache[key]
    return out


def value_matrix(inst: Instance) -> np.ndarray:
    """v[f, u] for the instance's own weights (see module docstring).

    A model build needs this once, so the (F, C, U) performance tensor it computes is not
    kept (it is 40 MB at 10^6 binaries, and would stay resident through the solve); analyses
    that re-weight many times cache it on their first :func:`value_matrix_for_weights` call.
    The arithmetic is the same either way, bit for bit.
    """
    model = inst.model
    assert model is not None
    if "_perf_cache" in inst.__dict__ or not _has_overrides(inst):
        return value_matrix_for_weights(inst, model.weights)
    fn = inst.functions
    sw = fn.scores * np.asarray(model.weights, dtype=float)[None, :]
    a3 = unit_performance(model, inst.tiers, inst.units, fn.lo, fn.hi)  # not cached
    return _per_area_terms(inst, np.einsum("fc,fcu->fu", sw, a3, optimize=True))


def contributions(inst: Instance, f: int, u: int) -> dict[str, float]:
    """Criterion contributions ``w_c * s[f, c] * a[f, c, u]`` (times the share of f's people
    that unit u serves) for one function at one unit (at one tier, in the single-area case)."""
    model = inst.model
    if model is None:
        return {}
    a = _cached(inst, "perf", _unit_performance)
    a_fu = a[:, u] if a.ndim == 2 else a[f, :, u]
    w = model.weights
    s = inst.functions.scores[f]
    share = (float(_cached(inst, "served", served_shares)[f, u]) if inst.units.per_area
             else 1.0)
    return {c.id: float(w[i] * s[i] * a_fu[i]) * share for i, c in enumerate(model.criteria)}


def cost_tensor(inst: Instance) -> np.ndarray:
    """cost[f, u, r] = fixed[f, r] * n_u + variable[f, r] * q_f(u) / Q_f, or the explicit
    table of the unit's tier (scaled by q_f(u) / Q_f)."""
    fn = inst.functions
    layout = inst.units
    bodies = layout.unit_bodies
    if layout.per_area:
        share = _cached(inst, "served", served_shares)
        cost = (fn.fixed[:, None, :] * bodies[None, :, None]
                + fn.variable[:, None, :] * share[:, :, None])
    else:
        cost = fn.fixed[:, None, :] * bodies[None, :, None] + fn.variable[:, None, :]
    if inst.costs is not None:
        explicit = np.asarray(inst.costs, dtype=float)[:, layout.unit_tier, :]
        if layout.per_area:
            explicit = explicit * _cached(inst, "served", served_shares)[:, :, None]
        cost = np.where(np.isnan(explicit), cost, explicit)
    return cost
