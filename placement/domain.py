"""Domain objects: tiers, criteria, scoring models, resources, functions, scenarios, instances.

Objects are frozen dataclasses. The function table is held column-wise in numpy arrays rather
than as one Python object per function, because instances reach 10^5-10^6 variables and every
model build must stay vectorised.

Tiers are ordered from most central (index 0) to most local (last index); that order is the
"rank" used by subsidiarity and by ``at_or_above`` links.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from placement.errors import InstanceError, Problem

__all__ = [
    "Sense",
    "Direction",
    "Source",
    "Tier",
    "Criterion",
    "ScoringModel",
    "Resource",
    "Functions",
    "Scenario",
    "Instance",
    "Link",
    "LinkKind",
    "LINK_KINDS",
    "MaxShare",
    "Coterminosity",
    "NO_TIER",
]

Sense = Literal["max", "min"]
Direction = Literal["up", "down"]
LinkKind = Literal["together", "coterminous", "at_or_above"]

#: The link kinds of MODEL.md section 4.
LINK_KINDS: tuple[str, ...] = ("together", "coterminous", "at_or_above")

#: Marker in integer tier-index arrays (``pinned``, ``current``) for "no tier".
NO_TIER = -1


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
    """A declarative scoring model: criteria with directions, weights and default curves."""

    id: str
    name: str
    criteria: tuple[Criterion, ...]
    description: str = ""
    path: Path | None = None

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)

    @property
    def weights(self) -> np.ndarray:
        return np.array([c.weight for c in self.criteria], dtype=float)

    def with_weights(self, weights: Mapping[str, float] | np.ndarray) -> ScoringModel:
        """Return a copy with some or all weights replaced.

        >>> from placement.domain import Criterion, ScoringModel
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


@dataclass(frozen=True)
class Link:
    """A requirement between two functions, or between a function and a geography.

    Parameters
    ----------
    id
        Identifier (scenarios remove links by id). Defaults to ``kind:function:other`` or
        ``kind:function:@geography``.
    kind
        ``together`` (same tier), ``coterminous`` (tiers with coterminosity at least
        ``kappa_min``) or ``at_or_above`` (``function`` at least as central as ``other``:
        its tier index is at most the other's).
    function, other
        Function ids. ``other`` is ``None`` when the link names a ``geography``.
    geography
        A geography (the ``geography`` of one or more tiers): ``function`` must sit at a tier
        coterminous with at least one tier of that geography (``coterminous`` links only).
    kappa_min
        Smallest coterminosity accepted (``coterminous`` links; 1 = clean nesting only).
    penalty
        ``None`` for a hard link. Otherwise the link is soft: the objective loses
        ``penalty`` when a ``together`` or ``at_or_above`` link is broken, and
        ``penalty * (1 - kappa)`` when a ``coterminous`` link is placed on a pair of tiers
        whose coterminosity ``kappa`` is below ``kappa_min``.
    where
        Where the link was declared (file and line or key), for messages.

    Examples
    --------
    >>> Link("l1", "together", "commissioning", "workforce").describe()
    'together(commissioning, workforce)'
    >>> Link("l2", "coterminous", "social_care", geography="local-government",
    ...      kappa_min=0.9, penalty=2.0).describe()
    'coterminous(social_care, geography local-government, kappa_min 0.9, soft 2)'
    """

    id: str
    kind: LinkKind
    function: str
    other: str | None = None
    geography: str | None = None
    kappa_min: float = 1.0
    penalty: float | None = None
    source: str | None = None
    where: str | None = None

    @property
    def hard(self) -> bool:
        return self.penalty is None

    @staticmethod
    def default_id(kind: str, function: str, other: str | None, geography: str | None) -> str:
        return f"{kind}:{function}:{other if other is not None else '@' + str(geography)}"

    def describe(self) -> str:
        """The link in the instance's own words, e.g. ``at_or_above(specialised, acute)``."""
        target = self.other if self.other is not None else f"geography {self.geography}"
        parts = [self.function, str(target)]
        if self.kind == "coterminous" and self.kappa_min != 1.0:
            parts.append(f"kappa_min {self.kappa_min:g}")
        if self.penalty is not None:
            parts.append(f"soft {self.penalty:g}")
        return f"{self.kind}({', '.join(parts)})"


@dataclass(frozen=True)
class MaxShare:
    """No tier holds more than ``share`` of the functions, or of a resource's running use.

    ``tier=None`` applies the limit to every tier. ``of`` is ``"functions"`` or a resource id.

    >>> MaxShare(0.5).describe()
    'max_share 0.5 of functions at every tier'
    """

    share: float
    tier: str | None = None
    of: str = "functions"
    where: str | None = None

    def describe(self, tier: str | None = None) -> str:
        at = tier or self.tier
        return f"max_share {self.share:g} of {self.of} at {at or 'every tier'}"


