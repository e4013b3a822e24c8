"""Reduced-cost fixing: the core of a placement MILP, and the bound on everything outside it.

Take any multipliers ``lam`` on the rows that are not kept assignment rows (those of
:func:`placement.milp.lagrangian.kept_rows`) and work on the maximisation of ``sign * c``.
The Lagrangian function::

    L(lam) = sum_i h_i(lam_i) + sum_kept rows max_j d_j + sum_free max(d_j lo_j, d_j up_j)
             + sign * offset,          d = sign * c - A' lam

bounds every feasible placement (weak duality; :mod:`placement.milp.lagrangian`). Forcing a
column ``j`` of a kept row to 1 lowers the row's term from its best ``d`` to ``d_j``, so every
placement that uses ``j`` is worth at most ``L - penalty_j`` with ``penalty_j = best - d_j``.
Whatever the threshold, then, excluding the columns whose penalty is above it loses nothing
that is worth more than::

    B_out = L - min { penalty_j : j excluded }

The *core* is the form with those columns fixed at 0 (and a row's last survivor fixed at 1),
the fixed columns' use moved into the row bounds and their value into the offset, and the rows
left with nothing to decide dropped. Whatever the core's optimum ``z`` and bound ``b``, the
whole form's optimum lies in ``[z, max(b, B_out)]``: a bound anybody can re-derive from ``lam``
(:func:`price` recomputes ``L`` itself rather than trusting the search that found ``lam``).
A core whose proven optimum is at least ``B_out`` is the whole form's optimum.

Columns outside kept rows (soft-link and other auxiliary columns) have penalty 0: no threshold
excludes them, only a core chosen column by column (``include`` with a negative threshold).
Every step is whole-array: one sparse product, one ``maximum.reduceat``, one column slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.milp.blocks import aux_block, x_block
from placement.milp.canonical import Block, CanonicalForm
from placement.milp.lagrangian import kept_rows
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["Pricing", "Core", "price", "core_of", "thresholds", "cheapest_per_row",
           "cheapest_core", "aux_penalties"]


@dataclass(frozen=True)
class Pricing:
    """``L(lam)`` in the maximisation of ``sign * c`` (offset included), each column's
    penalty (``inf`` where the column bounds keep it at 0 or where a pin decides the row; 0
    for columns never excluded) and the best column of each kept row."""

    value: float
    penalty: np.ndarray
    kept: np.ndarray  # kept row indices
    sign: float
    multipliers: np.ndarray  # as priced: 0 on kept rows, each on a side its row has
    kind: str = "lagrangian"  # "forest": L with the links kept (link_forest.forest_pricing)

    def bound(self, form: CanonicalForm) -> float:
        """``L`` in the form's own sense (a proven bound on its optimum)."""
        return float(self.sign * self.value)

    def ranked(self, form: CanonicalForm) -> tuple[sp.csr_matrix, np.ndarray]:
        """The kept rows (``form.A[kept]``) and their columns ordered row by row, least
        penalty first (ties by column): row ``i``'s are ``[K.indptr[i]:K.indptr[i + 1]]``."""
        K = form.A[self.kept]
        row = np.repeat(np.arange(self.kept.shape[0]), np.diff(K.indptr))
        return K, K.indices[np.lexsort((K.indices, self.penalty[K.indices], row))]

    def second_penalty(self, form: CanonicalForm) -> np.ndarray:
        """Per kept row, the smallest penalty of a column other than its best (``inf`` for a
        row with one allowed column): how close the row is to changing its choice."""
        K, cols = self.ranked(form)
        out = np.full(self.kept.shape[0], np.inf)
        two = np.diff(K.indptr) >= 2
        out[two] = self.penalty[cols[K.indptr[:-1][two] + 1]]
        return out


def price(form: CanonicalForm, multipliers: np.ndarray) -> Pricing:
    """``L(multipliers)`` and every column's penalty (see the module docstring).

    ``multipliers`` has one entry per row of the form (those of kept rows are ignored),
    pricing a row's upper side when positive and its lower side when negative."""
    kept = kept_rows(form)
    if kept.shape[0] == 0:
        raise ValueError("the form has no assignment rows to keep: no core to find")
    sign = float(form.sense.sign)
    lam = np.asarray(multipliers, dtype=float).copy()
    lam[kept] = 0.0
    lam = np.where(np.isfinite(form.row_upper), lam, np.minimum(lam, 0.0))
    lam = np.where(np.isfinite(form.row_lower), lam, np.maximum(lam, 0.0))
    d = sign * form.c - form.A.T @ lam
    side = np.where(lam > 0, form.row_upper, np.where(lam < 0, form.row_lower, 0.0))
    value = float(lam[lam != 0] @ side[lam != 0]) + sign * form.offset
    K = form.A[kept]
    cols = K.indices
    row = np.repeat(np.arange(kept.shape[0]), np.diff(K.indptr))
    allowed = form.col_upper[cols] >= 0.5
    dk = np.where(allowed, d[cols], -np.inf)
    best = np.maximum.reduceat(dk, K.indptr[:-1])
    forced = form.col_lower[cols] >= 0.5
    pinned = np.zeros(kept.shape[0], dtype=bool)
    pinned[row[forced]] = True
    best = np.where(pinned, -np.inf, best)
    best[row[forced]] = d[cols[forced]]  # a pinned row takes its pin, whatever it is worth
    if not np.all(np.isfinite(best)):
        raise ValueError("a kept row has no column its bounds allow: the form is infeasible")
    value += float(best.sum())
    free = np.ones(form.n_cols, dtype=bool)
    free[cols] = False
    fd = d[free]
    value += float(np.maximum(fd * form.col_lower[free], fd * form.col_upper[free]).sum())
    penalty = np.zeros(form.n_cols)
    pk = best[row] - dk
    pk = np.where(pinned[row] & ~forced, np.inf, np.where(forced, 0.0, pk))
    penalty[cols] = np.maximum(pk, 0.0)
    return Pricing(value, penalty, kept, sign, lam)


