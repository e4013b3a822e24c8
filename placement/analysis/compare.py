"""Reform options side by side (issue 4; seed 002 Figure 10, "Evaluating options for reform").

Every option is measured on the same yardstick: the instance's own scoring model and weights,
so that a scenario which changes weights (to express a philosophy) is still scored like the
others. For each option the comparison reports value in total and per criterion, resources
used against budgets and caps, functions per tier, broken constraints and coterminosity links,
which functions sit elsewhere than in the optimum, and the distance from the optimum.

Columns
-------
``optimum``
    The optimal placement of the instance as given (no scenario).
``<scenario>``
    A scenario's fixed placement, evaluated under the scenario's tiers, budgets, caps, pins and
    links (so its own constraint violations are reported) but with the instance's weights.
``<scenario> (optimised)``
    With ``optimise=True``, the optimum under the scenario's overrides (its own weights drive
    the solve; the value reported is again on the common yardstick).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from placement.errors import InstanceError, Problem
from placement.model import Instance, Scenario
from placement.model.scoring import performance, served_shares, unit_performance
from placement.solution import area_result
from placement.solution.area_links import area_links
from placement.solution.baselines import uniformity_loss
from placement.solution.checker import check
from placement.solution.link_check import link_penalties
from placement.solution.result import Result
from placement.solution.solving import evaluate, solve
from placement.util import dumps

__all__ = ["Option", "Comparison", "compare", "criterion_values", "metric_kind"]


def criterion_values(inst: Instance, assignment: np.ndarray) -> pd.DataFrame:
    """Value contributed by each criterion for each function at its assigned tier.

    Returns an (F x C) DataFrame indexed by function id; rows sum to the placement value.

    >>> import numpy as np, placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> criterion_values(inst, np.array([0, 2, 1, 0])).sum().round(3).to_dict()
    {'scale': 10.5, 'local': 7.0}
    """
    model = inst.model
    fn = inst.functions
    if model is None:
        return pd.DataFrame(index=pd.Index(fn.ids, name="function"))
    a = np.asarray(assignment, dtype=np.int64)
    if a.ndim == 2:
        return _area_criterion_values(inst, a)
    perf = performance(model, inst.tiers, fn.lo, fn.hi)  # (F, C, T)
    rows = np.arange(inst.n_functions)
    chosen = perf[rows, :, a]  # (F, C)
    vals = chosen * fn.scores * model.weights[None, :]
    return pd.DataFrame(vals, index=pd.Index(fn.ids, name="function"),
                        columns=list(model.criterion_ids))


def _area_criterion_values(inst: Instance, tiers: np.ndarray) -> pd.DataFrame:
    """Per area: each criterion's contribution, summed over the units doing each function
    (each in proportion to the people it serves); the heterogeneity loss is its own column
    when the model counts it."""
    model = inst.model
    assert model is not None
    fn = inst.functions
    Y = area_result.units_used(inst, tiers) * served_shares(inst)  # (F, U)
    perf = unit_performance(model, inst.tiers, inst.units, fn.lo, fn.hi)  # (F, C, U)
    vals = np.einsum("fu,fcu->fc", Y, perf) * fn.scores * model.weights[None, :]
    df = pd.DataFrame(vals, index=pd.Index(fn.ids, name="function"),
                      columns=list(model.criterion_ids))
    if model.heterogeneity > 0 and model.heterogeneity_criterion:
        values = (inst.value_matrix * area_result.units_used(inst, tiers)).sum(axis=1)
        df["heterogeneity"] = values - df.sum(axis=1).to_numpy()
    return df


@dataclass
class Option:
    """One column of the comparison."""

    id: str
    name: str
    kind: str  # "optimum", "fixed" or "optimised"
    result: Result
    value: float | None  # on the common yardstick (instance weights), less link penalties
    criteria: dict[str, float] = field(default_factory=dict)
    feasible: bool = False
    violations: list[str] = field(default_factory=list)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    tiers: dict[str, float] = field(default_factory=dict)  # per area: people-weighted
    links_broken: int = 0
    soft_links_penalised: int = 0
    link_penalty: float = 0.0
    placement: dict[str, str] = field(default_factory=dict)
    differs: list[str] = field(default_factory=list)
    value_gap: float | None = None
    relative_gap: float | None = None
    price_of_uniform_structure: float | None = None
    note: str = ""

    @property
    def label(self) -> str:
        """The option's column name: the scenario id, with " (optimised)" for its optimum."""
        return f"{self.id} (optimised)" if self.kind == "optimised" else self.id

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "status": str(self.result.status),
            "value": self.value,
            "value_by_criterion": self.criteria,
            "feasible": self.feasible,
            "violations": self.violations,
            "resources": self.resources,
            "functions_per_tier": self.tiers,
            "links_broken": self.links_broken,
            "soft_links_penalised": self.soft_links_penalised,
            "link_penalty": self.link_penalty,
            "functions_differing_from_optimum": self.differs,
            "distance_from_optimum": {
                "value_gap": self.value_gap,
                "relative_gap": self.relative_gap,
                "functions_moved": len(self.differs),
            },
            "placement": self.placement,
            "price_of_uniform_structure": self.price_of_uniform_structure,
            "note": self.note,
        }


