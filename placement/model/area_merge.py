"""Areas that no placement can tell apart, merged into one: an exact reduction of a per-area
instance (docs/model.md section 9).

Two areas are *alike* when every tier covering them covers them with the same unit (the same
combined authority, ICB, council...), they have the same indicator values, the same tier today
for every function, and the bodies of each finer tier serve the same people per body there.
Then, for every function, the constraint "exactly one unit serves the area" has the same coarse
units in both, so a finer tier's share ``1 - sum of the coarse y`` is the same in both too; and
every term of the model is a sum over areas of something linear in that share (values scaled
by the people served, costs ``fixed x bodies + variable x share``, moves and soft-link
penalties weighted by people, caps per head) or depends only on the units (heterogeneity over
the areas of a coarse unit keeps its value when alike areas, with equal indicators, are
pooled). So one area standing for all of them, with their people and their finer bodies
summed, gives a model with the same optimum, and any placement of it is a placement of the
original with the same value and resource use. England at LSOA resolution (33,755 areas)
merges this way into its 166 authority x ICB pieces: indicators there are the authority's.

Not merged: areas a rule names on its own (a status-quo override scoped to one area, an
availability rule or a cap for one finer-tier body), and nothing at all when a cap in absolute
terms applies to every finer-tier body (a cap per body does not add up) or a tier states its
people per body (the single-area form).

The merged instance is for solving; :func:`expand` maps its per-area placement back, and the
checker runs on the original instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.model.geography import AREA_SCOPE, Areas, Geography, TierUnits

if TYPE_CHECKING:
    from placement.model.instance import Instance

__all__ = ["AreaMerge", "merge_alike_areas", "expand"]

#: Relative precision at which two areas' people per finer-tier body count as the same (the
#: exact shares of one ICB's networks differ in the last bits only).
RATIO_DIGITS = 12


@dataclass(frozen=True, eq=False)
class AreaMerge:
    """The merged instance and, for each original area, the merged area standing for it."""

    instance: Instance
    group: np.ndarray  # (A,) index of the merged area of each original area
    n_areas: int  # A, the original count

    @property
    def n_groups(self) -> int:
        return int(self.instance.n_areas)


def _named_alone(inst: Instance) -> np.ndarray:
    """(A,) the areas some rule names on its own: they keep their own area."""
    geo = inst.geography
    assert geo is not None
    alone = np.zeros(len(geo.areas), dtype=bool)
    finer = {t for t, tu in geo.tiers.items() if tu.finer}
    named = [(r.scope, r.code) for r in geo.current if r.scope == AREA_SCOPE or r.scope in finer]
    named += [(r.tier, r.unit) for r in geo.availability if r.tier in finer and r.unit]
    named += [(c.tier, c.unit) for c in geo.unit_caps if c.tier in finer and c.unit]
    for scope, code in named:  # one per rule naming a single area: a handful
        if code is not None:
            alone |= geo.scope_areas(AREA_SCOPE if scope in finer else scope, code)
    return alone


def _quantised(x: np.ndarray) -> np.ndarray:
    """``x`` rounded to :data:`RATIO_DIGITS` significant digits (for grouping only)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(x > 0, np.floor(np.log10(np.where(x > 0, x, 1.0))), 0.0)
    return np.round(x / 10.0 ** mag, RATIO_DIGITS - 1) * 10.0 ** mag


def _key(inst: Instance) -> np.ndarray:
    """(A, k) a row per area; alike areas have equal rows."""
    geo = inst.geography
    assert geo is not None
    areas = geo.areas
    A = len(areas)
    cols: list[np.ndarray] = []
    for tu in geo.tiers.values():  # every declared tier, a handful
        if tu.finer:
            cols.append(_quantised(areas.population / np.where(tu.bodies > 0, tu.bodies, 1.0)))
        else:
            cols.append(tu.unit.astype(float))
    alone = _named_alone(inst)
    cols.append(np.where(alone, np.arange(A), -1).astype(float))
    key = np.column_stack([*cols, np.asarray(areas.values, dtype=float).reshape(A, -1),
                           inst.current_by_area.T.astype(float)])
    return key


def merge_alike_areas(inst: Instance) -> AreaMerge | None:
    """The instance with alike areas merged (see the module docstring); ``None`` when it has no
    areas, nothing merges, or a rule makes merging inexact."""
    geo = inst.geography
    if geo is None:
        return None
    finer = {t for t, tu in geo.tiers.items() if tu.finer}
    if any(tu.scale is not None for tu in geo.tiers.values()):
        return None
    if any(c.tier in finer and c.unit is None and not c.per_head for c in geo.unit_caps):
        return None
    key = _key(inst)
    _, first, group = np.unique(key, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    G = first.shape[0]
    if len(geo.areas) == G:
        return None
    # merged areas in the order of their first original area, so the result reads alike
    order = np.argsort(first, kind="stable")
    rank = np.empty(G, dtype=np.int64)
    rank[order] = np.arange(G)
    group, first = rank[group], first[order]
    merged = inst.replace(geography=_merged_geography(geo, group, first))
    return AreaMerge(merged, group, len(geo.areas))


def _merged_geography(geo: Geography, group: np.ndarray, first: np.ndarray) -> Geography:
    areas = geo.areas
    G = first.shape[0]
    size = np.bincount(group, minlength=G)
    ids = areas.ids[first].astype(object)
    names = areas.names[first].astype(object)
    many = size > 1
    ids[many] = [f"{i} (+{n - 1} alike)" for i, n in zip(ids[many], size[many], strict=True)]
    names[many] = [f"{n} (+{k - 1} alike)" for n, k in zip(names[many], size[many], strict=True)]
    new_areas = Areas(ids, names, np.bincount(group, weights=areas.population, minlength=G),
                      areas.indicators, np.asarray(areas.values)[first],
                      f"{areas.source}, alike areas merged into {G}")
    tiers: dict[str, TierUnits] = {}
    for tid, tu in geo.tiers.items():  # every declared tier, a handful
        if tu.finer:
            tiers[tid] = TierUnits(tid, np.arange(G, dtype=np.int64), ids.copy(), names.copy(),
                                   np.bincount(group, weights=tu.bodies, minlength=G),
                                   finer=True, how=tu.how)
        else:
            tiers[tid] = TierUnits(tid, tu.unit[first], tu.codes, tu.names, tu.bodies,
                                   finer=False, how=tu.how)
    return Geography(new_areas, tiers, geo.availability, geo.current, geo.unit_caps)


def expand(merge: AreaMerge, placement: np.ndarray) -> np.ndarray:
    """(F, A) the tier of each function in each original area, from the merged instance's
    (F, G) placement: an area is placed as the merged area standing for it."""
    return np.asarray(placement)[:, merge.group]