@dataclass(frozen=True, eq=False)
class Coterminosity:
    """Coterminosity kappa(t, t') between tiers (MODEL.md section 4), with its provenance.

    kappa(t, t') is the share of the population of the more local of the two tiers (the one
    later in the instance's tier order) living in units that lie wholly inside one unit of the
    other tier; 1 for a tier with itself and for a clean nesting. The matrix covers every
    declared tier (optional ones too), so scenarios that drop tiers keep it; ``NaN`` marks a
    pair nothing in the instance determines.

    Parameters
    ----------
    tier_ids
        Every declared tier, most central first.
    kappa
        (n, n) symmetric matrix, ``NaN`` = unknown.
    how
        For each entry, how it was obtained (given where, or computed from which table).
    geographies
        Geography name -> ids of the declared tiers belonging to it.

    Examples
    --------
    >>> import numpy as np
    >>> c = Coterminosity.given(("national", "region", "local"),
    ...                         {("region", "local"): 0.6, ("national", "local"): 1.0})
    >>> c.value("local", "region"), c.value("national", "national")
    (0.6, 1.0)
    >>> bool(np.isnan(c.value("national", "region")))
    True
    """

    tier_ids: tuple[str, ...]
    kappa: np.ndarray
    how: tuple[tuple[str, ...], ...]
    geographies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.tier_ids)}

    @classmethod
    def given(
        cls,
        tier_ids: Sequence[str],
        pairs: Mapping[tuple[str, str], float] | None = None,
        geographies: Mapping[str, Sequence[str]] | None = None,
    ) -> Coterminosity:
        """A matrix from explicit pairs (1 on the diagonal, ``NaN`` where not given)."""
        ids = tuple(tier_ids)
        n = len(ids)
        ix = {t: i for i, t in enumerate(ids)}
        k = np.full((n, n), np.nan)
        np.fill_diagonal(k, 1.0)
        how = [["same tier" if i == j else "unknown" for j in range(n)] for i in range(n)]
        for (a, b), v in (pairs or {}).items():
            i, j = ix[a], ix[b]
            k[i, j] = k[j, i] = float(v)
            how[i][j] = how[j][i] = "given"
        return cls(ids, k, tuple(tuple(r) for r in how),
                   {g: tuple(ts) for g, ts in (geographies or {}).items()})

    def value(self, a: str, b: str) -> float:
        """kappa between two tier ids (``NaN`` when unknown)."""
        return float(self.kappa[self.index[a], self.index[b]])

    def explain(self, a: str, b: str) -> str:
        """How kappa(a, b) was obtained."""
        return self.how[self.index[a]][self.index[b]]

    def matrix(self, tier_ids: Sequence[str]) -> np.ndarray:
        """The sub-matrix for ``tier_ids`` (tiers it does not know are unknown off the
        diagonal)."""
        n = len(tier_ids)
        out = np.full((n, n), np.nan)
        pos = np.array([self.index.get(t, -1) for t in tier_ids], dtype=np.int64)
        known = np.nonzero(pos >= 0)[0]
        out[np.ix_(known, known)] = self.kappa[np.ix_(pos[known], pos[known])]
        np.fill_diagonal(out, 1.0)
        return out

    def frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame (rows and columns: tier ids)."""
        return pd.DataFrame(self.kappa, index=pd.Index(self.tier_ids, name="tier"),
                            columns=list(self.tier_ids))


@dataclass(frozen=True, eq=False)
class Functions:
    """The function table, column-wise.

    Shapes: F functions, C criteria (of the instance's scoring model), T tiers, R resources.
    Tier references are integer indices into ``Instance.tiers`` (``NO_TIER`` = none).
    """

    ids: np.ndarray  # (F,) str
    names: np.ndarray  # (F,) str
    categories: np.ndarray  # (F,) str
    scores: np.ndarray  # (F, C) importance 0..5
    lo: np.ndarray  # (F, C) curve override, NaN = model default
    hi: np.ndarray  # (F, C) curve override, NaN = model default
    allowed: np.ndarray  # (F, T) bool
    pinned: np.ndarray  # (F,) int
    current: np.ndarray  # (F,) int
    fixed: np.ndarray  # (F, R) cost per unit of the tier (a minimum team in every unit)
    variable: np.ndarray  # (F, R) cost of the workload, independent of the tier
    move: np.ndarray  # (F, R) one-off cost when the function leaves its current tier
    metadata: pd.DataFrame | None = None  # extra columns (source, rationale, ...) by row

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @cached_property
    def index(self) -> dict[str, int]:
        return {fid: i for i, fid in enumerate(self.ids.tolist())}

    def replace(self, **changes: object) -> Functions:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides on an instance, and/or a fixed placement to evaluate.

    Attributes that are ``None`` (or empty) leave the instance as it is.
    """

    id: str
    name: str = ""
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)
    budgets: Mapping[str, float | None] = field(default_factory=dict)
    caps: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    pins: Mapping[str, str | None] = field(default_factory=dict)
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    enable_tiers: tuple[str, ...] = ()
    disable_tiers: tuple[str, ...] = ()
    max_moves: int | None = None
    clear_max_moves: bool = False
    placement: Mapping[str, str] | Literal["current"] | None = None
    source: str | None = None
    add_links: tuple[Link, ...] = ()
    remove_links: tuple[str, ...] = ()

    @property
    def optimises(self) -> bool:
        """Whether the scenario changes anything to optimise under (beyond a placement)."""
        return bool(
            self.weights or self.budgets or self.caps or self.pins or self.allowed
            or self.enable_tiers or self.disable_tiers or self.max_moves is not None
            or self.clear_max_moves or self.add_links or self.remove_links
        )


