"""The budget frontier (MODEL.md section 7): the optimum against the budget of one resource,
with every breakpoint and the placements that change there.

What is computed
----------------
Fix everything but the budget ``B`` of resource ``r`` (other budgets, every cap - those of r
too - pins, links, max_moves and max_share stay as the instance has them). The budget row reads
as in the model (MODEL.md section 3): ``use(a) = sum_f cost[f, a_f, r] + move[f, r]`` for
functions that leave their current tier, so one-off move costs count. With finitely many
placements the optimum

    V(B) = best { objective(a) : a feasible, use(a) <= B }

is a non-decreasing step function of ``B`` (non-increasing cost when the instance
minimises), right-continuous: it steps up exactly at the use of some placement. The frontier is
the list of steps: for each, the least budget at which its value is reached (``budget_from``,
the breakpoint), the budget at which the next step begins (``budget_to``, exclusive), the value,
and one placement reaching it with use ``budget_from``.

Method (successive re-solves going down, exact)
-----------------------------------------------
The canonical form is built once, with two extra rows: the budget row of ``r`` and a value
floor (the signed objective); each query below only sets their bounds and the objective.
Starting from ``B = upper`` (default: no budget at all), each step takes three solves:

1. ``V`` = the best objective with ``u <= B``;
2. ``U`` = the least use with ``u <= B`` and ``z >= V``: the breakpoint, where ``V`` is first
   reached (ties in value: the step starts at the cheapest of the tied placements);
3. among the placements with ``z >= V`` and ``u <= U``, the one moving the fewest functions
   from the step above (the first step: from the optimum ``placement solve`` reports), so that
   "what changes at this breakpoint" lists only what must change;

then the next step starts from ``B = U - eps``: the largest budget strictly below ``U``. It
ends when no placement fits (``U`` was the least budget any placement needs) or when ``U`` is
at or below ``lower``.

Exactness: every value and use reported is recomputed from the placement with the instance's
own arrays (not read off the solver). Step 1 and 2 are proven optima, so between two reported
breakpoints no placement does better. The only approximations are tolerances: ``eps`` is
``1e-7`` relative to ``U`` (raised tenfold, up to ``1e-3``, when the solver's feasibility
tolerance lets a placement with use ``U`` through - the frontier reports the ``eps`` it used),
so two placements whose uses differ by less than ``eps`` share a breakpoint; values within
``1e-9`` relative count as ties. HiGHS runs with feasibility tolerances of ``1e-9`` here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placement.analysis.common import (
    Move,
    budget_use,
    describe_moves,
    header,
    moves_between,
    open_session,
    require_exact_backend,
    resource_index,
)
from placement.errors import AnalysisError, InfeasibleError, InstanceError, Problem
from placement.milp import build
from placement.model import Instance, Scenario, Sense
from placement.solution.checker import objective_of
from placement.solution.solving import solve
from placement.solvers.base import SolveOptions, Status
from placement.util import json_safe

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from placement.milp import CanonicalForm
    from placement.solvers.base import RawSolution

__all__ = ["FrontierStep", "Frontier", "frontier", "MAX_STEPS"]

#: Steps computed before the frontier stops (and says it was cut short).
MAX_STEPS = 1000

_EPS0 = 1e-7  # relative step below a breakpoint
_EPS_MAX = 1e-3
_TIE = 1e-9  # relative value tolerance


@dataclass
class FrontierStep:
    """One step of the frontier: ``value`` for every budget in ``[budget_from, budget_to)``.

    ``assignment`` is a placement reaching ``value`` with use ``budget_from``; ``moves`` are
    what changes at this step's breakpoint as the budget rises to it: the functions placed
    differently than in the step below (``from``: the tier below the breakpoint, ``to``: the
    tier at it).
    """

    budget_from: float
    budget_to: float
    value: float
    assignment: np.ndarray
    moves: list[Move] = field(default_factory=list)

    def to_dict(self, inst: Instance) -> dict[str, Any]:
        tids = inst.tier_ids
        return {
            "budget_from": self.budget_from,
            "budget_to": self.budget_to,
            "value": self.value,
            "moves_at_breakpoint": [m.to_dict() for m in self.moves],
            "placement": {str(f): tids[int(t)] for f, t in
                          zip(inst.function_ids.tolist(), self.assignment.tolist(),
                              strict=True)},
        }


@dataclass
class Frontier:
    """The outcome of :func:`frontier`; see the module docstring.

    ``steps`` run from the largest budget down. ``complete_below`` is true when the last step
    starts at the least budget any placement needs (below it there is no placement).
    """

    instance: Instance
    resource: str
    steps: list[FrontierStep]
    lower: float | None
    upper: float | None
    budget: float | None  # the instance's own budget for the resource
    optimum: float | None  # placement solve's optimum at the instance's own budgets, if any
    eps: float
    complete_below: bool
    truncated: bool
    solves: int
    seconds: float
    solver: str
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def breakpoints(self) -> list[float]:
        """The budgets at which the optimum changes, ascending."""
        return sorted(s.budget_from for s in self.steps)

    def value_at(self, budget: float) -> float | None:
        """The optimum at ``budget`` (``None`` below the first step or outside the range
        computed)."""
        for s in self.steps:
            if s.budget_from <= budget and (budget < s.budget_to or
                                            (budget == s.budget_to and math.isinf(budget))):
                return s.value
        if self.steps and self.upper is not None and budget == self.upper:
            return self.steps[0].value
        return None

    def frame(self) -> pd.DataFrame:
        """One row per step, ascending budget: ``budget_from`` (the breakpoint: least budget
        with this value), ``budget_to`` (where the next step begins), ``value``, ``n_moves``
        and ``moves`` (what changes going up to the next step)."""
        inst = self.instance
        asc = self.steps[::-1]
        ups = [s.moves for s in self.steps[::-1][1:]] + [[]]
        rows = [{
            "budget_from": s.budget_from,
            "budget_to": s.budget_to,
            "value": s.value,
            "n_moves_up": len(up),
            "moves_up": describe_moves(up),
        } for s, up in zip(asc, ups, strict=True)]
        df = pd.DataFrame(rows, columns=["budget_from", "budget_to", "value", "n_moves_up",
                                         "moves_up"])
        df.index = pd.RangeIndex(len(df), name="step")
        df.attrs["resource"] = self.resource
        df.attrs["instance"] = inst.name
        return df

    def changes(self) -> pd.DataFrame:
        """One row per (breakpoint, function that moves there): the tier just below the
        breakpoint and at it."""
        rows = []
        for upper_step, lower_step in zip(self.steps[:-1], self.steps[1:], strict=True):
            for m in upper_step.moves:
                rows.append({"breakpoint": upper_step.budget_from, "function": m.function,
                             "below": m.from_tier, "at_or_above": m.to_tier,
                             "value_below": lower_step.value,
                             "value_at_or_above": upper_step.value})
        cols = ["breakpoint", "function", "below", "at_or_above", "value_below",
                "value_at_or_above"]
        return pd.DataFrame(rows, columns=cols).sort_values(
            ["breakpoint", "function"], kind="stable").reset_index(drop=True)

    def placements(self) -> pd.DataFrame:
        """Tier of every function (rows) at each step (columns: the step's breakpoint)."""
        inst = self.instance
        tids = np.array(inst.tier_ids, dtype=object)
        asc = self.steps[::-1]
        return pd.DataFrame({s.budget_from: tids[s.assignment] for s in asc},
                            index=pd.Index(inst.function_ids, name="function"))

    def to_dict(self) -> dict[str, Any]:
        inst = self.instance
        res = inst.resources[inst.resource_ids.index(self.resource)]
        return json_safe({
            **header(inst),
            "resource": self.resource,
            "unit": res.unit,
            "budget": self.budget,
            "optimum_at_budget": self.optimum,
            "lower": self.lower,
            "upper": self.upper,
            "eps": self.eps,
            "complete_below": self.complete_below,
            "truncated": self.truncated,
            "solves": self.solves,
            "seconds": round(self.seconds, 6),
            "solver": self.solver,
            "steps": [s.to_dict(inst) for s in self.steps[::-1]],
            "definition": "each step: the best objective for every budget in [budget_from, "
                          "budget_to); budget_from is the least use of a placement reaching "
                          "it (use = running use plus one-off move costs, as the budget row "
                          "counts it); budget_to null = unbounded",
        })

    def to_json(self, indent: int | None = 2) -> str:
        import json

        return json.dumps(self.to_dict(), indent=indent)

    def figure(self, points: Mapping[str, tuple[float, float]] | None = None) -> Figure:
        """The frontier as a matplotlib figure (no pyplot: safe in any backend or thread).

        ``points`` marks other placements by their ``(use, value)``, e.g. the status quo: one
        below the frontier could reach the frontier's value with the same budget."""
        from matplotlib.figure import Figure

        inst = self.instance
        res = inst.resources[inst.resource_ids.index(self.resource)]
        fig = Figure(figsize=(8.0, 4.6), dpi=120, layout="constrained")
        ax = fig.add_subplot()
        asc = self.steps[::-1]
        if not asc:
            ax.text(0.5, 0.5, "no placement in this budget range", ha="center",
                    transform=ax.transAxes)
            return fig
        finite = [s.budget_from for s in asc] + [s.budget_to for s in asc
                                                 if math.isfinite(s.budget_to)]
        if self.budget is not None:
            finite.append(float(self.budget))
        marks = dict(points or {})
        finite += [u for u, _v in marks.values() if math.isfinite(u)]
        lo_x, hi_x = min(finite), max(finite)
        pad = 0.08 * (hi_x - lo_x) if hi_x > lo_x else max(1.0, abs(hi_x) * 0.1)
        right = hi_x + pad
        for i, s in enumerate(asc):
            end = s.budget_to if math.isfinite(s.budget_to) else right
            ax.hlines(s.value, s.budget_from, end, colors="#1f5f8b", linewidth=2.2)
            if i + 1 < len(asc):
                ax.vlines(end, s.value, asc[i + 1].value, colors="#1f5f8b", linewidth=0.8,
                          linestyles=":")
                ax.plot([end], [s.value], marker="o", markersize=4.5, color="#1f5f8b",
                        markerfacecolor="white")  # open: not reached below the breakpoint
        ax.plot([s.budget_from for s in asc], [s.value for s in asc], "o", markersize=4.5,
                color="#1f5f8b", label="breakpoint (value reached from here)")
        if len(asc) <= 14:
            for s, up in zip(asc[1:], [x.moves for x in self.steps[::-1][1:]], strict=True):
                if up:
                    label = ", ".join(m.function for m in up[:3]) + (
                        " ..." if len(up) > 3 else "")
                    ax.annotate(label, (s.budget_from, s.value), textcoords="offset points",
                                xytext=(3, 6), fontsize=7, rotation=20, color="#333333")
        if self.budget is not None:
            ax.axvline(float(self.budget), color="#b5523b", linestyle="--", linewidth=1.0,
                       label=f"instance budget {self.budget:,.6g}")
        for (label, (u, v)), marker in zip(marks.items(), "DsP^v<>", strict=False):
            best = self.value_at(u)
            gain = "" if best is None else f"; the frontier gives {best:,.6g} for it"
            ax.plot([u], [v], marker=marker, markersize=7, linestyle="none", color="#b5523b",
                    label=f"{label}: uses {u:,.6g}, {v:,.6g}{gain}")
        ax.set_xlim(lo_x - pad, right)
        unit = f" ({res.unit})" if res.unit else ""
        ax.set_xlabel(f"{res.name or res.id} budget{unit}")
        ax.set_ylabel(f"optimum {inst.sense.quantity}")
        ax.set_title(f"{inst.name}: the optimum against the {res.id} budget "
                     f"({len(asc)} steps)", fontsize=10)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right" if inst.sense is Sense.MAX else "upper right")
        return fig

    def plot(self, path: str | Path) -> Path:
        """Write the frontier chart as a PNG (atomically: no partial file is left)."""
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        path = Path(path)
        fig = self.figure()
        FigureCanvasAgg(fig)
        parent = path.parent if str(path.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fig.savefig(fh, format="png")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def __str__(self) -> str:
        lines = [f"frontier of {self.instance.name} against the {self.resource} budget: "
                 f"{len(self.steps)} steps"]
        for s in self.steps[::-1]:
            to = "inf" if math.isinf(s.budget_to) else f"{s.budget_to:,.6g}"
            lines.append(f"  [{s.budget_from:,.6g}, {to}): {s.value:,.6g}")
        return "\n".join(lines)


class _Search:
    """The model with two extra rows, ``use(x) <= budget`` and ``signed objective(x) >=
    floor``: every query sets their bounds and an objective, then solves."""

    def __init__(self, inst: Instance, r: int, solver: str, time_limit: float | None) -> None:

        self.inst = inst
        self.sign = inst.sense.sign
        self.solver = solver
        self.options = SolveOptions(time_limit=time_limit)
        res = inst.resources[r]
        # the budget of r becomes the first extra row; its caps stay rows of the model
        others = tuple(dataclasses.replace(x, budget=None) if i == r else x
                       for i, x in enumerate(inst.resources))
        base = build(inst.replace(resources=others))
        self.coef = budget_use(inst, r)  # (F, T)
        n, nx = base.n_cols, base.n_x
        self.offset = float(base.offset)
        rows = np.zeros((2, n))
        rows[0, :nx] = self.coef.ravel()
        rows[1] = self.sign * base.c
        # Free rows until a query bounds them (presolve drops a free row). Row bounds, not
        # bounded auxiliary columns: HiGHS solves this form about three times faster.
        form = base.with_rows(rows, -np.inf, np.inf, "frontier",
                         [f"budget[{res.id}]", "objective_floor"],
                         "the frontier's budget and value floor")
        self.obj_value = self.sign * base.c
        self.obj_use = np.zeros(n)
        self.obj_use[:nx] = -self.coef.ravel()
        self.form: CanonicalForm = form.with_objective(self.obj_value, "max")
        self.budget_row, self.floor_row = base.n_rows, base.n_rows + 1
        self.nx = nx
        self.solves = 0
        self.rows = np.arange(inst.n_functions)

    def query(self, objective: np.ndarray, budget: float, floor: float) -> RawSolution:
        """Solve with ``use <= budget`` and ``signed objective >= floor``, maximising
        ``objective``."""
        lo = self.form.row_lower.copy()
        up = self.form.row_upper.copy()
        up[self.budget_row] = budget
        lo[self.floor_row] = floor - self.sign * self.offset
        form = dataclasses.replace(self.form, row_lower=lo, row_upper=up,
                                   c=np.asarray(objective, dtype=float))
        self.solves += 1
        raw = open_session(form, self.solver, self.options, exact=True).solve()
        if raw.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            raise AnalysisError(f"frontier: a solve ended with status '{raw.status}' "
                                f"({raw.message}); the frontier needs proven optima")
        return raw

    def assignment(self, raw: RawSolution) -> np.ndarray:
        assert raw.x is not None
        return self.form.assignment_of(raw.x)

    def use(self, a: np.ndarray) -> float:
        return float(self.coef[self.rows, a].sum())

    def value(self, a: np.ndarray) -> float:
        """The objective, recomputed from the instance (values less soft-link penalties)."""
        return objective_of(self.inst, a)

    def closest(self, prev: np.ndarray) -> np.ndarray:
        c = np.zeros(self.form.n_cols)
        c[: self.nx] = (np.arange(self.inst.n_tiers)[None, :] == prev[:, None]).ravel()
        return c


def _tol(v: float) -> float:
    return _TIE * max(1.0, abs(v))


def frontier(
    instance: Instance,
    resource: str,
    *,
    lower: float | None = None,
    upper: float | None = None,
    scenario: str | Scenario | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    max_steps: int = MAX_STEPS,
) -> Frontier:
    """The optimum against the budget of ``resource``, with its exact breakpoints.

    Parameters
    ----------
    instance
        The instance (a scenario, if given, is applied first).
    resource
        A resource id of the instance (it need not have a budget).
    lower, upper
        The budget range to cover. ``upper`` defaults to no budget at all (the first step is
        then the optimum with the resource unconstrained); ``lower`` to the least budget any
        placement needs (the frontier then ends where placements run out).
    scenario, solver, time_limit
        Scenario to apply; backend (one with exact real coefficients: not CP-SAT); time limit
        per solve (every solve must still prove optimality).
    max_steps
        Stop after this many steps (``truncated`` then says so).

    Returns
    -------
    Frontier
        ``frame()`` (one row per step), ``changes()`` (what moves at each breakpoint),
        ``placements()``, ``plot(path)``, ``to_json()``.

    Raises
    ------
    InstanceError
        Unknown resource, an empty or negative range, a backend that rounds coefficients.
    placement.errors.InfeasibleError
        No placement at any budget of the resource (other constraints conflict). An
        instance infeasible only for want of this budget is fine: its frontier shows the
        budget where placements begin.

    Examples
    --------
    >>> import placement
    >>> from placement.analysis.frontier import frontier
    >>> fr = frontier(placement.load("instances/tiny-budget"), "staff")
    >>> fr.frame()[["budget_from", "budget_to", "value"]]  # doctest: +NORMALIZE_WHITESPACE
          budget_from  budget_to  value
    step
    0           2.011       2.11   13.0
    1           2.110       3.10   15.0
    2           3.100      12.01   15.5
    3          12.010      13.00   17.0
    4          13.000     112.00   17.5
    5         112.000        inf   18.0
    >>> fr.changes()[["breakpoint", "function", "below", "at_or_above"]].tail(2)
       breakpoint       function     below at_or_above
    4        13.0  commissioning  national      region
    5       112.0  commissioning    region       local
    >>> fr.value_at(50.0), fr.complete_below      # the instance's own budget is 50
    (17.5, True)
    """
    problems = []
    for name, v in (("--from", lower), ("--to", upper)):
        if v is not None and not (isinstance(v, int | float) and math.isfinite(v)):
            problems.append(Problem(None, name, None, v, "a finite budget"))
    if not problems and lower is not None and upper is not None and lower > upper:
        problems.append(Problem(None, "--from", None, lower,
                                f"a budget no larger than --to ({upper:g})"))
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
        problems.append(Problem(None, "max_steps", None, max_steps, "1 or more steps"))
    if problems:
        raise InstanceError(problems, subject="frontier")
    require_exact_backend(solver, "an exact frontier")

    t0 = time.perf_counter()
    r = resource_index(instance.with_scenario(scenario), resource)
    # placement solve's optimum at the instance's own budgets (there may be none: the
    # frontier shows where placements begin), and the scenario applied exactly as it applies it
    ref = solve(instance, solver, scenario=scenario, time_limit=time_limit)
    inst = ref.instance
    proven = ref.status is Status.OPTIMAL and ref.assignment is not None
    search = _Search(inst, r, solver, time_limit)
    sign = search.sign
    top = math.inf if upper is None else float(upper)
    bottom = -math.inf if lower is None else float(lower)
    steps: list[FrontierStep] = []
    prev = np.asarray(ref.assignment, dtype=np.int64) if proven else None
    budget = top
    eps_used = 0.0
    complete_below = False
    truncated = False
    while True:
        if len(steps) >= max_steps:
            truncated = True
            break
        raw = search.query(search.obj_value, budget, -math.inf)
        if raw.status is Status.INFEASIBLE:
            complete_below = True
            break
        a = search.assignment(raw)
        if steps and budget < steps[-1].budget_from and search.use(a) >= steps[-1].budget_from:
            # the solver's feasibility tolerance let a placement with the breakpoint's own
            # use through: step further below the breakpoint and ask again
            eps = (steps[-1].budget_from - budget) * 10.0
            if eps > _EPS_MAX * max(1.0, abs(steps[-1].budget_from)):
                raise AnalysisError("frontier: the solver keeps returning placements at the "
                                    f"breakpoint {steps[-1].budget_from:,.9g}; cannot step "
                                    "below it")
            budget = steps[-1].budget_from - eps
            eps_used = max(eps_used, eps / max(1.0, abs(steps[-1].budget_from)))
            continue
        v = sign * search.value(a)
        # 2. the least use reaching that value: the breakpoint
        raw2 = search.query(search.obj_use, budget, v - _tol(v))
        if raw2.status is Status.OPTIMAL:
            a2 = search.assignment(raw2)
            if sign * search.value(a2) >= v - 2 * _tol(v) and search.use(a2) <= search.use(a):
                a = a2
        use = search.use(a)
        # 3. among those, the fewest moves from the step above
        if prev is not None:
            raw3 = search.query(search.closest(prev), use, v - _tol(v))
            if raw3.status is Status.OPTIMAL:
                a3 = search.assignment(raw3)
                if (sign * search.value(a3) >= v - 2 * _tol(v)
                        and search.use(a3) <= use + 1e-12 * max(1.0, abs(use))):
                    a = a3
        value = search.value(a)
        use = search.use(a)
        if steps and sign * value >= sign * steps[-1].value - _tol(value):
            raise AnalysisError(f"frontier: value {value:,.9g} below the breakpoint "
                                f"{steps[-1].budget_from:,.9g} is not worse than above it")
        if steps:
            steps[-1].moves = moves_between(inst, a, steps[-1].assignment)
        to = top if not steps else steps[-1].budget_from
        steps.append(FrontierStep(use, to, value, a))
        prev = a
        if use <= bottom:
            break
        eps = _EPS0 * max(1.0, abs(use))
        eps_used = max(eps_used, _EPS0)
        budget = use - eps
    if not steps:
        if upper is not None:
            raise InstanceError.single(
                None, "--to", None, upper,
                f"a {resource} budget at which some placement exists (none fits {upper:g}; "
                "omit --to to see where placements begin)", subject="frontier")

        raise InfeasibleError(
            f"no placement at any {resource} budget: '{inst.name}' is infeasible for other "
            "reasons" + (f"\n{ref.diagnosis}" if ref.diagnosis is not None else ""),
            ref.diagnosis)
    res = inst.resources[r]
    return Frontier(
        instance=inst,
        resource=res.id,
        steps=steps,
        lower=lower,
        upper=upper,
        budget=res.budget,
        optimum=(ref.check.objective if proven and ref.check is not None else None),
        eps=eps_used,
        complete_below=complete_below,
        truncated=truncated,
        solves=search.solves,
        seconds=time.perf_counter() - t0,
        solver=solver,
    )
