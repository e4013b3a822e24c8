"""What ``explain`` returns: :class:`Explanation` (one function: its tiers, criterion
contributions, what else moves, resource consequences, as tables and JSON) and
:class:`TierOption` (the function at one tier), with the words for a tier's status, which
:mod:`placement.analysis.forcing` reports too.

The forcing cost, the runner-up and "what else moves" are defined in
:mod:`placement.analysis.explain`, which computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from placement.analysis.common import Move, describe_moves, header
from placement.model import Instance
from placement.model.scoring import contributions
from placement.util import dumps

if TYPE_CHECKING:
    from placement.solution.result import Result

__all__ = ["TierOption", "Explanation", "CHOSEN", "FORCED", "INFEASIBLE", "NOT_ALLOWED",
           "PINNED"]

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
    """Why one function sits at its tier; see :mod:`placement.analysis.explain`.

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
