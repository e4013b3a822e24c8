"""The constraint families of MODEL.md section 3 (and the spread limits of section 5): each
adds one block of rows to a build, from whole arrays."""

from __future__ import annotations

import numpy as np

from placement.milp.canonical import constant_labels, list_labels
from placement.milp.context import BuildContext, slack_scale, x_columns
from placement.model.instance import Instance
from placement.model.tiers import NO_TIER

__all__ = ["assignment", "budgets", "caps", "max_moves", "max_share", "budget_coefficients"]


def assignment(ctx: BuildContext) -> None:
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


def budgets(ctx: BuildContext) -> None:
    inst = ctx.instance
    F, T = ctx.F, ctx.T
    for r, res in enumerate(inst.resources):
        if res.budget is None:
            continue
        coef = budget_coefficients(inst, ctx.costs, r).ravel()
        start = ctx.builder.add_rows(
            "budget",
            np.zeros(F * T, dtype=np.int64),
            np.arange(F * T, dtype=np.int64),
            coef,
            -np.inf,
            float(res.budget),
            1,
            constant_labels(f"budget[{res.id}]"),
            f"total {res.id} within its budget",
        )
        ctx.relax("budget", start, 1, np.zeros(1), [res.id], [float(res.budget)], +1,
                  [slack_scale(float(res.budget))])


def caps(ctx: BuildContext) -> None:
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
        start = ctx.builder.add_rows(
            "cap",
            rows,
            cols,
            vals,
            -np.inf,
            bounds,
            k,
            list_labels([f"cap[{t},{res.id}]" for t in tier_ids]),
            f"{res.id} used at a tier within that tier's cap",
        )
        ctx.relax("cap", start, k, np.arange(k), [f"{t},{res.id}" for t in tier_ids],
                  bounds.tolist(), +1, [slack_scale(b) for b in bounds.tolist()])


def max_moves(ctx: BuildContext) -> None:
    inst = ctx.instance
    if inst.max_moves is None:
        return
    cur = inst.functions.current
    has = np.nonzero(cur != NO_TIER)[0]
    n = has.shape[0]
    cols = x_columns(ctx.T, has, cur[has])
    start = ctx.builder.add_rows(
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
    ctx.relax("max_moves", start, 1, np.zeros(1), ["max_moves"], [float(inst.max_moves)], -1,
              [slack_scale(float(inst.max_moves))])


def max_share(ctx: BuildContext) -> None:
    """No tier holds more than a share of the functions, or of a resource's running use."""
    inst = ctx.instance
    if not inst.max_share:
        return
    F, T = ctx.F, ctx.T
    tidx = inst.tier_index
    rix = {r: i for i, r in enumerate(inst.resource_ids)}
    entries: list[tuple[int, float, str]] = []
    for ms in inst.max_share:
        tiers = range(T) if ms.tier is None else ([tidx[ms.tier]] if ms.tier in tidx else [])
        entries += [(t, ms.share, ms.of) for t in tiers]
    if not entries:
        return
    t_arr = np.array([e[0] for e in entries], dtype=np.int64)
    s_arr = np.array([e[1] for e in entries])
    k = len(entries)
    # every row is dense over x: sum_{f,t'} coef[row, f, t'] x[f,t'] <= upper[row]
    coef = np.zeros((k, F, T))
    upper = np.zeros(k)
    scales = np.ones(k)
    limits = np.zeros(k)
    fun = np.array([e[2] == "functions" for e in entries])
    rows_f = np.nonzero(fun)[0]
    coef[rows_f, :, t_arr[rows_f]] = 1.0
    upper[rows_f] = s_arr[rows_f] * F
    limits[rows_f] = s_arr[rows_f] * F
    scales[rows_f] = np.maximum(s_arr[rows_f] * F, 1.0)
    for i in np.nonzero(~fun)[0].tolist():  # one per resource-share entry: few
        c = ctx.costs[:, :, rix[entries[i][2]]]
        onehot = (np.arange(T) == t_arr[i]).astype(float)
        coef[i] = (onehot[None, :] - s_arr[i]) * c
        scales[i] = slack_scale(s_arr[i] * float(c.max(axis=1).sum()))
    rows = np.repeat(np.arange(k, dtype=np.int64), F * T)
    cols = np.tile(np.arange(F * T, dtype=np.int64), k)
    labels = [f"max_share[{inst.tier_ids[t]},{of}]" for t, _, of in entries]
    start = ctx.builder.add_rows(
        "max_share", rows, cols, coef.ravel(), -np.inf, upper, k,
        list_labels(labels),
        "no tier holds more than its share of the functions or of a resource")
    ctx.relax("max_share", start, k, np.arange(k),
              [f"{inst.tier_ids[t]},{of}" for t, _, of in entries], limits.tolist(), +1,
              scales.tolist())


