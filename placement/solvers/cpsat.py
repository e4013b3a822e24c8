"""CP-SAT (OR-Tools) backend: the canonical form, scaled to integers, written into the proto.

The scaling and its error accounting live in ``placement.solvers.cpsat_scaling``. Here:

* objective: the returned objective is always recomputed with the true coefficients; the
  error of the scaled objective on the returned solution is ``RawSolution.precision_loss``
  (0.0 when scaling was exact), its worst case over all solutions is
  ``extra["objective_error_bound"]``, and the bound is widened by that worst case, so it stays
  a valid bound for the true objective;
* optimality and the bound then refer to a slightly different model, so when any row is
  tightened or approximate (or an infinite column bound had to be replaced by
  ``±DOMAIN_CLIP``) an ``optimal`` answer is reported as ``feasible`` with no bound.

The model is written straight into CP-SAT's proto (no Python object per variable): runs of
columns with equal bounds are appended as copies of one template variable.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from importlib import metadata
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.solvers.base import (
    MIN_SOLVER_SECONDS,
    Capabilities,
    RawSolution,
    RebuildSession,
    SolveOptions,
    Status,
    out_of_time,
    relative_gap,
    time_left,
)
from placement.solvers.cpsat_scaling import DOMAIN_CLIP, ScaledModel, scale_form
from placement.util import interrupt

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = ["CpSatBackend"]


def _cp_model() -> Any:
    # OR-Tools is imported on first solve, never at module load: `placement --help` and
    # `placement solvers` must not pay for (or require) the native library.
    from ortools.sat.python import cp_model

    return cp_model


def _add_variables(proto: Any, lo: np.ndarray, up: np.ndarray) -> None:
    from ortools.sat.python import cp_model_helper as cmh  # lazy, as in _cp_model

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
    if interrupt.active():  # in a worker thread CP-SAT's own SIGINT handler aborts the process
        p.catch_sigint_signal = False


class CpSatBackend:
    """OR-Tools CP-SAT: integer variables and (scaled) integer coefficients only."""

    name: str = "cp-sat"
    label: str = "CP-SAT (OR-Tools)"
    requires: tuple[str, ...] = ("ortools",)
    capabilities: Capabilities = Capabilities(
        continuous_variables=False, integer_coefficients_only=True, incremental=False
    )

    def version(self) -> str:
        return f"OR-Tools {metadata.version('ortools')}"

    def open(self, form: CanonicalForm, options: SolveOptions) -> RebuildSession:
        return RebuildSession(self, form, options)

    def solve(self, form: CanonicalForm, options: SolveOptions,
              start: np.ndarray | None = None,
              parameters: Mapping[str, object] | None = None,
              on_solver: Callable[[Any], None] | None = None) -> RawSolution:
        """Solve ``form``; ``parameters`` are further CP-SAT parameters by name (the
        portfolio's ``max_deterministic_time`` and ``interleave_search``); ``on_solver``
        is handed the ``CpSolver`` before it starts (the portfolio stops it with
        ``stop_search`` once HiGHS has finished)."""
        t0 = time.perf_counter()
        scaled = scale_form(form)
        empty = _empty_domains(form, scaled)
        if empty:
            # CP-SAT calls an empty domain an invalid model; for us it proves infeasibility
            return RawSolution(status=Status.INFEASIBLE, message=empty,
                               solver_version=self.version())
        model = _build(form, scaled)
        if start is not None:  # a hint: CP-SAT tries it first and completes what it can
            hint = model.proto.solution_hint
            hint.vars.extend(range(form.n_cols))
            hint.values.extend(np.round(start).astype(np.int64).tolist())
        build_seconds = time.perf_counter() - t0
        left = time_left(options, t0)
        if left is not None and left < MIN_SOLVER_SECONDS:
            return out_of_time(build_seconds, self.version())
        cp = _cp_model()
        solver = cp.CpSolver()
        _parameters(solver, options if left is None else replace(options, time_limit=left))
        for key, value in (parameters or {}).items():
            setattr(solver.parameters, key, value)
        if on_solver is not None:
            on_solver(solver)
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
            f"{s.clipped_columns} infinite column bound(s) replaced by ±{DOMAIN_CLIP} to fit "
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
