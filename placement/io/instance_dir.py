"""Instance directories: ``instance.toml`` plus ``functions.csv`` (and optional tables).

See docs/instance-format.md for the format. :func:`load_instance` validates everything it can
and raises one :class:`~placement.errors.InstanceError` listing every problem found. It reads
the header and its scoring model, then the tiers, resources and function table, then whatever
needs a valid header (value and cost tables, coterminosity, links, spread constraints and
scenarios), each step in its own module; this one only orders the steps and assembles the
:class:`~placement.model.Instance`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from placement.errors import InstanceError, Problem
from placement.io.csvfile import display_path, line_locator, read_text_csv
from placement.io.functions_table import parse_functions
from placement.io.geography import (
    geography_problems,
    read_geography,
    tier_from_units,
    uniform_problems,
)
from placement.io.links import check_links, link_from_spec, read_links_csv, require_kappa
from placement.io.magnitudes import coefficient_problems
from placement.io.membership import read_coterminosity
from placement.io.models import load_model
from placement.io.paths import instance_file
from placement.io.scenario_specs import ScenarioContext, max_share_from_spec, scenarios_from_specs
from placement.io.schema import InstanceSpec, ResourceSpec, SourceSpec, TierSpec
from placement.io.schema_problems import problems_from
from placement.io.tier_tables import tier_from_table
from placement.io.tomlfile import read_toml
from placement.io.value_tables import read_costs, read_values
from placement.model import Functions, Instance, Link, Resource, ScoringModel, Source, Tier
from placement.model.geography import Geography
from placement.model.sense import Sense

__all__ = ["load_instance", "instance_toml"]


def instance_toml(path: Path) -> Path:
    """The ``instance.toml`` of an instance directory; any other path is taken as the file."""
    return path / "instance.toml" if path.is_dir() else path


@dataclass
class _Load:
    """One load in progress: where the instance lives and what has been found wrong so far."""

    base: Path
    label: str
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    function_lines: list[str] = field(default_factory=list)  # the line of each function
    # the ids of a function table that failed to validate, so links and scenarios naming
    # functions are still checked in the same run (every problem at once)
    raw_function_ids: list[str] | None = None
    model_failed: bool = False  # a model was named but could not be loaded

    def error(self) -> InstanceError:
        return InstanceError(self.problems, subject=f"instance {self.label}",
                             warnings=tuple(self.warnings))


def load_instance(path: str | Path, *, model: str | Path | ScoringModel | None = None) -> Instance:
    """Load and validate an instance directory (or its ``instance.toml``).

    Parameters
    ----------
    path
        The instance directory, or the path of its ``instance.toml``.
    model
        A scoring model (id, path or object) to use instead of the one the instance names.

    Raises
    ------
    InstanceError
        Listing every problem found, each naming its file, line or key, field and value.
    """
    toml_path = instance_toml(Path(path))
    ld = _Load(toml_path.parent, display_path(toml_path))
    data = _read_toml(path, toml_path, ld.label)
    spec = _validate(data, ld)
    # What we know even if the header is broken, so the CSV is still checked in this run.
    tier_ids = [t.id for t in spec.tiers] if spec else _raw_ids(data, "tiers")
    resource_ids = [r.id for r in spec.resources] if spec else _raw_ids(data, "resources")
    model_ref = model if model is not None else (spec.model if spec else data.get("model"))
    values_ref = spec.values if spec else data.get("values")
    _check_unique_ids(ld, tier_ids, resource_ids)
    scoring = _scoring_model(ld, model_ref, "model" if model is None else "--model")
    ld.model_failed = scoring is None and isinstance(model_ref, str | Path) and bool(
        str(model_ref))
    tiers = _tiers(ld, spec.tiers, scoring, spec.areas is not None) if spec else []
    resources = _resources(ld, spec.resources, tier_ids) if spec else []
    fname = spec.functions if spec else str(data.get("functions", "functions.csv"))
    # A model that is named but failed to load leaves the score columns uncheckable.
    parse = scoring is not None or bool(values_ref) or model_ref is None
    functions = _functions(ld, fname, scoring, tier_ids, resource_ids, parse=parse,
                           need_scores=scoring is not None and not values_ref)
    if spec is None:
        raise ld.error()
    return _complete(ld, spec, scoring, tiers, resources, functions)


def _read_toml(path: str | Path, toml_path: Path, label: str) -> dict[str, Any]:
    """The parsed ``instance.toml``; a missing or unreadable file stops the load at once."""
    if not toml_path.is_file():
        hint = "a directory holding instance.toml" if not Path(path).exists() else (
            "an instance.toml in this directory")
        raise InstanceError.single(str(path), None, None, None, hint, missing=True)
    return read_toml(toml_path, label)


def _validate(data: dict[str, Any], ld: _Load) -> InstanceSpec | None:
    try:
        return InstanceSpec.model_validate(data)
    except ValidationError as e:
        ld.problems.extend(problems_from(e, ld.label, data))
        return None


def _raw_ids(data: dict[str, Any], key: str) -> list[str]:
    items = data.get(key)
    if not isinstance(items, list):
        return []
    return [it["id"] for it in items if isinstance(it, dict) and isinstance(it.get("id"), str)]


def _check_unique_ids(ld: _Load, tier_ids: list[str], resource_ids: list[str]) -> None:
    for kind, ids in (("tiers", tier_ids), ("resources", resource_ids)):
        seen: set[str] = set()
        for i, x in enumerate(ids):
            if x in seen:
                ld.problems.append(Problem(ld.label, f"{kind}[{i + 1}].id", None, x,
                                           "a unique id"))
            seen.add(x)


def _scoring_model(ld: _Load, ref: object, where: str) -> ScoringModel | None:
    """The scoring model ``ref`` names (``where``: the key or option naming it), if any."""
    if isinstance(ref, ScoringModel):
        return ref
    if not (isinstance(ref, str | Path) and str(ref)):
        return None
    try:
        return load_model(ref, near=ld.base, where=where)
    except InstanceError as e:
        # a model that cannot be found is a problem of the key naming it, in instance.toml
        ld.problems.extend(
            Problem(p.file or ld.label, p.where, p.field, p.value, p.expected, p.context,
                    p.missing)
            for p in e.problems
        )
        return None


def _tiers(ld: _Load, specs: list[TierSpec], scoring: ScoringModel | None,
           with_areas: bool) -> list[Tier]:
    """Tiers from their numbers or their tables (or, with ``[areas]``, from their units:
    filled in once the areas are read); performance keys must be model criteria."""
    tiers: list[Tier] = []
    for i, ts in enumerate(specs):
        if ts.table is not None:
            t = tier_from_table(ts, i, ld.base, ld.label, ld.problems)
            if t is not None:
                tiers.append(t)
        elif ts.units is None or ts.population is None:
            if not with_areas:
                missing = [k for k in ("units", "population") if getattr(ts, k) is None]
                ld.problems.append(Problem(
                    ld.label, f"tiers[{i + 1}]", None, None,
                    f"{' and '.join(missing)} (or a table to read them from, or [areas] "
                    "with this tier's membership)", f"id '{ts.id}'", missing=True))
            else:
                tiers.append(Tier(id=ts.id, name=ts.name or ts.id, units=1, population=1.0,
                                  geography=ts.geography, optional=ts.optional,
                                  performance=dict(ts.performance), source=ts.source,
                                  description=ts.description))  # numbers from its units
        else:
            tiers.append(_tier_from_numbers(ts))
        if scoring is not None:
            for k in ts.performance:
                if k not in scoring.criterion_ids:
                    ld.problems.append(Problem(
                        ld.label, f"tiers[{i + 1}].performance", None, k,
                        f"a criterion of model '{scoring.id}' "
                        f"({', '.join(scoring.criterion_ids)})", f"id '{ts.id}'"))
    return tiers


def _tier_from_numbers(ts: TierSpec) -> Tier:
    assert ts.units is not None and ts.population is not None
    return Tier(
        id=ts.id,
        name=ts.name or ts.id,
        units=ts.units,
        population=ts.population,
        geography=ts.geography,
        total_population=ts.total_population
        if ts.total_population is not None
        else ts.units * ts.population,
        optional=ts.optional,
        performance=dict(ts.performance),
        source=ts.source,
        description=ts.description,
    )


def _resources(ld: _Load, specs: list[ResourceSpec], tier_ids: list[str]) -> list[Resource]:
    resources: list[Resource] = []
    for i, rs in enumerate(specs):
        for tid in rs.caps:
            if tid not in tier_ids:
                ld.problems.append(Problem(ld.label, f"resources[{i + 1}].caps", None, tid,
                                           f"a tier id ({', '.join(tier_ids)})",
                                           f"id '{rs.id}'"))
        resources.append(
            Resource(
                id=rs.id,
                name=rs.name or rs.id,
                unit=rs.unit,
                budget=rs.budget,
                caps=dict(rs.caps),
                estimate=rs.estimate,
                description=rs.description,
                source=rs.source,
            )
        )
    return resources


def _functions(
    ld: _Load,
    fname: str,
    scoring: ScoringModel | None,
    tier_ids: list[str],
    resource_ids: list[str],
    *,
    parse: bool,
    need_scores: bool,
) -> Functions | None:
    """The function table: always read, so an unreadable file is reported, and validated when
    ``parse``; ``need_scores`` when the model's scores are used (no value table)."""
    fpath = instance_file(ld.base, fname)
    flabel = display_path(fpath)
    df = read_text_csv(fpath, flabel, ld.problems)
    if df is not None and "id" in df.columns:
        ld.raw_function_ids = [x for x in df["id"].tolist() if x]
    if df is None or not parse:
        return None
    ld.function_lines = [line_locator(df)(i) for i in range(len(df))]
    return parse_functions(
        df,
        file=flabel,
        line_of=line_locator(df),
        criteria=list(scoring.criterion_ids) if scoring is not None else [],
        model_defaults={c.id: (c.lo, c.hi) for c in scoring.criteria} if scoring else {},
        tiers=tier_ids,
        resources=resource_ids,
        problems=ld.problems,
        warnings=ld.warnings,
        need_scores=need_scores,
    )


