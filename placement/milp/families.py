"""The constraint families of docs/model.md section 3 (and the spread limits of section 5),
written once over units and areas (section 9): each adds one block of rows to a build, from
whole arrays. In the single-area case every family is the uniform model's."""

from __future__ import annotations

import numpy as np

from placement.milp.canonical import constant_labels, list_labels
from placement.milp.context import BuildContext, slack_scale, x_columns
from placement.model.instance import Instance
from placement.model.tiers import NO_TIER

__all__ = ["assignment", "budgets", "caps", "max_moves", "max_share", "budget_coefficients",
           "move_weights"]


def assignment(ctx: BuildContext) -> None:
    """Every function done by exactly one unit in every area: for each f and area a,
    ``sum_t y[f, unit of t at a] = 1`` (per function, ``sum_t x[f, t] = 1``, in the
    single-area case)."""
    F, A, U = ctx.F, ctx.A, ctx.U
    layout = ctx.layout
    ids = ctx.instance.functions.ids
    a, t = np.nonzero(layout.unit_of >= 0)  # area-major: rows of one area in tier order
    u = layout.unit_of[a, t]
    n = a.shape[0]
    rows = np.repeat(np.arange(F, dtype=np.int64) * A, n) + np.tile(a, F)
    cols = x_columns(U, np.repeat(np.arange(F, dtype=np.int64), n), np.tile(u, F))
    if layout.per_area:
        areas = layout.area_ids

        def labels(idx: np.ndarray) -> list[str]:
            return [f"assign[{ids[i // A]}@{areas[i % A]}]" for i in idx.tolist()]
    else:
        def labels(idx: np.ndarray) -> list[str]:
            return [f"assign[{ids[i]}]" for i in idx.tolist()]
    ctx.builder.add_rows("assign", rows, cols, np.ones(F * n), 1.0, 1.0, F * A, labels,
                         "each function done by exactly one unit in every area")


