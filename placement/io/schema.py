"""Pydantic schemas for ``instance.toml`` and scoring-model TOML files.

Unknown keys are errors (a typo such as ``budgte`` must not be silently ignored). Pydantic's
errors are turned into :class:`~placement.errors.Problem` objects that name the file, the key,
the value found and what was expected.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from placement.errors import Problem

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
    "problems_from",
]

INSTANCE_FORMATS = ("placement/1",)
MODEL_FORMATS = ("placement-model/1",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
    """Which column of the membership table names this tier's unit for each piece."""

    column: str = Field(min_length=1)
    names: str | None = None


class TierSpec(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    units: int | None = Field(default=None, ge=1)
    population: float | None = Field(default=None, gt=0)
    total_population: float | None = Field(default=None, gt=0)
    table: TierTableSpec | None = None
    geography: str | None = None
    optional: bool = False
    performance: dict[str, float] = Field(default_factory=dict)
    source: str | None = None
    description: str = ""
    membership: str | TierMembershipSpec | None = None

    @model_validator(mode="after")
    def _units_and_population(self) -> TierSpec:
        if self.table is None:
            missing = [k for k in ("units", "population") if getattr(self, k) is None]
            if missing:
                raise ValueError(
                    f"give {' and '.join(missing)} (or a table to read them from)"
                )
        elif self.population is not None:
            raise ValueError("give population or a table to read it from, not both")
        for k, v in self.performance.items():
            if not (0.0 <= v <= 1.0):
                raise ValueError(f"performance '{k}' = {v} is outside 0..1")
        return self


class ResourceSpec(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    unit: str = ""
    budget: float | None = Field(default=None, ge=0)
    caps: dict[str, float] = Field(default_factory=dict)
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
    penalty: float | None = Field(default=None, gt=0)
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


class JoinSpec(_Strict):
    """Bring columns of another table into the membership table by a key column."""

    file: str = Field(min_length=1)
    on: str = Field(min_length=1)
    columns: list[str] = Field(min_length=1)


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

    file: str | None = None
    pairs: list[CoterminosityPairSpec] = Field(default_factory=list)


class ScenarioSpec(_Strict):
    name: str = ""
    description: str = ""
    source: str | None = None
    weights: dict[str, float] = Field(default_factory=dict)
    budgets: dict[str, float] = Field(default_factory=dict)
    caps: dict[str, dict[str, float]] = Field(default_factory=dict)
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
    model: str | None = None
    functions: str = "functions.csv"
    values: str | None = None
    costs: str | None = None
    sources: list[SourceSpec | str] = Field(default_factory=list)
    tiers: list[TierSpec] = Field(min_length=1)
    resources: list[ResourceSpec] = Field(default_factory=list)
    constraints: ConstraintsSpec = Field(default_factory=ConstraintsSpec)
    scenarios: dict[str, ScenarioSpec] = Field(default_factory=dict)
    links: str | list[LinkSpec] = Field(default_factory=list)
    membership: MembershipSpec | None = None
    coterminosity: CoterminositySpec | None = None

    @model_validator(mode="after")
    def _format_and_model(self) -> InstanceSpec:
        if self.format not in INSTANCE_FORMATS:
            raise ValueError(
                f"format {self.format!r} is not one this version reads "
                f"({', '.join(INSTANCE_FORMATS)})"
            )
        if self.model is None and self.values is None:
            raise ValueError("give a scoring 'model' or a 'values' table")
        return self


class CriterionSpec(_Strict):
    id: str = Field(min_length=1)
    name: str = ""
    direction: Literal["up", "down"]
    weight: float = Field(ge=0)
    lo: float = Field(gt=0)
    hi: float = Field(gt=0)
    description: str = ""
    source: str | None = None

    @model_validator(mode="after")
    def _lo_below_hi(self) -> CriterionSpec:
        if not self.lo < self.hi:
            raise ValueError(f"lo ({self.lo:g}) must be smaller than hi ({self.hi:g})")
        return self


class ModelSpec(_Strict):
    format: str
    id: str = Field(min_length=1)
    name: str = ""
    description: str = ""
    sources: list[SourceSpec | str] = Field(default_factory=list)
    criteria: list[CriterionSpec] = Field(min_length=1)

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
        return self


_EXPECT = {
    "missing": "this key (it is required)",
    "extra_forbidden": "no such key here (check the spelling against docs/instance-format.md)",
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text in quotes",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list [ ... ]",
    "dict_type": "a table { ... }",
    "model_type": "a table { ... }",
    "too_short": "at least one entry",
    "too_long": "no more entries than allowed",
}


def _g(v: object) -> str:
    return f"{v:g}" if isinstance(v, int | float) else str(v)


_TYPE_TAGS = {"str", "int", "float", "bool"}
_TYPE_MISMATCH = {"string_type", "float_type", "float_parsing", "int_type", "int_parsing",
                  "bool_type", "bool_parsing", "list_type", "dict_type", "model_type"}


def _is_union_tag(p: object, node: Any) -> bool:
    if not isinstance(p, str) or (isinstance(node, dict) and p in node):
        return False
    return p[:1].isupper() or "[" in p or p in _TYPE_TAGS


def _loc_to_where(loc: tuple[Any, ...], data: Any) -> tuple[str, str | None]:
    """Dotted key path for an error location, with list positions counted from 1."""
    parts: list[str] = []
    node = data
    ident: str | None = None
    for p in loc:
        if isinstance(p, int):
            parts[-1] = f"{parts[-1]}[{p + 1}]" if parts else f"[{p + 1}]"
            if isinstance(node, list) and 0 <= p < len(node):
                node = node[p]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    ident = node["id"]
            continue
        # pydantic adds union-member tags such as "SourceSpec" or "str" into loc: skip them
        if _is_union_tag(p, node):
            continue
        parts.append(str(p))
        node = node.get(p) if isinstance(node, dict) else None
    return ".".join(parts), ident


def problems_from(err: ValidationError, file: str, data: Any) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems."""
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    errors = err.errors(include_url=False)
    wheres = [_loc_to_where(tuple(e.get("loc", ())), data)[0] for e in errors]
    # A union (e.g. ``links = "links.csv"`` or a list of tables) reports a type mismatch for
    # every member it did not match; keep one merged message, or none when a member matched
    # the type and failed deeper down.
    mismatch: dict[str, list[str]] = {}
    deeper: set[str] = set()
    for e, w in zip(errors, wheres, strict=True):
        tagged = any(_is_union_tag(p, None) for p in e.get("loc", ()))
        if tagged and e.get("type") in _TYPE_MISMATCH:
            mismatch.setdefault(w, []).append(_EXPECT[str(e.get("type"))])
        elif tagged:
            deeper.update(w[: i] for i in range(len(w) + 1))
    for e0, where in zip(errors, wheres, strict=True):
        detail: dict[str, Any] = dict(e0)
        loc = tuple(detail.get("loc", ()))
        _, ident = _loc_to_where(loc, data)
        if where in mismatch and detail.get("type") in _TYPE_MISMATCH and any(
                _is_union_tag(p, None) for p in loc):
            if where in deeper:
                continue
            alternatives = list(dict.fromkeys(mismatch[where]))
            detail = dict(detail, type="union", msg=" or ".join(alternatives))
        typ = detail.get("type", "")
        ctxd = detail.get("ctx") or {}
        if typ == "too_short" and int(ctxd.get("min_length", 1)) > 1:
            expected = f"at least {ctxd.get('min_length')} entries"
        elif typ == "too_long" and "max_length" in ctxd:
            expected = f"at most {ctxd.get('max_length')} entries"
        elif typ in _EXPECT:
            expected = _EXPECT[typ]
        elif typ == "greater_than_equal":
            expected = f"a number of {_g(ctxd.get('ge'))} or more"
        elif typ == "greater_than":
            expected = f"a number greater than {_g(ctxd.get('gt'))}"
        elif typ == "less_than_equal":
            expected = f"a number of {_g(ctxd.get('le'))} or less"
        elif typ == "literal_error":
            expected = f"one of {ctxd.get('expected')}"
        elif typ == "value_error":
            expected = str(ctxd.get("error", detail.get("msg", "")))
        else:
            expected = str(detail.get("msg", "a valid value"))
        value = detail.get("input")
        missing = typ == "missing"
        if typ == "value_error" or isinstance(value, dict | list):
            value = None
        sig = (where, expected)
        if sig in seen:  # unions report the same miss once per member
            continue
        seen.add(sig)
        ctx_words = f"id '{ident}'" if ident else None
        out.append(Problem(file, where or None, None, value, expected, ctx_words,
                           missing=missing))
    return out