@dataclass(frozen=True)
class Core:
    """The core form, the full-form columns it holds, the fixed values of the others, and
    ``outside``: the best any placement using an excluded column can be worth (form's sense;
    ``None`` when nothing was excluded)."""

    form: CanonicalForm
    columns: np.ndarray
    fixed: np.ndarray  # every column of the full form; the core's columns hold 0
    outside: float | None
    excluded: int
    rows: np.ndarray  # the full form's row of each core row

    def lift(self, y: np.ndarray) -> np.ndarray:
        """A full-form solution from a core solution."""
        x = self.fixed.copy()
        x[self.columns] = y
        return x

    def restrict(self, x: np.ndarray) -> np.ndarray | None:
        """A full-form solution as a core start, or None when it uses an excluded column or
        leaves a fixed one."""
        x = np.asarray(x, dtype=float)
        rest = np.ones(x.shape[0], dtype=bool)
        rest[self.columns] = False
        if np.abs(x[rest] - self.fixed[rest]).max(initial=0.0) > 1e-6:
            return None
        return x[self.columns]


def core_of(form: CanonicalForm, pricing: Pricing, threshold: float,
            include: np.ndarray | None = None) -> Core | None:
    """The core keeping the columns whose penalty is at most ``threshold``, those of the
    placement ``include`` (an incumbent: so the core has it as a start and is never
    infeasible when the form is not) and those a row needs back (below), or None when the
    columns it fixes still break a row.

    Fixing can leave a row with nothing to decide and out of its bounds: a link ``x[f,t] <=
    x[h,t]`` when f's last survivor is t and h's column t was excluded. Every column of such
    a row that pricing allowed is brought back (a core may hold more than the threshold
    keeps: ``outside`` is taken over what stays excluded), and the fixings are redone, until
    no row is broken; each pass only adds columns, so it ends. A broken row that would bring
    back most of what is excluded (a budget over-spent by every row's best column) gives
    None instead."""
    pen = pricing.penalty
    allowed = form.col_upper >= 0.5
    out = (pen > threshold) & np.isfinite(pen) & allowed
    if include is not None:
        out &= ~(np.asarray(include, dtype=float) > 0.5)
    K = form.A[pricing.kept]
    cols = K.indices
    row = np.repeat(np.arange(pricing.kept.shape[0]), np.diff(K.indptr))
    for _ in range(_CLOSURE_PASSES):
        fixed, keep_cols, sub, lo, up, broken = _fix(form, out, cols, row, pricing, allowed)
        if not broken.any():
            break
        back = form.A[np.nonzero(broken)[0]].indices  # A is CSR
        back = back[out[back]]
        if back.size == 0 or back.size > 0.5 * out.sum():
            # nothing excluded is in the broken rows (fixing is not the cause), or a row
            # over most columns (a budget) is: the caller widens the core instead
            return None
        out[back] = False
    else:
        return None
    live = np.diff(sub.indptr) > 0
    rows = np.nonzero(live)[0]
    outside = None
    if out.any():
        best_out = pricing.value - float(pen[out].min())
        outside = form.round_bound(pricing.sign * best_out)
    core = CanonicalForm(
        sense=form.sense, c=form.c[keep_cols], A=sp.csr_matrix(sub[rows]),
        row_lower=lo[rows], row_upper=up[rows], col_lower=form.col_lower[keep_cols],
        col_upper=form.col_upper[keep_cols], integrality=form.integrality[keep_cols],
        n_functions=0, n_tiers=0, offset=float(form.offset + form.c @ fixed),
        row_blocks=(_relabel("core_rows", rows, form.row_label),),
        col_blocks=(_relabel("core_columns", keep_cols, form.col_label),),
        name=f"{form.name}-core")
    return Core(core, keep_cols, fixed, outside, int(out.sum()), rows)


#: Passes of bringing columns back into a core before giving up (each only adds columns).
_CLOSURE_PASSES = 50


