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


class ConstraintsSpec(_Strict):
    max_moves: int | None = Field(default=None, ge=0)


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
}


def _g(v: object) -> str:
    return f"{v:g}" if isinstance(v, int | float) else str(v)


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
        if isinstance(node, dict) and p not in node and p[:1].isupper():
            continue
        parts.append(str(p))
        node = node.get(p) if isinstance(node, dict) else None
    return ".".join(parts), ident


def problems_from(err: ValidationError, file: str, data: Any) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems."""
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for e in err.errors(include_url=False):
        loc = tuple(e.get("loc", ()))
        where, ident = _loc_to_where(loc, data)
        typ = e.get("type", "")
        ctxd = e.get("ctx") or {}
        if typ in _EXPECT:
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
            expected = str(ctxd.get("error", e.get("msg", "")))
        else:
            expected = str(e.get("msg", "a valid value"))
        value = e.get("input")
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
