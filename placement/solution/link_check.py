"""Links as the independent checker sees them: where each link's functions sit in a placement,
the coterminosity between them, whether the link is broken, what a broken soft link costs and
how a broken hard link is reported.

Recomputed from the instance's links, tiers and coterminosity only, like the rest of
:mod:`placement.solution.checker`: it never looks at the formulation's link rows or columns
(:mod:`placement.milp`), so a bug there cannot hide behind the same bug here.

The links are read once per instance into arrays (:class:`_Table`, kept while the instance
lives); a placement is then checked with whole-array numpy, without a loop over its links
(200,000 x 5 with 20,000 links: 50 ms a check one link at a time; now 70 ms once to read
them, then 2-3 ms a check).
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import numpy as np

from placement.model import Instance, Link

__all__ = ["LinkState", "link_state", "broken_hard_links", "link_penalties",
           "broken_link_message"]

_TOGETHER, _AT_OR_ABOVE, _COTERMINOUS = 0, 1, 2
_KINDS = {"together": _TOGETHER, "at_or_above": _AT_OR_ABOVE, "coterminous": _COTERMINOUS}


@dataclass(frozen=True, eq=False)
class _Table:
    """An instance's links as arrays (L links, T tiers, G geographies named by links)."""

    f: np.ndarray  # (L,) the function's index
    g: np.ndarray  # (L,) the other function's index, -1 for a geography
    geo: np.ndarray  # (L,) the geography's row of geo_kappa, -1 for another function
    kind: np.ndarray  # (L,) _TOGETHER, _AT_OR_ABOVE or _COTERMINOUS
    kappa_min: np.ndarray  # (L,)
    penalty: np.ndarray  # (L,) 0 for a hard link
    hard: np.ndarray  # (L,) bool
    pair_kappa: np.ndarray  # (T, T) kappa between two tiers, 1 on the diagonal, NaN unknown
    geo_kappa: np.ndarray  # (G, T) a tier's best kappa with the geography's, NaN unknown


_TABLES: weakref.WeakKeyDictionary[Instance, _Table] = weakref.WeakKeyDictionary()


def _tier_kappa(inst: Instance, t: str, g: str) -> float:
    """kappa between two tier ids as the checker reads it: 1 for a tier with itself, the
    coterminosity's entry where it knows both, NaN otherwise."""
    if t == g:
        return 1.0
    cot = inst.coterminosity
    if cot is None or t not in cot.index or g not in cot.index:
        return float("nan")
    return cot.value(t, g)


def _geography_members(inst: Instance, geography: str) -> list[str]:
    members = [t.id for t in inst.tiers if t.geography == geography]
    cot = inst.coterminosity
    if cot is not None:
        members = list(cot.geographies.get(geography, members))
    return members


def _table(inst: Instance) -> _Table:
    table = _TABLES.get(inst)
    if table is not None:
        return table
    fix = inst.functions.index
    tids = inst.tier_ids
    links = inst.links
    geographies = sorted({lk.geography for lk in links if lk.other is None
                          and lk.geography is not None})
    gix = {g: i for i, g in enumerate(geographies)}
    geo_kappa = np.full((len(geographies), len(tids)), np.nan)
    for g, i in gix.items():
        members = _geography_members(inst, g)
        for t, tid in enumerate(tids):
            ks = [_tier_kappa(inst, tid, m) for m in members]
            if ks and not any(math.isnan(k) for k in ks):
                geo_kappa[i, t] = max(ks)
    pair_kappa = np.array([[_tier_kappa(inst, a, b) for b in tids] for a in tids],
                          dtype=float).reshape(len(tids), len(tids))
    table = _Table(
        f=np.array([fix[lk.function] for lk in links], dtype=np.int64),
        g=np.array([fix[lk.other] if lk.other is not None else -1 for lk in links],
                   dtype=np.int64),
        geo=np.array([gix[lk.geography] if lk.other is None and lk.geography is not None
                      else -1 for lk in links], dtype=np.int64),
        kind=np.array([_KINDS[lk.kind] for lk in links], dtype=np.int8),
        kappa_min=np.array([lk.kappa_min for lk in links], dtype=float),
        penalty=np.array([0.0 if lk.penalty is None else float(lk.penalty) for lk in links],
                         dtype=float),
        hard=np.array([lk.hard for lk in links], dtype=bool),
        pair_kappa=pair_kappa, geo_kappa=geo_kappa)
    _TABLES[inst] = table
    return table


