"""The units of an instance's active tiers as whole arrays: the columns of the MILP.

Every placement variable is y[f, u]: function f is done by unit u for all of its areas
(docs/model.md section 9). :class:`UnitLayout` lists the units of every active tier (most
central tier first, units of one tier together), which areas each covers, how many bodies it
stands for, the population its scoring uses, and the heterogeneity of the people it covers.

An instance without areas is the single-area case: one area holding everyone, and one unit per
tier that stands for the tier's ``units`` bodies of its typical ``population`` each. Then
u = t, y[f, t] is the uniform model's x[f, t], and every family of the formulation reduces to
the uniform one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.model.geography import Areas, Geography
from placement.model.tiers import Tier
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["UnitLayout", "unit_layout", "single_area_layout", "heterogeneity",
           "SINGLE_AREA"]

#: The id of the one area of an instance without areas.
SINGLE_AREA = "all"


@dataclass(frozen=True, eq=False)
class UnitLayout:
    """The units of the active tiers, and how they cover the areas.

    Shapes: A areas, T active tiers, U units. ``unit_of[a, t]`` is the unit of tier t covering
    area a (-1: the tier has no unit there); the units of tier t are
    ``start[t] .. start[t + 1] - 1``.
    """

    tier_ids: tuple[str, ...]
    area_ids: np.ndarray  # (A,)
    area_names: np.ndarray  # (A,)
    area_population: np.ndarray  # (A,)
    unit_tier: np.ndarray  # (U,) tier index
    unit_code: np.ndarray  # (U,)
    unit_name: np.ndarray  # (U,)
    unit_bodies: np.ndarray  # (U,) bodies the unit stands for
    unit_people: np.ndarray  # (U,) people in the unit's areas
    unit_scale: np.ndarray  # (U,) people per body: what the scoring ramps read
    unit_heterogeneity: np.ndarray  # (U,)
    unit_of: np.ndarray  # (A, T)
    start: np.ndarray  # (T + 1,)
    finer: np.ndarray  # (T,) bool
    per_area: bool  # False for the single-area case of an instance without areas

    @property
    def n_areas(self) -> int:
        return int(self.area_ids.shape[0])

    @property
    def n_units(self) -> int:
        return int(self.unit_tier.shape[0])

    @property
    def n_tiers(self) -> int:
        return len(self.tier_ids)

    @property
    def total_population(self) -> float:
        return float(self.area_population.sum())

    def membership(self) -> sp.csr_matrix:
        """(A, U) 1 where unit u covers area a."""
        a, t = np.nonzero(self.unit_of >= 0)
        u = self.unit_of[a, t]
        return sp.csr_matrix((np.ones(a.shape[0]), (a, u)),
                             shape=(self.n_areas, self.n_units))

    def covers(self) -> np.ndarray:
        """(A, T) bool: whether tier t has a unit in area a."""
        return self.unit_of >= 0

    def units_of_tier(self, t: int) -> np.ndarray:
        return np.arange(self.start[t], self.start[t + 1])


def _as_text(a: Sequence[object] | np.ndarray) -> np.ndarray:
    return np.asarray([str(x) for x in a], dtype=object)


def heterogeneity(areas: Areas, unit: np.ndarray, n_units: int) -> np.ndarray:
    """h_u: the population-weighted variance of the standardised indicators over the areas of
    each unit, averaged over the indicators (0 for a unit of one area, and for every unit when
    the instance declares no indicator).

    Each indicator is standardised over all areas (population-weighted mean 0 and variance 1),
    so that a deprivation score and a share aged 65+ weigh alike.

    >>> import numpy as np
    >>> from placement.model.geography import Areas, Indicator
    >>> ar = Areas(np.array(["a", "b", "c"]), np.array(["a", "b", "c"]),
    ...            np.array([1.0, 1.0, 2.0]), (Indicator("x", "x"),),
    ...            np.array([[0.0], [2.0], [1.0]]))
    >>> heterogeneity(ar, np.array([0, 0, 1]), 2).round(6).tolist()   # var of z over a, b
    [2.0, 0.0]
    """
    if not areas.indicators or n_units == 0:
        return np.zeros(n_units)
    p = areas.population
    X = np.asarray(areas.values, dtype=float)
    mean = (p[:, None] * X).sum(axis=0) / p.sum()
    sd = np.sqrt((p[:, None] * (X - mean) ** 2).sum(axis=0) / p.sum())
    Z = np.where(sd > 0, (X - mean) / np.where(sd > 0, sd, 1.0), 0.0)
    ok = unit >= 0
    u, w, z = unit[ok], p[ok], Z[ok]
    pu = np.bincount(u, weights=w, minlength=n_units)
    safe = np.where(pu > 0, pu, 1.0)
    m = np.stack([np.bincount(u, weights=w * z[:, i], minlength=n_units)
                  for i in range(Z.shape[1])], axis=1) / safe[:, None]
    dev = (z - m[u]) ** 2 * w[:, None]
    var = np.stack([np.bincount(u, weights=dev[:, i], minlength=n_units)
                    for i in range(Z.shape[1])], axis=1) / safe[:, None]
    out: np.ndarray = var.mean(axis=1)
    return out


def single_area_layout(tiers: Sequence[Tier]) -> UnitLayout:
    """The layout of an instance without areas: one area, one unit per tier standing for the
    tier's ``units`` bodies of ``population`` people each (u = t)."""
    T = len(tiers)
    total = max((float(t.total_population or t.units * t.population) for t in tiers),
                default=1.0)
    ids = _as_text([t.id for t in tiers])
    return UnitLayout(
        tier_ids=tuple(t.id for t in tiers),
        area_ids=np.array([SINGLE_AREA], dtype=object),
        area_names=np.array([SINGLE_AREA], dtype=object),
        area_population=np.array([total]),
        unit_tier=np.arange(T, dtype=np.int64),
        unit_code=ids,
        unit_name=_as_text([t.name for t in tiers]),
        unit_bodies=np.array([float(t.units) for t in tiers]),
        unit_people=np.full(T, total),
        unit_scale=np.array([float(t.population) for t in tiers]),
        unit_heterogeneity=np.zeros(T),
        unit_of=np.arange(T, dtype=np.int64)[None, :],
        start=np.arange(T + 1, dtype=np.int64),
        finer=np.ones(T, dtype=bool),
        per_area=False,
    )


