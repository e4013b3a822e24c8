"""A result as named tables, one per sheet of an Excel workbook (``placement solve -f xlsx``):
the run, the placement, resources, one-size baselines and status quo, links, the weights, and
per area the function x area, unit and share tables. The numbers are the JSON's
(:mod:`placement.solution.result_json`), unrounded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from placement.solution.one_size_free import kept_groups

if TYPE_CHECKING:
    from placement.solution.result import Result

__all__ = ["result_sheets", "run_frame", "flat_record", "results_sheets"]


def flat_record(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested record as one row: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; a list of scalars
    joined with "; ".

    >>> flat_record({"value": 1.5, "resources": {"staff": 2}, "breaks": ["x", "y"]})
    {'value': 1.5, 'resources.staff': 2, 'breaks': 'x; y'}
    """
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flat_record(v, f"{key}."))
        elif isinstance(v, list | tuple) and all(not isinstance(x, Mapping | list) for x in v):
            out[key] = "; ".join(str(x) for x in v)
        else:
            out[key] = v
    return out


def run_frame(result: Result) -> pd.DataFrame:
    """The run, one row: instance, model, scenario, judgements changed, solver, status,
    objective, bound, gap, times, checker."""
    inst = result.instance
    row = {
        "instance": inst.name, "model": inst.model_id, "scenario": inst.scenario,
        "overrides": " ".join(inst.overrides.options()) if inst.overrides else "",
        "sense": str(inst.sense), "solver": result.solver,
        "solver_version": result.solver_version, "status": str(result.status),
        "objective": result.objective, "bound": result.bound, "gap": result.gap,
        "build_seconds": result.build_seconds, "solve_seconds": result.solve_seconds,
        "checker": None if result.check is None else ("ok" if result.check.ok else "violated"),
    }
    return pd.DataFrame([row])


def _baselines(b: Mapping[str, Any]) -> pd.DataFrame:
    """One row per one-size placement (and, where pins or allowed tiers keep functions off a
    tier, one with them kept), then the status quo, flattened."""
    rows = {f"every function at {t}": flat_record(d)
            for t, d in (b.get("one_size") or {}).items() if isinstance(d, Mapping)}
    for t, d in (b.get("one_size_free") or {}).items():  # pins kept; the rest named with why
        if isinstance(d, Mapping) and d.get("kept"):
            rows[f"every function that may move at {t}"] = {
                **flat_record({k: v for k, v in d.items() if k != "kept"}),
                "not at the tier (why, where)": "; ".join(kept_groups(d["kept"]))}
    sq = b.get("status_quo")
    if isinstance(sq, Mapping):
        rows["status quo"] = flat_record({k: v for k, v in sq.items() if k != "moves"})
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("placement")


def _resources(result: Result) -> pd.DataFrame:
    """Use of each resource: total, running, moves, budget, and use at each tier with its cap."""
    df = result.resources
    if not len(df):
        return df
    out = df.drop(columns=["per_tier", "caps"])
    for t in result.instance.tier_ids:
        out[f"at {t}"] = [d.get(t) for d in df["per_tier"]]
        caps = [c.get(t) for c in df["caps"]]
        if any(c is not None for c in caps):
            out[f"cap at {t}"] = caps
    return out


def result_sheets(result: Result) -> dict[str, pd.DataFrame]:
    """Sheet title -> table for one result (only the run when there is no placement)."""
    inst = result.instance
    sheets: dict[str, pd.DataFrame] = {"run": run_frame(result)}
    if inst.model is not None:
        sheets["weights"] = pd.DataFrame(
            {"weight": [c.weight for c in inst.model.criteria],
             "direction": [c.direction for c in inst.model.criteria]},
            index=pd.Index(inst.model.criterion_ids, name="criterion"))
    if not result.has_solution:
        return sheets
    sheets["placements"] = result.placements
    if inst.resources:
        sheets["resources"] = _resources(result)
    if result.baselines:
        sheets["baselines"] = _baselines(result.baselines)
    if inst.links:
        sheets["links"] = result.links
    if inst.per_area:
        sheets["by area"] = result.by_area
        sheets["by unit"] = result.by_unit
        sheets["tier shares"] = result.tier_shares
    return sheets


def results_sheets(results: Sequence[Result]) -> dict[str, pd.DataFrame]:
    """Several results' sheets, each table stacked with an ``instance`` column first (as the
    CSV of several problems is); one result's as they are."""
    if len(results) == 1:
        return result_sheets(results[0])
    stacked: dict[str, list[pd.DataFrame]] = {}
    for r in results:
        for title, df in result_sheets(r).items():
            named = any(n is not None for n in df.index.names)
            flat = df.reset_index() if named else df.copy()
            if "instance" not in flat.columns:
                flat.insert(0, "instance", r.instance.name)
            stacked.setdefault(title, []).append(flat)
    return {t: pd.concat(frames, ignore_index=True) for t, frames in stacked.items()}
