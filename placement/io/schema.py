"""Pydantic schemas for ``instance.toml`` and scoring-model TOML files.

Unknown keys are errors (a typo such as ``budgte`` must not be silently ignored). Pydantic's
errors are turned into located problems by :mod:`placement.io.schema_problems`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from placement.io.schema_areas import AreasSpec, JoinSpec
from placement.model.limits import (
    ID_PATTERN,
    MAX_AMOUNT,
    MAX_POPULATION,
    MAX_UNITS,
    MAX_WEIGHT,
)

__all__ = [
    "INSTANCE_FORMATS",
    "MODEL_FORMATS",
    "SourceSpec",
    "TierTableSpec",
    "TierSpec",
    "ResourceSpec",
    "ConstraintsSpec",
    "MaxShareSpec",
    "LinkSpec",
    "JoinSpec",
    "MembershipSpec",
    "TierMembershipSpec",
    "CoterminosityPairSpec",
    "CoterminositySpec",
    "ScenarioSpec",
    "InstanceSpec",
    "CriterionSpec",
    "ModelSpec",
    "AreasSpec",
]

#: Instance formats this version reads: ``placement/2`` adds ``[areas]`` (docs/model.md
#: section 9); ``placement/1`` instances load unchanged.
INSTANCE_FORMATS = ("placement/1", "placement/2")
MODEL_FORMATS = ("placement-model/1",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False,
                              defer_build=True)


class SourceSpec(_Strict):
    id: str = Field(min_length=1)
    title: str = ""
    file: str | None = None
    section: str | None = None
    url: str | None = None


class TierTableSpec(_Strict):
    """Take a tier's units and population from a geography table (CSV)."""

    file: str = Field(min_length=1)
    population: str = "population"
    statistic: Literal["mean", "median", "per_unit"] = "mean"
    units_column: str | None = None
    where: dict[str, str | int | float | bool] = Field(default_factory=dict)
    where_not: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _per_unit_needs_units(self) -> TierTableSpec:
        if self.statistic != "per_unit" and self.units_column is not None:
            raise ValueError("units_column needs statistic = \"per_unit\" (population per unit "
                             "= total population / units)")
        return self


class TierMembershipSpec(_Strict):
    """Which column of the membership (or areas) table names this tier's unit for each piece;
    or, for a tier finer than the areas, how many of its bodies each area has: ``count``
    names a column of counts, per area, or per unit of the ``within`` column (then shared
    among that unit's areas by population)."""

    column: str | None = Field(default=None, min_length=1)
    names: str | None = None
    count: str | None = Field(default=None, min_length=1)
    within: str | None = Field(default=None, min_length=1)
    #: false: the ``within`` unit's count is shared in exact proportion to population, so an
    #: area may hold a fraction of a body (small areas, far finer than the bodies)
    whole: bool = True

    @model_validator(mode="after")
    def _column_or_count(self) -> TierMembershipSpec:
        if (self.column is None) == (self.count is None):
            raise ValueError("give exactly one of 'column' (the unit of each area) or 'count' "
                             "(bodies per area, for a tier finer than the areas)")
        if self.within is not None and self.count is None:
            raise ValueError("'within' goes with 'count' (share a count among areas)")
        if not self.whole and self.within is None:
            raise ValueError("'whole = false' goes with 'count' and 'within' (a unit's "
                             "bodies shared among its areas in proportion to population)")
        return self


