"""Why a function sits where it does (MODEL.md section 7, "explain f").

A MILP has no duals, so the honest substitute is to ask the model directly: for every other
tier t, re-solve with the function fixed at t and report

* the **forcing cost**: the objective lost, ``v* - v*(f at t)`` (``v*(f at t) - v*`` when
  minimising), never negative;
* **what else moves**: the other functions placed differently from the optimum. A forced
  optimum is rarely unique, so the engine reports, among the placements that reach the forced
  optimum, one that moves the fewest other functions (a second solve minimising moves with the
  objective held at its forced optimum);
* the **resource consequences**: the change in use of every resource, and the slack left
  under its budget and under each per-tier cap.

A tier the function cannot take is reported, not raised: ``not allowed`` (the instance does
not allow it there), ``pinned`` (the function is pinned elsewhere) or ``infeasible`` (allowed,
but no placement with the function there meets the budgets, caps and links).

The **runner-up** is the other tier with the smallest forcing cost (ties: the higher value of
the function itself there, then the more central tier), so it accounts for the constraints and
not only for the function's own values. The criterion contributions ``w_c * s[f,c] * a[f,c,t]``
at the chosen tier and the runner-up say which criteria decide between them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placement.analysis.common import (
    Move,
    describe_moves,
    function_index,
    header,
    moves_between,
    tolerance,
)
from placement.analysis.resolving import (
    Solver,
    assignment_of,
    closest,
    infeasible_error,
    rounded,
    value_row,
)
from placement.milp import build
from placement.model import NO_TIER, Instance, Scenario
from placement.model.scoring import contributions
from placement.solution.solving import result_from_raw
from placement.solvers.base import SolveOptions
from placement.util import dumps

if TYPE_CHECKING:
    from placement.milp import CanonicalForm
    from placement.solution.result import Result
    from placement.solvers.base import RawSolution

__all__ = ["TierOption", "Explanation", "explain"]

#: Status of each tier in an explanation.
CHOSEN, FORCED, INFEASIBLE, NOT_ALLOWED, PINNED = (
    "chosen", "forced", "infeasible", "not allowed", "pinned")


@dataclass
class TierOption:
    """The function at one tier: chosen, forced there, or why it cannot be.

    Attributes
    ----------
    tier
        Tier id.
    status
        ``chosen``, ``forced`` (re-solved with the function fixed here), ``infeasible``,
        ``not allowed`` or ``pinned``.
    value
        The function's own value at this tier, ``v[f, t]``.
    objective
        Optimum of the whole placement with the function here (``None`` when impossible).
    cost
        Objective lost against the optimum (``>= 0``; ``None`` when impossible).
    moves
        Other functions placed differently from the optimum (the fewest possible).
    result
        The checked result of the forced placement (``None`` when impossible).
    reason
        Why the tier is impossible, in words.
    """

    tier: str
    status: str
    value: float
    objective: float | None = None
    cost: float | None = None
    moves: list[Move] = field(default_factory=list)
    result: Result | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "status": self.status,
            "value": self.value,
            "objective": self.objective,
            "forcing_cost": self.cost,
            "moves": [m.to_dict() for m in self.moves],
            "reason": self.reason or None,
        }


@dataclass
class Explanation:
    """Why one function sits at its tier; see the module docstring.

    ``tiers`` is the main table (one row per tier); ``contributions``, ``moves`` and
    ``resources`` give the detail.
    """

    instance: Instance
    function: str
    function_name: str
    tier: str
    runner_up: str | None
    objective: float
    optimum: Result
    options: list[TierOption]
    solver: str
    seconds: float

    @property
    def forcing(self) -> dict[str, TierOption]:
        """Tier id -> :class:`TierOption`."""
        return {o.tier: o for o in self.options}

    @property
    def checks_ok(self) -> bool:
        """Whether the independent checker accepted the optimum and every forced placement."""
        results = [self.optimum] + [o.result for o in self.options if o.result is not None]
        return all(r.check is None or r.check.ok for r in results)

    def tiers(self) -> pd.DataFrame:
        """One row per tier: status, the function's value there, the optimum with the function
        there, the forcing cost, what else moves, and the criterion contributions (which sum to
        ``value``)."""
        inst = self.instance
        f = inst.functions.index[self.function]
        rows = []
        for t, o in enumerate(self.options):
            row: dict[str, Any] = {
                "status": o.status,
                "value": o.value,
                "objective": np.nan if o.objective is None else o.objective,
                "forcing_cost": np.nan if o.cost is None else o.cost,
                "n_moves": np.nan if o.status in (INFEASIBLE, NOT_ALLOWED, PINNED)
                else len(o.moves),
                "moves": describe_moves(o.moves) if o.status in (CHOSEN, FORCED) else o.reason,
            }
            row.update(contributions(inst, f, t))
            rows.append(row)
        return pd.DataFrame(rows, index=pd.Index(inst.tier_ids, name="tier"))

    def frame(self) -> pd.DataFrame:
        """The main table (same as :meth:`tiers`)."""
        return self.tiers()

    def contributions(self) -> pd.DataFrame:
        """Criterion contributions at the chosen tier and at the runner-up, and their
        difference (chosen minus runner-up). Empty when the instance gives values directly."""
        inst = self.instance
        f = inst.functions.index[self.function]
        tix = inst.tier_index
        cols = {self.tier: contributions(inst, f, tix[self.tier])}
        if self.runner_up is not None:
            cols[self.runner_up] = contributions(inst, f, tix[self.runner_up])
        df = pd.DataFrame(cols)
        df.index.name = "criterion"
        if self.runner_up is not None and len(df):
            df["difference"] = df[self.tier] - df[self.runner_up]
        return df

    def moves(self) -> pd.DataFrame:
        """One row per (forced tier, other function that moves): from and to."""
        rows = [{"forced_tier": o.tier, **m.to_dict()} for o in self.options
                for m in o.moves]
        return pd.DataFrame(rows, columns=["forced_tier", "function", "from", "to"])

    def resources(self) -> pd.DataFrame:
        """Resource consequences: one row per (tier of the function, resource, limit).

        ``limit`` is ``budget`` (the total, move costs included, as the budget row counts
        it) or ``cap at <tier>`` (use at that tier). ``used`` is the use with the function at
        that tier, ``change`` the difference from the optimum, ``slack`` what is left under the
        limit (``NaN`` for a total without a budget).
        """
        base = self.optimum.resources.to_dict("index")
        rows: list[dict[str, Any]] = []
        for o in self.options:
            if o.result is None:
                continue
            for rid, row in o.result.resources.to_dict("index").items():
                b = base[rid]
                budget = np.nan if row["budget"] is None else float(row["budget"])
                used = float(row["used"])
                rows.append({"tier": o.tier, "resource": str(rid), "limit": "budget",
                             "used": used, "change": used - float(b["used"]),
                             "limit_value": budget, "slack": budget - used})
                for t, cap in dict(row["caps"]).items():
                    at = float(row["per_tier"].get(t, 0.0))
                    rows.append({"tier": o.tier, "resource": str(rid), "limit": f"cap at {t}",
                                 "used": at, "change": at - float(b["per_tier"].get(t, 0.0)),
                                 "limit_value": float(cap), "slack": float(cap) - at})
        cols = ["tier", "resource", "limit", "used", "change", "limit_value", "slack"]
        return pd.DataFrame(rows, columns=cols)

    def to_dict(self) -> dict[str, Any]:
        inst = self.instance
        contrib = self.contributions()

        def col(t: str | None) -> dict[str, float] | None:
            if t is None or t not in contrib:
                return None
            return {str(k): float(v) for k, v in contrib[t].items()}

        res = self.resources()
        return {
            **header(inst, self.solver),
            "function": self.function,
            "name": self.function_name,
            "tier": self.tier,
            "runner_up": self.runner_up,
            "objective": self.objective,
            "contributions": {"chosen": col(self.tier), "runner_up": col(self.runner_up)},
            "tiers": [o.to_dict() for o in self.options],
            "resources": [
                {k: (None if isinstance(v, float) and math.isnan(v) else v)
                 for k, v in r.items()} for r in res.to_dict("records")],
            "checks_ok": self.checks_ok,
            "seconds": round(self.seconds, 6),
            "definition": "forcing cost = objective lost when the function is fixed at the "
                          "tier and everything else re-optimised; moves = the fewest other "
                          "functions that must change to reach that forced optimum",
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)

    def __str__(self) -> str:
        lines = [f"{self.function} ({self.function_name}) is placed at {self.tier}"]
        for o in self.options:
            if o.status == FORCED:
                lines.append(f"  at {o.tier}: costs {o.cost:,.6g}"
                             + (f", moves {describe_moves(o.moves)}" if o.moves else ""))
            elif o.status != CHOSEN:
                lines.append(f"  at {o.tier}: {o.status} ({o.reason})")
        return "\n".join(lines)


def _runner_up(options: list[TierOption]) -> str | None:
    cands = [(o.cost, -o.value, i) for i, o in enumerate(options)
             if o.status == FORCED and o.cost is not None]
    if not cands:
        return None
    return options[min(cands)[2]].tier


def explain(
    instance: Instance,
    function: str,
    *,
    scenario: str | Scenario | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    threads: int | None = None,
    minimal_moves: bool = True,
) -> Explanation:
    """Why ``function`` sits at its tier: contributions, forcing costs, resource consequences.

    Parameters
    ----------
    instance
        The instance (a scenario, if given, is applied first).
    function
        A function id.
    scenario
        Scenario id or object whose overrides apply.
    solver, time_limit, threads
        Backend and its options (every solve must be proven optimal).
    minimal_moves
        Report, for each forced tier, a forced optimum that moves the fewest other functions
        (one extra solve per tier). ``False`` reports whichever forced optimum the solver
        returns.

    Returns
    -------
    Explanation
        ``tiers()`` (DataFrame, one row per tier), ``contributions()``, ``moves()``,
        ``resources()``, ``to_json()``.

    Raises
    ------
    InstanceError
        Unknown function (or scenario).
    InfeasibleError
        The instance itself has no placement.

    Examples
    --------
    >>> import placement
    >>> from placement.analysis import explain
    >>> e = explain(placement.load("instances/tiny-budget"), "commissioning")
    >>> e.tier, e.runner_up
    ('region', 'national')
    >>> e.tiers()[["status", "forcing_cost"]]  # doctest: +NORMALIZE_WHITESPACE
                  status  forcing_cost
    tier
    national      forced           0.5
    region        chosen           0.0
    local     infeasible           NaN
    >>> e.contributions()  # doctest: +NORMALIZE_WHITESPACE
               region  national  difference
    criterion
    scale         1.5       3.0        -1.5
    local         2.0       0.0         2.0
    """

    t0 = time.perf_counter()
    inst = instance.with_scenario(scenario)
    f = function_index(inst, function)
    options = SolveOptions(time_limit=time_limit, threads=threads)
    sol = Solver(solver, options)
    form = build(inst)
    build_seconds = float(form.info.get("build_seconds", 0.0))  # type: ignore[arg-type]
    raw0 = sol.proven(sol.solve(form), f"explain {function}")
    if raw0.x is None or raw0.objective is None:
        raise infeasible_error(inst, raw0, f"explain {function}")
    x0 = rounded(form, raw0.x)
    a0 = assignment_of(form, x0)
    z0 = float(raw0.objective)
    optimum = result_from_raw(inst, form, raw0, solver=sol.name, options=options,
                              build_seconds=build_seconds)
    s = inst.sense.sign
    T = inst.n_tiers
    fn = inst.functions
    values = inst.value_matrix[f]
    tids = inst.tier_ids
    cols = f * T + np.arange(T)
    session = sol.open(form)
    out: list[TierOption] = []
    for t in range(T):
        v = float(values[t])
        if t == a0[f]:
            out.append(TierOption(tids[t], CHOSEN, v, z0, 0.0, [], optimum))
            continue
        if fn.pinned[f] != NO_TIER:
            out.append(TierOption(tids[t], PINNED, v,
                                  reason=f"pinned at {tids[int(fn.pinned[f])]}"))
            continue
        if not fn.allowed[f, t]:
            out.append(TierOption(tids[t], NOT_ALLOWED, v,
                                  reason=f"the instance does not allow {function} at "
                                         f"{tids[t]}"))
            continue
        at = (np.arange(T) == t).astype(float)
        session.set_col_bounds(cols, at, at)
        forced = form.with_col_bounds(*_bounds(form, cols, at))
        raw = sol.proven(sol.run(session), f"explain {function} at {tids[t]}")
        if raw.x is None or raw.objective is None:
            out.append(TierOption(tids[t], INFEASIBLE, v,
                                  reason="no placement with it there meets the budgets, caps "
                                         "and links"))
            continue
        zt = float(raw.objective)
        if minimal_moves:
            raw = _fewest_moves(sol, forced, raw, zt, a0)
        x = rounded(form, np.asarray(raw.x))
        r = result_from_raw(inst, forced, raw, solver=sol.name, options=options,
                            build_seconds=0.0)
        others = [m for m in moves_between(inst, a0, assignment_of(form, x))
                  if m.function != function]  # "what else moves": not the function itself
        out.append(TierOption(tids[t], FORCED, v, zt, max(0.0, s * (z0 - zt)), others, r))
    return Explanation(
        instance=inst,
        function=function,
        function_name=str(fn.names[f]),
        tier=tids[int(a0[f])],
        runner_up=_runner_up(out),
        objective=z0,
        optimum=optimum,
        options=out,
        solver=sol.name,
        seconds=time.perf_counter() - t0,
    )


def _bounds(form: CanonicalForm, cols: np.ndarray,
            at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo, up = form.col_lower.copy(), form.col_upper.copy()
    lo[cols], up[cols] = at, at
    return lo, up


def _fewest_moves(sol: Solver, forced: CanonicalForm, raw: RawSolution, zt: float,
                  a0: np.ndarray) -> RawSolution:
    """Among the forced optima, one that moves the fewest functions from ``a0``; the solver's
    own forced optimum when the second solve does not confirm the same objective."""
    tol = tolerance(zt)
    alt = closest(sol, forced, a0, [value_row(forced, zt, tol)])
    if alt.x is None:
        return raw
    z_alt = forced.objective_of(rounded(forced, alt.x))
    if abs(z_alt - zt) > tol:
        return raw
    # the second solve's own objective counted functions kept: report the placement's value
    alt.objective, alt.bound, alt.gap = z_alt, None, None
    return alt
