"""Coterminosity between tiers, kappa(t, t') in 0..1 (docs/model.md section 4), from membership.

A *membership table* splits the country into pieces (e.g. the 166 pieces of
``data/geography/utla_icb_split.csv``: each upper-tier authority, or the part of it inside one
integrated care board), each with a population. Every tier with a membership column names, for
each piece, the unit of that tier holding it (blank: no unit of the tier covers the piece, as
for combined authorities, which cover only part of England).

For two tiers, the more local one being the one later in the tier order::

    kappa(t, t') = population of the units of the more local tier that lie wholly inside one
                   unit of the other  /  population of all units of the more local tier

A unit lies wholly inside another when every piece of it belongs to that same other unit
(a piece not covered by the other tier at all breaks it). kappa(t, t) = 1. The numeric kernel
(:func:`nesting`) is whole-array numpy; nothing loops over pieces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Coterminosity", "NestingCount", "TierMembership", "nesting", "from_membership",
           "GivenKappa"]


@dataclass(frozen=True, eq=False)
class Coterminosity:
    """Coterminosity kappa(t, t') between tiers (docs/model.md section 4), with its provenance.

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
        import pandas as pd  # lazy: solving never needs pandas

        return pd.DataFrame(self.kappa, index=pd.Index(self.tier_ids, name="tier"),
                            columns=list(self.tier_ids))



@dataclass(frozen=True)
class NestingCount:
    """How the units of a more local tier sit inside the units of another.

    ``kappa`` is ``population_inside / population`` (``NaN`` when the local tier covers no
    population in the table); ``split`` holds the codes of the units not wholly inside one
    unit of the other tier, largest population first.
    """

    kappa: float
    units: int
    inside: int
    population: float
    population_inside: float
    split: np.ndarray


@dataclass(frozen=True)
class TierMembership:
    """Which unit of one tier holds each piece of a membership table.

    ``codes`` is (n_pieces,) int: an index into ``labels`` (the unit's name), ``-1`` where no
    unit of the tier covers the piece. ``column`` says where the codes came from.
    """

    tier: str
    codes: np.ndarray
    labels: np.ndarray
    column: str

    @classmethod
    def from_column(cls, tier: str, values: Sequence[str], column: str,
                    names: Sequence[str] | None = None) -> TierMembership:
        """Codes from a column of unit identifiers (blank = no unit); ``names`` optionally
        gives a readable name per piece (the first one seen names the unit).

        >>> m = TierMembership.from_column("ics", ["A", "A", "B", ""], "icb_code")
        >>> m.codes.tolist(), m.labels.tolist()
        ([0, 0, 1, -1], ['A', 'B'])
        """
        vals = np.array([str(v).strip() for v in values], dtype=object)
        blank = vals == ""
        uniq, first, inv = np.unique(vals[~blank].astype(str), return_index=True,
                                     return_inverse=True)
        codes = np.full(vals.shape[0], -1, dtype=np.int64)
        codes[~blank] = inv
        labels = uniq.astype(object)
        if names is not None:
            nm = np.array([str(x).strip() for x in names], dtype=object)[~blank][first]
            labels = np.where(nm != "", nm, labels)
        return cls(tier, codes, labels, column)

    @classmethod
    def everything(cls, tier: str, n_pieces: int) -> TierMembership:
        """One unit holding every piece (a national tier)."""
        return cls(tier, np.zeros(n_pieces, dtype=np.int64), np.array(["all"], dtype=object),
                   "one unit holding every piece")

    @property
    def n_units(self) -> int:
        return int(self.labels.shape[0])


def nesting(inner: np.ndarray, outer: np.ndarray, weight: np.ndarray,
            n_inner: int | None = None) -> NestingCount:
    """Share of the population of the ``inner`` tier's units lying wholly inside one unit of
    the ``outer`` tier.

    Parameters
    ----------
    inner, outer
        (n,) unit codes of each piece (``-1``: the tier does not cover the piece).
    weight
        (n,) population of each piece.
    n_inner
        Number of units of the inner tier (default: largest code + 1).

    Examples
    --------
    Two pieces make unit 0 of the inner tier, both in outer unit 0; unit 1 is split between
    outer units 0 and 1:

    >>> import numpy as np
    >>> c = nesting(np.array([0, 0, 1, 1]), np.array([0, 0, 0, 1]),
    ...             np.array([10.0, 20.0, 5.0, 5.0]))
    >>> round(c.kappa, 4), c.inside, c.units, c.split.tolist()
    (0.75, 1, 2, [1])
    """
    inner = np.asarray(inner, dtype=np.int64)
    outer = np.asarray(outer, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    n = int(inner.max(initial=-1)) + 1 if n_inner is None else int(n_inner)
    valid = inner >= 0
    inn, out, w = inner[valid], outer[valid], weight[valid]
    pop = np.bincount(inn, weights=w, minlength=n)
    present = np.bincount(inn, minlength=n) > 0
    big = np.iinfo(np.int64).max
    lo = np.full(n, big, dtype=np.int64)
    hi = np.full(n, -2, dtype=np.int64)
    np.minimum.at(lo, inn, out)
    np.maximum.at(hi, inn, out)
    inside = present & (lo == hi) & (lo >= 0)
    total = float(pop[present].sum())
    within = float(pop[inside].sum())
    split = np.nonzero(present & ~inside)[0]
    split = split[np.argsort(-pop[split], kind="stable")]
    return NestingCount(
        kappa=within / total if total > 0 else float("nan"),
        units=int(present.sum()),
        inside=int(inside.sum()),
        population=total,
        population_inside=within,
        split=split,
    )


@dataclass(frozen=True)
class GivenKappa:
    """A kappa given explicitly in the instance, and where."""

    value: float
    where: str
    source: str | None = None


def _fmt_pop(x: float) -> str:
    return f"{x:,.0f}"


def from_membership(
    tier_ids: Sequence[str],
    memberships: Mapping[str, TierMembership],
    weight: np.ndarray | None,
    table: str,
    given: Mapping[tuple[str, str], GivenKappa] | None = None,
    geographies: Mapping[str, Sequence[str]] | None = None,
) -> Coterminosity:
    """The kappa matrix of ``tier_ids`` (in tier order) from membership and given values.

    Given values win over computed ones (the explanation keeps the computed value); pairs
    neither given nor computable stay ``NaN``.

    Examples
    --------
    >>> import numpy as np
    >>> m = {"national": TierMembership.everything("national", 3),
    ...      "region": TierMembership.from_column("region", ["N", "N", "S"], "region"),
    ...      "local": TierMembership.from_column("local", ["a", "b", "b"], "local")}
    >>> c = from_membership(["national", "region", "local"], m, np.array([1.0, 1.0, 2.0]),
    ...                     "pieces.csv")
    >>> c.value("region", "local"), c.value("national", "local")
    (0.25, 1.0)
    >>> print(c.explain("local", "region"))  # doctest: +NORMALIZE_WHITESPACE
    computed from pieces.csv: 1 of 2 local units (1 of 4 people) lie wholly inside one
    region unit; not inside: b
    """
    ids = tuple(tier_ids)
    n = len(ids)
    kappa = np.full((n, n), np.nan)
    np.fill_diagonal(kappa, 1.0)
    how = [["same tier" if i == j else "unknown: not given, and no membership table covers "
            "both tiers" for j in range(n)] for i in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            a, b = ids[i], ids[j]  # b is the more local tier
            if a in memberships and b in memberships and weight is not None:
                inner, outer = memberships[b], memberships[a]
                c = nesting(inner.codes, outer.codes, weight, inner.n_units)
                if np.isnan(c.kappa):
                    text = (f"unknown: no piece of {table} belongs to a {b} unit "
                            f"({inner.column})")
                else:
                    shown = ", ".join(str(inner.labels[k]) for k in c.split[:6])
                    more = f" and {c.split.shape[0] - 6} more" if c.split.shape[0] > 6 else ""
                    text = (f"computed from {table}: {c.inside} of {c.units} {b} units "
                            f"({_fmt_pop(c.population_inside)} of {_fmt_pop(c.population)} "
                            f"people) lie wholly inside one {a} unit")
                    if c.split.shape[0]:
                        text += f"; not inside: {shown}{more}"
                kappa[i, j] = kappa[j, i] = c.kappa
                how[i][j] = how[j][i] = text
    for (a, b), g in (given or {}).items():
        i, j = ids.index(a), ids.index(b)
        text = f"given in {g.where}" + (f" ({g.source})" if g.source else "")
        if not np.isnan(kappa[i, j]) and i != j:
            text += f"; the membership table would give {kappa[i, j]:.4f}"
        kappa[i, j] = kappa[j, i] = g.value
        how[i][j] = how[j][i] = text
    return Coterminosity(ids, kappa, tuple(tuple(r) for r in how),
                         {k: tuple(v) for k, v in (geographies or {}).items()})
