"""A bound for any canonical form in a time box: the Lagrangian dual of its LP relaxation.

The rows of the ``assign`` block are kept when they partition the columns they hold (every
column in at most one of them, each reading ``sum x = 1`` with unit coefficients, as in every
single-area form); all other rows are relaxed with multipliers ``lam`` (``lam > 0`` prices a
row's upper side, ``lam < 0`` its lower side)::

    L(lam) = sum_i h_i(lam_i) + max { (c - A_R' lam) x : kept rows, col_lower <= x <= col_upper }

with ``h_i(l) = l * row_upper_i`` for ``l > 0`` and ``l * row_lower_i`` for ``l < 0``. For a
maximised form every ``L(lam)`` is an upper bound on the optimum (a lower bound when
minimised), whatever ``lam`` is: weak duality, no convergence needed. The kept rows have the
integrality property, so ``min L`` equals the LP relaxation's bound; projected subgradient
steps (Polyak's rule towards the incumbent, rows scaled to unit size) approach it in the time
given. With one row relaxed (a single budget: the multiple-choice knapsack), bisection on its
multiplier finds ``min L`` itself, and the subproblem's solution there meets the row: the
construction started from it is within about one function's step of the bound (tested in
``tests/test_lagrangian.py``), where the subgradient steps' multipliers left it far short.

Per area, where one unit's column sits in several areas' rows, no row is kept and the bound
is the dual of the LP over the box.

Each evaluation is a sparse product and one ``maximum.reduceat`` over the kept rows: no Python
loop per variable or row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.milp.canonical import CanonicalForm
from placement.milp.forest import Forest, one_row_search
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["LagrangianBound", "lagrangian_bound", "kept_rows"]


@dataclass(frozen=True)
class LagrangianBound:
    """The best bound found (in the form's sense, offset included), the multipliers that gave
    it (one per row of the form, 0 on kept rows, pricing the rows for the maximisation of
    ``sense.sign * c``), the relaxed subproblem's solution at them, and how many evaluations
    it took."""

    bound: float
    multipliers: np.ndarray
    x: np.ndarray
    iterations: int
    seconds: float


def kept_rows(form: CanonicalForm) -> np.ndarray:
    """Indices of the ``assign`` rows kept in the subproblem: all of them when they are
    ``sum x = 1`` rows over disjoint columns with unit coefficients, else none."""
    block = form.row_block("assign")
    if block is None or len(block) == 0:
        return np.zeros(0, dtype=np.int64)
    rows = np.arange(block.start, block.stop)
    sub = form.A[rows]
    ok = (np.all(form.row_lower[rows] == 1.0) and np.all(form.row_upper[rows] == 1.0)
          and np.all(sub.data == 1.0) and np.all(np.diff(sub.indptr) > 0)
          and np.bincount(sub.indices, minlength=form.n_cols).max(initial=0) <= 1)
    return rows if ok else np.zeros(0, dtype=np.int64)


def _scaled_rows(form: CanonicalForm, rows: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """``form``'s ``rows`` (ascending), each divided by its largest absolute coefficient, and
    those divisors (1e-12 at least). Where the rows run on to the last (the assign block
    first, as every form has it), their arrays are read in place and only the coefficients
    are copied: on 20,000 x 50 with 20,000 links (63 million coefficients) this took 5.8 s
    through scipy's row indexing, scaling product and transpose."""
    n = rows.shape[0]
    if n and rows[0] + n == form.n_rows and rows[-1] == form.n_rows - 1:
        indptr, indices, data = form.csr()
        first = int(indptr[rows[0]])
        ptr = indptr[rows[0]:] - indptr[rows[0]]
        vals = data[first:]
        width = np.diff(ptr)
        big = np.zeros(n)
        filled = np.nonzero(width)[0]
        if filled.shape[0]:
            big[filled] = np.maximum.reduceat(np.abs(vals), ptr[filled])
        scale = np.maximum(big, 1e-12)
        R = sp.csr_matrix((vals * np.repeat(1.0 / scale, width), indices[first:], ptr),
                          shape=(n, form.n_cols))
        return R, scale
    R = form.A[rows]
    scale = np.maximum(abs(R).max(axis=1).toarray().ravel(), 1e-12) if n else np.ones(0)
    return sp.csr_matrix(sp.diags(1.0 / scale) @ R), scale


class _Relaxation:
    """The arrays one evaluation of L needs, prepared once."""

    def __init__(self, form: CanonicalForm, keep: np.ndarray) -> None:
        self.sign = float(form.sense.sign)  # work on a maximisation
        self.c = self.sign * form.c
        self.lo, self.up = form.col_lower, form.col_upper
        relaxed = np.setdiff1d(np.arange(form.n_rows), keep)
        self.relaxed = relaxed
        self.R, self.scale = _scaled_rows(form, relaxed)
        self.RT = self.R.T  # CSC, no copy: a CSC product is as fast as a CSR one
        self.rlo = form.row_lower[relaxed] / self.scale
        self.rup = form.row_upper[relaxed] / self.scale
        K = form.A[keep]
        self.kept_indices = K.indices
        self.kept_starts = K.indptr[:-1]
        self.kept_row_of = np.repeat(np.arange(keep.shape[0]), np.diff(K.indptr))
        free = np.ones(form.n_cols, dtype=bool)
        free[K.indices] = False
        self.free = np.nonzero(free)[0]
        self.allowed = form.col_upper[K.indices] >= 0.5
        width = int(K.indptr[1]) if keep.shape[0] else 0
        # the single-area layout: row f holds columns f*U .. f*U+U-1, a reshape away
        self.grid = width if (keep.shape[0] and K.indices.shape[0] == keep.shape[0] * width
                              and np.array_equal(K.indices, np.arange(K.indices.shape[0]))
                              ) else 0
        self.forced_at = np.nonzero(form.col_lower[K.indices] >= 0.5)[0]
        self.offset = self.sign * form.offset
        self.n_cols = form.n_cols

    def evaluate(self, lam: np.ndarray) -> tuple[float, np.ndarray]:
        """L(lam) (for the maximisation) and the subproblem's maximiser."""
        d = self.c - self.RT @ lam if lam.shape[0] else self.c.copy()
        x = np.zeros(self.n_cols)
        fd = d[self.free]
        x[self.free] = np.where(fd > 0, self.up[self.free], self.lo[self.free])
        value = float(fd @ x[self.free])
        if self.grid:
            n = self.kept_indices.shape[0]
            dk = np.where(self.allowed, d[:n], -np.inf).reshape(-1, self.grid)
            pick = np.argmax(dk, axis=1) + np.arange(dk.shape[0]) * self.grid
            if not np.all(np.isfinite(dk.max(axis=1))):
                return -np.inf, x
            if self.forced_at.shape[0]:
                pick[self.forced_at // self.grid] = self.forced_at
            x[pick] = 1.0
            value += float(d[pick].sum())
        elif self.kept_indices.shape[0]:
            dk = np.where(self.allowed, d[self.kept_indices], -np.inf)
            best = np.maximum.reduceat(dk, self.kept_starts)
            if not np.all(np.isfinite(best)):
                return -np.inf, x  # a kept row with no column allowed: no placement at all
            pick = self._pick(dk, best)
            x[pick] = 1.0
            value += float(d[pick].sum())
        side = np.where(lam > 0, self.rup, np.where(lam < 0, self.rlo, 0.0))
        value += float(lam @ np.where(lam != 0, side, 0.0)) + self.offset
        return value, x

    def _pick(self, dk: np.ndarray, best: np.ndarray) -> np.ndarray:
        """One column per kept row: the forced one where a pin forces it, else a best one."""
        hit = dk >= best[self.kept_row_of]
        first = np.full(best.shape[0], -1, dtype=np.int64)
        pos = np.nonzero(hit)[0]
        first[self.kept_row_of[pos[::-1]]] = pos[::-1]  # the first best column of each row
        cols = self.kept_indices[first]
        if self.forced_at.shape[0]:
            cols[self.kept_row_of[self.forced_at]] = self.kept_indices[self.forced_at]
        return cols

    def subgradient(self, lam: np.ndarray, x: np.ndarray) -> np.ndarray:
        """dL/dlam: the priced side of each row minus its activity (0 where lam sits at 0
        and the row holds)."""
        r = self.R @ x
        g = np.where(lam > 0, self.rup - r, np.where(lam < 0, self.rlo - r, 0.0))
        at0 = lam == 0
        g = np.where(at0 & (r > self.rup), self.rup - r, g)
        g = np.where(at0 & (r < self.rlo), self.rlo - r, g)
        return np.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0)

    def project(self, lam: np.ndarray) -> np.ndarray:
        lam = np.where(np.isfinite(self.rup), lam, np.minimum(lam, 0.0))
        return np.where(np.isfinite(self.rlo), lam, np.maximum(lam, 0.0))


def lagrangian_bound(form: CanonicalForm, seconds: float, *, target: float | None = None,
                     max_iterations: int = 2000) -> LagrangianBound:
    """The best Lagrangian bound found within about ``seconds`` (see the module docstring).

    ``target`` is a known objective (an incumbent, in the form's sense) that the step size
    aims at; without one the step aims 1% below the bound so far.
    """
    t0 = time.perf_counter()
    keep = kept_rows(form)
    rel = _Relaxation(form, keep)
    m = rel.relaxed.shape[0]
    exact = _one_row(form, rel) if m == 1 else None
    if exact is not None:
        value, lam, x, it = exact
        full = np.zeros(form.n_rows)
        full[rel.relaxed] = lam / rel.scale
        return LagrangianBound(rel.sign * value, full, x, it, time.perf_counter() - t0)
    lam = np.zeros(m)
    best, x = rel.evaluate(lam)
    best_lam, best_x = lam, x
    it = 1
    goal = None if target is None else rel.sign * target
    g = rel.subgradient(lam, x)
    norm = float(g @ g)
    aim = goal if goal is not None and goal < best else best - 0.01 * max(1.0, abs(best))
    # per-row steps, first Polyak's, then grown while a row's subgradient keeps its sign and
    # halved when it flips (the dual is flat far from its minimum: a fixed rule crawls there)
    eta = np.abs(g) * max(best - aim, 1e-9) / max(norm, 1e-18)
    # no multiplier needs to price a unit-scaled row beyond the whole objective many times
    # over; past that the steps only grow (a row no placement meets) until they overflow
    cap = 1e6 * (float(np.abs(rel.c).sum()) + abs(rel.offset) + 1.0)
    eta = np.minimum(eta, cap)
    while (it < max_iterations and time.perf_counter() - t0 < seconds and m
           and norm > 1e-18 and float(eta.max(initial=0.0)) > 1e-12):
        lam = rel.project(np.clip(lam - eta * np.sign(g), -cap, cap))
        value, x = rel.evaluate(lam)
        it += 1
        if value < best - 1e-12 * max(1.0, abs(best)):
            best, best_lam, best_x = value, lam, x
        g_new = rel.subgradient(lam, x)
        same = np.sign(g_new) * np.sign(g)
        eta = np.where(same > 0, eta * 1.5, np.where(same < 0, eta * 0.5, eta))
        eta = np.where(g == 0, np.abs(g_new) * max(best - aim, 1e-9) / max(norm, 1e-18), eta)
        eta = np.minimum(eta, cap)
        g, norm = g_new, float(g_new @ g_new)
    full = np.zeros(form.n_rows)
    full[rel.relaxed] = best_lam / rel.scale
    return LagrangianBound(rel.sign * best, full, best_x, it,
                           time.perf_counter() - t0)


def _one_row(form: CanonicalForm,
             rel: _Relaxation) -> tuple[float, np.ndarray, np.ndarray, int] | None:
    """``min L`` exactly when one row is relaxed (a budget: the multiple-choice knapsack), by
    bisection on its multiplier (:func:`placement.milp.forest.one_row_search`, every
    function a component of its own): ``(L, lam, x, evaluations)``, or None where the search
    does not apply (no single-area grid, auxiliary columns, a row no choice meets)."""
    if not rel.grid or rel.free.shape[0] or form.n_units != rel.grid:
        return None
    K = rel.grid
    c = np.where(form.allowed_grid(), rel.c.reshape(-1, K), -np.inf)
    a = rel.R.toarray().reshape(-1, K)
    found = one_row_search(Forest.singletons(c.shape[0], K), c, a, float(rel.rlo[0]),
                           float(rel.rup[0]))
    if found is None:
        return None
    lam = np.array([found.lam])
    value, x = rel.evaluate(lam)  # the same L, with the offset, and its maximiser
    return value, lam, x, found.evaluations + 1