def _complete(
    ld: _Load,
    spec: InstanceSpec,
    scoring: ScoringModel | None,
    tiers: list[Tier],
    resources: list[Resource],
    functions: Functions | None,
) -> Instance:
    """The steps that need a valid header, then the instance (or every problem found)."""
    tier_ids = [t.id for t in spec.tiers]
    resource_ids = [r.id for r in spec.resources]
    values = costs = None
    if functions is not None:
        if spec.values:
            values = read_values(instance_file(ld.base, spec.values), functions.ids, tier_ids,
                                 ld.problems)
        if spec.costs:
            costs = read_costs(instance_file(ld.base, spec.costs), functions.ids, tier_ids,
                               resource_ids, ld.problems)
    geography = None
    if spec.areas is not None:
        geography, coterminosity = read_geography(
            spec, ld.base, ld.label, functions, resource_ids, ld.problems,
            display_path(instance_file(ld.base, spec.functions)), ld.function_lines)
    else:
        coterminosity = read_coterminosity(
            list(spec.tiers), spec.membership, spec.coterminosity, ld.base, ld.label,
            ld.problems, ld.warnings, {t.id: t.units for t in tiers})
        shared = spec.functions.startswith("bundled:")  # a per-area instance's groups
        if functions is not None and functions.serves is not None and functions.serves.any() \
                and not shared:
            ld.warnings.append(f"{display_path(instance_file(ld.base, spec.functions))}: "
                               "column 'serves' is ignored without [areas] (one area: "
                               "every function serves everyone)")
        if functions is not None:
            ld.problems += uniform_problems(functions, tier_ids,
                                            display_path(instance_file(ld.base, spec.functions)),
                                            ld.function_lines)
    geographies = sorted({t.geography for t in spec.tiers if t.geography})
    links = _links(ld, spec, functions, geographies)
    max_share = max_share_from_spec(spec.constraints, ld.label, tier_ids, resource_ids,
                                    ld.problems)
    context = ScenarioContext(
        ld.label, ld.base, scoring, tier_ids, {t.id for t in spec.tiers if t.optional},
        resource_ids, _function_ids(ld, functions), links,
        geographies, geography,
        tuple(functions.categories.tolist()) if functions is not None else (),
        spec.areas is not None, model_failed=ld.model_failed)
    scenarios = scenarios_from_specs(spec.scenarios, context, ld.problems)
    if functions is not None and len(tiers) == functions.allowed.shape[1]:  # else a tier
        ld.problems += coefficient_problems(functions, tiers, resource_ids,
                                            display_path(ld.base / spec.functions),
                                            ld.function_lines)  # is invalid, said already
    if ld.problems:
        raise ld.error()
    assert functions is not None
    tiers = _tiers_from_units(spec, tiers, geography)
    inst = Instance(
        name=spec.name,
        tiers=tuple(tiers),
        functions=functions,
        resources=tuple(resources),
        model=scoring,
        sense=Sense(spec.sense),
        description=spec.description,
        sources=_sources(spec.sources),
        max_moves=spec.constraints.max_moves,
        scenarios=scenarios,
        values=values,
        costs=costs,
        path=ld.base,
        format=spec.format,
        warnings=tuple(ld.warnings),
        links=tuple(links),
        max_share=max_share,
        coterminosity=coterminosity,
        geography=geography,
    )
    if geography is not None:
        ld.problems += geography_problems(
            inst, display_path(instance_file(ld.base, spec.functions)), ld.function_lines)
        if ld.problems:
            raise ld.error()
    require_kappa(inst, f"instance {ld.label}", ld.warnings)
    return inst