def unit_layout(tiers: Sequence[Tier], geography: Geography | None) -> UnitLayout:
    """The units of ``tiers`` (the instance's active tiers, most central first) over the areas
    of ``geography``; the single-area layout when there is none."""
    if geography is None:
        return single_area_layout(tiers)
    areas = geography.areas
    A, T = len(areas), len(tiers)
    p = areas.population
    unit_of = np.full((A, T), -1, dtype=np.int64)
    start = np.zeros(T + 1, dtype=np.int64)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in
                                          ("tier", "code", "name", "bodies", "people", "het",
                                           "scale")}
    finer = np.zeros(T, dtype=bool)
    for t, tier in enumerate(tiers):  # a handful of tiers; every step inside is whole-array
        tu = geography.tiers[tier.id]
        n = tu.n_units
        ok = tu.unit >= 0
        unit_of[ok, t] = start[t] + tu.unit[ok]
        start[t + 1] = start[t] + n
        finer[t] = tu.finer
        parts["tier"].append(np.full(n, t, dtype=np.int64))
        parts["code"].append(_as_text(tu.codes))
        parts["name"].append(_as_text(tu.names))
        parts["bodies"].append(np.asarray(tu.bodies, dtype=float))
        people = np.bincount(tu.unit[ok], weights=p[ok], minlength=n)
        parts["people"].append(people)
        parts["scale"].append(np.asarray(tu.scale, dtype=float) if tu.scale is not None
                              else people / np.where(tu.bodies > 0, tu.bodies, 1.0))
        parts["het"].append(np.zeros(n) if tu.finer else heterogeneity(areas, tu.unit, n))
    cat: dict[str, np.ndarray] = {k: (np.concatenate(v) if v else np.zeros(0))
                                  for k, v in parts.items()}
    bodies = cat["bodies"]
    people = cat["people"]
    return UnitLayout(
        tier_ids=tuple(t.id for t in tiers),
        area_ids=_as_text(areas.ids),
        area_names=_as_text(areas.names),
        area_population=np.asarray(p, dtype=float),
        unit_tier=cat["tier"].astype(np.int64),
        unit_code=cat["code"].astype(object),
        unit_name=cat["name"].astype(object),
        unit_bodies=bodies,
        unit_people=people,
        unit_scale=cat["scale"],
        unit_heterogeneity=cat["het"],
        unit_of=unit_of,
        start=start,
        finer=finer,
        per_area=True,
    )
