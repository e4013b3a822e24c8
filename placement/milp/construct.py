"""A feasible placement built cheaply from a canonical form: start, repair, improve, in batches.

Every function chooses one *pattern*, a set of its placement columns: in the single-area case
pattern k is tier k; per area, pattern t is "every unit of tier t" (only where tier t covers
every area), and the last pattern is an extra one the caller gives (today's placement). A
pattern is usable for a function when it keeps to the column bounds (pins, allowed tiers) and
puts the function in exactly one unit in every area. The rows checked are those over placement
columns only (assignment, budgets, caps, moves, shares, hard links); rows that also hold
auxiliary columns (soft links) can be met by those columns whatever the placement, and the
caller completes and checks them (:mod:`placement.solution.anytime`).

1. Starts: the pattern that is best once the Lagrangian multipliers price the rows, today's
   placement, and each one-size pattern (a function that cannot take it takes the first); the
   one with the least violation is kept.
2. Repair, while a row is violated: each function's move that most reduces the violation per
   unit of value lost, in batches.
3. Improve: each function's move with the largest gain net of the multipliers' prices (and a
   positive gain of its own), in batches.

A batch is whole-array (:func:`accept_batch`): moves in order of priority are taken as long as
no row gets worse than its bounds (or than its current violation), by cumulative sums along
the order, row by row; the move that would first break a row is dropped and the rest tried
again, a bounded number of times. Nothing here loops in Python over functions or rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.milp.blocks import nonzeros
from placement.milp.canonical import CanonicalForm
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["Patterns", "patterns_of", "construct", "accept_batch"]

_ROUNDS = 40  # cut-and-retry rounds of one batch


@dataclass(frozen=True)
class Patterns:
    """K patterns per function as placement columns: column ``f * K + k`` of ``Q`` (n_x rows)
    is function f's pattern k; ``AQ`` and ``cQ`` are what it adds to the checked rows and to
    the objective (maximised: signed by the form's sense); ``valid`` (F, K) says which a
    function may take."""

    K: int
    Q: sp.csc_matrix
    AQ: sp.csc_matrix
    cQ: np.ndarray
    valid: np.ndarray
    rows: np.ndarray  # the checked rows (global indices)
    lo: np.ndarray
    up: np.ndarray
    scale: np.ndarray

    def activity(self, choice: np.ndarray) -> np.ndarray:
        cols = np.arange(choice.shape[0]) * self.K + choice
        return np.asarray(self.AQ[:, cols].sum(axis=1)).ravel()

    def violation(self, r: np.ndarray) -> np.ndarray:
        return (np.maximum(r - self.up, 0.0) + np.maximum(self.lo - r, 0.0)) / self.scale


def patterns_of(form: CanonicalForm, extra: sp.spmatrix | None = None) -> Patterns:
    """The patterns of ``form`` (see the module docstring); ``extra`` is an (F, U) 0-1 matrix
    of one more pattern per function (a function with an empty row cannot take it)."""
    F, U, n_x = form.n_functions, form.n_units, form.n_x
    per_area = form.per_area and form.layout is not None
    if per_area:
        layout = form.layout
        assert layout is not None
        T = layout.n_tiers
        unit_sets = sp.csr_matrix((np.ones(U), (layout.unit_tier, np.arange(U))), shape=(T, U))
    else:
        unit_sets = sp.identity(U, format="csr")
    base = sp.kron(sp.identity(F, format="csr"), unit_sets.T, format="csc")  # (F*U, F*Kb)
    Kb = unit_sets.shape[0]
    if extra is not None:
        E = sp.csr_matrix(extra)
        f, u = E.nonzero()
        ext = sp.csc_matrix((np.ones(f.shape[0]), (f * U + u, f)), shape=(n_x, F))
        blocks = [base[:, k::Kb] for k in range(Kb)] + [ext]  # pattern-major, then reorder
        Q = sp.hstack(blocks, format="csc")
        K = Kb + 1
        order = (np.arange(K)[None, :] * F + np.arange(F)[:, None]).ravel()
        Q = Q[:, order]
    else:
        Q, K = base, Kb
    checked = np.arange(form.n_rows)
    if form.n_cols > n_x:  # the rows without auxiliary columns
        has_aux = np.bincount(nonzeros(form).aux_rows, minlength=form.n_rows) > 0
        checked = np.nonzero(~has_aux)[0]
    Ax = _x_rows(form, checked)
    AQ = sp.csc_matrix(Ax @ Q)
    sign = float(form.sense.sign)
    cQ = sign * (form.c[:n_x] @ Q)
    valid = _valid(form, Q, AQ, checked, F, K)
    scale = np.maximum(abs(Ax).max(axis=1).toarray().ravel(), 1e-12) if checked.size else \
        np.ones(0)
    return Patterns(K, Q, AQ, np.asarray(cQ).ravel(), valid, checked,
                    form.row_lower[checked], form.row_upper[checked], scale)


def _x_rows(form: CanonicalForm, rows: np.ndarray) -> sp.csr_matrix:
    """``form.A[rows][:, :n_x]``; without the column slice (a copy) when those rows hold
    placement columns only."""
    sub = form.A[rows]
    if sub.nnz and int(sub.indices.max()) >= form.n_x:
        return sub[:, :form.n_x].tocsr()
    return sp.csr_matrix((sub.data, sub.indices, sub.indptr), shape=(rows.shape[0], form.n_x))


def _valid(form: CanonicalForm, Q: sp.csc_matrix, AQ: sp.csc_matrix, checked: np.ndarray,
           F: int, K: int) -> np.ndarray:
    """(F, K): the pattern keeps to the column bounds and to the function's assign rows."""
    n_x = form.n_x
    banned = (form.col_upper[:n_x] < 0.5).astype(float)
    forced = (form.col_lower[:n_x] >= 0.5).astype(float)
    n_forced = forced.reshape(F, -1).sum(axis=1)
    ok = (Q.T @ banned == 0) & (Q.T @ forced == np.repeat(n_forced, K))
    ok &= np.diff(Q.indptr) > 0
    block = form.row_block("assign")
    if block is not None:
        inside = (checked >= block.start) & (checked < block.stop)
        per_f = len(block) // max(F, 1)
        Aa = AQ[np.nonzero(inside)[0]]
        ones = Aa.copy()
        ones.data = (np.abs(ones.data - 1.0) <= 1e-9).astype(float)
        ok &= (np.asarray(ones.sum(axis=0)).ravel() == per_f) & (Aa.getnnz(axis=0) == per_f)
    return np.asarray(ok).reshape(F, K)


def accept_batch(P: Patterns, r: np.ndarray, moves: np.ndarray, D: sp.csc_matrix,
                 deadline: float) -> tuple[np.ndarray, np.ndarray]:
    """Which of the ``moves`` (in priority order; column m of ``D`` is move m's change to
    the checked rows) to take from activity ``r``: none makes a row worse than its bounds or
    than it already is. Returns (taken mask, new activity)."""
    n = moves.shape[0]
    taken = np.zeros(n, dtype=bool)
    alive = np.ones(n, dtype=bool)
    tol = 1e-9 * np.maximum(1.0, np.maximum(np.abs(np.nan_to_num(P.lo, neginf=0.0)),
                                            np.abs(np.nan_to_num(P.up, posinf=0.0))))
    for _ in range(_ROUNDS):  # bounded cut-and-retry; each round is whole-array
        idx = np.nonzero(alive)[0]
        if idx.size == 0 or time.perf_counter() > deadline:
            break
        Dr = D[:, idx].tocsr()
        Dr.sort_indices()
        row = np.repeat(np.arange(Dr.shape[0]), np.diff(Dr.indptr))
        delta = Dr.data
        alone = _worse(P, r[row] + delta, delta, row, tol)
        bad_move = np.zeros(idx.size, dtype=bool)
        bad_move[Dr.indices[alone]] = True
        alive[idx[bad_move]] = False
        keep = ~bad_move[Dr.indices]
        row, delta, pos = row[keep], delta[keep], Dr.indices[keep]
        if pos.size == 0:
            taken[idx[~bad_move]] = True
            alive[idx[~bad_move]] = False
            break
        cum = np.cumsum(delta)
        starts = np.searchsorted(row, row, side="left")
        before = np.concatenate([[0.0], cum])[starts]
        worse = _worse(P, r[row] + cum - before, delta, row, tol)
        first = int(pos[worse].min()) if worse.any() else idx.size
        ok_pos = np.nonzero(~bad_move)[0]
        take = ok_pos[ok_pos < first]
        taken[idx[take]] = True
        alive[idx[take]] = False
        if take.size:
            r = r + np.asarray(D[:, idx[take]].sum(axis=1)).ravel()
        if first < idx.size:
            alive[idx[first]] = False
    return taken, r


def _worse(P: Patterns, new: np.ndarray, delta: np.ndarray, row: np.ndarray,
           tol: np.ndarray) -> np.ndarray:
    """Whether a change of ``delta`` leaving row ``row`` at ``new`` leaves it out of bounds in
    the direction it moved."""
    return ((delta > 0) & (new > P.up[row] + tol[row])) | \
        ((delta < 0) & (new < P.lo[row] - tol[row]))


@dataclass(frozen=True)
class Construction:
    """What :func:`construct` found: ``x`` over the placement columns (None when no feasible
    placement was found), the pattern of each function, and why it stopped."""

    x: np.ndarray | None
    choice: np.ndarray | None
    message: str
    seconds: float


def construct(form: CanonicalForm, seconds: float, *, multipliers: np.ndarray | None = None,
              extra: sp.spmatrix | None = None, repair_seconds: float | None = None,
              start: np.ndarray | None = None, least_improve: float = 0.0) -> Construction:
    """A placement of ``form`` that meets every checked row (see the module docstring).

    ``multipliers`` (one per row, pricing the maximisation of ``sense.sign * c``, as
    :func:`placement.milp.lagrangian.lagrangian_bound` gives them) steer the choices, and
    ``extra`` is one more pattern per function (today's placement); ``start`` (a pattern
    per function: a tier, single-area) is one more start, tried first among those as
    violated. Improvement stops after
    ``seconds``, or ``least_improve`` after the first feasible placement if that is later;
    finding a first feasible placement may take up to ``repair_seconds`` (by default the
    same), since without one there is no answer at all."""
    t0 = time.perf_counter()
    deadline = t0 + seconds
    repair_deadline = t0 + max(seconds, repair_seconds or 0.0)
    P = patterns_of(form, extra)
    F, K = form.n_functions, P.K
    if F == 0:
        return Construction(np.zeros(form.n_x), np.zeros(0, dtype=np.int64), "no functions",
                            time.perf_counter() - t0)
    none = ~P.valid.any(axis=1)
    if none.any():
        return Construction(None, None, f"{int(none.sum())} function(s) can take no pattern "
                            "the construction knows (pins and allowed tiers)",
                            time.perf_counter() - t0)
    reduced = P.cQ.copy()
    if multipliers is not None:
        price_x = (form.A.T @ multipliers)[:form.n_x]  # no copy of A's placement columns
        reduced = P.cQ - P.Q.T @ price_x
    red = reduced.reshape(F, K)
    best = np.argmax(np.where(P.valid, red, -np.inf), axis=1)
    starts = [best] + [np.where(P.valid[:, k], k, best) for k in range(K - 1, -1, -1)]
    if start is not None:
        given = np.asarray(start, dtype=np.int64)
        starts.insert(0, np.where(P.valid[np.arange(F), given], given, best))
    scored = sorted(((float(P.violation(P.activity(s)).sum()), -float(_value(P, s)), i)
                     for i, s in enumerate(starts)))
    message = "no start could be repaired"
    # each start repaired weighing the value lost, then (if that sticks) by violation alone
    for _, _, i, weigh in [(*s, w) for w in (True, False) for s in scored]:
        if time.perf_counter() > repair_deadline:
            message = "out of time while repairing"
            break
        choice = _repair(P, starts[i].copy(), repair_deadline, weigh)
        if choice is None:
            continue
        choice = _improve(P, choice, red, max(deadline, time.perf_counter() + least_improve))
        x = np.asarray(P.Q[:, np.arange(F) * K + choice].sum(axis=1)).ravel()
        return Construction(x, choice, "feasible", time.perf_counter() - t0)
    return Construction(None, None, message, time.perf_counter() - t0)


def _value(P: Patterns, choice: np.ndarray) -> float:
    return float(P.cQ[np.arange(choice.shape[0]) * P.K + choice].sum())


def _delta(P: Patterns, f: np.ndarray, old: np.ndarray, new: np.ndarray) -> sp.csc_matrix:
    return sp.csc_matrix(P.AQ[:, f * P.K + new] - P.AQ[:, f * P.K + old])


def _best_moves(score: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each function's best usable move by ``score`` (F, K), functions by score, best first."""
    s = np.where(usable, score, -np.inf)
    k = np.argmax(s, axis=1)
    top = s[np.arange(s.shape[0]), k]
    f = np.nonzero(np.isfinite(top))[0]
    f = f[np.argsort(-top[f], kind="stable")]
    return f, k[f]


def _repair(P: Patterns, choice: np.ndarray, deadline: float,
            weigh: bool = True) -> np.ndarray | None:
    """Moves that reduce the violation most per unit of value lost (``weigh``), or most,
    until none is left."""
    F, K = choice.shape[0], P.K
    r = P.activity(choice)
    for _ in range(4 * _ROUNDS):
        viol = P.violation(r)
        if viol.sum() <= 1e-9 or time.perf_counter() > deadline:
            break
        cur = np.repeat(np.arange(F) * K + choice, K)
        Dall = sp.csc_matrix(P.AQ - P.AQ[:, cur])
        row = Dall.indices
        col = np.repeat(np.arange(F * K), np.diff(Dall.indptr))
        after = _row_violation(P, r[row] + Dall.data, row)
        gain = np.bincount(col, weights=viol[row] - after, minlength=F * K).reshape(F, K)
        loss = (P.cQ[cur] - P.cQ).reshape(F, K)
        unit = 1e-6 * float(np.abs(P.cQ).mean()) + 1e-12
        score = gain / (np.maximum(loss, 0.0) + unit) if weigh else gain - 1e-9 * loss
        f, k = _best_moves(score, P.valid & (gain > 1e-12))
        if f.size == 0:
            return None
        # no more moves than the violation needs: a batch that overshoots gives away value
        enough = int(np.searchsorted(np.cumsum(gain[f, k]), viol.sum())) + 1
        f, k = f[:enough], k[:enough]
        taken, r = accept_batch(P, r, f, _delta(P, f, choice[f], k), deadline)
        if not taken.any():
            return None
        choice[f[taken]] = k[taken]
    return choice if P.violation(r).sum() <= 1e-9 else None


def _row_violation(P: Patterns, value: np.ndarray, row: np.ndarray) -> np.ndarray:
    return (np.maximum(value - P.up[row], 0.0) + np.maximum(P.lo[row] - value, 0.0)) / \
        P.scale[row]


def _improve(P: Patterns, choice: np.ndarray, reduced: np.ndarray,
             deadline: float) -> np.ndarray:
    """Moves with a gain of their own, best net of the multipliers' prices first; a move
    refused once is not offered again."""
    F, K = choice.shape[0], P.K
    value = P.cQ.reshape(F, K)
    refused = np.zeros((F, K), dtype=bool)
    r = P.activity(choice)
    for _ in range(_ROUNDS):
        if time.perf_counter() > deadline:
            break
        idx = np.arange(F)
        gain = value - value[idx, choice][:, None]
        usable = P.valid & (gain > 1e-12 * np.maximum(1.0, np.abs(value))) & ~refused
        f, k = _best_moves(reduced - reduced[idx, choice][:, None], usable)
        if f.size == 0:
            break
        taken, r = accept_batch(P, r, f, _delta(P, f, choice[f], k), deadline)
        refused[f[~taken], k[~taken]] = True
        choice[f[taken]] = k[taken]
    return choice
