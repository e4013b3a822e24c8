"""What a per-area placement is worth and uses, recomputed area by area from the instance's own
data (docs/model.md section 9), for the independent checker.

The formulation values a function at a unit (:mod:`placement.model.scoring`, summed over the
unit's areas before the solve); here every quantity is summed area by area instead, from the
area table, the tiers' unit codes and the function table, with code of its own: the people a
function serves in each area, the population one body of the serving unit covers, the ramps,
the heterogeneity of the unit's people, the minimum team of every body used, the workload
shared by the people served, and the one-off move costs of the people whose function moves.
Agreement between the two is the check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from placement.model import NO_TIER, Instance

__all__ = ["AreaPlacement", "area_placement", "area_values", "area_use", "people_shares"]


@dataclass(frozen=True, eq=False)
class AreaPlacement:
    """A placement as the checker reads it: ``tiers[f, a]`` and the unit of that tier holding
    area a, as a per-tier unit index (``unit[f, a]``; -1 where the tier has no unit there)."""

    tiers: np.ndarray  # (F, A)
    unit: np.ndarray  # (F, A) index among the units of tiers[f, a]
    valid: np.ndarray  # (F, A) bool: a tier of the instance that has a unit in the area


def _tier_unit_codes(inst: Instance) -> np.ndarray:
    """(T, A) each active tier's unit index per area, from the geography's own arrays."""
    geo = inst.geography
    assert geo is not None
    return np.stack([np.asarray(geo.tiers[t.id].unit, dtype=np.int64) for t in inst.tiers])


def area_placement(inst: Instance, tiers: np.ndarray) -> AreaPlacement:
    """Read ``tiers`` (F, A) against the instance's units."""
    codes = _tier_unit_codes(inst)
    T = inst.n_tiers
    in_range = (tiers >= 0) & (tiers < T)
    safe = np.where(in_range, tiers, 0)
    unit = codes[safe, np.arange(tiers.shape[1])[None, :]]
    valid = in_range & (unit >= 0)
    return AreaPlacement(tiers, np.where(valid, unit, -1), valid)


