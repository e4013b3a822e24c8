"""Instance -> canonical form (MODEL.md section 3), built with whole-array numpy/scipy code.

Constraint families are small functions that each add one block of rows (and, if they need
them, auxiliary columns) to a :class:`~placement.canonical.FormBuilder`. ``FAMILIES`` lists
them in order; later features add their own families there rather than special-casing
``build``.

    maximise    sum v[f,t] x[f,t]
    subject to  sum_t x[f,t] = 1                                  assign[f]
                x[f,t] = 0 for t not allowed; x[f,pinned] = 1     column bounds
                sum_{f,t} (cost[f,t,r] + move[f,r][t != current_f]) x[f,t] <= budget_r
                sum_f cost[f,t,r] x[f,t] <= cap[t,r]               cap[t,r]
                sum_{f with a current tier} x[f,current_f] >= n_current - max_moves
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from placement.canonical import CanonicalForm, FormBuilder
from placement.domain import NO_TIER, Instance

__all__ = ["build", "FAMILIES", "BuildContext", "x_labeler", "x_columns"]


@dataclass
class BuildContext:
    """What constraint families share while one form is built."""

    instance: Instance
    builder: FormBuilder
    values: np.ndarray  # (F, T)
    costs: np.ndarray  # (F, T, R)

    @property
    def F(self) -> int:
        return self.instance.n_functions

    @property
    def T(self) -> int:
        return self.instance.n_tiers


Family = Callable[[BuildContext], None]


def x_columns(T: int, f: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Column index of x[f, t] (function-major)."""
    return np.asarray(f, dtype=np.int64) * T + np.asarray(t, dtype=np.int64)


def x_labeler(inst: Instance) -> Callable[[np.ndarray], list[str]]:
    ids = inst.functions.ids
    tiers = inst.tier_ids
    T = inst.n_tiers

    def label(idx: np.ndarray) -> list[str]:
        return [f"x[{ids[i // T]},{tiers[i % T]}]" for i in idx.tolist()]

    return label


def _assignment(ctx: BuildContext) -> None:
    F, T = ctx.F, ctx.T
    ids = ctx.instance.functions.ids
    rows = np.repeat(np.arange(F, dtype=np.int64), T)
    cols = np.arange(F * T, dtype=np.int64)
    ctx.builder.add_rows(
        "assign",
        rows,
        cols,
        np.ones(F * T),
        1.0,
        1.0,
        F,
        lambda idx: [f"assign[{ids[i]}]" for i in idx.tolist()],
        "each function at exactly one tier",
    )


def budget_coefficients(inst: Instance, costs: np.ndarray, r: int) -> np.ndarray:
    """(F, T) coefficients of budget row r: cost plus the one-off move cost off-current."""
    coef = costs[:, :, r].copy()
    move = inst.functions.move[:, r]
    cur = inst.functions.current
    has = (cur != NO_TIER) & (move != 0)
    if has.any():
        rows = np.nonzero(has)[0]
        coef[rows, :] += move[rows, None]
        coef[rows, cur[rows]] -= move[rows]
    return coef


def _budgets(ctx: BuildContext) -> None:
    inst = ctx.instance
    F, T = ctx.F, ctx.T
    for r, res in enumerate(inst.resources):
        if res.budget is None:
            continue
        coef = budget_coefficients(inst, ctx.costs, r).ravel()
        ctx.builder.add_rows(
            "budget",
            np.zeros(F * T, dtype=np.int64),
            np.arange(F * T, dtype=np.int64),
            coef,
            -np.inf,
            float(res.budget),
            1,
            lambda idx, rid=res.id: [f"budget[{rid}]" for _ in idx.tolist()],
            f"total {res.id} within its budget",
        )


def _caps(ctx: BuildContext) -> None:
    inst = ctx.instance
    F, T = ctx.F, ctx.T
    tidx = inst.tier_index
    for r, res in enumerate(inst.resources):
        caps = [(tidx[t], float(v)) for t, v in res.caps.items() if t in tidx and v is not None]
        if not caps:
            continue
        caps.sort()
        tiers = np.array([t for t, _ in caps], dtype=np.int64)
        bounds = np.array([v for _, v in caps])
        k = tiers.shape[0]
        rows = np.repeat(np.arange(k, dtype=np.int64), F)
        f = np.tile(np.arange(F, dtype=np.int64), k)
        t = np.repeat(tiers, F)
        cols = x_columns(T, f, t)
        vals = ctx.costs[f, t, r]
        tier_ids = [inst.tier_ids[i] for i in tiers.tolist()]
        ctx.builder.add_rows(
            "cap",
            rows,
            cols,
            vals,
            -np.inf,
            bounds,
            k,
            lambda idx, rid=res.id, tl=tier_ids: [f"cap[{tl[i]},{rid}]" for i in idx.tolist()],
            f"{res.id} used at a tier within that tier's cap",
        )


def _max_moves(ctx: BuildContext) -> None:
    inst = ctx.instance
    if inst.max_moves is None:
        return
    cur = inst.functions.current
    has = np.nonzero(cur != NO_TIER)[0]
    n = has.shape[0]
    cols = x_columns(ctx.T, has, cur[has])
    ctx.builder.add_rows(
        "max_moves",
        np.zeros(n, dtype=np.int64),
        cols,
        np.ones(n),
        float(n - inst.max_moves),
        np.inf,
        1,
        lambda idx: ["max_moves" for _ in idx.tolist()],
        "at most max_moves functions leave their current tier",
    )


#: Constraint families in the order their rows appear.
FAMILIES: list[Family] = [_assignment, _budgets, _caps, _max_moves]


def build(
    inst: Instance,
    *,
    values: np.ndarray | None = None,
    families: list[Family] | None = None,
) -> CanonicalForm:
    """The canonical form of ``inst``.

    Parameters
    ----------
    inst
        The instance (with any scenario already applied).
    values
        An (F, T) value table to use instead of the instance's own (sensitivity analyses).
    families
        Constraint families to use instead of :data:`FAMILIES`.

    Examples
    --------
    >>> import placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> form = build(inst)
    >>> form.n_cols == inst.n_functions * inst.n_tiers
    True
    """
    t0 = time.perf_counter()
    F, T = inst.n_functions, inst.n_tiers
    v = inst.value_matrix if values is None else np.asarray(values, dtype=float)
    costs = inst.cost_tensor
    b = FormBuilder(inst.sense, F, T, inst.name)
    fn = inst.functions
    lower = np.zeros((F, T))
    pinned = np.nonzero(fn.pinned != NO_TIER)[0]
    lower[pinned, fn.pinned[pinned]] = 1.0
    upper = fn.allowed.astype(float)
    b.add_columns(
        "x",
        v.ravel(),
        lower.ravel(),
        upper.ravel(),
        True,
        x_labeler(inst),
        "x[f,t] = 1 when function f is placed at tier t",
    )
    ctx = BuildContext(inst, b, v, costs)
    for family in FAMILIES if families is None else families:
        family(ctx)
    form = b.build()
    form.info["build_seconds"] = time.perf_counter() - t0
    return form
