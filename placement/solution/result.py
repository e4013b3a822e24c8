"""Results: labelled tables (pandas) and the JSON of docs/model.md section 8."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.errors import InfeasibleError
from placement.model import NO_TIER, Instance
from placement.solution import area_result
from placement.solution.area_links import area_links
from placement.solution.checker import CheckReport, placement_values
from placement.solution.link_check import link_penalties
from placement.solution.result_json import RESULT_FORMAT, result_dict
from placement.solvers.base import SolveOptions, Status
from placement.util import dumps

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Result", "RESULT_FORMAT"]

@dataclass
class Result:
    """The outcome of a solve (or of evaluating a fixed placement).

    Attributes
    ----------
    instance
        The instance as solved (scenario applied).
    assignment
        Tier index per function, or ``None`` when there is no solution. For an instance with
        areas (docs/model.md section 9), (F, A): the tier serving each function in each area
        (``by_area``, ``by_unit`` and ``tier_shares`` read it as tables).
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
        """Tier id per function (index: function id); per area, the tier serving the most
        people (``tier_shares`` has them all)."""
        import pandas as pd

        self._need_solution()
        assert self.assignment is not None
        if self.instance.per_area:
            return area_result.function_summary(self.instance, self.assignment)["tier"]
        tids = np.array(self.instance.tier_ids, dtype=object)
        return pd.Series(tids[self.assignment], index=pd.Index(self.instance.function_ids,
                                                                 name="function"), name="tier")

    def _need_solution(self) -> None:
        if self.assignment is None:
            raise ValueError(f"no placement: the solve ended with status '{self.status}'")

    @property
    def placements(self) -> pd.DataFrame:
        """One row per function: name, category, tier, value, resource use, current tier.
        Per area: the tier serving the most people, every tier with its share (``tiers``),
        whether the structure is the same everywhere, and the share of people moved."""
        import pandas as pd

        self._need_solution()
        a = self.assignment
        assert a is not None
        if self.instance.per_area:
            return self._area_placements(a)
        return pd.DataFrame(self.placement_columns(),
                            index=pd.Index(self.instance.functions.ids, name="function"))

    def placement_columns(self) -> dict[str, np.ndarray]:
        """The columns of :attr:`placements` in the single-area case, as arrays (rows in
        function order): what the JSON is written from, without pandas."""
        self._need_solution()
        inst = self.instance
        a = self.assignment
        assert a is not None and not inst.per_area
        fn = inst.functions
        tids = np.array([*inst.tier_ids, ""], dtype=object)
        F = inst.n_functions
        cols: dict[str, np.ndarray] = {"name": fn.names, "category": fn.categories,
                                       "tier": tids[a], "value": placement_values(inst, a)}
        costs = inst.cost_tensor[np.arange(F), a, :]
        for r, res in enumerate(inst.resources):
            cols[res.id] = costs[:, r]
        cols["current"] = tids[np.where(fn.current == NO_TIER, -1, fn.current)]
        cols["moved"] = (fn.current != NO_TIER) & (a != fn.current)
        cols["pinned"] = fn.pinned != NO_TIER
        return cols

    def _area_placements(self, a: np.ndarray) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.area_placement_columns(),
                            index=pd.Index(self.instance.functions.ids, name="function"))

    def area_placement_columns(self) -> dict[str, np.ndarray]:
        """The columns of :attr:`placements` per area, as arrays (rows in function order)."""
        inst = self.instance
        a = self.assignment
        assert a is not None and inst.per_area
        fn = inst.functions
        summary = area_result.summary_columns(inst, a)
        run, _ = area_result.resource_use(inst, a)
        Y = area_result.units_used(inst, a)
        cur = area_result.summary_columns(inst, inst.current_by_area)["tier"]
        cols: dict[str, np.ndarray] = {"name": fn.names, "category": fn.categories}
        cols.update({k: summary[k] for k in ("tier", "tier_share", "tiers", "uniform")})
        cols["value"] = (inst.value_matrix * Y).sum(axis=1)
        for r, res in enumerate(inst.resources):
            cols[res.id] = run[:, :, r].sum(axis=1)
        cols["current"] = np.where((inst.current_by_area != NO_TIER).all(axis=1), cur, "")
        cols["moved"] = summary["moved_share"] > 0
        cols["moved_share"] = summary["moved_share"]
        cols["pinned"] = fn.pinned != NO_TIER
        return cols

    def _tier_use(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(F, R) running use per function, (T, R) per tier, (F, R) one-off move costs."""
        inst = self.instance
        a = self.assignment
        assert a is not None
        if inst.per_area:
            run, moves = area_result.resource_use(inst, a)
            per_tier = np.stack([run[:, inst.units.unit_tier == t, :].sum(axis=(0, 1))
                                 for t in range(inst.n_tiers)]) if inst.resources else \
                np.zeros((inst.n_tiers, 0))
            return run.sum(axis=1), per_tier, moves
        F = inst.n_functions
        costs = inst.cost_tensor[np.arange(F), a, :]
        fn = inst.functions
        moved = (fn.current != NO_TIER) & (a != fn.current)
        per_tier = np.stack([costs[a == i].sum(axis=0) for i in range(inst.n_tiers)])
        return costs, per_tier, fn.move * moved[:, None]

    @property
    def resources(self) -> pd.DataFrame:
        """Use of each resource in total and per tier, against budgets and caps."""
        import pandas as pd

        rows = self.resource_rows()
        return pd.DataFrame(rows).set_index("resource") if rows else pd.DataFrame()

    def resource_rows(self) -> list[dict[str, Any]]:
        """The rows of :attr:`resources`, as mappings (what the JSON is written from)."""
        self._need_solution()
        inst = self.instance
        costs, tier_use, moved_cost = self._tier_use()
        rows = []
        for r, res in enumerate(inst.resources):
            per_tier = {t: float(tier_use[i, r]) for i, t in enumerate(inst.tier_ids)}
            move = float(moved_cost[:, r].sum())
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
        return rows

    @property
    def tier_counts(self) -> pd.Series:
        """Number of functions at each tier (every tier listed, zeros included); per area,
        counted by the share of the people each function is done for there."""
        import pandas as pd

        self._need_solution()
        if self.instance.per_area:
            return self.tier_shares.sum(axis=0)
        counts = self.tier_count_values()
        return pd.Series(list(counts.values()), index=pd.Index(list(counts), name="tier"),
                         name="count")

    def tier_count_values(self) -> dict[str, int]:
        """Single area: the number of functions at each tier (every tier, zeros included)."""
        a = self.assignment
        assert a is not None and a.ndim == 1
        n = np.bincount(a, minlength=self.instance.n_tiers)
        return {t: int(n[i]) for i, t in enumerate(self.instance.tier_ids)}

    @property
    def by_area(self) -> pd.DataFrame:
        """One row per function and area: the tier and unit serving it, today's tier."""
        self._need_solution()
        assert self.assignment is not None
        return area_result.by_area(self.instance, self._area_tiers())

    @property
    def by_unit(self) -> pd.DataFrame:
        """One row per unit (body): the functions it holds and what it uses."""
        self._need_solution()
        return area_result.by_unit(self.instance, self._area_tiers())

    @property
    def tier_shares(self) -> pd.DataFrame:
        """(functions x tiers) the share of the people each function is done for at each
        tier (1 at its tier, in the single-area case)."""
        self._need_solution()
        return area_result.tier_shares(self.instance, self._area_tiers())

    def _area_tiers(self) -> np.ndarray:
        a = self.assignment
        assert a is not None
        return a if a.ndim == 2 else a[:, None]

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
        import pandas as pd

        self._need_solution()
        inst = self.instance
        a = self.assignment
        assert a is not None
        if inst.per_area:
            return self._area_links(a)
        cols = ["link", "kind", "function", "tier", "other", "other_tier", "hard", "kept",
                "penalty"]
        return pd.DataFrame(self.link_rows(), columns=cols).set_index("link")

    def link_rows(self) -> list[dict[str, Any]]:
        """Single area: the rows of :attr:`links`, as mappings (what the JSON is written
        from)."""
        inst = self.instance
        a = self.assignment
        assert a is not None and not inst.per_area
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
        return rows

    def _area_links(self, a: np.ndarray) -> pd.DataFrame:
        """Per area: each link's kind, where it is broken (share of the people), penalty."""
        import pandas as pd

        cols = ["link", "kind", "function", "other", "hard", "kept", "broken_share", "penalty"]
        return pd.DataFrame(self.area_link_rows(), columns=cols).set_index("link")

    def area_link_rows(self) -> list[dict[str, Any]]:
        """Per area: the rows of :attr:`links`, as mappings (what the JSON is written from)."""
        inst = self.instance
        a = self.assignment
        assert a is not None and inst.per_area
        rows = []
        for al in area_links(inst, a):
            lk = al.link
            share = float((al.broken * inst.units.area_population).sum()
                          / inst.units.area_population.sum())
            rows.append({"link": lk.id, "kind": lk.kind, "function": lk.function,
                         "other": lk.other if lk.other is not None
                         else f"geography {lk.geography}",
                         "hard": lk.hard, "kept": not bool(al.broken.any()),
                         "broken_share": share, "penalty": al.penalty})
        return rows

    # -- serialisation -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (docs/model.md sections 8 and 9)."""
        return result_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The result as JSON text.

        >>> import placement
        >>> r = placement.solve(placement.load("instances/tiny-budget"))
        >>> import json; json.loads(r.to_json())["status"]
        'optimal'
        """
        return dumps(result_dict(self, raw=True), indent=indent)

    def __repr__(self) -> str:
        obj = "-" if self.objective is None else f"{self.objective:.6g}"
        return (f"Result(instance={self.instance.name!r}, solver={self.solver!r}, "
                f"status='{self.status}', objective={obj})")
