"""Pydantic schema of ``[areas]`` in ``instance.toml`` (format ``placement/2``, docs/model.md
section 9): the area table, its ids, names, populations and indicators, and the per-place
tables (status-quo overrides, availability, caps on single bodies)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["AreaShareSpec", "IndicatorSpec", "JoinSpec", "AreasSpec"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False,
                              defer_build=True)


class AreaShareSpec(_Strict):
    """The share of a row's population that belongs to the area (a piece of a larger unit);
    with ``within``, shares are scaled to sum to 1 over the rows of each value of that column,
    so every unit keeps its population exactly. ``kind = "count"``: the column holds people
    (a census count per small area) and each row's share is its count over its ``within``
    unit's total, so a unit's population (a later estimate) is shared as the count was."""

    column: str = Field(min_length=1)
    within: str | None = Field(default=None, min_length=1)
    kind: Literal["share", "count"] = "share"

    @model_validator(mode="after")
    def _count_within(self) -> AreaShareSpec:
        if self.kind == "count" and self.within is None:
            raise ValueError("a share given as counts needs 'within' (the unit whose total "
                             "each count is a share of)")
        return self


class IndicatorSpec(_Strict):
    """A measure per area: a ``share`` of the area's people (0..1; a function may serve that
    group) or a ``score`` (any number: used for heterogeneity only)."""

    id: str = Field(min_length=1)
    column: str = Field(min_length=1)
    kind: Literal["share", "score"] = "score"
    name: str = ""
    source: str | None = None


class JoinSpec(_Strict):
    """Bring columns of another table into the areas (or membership) table by a key
    column."""

    file: str = Field(min_length=1)
    on: str = Field(min_length=1)
    columns: list[str] = Field(min_length=1)
    #: the joined file's key column, where it is named differently from ``on``
    key: str | None = Field(default=None, min_length=1)


class AreasSpec(_Strict):
    """The areas of an instance and the tables that differ by place (indicator ids are
    checked unique by the loader, which names the repeated entry)."""

    file: str = Field(min_length=1)
    id: str | list[str] = Field(min_length=1)
    name: str | list[str] | None = None
    population: str = Field(default="population", min_length=1)
    share: Annotated[str, Field(min_length=1)] | AreaShareSpec | None = None
    join: list[JoinSpec] = Field(default_factory=list)
    indicators: list[IndicatorSpec] = Field(default_factory=list)
    current: str | None = Field(default=None, min_length=1)
    availability: str | None = Field(default=None, min_length=1)
    unit_caps: str | None = Field(default=None, min_length=1)
    source: str | None = None
