"""Links between functions and to geographies (docs/model.md sections 4 and 9) as rows and
columns, holding in every area through the tier serving each function there.

Areas with the same unit at every tier behave alike, so the families work on *groups* of such
areas (one group, holding everything, in the single-area case), each weighted by its share of
the people. With ``z[f,g,t]`` the column of the unit of tier t covering group g:

- hard links: ``z[f,g,t] <= sum_{t' : ok_g(t,t')} z[h,g,t']`` for each link f -> h, group g and
  tier t (identical rows are written once);
- soft links: pair variables w[l,g,t,t'] = 1 when f is at t and h at t' in group g (transport
  rows sum_t' w = z[f,g,t] and sum_t w = z[h,g,t']), each paying ``penalty * share_g *
  d_g(t,t')``; exact because y is binary;
- links to a geography: ``sum of y[f,u]`` over units u covering an area where u's tier is not
  coterminous with the geography ``<= 0`` (hard), or a copy z[l,u] = y[f,u] of each such unit
  paying ``penalty * sum over those areas of share_a * (1 - kappa_G,a)``.

ok/d per kind: together ok = (t == t'), d = 1 off the diagonal; at_or_above ok = (t <= t'),
d = 1 where f is more local; coterminous ok = (kappa_g(t,t') >= kappa_min), d = 1 - kappa_g
where not ok, with kappa_g the coterminosity of the two units in the group
(:mod:`placement.model.area_kappa`). In the single-area case these are the uniform rows of
section 4, row for row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from placement.milp.canonical import Labeler, list_labels
from placement.milp.context import BuildContext, x_columns
from placement.model.area_kappa import area_kappa, geography_area_kappa
from placement.model.instance import Instance
from placement.model.links import Link

__all__ = ["links", "link_pair_tables", "geography_penalties", "AreaGroups", "area_groups",
           "group_link_tables"]


@dataclass(frozen=True, eq=False)
class AreaGroups:
    """Areas with the same unit at every tier: ``units[g, t]`` (-1 none), each group's share
    of the people, and the group of every area."""

    units: np.ndarray  # (G, T)
    share: np.ndarray  # (G,)
    of_area: np.ndarray  # (A,)
    first_area: np.ndarray  # (G,) one area of each group, for labels

    @property
    def n(self) -> int:
        return int(self.units.shape[0])


def area_groups(inst: Instance) -> AreaGroups:
    """Group the areas of ``inst`` by their units (one group in the single-area case)."""
    layout = inst.units
    uniq, first, inv = np.unique(layout.unit_of, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # groups in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    inv = rank[np.asarray(inv).ravel()]
    w = layout.area_population / layout.area_population.sum()
    return AreaGroups(uniq[order], np.bincount(inv, weights=w, minlength=order.shape[0]), inv,
                      first[order])


def group_link_tables(inst: Instance, links: Sequence[Link], groups: AreaGroups
                      ) -> tuple[np.ndarray, np.ndarray]:
    """``ok[l, g, t, t']`` and ``d[l, g, t, t']`` for links between two functions, in every
    group of areas (see the module docstring); False / 0 where a tier has no unit there."""
    T = inst.n_tiers
    K = area_kappa(inst.units, inst.kappa)[groups.first_area]  # (G, T, T), NaN: no pair
    covered = groups.units >= 0  # (G, T)
    both = covered[:, :, None] & covered[:, None, :]
    Kz = np.nan_to_num(K, nan=0.0)
    kind = np.array([lk.kind for lk in links], dtype=object)
    kmin = np.array([lk.kappa_min for lk in links], dtype=float)
    eye = np.eye(T, dtype=bool)
    upper = np.triu(np.ones((T, T), dtype=bool))  # f's tier index <= h's: f at or above h
    cot_ok = Kz[None] >= kmin[:, None, None, None] - 1e-12
    together = (kind == "together")[:, None, None, None]
    above = (kind == "at_or_above")[:, None, None, None]
    ok = np.where(together, eye[None, None], np.where(above, upper[None, None], cot_ok))
    ok &= both[None]
    cot = (kind == "coterminous")[:, None, None, None]
    d = np.where(ok, 0.0, np.where(cot, 1.0 - Kz[None], 1.0)) * both[None]
    return ok, d


def link_pair_tables(inst: Instance, links: Sequence[Link]) -> tuple[np.ndarray, np.ndarray]:
    """For links between two functions: ``ok[l, t, t']`` (the pair of tiers satisfies link l
    with f at t and g at t') and ``d[l, t, t']`` (what a soft link pays per unit of penalty).

    >>> import placement
    >>> from placement.model import Link
    >>> inst = placement.load("instances/tiny-budget")
    >>> ok, d = link_pair_tables(inst, [Link("l", "at_or_above", "workforce", "prevention")])
    >>> ok[0].astype(int).tolist()
    [[1, 1, 1], [0, 1, 1], [0, 0, 1]]

    Single-area tables; per area, see :func:`group_link_tables`.
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


