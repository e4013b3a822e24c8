"""Max-sum over a forest of functions, and the exact one-row Lagrangian search over it.

Relax one row ``lower <= sum a[f, t] x[f, t] <= upper`` (a budget) of a single-area form and
keep the assignment rows and the links between functions. What is left decomposes into the
connected components of the link graph: each function chooses a tier ``t_f`` worth
``c[f, t] - lam a[f, t]``, each link adds ``psi[t_f, t_h]`` (0 where the pair of tiers keeps
to it; ``-inf`` where a hard link forbids it, ``-penalty * d`` for a soft one). When the link
graph is a forest, dynamic programming from the leaves up (one whole-array step per depth:
no Python loop per function or link) finds every component's best choice exactly.

The Lagrangian function ``L(lam) = lam * side + sum over components of their best`` bounds
every placement whatever ``lam`` is (weak duality) and is convex in ``lam``; its slope, the
row's side less the row's activity at the maximiser, changes sign at its minimum.
:func:`one_row_search` finds that minimum by bisection: a component whose choice is the same
at both ends of the interval keeps it everywhere between (each choice's priced value is linear
in ``lam``), so each halving re-solves only the components whose choices differ.

With no links every function is its own component and the search is the multiple-choice
knapsack's LP bound; with links the bound is at least as strong as the LP relaxation's (the
links are met exactly, not relaxed), and the choices at the minimum meet every link.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["Forest", "OneRow", "one_row_search", "fill", "worth", "MAX_DEPTH"]

#: A forest deeper than this is not solved by levels (a chain of links would take one Python
#: step per link): the callers fall back to the LP-based bound.
MAX_DEPTH = 200
#: Halvings of the search interval at most (far more than doubles resolve).
_HALVINGS = 200
#: How far past the bracketing multiplier the search returns (relative): see one_row_search.
_MARGIN = 1e-9


@dataclass(frozen=True, eq=False)
class Forest:
    """``n`` functions with ``K`` tiers each, linked in a forest: each function's ``parent``
    (-1 at a root) and ``depth``, the ``edge`` to its parent (an index into ``psi``, -1 at a
    root), ``psi[e]`` indexed [child's tier, parent's tier] in the maximised sense, and each
    function's ``component`` (0 .. ``n_components - 1``)."""

    n: int
    K: int
    parent: np.ndarray
    depth: np.ndarray
    edge: np.ndarray
    psi: np.ndarray
    component: np.ndarray
    n_components: int

    @cached_property
    def psi_by_parent(self) -> np.ndarray:
        """``psi`` indexed [parent's tier, child's tier] (a child's best is a reduction over
        the last, contiguous axis: about twice as fast on 50 tiers)."""
        return np.ascontiguousarray(np.transpose(self.psi, (0, 2, 1)))

    @cached_property
    def shapes(self) -> tuple[np.ndarray, np.ndarray]:
        """Each link table's shape and value off its pattern
        (:func:`placement.milp.forest_messages.shapes`)."""
        from placement.milp.forest_messages import shapes

        return shapes(self.psi_by_parent)

    @classmethod
    def singletons(cls, n: int, K: int) -> Forest:
        """No links: every function is a component of its own."""
        none = np.full(n, -1, dtype=np.int64)
        return cls(n, K, none, np.zeros(n, dtype=np.int64), none, np.zeros((0, K, K)),
                   np.arange(n, dtype=np.int64), n)

    @classmethod
    def spanning(cls, n: int, K: int, f: np.ndarray, h: np.ndarray,
                 psi: np.ndarray) -> tuple[Forest | None, np.ndarray]:
        """The forest of the links a spanning forest keeps (every link when they form a
        forest), and which links it leaves out (one closing each cycle, with every other link
        between the same two functions): :meth:`from_links` over the kept links. Leaving
        links out relaxes them, so the forest's bound is still a bound; the tree kept is the
        strongest (a maximum spanning forest: hard links first, then soft ones by their
        largest term, so the weakest are relaxed), or a breadth-first search's, shallower,
        where that one is deeper than :data:`MAX_DEPTH`."""
        from scipy.sparse import csgraph

        f, h = np.asarray(f, dtype=np.int64), np.asarray(h, dtype=np.int64)
        left_out = np.zeros(f.shape[0], dtype=bool)
        if np.any(f == h):
            return None, left_out
        forest = cls.from_links(n, K, f, h, psi)
        if forest is not None:  # a forest already (the usual case): nothing left out
            return forest, left_out
        lo, hi = np.minimum(f, h), np.maximum(f, h)
        graph = sp.coo_matrix((np.ones(f.shape[0]), (lo, hi)), shape=(n, n)).tocsr()
        n_comp, comp = csgraph.connected_components(graph, directed=False)
        if np.unique(lo * n + hi).shape[0] == n - n_comp:
            return None, left_out  # no cycle: the forest is too deep for the levels
        pair, inv = np.unique(lo * n + hi, return_inverse=True)
        term = np.abs(np.where(np.isfinite(psi), psi, np.inf)).max(axis=(1, 2))
        weight = 1.0 + 1.0 / (1.0 + np.bincount(inv, term))  # in (1, 2]: hard links 1
        W = sp.csr_matrix((weight, (pair // n, pair % n)), shape=(n, n))
        tree = csgraph.minimum_spanning_tree(W).tocoo()  # the least weight: the strongest
        kept = np.isin(lo * n + hi, np.minimum(tree.row, tree.col).astype(np.int64) * n
                       + np.maximum(tree.row, tree.col))
        forest = cls.from_links(n, K, f[kept], h[kept], psi[kept])
        if forest is not None:
            return forest, ~kept
        _, roots = np.unique(comp, return_index=True)  # too deep: a search's tree
        rows, cols = np.concatenate([lo, np.full(n_comp, n)]), np.concatenate([hi, roots])
        joined = sp.coo_matrix((np.ones(rows.shape[0]), (rows, cols)), shape=(n + 1, n + 1))
        _, pred = csgraph.breadth_first_order(joined.tocsr(), n, directed=False,
                                              return_predecessors=True)
        child = np.nonzero((pred[:n] >= 0) & (pred[:n] < n))[0]
        kept = np.isin(lo * n + hi, np.minimum(child, pred[child]) * n
                       + np.maximum(child, pred[child]))
        return cls.from_links(n, K, f[kept], h[kept], psi[kept]), ~kept

    @classmethod
    def from_links(cls, n: int, K: int, f: np.ndarray, h: np.ndarray,
                   psi: np.ndarray) -> Forest | None:
        """The forest of links ``f[l] -- h[l]`` with ``psi[l]`` indexed [f's tier, h's tier]
        (links between the same two functions add up), or None when the links close a cycle,
        link a function to itself or make a forest deeper than :data:`MAX_DEPTH`."""
        from scipy.sparse.csgraph import breadth_first_order, connected_components

        f, h = np.asarray(f, dtype=np.int64), np.asarray(h, dtype=np.int64)
        if np.any(f == h):
            return None
        pairs = np.unique(np.column_stack([np.minimum(f, h), np.maximum(f, h)]), axis=0)
        graph = sp.coo_matrix((np.ones(pairs.shape[0]), (pairs[:, 0], pairs[:, 1])),
                              shape=(n, n))
        n_comp, comp = connected_components(graph, directed=False)
        if pairs.shape[0] != n - n_comp:
            return None  # a forest on n nodes with c components has n - c edges
        _, roots = np.unique(comp, return_index=True)
        # one breadth-first search from a node joined to every component's first function
        rows = np.concatenate([pairs[:, 0], np.full(n_comp, n)])
        cols = np.concatenate([pairs[:, 1], roots])
        joined = sp.coo_matrix((np.ones(rows.shape[0]), (rows, cols)), shape=(n + 1, n + 1))
        _, pred = breadth_first_order(joined.tocsr(), n, directed=False,
                                      return_predecessors=True)
        parent = np.where(pred[:n] == n, -1, pred[:n]).astype(np.int64)
        depth = _depths(parent)
        if depth.max(initial=0) > MAX_DEPTH:
            return None
        child = np.nonzero(parent >= 0)[0]
        edge = np.full(n, -1, dtype=np.int64)
        edge[child] = np.arange(child.shape[0])
        # each link onto its tree edge, turned to [child's tier, parent's tier]
        down = parent[f] == h  # f is the child
        e = np.where(down, edge[f], edge[h])
        oriented = np.where(down[:, None, None], psi, np.transpose(psi, (0, 2, 1)))
        total = np.zeros((child.shape[0], K, K))
        np.add.at(total, e, oriented)
        return cls(n, K, parent, depth, edge, total, comp.astype(np.int64), int(n_comp))

    def solve(self, theta: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The best tiers of ``nodes`` (whole components, any order) worth ``theta`` (one row
        per node, ``-inf`` where a tier is not allowed) and each root's component value
        (``-inf`` for a component no choice keeps to its hard links). Returns (tiers of
        ``nodes``, (roots among ``nodes``, their values))."""
        m = nodes.shape[0]
        acc = np.array(theta, dtype=float, copy=True)
        if not self.psi.shape[0]:
            tiers = np.argmax(acc, axis=1)
            return tiers, acc[np.arange(m), tiers]
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[nodes] = np.arange(m)
        order, cut, top = _levels(self.depth[nodes])
        arg = np.empty((m, self.K), dtype=np.int64)  # read only where written: children
        for k in range(top):  # deepest first: children send their best to their parents
            idx = order[cut[k]:cut[k + 1]]
            np.add.at(acc, pos[self.parent[nodes[idx]]], self._messages(acc, idx, nodes, arg))
        tiers = np.zeros(m, dtype=np.int64)
        root = order[cut[top]:]
        tiers[root] = np.argmax(acc[root], axis=1)
        value = acc[root, tiers[root]]
        for k in range(top - 1, -1, -1):  # and back down: each child's best for its parent's
            idx = order[cut[k]:cut[k + 1]]
            tiers[idx] = arg[idx, tiers[pos[self.parent[nodes[idx]]]]]
        return tiers, value

    def _messages(self, acc: np.ndarray, idx: np.ndarray, nodes: np.ndarray,
                  arg: np.ndarray) -> np.ndarray:
        """The children ``idx`` (positions in ``nodes``) worth ``acc``: each one's best for
        every tier of its parent (returned) and its tier there (into ``arg``); by the
        link's shape (:mod:`placement.milp.forest_messages`), the rest by the whole table."""
        from placement.milp.forest_messages import GENERAL, message

        code, off = self.shapes
        e = self.edge[nodes[idx]]
        kinds = code[e]
        out = np.empty((idx.shape[0], self.K))
        for kind in np.unique(kinds).tolist():
            i = np.nonzero(kinds == kind)[0]
            if kind == GENERAL:  # [parent's tier, child's tier]: the child's the contiguous
                M = self.psi_by_parent[e[i]]  # a copy: the sum in place
                M += acc[idx[i]][:, None, :]
                best = np.argmax(M, axis=2)
                out[i] = np.take_along_axis(M, best[:, :, None], axis=2)[:, :, 0]
            else:
                out[i], best = message(acc[idx[i]], kind, off[e[i]])
            arg[idx[i]] = best
        return out

    def marginals(self, theta: np.ndarray) -> np.ndarray:
        """(n, K): the best value of each function's component with the function at each tier
        (max-marginals; ``-inf`` where the rest cannot keep to the hard links), ``theta`` as
        in :meth:`solve` for every function. Leaves up, then each parent's best without the
        child's own message passed down: two whole-array steps per depth."""
        acc = np.array(theta, dtype=float, copy=True)
        if not self.psi.shape[0]:
            return acc
        order, cut, top = _levels(self.depth)
        msg = np.zeros((self.n, self.K))
        for k in range(top):
            idx = order[cut[k]:cut[k + 1]]
            msg[idx] = (acc[idx][:, :, None] + self.psi[self.edge[idx]]).max(axis=1)
            np.add.at(acc, self.parent[idx], msg[idx])
        out = np.zeros((self.n, self.K))  # the best of the rest of the component, per tier
        for k in range(top - 1, -1, -1):
            idx = order[cut[k]:cut[k + 1]]
            p = self.parent[idx]
            # acc[p] less this child's message (-inf there: no tier of the child fits it)
            none = np.isneginf(msg[idx])
            rest = np.where(none, -np.inf, acc[p] - np.where(none, 0.0, msg[idx])) + out[p]
            out[idx] = (self.psi[self.edge[idx]] + rest[:, None, :]).max(axis=2)
        return acc + out


def _levels(depth: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Nodes deepest first, where each depth starts in that order (``cut[k]``: depth
    ``top - k``), and the deepest depth."""
    order = np.argsort(-depth, kind="stable")
    top = int(depth.max(initial=0))
    cut = np.searchsorted(-depth[order], np.arange(-top, 1), side="left")
    return order, cut, top


@dataclass(frozen=True)
class OneRow:
    """What :func:`one_row_search` found: ``L`` (maximised, without the form's offset) at
    the multiplier ``lam`` (signed as :mod:`placement.milp.lagrangian` prices a row), the
    tiers there (they meet the row), the tiers at the other end of the last interval (they
    break it) and how many component solves it took."""

    value: float
    lam: float
    tiers: np.ndarray
    other: np.ndarray
    evaluations: int


def one_row_search(forest: Forest, c: np.ndarray, a: np.ndarray, lower: float,
                   upper: float) -> OneRow | None:
    """``min L`` over the multiplier of the row ``lower <= sum a[f, t_f] <= upper`` (see the
    module docstring): ``c`` (n, K) is each tier's value, maximised, ``-inf`` where pins or
    allowed tiers rule it out. None when some component has no choice at all, or when no
    multiplier brings the row within its bounds (the row cannot be met)."""
    n = forest.n
    every = np.arange(n)
    tiers, value = forest.solve(c, every)
    if not np.all(np.isfinite(value)):
        return None
    use = float(a[every, tiers].sum())
    if lower <= use <= upper:
        return OneRow(float(value.sum()), 0.0, tiers, tiers, 1)
    s = 1.0 if use > upper else -1.0  # over the upper side: price it; under the lower
    side = upper if s > 0 else lower

    def meets(u: float) -> bool:
        return u <= side if s > 0 else u >= side

    def at(mu: float, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return forest.solve(c[nodes] - s * mu * a[nodes], nodes)

    evaluations = 1
    lo, hi, t_lo = 0.0, 1.0, tiers
    while True:
        t_hi, _ = at(hi, every)
        evaluations += 1
        if meets(float(a[every, t_hi].sum())):
            break
        lo, t_lo, hi = hi, t_hi, 2.0 * hi
        if hi > 1e30:
            return None
    nodes = _differing(forest, t_lo, t_hi, every)
    fixed = float(a[every, t_hi].sum() - a[nodes, t_hi[nodes]].sum())
    for _ in range(_HALVINGS):
        if hi - lo <= 1e-12 * hi or nodes.shape[0] == 0:
            break
        mid = 0.5 * (lo + hi)
        t_mid, _ = at(mid, nodes)
        evaluations += 1
        if meets(fixed + float(a[nodes, t_mid].sum())):
            hi, t_hi[nodes] = mid, t_mid
        else:
            lo, t_lo[nodes] = mid, t_mid
        still = _differing(forest, t_lo, t_hi, nodes)
        settled = np.setdiff1d(nodes, still, assume_unique=True)
        fixed += float(a[settled, t_hi[settled]].sum())
        nodes = still
    # a hair past hi: the components tied at the minimiser (many, where values and uses are
    # round numbers) then choose the side that meets the row however the products round in
    # the caller's own pricing; L grows by 1e-9 of hi times the row's slack
    mu = hi * (1.0 + _MARGIN)
    tiers, value = at(mu, every)
    L = float(value.sum()) + s * mu * side
    return OneRow(L, s * mu, tiers, t_lo, evaluations + 1)


def _differing(forest: Forest, t_lo: np.ndarray, t_hi: np.ndarray, nodes: np.ndarray
               ) -> np.ndarray:
    """The functions of ``nodes`` (whole components) in components where ``t_lo`` and
    ``t_hi`` differ, in increasing order: marks over the components and the functions, not a
    sort (on 200,000 functions the bisection's 50-odd calls took 0.12 s with ``np.unique``
    and a sort, most of a 1 s limit's share)."""
    moved = nodes[t_lo[nodes] != t_hi[nodes]]
    if moved.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    mark = np.zeros(forest.n_components, dtype=bool)
    mark[forest.component[moved]] = True
    return np.flatnonzero(mark[forest.component])


def fill(forest: Forest, c: np.ndarray, a: np.ndarray, lower: float, upper: float,
         found: OneRow) -> np.ndarray:
    """Tiers that meet the row and every link and are worth at least ``found.tiers``:
    from those, the components whose tiers differ at the other end of the search take
    those instead, best value per unit of the row first, while the row stays within its
    bounds (the greedy of the multiple-choice knapsack, one component at a time: within
    about one component's step of ``L``)."""
    tiers = found.tiers.copy()
    if found.lam == 0.0:
        return tiers
    C = forest.n_components
    every = np.arange(forest.n)
    comp = forest.component
    use_now = np.bincount(comp, a[every, tiers], minlength=C)
    use_alt = np.bincount(comp, a[every, found.other], minlength=C)
    gain = worth(forest, c, found.other) - worth(forest, c, tiers)
    s = 1.0 if found.lam > 0 else -1.0
    step = s * (use_alt - use_now)  # what switching spends of the row's room
    room = (upper - float(use_now.sum())) if s > 0 else (float(use_now.sum()) - lower)
    cand = np.nonzero((step >= 0) & (gain > 0) & np.isfinite(gain))[0]
    ratio = gain[cand] / np.maximum(step[cand], 1e-300)
    cand = cand[np.argsort(-ratio, kind="stable")]
    take = np.zeros(C, dtype=bool)
    for _ in range(8):  # the prefix that fits, then again over what is left
        if cand.shape[0] == 0 or room <= 0:
            break
        fits = np.cumsum(step[cand]) <= room
        chosen = cand[fits]
        if chosen.shape[0] == 0:
            cand = cand[step[cand] <= room]
            if cand.shape[0] == 0:
                break
            chosen = cand[:1]
        take[chosen] = True
        room -= float(step[chosen].sum())
        cand = cand[~np.isin(cand, chosen)]
    switch = take[comp]
    tiers[switch] = found.other[switch]
    return tiers


def worth(forest: Forest, c: np.ndarray, tiers: np.ndarray) -> np.ndarray:
    """Each component's value with these tiers: its functions' values and its links'."""
    every = np.arange(forest.n)
    worth = np.bincount(forest.component, c[every, tiers], minlength=forest.n_components)
    child = np.nonzero(forest.parent >= 0)[0]
    if child.shape[0]:
        e = forest.edge[child]
        link = forest.psi[e, tiers[child], tiers[forest.parent[child]]]
        worth += np.bincount(forest.component[child], link, minlength=forest.n_components)
    return worth


def _depths(parent: np.ndarray) -> np.ndarray:
    """Each node's distance to its root, by pointer jumping (log-depth whole-array steps)."""
    # doubling: after step j, up[v] is v's 2^j-th ancestor and depth[v] counts the hops to it
    depth = (parent >= 0).astype(np.int64)
    up = parent.copy()
    while np.any(up >= 0):
        has = up >= 0
        depth[has] += depth[up[has]]
        up[has] = up[up[has]]
    return depth