def metric_kind(metric: str) -> str:
    """How a row of :meth:`Comparison.table` is written (a kind of
    :mod:`placement.util.numbers`, or ``text``), so the CLI and the report agree.

    >>> metric_kind("value"), metric_kind("value: specialism"), metric_kind("staff used")
    ('objective', 'value', 'resource')
    """
    if metric == "value":
        return "objective"
    if metric.startswith("value: "):
        return "value"
    if metric in ("relative gap", "price of uniform structure"):
        return "percent"
    if metric in ("value gap to optimum", "link penalty"):
        return "gap"
    if metric in ("status", "feasible"):
        return "text"
    if metric.startswith("functions ") or metric.endswith((" broken", " penalised")):
        return "count"
    return "resource"  # "<resource> used", "<resource> budget", "<resource> at <tier> (cap)"


@dataclass
class Comparison:
    """The side-by-side comparison; see the module docstring for the columns."""

    instance: Instance
    options: list[Option]

    @property
    def optimum(self) -> Option:
        return self.options[0]

    def table(self) -> pd.DataFrame:
        """Metrics (rows) by option (columns)."""
        rows: dict[str, dict[str, Any]] = {}
        tier_ids: list[str] = []
        for o in self.options:
            for t in o.tiers:
                if t not in tier_ids:
                    tier_ids.append(t)
        crit = list(self.optimum.criteria)
        res = list(self.optimum.resources)
        for o in self.options:
            col: dict[str, Any] = {
                "status": str(o.result.status),
                "value": o.value,
            }
            for c in crit:
                col[f"value: {c}"] = o.criteria.get(c)
            col["feasible"] = o.feasible
            col["constraints broken"] = len(o.violations)
            for r in res:
                d = o.resources.get(r, {})
                col[f"{r} used"] = d.get("used")
                col[f"{r} budget"] = d.get("budget")
                for t, cap in d.get("caps", {}).items():
                    col[f"{r} at {t} (cap {cap:,.6g})"] = d.get("per_tier", {}).get(t)
            for t in tier_ids:
                col[f"functions at {t}"] = o.tiers.get(t, 0)
            col["hard links broken"] = o.links_broken
            col["soft links penalised"] = o.soft_links_penalised
            col["link penalty"] = o.link_penalty
            col["value gap to optimum"] = o.value_gap
            col["relative gap"] = o.relative_gap
            col["functions placed differently"] = len(o.differs)
            if self.instance.per_area:
                col["price of uniform structure"] = o.price_of_uniform_structure
            rows[o.label] = col
        return pd.DataFrame(rows)

    def placements(self) -> pd.DataFrame:
        """Tier of every function (rows) in every option (columns)."""
        ids = list(self.optimum.placement)
        df = pd.DataFrame({o.label: o.placement for o in self.options}).reindex(ids)
        df.index.name = "function"
        return df

    def differences(self) -> pd.DataFrame:
        """Tier of every function that sits elsewhere than in the optimum in some option."""
        df = self.placements()
        ref = df.iloc[:, 0]
        differ = (df.ne(ref, axis=0)).any(axis=1)
        return df.loc[differ]

    def sheets(self) -> dict[str, pd.DataFrame]:
        """The tables of a workbook: the metrics of every option, every function's tier in
        every option, and the functions placed differently."""
        return {"options": self.table().rename_axis("metric"),
                "placements": self.placements(), "differences": self.differences()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance.name,
            "model": self.instance.model_id,
            "overrides": (self.instance.overrides.to_dict() if self.instance.overrides
                          else None),
            "yardstick": "values use the instance's own scoring model and weights",
            "options": [o.to_dict() for o in self.options],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)


def _yardstick(base: Instance, scenario_inst: Instance) -> Instance:
    """The scenario's instance scored with the base instance's weights."""
    if base.model is None or scenario_inst.model is None:
        return scenario_inst
    return dataclasses.replace(scenario_inst, model=base.model)