def _link_row_labels(ids: Sequence[str], tids: Sequence[str], areas: Sequence[str] | None,
                     ll: np.ndarray, tt: np.ndarray, gg: np.ndarray) -> Labeler:
    def labels(idx: np.ndarray) -> list[str]:
        return [f"link[{ids[ll[i]]}]@{tids[tt[i]]}"
                + (f":{areas[gg[i]]}" if areas is not None else "") for i in idx.tolist()]

    return labels


def _hard_links(ctx: BuildContext, links: list[Link], f: np.ndarray, h: np.ndarray,
                ok: np.ndarray, groups: AreaGroups) -> None:
    """One row per link, group and tier the group has: z[f,g,t] - sum_ok z[h,g,t'] <= 0;
    rows equal in every coefficient are written once."""
    U, T = ctx.U, ctx.T
    H, G = ok.shape[0], groups.n
    ll, gg, tt = (a.ravel() for a in np.meshgrid(np.arange(H), np.arange(G), np.arange(T),
                                                  indexing="ij"))
    uf = groups.units[gg, tt]
    keep = uf >= 0
    ll, gg, tt, uf = ll[keep], gg[keep], tt[keep], uf[keep]
    okr = ok[ll, gg, tt, :]  # (n, T): which of h's tiers the row accepts
    uh = np.where(okr, groups.units[gg], -1)  # (n, T) h's unit at each accepted tier
    if G > 1:  # one group: (link, tier) tells the rows apart, so none can repeat
        key = np.column_stack([ll, tt, uf, uh])
        _, first = np.unique(key, axis=0, return_index=True)
        first = np.sort(first)  # keep the rows in (link, group, tier) order
        ll, gg, tt, uf, uh = ll[first], gg[first], tt[first], uf[first], uh[first]
    n = ll.shape[0]
    # row by row, each row's columns ascending (f's column, then h's at each accepted tier;
    # h's first where h < f, since all of a function's columns lie below the next one's): the
    # builder's CSR fast path, without scipy sorting the whole matrix
    behind = f[ll] > h[ll]
    at = np.where(behind, T, 0)  # where f's column goes in its row
    cols = np.empty((n, T + 1), dtype=np.int64)
    has = np.empty((n, T + 1), dtype=bool)
    vals = np.full((n, T + 1), -1.0)
    hc = x_columns(U, h[ll][:, None], uh)
    cols[~behind, 1:], cols[behind, :T] = hc[~behind], hc[behind]
    has[~behind, 1:], has[behind, :T] = uh[~behind] >= 0, uh[behind] >= 0
    r = np.arange(n)
    cols[r, at], has[r, at], vals[r, at] = x_columns(U, f[ll], uf), True, 1.0
    rows = np.repeat(r, has.sum(axis=1))
    cols, vals = cols[has], vals[has]
    ids = [lk.id for lk in links]
    layout = ctx.layout
    areas = list(layout.area_ids[groups.first_area]) if layout.per_area else None
    start = ctx.builder.add_rows(
        "link", rows, cols, vals, -np.inf, 0.0, n,
        _link_row_labels(ids, ctx.instance.tier_ids, areas, ll, tt, gg),
        "hard links: where f is at t, h is at a tier the link accepts with t, in every area")
    ctx.relax("link", start, n, ll, ids, [0.0] * H, +1, [1.0] * H)


