"""Links between functions and to geographies (MODEL.md section 4) as rows and columns.

Hard links: ``x[f,t] <= sum_{t' : ok(t,t')} x[g,t']`` per link and tier. Soft links: pair
variables y[l,t,t'] = 1 when f is at t and g at t' (transport rows sum_t' y = x[f,t] and
sum_t y = x[g,t']), each paying ``penalty * d(t,t')``, exact because x is binary. Links to a
geography forbid (hard) or charge (soft, through a copy z[l,t] = x[f,t]) the tiers whose best
coterminosity with the geography is below ``kappa_min``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from placement.milp.canonical import Labeler, list_labels
from placement.milp.context import BuildContext, x_columns
from placement.model.instance import Instance
from placement.model.links import Link

__all__ = ["links", "link_pair_tables", "geography_penalties"]


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


def link_pair_tables(inst: Instance, links: Sequence[Link]) -> tuple[np.ndarray, np.ndarray]:
    """For links between two functions: ``ok[l, t, t']`` (the pair of tiers satisfies link l
    with f at t and g at t') and ``d[l, t, t']`` (what a soft link pays per unit of penalty).

    >>> import placement
    >>> from placement.model import Link
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
            h.size, list_labels([f"link[{i}]" for i in ids]),
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


def links(ctx: BuildContext) -> None:
    """Links between functions and to geographies (MODEL.md section 4)."""
    declared = ctx.instance.links
    if not declared:
        return
    fl = [lk for lk in declared if lk.other is not None]
    gl = [lk for lk in declared if lk.geography is not None]
    if fl:
        _function_links(ctx, fl)
    if gl:
        _geography_links(ctx, gl)


