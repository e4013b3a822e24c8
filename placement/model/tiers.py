"""Tiers: the levels of governance a function can sit at (docs/model.md section 1).

Tiers are ordered from most central (index 0) to most local (last index); that order is the
"rank" used by subsidiarity and by ``at_or_above`` links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Tier", "NO_TIER"]

#: Marker in integer tier-index arrays (``pinned``, ``current``) for "no tier".
NO_TIER = -1


@dataclass(frozen=True)
class Tier:
    """A level of governance.

    Parameters
    ----------
    id, name
        Identifier used in files and a human name.
    units
        How many bodies exist at this tier (1 for national, 42 for integrated care boards).
    population
        Typical population served by one unit: the value scoring uses.
    geography
        Which boundary set the units belong to (e.g. ``"nhs"``, ``"local-government"``).
    total_population
        Population covered by all units together, where known (from a geography table).
    optional
        Optional tiers (e.g. combined authorities, which cover only part of England) take part
        only in scenarios that enable them.
    performance
        Explicit performance per criterion (0..1) replacing the population ramp for this tier.
    """

    id: str
    name: str
    units: int
    population: float
    geography: str | None = None
    total_population: float | None = None
    optional: bool = False
    performance: Mapping[str, float] = field(default_factory=dict)
    source: str | None = None
    description: str = ""

