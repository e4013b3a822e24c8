"""The independent checker: recomputes a placement's objective and every constraint from the
instance itself, never from the solver's matrix, and lists what is violated.

It shares no code with :mod:`placement.milp.formulation` or
:func:`placement.model.scoring.value_matrix`: values are recomputed at the chosen tiers only,
from the scores, weights and curves, so a bug in the model builder cannot hide behind the same
bug in the check. Links (their tiers, coterminosity, penalties and messages) are evaluated in
:mod:`placement.solution.link_check`, under the same rule.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from placement.model import NO_TIER, Instance
from placement.solution.area_check import area_objective, check_areas
from placement.solution.link_check import broken_hard_links, link_penalties
from placement.solution.verdict import (
    TOLERANCE,
    CheckReport,
    Violation,
    budget_and_cap_violations,
    over,
)

__all__ = ["Violation", "CheckReport", "check", "placement_values", "CHECKS", "OBJECTIVE_TERMS",
           "TOLERANCE"]

def placement_values(inst: Instance, assignment: np.ndarray) -> np.ndarray:
    """Value of each function at its assigned tier, recomputed from scores and curves."""
    F = inst.n_functions
    out = np.zeros(F)
    ok = assignment != NO_TIER
    rows = np.nonzero(ok)[0]
    t = assignment[rows]
    if inst.values is not None:
        out[rows] = np.asarray(inst.values, dtype=float)[rows, t]
        return out
    model = inst.model
    if model is None:
        raise ValueError(f"instance {inst.name!r} has neither a scoring model nor values")
    fn = inst.functions
    every = rows.shape[0] == F  # no fancy indexing of the (F, J) tables then
    log_pop = np.log10(np.array([tier.population for tier in inst.tiers], dtype=float))[t]
    total = np.zeros(rows.shape[0])
    for j, crit in enumerate(model.criteria):
        lo_j = fn.lo[:, j] if every else fn.lo[rows, j]
        hi_j = fn.hi[:, j] if every else fn.hi[rows, j]
        log_lo = np.log10(np.where(np.isnan(lo_j), crit.lo, lo_j))
        log_hi = np.log10(np.where(np.isnan(hi_j), crit.hi, hi_j))
        # position on the log ramp, in base-10 logs (the scorer uses natural ones); a
        # difference of logs, never a ratio, which overflows for lo = 1e-300, hi = 1e10
        r = (log_pop - log_lo) / (log_hi - log_lo)
        r = np.minimum(np.maximum(r, 0.0), 1.0)
        perf = 1.0 - r if crit.direction == "down" else r
        explicit = np.array(
            [tier.performance.get(crit.id, np.nan) for tier in inst.tiers], dtype=float
        )[t]
        perf = np.where(np.isnan(explicit), perf, explicit)
        total += crit.weight * (fn.scores[:, j] if every else fn.scores[rows, j]) * perf
    out[rows] = total
    return out


def _resource_use(inst: Instance, assignment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, R) running use at the assigned tier, and (F, R) one-off move costs incurred."""
    fn = inst.functions
    F = inst.n_functions
    units = np.array([t.units for t in inst.tiers], dtype=float)
    a = np.where(assignment == NO_TIER, 0, assignment)
    use = fn.fixed * units[a][:, None] + fn.variable
    if inst.costs is not None:
        explicit = np.asarray(inst.costs, dtype=float)[np.arange(F), a, :]
        use = np.where(np.isnan(explicit), use, explicit)
    moved = (fn.current != NO_TIER) & (assignment != fn.current)
    return use, fn.move * moved[:, None]


Check = Callable[[Instance, np.ndarray, "CheckReport", dict[str, object]], None]


