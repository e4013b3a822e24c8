"""The instance: tiers, functions, resources, a scoring model, links and scenarios (docs/model.md
section 1), with the tables derived from them (values, costs, coterminosity between the active
tiers)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from placement.model.area_rules import allowed_units, current_tiers, pinned_units
from placement.model.coterminosity import Coterminosity
from placement.model.functions import Functions, functions_to_frame
from placement.model.geography import Geography
from placement.model.links import Link, MaxShare
from placement.model.overrides import Overrides
from placement.model.resources import Resource
from placement.model.scenario import Scenario, apply_scenario
from placement.model.scoring import cost_tensor, served_shares, value_matrix
from placement.model.scoring_model import ScoringModel
from placement.model.sense import Sense
from placement.model.tiers import Tier
from placement.model.units import UnitLayout, unit_layout

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Instance", "Source"]


@dataclass(frozen=True)
class Source:
    """A document an instance cites (seed file and section, a table, a web page)."""

    id: str
    title: str = ""
    file: str | None = None
    section: str | None = None
    url: str | None = None

    def __str__(self) -> str:
        parts = [self.title or self.id]
        if self.file:
            parts.append(self.file)
        if self.section:
            parts.append(f"section {self.section}")
        if self.url:
            parts.append(self.url)
        return ", ".join(parts)



@dataclass(frozen=True, eq=False)
class Instance:
    """A placement problem: tiers, functions, resources, a scoring model and scenarios.

    Build one with :func:`placement.load` (instance directory), :func:`placement.from_frames`
    (pandas), or :func:`placement.io.orlib.read_gap` (OR-Library generalised assignment).

    ``values`` (F x T), when given, replaces scoring (OR-Library instances give costs to
    minimise this way). ``costs`` (F x T x R), when given, replaces the fixed/variable cost
    formula wherever it is not NaN.

    ``links`` are the function links of docs/model.md section 4, ``max_share`` the optional
    spread constraints of section 5, and ``coterminosity`` the kappa matrix between tiers
    (``None``: nothing known beyond kappa(t, t) = 1). ``palette_tiers`` are the tiers of the
    instance as loaded, before a scenario dropped some: charts colour tiers in that order, so a
    tier keeps its colour in every option. ``overrides`` are the judgements changed for this
    run (``--weight``, ``--set``: :func:`placement.io.overrides.apply_overrides`).
    """

    name: str
    tiers: tuple[Tier, ...]
    functions: Functions
    resources: tuple[Resource, ...] = ()
    model: ScoringModel | None = None
    sense: Sense = Sense.MAX
    description: str = ""
    sources: tuple[Source, ...] = ()
    max_moves: int | None = None
    scenarios: Mapping[str, Scenario] = field(default_factory=dict)
    values: np.ndarray | None = None
    costs: np.ndarray | None = None
    path: Path | None = None
    scenario: str | None = None
    format: str = "placement/1"
    warnings: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    max_share: tuple[MaxShare, ...] = ()
    coterminosity: Coterminosity | None = None
    geography: Geography | None = None
    palette_tiers: tuple[str, ...] = ()
    overrides: Overrides = field(default_factory=Overrides)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sense", Sense(self.sense))

    # -- sizes and lookups -------------------------------------------------------------
    @property
    def n_functions(self) -> int:
        return len(self.functions)

    @property
    def n_tiers(self) -> int:
        return len(self.tiers)

    @property
    def tier_ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.tiers)

    @property
    def function_ids(self) -> np.ndarray:
        return self.functions.ids

    @property
    def resource_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.resources)

    @cached_property
    def units(self) -> UnitLayout:
        """The units of the active tiers over the areas (docs/model.md section 9): one unit
        per tier, over one area, when the instance has no areas."""
        return unit_layout(self.tiers, self.geography)

    @cached_property
    def current_by_area(self) -> np.ndarray:
        """(F, A) today's tier of each function in each area (``NO_TIER``: none)."""
        return current_tiers(self)

    @cached_property
    def unit_allowed(self) -> np.ndarray:
        """(F, U) whether unit u may hold function f (allowed tiers and availability)."""
        return allowed_units(self)

    @cached_property
    def unit_pins(self) -> np.ndarray:
        """(F, U) 1 where a pin fixes function f at unit u."""
        return pinned_units(self)

    @property
    def per_area(self) -> bool:
        """Whether functions may sit at different tiers in different areas."""
        return self.geography is not None

    @property
    def n_units(self) -> int:
        return self.units.n_units

    @property
    def n_areas(self) -> int:
        return self.units.n_areas

    @cached_property
    def tier_index(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.tiers)}

    @property
    def model_id(self) -> str | None:
        return self.model.id if self.model is not None else None

    # -- derived tables ----------------------------------------------------------------
    @cached_property
    def value_matrix(self) -> np.ndarray:
        """v[f, u]: the value of function f at unit u (docs/model.md sections 2 and 9); in the
        single-area case u = t, the value of f at tier t."""
        if self.values is not None:
            given = np.asarray(self.values, dtype=float)[:, self.units.unit_tier]
            return given * served_shares(self) if self.per_area else given
        return value_matrix(self)

    @cached_property
    def cost_tensor(self) -> np.ndarray:
        """cost[f, u, r]: resource use of function f at unit u (fixed * bodies + variable *
        served share); in the single-area case, at tier t (fixed * units + variable)."""
        return cost_tensor(self)

    @cached_property
    def kappa(self) -> np.ndarray:
        """kappa[t, t'] between the instance's (active) tiers; ``NaN`` where unknown."""
        if self.coterminosity is None:
            k = np.full((self.n_tiers, self.n_tiers), np.nan)
            np.fill_diagonal(k, 1.0)
            return k
        return self.coterminosity.matrix(self.tier_ids)

    def geography_tiers(self, geography: str) -> tuple[str, ...]:
        """Ids of the tiers of a geography: every declared tier with that ``geography``,
        including tiers a scenario has dropped (the boundaries exist all the same)."""
        if self.coterminosity is not None and geography in self.coterminosity.geographies:
            return tuple(self.coterminosity.geographies[geography])
        return tuple(t.id for t in self.tiers if t.geography == geography)

    def geography_kappa(self, geography: str) -> np.ndarray:
        """(T,) for each active tier, its best coterminosity with a tier of ``geography``:
        ``max`` over the geography's tiers; ``NaN`` if any of them is unknown."""
        members = self.geography_tiers(geography)
        if not members:
            return np.full(self.n_tiers, np.nan)
        full = self.coterminosity
        k = np.full((self.n_tiers, len(members)), np.nan)
        for j, g in enumerate(members):
            for i, t in enumerate(self.tier_ids):
                if t == g:
                    k[i, j] = 1.0
                elif full is not None and t in full.index and g in full.index:
                    k[i, j] = full.value(t, g)
        out: np.ndarray = np.where(np.isnan(k).any(axis=1), np.nan,
                                   np.max(np.nan_to_num(k, nan=-1.0), axis=1))
        return out

    def replace(self, **changes: object) -> Instance:
        """A copy with fields replaced (derived tables are recomputed)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def with_scenario(self, scenario: str | Scenario | None) -> Instance:
        """The instance with a scenario's overrides applied (``None`` returns it unchanged).

        Optional tiers not enabled by the scenario are dropped. See
        :func:`placement.model.scenario.apply_scenario`.
        """
        return apply_scenario(self, scenario)

    def functions_frame(self) -> pd.DataFrame:
        """The function table as a DataFrame indexed by function id."""
        return functions_to_frame(self)

    def tiers_frame(self) -> pd.DataFrame:
        """The tiers as a DataFrame indexed by tier id."""
        import pandas as pd  # lazy: loading and solving never need pandas

        return pd.DataFrame(
            {
                "name": [t.name for t in self.tiers],
                "units": [t.units for t in self.tiers],
                "population": [t.population for t in self.tiers],
                "total_population": [t.total_population for t in self.tiers],
                "geography": [t.geography for t in self.tiers],
                "optional": [t.optional for t in self.tiers],
            },
            index=pd.Index(self.tier_ids, name="tier"),
        )