def move_weights(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """``(stay, known)``, both (F, U): ``stay[f, u]`` is the share of the people (p_a / P)
    in unit u's areas where u's tier is f's current tier there, and ``known[f, u]`` the share
    in u's areas where f has a current tier at all. ``known - stay`` is what placing f at u
    moves (docs/model.md section 9: moves counted per area, weighted by population); in the
    single-area case it is 1 off the current tier and 0 on it."""
    layout = inst.units
    F, U = inst.n_functions, layout.n_units
    w = layout.area_population / layout.area_population.sum()
    cur = inst.current_by_area  # (F, A)
    f, a = np.nonzero(cur != NO_TIER)
    u_cur = layout.unit_of[a, cur[f, a]]
    ok = u_cur >= 0
    stay = np.bincount(f[ok] * U + u_cur[ok], weights=w[a[ok]],
                       minlength=F * U).reshape(F, U)
    has = (cur != NO_TIER).astype(float) * w[None, :]  # (F, A)
    known = np.asarray(has @ layout.membership())
    return stay, known


def budget_coefficients(inst: Instance, costs: np.ndarray, r: int) -> np.ndarray:
    """(F, U) coefficients of budget row r: running cost plus the one-off move cost for the
    people whose function leaves its current tier (off the current tier, in the single-area
    case)."""
    coef = costs[:, :, r].copy()
    move = inst.functions.move[:, r]
    rows = np.nonzero(move != 0)[0]
    if rows.size:
        stay, known = move_weights(inst)
        coef[rows] += move[rows, None] * (known[rows] - stay[rows])
    return coef


def budgets(ctx: BuildContext) -> None:
    inst = ctx.instance
    F, T = ctx.F, ctx.U
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
    """Per-tier caps: what all units of a tier use of a resource."""
    inst = ctx.instance
    F, U = ctx.F, ctx.U
    tidx = inst.tier_index
    layout = ctx.layout
    for r, res in enumerate(inst.resources):
        caps = [(tidx[t], float(v)) for t, v in res.caps.items() if t in tidx and v is not None]
        if not caps:
            continue
        caps.sort()
        tiers = np.array([t for t, _ in caps], dtype=np.int64)
        bounds = np.array([v for _, v in caps])
        k = tiers.shape[0]
        sizes = layout.start[tiers + 1] - layout.start[tiers]  # units of each capped tier
        units = np.concatenate([layout.units_of_tier(t) for t in tiers.tolist()])
        row_of_unit = np.repeat(np.arange(k, dtype=np.int64), sizes)
        rows = np.repeat(row_of_unit, F)
        f = np.tile(np.arange(F, dtype=np.int64), units.shape[0])
        u = np.repeat(units, F)
        tier_ids = [inst.tier_ids[i] for i in tiers.tolist()]
        start = ctx.builder.add_rows(
            "cap", rows, x_columns(U, f, u), ctx.costs[f, u, r], -np.inf, bounds, k,
            list_labels([f"cap[{t},{res.id}]" for t in tier_ids]),
            f"{res.id} used at a tier within that tier's cap")
        ctx.relax("cap", start, k, np.arange(k), [f"{t},{res.id}" for t in tier_ids],
                  bounds.tolist(), +1, [slack_scale(b) for b in bounds.tolist()])


def max_moves(ctx: BuildContext) -> None:
    """At most ``max_moves`` functions leave their current tier, counted per area and weighted
    by population (the number of functions that move, in the single-area case). Written as
    what stays: ``sum_{f,u} stay[f, u] y[f, u] >= K - max_moves``, with K the population-
    weighted count of functions with a current tier (the count, in the single-area case)."""
    inst = ctx.instance
    if inst.max_moves is None:
        return
    stay, _ = move_weights(inst)
    f, u = np.nonzero(stay > 0)
    K = float(((inst.current_by_area != NO_TIER) * ctx.area_weight[None, :]).sum())
    start = ctx.builder.add_rows(
        "max_moves", np.zeros(f.shape[0], dtype=np.int64), x_columns(ctx.U, f, u), stay[f, u],
        K - float(inst.max_moves), np.inf, 1,
        constant_labels("max_moves"), "at most max_moves functions leave their current tier")
    ctx.relax("max_moves", start, 1, np.zeros(1), ["max_moves"], [float(inst.max_moves)], -1,
              [slack_scale(float(inst.max_moves))])


def max_share(ctx: BuildContext) -> None:
    """No tier holds more than a share of the functions, or of a resource's running use."""
    inst = ctx.instance
    if not inst.max_share:
        return
    F, T, U = ctx.F, ctx.T, ctx.U
    tidx = inst.tier_index
    rix = {r: i for i, r in enumerate(inst.resource_ids)}
    unit_tier = ctx.layout.unit_tier
    entries: list[tuple[int, float, str]] = []
    for ms in inst.max_share:
        tiers = range(T) if ms.tier is None else ([tidx[ms.tier]] if ms.tier in tidx else [])
        entries += [(t, ms.share, ms.of) for t in tiers]
    if not entries:
        return
    t_arr = np.array([e[0] for e in entries], dtype=np.int64)
    s_arr = np.array([e[1] for e in entries])
    k = len(entries)
    # every row is dense over y: sum_{f,u} coef[row, f, u] y[f,u] <= upper[row]; a function
    # counts at a tier by the share of the people it is done there for (1, single-area)
    coef = np.zeros((k, F, U))
    upper = np.zeros(k)
    scales = np.ones(k)
    limits = np.zeros(k)
    fun = np.array([e[2] == "functions" for e in entries])
    rows_f = np.nonzero(fun)[0]
    on_tier = (unit_tier[None, :] == t_arr[rows_f, None]) * ctx.unit_weight[None, :]
    coef[rows_f] = on_tier[:, None, :]
    upper[rows_f] = s_arr[rows_f] * F
    limits[rows_f] = s_arr[rows_f] * F
    scales[rows_f] = np.maximum(s_arr[rows_f] * F, 1.0)
    for i in np.nonzero(~fun)[0].tolist():  # one per resource-share entry: few
        c = ctx.costs[:, :, rix[entries[i][2]]]
        onehot = (unit_tier == t_arr[i]).astype(float)
        coef[i] = (onehot[None, :] - s_arr[i]) * c
        scales[i] = slack_scale(s_arr[i] * float(c.max(axis=1).sum()))
    rows = np.repeat(np.arange(k, dtype=np.int64), F * U)
    cols = np.tile(np.arange(F * U, dtype=np.int64), k)
    labels = [f"max_share[{inst.tier_ids[t]},{of}]" for t, _, of in entries]
    start = ctx.builder.add_rows(
        "max_share", rows, cols, coef.ravel(), -np.inf, upper, k,
        list_labels(labels),
        "no tier holds more than its share of the functions or of a resource")
    ctx.relax("max_share", start, k, np.arange(k),
              [f"{inst.tier_ids[t]},{of}" for t, _, of in entries], limits.tolist(), +1,
              scales.tolist())




def unit_caps(ctx: BuildContext) -> None:
    """Caps on single bodies (docs/model.md section 9): what one unit uses of a resource, at
    most a given amount or a rate per head of the people it covers."""
    inst = ctx.instance
    geo = inst.geography
    if geo is None or not geo.unit_caps:
        return
    layout = ctx.layout
    rix = {r: i for i, r in enumerate(inst.resource_ids)}
    tidx = inst.tier_index
    F, U = ctx.F, ctx.U
    units_l: list[np.ndarray] = []
    bounds_l: list[np.ndarray] = []
    res_l: list[np.ndarray] = []
    for cap in geo.unit_caps:  # one row of the unit-caps table each
        if cap.tier not in tidx or cap.resource not in rix:
            continue
        units = layout.units_of_tier(tidx[cap.tier])
        if cap.unit is not None:
            units = units[(layout.unit_code[units] == cap.unit)
                          | (layout.unit_name[units] == cap.unit)]
        amount = cap.amount * layout.unit_people[units] if cap.per_head else np.full(
            units.shape[0], cap.amount)
        units_l.append(units)
        bounds_l.append(amount)
        res_l.append(np.full(units.shape[0], rix[cap.resource], dtype=np.int64))
    if not units_l:
        return
    units = np.concatenate(units_l)
    bounds = np.concatenate(bounds_l)
    res = np.concatenate(res_l)
    k = units.shape[0]
    rows = np.repeat(np.arange(k, dtype=np.int64), F)
    f = np.tile(np.arange(F, dtype=np.int64), k)
    u = np.repeat(units, F)
    r = np.repeat(res, F)
    names = [f"unit_cap[{layout.tier_ids[layout.unit_tier[x]]}:{layout.unit_code[x]},"
             f"{inst.resource_ids[y]}]" for x, y in zip(units.tolist(), res.tolist(), strict=True)]
    subjects = [f"{layout.tier_ids[layout.unit_tier[x]]}:{layout.unit_code[x]},"
                f"{inst.resource_ids[y]}" for x, y in zip(units.tolist(), res.tolist(),
                                                          strict=True)]
    start = ctx.builder.add_rows(
        "unit_cap", rows, x_columns(U, f, u), ctx.costs[f, u, r], -np.inf, bounds, k,
        list_labels(names), "what one body uses within its own cap")
    ctx.relax("unit_cap", start, k, np.arange(k), subjects, bounds.tolist(), +1,
              [slack_scale(b) for b in bounds.tolist()])
