"""SCIP through OR-Tools model_builder: the CSR matrix is passed in one call.

Options reach SCIP as a parameter file (``limits/gap = 0`` ...) through
``set_solver_specific_parameters``; an unknown name makes the solve fail with
``INVALID_SOLVER_PARAMETERS`` rather than be ignored, so every option used here is known to be
honoured. Two things this interface cannot do:

* threads: the SCIP that OR-Tools ships solves on one thread (its concurrent mode is not
  available through model_builder), so ``threads`` is accepted and ignored
  (``Capabilities.threads`` is False);
* nodes: model_builder reports no node count (``Capabilities.reports_nodes`` is False).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.errors import SolverError
from placement.model.sense import Sense
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
from placement.util import interrupt

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = ["ScipBackend", "scip_parameters"]


def _helpers() -> Any:
    from ortools.linear_solver.python import model_builder_helper

    return model_builder_helper


def scip_parameters(options: SolveOptions) -> str:
    """The SCIP parameter file text for ``options`` (the time limit is set separately).

    Examples
    --------
    >>> print(scip_parameters(SolveOptions(seed=3)))
    limits/gap = 0.0
    limits/absgap = 0
    randomization/randomseedshift = 3
    """
    lines = [f"limits/gap = {options.rel_gap!r}"]
    if options.rel_gap == 0.0:
        lines.append("limits/absgap = 0")
    # SCIP's seed shift must lie in 0..INT_MAX
    lines.append(f"randomization/randomseedshift = {abs(int(options.seed)) % 2_147_483_647}")
    if interrupt.active():  # Ctrl-C is the CLI's to handle: SCIP would stop and say time limit
        lines.append("misc/catchctrlc = FALSE")
    return "\n".join(lines)


def _model(form: CanonicalForm) -> Any:
    mbh = _helpers()
    h = mbh.ModelBuilderHelper()
    h.fill_model_from_sparse_data(
        np.ascontiguousarray(form.col_lower, dtype=np.float64),
        np.ascontiguousarray(form.col_upper, dtype=np.float64),
        np.ascontiguousarray(form.c, dtype=np.float64),
        np.ascontiguousarray(form.row_lower, dtype=np.float64),
        np.ascontiguousarray(form.row_upper, dtype=np.float64),
        form.A.tocsr().astype(np.float64),
    )
    # model_builder has no vectorised integrality setter (and fill_model_from_sparse_data
    # takes none): one call per integer column is unavoidable, about 0.3 s per million.
    set_integer = h.set_var_integrality
    for j in np.flatnonzero(form.integrality).tolist():
        set_integer(j, True)
    h.set_maximize(form.sense is Sense.MAX)
    h.set_objective_offset(float(form.offset))
    return h


class ScipBackend:
    """SCIP, through OR-Tools' model_builder."""

    name: str = "scip"
    label: str = "SCIP (OR-Tools)"
    requires: tuple[str, ...] = ("ortools",)
    capabilities: Capabilities = Capabilities(threads=False, reports_nodes=False, incremental=False)

    def version(self) -> str:
        from importlib.metadata import version

        return f"SCIP (OR-Tools {version('ortools')})"

    def open(self, form: CanonicalForm, options: SolveOptions) -> RebuildSession:
        return RebuildSession(self, form, options)

    def solve(self, form: CanonicalForm, options: SolveOptions,
              start: np.ndarray | None = None) -> RawSolution:
        mbh = _helpers()
        t0 = time.perf_counter()
        model = _model(form)
        if start is not None:  # SCIP takes the hint as a start solution
            add_hint = model.add_hint
            for j, v in enumerate(np.round(start).tolist()):  # one call per column, as above
                add_hint(j, v)
        build_seconds = time.perf_counter() - t0
        left = time_left(options, t0)
        if left is not None and left < MIN_SOLVER_SECONDS:
            return out_of_time(build_seconds, self.version())
        solver = mbh.ModelSolverHelper("scip")
        if not solver.solver_is_supported():
            raise SolverError("this OR-Tools build has no SCIP; use highs, cbc or cp-sat")
        if left is not None:
            solver.set_time_limit_in_seconds(float(left))
        solver.set_solver_specific_parameters(scip_parameters(options))
        solver.enable_output(bool(options.log))
        t1 = time.perf_counter()
        solver.solve(model)
        seconds = time.perf_counter() - t1
        raw = _result(form, options, solver, seconds)
        raw.solver_version = self.version()
        raw.extra["build_seconds"] = build_seconds
        return raw


def _result(
    form: CanonicalForm, options: SolveOptions, solver: Any, seconds: float
) -> RawSolution:
    SS = _helpers().SolveStatus
    code = solver.status()
    has_x = bool(solver.has_solution())
    x = np.array(solver.variable_values(), dtype=float) if has_x else None
    if code == SS.OPTIMAL:
        status = Status.OPTIMAL
    elif code == SS.FEASIBLE:
        # No other limit is set, so an unproven incumbent means the clock ran out.
        status = Status.TIME_LIMIT if options.time_limit is not None else Status.FEASIBLE
    elif code == SS.INFEASIBLE:
        status = Status.INFEASIBLE
    elif code == SS.NOT_SOLVED and options.time_limit is not None:
        status = Status.TIME_LIMIT  # stopped before finding any solution
    else:
        status = Status.ERROR
    if status in (Status.INFEASIBLE, Status.ERROR):
        x = None
    bound: float | None = None
    if x is not None:
        b = float(solver.best_objective_bound())
        bound = b if math.isfinite(b) else None
    objective = form.objective_of(x) if x is not None else None
    name = getattr(code, "name", str(code))
    detail = solver.status_string()
    return RawSolution(
        status=status,
        x=x,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        nodes=None,
        seconds=seconds,
        message=f"{name}: {detail}" if detail else name,
    )
