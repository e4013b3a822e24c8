"""Assembling the :class:`~placement.model.geography.Geography` of a ``placement/2`` instance
from ``[areas]`` and its tables, the tier-level coterminosity computed from the same units, and
the checks that need the whole instance (docs/model.md section 9): today's tier has a unit in
every area, pins hold everywhere, every function can be served in every area, and a function
serves a group the areas measure as a share.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from placement.errors import Problem
from placement.io.area_tables import read_availability, read_current, read_unit_caps
from placement.io.areas import read_areas, tier_units
from placement.io.membership import given_pairs
from placement.io.paths import instance_file
from placement.io.schema import InstanceSpec
from placement.model import NO_TIER, Coterminosity, Functions, Instance, Tier
from placement.model.area_rules import (
    area_names,
    pin_gap_problem,
    rule_files,
    scope_label,
    unserved,
)
from placement.model.coterminosity import TierMembership, from_membership
from placement.model.geography import Geography, TierUnits
from placement.model.links import split_where

__all__ = ["read_geography", "geography_problems", "tier_from_units", "uniform_problems"]


def read_geography(spec: InstanceSpec, base: Path, label: str, functions: Functions | None,
                   resource_ids: list[str], problems: list[Problem], flabel: str,
                   lines: Sequence[str]) -> tuple[Geography | None, Coterminosity | None]:
    """The areas, units and per-place tables, and the tier-level kappa from the same units.

    Every table is checked as far as it can be: a bad value in the area table still lets the
    tiers' units and the per-place tables (and the function table's per-area columns, named
    at ``lines`` of ``flabel``) be checked. The geography is ``None`` when the units could
    not be built; the kappa is ``None`` when anything was wrong.
    """
    assert spec.areas is not None
    n0 = len(problems)
    read = read_areas(spec.areas, base, label, problems)
    if read is None:
        return None, None
    df, areas, alabel = read
    units = tier_units(list(spec.tiers), df, areas, alabel, label, problems)
    if len(units) < len(spec.tiers):
        return None, None
    geo = Geography(areas, units)
    fids = functions.ids.tolist() if functions is not None else None
    cats = functions.categories.tolist() if functions is not None else []
    a = spec.areas
    current = (read_current(instance_file(base, a.current), label, geo, fids, problems)
               if a.current else ())
    avail = (read_availability(instance_file(base, a.availability), "areas.availability", label,
                               geo, fids, cats, problems) if a.availability else ())
    caps = (read_unit_caps(instance_file(base, a.unit_caps), label, geo, resource_ids, problems)
            if a.unit_caps else ())
    geo = Geography(areas, units, avail, current, caps)
    if functions is not None:
        tids = [t.id for t in spec.tiers]
        problems += (_current_problems(geo, functions, tids, flabel, lines)
                     + _pin_problems(geo, functions, tids, flabel, lines)
                     + _serves_problems(geo, functions, flabel, lines))
    if len(problems) > n0:
        return geo, None
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


def geography_problems(inst: Instance, flabel: str, lines: Sequence[str]) -> list[Problem]:
    """What only the whole instance can tell: a function no unit may serve in some areas (its
    allowed tiers, the availability rules). ``lines`` is the line of each function in the
    function table ``flabel``."""
    geo = inst.geography
    assert geo is not None
    fn, tids = inst.functions, inst.tier_ids
    out: list[Problem] = []
    gap = unserved(inst)
    files = rule_files(geo.availability)
    closed = f" or the availability rules of {files} close them" if files else ""
    for f in np.nonzero(gap.any(axis=1))[0][:20].tolist():
        allowed = ";".join(t for t, a in zip(tids, fn.allowed[f], strict=True) if a)
        out.append(Problem(flabel, lines[f], "allowed", allowed,
                           f"at least one unit that may hold the function in every area "
                           f"(none in {area_names(geo, gap[f])}: its allowed tiers have no "
                           f"unit there{closed})", f"function '{fn.ids[f]}'"))
    return out


def _current_problems(geo: Geography, fn: Functions, tids: Sequence[str], flabel: str,
                      lines: Sequence[str]) -> list[Problem]:
    """Today's tier must have a unit wherever it is set, by the function table (named at the
    function's line) or by a status-quo override (named at the override's line), and be set
    in every area or none."""
    tix = {t: i for i, t in enumerate(tids)}
    F, A = len(fn), len(geo.areas)
    cur = np.repeat(fn.current[:, None], A, axis=1)
    setter = np.full((F, A), -1, dtype=np.int64)  # the override that set it; -1: the table
    for k, rule in enumerate(geo.current):  # one row of the overrides table each
        f = fn.index.get(rule.function)
        if f is not None and rule.tier in tix:
            mask = geo.scope_areas(rule.scope, rule.code)
            cur[f, mask], setter[f, mask] = tix[rule.tier], k
    covers = np.stack([geo.tiers[t].unit >= 0 for t in tids], axis=1)  # (A, T)
    bad = (cur != NO_TIER) & ~covers[np.arange(A)[None, :], np.maximum(cur, 0)]
    out: list[Problem] = []
    table = bad & (setter < 0)
    for f in np.nonzero(table.any(axis=1))[0][:20].tolist():
        out.append(Problem(flabel, lines[f], "current", tids[fn.current[f]],
                           "a tier with a unit in every area, or status-quo overrides "
                           f"(areas.current) for the areas without one (none in "
                           f"{area_names(geo, table[f])})", f"function '{fn.ids[f]}'"))
    for k in np.unique(setter[bad & (setter >= 0)])[:20].tolist():
        rule = geo.current[k]
        f = fn.index[rule.function]
        file, line = split_where(rule.where)
        out.append(Problem(file, line, "tier", rule.tier, f"a tier with a unit in every area "
                           f"of {scope_label(rule.scope, rule.code)} (none in "
                           f"{area_names(geo, bad[f] & (setter[f] == k))})",
                           f"function '{rule.function}'"))
    partial = (cur == NO_TIER).any(axis=1) & (cur != NO_TIER).any(axis=1)
    for f in np.nonzero(partial)[0][:20].tolist():
        out.append(Problem(flabel, lines[f], "current", None,
                           f"a current tier for the areas no status-quo override covers "
                           f"({area_names(geo, cur[f] == NO_TIER)}), as overrides give the "
                           f"function one elsewhere", f"function '{fn.ids[f]}'", missing=True))
    return out


def _pin_problems(geo: Geography, fn: Functions, tids: Sequence[str], flabel: str,
                  lines: Sequence[str]) -> list[Problem]:
    """A pin needs a unit of its tier, or of its fallback, in every area, and the fallback's
    units must lie where the tier has none."""
    rest = fn.pinned_else if fn.pinned_else is not None else np.full(len(fn), NO_TIER)
    out: list[Problem] = []
    for f in np.nonzero(fn.pinned != NO_TIER)[0].tolist():  # a few pinned functions
        tier, fb = tids[fn.pinned[f]], (tids[rest[f]] if rest[f] != NO_TIER else None)
        why = pin_gap_problem(geo, tier, fb)
        if why is not None:
            out.append(Problem(flabel, lines[f], "pinned", tier if fb is None else
                               f"{tier}|{fb}", why, f"function '{fn.ids[f]}'"))
    return out


def _serves_problems(geo: Geography, fn: Functions, flabel: str, lines: Sequence[str]
                     ) -> list[Problem]:
    """A function serves everyone or the group a ``share`` indicator measures."""
    shares = [i.id for i in geo.areas.indicators if i.kind == "share"]
    out: list[Problem] = []
    for f, s in enumerate([] if fn.serves is None else fn.serves.tolist()):
        if s and s not in shares:
            out.append(Problem(flabel, lines[f], "serves", s,
                               f"an indicator of kind 'share' of [areas] "
                               f"({', '.join(shares) or 'none declared'}), or blank",
                               f"function '{fn.ids[f]}'"))
    return out


def uniform_problems(fn: Functions, tiers: Sequence[str], flabel: str, lines: Sequence[str]
                     ) -> list[Problem]:
    """What only an instance with ``[areas]`` may use: pin fallbacks. (A ``serves`` column is
    only a warning without areas, so that a uniform variant can share a per-area instance's
    functions.csv: with one area every function serves everyone.)"""
    out: list[Problem] = []
    rest = fn.pinned_else if fn.pinned_else is not None else np.full(len(fn), NO_TIER)
    for f in np.nonzero(rest != NO_TIER)[0].tolist():
        out.append(Problem(flabel, lines[f], "pinned",
                           f"{tiers[fn.pinned[f]]}|{tiers[rest[f]]}", "one tier id without [areas] "
                           "('tier|fallback' needs areas: every tier has a unit everywhere)",
                           f"function '{fn.ids[f]}'"))
    return out


def function_table_problems(geo: Geography, fn: Functions, tids: Sequence[str], flabel: str,
                            lines: Sequence[str]) -> list[Problem]:
    """The checks of the function table that need the areas (today's tier and pins with a
    unit wherever they apply, ``serves`` naming a share indicator), for a table changed after
    loading (:mod:`placement.io.overrides`)."""
    return (_current_problems(geo, fn, tids, flabel, lines)
            + _pin_problems(geo, fn, tids, flabel, lines)
            + _serves_problems(geo, fn, flabel, lines))