def people_shares(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """(F, A) the share of each function's people living in each area, and (A,) p_a / P."""
    geo = inst.geography
    assert geo is not None
    p = np.asarray(geo.areas.population, dtype=float)
    ind = {i.id: k for k, i in enumerate(geo.areas.indicators)}
    serves = inst.functions.serves
    share = np.ones((inst.n_functions, p.shape[0]))
    if serves is not None:
        for f, s in enumerate(serves.tolist()):  # per function: its group's column
            if s:
                share[f] = np.asarray(geo.areas.values, dtype=float)[:, ind[str(s)]]
    q = share * p[None, :]
    return q / q.sum(axis=1, keepdims=True), p / p.sum()


def _unit_people(inst: Instance, t: int) -> tuple[np.ndarray, np.ndarray]:
    """For active tier t: people covered by each of its units and the bodies it stands for."""
    geo = inst.geography
    assert geo is not None
    tu = geo.tiers[inst.tiers[t].id]
    p = np.asarray(geo.areas.population, dtype=float)
    ok = tu.unit >= 0
    people = np.zeros(tu.n_units)
    np.add.at(people, tu.unit[ok], p[ok])
    return people, np.asarray(tu.bodies, dtype=float)


def _heterogeneity(inst: Instance, t: int) -> np.ndarray:
    """Per unit of tier t: the mean over indicators of the population-weighted variance of the
    standardised indicator over the unit's areas (0 for a finer tier)."""
    geo = inst.geography
    assert geo is not None
    tu = geo.tiers[inst.tiers[t].id]
    X = np.asarray(geo.areas.values, dtype=float)
    if tu.finer or X.size == 0:
        return np.zeros(tu.n_units)
    p = np.asarray(geo.areas.population, dtype=float)
    P = p.sum()
    mu = X.T @ p / P
    sd = np.sqrt(((X - mu) ** 2).T @ p / P)
    Z = (X - mu) / np.where(sd > 0, sd, 1.0) * (sd > 0)
    out = np.zeros(tu.n_units)
    for u in range(tu.n_units):  # the checker's own, plain way: unit by unit
        m = tu.unit == u
        w = p[m] / p[m].sum()
        zu = Z[m]
        out[u] = float(((zu - w @ zu) ** 2 * w[:, None]).sum(axis=0).mean())
    return out


def area_values(inst: Instance, ap: AreaPlacement) -> np.ndarray:
    """(F, A) the value each function earns in each area at the tier serving it there."""
    F, A = ap.tiers.shape
    share, _ = people_shares(inst)
    out = np.zeros((F, A))
    fn = inst.functions
    model = inst.model
    for t in range(inst.n_tiers):  # per tier, whole-array over functions and areas
        at = ap.valid & (ap.tiers == t)
        if not at.any():
            continue
        f, a = np.nonzero(at)
        u = ap.unit[f, a]
        if inst.values is not None:
            out[f, a] = np.asarray(inst.values, dtype=float)[f, t] * share[f, a]
            continue
        assert model is not None
        people, bodies = _unit_people(inst, t)
        given = inst.geography.tiers[inst.tiers[t].id].scale  # type: ignore[union-attr]
        pop = np.asarray(given, dtype=float)[u] if given is not None else people[u] / bodies[u]
        total = np.zeros(f.shape[0])
        for j, crit in enumerate(model.criteria):
            lo = np.where(np.isnan(fn.lo[f, j]), crit.lo, fn.lo[f, j])
            hi = np.where(np.isnan(fn.hi[f, j]), crit.hi, fn.hi[f, j])
            r = (np.log(pop) - np.log(lo)) / (np.log(hi) - np.log(lo))  # no ratio: overflow
            r = np.minimum(np.maximum(r, 0.0), 1.0)
            perf = 1.0 - r if crit.direction == "down" else r
            given = inst.tiers[t].performance.get(crit.id)
            if given is not None:
                perf = np.full(f.shape[0], float(given))
            total += crit.weight * fn.scores[f, j] * perf
        if model.heterogeneity > 0 and model.heterogeneity_criterion:
            lk = model.criterion_ids.index(model.heterogeneity_criterion)
            total -= model.heterogeneity * fn.scores[f, lk] * _heterogeneity(inst, t)[u]
        out[f, a] = total * share[f, a]
    return out


def area_use(inst: Instance, ap: AreaPlacement) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Running use (F, R) per function, running use per tier (T, R), and one-off move costs
    (F, R): a minimum team in every body used (each unit counted once, however many of its
    areas), the workload shared by the people served, and moves weighted by the people whose
    function leaves its current tier."""
    F, A = ap.tiers.shape
    R = len(inst.resources)
    fn = inst.functions
    share, w = people_shares(inst)
    run = np.zeros((F, R))
    per_tier = np.zeros((inst.n_tiers, R))
    for t in range(inst.n_tiers):
        at = ap.valid & (ap.tiers == t)
        if not at.any():
            continue
        _, bodies = _unit_people(inst, t)
        f, a = np.nonzero(at)
        u = ap.unit[f, a]
        used = np.unique(f * (bodies.shape[0] + 1) + u)  # each (function, body) once
        fu, uu = np.divmod(used, bodies.shape[0] + 1)
        fixed = fn.fixed[fu] * bodies[uu][:, None]
        work = fn.variable[f] * share[f, a][:, None]
        if inst.costs is not None:
            given = np.asarray(inst.costs, dtype=float)[:, t, :]
            g_fix = given[fu] * 0.0  # an explicit cost is a total, shared by the people
            g_work = given[f] * share[f, a][:, None]
            fixed = np.where(np.isnan(given[fu]), fixed, g_fix)
            work = np.where(np.isnan(given[f]), work, g_work)
        np.add.at(run, fu, fixed)
        np.add.at(run, f, work)
        per_tier[t] = fixed.sum(axis=0) + work.sum(axis=0)
    cur = inst.current_by_area
    moved = (cur != NO_TIER) & (ap.tiers != cur)
    moves = fn.move * (moved * w[None, :]).sum(axis=1)[:, None]
    return run, per_tier, moves
