"""Resources: what a placement consumes, with budgets and per-tier caps (docs/model.md
section 1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Resource"]


@dataclass(frozen=True)
class Resource:
    """Something placement consumes, with an optional total budget and per-tier caps."""

    id: str
    name: str
    unit: str = ""
    budget: float | None = None
    caps: Mapping[str, float] = field(default_factory=dict)
    estimate: bool = False
    description: str = ""
    source: str | None = None