def _check_assignment(inst: Instance, a: np.ndarray, rep: CheckReport,
                      extra: dict[str, object]) -> None:
    X = extra.get("x_matrix")
    fn = inst.functions
    if isinstance(X, np.ndarray):
        frac = np.abs(X - np.round(X))
        for f in np.nonzero(frac.max(axis=1) > 1e-5)[0][:20].tolist():
            rep.violations.append(Violation("integrality", str(fn.ids[f]), float(frac[f].max()),
                                            0.0, f"x for function '{fn.ids[f]}' is fractional"))
        sums = np.round(X).sum(axis=1)
        for f in np.nonzero(sums != 1)[0][:20].tolist():
            rep.violations.append(Violation(
                "assignment", str(fn.ids[f]), float(sums[f]), 1.0,
                f"function '{fn.ids[f]}' is placed at {int(sums[f])} tiers, not exactly one"))
    for f in np.nonzero((a < 0) | (a >= inst.n_tiers))[0][:20].tolist():
        rep.violations.append(Violation("assignment", str(fn.ids[f]), float(a[f]), 1.0,
                                        f"function '{fn.ids[f]}' has no tier"))
    rep.checked.append("assignment")


def _check_allowed_pinned(inst: Instance, a: np.ndarray, rep: CheckReport,
                          extra: dict[str, object]) -> None:
    fn = inst.functions
    tids = inst.tier_ids
    valid = np.nonzero((a >= 0) & (a < inst.n_tiers))[0]
    bad = valid[~fn.allowed[valid, a[valid]]]
    for f in bad.tolist():
        rep.violations.append(Violation(
            "allowed", str(fn.ids[f]), 1.0, 0.0,
            f"function '{fn.ids[f]}' is placed at '{tids[a[f]]}', which it is not allowed at"))
    pin = np.nonzero(fn.pinned != NO_TIER)[0]
    for f in pin[a[pin] != fn.pinned[pin]].tolist():
        at = tids[a[f]] if 0 <= a[f] < len(tids) else "no tier"
        rep.violations.append(Violation(
            "pinned", str(fn.ids[f]), 1.0, 0.0,
            f"function '{fn.ids[f]}' is pinned to '{tids[fn.pinned[f]]}' but placed at '{at}'"))
    rep.checked += ["allowed", "pinned"]


def _check_resources(inst: Instance, a: np.ndarray, rep: CheckReport,
                     extra: dict[str, object]) -> None:
    if not inst.resources:
        return
    use, moves = _resource_use(inst, a)
    T, R = inst.n_tiers, len(inst.resources)
    per_tier = np.zeros((T, R))
    placed = a != NO_TIER
    np.add.at(per_tier, a[placed], use[placed])
    rep.violations += budget_and_cap_violations(inst.resources, inst.tier_index,
                                                use.sum(axis=0) + moves.sum(axis=0), per_tier)
    rep.checked += ["budgets", "caps"]


def _check_moves(inst: Instance, a: np.ndarray, rep: CheckReport,
                 extra: dict[str, object]) -> None:
    if inst.max_moves is None:
        return
    cur = inst.functions.current
    moved = int(((cur != NO_TIER) & (a != cur)).sum())
    if moved > inst.max_moves:
        rep.violations.append(Violation(
            "max_moves", "max_moves", float(moved), float(inst.max_moves),
            f"{moved} functions leave their current tier; at most {inst.max_moves} may"))
    rep.checked.append("max_moves")


def _check_max_share(inst: Instance, a: np.ndarray, rep: CheckReport,
                     extra: dict[str, object]) -> None:
    if not inst.max_share:
        return
    F = inst.n_functions
    counts = np.bincount(a[(a >= 0) & (a < inst.n_tiers)], minlength=inst.n_tiers)
    use, _ = _resource_use(inst, a)
    rix = {r: i for i, r in enumerate(inst.resource_ids)}
    for ms in inst.max_share:
        tiers = [ms.tier] if ms.tier is not None else list(inst.tier_ids)
        for tid in tiers:
            if tid not in inst.tier_index:
                continue
            t = inst.tier_index[tid]
            if ms.of == "functions":
                held, limit = float(counts[t]), ms.share * F
                what = f"{int(held)} of {F} functions"
            else:
                col = use[:, rix[ms.of]]
                held, limit = float(col[a == t].sum()), ms.share * float(col.sum())
                what = f"{held:,.6g} of {float(col.sum()):,.6g} {ms.of}"
            if over(held, limit):
                rep.violations.append(Violation(
                    "max_share", f"{tid},{ms.of}", held, limit,
                    f"{tid} holds {what}, more than its max_share {ms.share:g}"))
    rep.checked.append("max_share")