def _soft_links(ctx: BuildContext, links: list[Link], f: np.ndarray, h: np.ndarray,
                d: np.ndarray, groups: AreaGroups) -> None:
    """Pair variables w[l,g,t,t'] with transport rows to the placement columns."""
    inst = ctx.instance
    U, T = ctx.U, ctx.T
    S, G = d.shape[0], groups.n
    pen = np.array([float(lk.penalty or 0.0) for lk in links])
    cost = (-ctx.objective_sign * pen[:, None, None, None] * groups.share[None, :, None, None]
            * d)  # (S, G, T, T)
    units = groups.units  # (G, T)
    allowed = np.hstack([inst.unit_allowed, np.zeros((inst.n_functions, 1), dtype=bool)])
    af = allowed[f[:, None, None], units[None, :, :]]  # (S, G, T): -1 -> the False column
    ah = allowed[h[:, None, None], units[None, :, :]]
    up = (af[:, :, :, None] & ah[:, :, None, :]).astype(float)
    ids = [lk.id for lk in links]
    tids = inst.tier_ids
    layout = ctx.layout
    areas = list(layout.area_ids[groups.first_area]) if layout.per_area else None
    ystart = ctx.builder.add_columns(
        "link_pair", cost.ravel(), 0.0, up.ravel(), True,
        _pair_col_labels(ids, tids, G, areas),
        "w[l,g,t,t'] = 1 when soft link l has its first function at t and the other at t'")
    # the rows of (l, g): first@t (x[f] at t's unit, w[l,g,t,:]) then other@v (x[h] at v's
    # unit, w[l,g,:,v]); emitted row by row, placement column first, for the builder's CSR
    # fast path (the pairs' columns come after every placement column)
    w = (ystart + np.arange(S * G * T * T, dtype=np.int64)).reshape(S * G, T, T)
    uz = np.broadcast_to(units[None], (S, G, T)).reshape(S * G, T)
    fz = np.repeat(f, G)[:, None]
    hz = np.repeat(h, G)[:, None]
    cols = np.empty((S * G, 2 * T, T + 1), dtype=np.int64)
    cols[:, :T, 0] = x_columns(U, fz, uz)
    cols[:, T:, 0] = x_columns(U, hz, uz)
    cols[:, :T, 1:] = w
    cols[:, T:, 1:] = np.transpose(w, (0, 2, 1))
    vals = np.ones((S * G, 2 * T, T + 1))
    vals[:, :, 0] = -1.0
    has = np.ones((S * G, 2 * T, T + 1), dtype=bool)
    has[:, :, 0] = np.tile(uz >= 0, (1, 2))
    width = has.sum(axis=2).ravel()
    rows = np.repeat(np.arange(S * G * 2 * T), width)
    cols, vals = (cols.ravel(), vals.ravel()) if has.all() else (cols[has], vals[has])
    ctx.builder.add_rows(
        "link_pair", rows, cols, vals, 0.0, 0.0, 2 * S * G * T,
        _pair_row_labels(ids, tids, G, areas),
        "soft links: the pair variables add up to each function's placement in every area")


def _pair_col_labels(ids: Sequence[str], tids: Sequence[str], G: int,
                     areas: Sequence[str] | None) -> Labeler:
    T = len(tids)

    def labels(idx: np.ndarray) -> list[str]:
        out = []
        for i in idx.tolist():
            lg, tv = divmod(i, T * T)
            ll, gg = divmod(lg, G)
            at = f"@{areas[gg]}" if areas is not None else ""
            out.append(f"y[{ids[ll]},{tids[tv // T]},{tids[tv % T]}]{at}")
        return out

    return labels


def _pair_row_labels(ids: Sequence[str], tids: Sequence[str], G: int,
                     areas: Sequence[str] | None) -> Labeler:
    T = len(tids)

    def labels(idx: np.ndarray) -> list[str]:
        out = []
        for i in idx.tolist():
            lg, k = divmod(i, 2 * T)
            ll, gg = divmod(lg, G)
            at = f"@{areas[gg]}" if areas is not None else ""
            side = f"first@{tids[k]}" if k < T else f"other@{tids[k - T]}"
            out.append(f"link_pair[{ids[ll]}]:{side}{at}")
        return out

    return labels


def _function_links(ctx: BuildContext, links: list[Link]) -> None:
    inst = ctx.instance
    fix = inst.functions.index
    f_all = np.array([fix[lk.function] for lk in links], dtype=np.int64)
    h_all = np.array([fix[str(lk.other)] for lk in links], dtype=np.int64)
    groups = area_groups(inst)
    ok_all, d_all = group_link_tables(inst, links, groups)
    hard = np.array([lk.hard for lk in links])
    hh = np.nonzero(hard)[0]
    if hh.size:
        _hard_links(ctx, [links[i] for i in hh.tolist()], f_all[hh], h_all[hh], ok_all[hh],
                    groups)
    ss = np.nonzero(~hard)[0]
    if ss.size:
        _soft_links(ctx, [links[i] for i in ss.tolist()], f_all[ss], h_all[ss], d_all[ss],
                    groups)


