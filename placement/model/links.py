"""Links between functions (docs/model.md section 4) and spread limits (section 5).

A :class:`Link` requires two functions to sit at the same tier (``together``), at tiers whose
coterminosity reaches ``kappa_min`` (``coterminous``), or the first at least as central as the
second (``at_or_above``); a ``coterminous`` link may instead name a geography. A link with a
``penalty`` is soft: broken, it costs the objective instead of being forbidden.
:class:`MaxShare` caps the share of functions (or of a resource) one tier may hold.
:func:`kappa_problems` lists the coterminous links an instance cannot evaluate because nothing
gives the coterminosity they need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, cast

import numpy as np

from placement.errors import Problem

if TYPE_CHECKING:
    from placement.model.instance import Instance

__all__ = ["Link", "LinkKind", "LINK_KINDS", "MaxShare", "kappa_problems", "split_where"]

LinkKind = Literal["together", "coterminous", "at_or_above"]

#: The link kinds of docs/model.md section 4.
LINK_KINDS: tuple[str, ...] = ("together", "coterminous", "at_or_above")


@dataclass(frozen=True)
class Link:
    """A requirement between two functions, or between a function and a geography.

    Parameters
    ----------
    id
        Identifier (scenarios remove links by id), optional. Defaults to
        ``kind:function:other`` or ``kind:function:@geography``.
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
    >>> Link(kind="at_or_above", function="specialised", other="acute").id
    'at_or_above:specialised:acute'
    >>> Link("l2", "coterminous", "social_care", geography="local-government",
    ...      kappa_min=0.9, penalty=2.0).describe()
    'coterminous(social_care, geography local-government, kappa_min 0.9, soft 2)'
    """

    # id may be left out (the format calls it optional): positional use stays
    # Link(id, kind, function, other), and Link(kind=..., function=..., other=...) works too
    id: str = ""
    kind: LinkKind = cast(LinkKind, "")
    function: str = ""
    other: str | None = None
    geography: str | None = None
    kappa_min: float = 1.0
    penalty: float | None = None
    source: str | None = None
    where: str | None = None

    def __post_init__(self) -> None:
        if not self.kind or not self.function:
            missing = [k for k in ("kind", "function") if not getattr(self, k)]
            raise TypeError(f"Link() needs {' and '.join(missing)}, e.g. Link(kind='together',"
                            " function='a', other='b')")
        if not self.id:
            object.__setattr__(self, "id", self.default_id(self.kind, self.function, self.other,
                                                           self.geography))

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



def split_where(where: str | None) -> tuple[str | None, str | None]:
    """("links.csv", "line 3") from "links.csv line 3"; TOML keys stay whole."""
    if where is None:
        return None, None
    if " line " in where:
        f, _, line = where.rpartition(" line ")
        return f, f"line {line}"
    if ": " in where:
        f, _, key = where.partition(": ")
        return f, key
    return None, where


def kappa_problems(inst: Instance) -> list[Problem]:
    """Coterminous links that need a kappa nothing in the instance gives.

    A coterminous link between f and g needs kappa(t, t') for every tier t f may take and every
    tier t' g may take; a link to a geography needs kappa between every tier f may take and
    every tier of the geography.

    >>> import placement
    >>> from placement.model import Link
    >>> inst = placement.load("instances/tiny-budget")
    >>> bad = inst.replace(links=(Link("l", "coterminous", "prevention", "workforce"),))
    >>> print(kappa_problems(bad)[0].expected.split(";")[0])
    coterminosity for every pair of tiers the link can take
    """
    out: list[Problem] = []
    fn = inst.functions
    fix = fn.index
    K = inst.kappa
    tids = inst.tier_ids
    for link in inst.links:
        if link.kind != "coterminous" or link.function not in fix:
            continue
        file, where = split_where(link.where)
        f = fix[link.function]
        if link.other is not None:
            if link.other not in fix:
                continue
            g = fix[link.other]
            need = fn.allowed[f][:, None] & fn.allowed[g][None, :] & np.isnan(K)
            pairs = [(tids[i], tids[j]) for i, j in zip(*np.nonzero(need), strict=True)]
        else:
            assert link.geography is not None
            kg = inst.geography_kappa(link.geography)
            members = inst.geography_tiers(link.geography)
            pairs = [(tids[i], "/".join(members)) for i in
                     np.nonzero(fn.allowed[f] & np.isnan(kg))[0].tolist()]
        if pairs:
            uniq = sorted({tuple(sorted(p)) for p in pairs})
            shown = ", ".join(f"kappa({a}, {b})" for a, b in uniq[:6])
            more = f" and {len(uniq) - 6} more" if len(uniq) > 6 else ""
            out.append(Problem(
                file, where, "kind", "coterminous",
                f"coterminosity for every pair of tiers the link can take; unknown: "
                f"{shown}{more} (give them in [coterminosity] or compute them from a "
                f"[membership] table)", f"link '{link.id}'"))
    return out
