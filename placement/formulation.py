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
                sum_f x[f,t] <= share * F                          max_share (functions)
                sum_f cost[f,t,r] x[f,t] <= share * sum_{f,t'} cost[f,t',r] x[f,t']
                                                                   max_share (a resource)
                hard links (MODEL.md section 4), one row per link and tier t:
                x[f,t] <= sum_{t' : ok(t,t')} x[g,t']                link
                soft links: y[l,t,t'] = 1 when f is at t and g at t' (transport rows
                sum_t' y[l,t,t'] = x[f,t] and sum_t y[l,t,t'] = x[g,t']), each y paying
                penalty * d(t,t') in the objective; exact because x is binary
                links to a geography: sum_{t : kappa_G(t) < kappa_min} x[f,t] <= 0 (hard) or a
                copy z[l,t] = x[f,t] of each such tier paying penalty * (1 - kappa_G(t))

with ok/d per kind: together ok = (t == t'), d = 1 off the diagonal; at_or_above ok =
(t <= t'), d = 1 where f is more local than g; coterminous ok = (kappa(t,t') >= kappa_min),
d = 1 - kappa(t,t') where not ok. Every auxiliary column is binary, so backends that take only
integer variables (CP-SAT) solve the same form.

Families record the rows an infeasibility diagnosis may relax in ``form.info["relaxable"]``
(a list of :class:`RelaxableRows`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from placement.canonical import CanonicalForm, FormBuilder
from placement.domain import NO_TIER, Instance, Link

__all__ = ["build", "FAMILIES", "BuildContext", "RelaxableRows", "x_labeler", "x_columns",
           "link_pair_tables", "geography_penalties", "centrality_ranks"]


@dataclass(frozen=True)
class RelaxableRows:
    """Rows an elastic re-solve may relax, in groups that share one slack.

    Attributes
    ----------
    kind
        ``budget``, ``cap``, ``max_moves``, ``max_share`` or ``link``.
    rows
        Global row indices.
    group
        Group of each row (0 .. len(subjects) - 1).
    subjects
        What each group is in the instance's words (resource id, ``tier,resource``, link id).
    limits
        Each group's limit as the instance states it (budget, cap, max_moves, share, 0).
    sense
        +1 when the rows read ``<= upper`` (a slack raises the upper bound); -1 for ``>=``.
    scales
        What a slack is divided by in the elastic objective (the size of the limit).
    """

    kind: str
    rows: np.ndarray
    group: np.ndarray
    subjects: list[str]
    limits: np.ndarray
    sense: int
    scales: np.ndarray


@dataclass
class BuildContext:
    """What constraint families share while one form is built."""

    instance: Instance
    builder: FormBuilder
    values: np.ndarray  # (F, T)
    costs: np.ndarray  # (F, T, R)
    relaxable: list[RelaxableRows] = field(default_factory=list)

    def relax(self, kind: str, start: int, n_rows: int, group: np.ndarray,
              subjects: Sequence[str], limits: Sequence[float], sense: int,
              scales: Sequence[float]) -> None:
        """Record rows ``start .. start + n_rows - 1`` as relaxable (see RelaxableRows)."""
        self.relaxable.append(RelaxableRows(
            kind, np.arange(start, start + n_rows, dtype=np.int64),
            np.asarray(group, dtype=np.int64), list(subjects),
            np.asarray(limits, dtype=float), sense, np.asarray(scales, dtype=float)))

    @property
    def objective_sign(self) -> float:
        """+1 when the objective is maximised: penalties enter with minus this sign."""
        return 1.0 if self.instance.sense == "max" else -1.0

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
        start = ctx.builder.add_rows(
            "budget",
            np.zeros(F * T, dtype=np.int64),
            np.arange(F * T, dtype=np.int64),
            coef,
            -np.inf,
            float(res.budget),
            1,
            _constant_labels(f"budget[{res.id}]"),
            f"total {res.id} within its budget",
        )
        ctx.relax("budget", start, 1, np.zeros(1), [res.id], [float(res.budget)], +1,
                  [_scale(float(res.budget))])


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
        start = ctx.builder.add_rows(
            "cap",
            rows,
            cols,
            vals,
            -np.inf,
            bounds,
            k,
            _list_labels([f"cap[{t},{res.id}]" for t in tier_ids]),
            f"{res.id} used at a tier within that tier's cap",
        )
        ctx.relax("cap", start, k, np.arange(k), [f"{t},{res.id}" for t in tier_ids],
                  bounds.tolist(), +1, [_scale(b) for b in bounds.tolist()])


def _max_moves(ctx: BuildContext) -> None:
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
              [_scale(float(inst.max_moves))])


Labeler = Callable[[np.ndarray], list[str]]


def _constant_labels(label: str) -> Labeler:
    def labels(idx: np.ndarray) -> list[str]:
        return [label] * len(idx)

    return labels


def _list_labels(names: Sequence[str]) -> Labeler:
    def labels(idx: np.ndarray) -> list[str]:
        return [names[i] for i in idx.tolist()]

    return labels


def _link_row_labels(ids: Sequence[str], tids: Sequence[str]) -> Labeler:
    T = len(tids)

    def labels(idx: np.ndarray) -> list[str]:
        return [f"link[{ids[i // T]}]@{tids[i % T]}" for i in idx.tolist()]

    return labels


def _pair_col_labels(ids: Sequence[str], tids: Sequence[str]) -> Labeler:
    T = len(tids)

    def labels(idx: np.ndarray) -> list[str]:
        return [f"y[{ids[i // (T * T)]},{tids[(i % (T * T)) // T]},{tids[i % T]}]"
                for i in idx.tolist()]

    return labels


def _pair_row_labels(ids: Sequence[str], tids: Sequence[str]) -> Labeler:
    T = len(tids)

    def labels(idx: np.ndarray) -> list[str]:
        return [f"link_pair[{ids[i // (2 * T)]}]:"
                + (f"first@{tids[i % (2 * T)]}" if i % (2 * T) < T
                   else f"other@{tids[i % (2 * T) - T]}") for i in idx.tolist()]

    return labels


def _geo_labels(ids: Sequence[str], tids: Sequence[str], ll: np.ndarray, tt: np.ndarray,
                suffix: str) -> Labeler:
    def labels(idx: np.ndarray) -> list[str]:
        return [f"z[{ids[ll[i]]},{tids[tt[i]]}]{suffix}" for i in idx.tolist()]

    return labels


def _scale(limit: float) -> float:
    """What a slack on a limit is divided by in the elastic objective: the limit's size."""
    return abs(limit) if abs(limit) > 0 else 1.0


def _max_share(ctx: BuildContext) -> None:
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
        scales[i] = _scale(s_arr[i] * float(c.max(axis=1).sum()))
    rows = np.repeat(np.arange(k, dtype=np.int64), F * T)
    cols = np.tile(np.arange(F * T, dtype=np.int64), k)
    labels = [f"max_share[{inst.tier_ids[t]},{of}]" for t, _, of in entries]
    start = ctx.builder.add_rows(
        "max_share", rows, cols, coef.ravel(), -np.inf, upper, k,
        _list_labels(labels),
        "no tier holds more than its share of the functions or of a resource")
    ctx.relax("max_share", start, k, np.arange(k),
              [f"{inst.tier_ids[t]},{of}" for t, _, of in entries], limits.tolist(), +1,
              scales.tolist())


def link_pair_tables(inst: Instance, links: Sequence[Link]) -> tuple[np.ndarray, np.ndarray]:
    """For links between two functions: ``ok[l, t, t']`` (the pair of tiers satisfies link l
    with f at t and g at t') and ``d[l, t, t']`` (what a soft link pays per unit of penalty).

    >>> import placement
    >>> from placement.domain import Link
    >>> inst = placement.load("instances/tiny-budget")
    >>> ok, d = link_pair_tables(inst, [Link("l", "at_or_above", "workforce", "prevention")])
    >>> ok[0].astype(int).tolist()
    [[1, 1, 1], [0, 1, 1], [0, 0, 1]]
    """
    T = inst.n_tiers
    kind = np.array([lk.kind for lk in links], dtype=object)
    kmin = np.array([lk.kappa_min for lk in links], dtype=float)
    K = np.nan_to_num(inst.kappa, nan=0.0)  # unknown only where a link cannot land
    eye = np.eye(T, dtype=bool)
    upper = np.triu(np.ones((T, T), dtype=bool))  # f's tier index <= g's: f at or above g
    cot_ok = K[None, :, :] >= kmin[:, None, None] - 1e-12
    together = (kind == "together")[:, None, None]
    above = (kind == "at_or_above")[:, None, None]
    ok = np.where(together, eye[None], np.where(above, upper[None], cot_ok))
    cot = (kind == "coterminous")[:, None, None]
    d = np.where(ok, 0.0, np.where(cot, 1.0 - K[None, :, :], 1.0))
    return ok, d


def geography_penalties(inst: Instance, links: Sequence[Link]) -> np.ndarray:
    """``d[l, t]`` for links to a geography: 1 - kappa_G(t) where kappa_G(t) < kappa_min, else
    0 (kappa_G(t): the tier's best coterminosity with a tier of the geography).

    >>> import placement
    >>> inst = placement.load("instances/tiny-link-geography").with_scenario(None)
    >>> inst.tier_ids
    ('national', 'nhs_region', 'ics', 'place')
    >>> geography_penalties(inst, inst.links[:1]).round(4).tolist()
    [[0.0, 0.0425, 0.1497, 0.0]]
    """
    out = np.zeros((len(links), inst.n_tiers))
    cache: dict[str, np.ndarray] = {}
    for i, lk in enumerate(links):
        assert lk.geography is not None
        if lk.geography not in cache:
            cache[lk.geography] = np.nan_to_num(inst.geography_kappa(lk.geography), nan=0.0)
        kg = cache[lk.geography]
        out[i] = np.where(kg < lk.kappa_min - 1e-12, 1.0 - kg, 0.0)
    return out


def _function_links(ctx: BuildContext, links: list[Link]) -> None:
    inst = ctx.instance
    T = ctx.T
    fix = inst.functions.index
    allowed = inst.functions.allowed
    f_all = np.array([fix[lk.function] for lk in links], dtype=np.int64)
    g_all = np.array([fix[str(lk.other)] for lk in links], dtype=np.int64)
    ok_all, d_all = link_pair_tables(inst, links)
    hard = np.array([lk.hard for lk in links])

    h = np.nonzero(hard)[0]
    if h.size:
        H = h.size
        f, g, ok = f_all[h], g_all[h], ok_all[h]
        r1 = np.arange(H * T, dtype=np.int64)
        c1 = x_columns(T, np.repeat(f, T), np.tile(np.arange(T), H))
        ll, tt, uu = np.nonzero(ok)
        r2 = ll * T + tt
        c2 = x_columns(T, g[ll], uu)
        ids = [links[i].id for i in h.tolist()]
        tids = inst.tier_ids
        start = ctx.builder.add_rows(
            "link", np.concatenate([r1, r2]), np.concatenate([c1, c2]),
            np.concatenate([np.ones(r1.shape[0]), -np.ones(r2.shape[0])]), -np.inf, 0.0, H * T,
            _link_row_labels(ids, tids),
            "hard links: if f is at t, g is at a tier the link accepts with t")
        ctx.relax("link", start, H * T, np.arange(H * T) // T, ids, [0.0] * H, +1, [1.0] * H)

    s = np.nonzero(~hard)[0]
    if s.size:
        S = s.size
        f, g, d = f_all[s], g_all[s], d_all[s]
        pen = np.array([float(links[i].penalty or 0.0) for i in s.tolist()])
        cost = -ctx.objective_sign * pen[:, None, None] * d  # (S, T, T)
        up = (allowed[f][:, :, None] & allowed[g][:, None, :]).astype(float)
        soft_ids = [links[i].id for i in s.tolist()]
        tids = inst.tier_ids
        TT = T * T
        ystart = ctx.builder.add_columns(
            "link_pair", cost.ravel(), 0.0, up.ravel(), True,
            _pair_col_labels(soft_ids, tids),
            "y[l,t,t'] = 1 when soft link l has its first function at t and the other at t'")
        grid = np.meshgrid(np.arange(S), np.arange(T), np.arange(T), indexing="ij")
        ll, tt, uu = (g3.ravel() for g3 in grid)
        ycol = ystart + ll * TT + tt * T + uu
        rows = np.concatenate([ll * 2 * T + tt, ll * 2 * T + T + uu,
                               np.arange(S * T) // T * 2 * T + np.arange(S * T) % T,
                               np.arange(S * T) // T * 2 * T + T + np.arange(S * T) % T])
        cols = np.concatenate([ycol, ycol,
                               x_columns(T, np.repeat(f, T), np.tile(np.arange(T), S)),
                               x_columns(T, np.repeat(g, T), np.tile(np.arange(T), S))])
        vals = np.concatenate([np.ones(2 * ycol.shape[0]), -np.ones(2 * S * T)])
        ctx.builder.add_rows(
            "link_pair", rows, cols, vals, 0.0, 0.0, 2 * S * T,
            _pair_row_labels(soft_ids, tids),
            "soft links: the pair variables add up to each function's placement")


def _geography_links(ctx: BuildContext, links: list[Link]) -> None:
    inst = ctx.instance
    T = ctx.T
    fix = inst.functions.index
    f_all = np.array([fix[lk.function] for lk in links], dtype=np.int64)
    d_all = geography_penalties(inst, links)
    hard = np.array([lk.hard for lk in links])
    h = np.nonzero(hard)[0]
    if h.size:
        ll, tt = np.nonzero(d_all[h] > 0)
        ids = [links[i].id for i in h.tolist()]
        start = ctx.builder.add_rows(
            "geo_link", ll, x_columns(T, f_all[h][ll], tt), np.ones(ll.shape[0]), -np.inf, 0.0,
            h.size, _list_labels([f"link[{i}]" for i in ids]),
            "hard links to a geography: no tier that is not coterminous with it")
        ctx.relax("link", start, h.size, np.arange(h.size), ids, [0.0] * h.size, +1,
                  [1.0] * h.size)
    s = np.nonzero(~hard)[0]
    if s.size:
        ll, tt = np.nonzero(d_all[s] > 0)
        if ll.size == 0:
            return
        pen = np.array([float(links[i].penalty or 0.0) for i in s.tolist()])
        cost = -ctx.objective_sign * pen[ll] * d_all[s][ll, tt]
        soft_ids = [links[i].id for i in s.tolist()]
        tids = inst.tier_ids
        up = inst.functions.allowed[f_all[s][ll], tt].astype(float)
        zstart = ctx.builder.add_columns(
            "geo_link_tier", cost, 0.0, up, True,
            _geo_labels(soft_ids, tids, ll, tt, ""),
            "z[l,t] = x[f,t] for a tier t not coterminous with soft link l's geography")
        n = ll.shape[0]
        ctx.builder.add_rows(
            "geo_link_tier", np.concatenate([np.arange(n), np.arange(n)]),
            np.concatenate([zstart + np.arange(n), x_columns(T, f_all[s][ll], tt)]),
            np.concatenate([np.ones(n), -np.ones(n)]), 0.0, 0.0, n,
            _geo_labels(soft_ids, tids, ll, tt, "=x"),
            "soft links to a geography: z copies x at tiers that pay the penalty")


def _links(ctx: BuildContext) -> None:
    """Links between functions and to geographies (MODEL.md section 4)."""
    links = ctx.instance.links
    if not links:
        return
    fl = [lk for lk in links if lk.other is not None]
    gl = [lk for lk in links if lk.geography is not None]
    if fl:
        _function_links(ctx, fl)
    if gl:
        _geography_links(ctx, gl)


def centrality_ranks(n_tiers: int) -> np.ndarray:
    """rank(t) for subsidiarity: the number of tiers more local than t (national highest,
    the most local tier 0).

    >>> centrality_ranks(3).tolist()
    [2.0, 1.0, 0.0]
    """
    return np.arange(n_tiers - 1, -1, -1, dtype=float)


#: Constraint families in the order their rows appear.
FAMILIES: list[Family] = [_assignment, _budgets, _caps, _max_moves, _max_share, _links]


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
    b.info["relaxable"] = ctx.relaxable
    form = b.build()
    form.info["build_seconds"] = time.perf_counter() - t0
    return form
