"""What differs by place, as (function x area) and (function x unit) arrays: today's tier in
each area, which units may hold each function, and where pins put it (docs/model.md section 9).

In the single-area case these are the uniform model's ``current``, ``allowed`` and ``pinned``
columns of the function table, one area (or one unit per tier) wide.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from placement.errors import Problem
from placement.model.geography import AREA_SCOPE, AvailabilityRule, Geography
from placement.model.tiers import NO_TIER

if TYPE_CHECKING:
    from placement.model.instance import Instance
    from placement.model.scenario import Scenario

__all__ = ["current_tiers", "allowed_units", "pinned_units", "pin_areas", "fixed_area_placement",
           "scope_label", "tier_or_fallback", "unserved", "pin_gaps", "pin_gap_problem",
           "area_names", "rule_files", "area_problems"]


def current_tiers(inst: Instance) -> np.ndarray:
    """(F, A) the tier index serving each function in each area today (``NO_TIER`` where
    there is none): the function table's ``current``, then the status-quo overrides in order,
    each setting the tier in the areas of its scope."""
    cur = np.repeat(inst.functions.current[:, None], inst.n_areas, axis=1)
    geo = inst.geography
    if geo is None or not geo.current:
        return cur
    fix = inst.functions.index
    tix = inst.tier_index
    for rule in geo.current:  # one row of the overrides table each: a few dozen rows
        if rule.function not in fix:
            continue
        mask = geo.scope_areas(rule.scope, rule.code)
        cur[fix[rule.function], mask] = tix.get(rule.tier, NO_TIER)
    return cur


def allowed_units(inst: Instance) -> np.ndarray:
    """(F, U) whether function f may be held by unit u: its tier is allowed for f, and the
    availability table (rules in order, later ones winning) does not close the unit to f."""
    layout = inst.units
    fn = inst.functions
    out = fn.allowed[:, layout.unit_tier].copy()
    geo = inst.geography
    if geo is None or not geo.availability:
        return out
    tix = inst.tier_index
    fix = fn.index
    for rule in geo.availability:  # one row of the availability table each
        if rule.tier not in tix:  # a tier the scenario dropped
            continue
        t = tix[rule.tier]
        cols = layout.units_of_tier(t)
        if rule.unit is not None:
            named = (layout.unit_code[cols] == rule.unit) | (layout.unit_name[cols] == rule.unit)
            cols = cols[named]
        if rule.function is not None:
            rows = np.array([fix[rule.function]] if rule.function in fix else [], dtype=np.int64)
        else:
            rows = np.nonzero(fn.categories == rule.category)[0]
        out[np.ix_(rows, cols)] = rule.allowed and fn.allowed[np.ix_(rows, np.full(cols.size, t))]
    return out


def pin_areas(inst: Instance) -> np.ndarray:
    """(F, A) the tier a pin puts each function at in each area (``NO_TIER`` where it is not
    pinned): the pinned tier where it has a unit, else the pin's fallback tier (``pinned =
    "combined_authority|ics"``)."""
    fn = inst.functions
    covers = inst.units.covers()  # (A, T)
    F, A = inst.n_functions, inst.n_areas
    out = np.full((F, A), NO_TIER, dtype=np.int64)
    pinned = np.nonzero(fn.pinned != NO_TIER)[0]
    if pinned.size == 0:
        return out
    first = fn.pinned[pinned]
    here = covers[:, first].T  # (P, A)
    out[pinned] = np.where(here, first[:, None], NO_TIER)
    rest = fn.pinned_else[pinned] if fn.pinned_else is not None else np.full(pinned.size,
                                                                              NO_TIER)
    fill = (~here) & (rest != NO_TIER)[:, None]
    sub = out[pinned]
    sub[fill] = np.broadcast_to(rest[:, None], sub.shape)[fill]
    out[pinned] = sub
    return out


def pinned_units(inst: Instance) -> np.ndarray:
    """(F, U) 1 where a pin fixes y[f, u] = 1 (the units serving each pinned area)."""
    layout = inst.units
    tiers = pin_areas(inst)
    F, A = tiers.shape
    out = np.zeros((F, layout.n_units))
    f, a = np.nonzero(tiers != NO_TIER)
    u = layout.unit_of[a, tiers[f, a]]
    ok = u >= 0
    out[f[ok], u[ok]] = 1.0
    return out


def scope_label(scope: str, code: str) -> str:
    """How a scope reads in messages: ``area E06000001`` or ``ics E54000008``."""
    return f"{AREA_SCOPE} {code}" if scope == AREA_SCOPE else f"{scope} {code}"


def fixed_area_placement(inst: Instance, scenario: Scenario) -> np.ndarray:
    """(F, A) the tier of every function in every area under a scenario's fixed placement:
    its function -> tier table everywhere, then its ``placement_by_area`` rows in order, each
    setting the tier in the areas of its scope. ``inst`` has the scenario applied."""
    F, A = inst.n_functions, inst.n_areas
    covers = inst.units.covers()  # (A, T)
    if scenario.placement == "current":
        out = current_tiers(inst)
    else:
        out = np.full((F, A), NO_TIER, dtype=np.int64)
        fix = inst.functions.index
        for f, t in (scenario.placement or {}).items():  # one row per function
            out[fix[f]] = tier_or_fallback(inst, t, covers)
    geo = inst.geography
    if geo is None:
        return out
    fix = inst.functions.index
    for rule in scenario.placement_by_area:  # one row of the per-area table each
        if rule.function in fix:
            mask = geo.scope_areas(rule.scope, rule.code)
            out[fix[rule.function], mask] = tier_or_fallback(inst, rule.tier, covers)[mask]
    return out


def tier_or_fallback(inst: Instance, text: str, covers: np.ndarray) -> np.ndarray:
    """(A,) the tier ``text`` names in every area: a tier id, or ``tier|fallback``, the tier
    where it has a unit and the fallback elsewhere (``NO_TIER`` for an unknown tier)."""
    tix = inst.tier_index
    first, _, rest = text.partition("|")
    t = tix.get(first, NO_TIER)
    r = tix.get(rest, NO_TIER) if rest else NO_TIER
    here = covers[:, t] if t != NO_TIER else np.zeros(covers.shape[0], dtype=bool)
    out: np.ndarray = np.where(here, t, r)
    return out


def unserved(inst: Instance) -> np.ndarray:
    """(F, A) True where no unit that may hold function f (its allowed tiers, the
    availability rules) covers area a: no placement can serve f there."""
    layout = inst.units
    ok = np.hstack([inst.unit_allowed, np.zeros((inst.n_functions, 1), dtype=bool)])
    out: np.ndarray = ~np.asarray(ok[:, layout.unit_of].any(axis=2))
    return out


def pin_gaps(geo: Geography, tier: str, fallback: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Where a pin to ``tier`` (with ``fallback`` where it has no unit) cannot hold, as (A,)
    masks: the areas neither tier has a unit in, and the areas where ``tier`` serves that a
    fallback unit it needs also covers (a unit does a function for all its areas or none)."""
    here = geo.tiers[tier].unit >= 0
    if fallback is None:
        return ~here, np.zeros_like(here)
    fb = geo.tiers[fallback].unit
    used = np.unique(fb[~here & (fb >= 0)])
    return ~here & (fb < 0), here & np.isin(fb, used)


