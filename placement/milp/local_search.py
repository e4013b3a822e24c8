"""Shift and swap local search on a placement with one pattern per function (GAP-like forms).

A *shift* moves one function to another of its patterns (another tier); a *swap* exchanges the
patterns of two functions. Every candidate is evaluated at once, whole-array: the change each
shift makes to every coupling row is one dense (rows, F, K) array, and a swap of f and g is the
sum of "f takes g's pattern" and "g takes f's pattern", an (rows, F, F) array. Rows that no move
can change (the assignment rows) are left out. Descent takes the best improving move until none
is left; then *kicks* (a few random feasible shifts from the best placement, then descent again)
look beyond the local optimum, and a kicked placement is kept when it is at least as good.

Everything is deterministic given ``seed`` and the counts (``kicks``); a wall-clock
``deadline`` and a ``stopped`` callable (asked before each kick) are only outer stops. Applies
to single-area forms whose columns are all placement columns (:func:`applies`); the swap array
is skipped above :data:`MAX_SWAP_CELLS`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from placement.milp.canonical import CanonicalForm
from placement.milp.construct import patterns_of

__all__ = ["LocalSearch", "applies", "MAX_SWAP_CELLS"]

#: Largest rows * F * F array a swap evaluation builds (about 400 MB at this size).
MAX_SWAP_CELLS = 50_000_000
#: Largest rows * F * K array a shift evaluation builds.
MAX_SHIFT_CELLS = 50_000_000
_TOL = 1e-9


def applies(form: CanonicalForm) -> bool:
    """True when every column is a placement column of a single-area form."""
    return (not form.per_area) and form.n_cols == form.n_x and form.n_functions > 1 \
        and bool(form.integrality.all())


@dataclass
class _Moves:
    gain: float
    kind: str  # "shift" or "swap"
    f: int
    g: int  # the other function (swap) or the new pattern (shift)


class LocalSearch:
    """Local search over the placements of ``form`` (see the module docstring)."""

    def __init__(self, form: CanonicalForm) -> None:
        P = patterns_of(form)
        self.form = form
        self.F, self.K = form.n_functions, P.K
        A = P.AQ.toarray().reshape(-1, self.F, self.K)
        moving = np.ptp(A, axis=2).max(axis=1, initial=0.0) > 0  # rows some move changes
        self.rows = np.nonzero(moving)[0]
        self.A = A[moving]
        self.lo, self.up = P.lo[moving], P.up[moving]
        self.tol = _TOL * np.maximum(P.scale[moving], 1.0)
        self.val = P.cQ.reshape(self.F, self.K)  # maximised
        self.valid = P.valid
        self.Q = P.Q
        R = self.A.shape[0]
        self.swaps = R * self.F * self.F <= MAX_SWAP_CELLS
        self.usable = R * self.F * self.K <= MAX_SHIFT_CELLS

    def choice_of(self, x: np.ndarray) -> np.ndarray:
        return self.form.assignment_of(x)

    def x_of(self, choice: np.ndarray) -> np.ndarray:
        return np.asarray(self.Q[:, np.arange(self.F) * self.K + choice].sum(axis=1)).ravel()

    def value(self, choice: np.ndarray) -> float:
        return float(self.val[np.arange(self.F), choice].sum())

    def feasible(self, choice: np.ndarray) -> bool:
        r = self._activity(choice)
        return bool(self.valid[np.arange(self.F), choice].all() and self._fits(r).all())

    def _activity(self, choice: np.ndarray) -> np.ndarray:
        return self.A[:, np.arange(self.F), choice].sum(axis=1)

    def _fits(self, after: np.ndarray) -> np.ndarray:
        shape = (-1,) + (1,) * (after.ndim - 1)
        lo, up, tol = self.lo.reshape(shape), self.up.reshape(shape), self.tol.reshape(shape)
        return ((after <= up + tol) & (after >= lo - tol)).all(axis=0)

    def _shifts(self, choice: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                 np.ndarray]:
        """Gain (F, K), feasibility (F, K) of every shift, and the row change D (R, F, K)."""
        ar = np.arange(self.F)
        D = self.A - self.A[:, ar, choice][:, :, None]
        gain = self.val - self.val[ar, choice][:, None]
        ok = self.valid & self._fits(r[:, None, None] + D)
        ok[ar, choice] = False
        return gain, ok, D

    def _best_move(self, choice: np.ndarray, r: np.ndarray) -> _Moves | None:
        gain, ok, D = self._shifts(choice, r)
        best: _Moves | None = None
        g = np.where(ok, gain, -np.inf)
        k = int(np.argmax(g))
        if g.flat[k] > _TOL:
            best = _Moves(float(g.flat[k]), "shift", k // self.K, k % self.K)
        if self.swaps:
            ar = np.arange(self.F)
            Dfg = D[:, ar[:, None], choice[None, :]]  # f takes g's pattern
            sg = gain[ar[:, None], choice[None, :]]
            sg = sg + sg.T
            vf = self.valid[ar[:, None], choice[None, :]]
            cand = vf & vf.T & (sg > _TOL) & (choice[:, None] != choice[None, :])
            if best is not None:
                cand &= sg > best.gain
            if cand.any():
                sg = np.where(cand, sg, -np.inf)
                fit = self._fits(r[:, None, None] + Dfg + Dfg.transpose(0, 2, 1))
                sg = np.where(fit, sg, -np.inf)
                i = int(np.argmax(sg))
                if np.isfinite(sg.flat[i]):
                    best = _Moves(float(sg.flat[i]), "swap", i // self.F, i % self.F)
        return best

    def descend(self, choice: np.ndarray, deadline: float | None = None,
                max_moves: int = 100_000) -> np.ndarray:
        """Best improving shift or swap until none is left (or ``max_moves``)."""
        choice = choice.copy()
        r = self._activity(choice)
        for _ in range(max_moves):
            if deadline is not None and time.perf_counter() > deadline:
                break
            m = self._best_move(choice, r)
            if m is None:
                break
            if m.kind == "shift":
                changes = [(m.f, m.g)]
            else:
                changes = [(m.f, int(choice[m.g])), (m.g, int(choice[m.f]))]
            for f, k in changes:
                r = r + self.A[:, f, k] - self.A[:, f, choice[f]]
                choice[f] = k
        return choice

    def _kick(self, choice: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` random feasible shifts, one after the other."""
        choice = choice.copy()
        r = self._activity(choice)
        for _ in range(size):
            _, ok, _ = self._shifts(choice, r)
            cand = np.flatnonzero(ok)
            if cand.size == 0:
                break
            k = int(cand[rng.integers(cand.size)])
            f, t = divmod(k, self.K)
            r = r + self.A[:, f, t] - self.A[:, f, choice[f]]
            choice[f] = t
        return choice

    def improve(self, x: np.ndarray, *, seed: int, kicks: int, kick_size: int = 3,
                deadline: float | None = None,
                stopped: Callable[[], bool] | None = None) -> np.ndarray | None:
        """A placement at least as good as ``x`` (full column vector), or None when the
        search does not apply or ``x`` is not a feasible placement it understands."""
        if not self.usable:
            return None
        choice = self.choice_of(x)
        if not np.allclose(self.x_of(choice), x[: self.form.n_x]) or not self.feasible(choice):
            return None
        best = self.descend(choice, deadline)
        best_value = self.value(best)
        rng = np.random.default_rng(seed)
        for _ in range(kicks):
            if (deadline is not None and time.perf_counter() > deadline) or \
                    (stopped is not None and stopped()):
                break
            cand = self.descend(self._kick(best, rng, kick_size), deadline)
            v = self.value(cand)
            if v >= best_value - _TOL:
                best, best_value = cand, v
        return self.x_of(best)
