"""What the constraint families of a build share: the instance, the builder, the value and cost
tables, the units, the rows an infeasibility diagnosis may relax, and the placement columns.

The placement columns are y[f, u], function-major (column ``f * U + u``): function f is done by
unit u for all of its areas (docs/model.md section 9). In the single-area case the units are
the tiers, and y[f, t] is the uniform model's x[f, t].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from placement.milp.builder import FormBuilder
from placement.model.instance import Instance
from placement.model.units import UnitLayout

__all__ = ["RelaxableRows", "BuildContext", "Family", "x_columns", "x_labeler", "slack_scale"]


@dataclass(frozen=True)
class RelaxableRows:
    """Rows an elastic re-solve may relax, in groups that share one slack.

    Attributes
    ----------
    kind
        ``budget``, ``cap``, ``max_moves``, ``max_share`` or ``link``.
    rows
        Global row indices.
    group
        Group of each row (0 .. len(subjects) - 1).
    subjects
        What each group is in the instance's words (resource id, ``tier,resource``, link id).
    limits
        Each group's limit as the instance states it (budget, cap, max_moves, share, 0).
    sense
        +1 when the rows read ``<= upper`` (a slack raises the upper bound); -1 for ``>=``.
    scales
        What a slack is divided by in the elastic objective (the size of the limit).
    """

    kind: str
    rows: np.ndarray
    group: np.ndarray
    subjects: list[str]
    limits: np.ndarray
    sense: int
    scales: np.ndarray


@dataclass
class BuildContext:
    """What constraint families share while one form is built."""

    instance: Instance
    builder: FormBuilder
    values: np.ndarray  # (F, U)
    costs: np.ndarray  # (F, U, R)
    relaxable: list[RelaxableRows] = field(default_factory=list)

    @property
    def layout(self) -> UnitLayout:
        return self.instance.units

    def relax(self, kind: str, start: int, n_rows: int, group: np.ndarray,
              subjects: Sequence[str], limits: Sequence[float], sense: int,
              scales: Sequence[float]) -> None:
        """Record rows ``start .. start + n_rows - 1`` as relaxable (see RelaxableRows)."""
        self.relaxable.append(RelaxableRows(
            kind, np.arange(start, start + n_rows, dtype=np.int64),
            np.asarray(group, dtype=np.int64), list(subjects),
            np.asarray(limits, dtype=float), sense, np.asarray(scales, dtype=float)))

    @property
    def objective_sign(self) -> float:
        """+1 when the objective is maximised: penalties enter with minus this sign."""
        return self.instance.sense.sign

    @property
    def F(self) -> int:
        return self.instance.n_functions

    @property
    def T(self) -> int:
        return self.instance.n_tiers

    @property
    def U(self) -> int:
        return self.layout.n_units

    @property
    def A(self) -> int:
        return self.layout.n_areas

    @property
    def area_weight(self) -> np.ndarray:
        """(A,) each area's share of the people: how much of a function it is."""
        p = self.layout.area_population
        return p / p.sum()

    @property
    def unit_weight(self) -> np.ndarray:
        """(U,) each unit's share of the people (1 for every tier in the single-area case)."""
        layout = self.layout
        return layout.unit_people / layout.area_population.sum()


Family = Callable[[BuildContext], None]


def x_columns(U: int, f: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Column index of y[f, u] (function-major; x[f, t] with U = T in the single-area case)."""
    return np.asarray(f, dtype=np.int64) * U + np.asarray(u, dtype=np.int64)


def x_labeler(inst: Instance) -> Callable[[np.ndarray], list[str]]:
    """``x[function,tier]`` in the single-area case, ``y[function,tier:unit]`` per area."""
    ids = inst.functions.ids
    layout = inst.units
    U = layout.n_units
    if layout.per_area:
        tiers = layout.tier_ids
        names = [f"{tiers[t]}:{c}" for t, c in zip(layout.unit_tier.tolist(),
                                                   layout.unit_code.tolist(), strict=True)]

        def label_units(idx: np.ndarray) -> list[str]:
            return [f"y[{ids[i // U]},{names[i % U]}]" for i in idx.tolist()]

        return label_units
    tier_ids = inst.tier_ids

    def label(idx: np.ndarray) -> list[str]:
        return [f"x[{ids[i // U]},{tier_ids[i % U]}]" for i in idx.tolist()]

    return label




def slack_scale(limit: float) -> float:
    """What a slack on a limit is divided by in the elastic objective: the limit's size."""
    return abs(limit) if abs(limit) > 0 else 1.0
