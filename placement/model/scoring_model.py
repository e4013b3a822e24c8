"""Scoring models: criteria with directions, weights and default performance curves
(docs/model.md section 2)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from placement.errors import InstanceError, Problem

__all__ = ["Direction", "Criterion", "ScoringModel"]

Direction = Literal["up", "down"]


@dataclass(frozen=True)
class Criterion:
    """A reason a function benefits from a tier, with its default performance ramp.

    ``direction="up"`` means larger populations perform better (economies of scale,
    specialism, standardisation); ``"down"`` means smaller ones do (local knowledge). The ramp
    runs in log-population from ``lo`` (performance 0 for "up") to ``hi`` (performance 1).
    """

    id: str
    name: str
    direction: Direction
    weight: float
    lo: float
    hi: float
    description: str = ""
    source: str | None = None


@dataclass(frozen=True, eq=False)
class ScoringModel:
    """A declarative scoring model: criteria with directions, weights and default curves.

    ``heterogeneity`` is eta of docs/model.md section 9 (0: not counted): a unit whose people
    differ more loses ``eta * s[f, heterogeneity_criterion] * h_u`` of each function's value
    there, in proportion to the share of the function's people it serves (Oates).
    """

    id: str
    name: str
    criteria: tuple[Criterion, ...]
    description: str = ""
    path: Path | None = None
    heterogeneity: float = 0.0
    heterogeneity_criterion: str | None = None

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)

    @property
    def weights(self) -> np.ndarray:
        """The weights as an array, in the order of :attr:`criterion_ids` (for arithmetic);
        :attr:`weight_of` gives them by criterion."""
        return np.array([c.weight for c in self.criteria], dtype=float)

    @property
    def weight_of(self) -> dict[str, float]:
        """The weights by criterion id, in the model's order.

        >>> from placement.io.models import load_model
        >>> load_model("tiny-ramp").weight_of
        {'scale': 1.0, 'local': 1.0}
        """
        return {c.id: float(c.weight) for c in self.criteria}

    def with_weights(self, weights: Mapping[str, float] | np.ndarray) -> ScoringModel:
        """Return a copy with some or all weights replaced.

        >>> from placement.model import Criterion, ScoringModel
        >>> m = ScoringModel("m", "m", (Criterion("a", "A", "up", 1.0, 1e3, 1e6),))
        >>> m.with_weights({"a": 2.0}).weights.tolist()
        [2.0]
        """
        if isinstance(weights, np.ndarray):
            if weights.shape != (len(self.criteria),):
                raise ValueError(
                    f"expected {len(self.criteria)} weights, got shape {weights.shape}"
                )
            new = {c.id: float(w) for c, w in zip(self.criteria, weights, strict=True)}
        else:
            unknown = set(weights) - set(self.criterion_ids)
            if unknown:
                raise InstanceError(
                    [
                        Problem(
                            None,
                            None,
                            "weights",
                            u,
                            f"a criterion of model '{self.id}' ({', '.join(self.criterion_ids)})",
                        )
                        for u in sorted(unknown)
                    ]
                )
            new = dict(weights)
        crit = tuple(
            dataclasses.replace(c, weight=float(new[c.id])) if c.id in new else c
            for c in self.criteria
        )
        return dataclasses.replace(self, criteria=crit)

