"""Areas, the units of each tier over them, and the rules that differ by place (docs/model.md
section 9): which bodies may hold which functions (availability), where today's placement
differs from the national picture (status-quo overrides), and caps on single bodies.

An *area* is the finest piece of geography an instance distinguishes (England: the 166 pieces
of ``data/geography/utla_icb_split.csv``, each an upper-tier authority or its part inside one
integrated care board). A *unit* is one real body of a tier (NHS Greater Manchester ICB, Dorset
Council, the Greater Manchester Combined Authority) covering a set of areas; the units of one
tier are disjoint, and an area with no unit at a tier (no combined authority there) is simply
not covered by it. A tier *finer* than the areas (neighbourhoods) has a number of bodies inside
each area; all of an area's bodies do a function or none do.

Everything here is data, read and validated by :mod:`placement.io`; the arrays the formulation
and the checker use are derived in :mod:`placement.model.units`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

__all__ = ["Indicator", "Areas", "TierUnits", "AvailabilityRule", "CurrentRule", "UnitCap",
           "Geography", "AREA_SCOPE"]

#: The scope word of a status-quo override or fixed placement row that names one area.
AREA_SCOPE = "area"


@dataclass(frozen=True)
class Indicator:
    """A measure of need or context per area (share aged 65+, deprivation score, rural share).

    ``kind`` is ``"share"`` for a share of the area's people (0..1: a function may *serve*
    that group) or ``"score"`` for any other measure (used only for heterogeneity).
    """

    id: str
    column: str
    kind: Literal["share", "score"] = "score"
    name: str = ""
    source: str | None = None


@dataclass(frozen=True, eq=False)
class Areas:
    """The areas of an instance: ids, names, populations and indicator values.

    ``values`` is (A, I), one column per indicator, in the order of ``indicators``.
    """

    ids: np.ndarray
    names: np.ndarray
    population: np.ndarray
    indicators: tuple[Indicator, ...] = ()
    values: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    source: str = ""

    def __post_init__(self) -> None:
        # always (A, I), also with no indicator at all
        values = np.asarray(self.values, dtype=float).reshape(self.ids.shape[0],
                                                              len(self.indicators))
        object.__setattr__(self, "values", values)

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def total(self) -> float:
        """Everyone the instance covers."""
        return float(self.population.sum())

    def indicator(self, indicator_id: str) -> np.ndarray:
        """The (A,) values of one indicator."""
        ids = [i.id for i in self.indicators]
        return self.values[:, ids.index(indicator_id)]


@dataclass(frozen=True, eq=False)
class TierUnits:
    """Where one tier's bodies are.

    Attributes
    ----------
    tier
        The tier's id.
    unit
        (A,) the index of the unit holding each area (into ``codes``), -1 where the tier has
        no unit. A finer tier has one unit per area: ``unit[a] = a``.
    codes, names
        (U_t,) each unit's code and readable name.
    bodies
        (U_t,) the bodies a unit stands for: 1 for a real body; for a finer tier, the number of
        bodies inside the area (at least 1).
    finer
        Whether the tier is finer than the areas.
    how
        Where the units came from, for messages and reports.
    scale
        (U_t,) the people one body serves, where that is given rather than the unit's people
        divided by its bodies (the single-area form of a uniform instance, whose tiers state
        a typical population); ``None``: computed.
    """

    tier: str
    unit: np.ndarray
    codes: np.ndarray
    names: np.ndarray
    bodies: np.ndarray
    finer: bool = False
    how: str = ""
    scale: np.ndarray | None = None

    @property
    def n_units(self) -> int:
        return int(self.codes.shape[0])

    @property
    def covers_every_area(self) -> bool:
        return bool((self.unit >= 0).all())


@dataclass(frozen=True)
class AvailabilityRule:
    """One row of the availability table: units of ``tier`` (one unit, or every unit when
    ``unit`` is ``None``) may or may not hold a function (or every function of a category).

    Rules apply in order; a later rule overrides an earlier one where both apply, so a table
    can close a tier to a function and then open it for the units that are ready.
    """

    tier: str
    unit: str | None
    function: str | None
    category: str | None
    allowed: bool
    reason: str = ""
    source: str | None = None
    where: str = ""


@dataclass(frozen=True)
class CurrentRule:
    """A status-quo override: in the areas of ``scope`` (a tier's unit, or one area when
    ``scope`` is :data:`AREA_SCOPE`), ``function`` sits at ``tier`` today."""

    function: str
    scope: str
    code: str
    tier: str
    source: str | None = None
    where: str = ""


@dataclass(frozen=True)
class UnitCap:
    """A cap on what one body (or every body of a tier) may use of a resource: ``amount`` in
    the resource's unit, or per head of the body's population when ``per_head``."""

    resource: str
    tier: str
    unit: str | None
    amount: float
    per_head: bool = False
    source: str | None = None
    where: str = ""


@dataclass(frozen=True, eq=False)
class Geography:
    """Areas, every declared tier's units over them, and the per-place rules."""

    areas: Areas
    tiers: Mapping[str, TierUnits]
    availability: tuple[AvailabilityRule, ...] = ()
    current: tuple[CurrentRule, ...] = ()
    unit_caps: tuple[UnitCap, ...] = ()

    def unit_index(self, tier: str, code: str) -> int:
        """Index of a unit of ``tier`` by code or name (-1 when there is none)."""
        tu = self.tiers[tier]
        hits = np.nonzero((tu.codes == code) | (tu.names == code))[0]
        return int(hits[0]) if hits.size else -1

    def area_index(self, code: str) -> int:
        hits = np.nonzero((self.areas.ids == code) | (self.areas.names == code))[0]
        return int(hits[0]) if hits.size else -1

    def scope_areas(self, scope: str, code: str) -> np.ndarray:
        """(A,) bool: the areas of a scope (a tier's unit, or one area)."""
        A = len(self.areas)
        if scope == AREA_SCOPE:
            i = self.area_index(code)
            out = np.zeros(A, dtype=bool)
            if i >= 0:
                out[i] = True
            return out
        u = self.unit_index(scope, code)
        tu = self.tiers[scope]
        return (tu.unit == u) if u >= 0 else np.zeros(A, dtype=bool)
