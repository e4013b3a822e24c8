"""What the budget frontier returns: :class:`Frontier`, its steps as tables, JSON and a chart,
and :class:`FrontierStep`, one step of it.

The steps are defined (what ``budget_from``, ``budget_to`` and ``value`` mean, and how exact
they are) in :mod:`placement.analysis.frontier`; :mod:`placement.analysis.frontier_search`
computes them. Steps are stored from the largest budget down, as the search finds them; the
tables and the chart read them in ascending budget.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placement.analysis.common import Move, describe_moves, header
from placement.model import Instance, Sense
from placement.util import json_safe
from placement.util.files import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["FrontierStep", "Frontier"]


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
    """The outcome of :func:`~placement.analysis.frontier.frontier`; the steps are defined in
    :mod:`placement.analysis.frontier`.

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
        return json.dumps(self.to_dict(), indent=indent)

    def figure(self, points: Mapping[str, tuple[float, float]] | None = None) -> Figure:
        """The frontier as a matplotlib figure (no pyplot: safe in any backend or thread).

        ``points`` marks other placements by their ``(use, value)``, e.g. the status quo: one
        below the frontier could reach the frontier's value with the same budget."""
        # matplotlib only when a chart is drawn: it is slow to import and most runs draw none
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
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # as in figure()

        path = Path(path)
        fig = self.figure()
        FigureCanvasAgg(fig)
        with atomic_path(path, suffix=".png") as tmp:
            fig.savefig(tmp, format="png")
        return path

    def __str__(self) -> str:
        lines = [f"frontier of {self.instance.name} against the {self.resource} budget: "
                 f"{len(self.steps)} steps"]
        for s in self.steps[::-1]:
            to = "inf" if math.isinf(s.budget_to) else f"{s.budget_to:,.6g}"
            lines.append(f"  [{s.budget_from:,.6g}, {to}): {s.value:,.6g}")
        return "\n".join(lines)
