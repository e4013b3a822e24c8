"""What the constraint families of a build share: the instance, the builder, the value and cost
tables, the rows an infeasibility diagnosis may relax, and the assignment columns x[f, t]."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from placement.milp.builder import FormBuilder
from placement.model.instance import Instance

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
    values: np.ndarray  # (F, T)
    costs: np.ndarray  # (F, T, R)
    relaxable: list[RelaxableRows] = field(default_factory=list)

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


Family = Callable[[BuildContext], None]


def x_columns(T: int, f: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Column index of x[f, t] (function-major)."""
    return np.asarray(f, dtype=np.int64) * T + np.asarray(t, dtype=np.int64)


def x_labeler(inst: Instance) -> Callable[[np.ndarray], list[str]]:
    ids = inst.functions.ids
    tiers = inst.tier_ids
    T = inst.n_tiers

    def label(idx: np.ndarray) -> list[str]:
        return [f"x[{ids[i // T]},{tiers[i % T]}]" for i in idx.tolist()]

    return label




def slack_scale(limit: float) -> float:
    """What a slack on a limit is divided by in the elastic objective: the limit's size."""
    return abs(limit) if abs(limit) > 0 else 1.0
