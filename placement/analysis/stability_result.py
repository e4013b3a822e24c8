"""What weight stability returns: :class:`WeightStability` (one instance, its tables and
JSON), :class:`CriterionStability` (one criterion's interval), :class:`StabilityEnd` (what
takes over beyond an end) and :class:`Line` (a placement's value as a line in one weight).

The intervals, and what "stays optimal" means, are defined in
:mod:`placement.analysis.stability`, which computes them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from placement.analysis.common import Move, describe_moves, header
from placement.model import Instance
from placement.util import dumps

__all__ = ["Line", "StabilityEnd", "CriterionStability", "WeightStability"]


@dataclass(frozen=True)
class Line:
    """A placement's objective as a function of one criterion's weight:
    ``intercept + slope * weight``.

    >>> Line(10.0, 2.0).at(1.5)
    13.0
    """

    intercept: float
    slope: float

    def at(self, weight: float) -> float:
        return self.intercept + self.slope * weight

    def meets(self, other: Line) -> float:
        """The weight at which the two lines cross (``inf`` when parallel)."""
        d = other.slope - self.slope
        if d == 0.0:
            return math.inf
        return (self.intercept - other.intercept) / d

    def to_dict(self) -> dict[str, float]:
        return {"intercept": self.intercept, "slope": self.slope}


@dataclass
class StabilityEnd:
    """What takes over just beyond one end of a stability interval.

    Attributes
    ----------
    weight
        The end itself.
    line
        Value line of the placement that is optimal just beyond the end.
    assignment
        That placement (tier index per function): among those on ``line``, one moving the
        fewest functions.
    moves
        The functions it places differently from the reported placement.
    """

    weight: float
    line: Line
    assignment: np.ndarray
    moves: list[Move]

    def to_dict(self) -> dict[str, Any]:
        return {"weight": self.weight, "line": self.line.to_dict(),
                "moves": [m.to_dict() for m in self.moves]}


@dataclass
class CriterionStability:
    """The stability interval of one criterion's weight; see :mod:`placement.analysis.stability`.

    ``below`` is ``None`` when the placement stays optimal down to weight 0, ``above`` when it
    stays optimal however large the weight grows (``upper = inf``).
    """

    criterion: str
    weight: float
    lower: float
    upper: float
    line: Line
    below: StabilityEnd | None
    above: StabilityEnd | None
    solves: int

    @property
    def knife_edge(self) -> bool:
        """Another optimum with a different line ties with the placement at the model's
        weight: any change of this weight in one direction picks another placement."""
        return (self.below is not None and self.lower >= self.weight) or (
            self.above is not None and self.upper <= self.weight)

    def contains(self, weight: float) -> bool:
        """Whether ``weight`` lies in the interval (ends included)."""
        return self.lower <= weight <= self.upper

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "weight": self.weight,
            "lower": self.lower,
            "upper": None if math.isinf(self.upper) else self.upper,
            "upper_unbounded": math.isinf(self.upper),
            "knife_edge": self.knife_edge,
            "line": self.line.to_dict(),
            "below": None if self.below is None else self.below.to_dict(),
            "above": None if self.above is None else self.above.to_dict(),
            "solves": self.solves,
        }


@dataclass
class WeightStability:
    """Stability intervals for the criteria of one instance (see
    :mod:`placement.analysis.stability`)."""

    instance: Instance
    objective: float
    assignment: np.ndarray
    criteria: list[CriterionStability]
    solver: str
    seconds: float
    solves: int = 0
    notes: list[str] = field(default_factory=list)

    def __getitem__(self, criterion: str) -> CriterionStability:
        for c in self.criteria:
            if c.criterion == criterion:
                return c
        raise KeyError(criterion)

    def frame(self) -> pd.DataFrame:
        """One row per criterion: weight, interval ends (and as multiples of the weight),
        what moves first below and above, whether the placement is on a knife edge."""
        rows = []
        for c in self.criteria:
            w = c.weight
            rows.append({
                "weight": w,
                "lower": c.lower,
                "upper": c.upper,
                "lower_ratio": c.lower / w if w > 0 else np.nan,
                "upper_ratio": c.upper / w if w > 0 else np.nan,
                "below_moves": "" if c.below is None else describe_moves(c.below.moves),
                "above_moves": "" if c.above is None else describe_moves(c.above.moves),
                "knife_edge": c.knife_edge,
                "solves": c.solves,
            })
        return pd.DataFrame(rows, index=pd.Index([c.criterion for c in self.criteria],
                                                 name="criterion"))

    def moves(self) -> pd.DataFrame:
        """One row per (criterion, end, function that moves there)."""
        rows = []
        for c in self.criteria:
            for end, e in (("lower", c.below), ("upper", c.above)):
                if e is not None:
                    rows += [{"criterion": c.criterion, "end": end, "weight": e.weight,
                              **m.to_dict()} for m in e.moves]
        return pd.DataFrame(rows, columns=["criterion", "end", "weight", "function", "from",
                                           "to"])

    def placement(self) -> pd.Series:
        """The placement whose stability is measured (tier id per function)."""
        inst = self.instance
        tids = np.array(inst.tier_ids, dtype=object)
        return pd.Series(tids[self.assignment], index=pd.Index(inst.function_ids,
                                                                 name="function"), name="tier")

    def to_dict(self) -> dict[str, Any]:
        inst = self.instance
        return {
            **header(inst, self.solver),
            "objective": self.objective,
            "placement": {str(k): str(v) for k, v in self.placement().items()},
            "criteria": [c.to_dict() for c in self.criteria],
            "solves": self.solves,
            "seconds": round(self.seconds, 6),
            "definition": "for each criterion, the weights (others fixed) at which the "
                          "reported placement is still an optimal placement; beyond each end "
                          "the placement described is strictly better",
        }

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.to_dict(), indent=indent)
