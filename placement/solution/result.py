"""Results: labelled tables (pandas) and the JSON of docs/model.md section 8."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from placement.errors import InfeasibleError
from placement.model import NO_TIER, Instance
from placement.solution.checker import CheckReport, placement_values
from placement.solution.link_check import link_penalties
from placement.solvers.base import SolveOptions, Status
from placement.util import dumps, finite_or_none

__all__ = ["Result", "RESULT_FORMAT"]

RESULT_FORMAT = "placement-result/1"


@dataclass
class Result:
    """The outcome of a solve (or of evaluating a fixed placement).

    Attributes
    ----------
    instance
        The instance as solved (scenario applied).
    assignment
        Tier index per function, or ``None`` when there is no solution.
    check
        The independent checker's verdict on the assignment.
    """

    instance: Instance
    solver: str
    status: Status
    assignment: np.ndarray | None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    nodes: int | None = None
    check: CheckReport | None = None
    message: str = ""
    precision_loss: float | None = None
    solver_version: str = ""
    options: SolveOptions = field(default_factory=SolveOptions)
    baselines: dict[str, Any] | None = None
    diagnosis: Any = None  # placement.solution.diagnosis.Diagnosis when the instance is infeasible
    subsidiarity: Any = None  # placement.solution.subsidiarity.SubsidiarityReport in that mode
    extra: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    # -- convenience -------------------------------------------------------------------------
    @property
    def has_solution(self) -> bool:
        return self.assignment is not None

    @property
    def ok(self) -> bool:
        """Solved (optimal, feasible or with an incumbent at the time limit) and checked."""
        return self.has_solution and (self.check is None or self.check.ok)

    @property
    def tiers(self) -> pd.Series:
        """Tier id per function (index: function id)."""
        self._need_solution()
        assert self.assignment is not None
        tids = np.array(self.instance.tier_ids, dtype=object)
        return pd.Series(tids[self.assignment], index=pd.Index(self.instance.function_ids,
                                                                 name="function"), name="tier")

    def _need_solution(self) -> None:
        if self.assignment is None:
            raise ValueError(f"no placement: the solve ended with status '{self.status}'")

    @property
    def placements(self) -> pd.DataFrame:
        """One row per function: name, category, tier, value, resource use, current tier."""
        self._need_solution()
        inst = self.instance
        a = self.assignment
        assert a is not None
        fn = inst.functions
        tids = np.array([*inst.tier_ids, ""], dtype=object)
        F = inst.n_functions
        df = pd.DataFrame(
            {
                "name": fn.names,
                "category": fn.categories,
                "tier": tids[a],
                "value": placement_values(inst, a),
            },
            index=pd.Index(fn.ids, name="function"),
        )
        costs = inst.cost_tensor[np.arange(F), a, :]
        for r, res in enumerate(inst.resources):
            df[res.id] = costs[:, r]
        cur = np.where(fn.current == NO_TIER, -1, fn.current)
        df["current"] = tids[cur]
        df["moved"] = (fn.current != NO_TIER) & (a != fn.current)
        df["pinned"] = fn.pinned != NO_TIER
        return df

    @property
    def resources(self) -> pd.DataFrame:
        """Use of each resource in total and per tier, against budgets and caps."""
        self._need_solution()
        inst = self.instance
        a = self.assignment
        assert a is not None
        F = inst.n_functions
        costs = inst.cost_tensor[np.arange(F), a, :]
        fn = inst.functions
        moved = (fn.current != NO_TIER) & (a != fn.current)
        rows = []
        for r, res in enumerate(inst.resources):
            per_tier = {
                t: float(costs[a == i, r].sum()) for i, t in enumerate(inst.tier_ids)
            }
            move = float((fn.move[:, r] * moved).sum())
            rows.append(
                {
                    "resource": res.id,
                    "used": float(costs[:, r].sum()) + move,
                    "running": float(costs[:, r].sum()),
                    "moves": move,
                    "budget": res.budget,
                    "unit": res.unit,
                    "per_tier": per_tier,
                    "caps": dict(res.caps),
                }
            )
        return pd.DataFrame(rows).set_index("resource") if rows else pd.DataFrame()

    @property
    def tier_counts(self) -> pd.Series:
        """Number of functions at each tier (every tier listed, zeros included)."""
        self._need_solution()
        return self.tiers.value_counts().reindex(list(self.instance.tier_ids), fill_value=0)

    def raise_for_status(self) -> Result:
        """Raise :class:`placement.errors.InfeasibleError` (with the diagnosis, when there is
        one, on its ``diagnosis`` attribute) when there is no solution; return ``self``
        otherwise.

        >>> import placement, placement.solution.diagnosis
        >>> r = placement.solve(placement.load("instances/tiny-infeasible"))
        >>> try:
        ...     r.raise_for_status()
        ... except placement.errors.InfeasibleError as e:
        ...     print(e.diagnosis.relaxations[0].kind, e.diagnosis.relaxations[0].amount)
        budget 62.0
        """
        if not self.has_solution:
            msg = f"no placement: status '{self.status}'"
            if self.diagnosis is not None:
                msg += f"\n{self.diagnosis}"
            raise InfeasibleError(msg, self.diagnosis)
        return self

    @property
    def links(self) -> pd.DataFrame:
        """One row per link: its kind, the tiers of its functions, kept or broken, penalty
        paid (recomputed by the independent checker)."""
        self._need_solution()

        inst = self.instance
        a = self.assignment
        assert a is not None
        tids = inst.tier_ids
        fix = inst.functions.index
        pen = link_penalties(inst, a)
        broken = set()
        if self.check is not None:
            broken = {v.subject for v in self.check.violations if v.kind == "link"}
        rows = []
        for i, lk in enumerate(inst.links):
            rows.append({
                "link": lk.id,
                "kind": lk.kind,
                "function": lk.function,
                "tier": tids[int(a[fix[lk.function]])],
                "other": lk.other if lk.other is not None else f"geography {lk.geography}",
                "other_tier": tids[int(a[fix[lk.other]])] if lk.other is not None else None,
                "hard": lk.hard,
                "kept": (lk.id not in broken) if lk.hard else bool(pen[i] == 0.0),
                "penalty": float(pen[i]),
            })
        cols = ["link", "kind", "function", "tier", "other", "other_tier", "hard", "kept",
                "penalty"]
        return pd.DataFrame(rows, columns=cols).set_index("link")

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (docs/model.md section 8)."""
        inst = self.instance
        out: dict[str, Any] = {
            "format": RESULT_FORMAT,
            "instance": inst.name,
            "model": inst.model_id,
            "scenario": inst.scenario,
            "sense": inst.sense,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "status": str(self.status),
            "message": self.message,
            "objective": finite_or_none(self.objective),
            "bound": finite_or_none(self.bound),
            "gap": finite_or_none(self.gap),
            "nodes": self.nodes,
            "build_seconds": round(self.build_seconds, 6),
            "solve_seconds": round(self.solve_seconds, 6),
            "precision_loss": finite_or_none(self.precision_loss),
            "options": {
                "time_limit": self.options.time_limit,
                "threads": self.options.threads,
                "seed": self.options.seed,
                "rel_gap": self.options.rel_gap,
            },
            "tiers": [
                {"id": t.id, "name": t.name, "units": t.units, "population": t.population}
                for t in inst.tiers
            ],
            "placements": [],
            "resources": {},
            "functions_per_tier": {},
            "baselines": self.baselines,
            "subsidiarity": _diagnosis_dict(self.subsidiarity),
            "links": [],
            "checks": self.check.to_dict() if self.check is not None else None,
            "diagnosis": _diagnosis_dict(self.diagnosis),
            "warnings": list(self.warnings),
        }
        if self.has_solution:
            df = self.placements
            rids = list(inst.resource_ids)
            recs = []
            for fid, d in zip(df.index.tolist(), df.to_dict("records"), strict=True):
                recs.append(
                    {
                        "function": fid,
                        "tier": d["tier"],
                        "value": float(d["value"]),
                        "costs": {r: float(d[r]) for r in rids} if rids else {},
                        "current": d["current"] or None,
                        "moved": bool(d["moved"]),
                    }
                )
            out["placements"] = recs
            res = self.resources
            out["resources"] = {
                r: {
                    "used": float(row["used"]),
                    "budget": finite_or_none(row["budget"]),
                    "moves": float(row["moves"]),
                    "per_tier": row["per_tier"],
                    "caps": row["caps"],
                }
                for r, row in res.iterrows()
            }
            out["functions_per_tier"] = {k: int(v) for k, v in self.tier_counts.items()}
            if inst.links:
                out["links"] = [
                    {"id": str(i), **{k: (bool(v) if isinstance(v, np.bool_) else v)
                                      for k, v in row.items()}}
                    for i, row in self.links.to_dict("index").items()]
        for k, v in self.extra.items():
            out[k] = v
        return out

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text.

        >>> import placement
        >>> r = placement.solve(placement.load("instances/tiny-budget"))
        >>> import json; json.loads(r.to_json())["status"]
        'optimal'
        """
        return dumps(self.to_dict(), indent=indent)

    def __repr__(self) -> str:
        obj = "-" if self.objective is None else f"{self.objective:.6g}"
        return (f"Result(instance={self.instance.name!r}, solver={self.solver!r}, "
                f"status='{self.status}', objective={obj})")


def _diagnosis_dict(d: Any) -> Any:
    if d is None:
        return None
    if hasattr(d, "to_dict"):
        return d.to_dict()
    return str(d)