@dataclass(frozen=True, eq=False)
class Instance:
    """A placement problem: tiers, functions, resources, a scoring model and scenarios.

    Build one with :func:`placement.load` (instance directory), :meth:`from_frames` (pandas),
    or :func:`placement.io.orlib.read_gap` (OR-Library generalised assignment).

    ``values`` (F x T), when given, replaces scoring (OR-Library instances give costs to
    minimise this way). ``costs`` (F x T x R), when given, replaces the fixed/variable cost
    formula wherever it is not NaN.

    ``links`` are the function links of MODEL.md section 4, ``max_share`` the optional
    spread constraints of section 5, and ``coterminosity`` the kappa matrix between tiers
    (``None``: nothing known beyond kappa(t, t) = 1).
    """

    name: str
    tiers: tuple[Tier, ...]
    functions: Functions
    resources: tuple[Resource, ...] = ()
    model: ScoringModel | None = None
    sense: Sense = "max"
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
    def tier_index(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.tiers)}

    @property
    def model_id(self) -> str | None:
        return self.model.id if self.model is not None else None

    # -- derived tables ----------------------------------------------------------------
    @cached_property
    def value_matrix(self) -> np.ndarray:
        """v[f, t]: the value of placing function f at tier t (MODEL.md section 2)."""
        if self.values is not None:
            return np.asarray(self.values, dtype=float)
        from placement.scoring import value_matrix

        return value_matrix(self)

    @cached_property
    def cost_tensor(self) -> np.ndarray:
        """cost[f, t, r]: resource use of function f at tier t (fixed*units + variable)."""
        from placement.scoring import cost_tensor

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
        :func:`placement.scenarios.apply_scenario`.
        """
        from placement.scenarios import apply_scenario

        return apply_scenario(self, scenario)

    def functions_frame(self) -> pd.DataFrame:
        """The function table as a DataFrame indexed by function id."""
        from placement.io.frames import functions_to_frame

        return functions_to_frame(self)

    def tiers_frame(self) -> pd.DataFrame:
        """The tiers as a DataFrame indexed by tier id."""
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

    @classmethod
    def from_frames(
        cls,
        name: str,
        tiers: pd.DataFrame,
        functions: pd.DataFrame,
        *,
        model: ScoringModel | str | Path | None = None,
        resources: Sequence[Resource] | pd.DataFrame = (),
        sense: Sense = "max",
        description: str = "",
        max_moves: int | None = None,
        scenarios: Mapping[str, Scenario] | None = None,
        values: pd.DataFrame | None = None,
        links: Sequence[Link] = (),
        max_share: Sequence[MaxShare] = (),
        coterminosity: Coterminosity | Mapping[tuple[str, str], float] | None = None,
    ) -> Instance:
        """Build and validate an instance from pandas DataFrames.

        ``tiers`` has columns ``id`` (or an index), ``name``, ``units``, ``population`` and
        optionally ``geography``, ``optional``. ``functions`` has the columns of
        ``functions.csv`` (see docs/instance-format.md). ``values`` is an optional function x
        tier table replacing scoring. ``links``, ``max_share`` and ``coterminosity`` (a
        :class:`Coterminosity` or ``{(tier, tier): kappa}``) are validated like an instance
        directory's.

        Examples
        --------
        >>> import pandas as pd
        >>> from placement import Instance
        >>> tiers = pd.DataFrame({"id": ["national", "local"], "name": ["National", "Local"],
        ...                       "units": [1, 100], "population": [5e7, 5e5]})
        >>> funcs = pd.DataFrame({"id": ["regulation", "prevention"],
        ...                       "name": ["Regulation", "Prevention"],
        ...                       "economies_of_scale": [5, 1], "specialism": [5, 1],
        ...                       "standardisation": [5, 1], "local_knowledge": [0, 5],
        ...                       "national_interface": [3, 0]})
        >>> inst = Instance.from_frames("demo", tiers, funcs, model="design-card")
        >>> inst.n_functions, inst.n_tiers
        (2, 2)
        """
        from placement.io.frames import instance_from_frames

        return instance_from_frames(
            name,
            tiers,
            functions,
            model=model,
            resources=resources,
            sense=sense,
            description=description,
            max_moves=max_moves,
            scenarios=scenarios,
            values=values,
            links=links,
            max_share=max_share,
            coterminosity=coterminosity,
        )