def _check_links(inst: Instance, a: np.ndarray, rep: CheckReport,
                 extra: dict[str, object]) -> None:
    if not inst.links:
        return
    if ((a < 0) | (a >= inst.n_tiers)).any():
        return
    for lk, message in broken_hard_links(inst, a):
        rep.violations.append(Violation("link", lk.id, 1.0, 0.0, message))
    rep.checked.append("links")


def _link_penalty_term(inst: Instance, a: np.ndarray) -> float:
    """Soft-link penalties as they enter the objective: lost when maximising, added when
    minimising."""
    total = float(link_penalties(inst, a).sum())
    return -inst.sense.sign * total


def _check_objective(inst: Instance, a: np.ndarray, rep: CheckReport,
                     extra: dict[str, object]) -> None:
    if rep.objective is None or rep.claimed is None:
        return
    if abs(rep.objective - rep.claimed) > TOLERANCE * max(1.0, abs(rep.claimed)):
        rep.violations.append(Violation(
            "objective", "objective", rep.claimed, rep.objective,
            f"the solver's objective {rep.claimed:,.9g} differs from the recomputed "
            f"{rep.objective:,.9g}"))
    rep.checked.append("objective")


def objective_of(inst: Instance, a: np.ndarray) -> float:
    """The objective recomputed from the instance (value of the placement, less penalties);
    ``a`` is (F,) tiers, or (F, A) tiers per area for an instance with areas."""
    if inst.per_area:
        tiers = a if a.ndim == 2 else np.repeat(a[:, None], inst.n_areas, axis=1)
        value = area_objective(inst, tiers)
        if value is None:
            raise ValueError("a placement with an area no unit serves has no objective")
        return value
    total = float(placement_values(inst, a).sum())
    for term in OBJECTIVE_TERMS:
        total += term(inst, a)
    return total


#: Extra objective terms (e.g. soft-link penalties), each (instance, assignment) -> amount.
OBJECTIVE_TERMS: list[Callable[[Instance, np.ndarray], float]] = [_link_penalty_term]

#: Constraint checks in order; features add their own here.
CHECKS: list[Check] = [_check_assignment, _check_allowed_pinned, _check_resources, _check_moves,
                       _check_max_share, _check_links]


def check(
    inst: Instance,
    assignment: np.ndarray,
    claimed_objective: float | None = None,
    *,
    x_matrix: np.ndarray | None = None,
) -> CheckReport:
    """Check a placement against ``inst`` (with its scenario applied).

    Parameters
    ----------
    assignment
        Tier index per function; for an instance with areas, (F, A) the tier serving each
        function in each area (checked by :func:`placement.solution.area_check.check_areas`).
    claimed_objective
        The objective the solver reported; compared with the recomputed one.
    x_matrix
        The solver's (F, U) placement values (x[f, t] in the single-area case), to check
        integrality and "exactly one tier" too.

    Examples
    --------
    >>> import numpy as np, placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> rep = check(inst, np.full(inst.n_functions, 2))   # everything local
    >>> rep.ok, rep.violations[0].message
    (False, 'staff used 112 exceeds its budget 50 by 62')
    """
    a = np.asarray(assignment, dtype=np.int64)
    if inst.per_area:
        tiers = a if a.ndim == 2 else np.repeat(a[:, None], inst.n_areas, axis=1)
        return check_areas(inst, tiers, claimed_objective, x_matrix=x_matrix)
    if a.ndim == 2:
        a = a[:, 0]
    valid = (a >= 0) & (a < inst.n_tiers)
    obj = objective_of(inst, np.where(valid, a, NO_TIER)) if valid.all() else None
    rep = CheckReport(objective=obj, claimed=claimed_objective)
    extra: dict[str, object] = {"x_matrix": x_matrix}
    for c in [*CHECKS, _check_objective]:
        c(inst, a, rep, extra)
    return rep
