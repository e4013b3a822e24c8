"""The canonical form scaled to the integers CP-SAT accepts, with what rounding cost.

CP-SAT accepts integer variables and integer coefficients only. Each constraint row, and the
objective, is multiplied by its own power of ten ``10**k`` (``k`` in ``0.._MAX_DIGITS``), the
smallest that makes every coefficient integral (up to floating-point noise), with ``k`` capped
so that the largest possible activity stays below ``_MAGNITUDE_LIMIT`` (2**53: exact in a
double, far inside CP-SAT's 64-bit arithmetic). Where no such ``k`` exists the coefficients are
rounded and the loss is accounted for:

* objective: the worst case of the scaled objective's error over all solutions is
  ``ScaledModel.obj_error_bound`` (0.0 when scaling was exact); the backend recomputes the
  objective with the true coefficients and widens the bound by that worst case;
* inequality rows: the bound is tightened by the row's worst-case rounding error, so every
  integer point of the scaled row satisfies the true row ("tightened rows");
* equality rows (or rows whose tightened range would be empty): coefficients and bound are
  rounded to nearest ("approximate rows"); a solution may then miss the true row by up to the
  row's worst-case error, which the independent checker will report.

Infinite column bounds are replaced by ``±DOMAIN_CLIP`` (CP-SAT domains are finite).
Pure numpy: nothing here imports OR-Tools, so the scaling can be tested and reasoned about
without the solver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.errors import SolverError

if TYPE_CHECKING:
    import scipy.sparse as sp

    from placement.milp import CanonicalForm

__all__ = ["DOMAIN_CLIP", "ScaledModel", "scale_form"]

_MAX_DIGITS = 9
_MAGNITUDE_LIMIT = 2.0**53
#: What counts as floating-point noise around a scaled number v: _ABS_TOL + _REL_TOL * |v|
#: (0.1 * 10 is 1.0000000000000002; a genuinely rounded coefficient is off by far more).
_ABS_TOL = 1e-9
_REL_TOL = 1e-12
#: Finite stand-in for an infinite bound on an integer column (CP-SAT domains are finite).
DOMAIN_CLIP = 10**9
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


@dataclass
class ScaledModel:
    """The integer model handed to CP-SAT, and what is needed to map results back.

    Row arrays cover the kept rows only (free rows are dropped); ``rows`` gives their indices
    in the canonical form.
    """

    col_lower: np.ndarray  # int64
    col_upper: np.ndarray  # int64
    obj: np.ndarray  # int64, c scaled
    obj_scale: float
    obj_exact: bool
    obj_error_bound: float  # worst-case |c x - obj x / obj_scale| over the column domains
    rows: np.ndarray  # int64, kept rows
    indptr: np.ndarray
    indices: np.ndarray
    coeffs: np.ndarray  # int64
    row_lower: np.ndarray  # int64
    row_upper: np.ndarray  # int64
    row_digits: np.ndarray  # k of 10**k per kept row
    n_tightened: int
    n_approximate: int
    clipped_columns: int

    @property
    def rows_exact(self) -> bool:
        return self.n_tightened == 0 and self.n_approximate == 0


def _noise(v: np.ndarray) -> np.ndarray:
    return _ABS_TOL + _REL_TOL * np.abs(v)


def _integral(v: np.ndarray) -> np.ndarray:
    return np.abs(v - np.rint(v)) <= _noise(v)


def _max_digits(magnitude: np.ndarray) -> np.ndarray:
    """Largest k <= _MAX_DIGITS with magnitude * 10**k <= _MAGNITUDE_LIMIT (-1: none)."""
    with np.errstate(divide="ignore"):
        room = np.floor(np.log10(_MAGNITUDE_LIMIT) - np.log10(magnitude) + 1e-12)
    room = np.where(magnitude > 0, room, _MAX_DIGITS)
    return np.minimum(room, _MAX_DIGITS).astype(np.int64)


def _column_domains(form: CanonicalForm) -> tuple[np.ndarray, np.ndarray, int]:
    lo, up = form.col_lower, form.col_upper
    clipped = int(np.count_nonzero(~np.isfinite(lo)) + np.count_nonzero(~np.isfinite(up)))
    lo = np.clip(lo, -DOMAIN_CLIP, DOMAIN_CLIP)
    up = np.clip(up, -DOMAIN_CLIP, DOMAIN_CLIP)
    lo_i = np.ceil(lo - _noise(lo)).astype(np.int64)
    up_i = np.floor(up + _noise(up)).astype(np.int64)
    return lo_i, up_i, clipped


def _scale_objective(
    c: np.ndarray, offset: float, reach: np.ndarray
) -> tuple[np.ndarray, float, bool, float]:
    magnitude = float(np.abs(c) @ reach + abs(offset))
    kmax = int(_max_digits(np.array([magnitude]))[0])
    if kmax < 0:
        raise SolverError(
            f"the objective is too large for CP-SAT's 64-bit integers (largest possible value "
            f"{magnitude:.3g}); rescale the values, or use another solver"
        )
    k = next((d for d in range(kmax + 1) if _integral(c * 10.0**d).all()), kmax)
    scale = 10.0**k
    scaled = c * scale
    obj = np.rint(scaled).astype(np.int64)
    exact = bool(_integral(scaled).all())
    error = float(np.abs(scaled - obj) @ reach) / scale
    return obj, scale, exact, error


def _scale_rows(
    A: sp.csr_matrix, lower: np.ndarray, upper: np.ndarray, reach: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
    """Per-row power-of-ten scaling; returns (digits, coeffs, lower, upper, kept, n_t, n_a)."""
    n = A.shape[0]
    counts = np.diff(A.indptr)
    row_of = np.repeat(np.arange(n), counts)
    absA = np.abs(A.data)
    activity = np.bincount(row_of, weights=absA * reach[A.indices], minlength=n)
    finite_lo = np.where(np.isfinite(lower), np.abs(lower), 0.0)
    finite_up = np.where(np.isfinite(upper), np.abs(upper), 0.0)
    magnitude = np.maximum(activity, np.maximum(finite_lo, finite_up))
    kmax = _max_digits(magnitude)
    kept = np.isfinite(lower) | np.isfinite(upper)
    too_big = kept & (kmax < 0)
    if too_big.any():
        i = int(np.nonzero(too_big)[0][0])
        raise SolverError(
            f"{int(too_big.sum())} constraint row(s) are too large for CP-SAT's 64-bit integers "
            f"(row {i}: largest possible activity {magnitude[i]:.3g}); rescale the costs, "
            f"or use another solver"
        )
    digits = np.full(n, -1, dtype=np.int64)
    for d in range(_MAX_DIGITS + 1):
        todo = (digits < 0) & (kmax >= d)
        if not todo.any():
            break
        bad = ~_integral(A.data * 10.0**d) & todo[row_of]
        ok = todo & (np.bincount(row_of[bad], minlength=n) == 0)
        digits[ok] = d
    exact = digits >= 0
    digits = np.where(exact, digits, np.maximum(kmax, 0))
    scale = 10.0 ** digits.astype(float)
    scaled = A.data * scale[row_of]
    coeffs = np.rint(scaled).astype(np.int64)
    # worst-case rounding error of each row's activity, in scaled units
    err = np.bincount(row_of, weights=np.abs(scaled - coeffs) * reach[A.indices], minlength=n)
    err = np.where(exact, 0.0, err)

    lo_s, up_s = lower * scale, upper * scale
    with np.errstate(invalid="ignore"):
        tol_lo, tol_up = _noise(lo_s), _noise(up_s)
        lo_t = np.ceil(lo_s + err - tol_lo)
        up_t = np.floor(up_s - err + tol_up)
        # rows that tightening would empty (equalities above all): round to nearest instead
        empty = ~exact & np.isfinite(lo_s) & np.isfinite(up_s) & (lo_t > up_t)
        lo_t = np.where(empty, np.rint(lo_s), lo_t)
        up_t = np.where(empty, np.rint(up_s), up_t)
    row_lower = np.where(np.isfinite(lo_t), lo_t, -np.inf)
    row_upper = np.where(np.isfinite(up_t), up_t, np.inf)
    n_approx = int(np.count_nonzero(empty & kept))
    n_tight = int(np.count_nonzero(~exact & kept)) - n_approx
    lo_i = np.where(np.isfinite(row_lower), row_lower, 0).astype(np.int64)
    up_i = np.where(np.isfinite(row_upper), row_upper, 0).astype(np.int64)
    lo_i[~np.isfinite(row_lower)] = _INT64_MIN
    up_i[~np.isfinite(row_upper)] = _INT64_MAX
    return digits, coeffs, lo_i, up_i, kept, n_tight, n_approx


def _require_integer_columns(form: CanonicalForm) -> None:
    continuous = ~np.asarray(form.integrality, dtype=bool)
    if not continuous.any():
        return
    blocks = [
        f"{b.name} ({int(continuous[b.start:b.stop].sum())})"
        for b in form.col_blocks
        if continuous[b.start:b.stop].any()
    ]
    where = f" in column block(s) {', '.join(blocks)}" if blocks else ""
    raise SolverError(
        f"CP-SAT cannot solve models with continuous variables: {int(continuous.sum())} of "
        f"{form.n_cols} columns are continuous{where}. Use highs, cbc or scip for this model."
    )


def scale_form(form: CanonicalForm) -> ScaledModel:
    """Scale ``form`` to the integer model CP-SAT solves (see the module docstring).

    Raises
    ------
    SolverError
        When the form has continuous columns, or a row or the objective cannot be scaled
        within 64-bit integers.

    Examples
    --------
    >>> import placement
    >>> from placement.milp.formulation import build
    >>> s = scale_form(build(placement.load("instances/tiny-budget")))
    >>> s.obj_scale, s.obj_exact, int(s.row_digits.max())
    (10.0, True, 3)
    """
    _require_integer_columns(form)
    lo, up, clipped = _column_domains(form)
    reach = np.maximum(np.abs(lo), np.abs(up)).astype(float)
    obj, obj_scale, obj_exact, obj_error = _scale_objective(form.c, form.offset, reach)
    A = form.A.tocsr()
    digits, coeffs, row_lo, row_up, kept, n_tight, n_approx = _scale_rows(
        A, form.row_lower, form.row_upper, reach
    )
    rows = np.nonzero(kept)[0]
    if rows.shape[0] == A.shape[0]:
        sub_indptr, sub_indices, sub_coeffs = A.indptr, A.indices, coeffs
    else:
        keep_nnz = np.repeat(kept, np.diff(A.indptr))
        sub_indices, sub_coeffs = A.indices[keep_nnz], coeffs[keep_nnz]
        sub_indptr = np.concatenate([[0], np.cumsum(np.diff(A.indptr)[kept])])
    return ScaledModel(
        col_lower=lo,
        col_upper=up,
        obj=obj,
        obj_scale=obj_scale,
        obj_exact=obj_exact,
        obj_error_bound=obj_error,
        rows=rows,
        indptr=np.asarray(sub_indptr, dtype=np.int64),
        indices=np.asarray(sub_indices, dtype=np.int64),
        coeffs=sub_coeffs,
        row_lower=row_lo[rows],
        row_upper=row_up[rows],
        row_digits=digits[rows],
        n_tightened=n_tight,
        n_approximate=n_approx,
        clipped_columns=clipped,
    )
