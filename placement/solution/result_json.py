"""The JSON of a result (docs/model.md sections 8 and 9), kept apart from the
:class:`~placement.solution.result.Result` tables it reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.util import finite_or_none
from placement.util.jsonout import records_json

if TYPE_CHECKING:
    from placement.model import Instance
    from placement.solution.result import Result

__all__ = ["result_dict", "RESULT_FORMAT"]

RESULT_FORMAT = "placement-result/1"


def result_dict(result: Result, *, raw: bool = False) -> dict[str, Any]:
    """Plain data for JSON (docs/model.md sections 8 and 9); with ``raw``, the per-area
    records are :class:`~placement.util.jsonout.RawJson` text for
    :func:`~placement.util.jsonout.dumps` (the same JSON, written in a fraction of the
    time)."""
    inst = result.instance
    out: dict[str, Any] = {
        "format": RESULT_FORMAT,
        "instance": inst.name,
        "model": inst.model_id,
        "scenario": inst.scenario,
        **_judgements(inst),
        "sense": inst.sense,
        "solver": result.solver,
        "solver_version": result.solver_version,
        "status": str(result.status),
        "message": result.message,
        "objective": finite_or_none(result.objective),
        "bound": finite_or_none(result.bound),
        "gap": finite_or_none(result.gap),
        "nodes": result.nodes,
        "build_seconds": round(result.build_seconds, 6),
        "solve_seconds": round(result.solve_seconds, 6),
        "precision_loss": finite_or_none(result.precision_loss),
        "options": {
            "time_limit": result.options.time_limit,
            "threads": result.options.threads,
            "seed": result.options.seed,
            "rel_gap": result.options.rel_gap,
        },
        "tiers": [
            {"id": t.id, "name": t.name, "units": t.units, "population": t.population}
            for t in inst.tiers
        ],
        "placements": [],
        "resources": {},
        "functions_per_tier": {},
        "baselines": result.baselines,
        "subsidiarity": _diagnosis_dict(result.subsidiarity),
        "links": [],
        "checks": result.check.to_dict() if result.check is not None else None,
        "diagnosis": _diagnosis_dict(result.diagnosis),
        "warnings": list(result.warnings),
    }
    if result.has_solution:
        out.update(_area_solution(result, raw) if inst.per_area else _solution(result))
    for k, v in result.extra.items():
        out[k] = v
    return out


def _resources(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {row["resource"]: {"used": float(row["used"]), "budget": finite_or_none(row["budget"]),
                              "moves": float(row["moves"]), "per_tier": row["per_tier"],
                              "caps": row["caps"]} for row in rows}


def _solution(result: Result) -> dict[str, Any]:
    """A single-area placement's entries, from arrays (no pandas on the path of a solve)."""
    inst = result.instance
    cols = result.placement_columns()
    rids = list(inst.resource_ids)
    lists = {c: v.tolist() for c, v in cols.items()}
    recs = [{"function": fid, "tier": lists["tier"][f], "value": float(lists["value"][f]),
             "costs": {r: float(lists[r][f]) for r in rids},
             "current": lists["current"][f] or None, "moved": bool(lists["moved"][f])}
            for f, fid in enumerate(inst.functions.ids.tolist())]
    out: dict[str, Any] = {"placements": recs,
                           "resources": _resources(result.resource_rows()),
                           "functions_per_tier": result.tier_count_values()}
    if inst.links:
        out["links"] = [{"id": str(row["link"]), **{k: v for k, v in row.items() if k != "link"}}
                        for row in result.link_rows()]
    return out


def _area_solution(result: Result, raw: bool) -> dict[str, Any]:
    """A per-area placement's entries, from its tables."""
    inst = result.instance
    df = result.placements
    shares = result.tier_shares
    rids = list(inst.resource_ids)
    recs = [{"function": fid, "tier": d["tier"], "value": float(d["value"]),
             "costs": {r: float(d[r]) for r in rids}, "current": d["current"] or None,
             "moved": bool(d["moved"]), **_per_area_entry(shares, fid, d)}
            for fid, d in zip(df.index.tolist(), df.to_dict("records"), strict=True)]
    out: dict[str, Any] = {
        "placements": recs, "resources": _resources(result.resource_rows()),
        "functions_per_tier": {k: float(v) for k, v in result.tier_counts.items()},
        "areas": _areas_dict(result, raw)}
    if inst.links:
        out["links"] = [
            {"id": str(i), **{k: (bool(v) if isinstance(v, np.bool_) else v)
                              for k, v in row.items()}}
            for i, row in result.links.to_dict("index").items()]
    return out


def _judgements(inst: Instance) -> dict[str, Any]:
    """The weights the instance was solved with, and what ``--weight`` / ``--set`` changed
    (``None``: nothing), so that a run can be reproduced and two runs compared."""
    return {"weights": (None if inst.model is None else
                        {c.id: c.weight for c in inst.model.criteria}),
            "overrides": inst.overrides.to_dict() if inst.overrides else None}


def _per_area_entry(shares: Any, fid: str, d: Mapping[Any, Any]) -> dict[str, Any]:
    """Per area, a placement entry adds each tier's share of the people and the share
    moved from today's tier (nothing in the single-area case)."""
    if shares is None:
        return {}
    return {"tiers": {t: float(v) for t, v in shares.loc[fid].items() if v > 0},
            "moved_share": float(d["moved_share"])}


def _areas_dict(result: Result, raw: bool) -> dict[str, Any]:
    """Per area: the areas and units, every function's unit and tier in every area, and every
    unit's functions and use."""
    inst = result.instance
    layout = inst.units
    ba = result.by_area.reset_index()[["function", "area", "tier", "unit"]]
    bu = result.by_unit.reset_index()
    return {
        "n_areas": layout.n_areas,
        "n_units": layout.n_units,
        "population": float(layout.area_population.sum()),
        "by_area": (records_json({c: ba[c].to_numpy(dtype=object) for c in ba.columns}) if raw
                    else ba.to_dict("records")),
        "by_unit": bu.to_dict("records"),
    }


def _diagnosis_dict(d: Any) -> Any:
    if d is None:
        return None
    if hasattr(d, "to_dict"):
        return d.to_dict()
    return str(d)