def _tiers_from_units(spec: InstanceSpec, tiers: list[Tier], geo: Geography | None
                      ) -> list[Tier]:
    """With areas, a tier given no numbers (and no table) takes them from its units."""
    if geo is None:
        return tiers
    given = {t.id for t in spec.tiers if t.table is not None
             or (t.units is not None and t.population is not None)}
    return [t if t.id in given or t.id not in geo.tiers
            else tier_from_units(t, geo.tiers[t.id], geo.areas.population) for t in tiers]


def _links(
    ld: _Load, spec: InstanceSpec, functions: Functions | None, geographies: list[str]
) -> list[Link]:
    """The instance's links, from ``[[links]]`` tables or the CSV ``links`` names, checked."""
    links: list[Link]
    if isinstance(spec.links, str):
        lpath = instance_file(ld.base, spec.links)
        links = read_links_csv(lpath, display_path(lpath), ld.problems)
    else:
        links = [link_from_spec(ls, f"{ld.label}: links[{i + 1}]")
                 for i, ls in enumerate(spec.links)]
    fids = _function_ids(ld, functions)
    check_links(links, sorted(fids) if fids is not None else None, geographies, ld.problems)
    return links


def _function_ids(ld: _Load, functions: Functions | None) -> set[str] | None:
    """The function ids to check links and scenarios against: the table's, or, when it failed
    to validate, the ids its rows give (``None`` when it could not be read at all)."""
    if functions is not None:
        return set(functions.ids.tolist())
    return set(ld.raw_function_ids) if ld.raw_function_ids is not None else None


def _sources(items: list[SourceSpec | str]) -> tuple[Source, ...]:
    out = []
    for i, s in enumerate(items):
        if isinstance(s, str):
            out.append(Source(id=f"source-{i + 1}", title=s))
        else:
            out.append(Source(id=s.id, title=s.title, file=s.file, section=s.section, url=s.url))
    return tuple(out)
