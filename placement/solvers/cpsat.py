"""CP-SAT (OR-Tools) backend: the canonical form scaled to integers and written into the proto.

CP-SAT accepts integer variables and integer coefficients only. Each constraint row, and the
objective, is multiplied by its own power of ten ``10**k`` (``k`` in ``0.._MAX_DIGITS``), the
smallest that makes every coefficient integral (up to floating-point noise), with ``k`` capped
so that the largest possible activity stays below ``_MAGNITUDE_LIMIT`` (2**53: exact in a
double, far inside CP-SAT's 64-bit arithmetic). Where no such ``k`` exists the coefficients are
rounded and the loss is accounted for:

* objective: the returned objective is always recomputed with the true coefficients; the
  error of the scaled objective on the returned solution is ``RawSolution.precision_loss``
  (0.0 when scaling was exact), its worst case over all solutions is
  ``extra["objective_error_bound"]``, and the bound is widened by that worst case, so it stays
  a valid bound for the true objective;
* inequality rows: the bound is tightened by the row's worst-case rounding error, so every
  solution CP-SAT returns satisfies the true row ("tightened rows");
* equality rows (or rows whose tightened range would be empty): coefficients and bound are
  rounded to nearest ("approximate rows"); a solution may then miss the true row by up to the
  row's worst-case error, which the independent checker will report.

Optimality and the bound then refer to a slightly different model, so when any row is
tightened or approximate (or an infinite column bound had to be replaced by ``±_DOMAIN_CLIP``)
an ``optimal`` answer is reported as ``feasible`` with no bound.
The model is written straight into CP-SAT's proto (no Python object per variable): runs of
columns with equal bounds are appended as copies of one template variable.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.errors import SolverError
from placement.solvers.base import (
    Capabilities,
    RawSolution,
    RebuildSession,
    SolveOptions,
    Status,
    relative_gap,
)

if TYPE_CHECKING:
    import scipy.sparse as sp

    from placement.milp import CanonicalForm

__all__ = ["CpSatBackend", "ScaledModel", "scale_form"]

_MAX_DIGITS = 9
_MAGNITUDE_LIMIT = 2.0**53
#: What counts as floating-point noise around a scaled number v: _ABS_TOL + _REL_TOL * |v|
#: (0.1 * 10 is 1.0000000000000002; a genuinely rounded coefficient is off by far more).
_ABS_TOL = 1e-9
_REL_TOL = 1e-12
#: Finite stand-in for an infinite bound on an integer column (CP-SAT domains are finite).
_DOMAIN_CLIP = 10**9
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def _cp_model() -> Any:
    from ortools.sat.python import cp_model

    return cp_model


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
    lo = np.clip(lo, -_DOMAIN_CLIP, _DOMAIN_CLIP)
    up = np.clip(up, -_DOMAIN_CLIP, _DOMAIN_CLIP)
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


def _add_variables(proto: Any, lo: np.ndarray, up: np.ndarray) -> None:
    from ortools.sat.python import cp_model_helper as cmh

    n = lo.shape[0]
    if n == 0:
        return
    # Copies of a template variable per run of equal bounds: one C++ call per run, not per
    # column (most columns are 0-1 with the same domain).
    change = np.nonzero((lo[1:] != lo[:-1]) | (up[1:] != up[:-1]))[0] + 1
    starts = np.concatenate([[0], change]).tolist()
    stops = [*starts[1:], n]
    templates: dict[tuple[int, int], Any] = {}
    variables = proto.variables
    for a, b, s, e in zip(lo[starts].tolist(), up[starts].tolist(), starts, stops, strict=True):
        tpl = templates.get((a, b))
        if tpl is None:
            tpl = cmh.IntegerVariableProto()
            tpl.domain.extend((a, b))
            templates[(a, b)] = tpl
        variables.extend([tpl] * (e - s))


def _exactly_one_rows(s: ScaledModel) -> np.ndarray:
    """Kept rows reading ``sum x = 1`` over 0-1 columns with unit coefficients."""
    n = s.rows.shape[0]
    counts = np.diff(s.indptr)
    row_of = np.repeat(np.arange(n), counts)
    boolean = (s.col_lower[s.indices] >= 0) & (s.col_upper[s.indices] <= 1)
    bad = ~boolean | (s.coeffs != 1)
    return (
        (counts > 0)
        & (s.row_lower == 1)
        & (s.row_upper == 1)
        & (np.bincount(row_of[bad], minlength=n) == 0)
    )


def _build(form: CanonicalForm, s: ScaledModel) -> Any:
    cp = _cp_model()
    model = cp.CpModel()
    proto = model.proto
    _add_variables(proto, s.col_lower, s.col_upper)
    # One row at a time is the finest grain the proto API offers; each row takes whole
    # Python lists. "Exactly one of these 0-1 columns" rows (every function's assignment row)
    # go in as CP-SAT's exactly_one, which needs one call instead of three.
    constraints = proto.constraints
    indices = s.indices.tolist()
    coeffs = s.coeffs.tolist()
    indptr = s.indptr.tolist()
    exactly_one = _exactly_one_rows(s).tolist()
    for a, b, lo, up, one in zip(
        indptr[:-1], indptr[1:], s.row_lower.tolist(), s.row_upper.tolist(), exactly_one,
        strict=True,
    ):
        if one:
            constraints.add().exactly_one.literals.extend(indices[a:b])
            continue
        lin = constraints.add().linear
        lin.vars.extend(indices[a:b])
        lin.coeffs.extend(coeffs[a:b])
        lin.domain.extend((lo, up))
    nz = np.nonzero(s.obj)[0]
    objective = proto.objective
    objective.vars.extend(nz.tolist())
    # CP-SAT minimises; a maximisation is stored negated with scaling factor -1 so that the
    # reported objective and bound are in the form's sense (and include the offset).
    sign = -int(form.sense.sign)
    objective.coeffs.extend((sign * s.obj[nz]).tolist())
    objective.offset = sign * form.offset * s.obj_scale
    objective.scaling_factor = float(sign)
    return model


def _parameters(solver: Any, options: SolveOptions) -> None:
    p = solver.parameters
    if options.time_limit is not None:
        p.max_time_in_seconds = float(options.time_limit)
    if options.threads is not None:
        p.num_workers = int(options.threads)
    p.random_seed = int(options.seed) % 2**31  # CP-SAT's seed is a non-negative int32
    p.relative_gap_limit = float(options.rel_gap)
    p.log_search_progress = bool(options.log)
    p.log_to_stdout = bool(options.log)


class CpSatBackend:
    """OR-Tools CP-SAT: integer variables and (scaled) integer coefficients only."""

    name: str = "cp-sat"
    label: str = "CP-SAT (OR-Tools)"
    requires: tuple[str, ...] = ("ortools",)
    capabilities: Capabilities = Capabilities(
        continuous_variables=False, integer_coefficients_only=True, incremental=False
    )

    def version(self) -> str:
        from importlib.metadata import version

        return f"OR-Tools {version('ortools')}"

    def open(self, form: CanonicalForm, options: SolveOptions) -> RebuildSession:
        return RebuildSession(self, form, options)

    def solve(self, form: CanonicalForm, options: SolveOptions) -> RawSolution:
        t0 = time.perf_counter()
        scaled = scale_form(form)
        empty = _empty_domains(form, scaled)
        if empty:
            # CP-SAT calls an empty domain an invalid model; for us it proves infeasibility
            return RawSolution(status=Status.INFEASIBLE, message=empty,
                               solver_version=self.version())
        model = _build(form, scaled)
        build_seconds = time.perf_counter() - t0
        cp = _cp_model()
        solver = cp.CpSolver()
        _parameters(solver, options)
        t1 = time.perf_counter()
        code = solver.solve(model)
        seconds = time.perf_counter() - t1
        raw = _result(form, scaled, options, solver, code, model, seconds)
        raw.solver_version = self.version()
        raw.extra["build_seconds"] = build_seconds
        return raw


def _empty_domains(form: CanonicalForm, s: ScaledModel) -> str:
    """Why no integer point exists, when a column or row admits no integer value ("" if ok)."""
    cols = np.flatnonzero(s.col_lower > s.col_upper)
    if cols.size:
        return (f"{cols.size} column(s) have no integer value within their bounds, "
                f"e.g. {form.col_label(int(cols[0]))}")
    rows = np.flatnonzero(s.row_lower > s.row_upper)
    if rows.size:
        return (f"{rows.size} row(s) admit no integer activity within their bounds, "
                f"e.g. {form.row_label(int(s.rows[rows[0]]))}")
    return ""


def _result(
    form: CanonicalForm,
    s: ScaledModel,
    options: SolveOptions,
    solver: Any,
    code: Any,
    model: Any,
    seconds: float,
) -> RawSolution:
    cp = _cp_model()
    extra: dict[str, object] = {
        "objective_scale": s.obj_scale,
        "objective_exact": s.obj_exact,
        "objective_error_bound": s.obj_error_bound,
        "rows_tightened": s.n_tightened,
        "rows_approximate": s.n_approximate,
        "max_row_digits": int(s.row_digits.max(initial=0)),
        "columns_clipped": s.clipped_columns,
    }
    message = solver.status_name(code)
    x: np.ndarray | None = None
    if code in (cp.OPTIMAL, cp.FEASIBLE):
        x = np.asarray(solver.response_proto.solution, dtype=float)
    if code == cp.OPTIMAL:
        status = Status.OPTIMAL
    elif code == cp.FEASIBLE:
        # No other limit is set, so an unproven incumbent means the clock ran out.
        status = Status.TIME_LIMIT if options.time_limit is not None else Status.FEASIBLE
    elif code == cp.INFEASIBLE:
        status = Status.INFEASIBLE
    elif code == cp.UNKNOWN and options.time_limit is not None:
        status = Status.TIME_LIMIT
    elif code == cp.MODEL_INVALID:
        status = Status.ERROR
        message = f"CP-SAT rejected the model: {model.validate()}"
    else:
        status = Status.ERROR
    bound: float | None = None
    if x is not None:  # without a solution CP-SAT's bound field may be a placeholder
        b = float(solver.best_objective_bound)
        if math.isfinite(b):
            widen = s.obj_error_bound
            bound = b / s.obj_scale + form.sense.sign * widen
    objective: float | None = None
    precision_loss: float | None = None
    if x is not None:
        objective = form.objective_of(x)
        precision_loss = abs(float(s.obj @ x) / s.obj_scale + form.offset - objective)
    if not s.rows_exact or s.clipped_columns:
        note = (
            f"{s.n_tightened} row(s) tightened, {s.n_approximate} rounded and "
            f"{s.clipped_columns} infinite column bound(s) replaced by ±{_DOMAIN_CLIP} to fit "
            f"CP-SAT's integers; optimality and bound refer to that model"
        )
        message = f"{message}; {note}"
        bound = None
        if status is Status.OPTIMAL:
            status = Status.FEASIBLE
    return RawSolution(
        status=status,
        x=x,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        nodes=int(solver.num_branches),
        seconds=seconds,
        message=message,
        precision_loss=precision_loss,
        extra=extra,
    )
