"""What the page needs to draw its inputs: the instance's criteria and weights, heterogeneity,
resources with budgets and caps, tiers and their colours, functions, and each scenario's own
judgements (so that picking one shows its weights, budgets and caps)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from placement.charts.hexes import ATTRIBUTION
from placement.model.limits import MAX_AMOUNT, MAX_WEIGHT
from placement.util.jsonout import json_safe

if TYPE_CHECKING:
    from placement.model import Instance, Scenario
    from placement.serve.workspace import Workspace

__all__ = ["instance_meta"]


def _scenario(sc: Scenario) -> dict[str, Any]:
    return {"id": sc.id, "name": sc.name or sc.id, "description": sc.description.strip(),
            "optimises": sc.optimises, "has_placement": sc.placement is not None,
            "weights": dict(sc.weights), "budgets": dict(sc.budgets),
            "caps": {r: dict(c) for r, c in sc.caps.items()},
            "heterogeneity": sc.heterogeneity,
            "disable_tiers": list(sc.disable_tiers), "enable_tiers": list(sc.enable_tiers)}


def _criteria(inst: Instance) -> list[dict[str, Any]]:
    if inst.model is None or inst.values is not None:
        return []
    return [{"id": c.id, "name": c.name, "weight": float(c.weight), "direction": c.direction,
             "description": c.description} for c in inst.model.criteria]


def instance_meta(ws: Workspace) -> dict[str, Any]:
    """The instance as the page's inputs need it (``GET /api/instance``)."""
    inst = ws.base
    model = inst.model
    het = None
    if model is not None and model.heterogeneity_criterion and inst.per_area:
        het = {"value": float(model.heterogeneity), "criterion": model.heterogeneity_criterion}
    fn = inst.functions
    return json_safe({
        "name": inst.name, "description": inst.description.strip(), "path": ws.path,
        "sense": inst.sense.value, "per_area": inst.per_area,
        "n_areas": inst.n_areas if inst.per_area else None,
        "model": inst.model_id, "criteria": _criteria(inst), "heterogeneity": het,
        "max_weight": MAX_WEIGHT, "max_amount": MAX_AMOUNT,
        "resources": [{"id": r.id, "name": r.name, "unit": r.unit, "budget": r.budget,
                       "caps": dict(r.caps)} for r in inst.resources],
        "tiers": [{"id": t.id, "name": t.name, "optional": t.optional,
                   "colour": ws.palette.get(t.id, "#999999")} for t in inst.tiers],
        "functions": [{"id": str(i), "name": str(n), "category": str(c)}
                      for i, n, c in zip(fn.ids, fn.names, fn.categories, strict=True)],
        "scenarios": [_scenario(sc) for sc in inst.scenarios.values()],
        "map_levels": ws.levels, "attribution": ATTRIBUTION if ws.levels else None,
    })
