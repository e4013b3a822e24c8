"""The JSON of a result (docs/model.md sections 8 and 9), kept apart from the
:class:`~placement.solution.result.Result` tables it reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.solution import area_result
from placement.util import finite_or_none
from placement.util.jsonout import Coded, compact_json, records_json

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


def _placements(inst: Instance, cols: dict[str, np.ndarray],
                more: Callable[[int], dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """One entry per function from the columns of its placement (``more``: per-area fields)."""
    rids = list(inst.resource_ids)
    v = {c: x.tolist() for c, x in cols.items()}
    return [{"function": fid, "tier": v["tier"][f], "value": float(v["value"][f]),
             "costs": {r: float(v[r][f]) for r in rids}, "current": v["current"][f] or None,
             "moved": bool(v["moved"][f]), **(more(f) if more is not None else {})}
            for f, fid in enumerate(inst.functions.ids.tolist())]


def _links(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": str(row["link"]), **{k: v for k, v in row.items() if k != "link"}}
            for row in rows]


def _solution(result: Result) -> dict[str, Any]:
    """A single-area placement's entries, from arrays (no pandas on the path of a solve)."""
    inst = result.instance
    out: dict[str, Any] = {"placements": _placements(inst, result.placement_columns()),
                           "resources": _resources(result.resource_rows()),
                           "functions_per_tier": result.tier_count_values()}
    if inst.links:
        out["links"] = _links(result.link_rows())
    return out


def _area_solution(result: Result, raw: bool) -> dict[str, Any]:
    """A per-area placement's entries, from arrays (no pandas on the path of a solve): each
    function also has every tier's share of the people and the share moved."""
    inst = result.instance
    a = result.assignment
    assert a is not None
    cols = result.area_placement_columns()
    S = area_result.tier_share_matrix(inst, a)
    tids = list(inst.tier_ids)

    def shares(f: int) -> dict[str, Any]:
        return {"tiers": {t: float(S[f, k]) for k, t in enumerate(tids) if S[f, k] > 0},
                "moved_share": float(cols["moved_share"][f])}

    out: dict[str, Any] = {
        "placements": _placements(inst, cols, shares),
        "resources": _resources(result.resource_rows()),
        "functions_per_tier": {t: float(v) for t, v in zip(tids, S.sum(axis=0), strict=True)},
        "areas": _areas_dict(result, raw)}
    if inst.links:
        out["links"] = _links(result.area_link_rows())
    return out


def _judgements(inst: Instance) -> dict[str, Any]:
    """The weights the instance was solved with, and what ``--weight`` / ``--set`` changed
    (``None``: nothing), so that a run can be reproduced and two runs compared."""
    return {"weights": (None if inst.model is None else
                        {c.id: c.weight for c in inst.model.criteria}),
            "overrides": inst.overrides.to_dict() if inst.overrides else None}


def _areas_dict(result: Result, raw: bool) -> dict[str, Any]:
    """Per area: the areas and units, every function's unit and tier in every area, and every
    unit's functions and use. With ``raw`` (JSON text), the two long lists are encoded at once:
    ``by_area`` from codes into the functions, areas, tiers and units, ``by_unit`` compactly."""
    inst = result.instance
    layout = inst.units
    a = result.assignment
    assert a is not None
    bu = {c: v.tolist() for c, v in area_result.by_unit_columns(inst, a).items()}
    by_unit = [dict(zip(bu, row, strict=True)) for row in zip(*bu.values(), strict=True)]
    codes = area_result.by_area_codes(inst, a)
    by_area: Any = (records_json({k: Coded(c, table.tolist()) for k, (c, table) in
                                  codes.items()}) if raw else
                    [dict(zip(codes, row, strict=True)) for row in
                     zip(*(table[c].tolist() for c, table in codes.values()), strict=True)])
    return {
        "n_areas": layout.n_areas,
        "n_units": layout.n_units,
        "population": float(layout.area_population.sum()),
        "by_area": by_area,
        "by_unit": compact_json(by_unit) if raw else by_unit,
    }


def _diagnosis_dict(d: Any) -> Any:
    if d is None:
        return None
    if hasattr(d, "to_dict"):
        return d.to_dict()
    return str(d)
