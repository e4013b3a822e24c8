"""Why a function is done by its tier in one area, and what each other tier would cost there
(docs/model.md section 9; ``placement explain PATH FUNCTION --area CODE``).

For every tier t with a unit u in the area, the function is forced to u (``y[f, u] = 1``: the
unit then does it for all of its areas, and every other unit serving those areas stops) and
the model re-solved: the **forcing cost** is the objective lost against the optimum. A tier
with no unit in the area, one the function may not take there (its allowed tiers, or the
availability table closing the unit) and one that no placement can meet the constraints with
are reported with the reason. Every forced placement is checked by the independent checker.
The criterion contributions at the chosen unit and the runner-up say which criteria decide.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from placement.analysis.common import function_index
from placement.analysis.resolving import Solver, infeasible_error, rounded
from placement.errors import InstanceError
from placement.milp import build
from placement.model import Instance, Scenario
from placement.model.scoring import contributions
from placement.solution.result import Result
from placement.solution.solving import result_from_raw
from placement.solvers.base import SolveOptions
from placement.util import dumps

__all__ = ["AreaExplanation", "explain_area"]

CHOSEN, FORCED, NO_UNIT, CLOSED, INFEASIBLE = ("chosen", "forced", "no unit here",
                                               "not allowed", "infeasible")


@dataclass
class AreaExplanation:
    """One function in one area: every tier's unit there, its value, forcing cost, status."""

    instance: Instance
    function: str
    area: str
    area_name: str
    tier: str
    runner_up: str | None
    objective: float
    rows: list[dict[str, Any]]
    results: dict[str, Result]
    seconds: float

    def tiers(self) -> pd.DataFrame:
        """One row per tier: the unit serving the area at that tier, status, the function's
        value at that unit, the objective when forced there, and the forcing cost."""
        return pd.DataFrame(self.rows).set_index("tier")

    def contributions(self) -> pd.DataFrame:
        """Criterion contributions at the chosen unit and at the runner-up's."""
        inst = self.instance
        f = inst.functions.index[self.function]
        a = int(np.nonzero(inst.units.area_ids == self.area)[0][0])
        cols = {}
        for tier in (self.tier, self.runner_up):
            if tier is None:
                continue
            u = int(inst.units.unit_of[a, inst.tier_index[tier]])
            cols[tier] = contributions(inst, f, u)
        df = pd.DataFrame(cols)
        df.index.name = "criterion"
        if self.runner_up is not None and len(df.columns) == 2:
            df["difference"] = df[self.tier] - df[self.runner_up]
        return df

    def to_dict(self) -> dict[str, Any]:
        return {"instance": self.instance.name, "scenario": self.instance.scenario,
                "function": self.function, "area": self.area, "area_name": self.area_name,
                "tier": self.tier, "runner_up": self.runner_up, "objective": self.objective,
                "tiers": self.rows, "seconds": self.seconds}

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)


def _area_index(inst: Instance, area: str) -> int:
    layout = inst.units
    hits = np.nonzero((layout.area_ids == area) | (layout.area_names == area))[0]
    if hits.size:
        return int(hits[0])
    shown = ", ".join(f"{i} ({n})" for i, n in zip(layout.area_ids[:4].tolist(),
                                                    layout.area_names[:4].tolist(), strict=True))
    raise InstanceError.single(None, "--area", None, area,
                               f"an area id or name of instance '{inst.name}' ({shown}, ...)")


def explain_area(instance: Instance, function: str, area: str, *,
                 scenario: str | Scenario | None = None, solver: str = "highs",
                 time_limit: float | None = None) -> AreaExplanation:
    """The forcing cost of every tier for ``function`` in ``area`` (see the module docstring).

    Examples
    --------
    >>> import placement
    >>> e = explain_area(placement.load("instances/tiny-areas"), "commissioning", "a")
    >>> e.tier, e.runner_up
    ('local', 'region')
    >>> round(float(e.tiers().loc["region", "forcing_cost"]), 6)
    0.4
    """
    t0 = time.perf_counter()
    inst = instance.with_scenario(scenario)
    if not inst.per_area:
        raise InstanceError.single(None, "--area", None, area,
                                   "an instance with areas ([areas], format placement/2)")
    f = function_index(inst, function)
    a = _area_index(inst, area)
    options = SolveOptions(time_limit=time_limit)
    sol = Solver(solver, options)
    form = build(inst)
    raw0 = sol.proven(sol.solve(form), f"explain {function} in {area}")
    if raw0.x is None or raw0.objective is None:
        raise infeasible_error(inst, raw0, f"explain {function} in {area}")
    z0 = float(raw0.objective)
    chosen = int(form.placement_of(rounded(form, raw0.x))[f, a])
    layout = inst.units
    U = layout.n_units
    values = inst.value_matrix[f]
    rows: list[dict[str, Any]] = []
    results: dict[str, Result] = {}
    for t, tid in enumerate(inst.tier_ids):  # a handful of tiers: one re-solve each
        u = int(layout.unit_of[a, t])
        row: dict[str, Any] = {"tier": tid, "unit": None, "status": NO_UNIT, "value": None,
                               "objective": None, "forcing_cost": None}
        if u >= 0:
            row.update(unit=str(layout.unit_name[u]), value=float(values[u]))
        if u < 0:
            pass
        elif t == chosen:
            row.update(status=CHOSEN, objective=z0, forcing_cost=0.0)
        elif not inst.unit_allowed[f, u]:
            row["status"] = CLOSED
        else:
            lo = form.col_lower.copy()
            lo[f * U + u] = 1.0
            forced = form.with_col_bounds(lo, form.col_upper)
            raw = sol.proven(sol.solve(forced), f"explain {function} in {area} at {tid}")
            if raw.x is None or raw.objective is None:
                row["status"] = INFEASIBLE
            else:
                zt = float(raw.objective)
                results[tid] = result_from_raw(inst, forced, raw, solver=sol.name,
                                               options=options, build_seconds=0.0)
                row.update(status=FORCED, objective=zt,
                           forcing_cost=max(0.0, inst.sense.sign * (z0 - zt)))
        rows.append(row)
    forced_rows = [r for r in rows if r["status"] == FORCED]
    runner = min(forced_rows, key=lambda r: (r["forcing_cost"], -r["value"]))["tier"] \
        if forced_rows else None
    return AreaExplanation(inst, function, str(layout.area_ids[a]), str(layout.area_names[a]),
                           inst.tier_ids[chosen], runner, z0, rows, results,
                           time.perf_counter() - t0)