def _option(
    base: Instance,
    reference: Result | None,
    oid: str,
    name: str,
    kind: str,
    r: Result,
    note: str = "",
) -> Option:
    inst = r.instance
    opt = Option(id=oid, name=name, kind=kind, result=r, value=None, note=note)
    if r.assignment is None:
        return opt
    a = r.assignment
    tids = inst.tier_ids
    if inst.per_area:  # each function's tiers with the share of the people at each
        text = area_result.function_summary(inst, a)["tiers"]
        opt.placement = {str(f): str(t) for f, t in text.items()}
    else:
        opt.placement = dict(zip(inst.function_ids.tolist(), (tids[i] for i in a),
                                 strict=True))
    yard = _yardstick(base, inst)
    rep = check(yard, a)
    opt.value = rep.objective
    opt.feasible = rep.ok
    opt.violations = [v.message for v in rep.violations]
    opt.criteria = {str(c): float(v) for c, v in criterion_values(yard, a).sum().items()}
    res = r.resources
    for rid, row in res.iterrows():
        opt.resources[str(rid)] = {
            "used": float(row["used"]),
            "budget": None if row["budget"] is None or row["budget"] != row["budget"]
            else float(row["budget"]),
            "per_tier": row["per_tier"],
            "caps": row["caps"],
        }
    opt.tiers = {str(k): (float(v) if inst.per_area else int(v))
                 for k, v in r.tier_counts.items()}
    if r.baselines is not None and "price_of_uniform_structure" in r.baselines:
        opt.price_of_uniform_structure = r.baselines["price_of_uniform_structure"]
    opt.links_broken = sum(1 for v in rep.violations if v.kind == "link")
    pen = _penalties(yard, a)
    opt.soft_links_penalised = int((pen > 0).sum())
    opt.link_penalty = float(pen.sum())
    if reference is not None and reference.assignment is not None:
        opt.differs = _differs(reference, inst, a)
        v_star = reference.objective
        if v_star is not None and opt.value is not None:
            opt.value_gap = uniformity_loss(v_star, opt.value, base.sense)
            opt.relative_gap = opt.value_gap / abs(v_star) if abs(v_star) > 1e-12 else None
    return opt


def _penalties(inst: Instance, a: np.ndarray) -> np.ndarray:
    """What each soft link charges a placement (per area: summed over the areas)."""
    if not inst.links:
        return np.zeros(0)
    if a.ndim == 2:
        return np.array([al.penalty for al in area_links(inst, a)])
    return link_penalties(inst, a)


def _differs(reference: Result, inst: Instance, a: np.ndarray) -> list[str]:
    """Functions placed at another tier than in the reference (per area: in any area), tiers
    compared by id since scenarios may drop tiers."""
    ref = reference.assignment
    assert ref is not None
    rt = np.array(reference.instance.tier_ids, dtype=object)[ref]
    at = np.array(inst.tier_ids, dtype=object)[a]
    diff = rt != at
    if diff.ndim == 2:
        diff = diff.any(axis=1)
    return [str(f) for f in inst.function_ids[diff].tolist()]


def compare(
    instance: Instance,
    scenarios: Sequence[str] | None = None,
    *,
    optimise: bool = False,
    solver: str = "highs",
    time_limit: float | None = None,
) -> Comparison:
    """Compare the optimum with each scenario's fixed placement (and optimum, if asked).

    Parameters
    ----------
    instance
        The instance; its scenarios are looked up by id.
    scenarios
        Scenario ids, in column order; ``None`` compares every scenario of the instance.
    optimise
        Also solve under each scenario's overrides (for scenarios that have overrides).
    solver, time_limit
        Backend and limit for the solves.

    Examples
    --------
    >>> import placement
    >>> from placement.analysis.compare import compare
    >>> inst = placement.load("instances/tiny-budget")
    >>> c = compare(inst, [])
    >>> c.optimum.value
    17.5
    """
    ids = list(instance.scenarios) if scenarios is None else list(scenarios)
    unknown = [s for s in ids if s not in instance.scenarios]
    if unknown:
        known = ", ".join(instance.scenarios) or "none defined"
        raise InstanceError([Problem(None, "scenario", None, s,
                                     f"a scenario of instance '{instance.name}' ({known})")
                             for s in unknown], subject="comparison")
    best = solve(instance, solver, time_limit=time_limit)
    options = [_option(instance, best, "optimum", "Optimum (no scenario)", "optimum", best)]
    for sid in ids:
        sc: Scenario = instance.scenarios[sid]
        if sc.placement is not None:
            r = evaluate(instance, sc)
            options.append(_option(instance, best, sid, sc.name or sid, "fixed", r))
        if optimise and (sc.optimises or sc.placement is None):
            r = solve(instance, solver, scenario=sid, time_limit=time_limit)
            note = "" if r.has_solution else f"no placement under the scenario ({r.status})"
            options.append(_option(instance, best, sid, sc.name or sid, "optimised", r, note))
        elif sc.placement is None and not optimise:
            # nothing fixed to evaluate: the scenario only makes sense optimised
            r = solve(instance, solver, scenario=sid, time_limit=time_limit)
            options.append(_option(instance, best, sid, sc.name or sid, "optimised", r,
                                   "scenario fixes no placement: optimised under its "
                                   "overrides"))
    return Comparison(instance=best.instance, options=options)
