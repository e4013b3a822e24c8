"""Links in every area, as the independent checker sees them (docs/model.md section 9): the tier
serving each of a link's functions in each area, whether the two units there line up, whether
the link is broken there, and what a broken soft link costs, weighted by the area's people.

Recomputed from the instance's links, the tiers' unit codes over the areas and the tier-level
coterminosity, with code of its own (the formulation works on groups of areas and units; see
:mod:`placement.milp.links`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from placement.model import Instance, Link

__all__ = ["AreaLink", "area_links"]


@dataclass(frozen=True, eq=False)
class AreaLink:
    """One link over the areas: ``broken[a]``, and what it costs there per unit of penalty
    (``cost[a]``, already weighted by the area's share of the people)."""

    link: Link
    broken: np.ndarray  # (A,) bool
    cost: np.ndarray  # (A,)

    @property
    def penalty(self) -> float:
        """What the link charges the placement (0 for a hard link)."""
        return 0.0 if self.link.hard else float(self.link.penalty or 0.0) * float(
            self.cost.sum())


def _nested(inner: np.ndarray, outer: np.ndarray) -> np.ndarray:
    """(A,) whether the inner tier's unit at each area lies wholly inside one unit of the outer
    tier: every area of that inner unit has the same outer unit. ``inner``/``outer`` are the
    tiers' unit codes per area (-1: none)."""
    A = inner.shape[0]
    out = np.zeros(A, dtype=bool)
    ok = inner >= 0
    if not ok.any():
        return out
    pairs = np.unique(np.column_stack([inner[ok], outer[ok]]), axis=0)
    n_outer = np.bincount(pairs[:, 0], minlength=int(inner.max()) + 1)
    any_none = np.zeros(n_outer.shape[0], dtype=bool)
    any_none[pairs[pairs[:, 1] < 0, 0]] = True
    one = (n_outer == 1) & ~any_none
    out[ok] = one[inner[ok]]
    return out


def _kappa(inst: Instance, t: np.ndarray, g: np.ndarray) -> np.ndarray:
    """(A,) coterminosity in each area of tier t[a] and tier g[a]: 1 for the same tier or for
    units where one lies inside the other, 0 for units that overlap otherwise; a unit of a
    finer tier lies inside its area; two finer tiers take the tier-level kappa."""
    geo = inst.geography
    assert geo is not None
    A = t.shape[0]
    out = np.zeros(A)
    same = t == g
    out[same] = 1.0
    tids = inst.tier_ids
    cot = inst.coterminosity
    for i in np.unique(t).tolist():  # pairs of tiers actually used: a handful
        for j in np.unique(g[t == i]).tolist():
            if i == j:
                continue
            m = (t == i) & (g == j)
            a, b = geo.tiers[tids[i]], geo.tiers[tids[j]]
            if a.finer and b.finer:
                k = cot.value(tids[i], tids[j]) if cot is not None else float("nan")
                out[m] = 0.0 if math.isnan(k) else k
            elif a.finer or b.finer:
                out[m] = 1.0
            else:
                inside = _nested(a.unit, b.unit) | _nested(b.unit, a.unit)
                out[m] = inside[m].astype(float)
    return out


def _geography_kappa(inst: Instance, t: np.ndarray, geography: str) -> np.ndarray:
    """(A,) the best coterminosity, in each area, of tier t[a] with any tier of a geography
    (declared tiers a scenario dropped count: their boundaries exist all the same)."""
    geo = inst.geography
    assert geo is not None
    best = np.zeros(t.shape[0])
    tids = inst.tier_ids
    cot = inst.coterminosity
    members = inst.geography_tiers(geography)
    for i in np.unique(t).tolist():
        m = t == i
        a = geo.tiers[tids[i]]
        for name in members:
            if name == tids[i]:
                best[m] = 1.0
                continue
            b = geo.tiers[name]
            here = m & (b.unit >= 0)
            if a.finer and b.finer:
                k = cot.value(tids[i], name) if cot is not None and name in cot.index else 0.0
                val = np.full(t.shape[0], 0.0 if math.isnan(k) else k)
            elif a.finer or b.finer:
                val = np.ones(t.shape[0])
            else:
                val = (_nested(a.unit, b.unit) | _nested(b.unit, a.unit)).astype(float)
            best[here] = np.maximum(best[here], val[here])
    return best


def area_links(inst: Instance, tiers: np.ndarray) -> list[AreaLink]:
    """Every link of ``inst`` over the areas of a placement ``tiers`` (F, A)."""
    geo = inst.geography
    assert geo is not None
    p = np.asarray(geo.areas.population, dtype=float)
    w = p / p.sum()
    fix = inst.functions.index
    out = []
    for lk in inst.links:  # one link at a time, each whole-array over the areas
        tf = tiers[fix[lk.function]]
        if lk.other is not None:
            tg = tiers[fix[lk.other]]
            if lk.kind == "together":
                broken = tf != tg
                d = broken.astype(float)
            elif lk.kind == "at_or_above":
                broken = tf > tg
                d = broken.astype(float)
            else:
                k = _kappa(inst, tf, tg)
                broken = k < lk.kappa_min - 1e-12
                d = np.where(broken, 1.0 - k, 0.0)
        else:
            assert lk.geography is not None
            k = _geography_kappa(inst, tf, lk.geography)
            broken = k < lk.kappa_min - 1e-12
            d = np.where(broken, 1.0 - k, 0.0)
        out.append(AreaLink(lk, broken, d * w))
    return out