@dataclass(frozen=True, eq=False)
class LinkState:
    """Every link under one placement: ``tf`` the function's tier, ``tg`` the other's (-1 for
    a geography), ``kappa`` their coterminosity (of the pair, or the best with the
    geography's tiers; NaN unknown) and whether the link is ``broken``."""

    tf: np.ndarray
    tg: np.ndarray
    kappa: np.ndarray
    broken: np.ndarray


def link_state(inst: Instance, a: np.ndarray) -> LinkState:
    """Where every link's functions sit under the tiers ``a`` (F,), recomputed from the
    instance; ``a`` must hold valid tier indices.

    A ``together`` link is broken when the two tiers differ, an ``at_or_above`` link when the
    function is more local than the other (a larger tier index), a ``coterminous`` link when
    kappa is below ``kappa_min`` (an unknown, NaN, kappa breaks it).

    >>> import numpy as np, placement
    >>> inst = placement.load("instances/tiny-link-coterminous-soft")
    >>> s = link_state(inst, np.array([0, 2, 1, 0]))
    >>> s.kappa.tolist(), s.broken.tolist()
    ([0.6], [True])
    """
    t = _table(inst)
    a = np.asarray(a, dtype=np.int64)
    tf = a[t.f]
    pair = t.g >= 0
    tg = np.where(pair, a[np.maximum(t.g, 0)], -1)
    if t.geo_kappa.shape[0]:
        geo_k = t.geo_kappa[np.maximum(t.geo, 0), tf]
    else:
        geo_k = np.full(tf.shape[0], np.nan)
    kappa = np.where(pair, t.pair_kappa[tf, np.maximum(tg, 0)], geo_k)
    with np.errstate(invalid="ignore"):
        broken = np.where(t.kind == _TOGETHER, tf != tg,
                          np.where(t.kind == _AT_OR_ABOVE, pair & (tf > tg),
                                   ~(kappa >= t.kappa_min - 1e-12)))
    return LinkState(tf, tg, kappa, broken)


def broken_hard_links(inst: Instance, a: np.ndarray) -> list[tuple[Link, str]]:
    """Every hard link the tiers ``a`` break, in the instance's order, with the checker's
    words for it."""
    if not inst.links:
        return []
    s = link_state(inst, a)
    hard = _table(inst).hard
    return [(inst.links[i], broken_link_message(inst, inst.links[i], int(s.tf[i]),
                                                None if s.tg[i] < 0 else int(s.tg[i]),
                                                float(s.kappa[i])))
            for i in np.nonzero(s.broken & hard)[0].tolist()]


def broken_link_message(inst: Instance, lk: Link, tf: int, tg: int | None, k: float) -> str:
    """The checker's words for a broken link, naming where its functions sit."""
    tids = inst.tier_ids
    f = lk.function
    if lk.kind == "together":
        return (f"link {lk.describe()} is broken: '{f}' is at {tids[tf]}, "
                f"'{lk.other}' at {tids[tg or 0]}")
    if lk.kind == "at_or_above":
        return (f"link {lk.describe()} is broken: '{f}' at {tids[tf]} is more local "
                f"than '{lk.other}' at {tids[tg or 0]}")
    target = (f"'{lk.other}' at {tids[tg]}" if tg is not None
              else f"geography {lk.geography}")
    return (f"link {lk.describe()} is broken: '{f}' at {tids[tf]} and {target} "
            f"have coterminosity {k:.4g}, below {lk.kappa_min:g}")


def link_penalties(inst: Instance, a: np.ndarray) -> np.ndarray:
    """The penalty each soft link charges the placement (0 for hard links and kept ones).

    ``together`` and ``at_or_above`` charge their penalty when broken; ``coterminous`` charges
    ``penalty * (1 - kappa)`` when kappa is below ``kappa_min``.

    >>> import numpy as np, placement
    >>> inst = placement.load("instances/tiny-link-coterminous-soft")
    >>> a = np.array([0, 2, 1, 0])   # prevention local, commissioning region: kappa 0.6
    >>> link_penalties(inst, a).round(6).tolist()
    [0.4]
    """
    a = np.asarray(a)
    if not inst.links or ((a < 0) | (a >= inst.n_tiers)).any():
        return np.zeros(len(inst.links))
    t = _table(inst)
    s = link_state(inst, a)
    charge = np.where(t.kind == _COTERMINOUS, t.penalty * (1.0 - np.nan_to_num(s.kappa, nan=0.0)),
                      t.penalty)
    return np.where(s.broken & ~t.hard, charge, 0.0)
