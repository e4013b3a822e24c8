"""Performance curves and the value matrix v[f, t] (MODEL.md section 2), vectorised.

    r(p)        = clamp((log p - log lo) / (log hi - log lo), 0, 1)
    a[f, c, t]  = r(p_t) for "up" criteria, 1 - r(p_t) for "down" ones
    v[f, t]     = sum_c w_c * s[f, c] * a[f, c, t]

A tier with an explicit ``performance`` table uses it instead of the ramp for the criteria it
names. Costs: cost[f, t, r] = fixed[f, r] * units_t + variable[f, r], unless the instance gives
an explicit cost table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from placement.model.instance import Instance
    from placement.model.scoring_model import ScoringModel
    from placement.model.tiers import Tier

__all__ = ["ramp", "performance", "value_matrix", "value_matrix_for_weights", "cost_tensor",
           "contributions"]


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


def _tier_populations(tiers: tuple[Tier, ...]) -> np.ndarray:
    return np.array([t.population for t in tiers], dtype=float)


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
    crit = model.criteria
    p = _tier_populations(tiers)  # (T,)
    d_lo = np.array([c.lo for c in crit], dtype=float)  # (C,)
    d_hi = np.array([c.hi for c in crit], dtype=float)
    down = np.array([c.direction == "down" for c in crit])
    explicit = np.full((len(crit), len(tiers)), np.nan)
    cid = {c.id: i for i, c in enumerate(crit)}
    for ti, t in enumerate(tiers):
        for name, val in t.performance.items():
            if name in cid:
                explicit[cid[name], ti] = val

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


def value_matrix_for_weights(inst: Instance, weights: np.ndarray) -> np.ndarray:
    """v[f, t] for the instance's scores and curves under another weight vector (C,).

    Sensitivity analyses call this thousands of times; the performance tensor is computed
    once per instance and cached.
    """
    model = inst.model
    if model is None:
        raise ValueError(f"instance {inst.name!r} has no scoring model (it gives values directly)")
    fn = inst.functions
    sw = fn.scores * np.asarray(weights, dtype=float)[None, :]  # (F, C)
    if not _has_overrides(inst):
        a = _cached_performance(inst)  # (C, T)
        out: np.ndarray = sw @ a
        return out
    a3 = _cached_performance(inst)  # (F, C, T)
    return np.einsum("fc,fct->ft", sw, a3, optimize=True)


def _cached_performance(inst: Instance) -> np.ndarray:
    cache = inst.__dict__.setdefault("_perf_cache", {})
    key = "perf"
    if key not in cache:
        fn = inst.functions
        assert inst.model is not None
        if _has_overrides(inst):
            cache[key] = performance(inst.model, inst.tiers, fn.lo, fn.hi)
        else:
            cache[key] = performance(inst.model, inst.tiers)
    out: np.ndarray = cache[key]
    return out


def value_matrix(inst: Instance) -> np.ndarray:
    """v[f, t] for the instance's own weights (see module docstring).

    A model build needs this once, so the (F, C, T) performance tensor it computes is not
    kept (it is 40 MB at 10^6 binaries, and would stay resident through the solve); analyses
    that re-weight many times cache it on their first :func:`value_matrix_for_weights` call.
    The arithmetic is the same either way, bit for bit.
    """
    assert inst.model is not None
    if "_perf_cache" in inst.__dict__ or not _has_overrides(inst):
        return value_matrix_for_weights(inst, inst.model.weights)
    fn = inst.functions
    sw = fn.scores * np.asarray(inst.model.weights, dtype=float)[None, :]
    a3 = performance(inst.model, inst.tiers, fn.lo, fn.hi)  # (F, C, T), not cached
    return np.einsum("fc,fct->ft", sw, a3, optimize=True)


def contributions(inst: Instance, f: int, t: int) -> dict[str, float]:
    """Criterion contributions w_c * s[f, c] * a[f, c, t] for one function at one tier."""
    model = inst.model
    if model is None:
        return {}
    a = _cached_performance(inst)
    a_ft = a[:, t] if a.ndim == 2 else a[f, :, t]
    w = model.weights
    s = inst.functions.scores[f]
    return {c.id: float(w[i] * s[i] * a_ft[i]) for i, c in enumerate(model.criteria)}


def cost_tensor(inst: Instance) -> np.ndarray:
    """cost[f, t, r] = fixed[f, r] * units_t + variable[f, r], or the explicit table."""
    fn = inst.functions
    units = np.array([t.units for t in inst.tiers], dtype=float)
    cost = fn.fixed[:, None, :] * units[None, :, None] + fn.variable[:, None, :]
    if inst.costs is not None:
        explicit = np.asarray(inst.costs, dtype=float)
        cost = np.where(np.isnan(explicit), cost, explicit)
    return cost
