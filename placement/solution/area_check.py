"""The independent checker for per-area placements (docs/model.md section 9).

A per-area placement gives, for every function and area, the tier serving it there; the unit
is the one of that tier covering the area. Everything is recomputed from the instance, area by
area (:mod:`placement.solution.area_values`, :mod:`placement.solution.area_links`), never read
from the solver's matrix:

- every area is served by exactly one unit of a tier that has one there, and a unit does a
  function for all of its areas or none (a body is one body);
- allowed tiers, availability and pins;
- budgets (running use plus the one-off move costs of the people whose function moves),
  per-tier caps, caps on single bodies, max_moves (population-weighted), max_share;
- links in every area;
- the objective: the value of every function in every area, less soft-link penalties.
"""

from __future__ import annotations

import numpy as np

from placement.model import NO_TIER, Instance
from placement.model.area_rules import pin_areas
from placement.solution.area_links import area_links
from placement.solution.area_values import (
    AreaPlacement,
    area_placement,
    area_use,
    area_values,
    people_shares,
)
from placement.solution.verdict import (
    TOLERANCE,
    CheckReport,
    Violation,
    budget_and_cap_violations,
    over,
)

__all__ = ["check_areas", "area_objective"]

_SHOWN = 3  # areas named in a message before "and N more"


def _areas(inst: Instance, mask: np.ndarray) -> str:
    geo = inst.geography
    assert geo is not None
    names = geo.areas.names[np.nonzero(mask)[0]]
    text = ", ".join(str(n) for n in names[:_SHOWN])
    return text + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


def _assignment(inst: Instance, ap: AreaPlacement, rep: CheckReport,
                x_matrix: np.ndarray | None) -> None:
    fn = inst.functions
    for f in np.nonzero((~ap.valid).any(axis=1))[0][:20].tolist():
        rep.violations.append(Violation(
            "assignment", str(fn.ids[f]), float((~ap.valid[f]).sum()), 0.0,
            f"function '{fn.ids[f]}' is not served by a unit in "
            f"{_areas(inst, ~ap.valid[f])}"))
    # a body does a function for all of its areas: the same tier wherever the unit reaches
    geo = inst.geography
    assert geo is not None
    F = inst.n_functions
    for t, tier in enumerate(inst.tiers):  # per tier, whole-array over functions and units
        tu = geo.tiers[tier.id].unit
        n = int(tu.max(initial=-1)) + 1
        f, a = np.nonzero((ap.tiers == t) & (tu >= 0)[None, :])
        held = np.bincount(f * n + tu[a], minlength=F * n).reshape(F, n)
        size = np.bincount(tu[tu >= 0], minlength=n)
        part = (held > 0) & (held < size[None, :])
        for f1 in np.nonzero(part.any(axis=1))[0][:20].tolist():
            left = np.isin(tu, np.nonzero(part[f1])[0]) & (ap.tiers[f1] != t)
            rep.violations.append(Violation(
                "assignment", str(fn.ids[f1]), float(left.sum()), 0.0,
                f"function '{fn.ids[f1]}' is done by a {tier.id} body for some of its "
                f"areas but not for {_areas(inst, left)}"))
    if isinstance(x_matrix, np.ndarray):
        frac = np.abs(x_matrix - np.round(x_matrix))
        for f in np.nonzero(frac.max(axis=1) > 1e-5)[0][:20].tolist():
            rep.violations.append(Violation("integrality", str(fn.ids[f]),
                                            float(frac[f].max()), 0.0,
                                            f"y for function '{fn.ids[f]}' is fractional"))
    rep.checked.append("assignment")


def _allowed_pinned(inst: Instance, ap: AreaPlacement, rep: CheckReport) -> None:
    fn = inst.functions
    tids = inst.tier_ids
    layout = inst.units
    f, a = np.nonzero(ap.valid)
    u = layout.unit_of[a, ap.tiers[f, a]]
    closed = ~inst.unit_allowed[f, u]
    for f1 in np.unique(f[closed]).tolist()[:20]:
        m = np.zeros(inst.n_areas, dtype=bool)
        m[a[closed & (f == f1)]] = True
        rep.violations.append(Violation(
            "allowed", str(fn.ids[f1]), float(m.sum()), 0.0,
            f"function '{fn.ids[f1]}' is placed where it may not be (tier not allowed, or the "
            f"availability table closes the unit) in {_areas(inst, m)}"))
    pins = pin_areas(inst)
    miss = (pins != NO_TIER) & (ap.tiers != pins)
    for f1 in np.nonzero(miss.any(axis=1))[0][:20].tolist():
        a1 = int(np.nonzero(miss[f1])[0][0])
        rep.violations.append(Violation(
            "pinned", str(fn.ids[f1]), float(miss[f1].sum()), 0.0,
            f"function '{fn.ids[f1]}' is pinned to '{tids[pins[f1, a1]]}' but placed "
            f"elsewhere in {_areas(inst, miss[f1])}"))
    rep.checked += ["allowed", "pinned"]


def _resources(inst: Instance, ap: AreaPlacement, rep: CheckReport) -> None:
    if not inst.resources:
        return
    run, per_tier, moves = area_use(inst, ap)
    rep.violations += budget_and_cap_violations(inst.resources, inst.tier_index,
                                                run.sum(axis=0) + moves.sum(axis=0), per_tier)
    _unit_caps(inst, ap, rep)
    rep.checked += ["budgets", "caps"]


