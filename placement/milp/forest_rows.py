"""The Lagrangian bound with the links kept when several rows are priced at once.

:func:`placement.milp.forest.one_row_search` prices one row (a budget) exactly by bisection.
With per-tier caps, a move limit or a second budget beside it there are several multipliers,
and bisection does not extend to them. Price every such row ``r`` with ``y[r]`` (``a_r x <=
b_r``; a row with two sides is two such rows)::

    L(y) = sum over components of their best (c - sum_r y[r] a_r)  +  y . b,   y >= 0

bounds every placement that meets the rows and the links (weak duality: the links are kept,
solved exactly over the forest), whatever ``y`` is, and is convex and piecewise linear in
``y``, with ``b - A x(y)`` a subgradient at ``y`` (``x(y)`` the components' best choices).

:func:`rows_search` minimises it by a trust-region cutting-plane method (the *boxstep* method
of Marsten, Hogan and Blankenship, 1975): a small LP, solved by HiGHS, minimises the cuts'
model of ``L`` within a box around the best ``y``; the forest is solved at the LP's ``y``,
which adds cuts; the centre moves there when ``L`` falls by at least a tenth of what the
cuts predicted (the box doubling when the step reached its edge), and the box shrinks to
half the step otherwise. The components are gathered into :data:`GROUPS` groups and each
group adds its own cut (its value and its use of every row), a far better model than one
cut for their sum: on 20,000 x 50 with caps, 140-200 solves where one cut a solve had not
converged in 400. Cuts unused for :data:`_AGE` solves are dropped. The search ends
when the cuts predict no fall worth having and their minimum lies inside the box (the best
``y`` is then the minimum of the convex ``L``), or after :data:`MAX_EVALUATIONS` solves, or
at a deadline (then with the least ``L`` it evaluated, or the broken rows' joint price's).
Every ``L`` it reports is the value of an actual solve at an actual ``y``, so it is a bound
whatever the search did. The box is measured in units of each row's scale: the exact
multiplier of the broken rows added into one (:func:`placement.milp.forest.one_row_search`,
their *joint price*), but at least a share of a typical spread of values per unit of the row.

:func:`_fill` turns the tiers at those multipliers, which may break a row where
components tie, into tiers that meet every row and link: the multipliers raised along their
ray until the tiers meet every row, then the components that differ switched back, best
value per unit of the priced rows first, while every row holds.

Each evaluation is one whole-array solve of the forest (no Python loop per function), a sparse
product for the prices and another for the chosen columns' use of the rows; the LP has one
column per priced side and per group, and one row per cut kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from placement.milp.forest import Forest, worth
from placement.util.highs_pool import size_thread_pool

__all__ = ["RowsFound", "rows_search", "MAX_EVALUATIONS"]

#: Forest solves the search may spend at most.
MAX_EVALUATIONS = 400
#: Solves a cut may go unused before it is dropped.
_AGE = 10
#: Components are gathered into this many groups, each with its own cut.
GROUPS = 64
#: The search ends when the cuts predict a fall of ``L`` below this (relative to ``|L|``).
_TOL = 1e-10
#: A step is taken when ``L`` falls by at least this share of the predicted fall.
_SERIOUS = 0.1
#: The least share of a typical spread of values per unit of a row a multiplier's scale is.
_SPREAD_SHARE = 0.05
#: The box's half-width never falls below this (in units of :func:`_scale`).
_MIN_WIDTH = 1e-6


@dataclass(frozen=True)
class RowsFound:
    """What :func:`rows_search` found: ``L`` (maximised, without the form's offset), one
    multiplier per row (signed as :mod:`placement.milp.lagrangian` prices a row: positive on
    its upper side, negative on its lower), the tiers there, whether they meet every row,
    ``filled``: tiers that meet every row and link near the bound (those tiers when they
    do, else :func:`_fill`'s; None when no multiple of the multipliers meets the rows), the
    forest solves taken and whether the cuts proved the minimum (else the solves or the
    clock ran out)."""

    value: float
    multipliers: np.ndarray
    tiers: np.ndarray
    meets: bool
    filled: np.ndarray | None
    evaluations: int
    converged: bool


class _Sides:
    """The rows as one-sided ``G x <= b`` (each finite side a row of ``G``), priced by
    ``y >= 0``; evaluates ``L`` at any ``y``: each group of components' value and use of
    every row, and the tiers."""

    def __init__(self, forest: Forest, c: np.ndarray, R: sp.csr_matrix, lower: np.ndarray,
                 upper: np.ndarray) -> None:
        up, lo = np.nonzero(np.isfinite(upper))[0], np.nonzero(np.isfinite(lower))[0]
        self.G = sp.vstack([R[up], -R[lo]]).tocsr()
        self.GT = self.G.T.tocsr()
        self.b = np.concatenate([upper[up], -lower[lo]])
        self.sign = np.concatenate([np.ones(up.shape[0]), -np.ones(lo.shape[0])])
        self.row = np.concatenate([up, lo])
        self.n_rows = R.shape[0]
        self.forest, self.c = forest, c
        n = forest.n
        self.every = np.arange(n)
        self.groups = int(min(GROUPS, forest.n_components))
        self.group = forest.component % self.groups
        self.S = sp.csr_matrix((np.ones(n), (self.group, self.every)), shape=(self.groups, n))
        self.child = np.nonzero(forest.parent >= 0)[0]
        self.tol = 1e-9 * np.maximum(1.0, np.abs(self.b))
        self.evaluations = 0

    def at(self, y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray] | None:
        """(L, each group's value, each group's use of every side (groups, sides), tiers) at
        ``y``; None when a component has no choice."""
        n, K = self.c.shape
        theta = self.c - (self.GT @ y).reshape(n, K)
        tiers, values = self.forest.solve(theta, self.every)
        self.evaluations += 1
        if not np.all(np.isfinite(values)):
            return None
        V = np.bincount(self.group, theta[self.every, tiers], minlength=self.groups)
        f = self.forest
        if self.child.shape[0]:
            link = f.psi[f.edge[self.child], tiers[self.child], tiers[f.parent[self.child]]]
            V += np.bincount(self.group[self.child], link, minlength=self.groups)
        use = np.asarray((self.S @ self.GT[self.every * K + tiers]).todense())
        return float(V.sum() + y @ self.b), V, use, tiers

    def multipliers(self, y: np.ndarray) -> np.ndarray:
        out = np.zeros(self.n_rows)
        np.add.at(out, self.row, self.sign * y)
        return out


class _Cuts:
    """The cutting-plane LP: minimise ``sum_j z_j + b y`` over ``y`` in a box, with ``z_j >=
    V_jk - use_jk (y - y_k)`` for every group ``j`` and solve ``k`` (one cut per group, not
    one for their sum: the model is as good with far fewer solves). ``y`` is scaled by
    ``scale`` and each ``z_j`` shifted by its first value so that HiGHS sees numbers near
    1."""

    def __init__(self, sides: _Sides, scale: np.ndarray, V0: np.ndarray) -> None:
        import highspy

        size_thread_pool(1)  # before any model: the pool is sized once per process
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("threads", 1)
        m, J = sides.b.shape[0], sides.groups
        self.m, self.J, self.scale, self.ref = m, J, scale, V0.copy()
        inf = highspy.kHighsInf
        self.h.addVars(m + J, np.r_[np.zeros(m), np.full(J, -inf)], np.full(m + J, inf))
        self.h.changeColsCost(m + J, np.arange(m + J, dtype=np.int32),
                              np.r_[sides.b * scale, np.ones(J)])
        self.cols = np.arange(m, dtype=np.int32)
        self.age = np.zeros(0, dtype=np.int64)
        self.edge = False

    def add(self, V: np.ndarray, use: np.ndarray, y: np.ndarray) -> None:
        m, J = self.m, self.J
        vals = np.column_stack([use * self.scale, np.ones(J)]).ravel()
        idx = np.tile(np.r_[np.arange(m), 0], J).astype(np.int32)
        idx[m::m + 1] = m + np.arange(J)
        lower = V - self.ref + use @ y
        self.h.addRows(J, lower, np.full(J, np.inf), J * (m + 1),
                       np.arange(J, dtype=np.int32) * (m + 1), idx, vals)
        self.age = np.r_[self.age, np.zeros(J, dtype=np.int64)]

    def solve(self, centre: np.ndarray, width: float) -> tuple[np.ndarray, float] | None:
        w = centre / self.scale
        self.h.changeColsBounds(self.m, self.cols, np.maximum(w - width, 0.0), w + width)
        self.h.run()
        if self.h.getModelStatus() != self.h.getModelStatus().kOptimal:
            return None
        solution = self.h.getSolution()
        sol = np.asarray(solution.col_value)
        low = np.maximum(w - width, 0.0)
        self.edge = bool(np.any((sol[: self.m] >= w + 0.999 * width)
                                | ((low > 0) & (sol[: self.m] <= w - 0.999 * width))))
        y = np.maximum(sol[: self.m], 0.0) * self.scale
        value = float(self.h.getInfo().objective_function_value + self.ref.sum())
        self._forget(np.abs(np.asarray(solution.row_dual)) > 1e-12)
        return y, value

    def _forget(self, active: np.ndarray) -> None:
        """Drop the cuts that held no weight in the last :data:`_AGE` solves (the LP's time
        grows with its rows; a dropped cut is still a valid one, only no longer used)."""
        self.age = np.where(active, 0, self.age + 1)
        old = np.nonzero(self.age > _AGE)[0]
        if old.shape[0] >= self.J:
            self.h.deleteRows(old.shape[0], old.astype(np.int32))
            self.age = np.delete(self.age, old)


def rows_search(forest: Forest, c: np.ndarray, R: sp.csr_matrix, lower: np.ndarray,
                upper: np.ndarray, *, start: np.ndarray | None = None,
                deadline: float | None = None) -> RowsFound | None:
    """``min L`` over the multipliers of the rows ``lower <= R x <= upper`` (see the module
    docstring). ``c`` (n, K) is each tier's value, maximised, ``-inf`` where pins or allowed
    tiers rule it out; ``R`` has one row per priced row over the n*K placement columns;
    ``start`` (one multiplier per row, signed) is where the search begins. None when a
    component has no choice at all."""
    sides = _Sides(forest, c, sp.csr_matrix(R), np.asarray(lower, dtype=float),
                   np.asarray(upper, dtype=float))
    m = sides.b.shape[0]
    y = np.zeros(m)
    if start is not None:
        y = np.maximum(np.asarray(start, dtype=float)[sides.row] * sides.sign, 0.0)
    got = sides.at(y)
    if got is None:
        return None
    L, V, use, tiers = got
    g = sides.b - use.sum(axis=0)
    best = (L, y, tiers, g)
    if m == 0 or (np.all(g >= -sides.tol) and np.all(y * g <= sides.tol * np.maximum(y, 1))):
        return _found(sides, best, True)  # feasible, complementary: exact
    scale, joint = _scale(sides, y, g)  # even past the deadline: the joint price's bound
    cuts = _Cuts(sides, scale, V)
    cuts.add(V, use, y)
    if deadline is not None and time.perf_counter() > deadline and joint is not None:
        # cut short before or while scaling (10^6 columns at a 1-2 s limit)
        return _found(sides, _lower(sides, best, np.maximum(y, joint)), False, late=True)
    width = 1.0
    converged = False
    lowest = best  # the least L evaluated, null steps too: the bound if cut short
    while sides.evaluations < MAX_EVALUATIONS:
        if deadline is not None and time.perf_counter() > deadline:
            break
        L_hat, y_hat = best[0], best[1]
        step = cuts.solve(y_hat, width)
        if step is None:
            break
        y_new, predicted = step
        fall = L_hat - predicted
        if fall <= _TOL * max(1.0, abs(L_hat)):
            if not cuts.edge:  # the cuts' minimum is inside the box: y_hat is the minimum
                converged = True
                break
            width *= 4.0  # held by the box's edge: look further before deciding
            continue
        got = sides.at(y_new)
        if got is None:
            break
        L_new, V, use, t_new = got
        cuts.add(V, use, y_new)
        if L_new < lowest[0]:
            lowest = (L_new, y_new, t_new, sides.b - use.sum(axis=0))
        ratio = (L_hat - L_new) / fall
        moved = float(np.max(np.abs(y_new - y_hat) / scale, initial=0.0))
        if ratio >= _SERIOUS:
            best = (L_new, y_new, t_new, sides.b - use.sum(axis=0))
            if ratio >= 0.5 and moved >= 0.999 * width:
                width *= 2.0
        else:  # the cuts were too optimistic this far out: look nearer
            width = max(0.5 * moved, _MIN_WIDTH)
    if not converged:  # cut short: the least L seen, or the joint price's where lower
        best = lowest if joint is None else _lower(sides, lowest, np.maximum(y, joint))
    return _found(sides, best, converged)


_Point = tuple[float, np.ndarray, np.ndarray, np.ndarray]  # L, y, tiers, room in each side


def _lower(sides: _Sides, best: _Point, y: np.ndarray) -> _Point:
    """``best``, or the multipliers ``y`` evaluated where their L is lower."""
    got = sides.at(y)
    return best if got is None or not got[0] < best[0] else (
        got[0], y, got[3], sides.b - got[2].sum(axis=0))


def _found(sides: _Sides, best: _Point, converged: bool, late: bool = False) -> RowsFound:
    """What the search found, the tiers filled (a few more solves along the multipliers'
    ray, also when the clock has run out: a time-limited solve's placement then); ``late``
    (past the deadline before the search began) skips using the rows' room left by ties
    (at the joint price on 10^6 columns it found nothing, in 0.2-0.4 s: scratch runs)."""
    L, y, tiers, g = best
    meets = bool(np.all(g >= -sides.tol))
    filled = tiers if meets else _fill(sides, y, tiers)
    if filled is not None and np.any(y > 0) and not late:  # unpriced rows: no room to use
        filled = _improve(sides, y, filled)
    return RowsFound(L, sides.multipliers(y), tiers, meets, filled, sides.evaluations,
                     converged)


def _scale(sides: _Sides, y: np.ndarray, g: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """A multiplier's size per side: the exact multiplier of the rows that ``y`` breaks,
    added up into one row (:func:`placement.milp.forest.one_row_search`: the price at which
    the components give up as much of every row together as they must), but no less than
    :data:`_SPREAD_SHARE` of a typical spread of a function's values per unit of the row
    (where values tie, as the OR-Library's whole-number costs do, the first can be next to
    nothing), nor than the starting multiplier. Also the joint price on the broken rows (0 on
    the others) where there is one: pricing them all at it is that one row's exact bound."""
    from placement.milp.forest import one_row_search

    n, K = sides.c.shape
    finite = np.where(np.isfinite(sides.c), sides.c, np.nan)
    with np.errstate(all="ignore"):
        spread = np.nanmax(finite, axis=1) - np.nanmin(finite, axis=1)
    typical = float(np.nanmedian(spread)) if np.any(spread > 0) else 1.0
    absG = abs(sides.G)
    mean = np.asarray(absG.sum(axis=1)).ravel() / np.maximum(np.diff(sides.G.indptr), 1)
    out = _SPREAD_SHARE * max(typical, 1e-12) / np.maximum(mean, 1e-300)
    broken = g < -sides.tol
    joint = None
    if broken.any():
        a = np.asarray(sides.G[np.nonzero(broken)[0]].sum(axis=0)).reshape(n, K)
        one = one_row_search(sides.forest, sides.c, a, -np.inf, float(sides.b[broken].sum()))
        if one is not None:
            sides.evaluations += one.evaluations
            out = np.maximum(out, one.lam)
            joint = np.where(broken, one.lam, 0.0)
    return np.maximum(out, y), joint


#: Multiples of the multipliers tried, in turn, for tiers that meet every row.
_RAY = (1.0 + 1e-9, 1.001, 1.01, 1.1, 1.5, 2.0, 4.0, 16.0, 256.0)
#: Rounds of the greedy fill at most (each drops the move that would first break a row).
_FILL_ROUNDS = 64
#: :func:`_improve` takes the components' choices at prices this share below the multipliers.
_TIE = 1e-6


def _fill(sides: _Sides, y: np.ndarray, low: np.ndarray) -> np.ndarray | None:
    """Tiers that meet every row and every link, near the bound at the one-sided multipliers
    ``y``, where the tiers there (``low``) break a row: those at the multipliers raised along
    their ray until they meet every row, then, best value per unit of the priced rows first,
    the components whose tiers differ in ``low`` take those instead while every row stays
    within its bounds (:func:`placement.milp.forest.fill` for several rows). None when no
    multiple of the multipliers meets the rows."""
    if not np.any(y > 0):
        return None  # no multiple of no prices changes the tiers
    high = None
    for s in _RAY:
        got = sides.at(y * s)
        if got is None:
            return None
        _, _, use, tiers = got
        if np.all(sides.b - use.sum(axis=0) >= -sides.tol):
            high, room = tiers, sides.b - use.sum(axis=0)
            break
    if high is None:
        return None
    return _switch(sides, y, high, low, room)[0]


def _improve(sides: _Sides, y: np.ndarray, tiers: np.ndarray) -> np.ndarray:
    """``tiers`` (meeting every row) with components moved to their choice at prices a
    little below ``y`` while every row holds, value per unit of the priced rows first: where
    components tie at ``y`` (exact prices of several rows tie thousands), the solve breaks the
    tie one way, this takes the other end, which uses the priced rows' room (a priced row with
    room left loses its multiplier times the room)."""
    got = sides.at(y * (1.0 - _TIE))
    if got is None:
        return tiers
    room = sides.b - np.asarray(sides.GT[sides.every * sides.c.shape[1] + tiers].sum(axis=0)
                                ).ravel()
    return _switch(sides, y, tiers, got[3], room)[0]


def _switch(sides: _Sides, y: np.ndarray, high: np.ndarray, low: np.ndarray,
            room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``high`` (meeting every row, ``room`` left in each side) with the components whose
    tiers differ in ``low`` and are worth more there switched to them, best value per unit
    of the priced rows first, while every side keeps its room; and the room left."""
    forest, c, comp = sides.forest, sides.c, sides.forest.component
    mark = np.zeros(forest.n_components, dtype=bool)  # marks, not np.unique and np.isin
    mark[comp[high != low]] = True
    comps = np.flatnonzero(mark)
    if comps.shape[0] == 0:
        return high, room
    gain = (worth(forest, c, low) - worth(forest, c, high))[comps]
    members, K = np.flatnonzero(mark[comp]), c.shape[1]
    delta = sides.GT[members * K + low[members]] - sides.GT[members * K + high[members]]
    where = (np.cumsum(mark) - 1)[comp[members]]  # each member's component among comps
    P = sp.csr_matrix((np.ones(members.shape[0]), (where, np.arange(members.shape[0]))),
                      shape=(comps.shape[0], members.shape[0]))
    D = np.asarray((P @ delta).todense())  # each component's change of every side's use
    priced = D @ y
    cand = np.nonzero(gain > 0)[0]
    cand = cand[np.argsort(-gain[cand] / np.maximum(priced[cand], 1e-300), kind="stable")]
    take = np.zeros(comps.shape[0], dtype=bool)
    # the running use along the order, once; a move dropped is taken off what follows it
    cum = np.cumsum(D[cand], axis=0)
    at, dropped = 0, np.zeros(D.shape[1])
    for _ in range(_FILL_ROUNDS):
        if at >= cand.shape[0]:
            break
        fits = np.all(cum[at:] - dropped <= room + sides.tol, axis=1)
        first = at + (int(np.argmin(fits)) if not fits.all() else fits.shape[0])
        take[cand[at:first]] = True
        if first < cand.shape[0]:
            dropped = dropped + D[cand[first]]  # the move that would break a row is dropped
        at = first + 1
    room = room - D[take].sum(axis=0)
    tiers = high.copy()
    moved = members[take[where]]
    tiers[moved] = low[moved]
    return tiers, room
