"""Building an instance from pandas DataFrames, validated like an instance directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from placement.errors import InstanceError, Problem
from placement.io.functions_table import parse_functions
from placement.io.links import check_links, require_kappa
from placement.io.models import load_model
from placement.io.table import Table
from placement.model import (
    Coterminosity,
    Instance,
    Link,
    MaxShare,
    Resource,
    Scenario,
    ScoringModel,
    Sense,
    Tier,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["from_frames"]


def _tiers(df: pd.DataFrame, problems: list[Problem]) -> list[Tier]:
    import pandas as pd  # the caller's frames are pandas: it is loaded already

    label = "tiers (DataFrame)"
    if "id" not in df.columns:
        df = df.reset_index().rename(columns={df.index.name or "index": "id"})
    out: list[Tier] = []
    for c in ("id", "units", "population"):
        if c not in df.columns:
            problems.append(Problem(label, None, c, None, f"a column '{c}'", missing=True))
    if problems:
        return out
    seen: set[str] = set()
    for i, r in enumerate(df.to_dict("records")):
        where = f"row {i}"
        tid = str(r["id"]).strip()
        if not tid or tid in seen:
            problems.append(Problem(label, where, "id", tid, "a unique, non-blank tier id"))
        seen.add(tid)
        try:
            units = int(r["units"])
            if units < 1 or units != float(r["units"]):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(Problem(label, where, "units", r["units"], "a whole number, 1 or more"))
            units = 1  # reported; the tier is kept so functions naming it are not blamed too
        try:
            pop = float(r["population"])
            if not pop > 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(Problem(label, where, "population", r["population"],
                                    "a population greater than 0"))
            pop = 1.0  # reported, as above
        total = r.get("total_population")
        out.append(
            Tier(
                id=tid,
                name=str(r.get("name") or tid),
                units=units,
                population=pop,
                geography=r.get("geography") or None,
                total_population=float(total) if total is not None and pd.notna(total)
                else units * pop,
                optional=bool(r.get("optional", False) or False),
            )
        )
    return out


def _resources(resources: Sequence[Resource] | pd.DataFrame, tier_ids: list[str],
               problems: list[Problem]) -> list[Resource]:
    import pandas as pd  # the caller's frames are pandas: it is loaded already

    if isinstance(resources, pd.DataFrame):
        out = []
        label = "resources (DataFrame)"
        for i, row in enumerate(resources.reset_index(drop=False).to_dict("records")):
            rid = str(row.get("id", "")).strip()
            if not rid:
                problems.append(Problem(label, f"row {i}", "id", None, "a resource id",
                                        missing=True))
                continue
            budget = row.get("budget")
            budget = None if budget is None or pd.isna(budget) else float(budget)
            if budget is not None and budget < 0:
                problems.append(Problem(label, f"row {i}", "budget", budget,
                                        "a budget of 0 or more"))
            caps = {
                str(k)[4:]: float(v)
                for k, v in row.items()
                if str(k).startswith("cap_") and v is not None and pd.notna(v)
            }
            out.append(Resource(id=rid, name=str(row.get("name") or rid),
                                unit=str(row.get("unit") or ""), budget=budget, caps=caps))
        resources = out
    res = list(resources)
    for r in res:
        for t in r.caps:
            if t not in tier_ids:
                problems.append(Problem("resources", r.id, "caps", t,
                                        f"a tier id ({', '.join(tier_ids)})"))
        if r.budget is not None and r.budget < 0:
            problems.append(Problem("resources", r.id, "budget", r.budget,
                                    "a budget of 0 or more"))
    return res


def from_frames(
    name: str,
    tiers: pd.DataFrame,
    functions: pd.DataFrame,
    *,
    model: ScoringModel | str | Path | None = None,
    resources: Sequence[Resource] | pd.DataFrame = (),
    sense: Sense | str = Sense.MAX,
    description: str = "",
    max_moves: int | None = None,
    scenarios: Mapping[str, Scenario] | None = None,
    values: pd.DataFrame | None = None,
    links: Sequence[Link] = (),
    max_share: Sequence[MaxShare] = (),
    coterminosity: Coterminosity | Mapping[tuple[str, str], float] | None = None,
) -> Instance:
    """Build and validate an instance from pandas DataFrames.

    ``tiers`` has columns ``id`` (or an index), ``name``, ``units``, ``population`` and
    optionally ``geography``, ``optional``. ``functions`` has the columns of
    ``functions.csv`` (see docs/instance-format.md). ``values`` is an optional function x
    tier table replacing scoring. ``links``, ``max_share`` and ``coterminosity`` (a
    :class:`Coterminosity` or ``{(tier, tier): kappa}``) are validated like an instance
    directory's.

    Raises
    ------
    InstanceError
        Listing every problem found, each naming the table, row, column and value.

    Examples
    --------
    >>> import pandas as pd
    >>> import placement
    >>> tiers = pd.DataFrame({"id": ["national", "local"], "name": ["National", "Local"],
    ...                       "units": [1, 100], "population": [5e7, 5e5]})
    >>> funcs = pd.DataFrame({"id": ["regulation", "prevention"],
    ...                       "name": ["Regulation", "Prevention"],
    ...                       "economies_of_scale": [5, 1], "specialism": [5, 1],
    ...                       "standardisation": [5, 1], "local_knowledge": [0, 5],
    ...                       "national_interface": [3, 0]})
    >>> inst = placement.from_frames("demo", tiers, funcs, model="design-card")
    >>> inst.n_functions, inst.n_tiers
    (2, 2)
    """
    problems: list[Problem] = []
    warnings: list[str] = []
    tier_list = _tiers(tiers, problems)
    tier_ids = [t.id for t in tier_list]
    res = _resources(resources, tier_ids, problems)
    scoring: ScoringModel | None
    if model is None or isinstance(model, ScoringModel):
        scoring = model
    else:
        scoring = load_model(model)
    if scoring is None and values is None:
        problems.append(Problem(None, "model", None, None,
                                "a scoring model or a values table", missing=True))
    df = functions
    if "id" not in df.columns and df.index.name in ("id", "function"):
        df = df.reset_index().rename(columns={df.index.name: "id"})
    fn = parse_functions(
        Table.from_frame(df.reset_index(drop=True)),
        file="functions (DataFrame)",
        line_of=lambda i: f"row {i}",
        criteria=list(scoring.criterion_ids) if scoring else [],
        model_defaults={c.id: (c.lo, c.hi) for c in scoring.criteria} if scoring else {},
        tiers=tier_ids,
        resources=[r.id for r in res],
        problems=problems,
        warnings=warnings,
        need_scores=scoring is not None and values is None,
    )
    vals = None
    if values is not None and fn is not None:
        v = values.reindex(index=fn.ids.tolist(), columns=tier_ids)
        if v.isna().any().any():
            problems.append(Problem("values (DataFrame)", None, None, None,
                                    "a number for every function (index) and tier (column)"))
        vals = v.to_numpy(dtype=float)
    if max_moves is not None and max_moves < 0:
        problems.append(Problem(None, "max_moves", None, max_moves, "0 or more"))
    cot = _coterminosity(coterminosity, tier_list, problems)
    check_links(list(links), None if fn is None else fn.ids.tolist(),
                {t.geography for t in tier_list if t.geography}, problems)
    rids = [r.id for r in res]
    for i, ms in enumerate(max_share):
        if not 0 < ms.share <= 1:
            problems.append(Problem("max_share", f"[{i}]", "share", ms.share, "a share in (0, 1]"))
        if ms.tier is not None and ms.tier not in tier_ids:
            problems.append(Problem("max_share", f"[{i}]", "tier", ms.tier,
                                    f"a tier id ({', '.join(tier_ids)})"))
        if ms.of != "functions" and ms.of not in rids:
            problems.append(Problem("max_share", f"[{i}]", "of", ms.of,
                                    f"\"functions\" or a resource id ({', '.join(rids)})"))
    if str(sense) not in tuple(Sense):
        problems.append(Problem(None, "sense", None, sense, "\"max\" or \"min\""))
    if problems:
        raise InstanceError(problems, subject=f"instance '{name}'", warnings=tuple(warnings))
    assert fn is not None
    inst = Instance(
        name=name,
        tiers=tuple(tier_list),
        functions=fn,
        resources=tuple(res),
        model=scoring,
        sense=Sense(sense),
        description=description,
        max_moves=max_moves,
        scenarios=dict(scenarios or {}),
        values=vals,
        warnings=tuple(warnings),
        links=tuple(links),
        max_share=tuple(max_share),
        coterminosity=cot,
    )
    require_kappa(inst, f"instance '{name}'", warnings)
    return inst


def _coterminosity(
    given: Coterminosity | Mapping[tuple[str, str], float] | None,
    tiers: list[Tier],
    problems: list[Problem],
) -> Coterminosity | None:
    ids = [t.id for t in tiers]
    geos: dict[str, list[str]] = {}
    for t in tiers:
        if t.geography:
            geos.setdefault(t.geography, []).append(t.id)
    if given is None:
        return Coterminosity.given(ids, {}, geos) if geos else None
    if isinstance(given, Coterminosity):
        for tid in [x for x in ids if x not in given.index]:
            problems.append(Problem("coterminosity", None, "tier_ids", tid,
                                    "a matrix covering every tier of the instance"))
        return given
    pairs: dict[tuple[str, str], float] = {}
    for (a, b), v in given.items():
        for tid in (a, b):
            if tid not in ids:
                problems.append(Problem("coterminosity", f"({a}, {b})", None, tid,
                                        f"a tier id ({', '.join(ids)})"))
        if not 0.0 <= float(v) <= 1.0:
            problems.append(Problem("coterminosity", f"({a}, {b})", None, v,
                                    "a number from 0 to 1"))
        pairs[(a, b)] = float(v)
    if any(p.file == "coterminosity" for p in problems):
        return None
    return Coterminosity.given(ids, pairs, geos)