def _unit_caps(inst: Instance, ap: AreaPlacement, rep: CheckReport) -> None:
    geo = inst.geography
    assert geo is not None
    if not geo.unit_caps:
        return
    fn = inst.functions
    F = inst.n_functions
    rix = {r: i for i, r in enumerate(inst.resource_ids)}
    tix = inst.tier_index
    p = np.asarray(geo.areas.population, dtype=float)
    share, _ = people_shares(inst)
    for cap in geo.unit_caps:  # one row of the unit-caps table each
        if cap.tier not in tix or cap.resource not in rix:
            continue
        t, r = tix[cap.tier], rix[cap.resource]
        tu = geo.tiers[cap.tier]
        n = tu.n_units
        f, a = np.nonzero((ap.tiers == t) & (tu.unit >= 0)[None, :])
        u = tu.unit[a]
        holds = np.zeros((F, n), dtype=bool)
        holds[f, u] = True
        work = np.zeros((F, n))
        np.add.at(work, (f, u), share[f, a])
        used = (holds * fn.fixed[:, r, None] * tu.bodies[None, :]
                + fn.variable[:, r, None] * work).sum(axis=0)
        people = np.bincount(tu.unit[tu.unit >= 0], weights=p[tu.unit >= 0], minlength=n)
        limit = cap.amount * people if cap.per_head else np.full(n, cap.amount)
        units = (np.arange(n) if cap.unit is None
                 else np.array([geo.unit_index(cap.tier, cap.unit)]))
        for k in units[[over(float(used[x]), float(limit[x])) for x in units]].tolist():
            rep.violations.append(Violation(
                "unit_cap", f"{cap.tier}:{tu.codes[k]},{cap.resource}", float(used[k]),
                float(limit[k]),
                f"{cap.resource} used by {tu.names[k]} {used[k]:,.6g} exceeds its cap "
                f"{limit[k]:,.6g} by {used[k] - limit[k]:,.6g}"))


def _moves_and_shares(inst: Instance, ap: AreaPlacement, rep: CheckReport) -> None:
    geo = inst.geography
    assert geo is not None
    p = np.asarray(geo.areas.population, dtype=float)
    w = p / p.sum()
    if inst.max_moves is not None:
        cur = inst.current_by_area
        moved = float((((cur != NO_TIER) & (ap.tiers != cur)) * w[None, :]).sum())
        if moved > inst.max_moves + TOLERANCE * max(1.0, inst.max_moves):
            rep.violations.append(Violation(
                "max_moves", "max_moves", moved, float(inst.max_moves),
                f"{moved:,.4g} functions (counted by the share of the people they move for) "
                f"leave their current tier; at most {inst.max_moves} may"))
        rep.checked.append("max_moves")
    if not inst.max_share:
        return
    F = inst.n_functions
    _, per_tier, _ = area_use(inst, ap)
    rix = {r: i for i, r in enumerate(inst.resource_ids)}
    for ms in inst.max_share:
        for tid in ([ms.tier] if ms.tier is not None else list(inst.tier_ids)):
            if tid not in inst.tier_index:
                continue
            t = inst.tier_index[tid]
            if ms.of == "functions":
                held, limit = float(((ap.tiers == t) * w[None, :]).sum()), ms.share * F
                what = f"{held:,.4g} of {F} functions"
            else:
                col = per_tier[:, rix[ms.of]]
                held, limit = float(col[t]), ms.share * float(col.sum())
                what = f"{held:,.6g} of {float(col.sum()):,.6g} {ms.of}"
            if over(held, limit):
                rep.violations.append(Violation(
                    "max_share", f"{tid},{ms.of}", held, limit,
                    f"{tid} holds {what}, more than its max_share {ms.share:g}"))
    rep.checked.append("max_share")


def _links(inst: Instance, ap: AreaPlacement, rep: CheckReport) -> None:
    if not inst.links or not ap.valid.all():
        return
    for al in area_links(inst, ap.tiers):
        if al.link.hard and al.broken.any():
            target = al.link.other or f"geography {al.link.geography}"
            rep.violations.append(Violation(
                "link", al.link.id, float(al.broken.sum()), 0.0,
                f"link {al.link.describe()} is broken: '{al.link.function}' and {target} "
                f"do not meet it in {_areas(inst, al.broken)}"))
    rep.checked.append("links")


def area_objective(inst: Instance, tiers: np.ndarray) -> float | None:
    """The objective of a per-area placement, recomputed: the value of every function in every
    area, less (maximising) or plus (minimising) what soft links charge."""
    ap = area_placement(inst, tiers)
    if not ap.valid.all():
        return None
    total = float(area_values(inst, ap).sum())
    if inst.links:
        total -= inst.sense.sign * sum(al.penalty for al in area_links(inst, tiers))
    return total


def check_areas(inst: Instance, tiers: np.ndarray, claimed: float | None = None, *,
                x_matrix: np.ndarray | None = None) -> CheckReport:
    """Check a per-area placement ``tiers`` (F, A) against ``inst``."""
    ap = area_placement(inst, np.asarray(tiers, dtype=np.int64))
    rep = CheckReport(objective=area_objective(inst, ap.tiers), claimed=claimed)
    _assignment(inst, ap, rep, x_matrix)
    _allowed_pinned(inst, ap, rep)
    if ap.valid.all():
        _resources(inst, ap, rep)
        _moves_and_shares(inst, ap, rep)
        _links(inst, ap, rep)
    if rep.objective is not None and claimed is not None:
        if abs(rep.objective - claimed) > TOLERANCE * max(1.0, abs(claimed)):
            rep.violations.append(Violation(
                "objective", "objective", claimed, rep.objective,
                f"the solver's objective {claimed:,.9g} differs from the recomputed "
                f"{rep.objective:,.9g}"))
        rep.checked.append("objective")
    return rep