class TierSpec(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    units: int | None = Field(default=None, ge=1, le=MAX_UNITS)
    population: float | None = Field(default=None, gt=0, le=MAX_POPULATION)
    total_population: float | None = Field(default=None, gt=0, le=MAX_POPULATION)
    table: TierTableSpec | None = None
    geography: str | None = None
    optional: bool = False
    performance: dict[str, float] = Field(default_factory=dict)
    source: str | None = None
    description: str = ""
    membership: Annotated[str, Field(min_length=1)] | TierMembershipSpec | None = None

    @model_validator(mode="after")
    def _units_and_population(self) -> TierSpec:
        # units and population missing without a table: reported by the loader, which knows
        # whether [areas] gives them (placement/io/instance_dir.py)
        if self.table is not None and self.population is not None:
            raise ValueError("give population or a table to read it from, not both")
        for k, v in self.performance.items():
            if not (0.0 <= v <= 1.0):
                raise ValueError(f"performance '{k}' = {v} is outside 0..1")
        return self


class ResourceSpec(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    unit: str = ""
    budget: float | None = Field(default=None, ge=0, le=MAX_AMOUNT)
    caps: dict[str, Annotated[float, Field(ge=0, le=MAX_AMOUNT)]] = Field(default_factory=dict)
    estimate: bool = False
    description: str = ""
    source: str | None = None

    @model_validator(mode="after")
    def _caps_non_negative(self) -> ResourceSpec:
        bad = {k: v for k, v in self.caps.items() if v < 0}
        if bad:
            raise ValueError(f"caps must be 0 or more, found {bad}")
        return self


class MaxShareSpec(_Strict):
    """No tier (or the named one) holds more than ``share`` of the functions or a resource."""

    share: float = Field(gt=0, le=1)
    tier: str | None = None
    of: str = Field(default="functions", min_length=1)


class ConstraintsSpec(_Strict):
    max_moves: int | None = Field(default=None, ge=0)
    max_share: float | list[MaxShareSpec] | None = None

    @model_validator(mode="after")
    def _share_in_range(self) -> ConstraintsSpec:
        if isinstance(self.max_share, float | int) and not (0 < self.max_share <= 1):
            raise ValueError(f"max_share {self.max_share:g} is outside (0, 1]")
        return self


LINK_KIND = Literal["together", "coterminous", "at_or_above"]


class LinkSpec(_Strict):
    """A link between two functions, or between a function and a geography."""

    id: str | None = Field(default=None, min_length=1)
    kind: LINK_KIND
    function: str = Field(min_length=1)
    other: str | None = Field(default=None, min_length=1)
    geography: str | None = Field(default=None, min_length=1)
    kappa_min: float | None = Field(default=None, ge=0, le=1)
    penalty: float | None = Field(default=None, gt=0, le=MAX_AMOUNT)
    source: str | None = None

    @model_validator(mode="after")
    def _target(self) -> LinkSpec:
        if (self.other is None) == (self.geography is None):
            raise ValueError("give exactly one of 'other' (a function) or 'geography'")
        if self.geography is not None and self.kind != "coterminous":
            raise ValueError(f"a link to a geography must be 'coterminous', not '{self.kind}'")
        if self.kappa_min is not None and self.kind != "coterminous":
            raise ValueError(f"kappa_min applies to coterminous links, not '{self.kind}'")
        return self


class MembershipSpec(_Strict):
    """The pieces tiers are made of, each with a population (optionally times a share)."""

    file: str = Field(min_length=1)
    population: str = "population"
    share: str | None = None
    join: list[JoinSpec] = Field(default_factory=list)


class CoterminosityPairSpec(_Strict):
    tiers: list[str] = Field(min_length=2, max_length=2)
    kappa: float = Field(ge=0, le=1)
    source: str | None = None


class CoterminositySpec(_Strict):
    """kappa given explicitly: inline pairs and/or a CSV (tier_a, tier_b, kappa[, source])."""

    file: str | None = Field(default=None, min_length=1)
    pairs: list[CoterminosityPairSpec] = Field(default_factory=list)


class ScenarioSpec(_Strict):
    name: str = ""
    description: str = ""
    source: str | None = None
    weights: dict[str, Annotated[float, Field(le=MAX_WEIGHT)]] = Field(default_factory=dict)
    budgets: dict[str, Annotated[float, Field(le=MAX_AMOUNT)]] = Field(default_factory=dict)
    caps: dict[str, dict[str, Annotated[float, Field(le=MAX_AMOUNT)]]] = Field(
        default_factory=dict)
    pins: dict[str, str] = Field(default_factory=dict)
    unpin: list[str] = Field(default_factory=list)
    allowed: dict[str, list[str]] = Field(default_factory=dict)
    enable_tiers: list[str] = Field(default_factory=list)
    disable_tiers: list[str] = Field(default_factory=list)
    max_moves: int | None = Field(default=None, ge=0)
    no_max_moves: bool = False
    placement: str | dict[str, str] | None = None
    add_links: list[LinkSpec] = Field(default_factory=list)
    remove_links: list[str] = Field(default_factory=list)
    availability: str | None = Field(default=None, min_length=1)
    heterogeneity: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _non_negative(self) -> ScenarioSpec:
        for k, v in self.weights.items():
            if v < 0:
                raise ValueError(f"weight '{k}' = {v} is negative")
        for k, v in self.budgets.items():
            if v < 0:
                raise ValueError(f"budget '{k}' = {v} is negative")
        for r, caps in self.caps.items():
            for t, v in caps.items():
                if v < 0:
                    raise ValueError(f"cap '{r}' at '{t}' = {v} is negative")
        return self


class InstanceSpec(_Strict):
    format: str
    name: str = Field(min_length=1)
    description: str = ""
    sense: Literal["max", "min"] = "max"
    model: str | None = Field(default=None, min_length=1)
    functions: str = Field(default="functions.csv", min_length=1)
    values: str | None = Field(default=None, min_length=1)
    costs: str | None = Field(default=None, min_length=1)
    sources: list[SourceSpec | str] = Field(default_factory=list)
    tiers: list[TierSpec] = Field(min_length=1)
    resources: list[ResourceSpec] = Field(default_factory=list)
    constraints: ConstraintsSpec = Field(default_factory=ConstraintsSpec)
    scenarios: dict[str, ScenarioSpec] = Field(default_factory=dict)
    links: str | list[LinkSpec] = Field(default_factory=list)
    membership: MembershipSpec | None = None
    coterminosity: CoterminositySpec | None = None
    areas: AreasSpec | None = None

    @model_validator(mode="after")
    def _format_and_model(self) -> InstanceSpec:
        if self.format not in INSTANCE_FORMATS:
            raise ValueError(
                f"format {self.format!r} is not one this version reads "
                f"({', '.join(INSTANCE_FORMATS)})"
            )
        if self.areas is not None and self.format == "placement/1":
            raise ValueError(f"format = \"placement/2\" with [areas] (format = "
                             f"{self.format!r} has no areas)")
        if self.areas is not None and self.membership is not None:
            raise ValueError("give [areas] or [membership], not both: with areas, the tiers' "
                             "membership columns are columns of the areas table")
        if self.model is None and self.values is None:
            raise ValueError("give a scoring 'model' or a 'values' table")
        return self


class CriterionSpec(_Strict):
    id: str = Field(pattern=ID_PATTERN)
    name: str = ""
    direction: Literal["up", "down"]
    weight: float = Field(ge=0, le=MAX_WEIGHT)
    lo: float = Field(gt=0, le=MAX_POPULATION)
    hi: float = Field(gt=0, le=MAX_POPULATION)
    description: str = ""
    source: str | None = None

    @model_validator(mode="after")
    def _lo_below_hi(self) -> CriterionSpec:
        if not self.lo < self.hi:
            raise ValueError(f"lo ({self.lo:g}) must be smaller than hi ({self.hi:g})")
        return self


class HeterogeneitySpec(_Strict):
    """eta of docs/model.md section 9 and the criterion whose score it multiplies."""

    weight: float = Field(ge=0, le=MAX_WEIGHT)
    criterion: str = Field(min_length=1)
    source: str | None = None


class ModelSpec(_Strict):
    format: str
    id: str = Field(min_length=1)
    name: str = ""
    description: str = ""
    sources: list[SourceSpec | str] = Field(default_factory=list)
    criteria: list[CriterionSpec] = Field(min_length=1)
    heterogeneity: HeterogeneitySpec | None = None

    @model_validator(mode="after")
    def _checks(self) -> ModelSpec:
        if self.format not in MODEL_FORMATS:
            raise ValueError(
                f"format {self.format!r} is not one this version reads "
                f"({', '.join(MODEL_FORMATS)})"
            )
        ids = [c.id for c in self.criteria]
        dups = sorted({i for i in ids if ids.count(i) > 1})
        if dups:
            raise ValueError(f"criterion ids must be unique; repeated: {', '.join(dups)}")
        if self.heterogeneity is not None and self.heterogeneity.criterion not in ids:
            raise ValueError(
                f"heterogeneity.criterion {self.heterogeneity.criterion!r} is not a criterion "
                f"of this model ({', '.join(ids)})"
            )
        return self