def _fix(form: CanonicalForm, out: np.ndarray, cols: np.ndarray, row: np.ndarray,
         pricing: Pricing, allowed: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """With the columns ``out`` excluded: the fixed values, the core's columns, the rows over
    them with their bounds less what is fixed, and which rows are left with nothing to
    decide and out of their bounds."""
    pen = pricing.penalty
    alive = ~out[cols] & allowed[cols] & np.isfinite(pen[cols])
    survivors = np.bincount(row[alive], minlength=pricing.kept.shape[0])
    sole = alive & (survivors[row] == 1)
    fixed = np.zeros(form.n_cols)
    fixed[cols[sole]] = 1.0
    decided = np.zeros(form.n_cols, dtype=bool)
    decided[cols] = ~alive | sole
    decided |= form.col_upper < 0.5  # bounds keep these at 0
    decided |= out  # an auxiliary column is out only below a 0 threshold (a chosen core)
    keep_cols = np.nonzero(~decided)[0]
    used = form.A @ fixed
    lo, up = form.row_lower - used, form.row_upper - used
    sub = form.A[:, keep_cols].tocsr()
    live = np.diff(sub.indptr) > 0
    tol = 1e-9 * np.maximum(1.0, np.abs(used))
    broken = ~live & ((lo > tol) | (up < -tol))
    return fixed, keep_cols, sub, lo, up, broken


def _relabel(name: str, index: np.ndarray, label: object) -> Block:
    """A block naming each member by the full form's label of ``index[i]``."""

    def labels(idx: np.ndarray) -> list[str]:
        return [label(int(i)) for i in np.asarray(index)[np.asarray(idx)]]  # type: ignore[operator]

    return Block(name, 0, int(index.shape[0]), labels)


def thresholds(second: np.ndarray, sizes: Sequence[int]) -> list[float]:
    """Penalty thresholds that put about ``sizes[k]`` kept rows in the core (those closest
    to changing their choice), in increasing order."""
    finite = np.sort(second[np.isfinite(second)])
    if finite.shape[0] == 0:
        return [0.0]
    return sorted({float(finite[min(max(s, 1), finite.shape[0]) - 1]) for s in sizes})


def cheapest_per_row(form: CanonicalForm, pricing: Pricing, k: int) -> np.ndarray:
    """A mask of each kept row's ``k`` columns of least penalty (ties by column order) and
    every column outside kept rows: a column set for the LP (sifting adds what prices in)
    where a threshold would take too many, as exact multipliers do when many tiers tie."""
    K, cols = pricing.ranked(form)
    row = np.repeat(np.arange(pricing.kept.shape[0]), np.diff(K.indptr))
    rank = np.arange(cols.shape[0]) - K.indptr[:-1][row]
    out = np.ones(form.n_cols, dtype=bool)
    out[K.indices] = False
    chosen = cols[rank < k]
    out[chosen] = np.isfinite(pricing.penalty[chosen])
    return out


def aux_penalties(form: CanonicalForm, pen_x: np.ndarray) -> np.ndarray:
    """Each auxiliary column's penalty: the largest penalty of a placement column it forces
    to 1 through a row ``sum of aux columns (positive coefficients) - x = 0`` (a soft link's
    transport row); 0 where no such row holds it."""
    A = form.A
    Ax, Aa = x_block(form), aux_block(form)
    one = np.diff(Ax.indptr) == 1
    first = np.minimum(Ax.indptr[:-1], max(Ax.nnz - 1, 0))
    xcol = Ax.indices[first] if Ax.nnz else np.zeros(A.shape[0], dtype=np.int64)
    xneg = (Ax.data[first] < 0) if Ax.nnz else np.zeros(A.shape[0], dtype=bool)
    has_aux = np.diff(Aa.indptr) > 0
    lowest = np.full(A.shape[0], -np.inf)
    if Aa.nnz:
        lowest[has_aux] = np.minimum.reduceat(Aa.data, Aa.indptr[:-1][has_aux])
    forcing = ((form.row_lower == 0) & (form.row_upper == 0) & one & xneg & has_aux
               & (lowest > 0))
    row_pen = np.where(forcing, pen_x[xcol], 0.0)
    C = Aa.tocsc()
    out = np.zeros(C.shape[1])
    filled = np.diff(C.indptr) > 0
    if C.nnz:
        out[filled] = np.maximum.reduceat(row_pen[C.indices], C.indptr[:-1][filled])
    return out


def cheapest_core(form: CanonicalForm, pricing: Pricing, k: int,
                  incumbent: np.ndarray) -> np.ndarray:
    """The columns of a core chosen column by column: each kept row's ``k`` cheapest and the
    incumbent's, and each auxiliary column whose placement columns (those its rows force it
    with) are all among them. For :func:`core_of` with a negative threshold."""
    x_in = cheapest_per_row(form, pricing, k)[: form.n_x] | (incumbent[: form.n_x] > 0.5)
    out = np.zeros(form.n_cols, dtype=bool)
    out[: form.n_x] = x_in
    if form.n_cols > form.n_x:
        out[form.n_x:] = aux_penalties(form, (~x_in).astype(float)) == 0.0
        out[form.n_x:] |= incumbent[form.n_x:] > 0.5
    return out
