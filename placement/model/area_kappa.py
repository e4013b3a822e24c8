"""Coterminosity in each area (docs/model.md section 9): whether the units two tiers have in an
area line up there.

In area a, the units of tiers t and t' that cover a are coterminous when one lies wholly
inside the other (every area of the smaller belongs to the larger): kappa_a(t, t') is then 1,
otherwise 0. A unit of a tier finer than the areas lies inside its area, so inside every unit
that covers the area: kappa 1 against any coarser tier. Two tiers both finer than the areas
(in particular every pair of tiers of an instance without areas, which is one area holding
every tier's bodies) fall back on the tier-level kappa of the instance (given, or computed from
its membership table), so the single-area case is the uniform model of section 4.

Weighted by population, kappa_a over the areas of the more local tier is the tier-level kappa:
the share of the more local tier's people living in units wholly inside one unit of the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.model.units import UnitLayout

if TYPE_CHECKING:
    from placement.model.instance import Instance

__all__ = ["inside", "area_kappa", "kappa_against", "geography_area_kappa"]


def inside(inner: np.ndarray, outer: np.ndarray, n_inner: int) -> np.ndarray:
    """(n_inner,) whether each unit of the inner tier lies wholly inside one unit of the outer
    tier: all its areas have the same outer unit (and have one).

    ``inner`` and ``outer`` are (A,) unit indices per area, -1 where the tier has none.

    >>> import numpy as np
    >>> inside(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 1]), 2).tolist()
    [True, False]
    """
    ok = inner >= 0
    inn, out = inner[ok], outer[ok]
    big = np.iinfo(np.int64).max
    lo = np.full(n_inner, big, dtype=np.int64)
    hi = np.full(n_inner, -2, dtype=np.int64)
    np.minimum.at(lo, inn, out)
    np.maximum.at(hi, inn, out)
    result: np.ndarray = (lo == hi) & (lo >= 0)
    return result


def kappa_against(unit_t: np.ndarray, unit_g: np.ndarray, finer_t: bool, finer_g: bool,
                  tier_kappa: float) -> np.ndarray:
    """(A,) kappa_a between one tier (units ``unit_t`` per area, global or per-tier indices)
    and another (``unit_g``); NaN where either has no unit in the area."""
    A = unit_t.shape[0]
    both = (unit_t >= 0) & (unit_g >= 0)
    out = np.full(A, np.nan)
    if finer_t and finer_g:
        out[both] = tier_kappa
        return out
    if finer_t or finer_g:
        out[both] = 1.0
        return out
    ut = np.where(unit_t >= 0, unit_t - unit_t[unit_t >= 0].min(initial=0), -1)
    ug = np.where(unit_g >= 0, unit_g - unit_g[unit_g >= 0].min(initial=0), -1)
    t_in_g = inside(ut, ug, int(ut.max(initial=-1)) + 1)
    g_in_t = inside(ug, ut, int(ug.max(initial=-1)) + 1)
    nested = np.zeros(A, dtype=bool)
    nested[both] = t_in_g[ut[both]] | g_in_t[ug[both]]
    out[both] = nested[both].astype(float)
    return out


def area_kappa(layout: UnitLayout, tier_kappa: np.ndarray) -> np.ndarray:
    """(A, T, T) kappa_a(t, t') between the active tiers in every area; 1 on the diagonal
    where the tier covers the area, NaN where a tier has no unit there (or, for two finer
    tiers, where the tier-level kappa is unknown)."""
    A, T = layout.n_areas, layout.n_tiers
    out = np.full((A, T, T), np.nan)
    covers = layout.covers()
    for t in range(T):  # pairs of tiers: a few dozen, each whole-array over the areas
        out[covers[:, t], t, t] = 1.0
        for g in range(t + 1, T):
            k = kappa_against(layout.unit_of[:, t], layout.unit_of[:, g], bool(layout.finer[t]),
                              bool(layout.finer[g]), float(tier_kappa[t, g]))
            out[:, t, g] = out[:, g, t] = k
    return out


def geography_area_kappa(inst: Instance, geography: str) -> np.ndarray:
    """(A, T) kappa_G,a(t): in each area, the best coterminosity of each active tier with a
    tier of ``geography`` (every declared tier of it, including tiers a scenario dropped: the
    boundaries exist all the same); NaN where none of the geography's tiers is known there.

    Without areas this is :meth:`Instance.geography_kappa`, one area wide.
    """
    if inst.geography is None:
        return inst.geography_kappa(geography)[None, :]
    layout = inst.units
    geo = inst.geography
    members = inst.geography_tiers(geography)
    A, T = layout.n_areas, layout.n_tiers
    best = np.full((A, T), np.nan)
    cot = inst.coterminosity
    for t, tid in enumerate(layout.tier_ids):  # tiers x members: a handful
        for g in members:
            if g == tid:
                k = np.where(layout.unit_of[:, t] >= 0, 1.0, np.nan)
            else:
                tk = (cot.value(tid, g) if cot is not None and tid in cot.index
                      and g in cot.index else float("nan"))
                gu = geo.tiers[g]
                k = kappa_against(layout.unit_of[:, t], gu.unit, bool(layout.finer[t]),
                                  gu.finer, tk)
            best[:, t] = np.fmax(best[:, t], k)
    return best
