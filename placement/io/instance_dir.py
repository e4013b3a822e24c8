"""Instance directories: ``instance.toml`` plus ``functions.csv`` (and optional tables).

See docs/instance-format.md for the format. :func:`load_instance` validates everything it can
and raises one :class:`~placement.errors.InstanceError` listing every problem found.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from placement.errors import InstanceError, Problem
from placement.io.csvfile import line_locator, read_text_csv
from placement.io.functions_table import parse_functions
from placement.io.links import check_links, link_from_spec, read_links_csv, require_kappa
from placement.io.membership import read_coterminosity
from placement.io.models import load_model
from placement.io.schema import (
    ConstraintsSpec,
    InstanceSpec,
    ScenarioSpec,
    SourceSpec,
    TierSpec,
)
from placement.io.schema_problems import problems_from
from placement.model import (
    Instance,
    Link,
    MaxShare,
    Resource,
    Scenario,
    ScoringModel,
    Source,
    Tier,
)
from placement.model.sense import Sense

__all__ = ["load_instance", "instance_toml"]


def instance_toml(path: Path) -> Path:
    return path / "instance.toml" if path.is_dir() else path


def _rel(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _sources(items: list[SourceSpec | str]) -> tuple[Source, ...]:
    out = []
    for i, s in enumerate(items):
        if isinstance(s, str):
            out.append(Source(id=f"source-{i + 1}", title=s))
        else:
            out.append(Source(id=s.id, title=s.title, file=s.file, section=s.section, url=s.url))
    return tuple(out)


def _tier_from_table(
    spec: TierSpec, idx: int, base: Path, label: str, problems: list[Problem]
) -> Tier | None:
    assert spec.table is not None
    tab = spec.table
    where = f"tiers[{idx + 1}].table"
    path = (base / tab.file).resolve()
    tlabel = _rel(path, base)
    n0 = len(problems)
    df = read_text_csv(path, tlabel, problems)
    if df is None:
        problems[n0:] = [
            Problem(label, f"{where}.file", None, tab.file,
                    f"a readable CSV geography table ({p})", f"id '{spec.id}'")
            for p in problems[n0:]
        ]
        return None
    cols = [tab.population, *tab.where, *tab.where_not]
    if tab.units_column:
        cols.append(tab.units_column)
    for col in cols:
        if col not in df.columns:
            problems.append(Problem(label, where, None, col,
                                    f"a column of {tlabel} ({', '.join(df.columns)})",
                                    f"id '{spec.id}'"))
    if len(problems) > n0:
        return None
    keep = np.ones(len(df), dtype=bool)
    for col, val in tab.where.items():
        keep &= (df[col] == _cell_text(val)).to_numpy()
    for col, val in tab.where_not.items():
        keep &= (df[col] != _cell_text(val)).to_numpy()
    sub = df.loc[keep]
    if sub.empty:
        problems.append(Problem(label, f"{where}.where", None, None,
                                f"a filter that keeps at least one row of {tlabel}",
                                f"id '{spec.id}'"))
        return None
    locate = line_locator(df)
    rows_kept = np.nonzero(keep)[0]

    def numbers(col: str, expected: str, positive: bool) -> np.ndarray | None:
        vals = pd.to_numeric(sub[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(vals) | ((vals <= 0) if positive else (vals < 0))
        if bad.any():
            i = int(np.nonzero(bad)[0][0])
            problems.append(Problem(tlabel, locate(int(rows_kept[i])), col, sub[col].iloc[i],
                                    expected))
            return None
        return vals

    pop = numbers(tab.population, "a population greater than 0", True)
    if pop is None:
        return None
    total = spec.total_population if spec.total_population is not None else float(pop.sum())
    if tab.units_column:
        counts = numbers(tab.units_column, "a count of units, 0 or more", False)
        if counts is None:
            return None
        table_units = int(round(counts.sum()))
    else:
        table_units = int(len(sub))
    units = spec.units if spec.units is not None else table_units
    if units < 1:
        problems.append(Problem(label, where, "units", units, "at least one unit",
                                f"id '{spec.id}'"))
        return None
    if tab.statistic == "per_unit":
        typical = float(pop.sum()) / units
    elif tab.statistic == "median":
        typical = float(np.median(pop))
    else:
        typical = float(pop.mean())
    filt = "".join(f", {k} = {v}" for k, v in tab.where.items())
    filt += "".join(f", {k} != {v}" for k, v in tab.where_not.items())
    return Tier(
        id=spec.id,
        name=spec.name or spec.id,
        units=units,
        population=typical,
        geography=spec.geography,
        total_population=total,
        optional=spec.optional,
        performance=dict(spec.performance),
        source=spec.source
        or f"{tlabel}: {len(sub)} rows{filt}; {units} units; population = {tab.statistic} of "
        f"'{tab.population}'" + (f" (units = sum of '{tab.units_column}')"
                                 if tab.units_column else ""),
        description=spec.description,
    )


def _cell_text(v: object) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    return str(v)


def _raw_ids(data: dict[str, Any], key: str) -> list[str]:
    items = data.get(key)
    if not isinstance(items, list):
        return []
    return [it["id"] for it in items if isinstance(it, dict) and isinstance(it.get("id"), str)]


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
    base = toml_path.parent
    label = _rel(toml_path, Path.cwd())
    problems: list[Problem] = []
    warnings: list[str] = []
    if not toml_path.is_file():
        hint = "a directory holding instance.toml" if not Path(path).exists() else (
            "an instance.toml in this directory")
        raise InstanceError.single(str(path), None, None, None, hint, missing=True)
    try:
        data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise InstanceError.single(label, None, None, None, f"valid TOML ({e})") from None
    except UnicodeDecodeError:
        raise InstanceError.single(label, None, None, None, "text encoded as UTF-8") from None

    spec: InstanceSpec | None
    try:
        spec = InstanceSpec.model_validate(data)
    except ValidationError as e:
        problems.extend(problems_from(e, label, data))
        spec = None

    # What we know even if the header is broken, so the CSV is still checked in this run.
    tier_ids = [t.id for t in spec.tiers] if spec else _raw_ids(data, "tiers")
    resource_ids = [r.id for r in spec.resources] if spec else _raw_ids(data, "resources")
    model_ref = model if model is not None else (spec.model if spec else data.get("model"))
    values_ref = spec.values if spec else data.get("values")

    for kind, ids in (("tiers", tier_ids), ("resources", resource_ids)):
        seen: set[str] = set()
        for i, x in enumerate(ids):
            if x in seen:
                problems.append(Problem(label, f"{kind}[{i + 1}].id", None, x, "a unique id"))
            seen.add(x)

    # -- scoring model ------------------------------------------------------------------------
    scoring: ScoringModel | None = None
    if isinstance(model_ref, ScoringModel):
        scoring = model_ref
    elif isinstance(model_ref, str | Path) and str(model_ref):
        try:
            scoring = load_model(model_ref, near=base,
                                 where="model" if model is None else "--model")
        except InstanceError as e:
            problems.extend(
                Problem(p.file or label, p.where, p.field, p.value, p.expected, p.context,
                        p.missing)
                for p in e.problems
            )

    # -- tiers ------------------------------------------------------------------------------
    tiers: list[Tier] = []
    if spec:
        for i, ts in enumerate(spec.tiers):
            if ts.table is not None:
                t = _tier_from_table(ts, i, base, label, problems)
                if t is not None:
                    tiers.append(t)
            else:
                assert ts.units is not None and ts.population is not None
                tiers.append(
                    Tier(
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
                )
            if scoring is not None:
                for k in ts.performance:
                    if k not in scoring.criterion_ids:
                        problems.append(Problem(
                            label, f"tiers[{i + 1}].performance", None, k,
                            f"a criterion of model '{scoring.id}' "
                            f"({', '.join(scoring.criterion_ids)})", f"id '{ts.id}'"))

    # -- resources ----------------------------------------------------------------------------
    resources: list[Resource] = []
    if spec:
        for i, rs in enumerate(spec.resources):
            for tid in rs.caps:
                if tid not in tier_ids:
                    problems.append(Problem(label, f"resources[{i + 1}].caps", None, tid,
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

    # -- functions ----------------------------------------------------------------------------
    fname = spec.functions if spec else str(data.get("functions", "functions.csv"))
    fpath = base / fname
    flabel = _rel(fpath, base)
    functions = None
    df = read_text_csv(fpath, flabel, problems)
    criteria = list(scoring.criterion_ids) if scoring is not None else []
    if df is not None and (scoring is not None or values_ref or model_ref is None):
        functions = parse_functions(
            df,
            file=flabel,
            line_of=line_locator(df),
            criteria=criteria,
            model_defaults={c.id: (c.lo, c.hi) for c in scoring.criteria} if scoring else {},
            tiers=tier_ids,
            resources=resource_ids,
            problems=problems,
            warnings=warnings,
            need_scores=scoring is not None and not values_ref,
        )

    # -- explicit value and cost tables ---------------------------------------------------------
    values = None
    costs = None
    if spec and functions is not None:
        if spec.values:
            values = _read_values(base / spec.values, base, functions.ids, tier_ids, problems)
        if spec.costs:
            costs = _read_costs(base / spec.costs, base, functions.ids, tier_ids,
                                resource_ids, problems)

    # -- coterminosity, links and spread constraints --------------------------------------------
    coterminosity = None
    links: list[Link] = []
    max_share: tuple[MaxShare, ...] = ()
    geographies: list[str] = []
    if spec:
        coterminosity = read_coterminosity(
            list(spec.tiers), spec.membership, spec.coterminosity, base, label, problems,
            warnings, {t.id: t.units for t in tiers})
        geographies = sorted({t.geography for t in spec.tiers if t.geography})
        fids_list = functions.ids.tolist() if functions is not None else None
        if isinstance(spec.links, str):
            lpath = base / spec.links
            links = read_links_csv(lpath, _rel(lpath, base), problems)
        else:
            links = [link_from_spec(ls, f"{label}: links[{i + 1}]")
                     for i, ls in enumerate(spec.links)]
        check_links(links, fids_list, geographies, problems)
        max_share = _max_share(spec.constraints, label, tier_ids, resource_ids, problems)

    # -- scenarios ------------------------------------------------------------------------------
    scenarios: dict[str, Scenario] = {}
    if spec:
        fids = set(functions.ids.tolist()) if functions is not None else None
        optional = {t.id for t in spec.tiers if t.optional}
        for sid, ss in spec.scenarios.items():
            sc = _scenario(sid, ss, label, base, scoring, tier_ids, optional, resource_ids, fids,
                           problems, links, geographies)
            if sc is not None:
                scenarios[sid] = sc

    if problems:
        raise InstanceError(problems, subject=f"instance {label}", warnings=tuple(warnings))
    assert spec is not None and functions is not None
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
        path=base,
        format=spec.format,
        warnings=tuple(warnings),
        links=tuple(links),
        max_share=max_share,
        coterminosity=coterminosity,
    )
    require_kappa(inst, f"instance {label}", warnings)
    return inst


def _max_share(
    cons: ConstraintsSpec,
    label: str,
    tiers: list[str],
    resources: list[str],
    problems: list[Problem],
) -> tuple[MaxShare, ...]:
    if cons.max_share is None:
        return ()
    if not isinstance(cons.max_share, list):
        return (MaxShare(float(cons.max_share), None, "functions",
                         f"{label}: constraints.max_share"),)
    out = []
    for i, ms in enumerate(cons.max_share):
        where = f"constraints.max_share[{i + 1}]"
        ok = True
        if ms.tier is not None and ms.tier not in tiers:
            problems.append(Problem(label, where, "tier", ms.tier,
                                    f"a tier id ({', '.join(tiers)}), or no tier for every tier"))
            ok = False
        if ms.of != "functions" and ms.of not in resources:
            problems.append(Problem(label, where, "of", ms.of,
                                    f"\"functions\" or a resource id "
                                    f"({', '.join(resources) or 'none defined'})"))
            ok = False
        if ok:
            out.append(MaxShare(float(ms.share), ms.tier, ms.of, f"{label}: {where}"))
    return tuple(out)


def _read_values(
    path: Path, base: Path, fids: np.ndarray, tiers: list[str], problems: list[Problem]
) -> np.ndarray | None:
    label = _rel(path, base)
    df = read_text_csv(path, label, problems)
    if df is None:
        return None
    n0 = len(problems)
    if "id" not in df.columns:
        problems.append(Problem(label, "line 1 (header)", "id", None, "a column 'id'",
                                missing=True))
    for t in tiers:
        if t not in df.columns:
            problems.append(Problem(label, "line 1 (header)", t, None,
                                    f"a value column for tier '{t}'", missing=True))
    if len(problems) > n0:
        return None
    loc = line_locator(df)
    row_of = {fid: i for i, fid in enumerate(df["id"].tolist())}
    out = np.full((len(fids), len(tiers)), np.nan)
    for f, fid in enumerate(fids.tolist()):
        if fid not in row_of:
            problems.append(Problem(label, None, "id", fid, "a row for every function",
                                    missing=True, context=f"function '{fid}'"))
            continue
        i = row_of[fid]
        for ti, tid in enumerate(tiers):
            cell = df[tid].iloc[i]
            try:
                out[f, ti] = float(cell)
            except ValueError:
                problems.append(Problem(label, loc(i), tid, cell, "a number",
                                        f"function '{fid}'"))
    return out if len(problems) == n0 else None


def _read_costs(
    path: Path,
    base: Path,
    fids: np.ndarray,
    tiers: list[str],
    resources: list[str],
    problems: list[Problem],
) -> np.ndarray | None:
    label = _rel(path, base)
    df = read_text_csv(path, label, problems)
    if df is None:
        return None
    n0 = len(problems)
    for c in ("function", "tier", "resource", "amount"):
        if c not in df.columns:
            problems.append(Problem(label, "line 1 (header)", c, None, f"a column '{c}'",
                                    missing=True))
    if len(problems) > n0:
        return None
    loc = line_locator(df)
    fix = {f: i for i, f in enumerate(fids.tolist())}
    tix = {t: i for i, t in enumerate(tiers)}
    rix = {r: i for i, r in enumerate(resources)}
    out = np.full((len(fids), len(tiers), len(resources)), np.nan)
    for i, (f, t, r, a) in enumerate(
        zip(df["function"], df["tier"], df["resource"], df["amount"], strict=True)
    ):
        ok = True
        for val, table, col in ((f, fix, "function"), (t, tix, "tier"), (r, rix, "resource")):
            if val not in table:
                problems.append(Problem(label, loc(i), col, val, f"a known {col} id"))
                ok = False
        try:
            amount = float(a)
            if amount < 0:
                raise ValueError
        except ValueError:
            problems.append(Problem(label, loc(i), "amount", a, "a cost of 0 or more"))
            ok = False
        if ok:
            out[fix[f], tix[t], rix[r]] = amount
    return out if len(problems) == n0 else None


def _scenario(
    sid: str,
    ss: ScenarioSpec,
    label: str,
    base: Path,
    scoring: ScoringModel | None,
    tiers: list[str],
    optional: set[str],
    resources: list[str],
    fids: set[str] | None,
    problems: list[Problem],
    links: list[Link] | None = None,
    geographies: list[str] | None = None,
) -> Scenario | None:
    n0 = len(problems)
    where = f"scenarios.{sid}"
    active = (set(tiers) - optional) | set(ss.enable_tiers)
    active -= set(ss.disable_tiers)

    def bad(key: str, value: object, expected: str) -> None:
        problems.append(Problem(label, f"{where}.{key}", None, value, expected))

    if scoring is not None:
        for k in ss.weights:
            if k not in scoring.criterion_ids:
                bad("weights", k, f"a criterion of model '{scoring.id}' "
                                  f"({', '.join(scoring.criterion_ids)})")
    elif ss.weights:
        bad("weights", ", ".join(ss.weights), "no weights: this instance has no scoring model")
    for k in ss.budgets:
        if k not in resources:
            bad("budgets", k, f"a resource id ({', '.join(resources) or 'none defined'})")
    for r, caps in ss.caps.items():
        if r not in resources:
            bad("caps", r, f"a resource id ({', '.join(resources) or 'none defined'})")
        for t in caps:
            if t not in tiers:
                bad(f"caps.{r}", t, f"a tier id ({', '.join(tiers)})")
    for t in ss.enable_tiers:
        if t not in optional:
            bad("enable_tiers", t, f"an optional tier ({', '.join(sorted(optional)) or 'none'})")
    for t in ss.disable_tiers:
        if t not in tiers:
            bad("disable_tiers", t, f"a tier id ({', '.join(tiers)})")
    act = ", ".join(t for t in tiers if t in active)
    for f, t in ss.pins.items():
        if fids is not None and f not in fids:
            bad("pins", f, "a function id of functions.csv")
        if t not in active:
            bad(f"pins.{f}", t, f"a tier active in this scenario ({act})")
    for f in ss.unpin:
        if fids is not None and f not in fids:
            bad("unpin", f, "a function id of functions.csv")
    for f, ts in ss.allowed.items():
        if fids is not None and f not in fids:
            bad("allowed", f, "a function id of functions.csv")
        for t in ts:
            if t not in active:
                bad(f"allowed.{f}", t, f"a tier active in this scenario ({act})")
    placement: dict[str, str] | Literal["current"] | None = None
    if isinstance(ss.placement, dict):
        placement = dict(ss.placement)
    elif isinstance(ss.placement, str) and ss.placement != "current":
        p = base / ss.placement
        plabel = _rel(p, base)
        df = read_text_csv(p, plabel, problems)
        if df is not None:
            if not {"function", "tier"} <= set(df.columns):
                problems.append(Problem(plabel, "line 1 (header)", None, ", ".join(df.columns),
                                        "columns 'function' and 'tier'"))
            else:
                loc = line_locator(df)
                placement = {}
                for i, (f, t) in enumerate(zip(df["function"], df["tier"], strict=True)):
                    if f in placement:
                        problems.append(Problem(plabel, loc(i), "function", f,
                                                "each function once"))
                    placement[f] = t
    elif ss.placement == "current":
        placement = "current"
    if isinstance(placement, dict):
        for f, t in placement.items():
            if fids is not None and f not in fids:
                bad("placement", f, "a function id of functions.csv")
            if t not in active:
                bad(f"placement.{f}", t, f"a tier active in this scenario ({act})")
        if fids is not None:
            missing = sorted(fids - set(placement))
            if missing:
                shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
                bad("placement", None,
                    f"a tier for every function; {len(missing)} have none ({shown})")
    link_ids = [lk.id for lk in links or []]
    for lid in ss.remove_links:
        if lid not in link_ids:
            bad("remove_links", lid, f"the id of a link of the instance "
                                     f"({', '.join(link_ids) or 'none defined'})")
    added = [link_from_spec(ls, f"{label}: {where}.add_links[{i + 1}]")
             for i, ls in enumerate(ss.add_links)]
    check_links(added, fids, geographies or [], problems,
                known_ids=[i for i in link_ids if i not in ss.remove_links])
    if len(problems) > n0:
        return None
    pins: dict[str, str | None] = dict(ss.pins)
    for f in ss.unpin:
        pins[f] = None
    return Scenario(
        id=sid,
        name=ss.name or sid,
        description=ss.description,
        weights=dict(ss.weights),
        budgets=dict(ss.budgets),
        caps={r: dict(c) for r, c in ss.caps.items()},
        pins=pins,
        allowed={f: tuple(t) for f, t in ss.allowed.items()},
        enable_tiers=tuple(ss.enable_tiers),
        disable_tiers=tuple(ss.disable_tiers),
        max_moves=ss.max_moves,
        clear_max_moves=ss.no_max_moves,
        placement=placement,
        source=ss.source,
        add_links=tuple(added),
        remove_links=tuple(ss.remove_links),
    )
