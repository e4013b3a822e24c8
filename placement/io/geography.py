"""Assembling the :class:`~placement.model.geography.Geography` of a ``placement/2`` instance
from ``[areas]`` and its tables, the tier-level coterminosity computed from the same units, and
the checks that need the whole instance (docs/model.md section 9): today's tier has a unit in
every area, pins hold everywhere, every function can be served in every area, and a function
serves a group the areas measure as a share.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from placement.errors import Problem
from placement.io.area_tables import read_availability, read_current, read_unit_caps
from placement.io.areas import read_areas, tier_units
from placement.io.membership import given_pairs
from placement.io.schema import InstanceSpec
from placement.model import NO_TIER, Coterminosity, Functions, Instance, Tier
from placement.model.area_rules import pin_areas
from placement.model.coterminosity import TierMembership, from_membership
from placement.model.geography import Geography, TierUnits

__all__ = ["read_geography", "geography_problems", "tier_from_units"]


def read_geography(spec: InstanceSpec, base: Path, label: str, functions: Functions | None,
                   resource_ids: list[str], problems: list[Problem]
                   ) -> tuple[Geography | None, Coterminosity | None]:
    """The areas, units and per-place tables, and the tier-level kappa from the same units."""
    assert spec.areas is not None
    read = read_areas(spec.areas, base, label, problems)
    if read is None:
        return None, None
    df, areas, alabel = read
    units = tier_units(list(spec.tiers), df, areas, alabel, label, problems)
    if len(units) < len(spec.tiers):
        return None, None
    geo = Geography(areas, units)
    fids = functions.ids.tolist() if functions is not None else []
    cats = functions.categories.tolist() if functions is not None else []
    a = spec.areas
    current = read_current(base / a.current, label, geo, fids, problems) if a.current else ()
    avail = (read_availability(base / a.availability, "areas.availability", label, geo, fids,
                               cats, problems) if a.availability else ())
    caps = (read_unit_caps(base / a.unit_caps, label, geo, resource_ids, problems)
            if a.unit_caps else ())
    geo = Geography(areas, units, avail, current, caps)
    return geo, _coterminosity(spec, geo, base, label, problems)


def _coterminosity(spec: InstanceSpec, geo: Geography, base: Path, label: str,
                   problems: list[Problem]) -> Coterminosity:
    """kappa between every pair of declared tiers, from their units over the areas (a finer
    tier's units lie inside their areas), with any value given in [coterminosity] winning."""
    ids = [t.id for t in spec.tiers]
    geos: dict[str, list[str]] = {}
    for t in spec.tiers:
        if t.geography:
            geos.setdefault(t.geography, []).append(t.id)
    memberships = {tid: TierMembership(tid, tu.unit, tu.codes, tu.how)
                   for tid, tu in geo.tiers.items()}
    pairs = (given_pairs(spec.coterminosity, ids, base, label, problems)
             if spec.coterminosity is not None else {})
    return from_membership(ids, memberships, geo.areas.population, geo.areas.source, pairs,
                           geos)


def tier_from_units(tier: Tier, units: TierUnits, population: np.ndarray) -> Tier:
    """``tier`` with the numbers its units give: bodies in all, and the people one body
    serves on average (what an instance without areas would use for the tier)."""
    bodies = float(units.bodies.sum())
    people = float(population[units.unit >= 0].sum())
    return dataclasses.replace(tier, units=max(int(round(bodies)), 1),
                               population=people / max(bodies, 1.0), total_population=people)


def geography_problems(inst: Instance, functions_label: str) -> list[Problem]:
    """What only the whole instance can tell: a current tier or a pin with no unit in some
    areas, a pin's fallback overlapping its tier, a function no unit may serve somewhere, a
    function serving a group that is not a share of the areas' people."""
    geo = inst.geography
    assert geo is not None
    out: list[Problem] = []
    fn = inst.functions
    names = geo.areas.names
    tids = inst.tier_ids

    def shown(mask: np.ndarray) -> str:
        n = names[mask]
        return ", ".join(str(x) for x in n[:3]) + (f" and {len(n) - 3} more" if len(n) > 3
                                                   else "")

    covers = inst.units.covers()  # (A, T)
    cur = inst.current_by_area
    has_cur = fn.current != NO_TIER
    gap = (cur == NO_TIER) & has_cur[:, None]
    for f in np.nonzero(gap.any(axis=1))[0][:20].tolist():
        out.append(Problem(functions_label, None, "current", tids[fn.current[f]],
                           f"a tier with a unit in every area, or a status-quo override for "
                           f"the areas without one ({shown(gap[f])})",
                           f"function '{fn.ids[f]}'"))
    areas = np.arange(covers.shape[0])[None, :]
    bad_cur = (cur != NO_TIER) & ~covers[areas, np.where(cur == NO_TIER, 0, cur)]
    for f in np.nonzero(bad_cur.any(axis=1))[0][:20].tolist():
        out.append(Problem(functions_label, None, "current", None,
                           f"a current tier with a unit where the status-quo overrides put it "
                           f"(none in {shown(bad_cur[f])})", f"function '{fn.ids[f]}'"))
    out += _pin_problems(inst, functions_label, shown)
    out += _serving_problems(inst, shown)
    return out


def _pin_problems(inst: Instance, label: str, shown: Callable[[np.ndarray], str]
                  ) -> list[Problem]:
    fn = inst.functions
    tids = inst.tier_ids
    out: list[Problem] = []
    pins = pin_areas(inst)
    pinned = fn.pinned != NO_TIER
    hole = (pins == NO_TIER) & pinned[:, None]
    for f in np.nonzero(hole.any(axis=1))[0][:20].tolist():
        out.append(Problem(label, None, "pinned", tids[fn.pinned[f]],
                           f"a tier with a unit in every area, or 'tier|fallback' naming the "
                           f"tier that serves the rest ({shown(hole[f])})",
                           f"function '{fn.ids[f]}'"))
    # a fallback unit must not also cover areas where the pinned tier serves
    layout = inst.units
    for f in np.nonzero(pinned & (fn.pinned_else if fn.pinned_else is not None
                                  else np.full(len(fn), NO_TIER)) != NO_TIER)[0].tolist():
        rest = int(fn.pinned_else[f])  # type: ignore[index]
        used = np.unique(layout.unit_of[pins[f] == rest, rest])
        clash = np.isin(layout.unit_of[:, rest], used) & (pins[f] != rest)
        if clash.any():
            out.append(Problem(label, None, "pinned", f"{tids[fn.pinned[f]]}|{tids[rest]}",
                               f"a fallback whose units cover only areas without a "
                               f"{tids[fn.pinned[f]]} unit ({tids[rest]} units also cover "
                               f"{shown(clash)})", f"function '{fn.ids[f]}'"))
    return out


def _serving_problems(inst: Instance, shown: Callable[[np.ndarray], str]) -> list[Problem]:
    geo = inst.geography
    assert geo is not None
    fn = inst.functions
    out: list[Problem] = []
    layout = inst.units
    ok = np.hstack([inst.unit_allowed, np.zeros((len(fn), 1), dtype=bool)])
    served = np.asarray(ok[:, layout.unit_of].any(axis=2))  # (F, A): a unit may serve f
    for f in np.nonzero(~served.all(axis=1))[0][:20].tolist():
        out.append(Problem(None, "allowed/availability", None, None,
                           f"at least one unit that may hold the function in every area "
                           f"(none in {shown(~served[f])})", f"function '{fn.ids[f]}'"))
    shares = [i.id for i in geo.areas.indicators if i.kind == "share"]
    for f, s in enumerate([] if fn.serves is None else fn.serves.tolist()):
        if s and s not in shares:
            out.append(Problem(None, "serves", None, s,
                               f"an indicator of kind 'share' of [areas] "
                               f"({', '.join(shares) or 'none declared'})",
                               f"function '{fn.ids[f]}'"))
    return out