def area_names(geo: Geography, mask: np.ndarray, most: int = 3) -> str:
    """The names of the areas of ``mask``, the first few then a count."""
    names = [str(x) for x in geo.areas.names[mask].tolist()]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def rule_files(rules: Iterable[AvailabilityRule]) -> str:
    """The availability tables the rules come from ("" for none)."""
    files = dict.fromkeys(r.where.rpartition(" line ")[0] or r.where for r in rules)
    return ", ".join(f for f in files if f)


def pin_gap_problem(geo: Geography, tier: str, fallback: str | None) -> str | None:
    """What a pin to ``tier`` (``fallback`` elsewhere) should be, when it cannot hold."""
    hole, clash = pin_gaps(geo, tier, fallback)
    if hole.any():
        return (f"a tier with a unit in every area, or 'tier|fallback' naming a tier with a "
                f"unit where it has none ({area_names(geo, hole)} have no "
                f"{tier}{'' if fallback is None else ' or ' + fallback} unit)")
    if clash.any():
        return (f"a fallback whose units cover only areas without a {tier} unit "
                f"({fallback} units also cover {area_names(geo, clash)})")
    return None


def area_problems(inst: Instance, file: str | None, where: str) -> list[Problem]:
    """What a scenario (``where``) leaves unusable by place: a pin with no unit of its tier
    or fallback in some areas (a fallback tier the scenario drops), or a function no unit may
    serve in some areas (its allowed tiers, the availability rules)."""
    geo = inst.geography
    if geo is None:
        return []
    fn, tids = inst.functions, inst.tier_ids
    rest = fn.pinned_else if fn.pinned_else is not None else np.full(len(fn), NO_TIER)
    out: list[Problem] = []
    for f in np.nonzero(fn.pinned != NO_TIER)[0].tolist():  # a few pinned functions
        tier, fb = tids[fn.pinned[f]], (tids[rest[f]] if rest[f] != NO_TIER else None)
        why = pin_gap_problem(geo, tier, fb)
        if why is not None:
            out.append(Problem(file, where, "pins", tier if fb is None else f"{tier}|{fb}",
                               why, f"function '{fn.ids[f]}'"))
    gap = unserved(inst)
    files = rule_files(geo.availability)
    closed = f" or the availability rules of {files} close them" if files else ""
    for f in np.nonzero(gap.any(axis=1))[0][:20].tolist():
        out.append(Problem(file, where, "allowed", None,
                           f"at least one unit that may hold the function in every area "
                           f"(none in {area_names(geo, gap[f])}: its allowed tiers have no "
                           f"unit there{closed})", f"function '{fn.ids[f]}'"))
    return out