def area_geography_penalties(inst: Instance, links: Sequence[Link]) -> np.ndarray:
    """``d[l, a, t]`` for links to a geography: 1 - kappa_G,a(t) where it is below the link's
    kappa_min (an unknown kappa counts as 0), else 0; NaN-free, 0 where tier t has no unit."""
    layout = inst.units
    out = np.zeros((len(links), layout.n_areas, layout.n_tiers))
    cache: dict[str, np.ndarray] = {}
    covered = layout.covers()
    for i, lk in enumerate(links):  # a few links, each whole-array over areas and tiers
        assert lk.geography is not None
        if lk.geography not in cache:
            cache[lk.geography] = np.nan_to_num(geography_area_kappa(inst, lk.geography),
                                                nan=0.0)
        kg = cache[lk.geography]
        out[i] = np.where((kg < lk.kappa_min - 1e-12) & covered, 1.0 - kg, 0.0)
    return out


def _geography_links(ctx: BuildContext, links: list[Link]) -> None:
    inst = ctx.instance
    layout = ctx.layout
    U = ctx.U
    fix = inst.functions.index
    f_all = np.array([fix[lk.function] for lk in links], dtype=np.int64)
    d = area_geography_penalties(inst, links)  # (L, A, T)
    w = layout.area_population / layout.area_population.sum()
    ll, aa, tt = np.nonzero(d > 0)
    uu = layout.unit_of[aa, tt]
    # per (link, unit): the penalty share of the unit's areas where it breaks the link
    pay = np.zeros((len(links), U))
    np.add.at(pay, (ll, uu), w[aa] * d[ll, aa, tt])
    hard = np.array([lk.hard for lk in links])
    tids = inst.tier_ids
    names = ([f"{tids[layout.unit_tier[u]]}:{layout.unit_code[u]}" for u in range(U)]
             if layout.per_area else list(tids))
    h = np.nonzero(hard)[0]
    if h.size:
        lh, uh = np.nonzero(pay[h] > 0)
        ids = [links[i].id for i in h.tolist()]
        start = ctx.builder.add_rows(
            "geo_link", lh, x_columns(U, f_all[h][lh], uh), np.ones(lh.shape[0]), -np.inf,
            0.0, h.size, list_labels([f"link[{i}]" for i in ids]),
            "hard links to a geography: no unit that is not coterminous with it")
        ctx.relax("link", start, h.size, np.arange(h.size), ids, [0.0] * h.size, +1,
                  [1.0] * h.size)
    s = np.nonzero(~hard)[0]
    if s.size:
        ls, us = np.nonzero(pay[s] > 0)
        if ls.size == 0:
            return
        pen = np.array([float(links[i].penalty or 0.0) for i in s.tolist()])
        cost = -ctx.objective_sign * pen[ls] * pay[s][ls, us]
        ids = [links[i].id for i in s.tolist()]
        up = inst.unit_allowed[f_all[s][ls], us].astype(float)
        zstart = ctx.builder.add_columns(
            "geo_link_tier", cost, 0.0, up, True,
            list_labels([f"z[{ids[a]},{names[b]}]" for a, b in zip(ls.tolist(), us.tolist(),
                                                                    strict=True)]),
            "z[l,u] = y[f,u] for a unit not coterminous with soft link l's geography")
        n = ls.shape[0]
        ctx.builder.add_rows(
            "geo_link_tier", np.concatenate([np.arange(n), np.arange(n)]),
            np.concatenate([zstart + np.arange(n), x_columns(U, f_all[s][ls], us)]),
            np.concatenate([np.ones(n), -np.ones(n)]), 0.0, 0.0, n,
            list_labels([f"z[{ids[a]},{names[b]}]=x" for a, b in zip(ls.tolist(), us.tolist(),
                                                                      strict=True)]),
            "soft links to a geography: z copies y at units that pay the penalty")


def links(ctx: BuildContext) -> None:
    """Links between functions and to geographies (docs/model.md sections 4 and 9)."""
    declared = ctx.instance.links
    if not declared:
        return
    fl = [lk for lk in declared if lk.other is not None]
    gl = [lk for lk in declared if lk.geography is not None]
    if fl:
        _function_links(ctx, fl)
    if gl:
        _geography_links(ctx, gl)
