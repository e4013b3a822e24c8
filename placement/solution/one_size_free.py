"""The one-size placement that means something with pins (docs/model.md section 5): every
function free to move at one tier, the others where they must be, each named with the reason.

For tier t, function f (in every area, per area):

- pinned elsewhere: at its pin (``pinned`` and its fallback tier);
- else, when t may hold it (t has a unit there, t is among its allowed tiers, the availability
  table does not close that unit to it): at t;
- else at the tier nearest t that may hold it there (the more local on a tie): as close to
  one size as the rules allow. Per area, one tier that may hold it in all the areas t cannot
  when there is one, so that no body does it for part of its areas only.

Only the placement is built here; :mod:`placement.solution.baselines` evaluates it with the
independent checker like the strict one-size baselines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from placement.model import NO_TIER
from placement.model.area_rules import pin_areas

if TYPE_CHECKING:
    from placement.model import Instance

__all__ = ["free_one_size", "kept_groups", "REASONS"]

#: Why a function is not at the tier, in the order the report lists them.
REASONS: dict[str, str] = {
    "pinned": "pinned to {pin}",
    "not_allowed": "{tier} is not among its allowed tiers",
    "closed": "the availability table closes {tier} to it",
    "no_unit": "{tier} has no unit",
}


def free_one_size(inst: Instance, t: int) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """The placement with every free function at tier ``t``: (F,) tiers, or (F, A) per area,
    and one entry per function that is not at ``t`` everywhere, naming why and where it is.

    >>> import placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> a, kept = free_one_size(inst, inst.tier_index["local"])
    >>> [inst.tier_ids[int(x)] for x in a], kept
    (['local', 'local', 'local', 'local'], [])
    """
    if inst.per_area:
        return _per_area(inst, t)
    fn = inst.functions
    F, T = inst.n_functions, inst.n_tiers
    pinned = fn.pinned != NO_TIER
    a = np.where(pinned, fn.pinned, t).astype(np.int64)
    blocked = ~pinned & ~fn.allowed[:, t]
    if blocked.any():
        rows = np.nonzero(blocked)[0]
        a[rows] = _fallback(fn.allowed[rows], t, T)
    reason = np.full(F, "", dtype=object)
    reason[pinned & (fn.pinned != t)] = "pinned"
    reason[blocked] = "not_allowed"
    return a, _kept(inst, t, a[:, None], reason[:, None])


def _fallback(allowed: np.ndarray, t: int, T: int) -> np.ndarray:
    """(n,) for n blocked cells with (n, T) tiers that may hold them: the tier nearest ``t``
    that may (the more local on a tie), else ``t`` (nothing may hold it: the checker says)."""
    dist = np.where(allowed, np.abs(np.arange(T) - t)[None, :] * 2 - (np.arange(T) > t), 2 * T)
    out: np.ndarray = np.where(allowed.any(axis=1), np.argmin(dist, axis=1), t)
    return out


def _per_area(inst: Instance, t: int) -> tuple[np.ndarray, list[dict[str, Any]]]:
    fn = inst.functions
    F, T, A = inst.n_functions, inst.n_tiers, inst.n_areas
    unit_of = inst.units.unit_of  # (A, T)
    ua = inst.unit_allowed  # (F, U)
    covers = unit_of[:, t] >= 0  # (A,)
    here = covers[None, :] & ua[:, np.where(covers, unit_of[:, t], 0)]  # (F, A)
    pins = pin_areas(inst)
    pinned = pins != NO_TIER
    a = np.where(pinned, pins, t).astype(np.int64)
    blocked = ~pinned & ~here
    for f in np.nonzero(blocked.any(axis=1))[0].tolist():  # one per function
        areas = np.nonzero(blocked[f])[0]
        units = unit_of[areas]  # (n, T)
        may = (units >= 0) & ua[f, np.where(units >= 0, units, 0)]
        everywhere = may.all(axis=0)
        # one tier for all its blocked areas when one may hold it in all of them, so that no
        # body does the function for part of its areas only; else the nearest area by area
        a[f, areas] = (_fallback(everywhere[None, :], t, T)[0] if everywhere.any()
                       else _fallback(may, t, T))
    reason = np.full((F, A), "", dtype=object)
    reason[pinned & (pins != t)] = "pinned"
    reason[blocked & ~covers[None, :]] = "no_unit"
    reason[blocked & covers[None, :] & fn.allowed[:, t][:, None]] = "closed"
    reason[blocked & ~fn.allowed[:, t][:, None]] = "not_allowed"
    return a, _kept(inst, t, a, reason)


def _kept(inst: Instance, t: int, a: np.ndarray, reason: np.ndarray) -> list[dict[str, Any]]:
    """One entry per function with a reason somewhere: its id and name, why (the reasons by
    area count), and where it is instead (tiers by area count)."""
    tids = inst.tier_ids
    fn = inst.functions
    A = a.shape[1]
    out: list[dict[str, Any]] = []
    for f in np.nonzero((reason != "").any(axis=1))[0].tolist():  # one per function
        why: dict[str, int] = {}
        for key in REASONS:
            n = int((reason[f] == key).sum())
            if n:
                why[key] = n
        elsewhere = a[f][reason[f] != ""]
        tiers, counts = np.unique(elsewhere, return_counts=True)
        pin = int(fn.pinned[f])
        words = [REASONS[k].format(tier=tids[t], pin=tids[pin] if pin != NO_TIER else "")
                 + (f" in {n} of {A} areas ({_names(inst, reason[f] == k)})"
                    if A > 1 and n < A else "")
                 for k, n in why.items()]
        at = {tids[int(x)] if x != NO_TIER else "-": int(c)
              for x, c in zip(tiers.tolist(), counts.tolist(), strict=True)}
        out.append({"function": str(fn.ids[f]), "name": str(fn.names[f]),
                    "reasons": why, "why": "; ".join(words), "at": at,
                    "at_text": ", ".join(k if c == A else f"{k} in {c} areas"
                                         for k, c in at.items())})
    return out


def _names(inst: Instance, mask: np.ndarray, most: int = 3) -> str:
    """The first few names of the areas of ``mask``, then how many more."""
    names = [str(x) for x in inst.units.area_names[mask].tolist()]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def kept_groups(kept: list[dict[str, Any]], most: int | None = None) -> list[str]:
    """The functions of a row's ``kept`` grouped by why and where, one line each:
    ``pinned to national (at national): a, b``; ``most`` ids per line at most, then a count.

    >>> kept_groups([{"function": "a", "why": "pinned to national", "at_text": "national"},
    ...              {"function": "b", "why": "pinned to national", "at_text": "national"},
    ...              {"function": "c", "why": "local is not among its allowed tiers",
    ...               "at_text": "region"}], most=1)  # doctest: +NORMALIZE_WHITESPACE
    ['pinned to national (at national): a and 1 more',
     'local is not among its allowed tiers (at region): c']
    """
    groups: dict[tuple[str, str], list[str]] = {}
    for k in kept:
        groups.setdefault((k["why"], k["at_text"]), []).append(k["function"])
    out = []
    for (why, at), ids in groups.items():
        shown = ids if most is None or len(ids) <= most else ids[:most]
        more = f" and {len(ids) - len(shown)} more" if len(shown) < len(ids) else ""
        out.append(f"{why} (at {at}): {', '.join(shown)}{more}")
    return out
