"""HiGHS through highspy: the default backend. The model is passed as arrays in one call."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.errors import SolverError
from placement.model.sense import Sense
from placement.solvers.base import (
    MIN_SOLVER_SECONDS,
    Capabilities,
    RawSolution,
    SolveOptions,
    Status,
    out_of_time,
    relative_gap,
    time_left,
)
from placement.solvers.native import native_stdout_silenced
from placement.util import interrupt
from placement.util.highs_pool import size_thread_pool

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = ["HighsBackend", "HighsSession", "write_model"]

_INF = 1e30  # what HiGHS treats as infinite (kHighsInf)


def _highspy() -> Any:
    import highspy

    return highspy


def _clip_inf(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    # Two reductions instead of a full copy when nothing lies beyond HiGHS's infinity (the
    # usual case for column bounds, 10^6 entries at full size); NaN is passed on either way.
    if a.size and (a.max() > _INF or a.min() < -_INF):
        return np.clip(a, -_INF, _INF)
    return np.ascontiguousarray(a)


#: HiGHS 1.12's presolve rules 9 (doubleton equation) and 12 (aggregator) do not look at the
#: clock: on 50,000 x 5 with links (700,000 nonzeros, 5,000 ``together`` links, each a doubleton
#: equation per unit) they ran 5 s against a 2 s limit, and 9.6 s against 8 s. A time-limited
#: solve of a form this large goes without them (the bit mask of ``presolve_rule_off``); with
#: them off the same solves stopped at 2.3 s and 8.9 s. Solves with no time limit keep them.
UNTIMED_RULES = (1 << 9) | (1 << 12)
UNTIMED_RULES_NNZ = 100_000
#: Larger still, other presolve steps overrun as well (50,000 x 5, 500,000 nonzeros: 87.5 s
#: against a 20 s limit; with 5,000 links, 95 s against 28 s), so a time-limited solve of a
#: form this large goes without presolve: the same solves stopped at 20.1 s, and at 32.3 s with
#: a placement within 0.004% of the LP bound where presolve had found none.
PRESOLVE_OFF_NNZ = 400_000


def _yield_to_ctrl_c(h: Any) -> None:
    """HiGHS holds Python's interpreter lock for the whole of ``run()``: a callback on its
    interrupt checks (simplex, interior point, branch and bound) hands the lock over now and
    then, so that the main thread can act on Ctrl-C (placement.util.interrupt)."""

    def let_main_thread_run(event: Any) -> None:
        return None

    h.cbSimplexInterrupt += let_main_thread_run
    h.cbIpmInterrupt += let_main_thread_run
    h.cbMipInterrupt += let_main_thread_run


def _load(form: CanonicalForm, options: SolveOptions) -> Any:
    hp = _highspy()
    size_thread_pool(int(options.threads or 0))
    h = hp.Highs()
    h.setOptionValue("output_flag", bool(options.log))
    h.setOptionValue("log_to_console", bool(options.log))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    h.setOptionValue("random_seed", int(options.seed))
    h.setOptionValue("mip_rel_gap", float(options.rel_gap))
    if options.rel_gap == 0.0:
        # Proven optimality: also drop the default absolute gap (1e-6) to zero.
        h.setOptionValue("mip_abs_gap", 0.0)
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
        if form.nnz >= PRESOLVE_OFF_NNZ:
            h.setOptionValue("presolve", "off")
        elif form.nnz >= UNTIMED_RULES_NNZ:
            h.setOptionValue("presolve_rule_off", UNTIMED_RULES)
    if interrupt.active():
        _yield_to_ctrl_c(h)
    indptr, indices, data = form.csr()  # without building scipy's matrix
    sense = hp.ObjSense.kMaximize if form.sense is Sense.MAX else hp.ObjSense.kMinimize
    integrality = np.asarray(form.integrality, dtype=bool).astype(np.int32)  # 1 = integer
    status = h.passModel(
        int(form.n_cols),
        int(form.n_rows),
        int(form.nnz),
        2,  # MatrixFormat.kRowwise: CSR as built
        int(sense.value) if hasattr(sense, "value") else int(sense),
        float(form.offset),
        np.ascontiguousarray(form.c, dtype=np.float64),
        _clip_inf(form.col_lower),
        _clip_inf(form.col_upper),
        _clip_inf(form.row_lower),
        _clip_inf(form.row_upper),
        np.ascontiguousarray(indptr, dtype=np.int32),
        np.ascontiguousarray(indices, dtype=np.int32),
        np.ascontiguousarray(data, dtype=np.float64),
        integrality,
    )
    if status == hp.HighsStatus.kError:
        raise SolverError("HiGHS refused the model: a coefficient or bound is too large for it "
                          "(HiGHS takes matrix values up to 1e15 and treats 1e20 as infinite); "
                          "rescale the costs, budgets or values, or use another solver")
    return h


def _result(h: Any, form: CanonicalForm, options: SolveOptions, seconds: float) -> RawSolution:
    hp = _highspy()
    ms = h.getModelStatus()
    info = h.getInfo()
    MS = hp.HighsModelStatus
    has_x = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    x = np.array(h.getSolution().col_value, dtype=float) if has_x else None
    is_mip = bool(form.integrality.any())
    bound: float | None
    if is_mip:
        bound = float(info.mip_dual_bound)
        if not math.isfinite(bound) or abs(bound) >= _INF:
            bound = None
    else:
        bound = float(info.objective_function_value) if has_x else None
    nodes = int(info.mip_node_count) if is_mip else 0
    objective = form.objective_of(x) if x is not None else None
    gap = relative_gap(objective, bound)

    if ms == MS.kOptimal:
        status = Status.OPTIMAL
    elif ms in (MS.kInfeasible,):
        status = Status.INFEASIBLE
    elif ms == MS.kUnboundedOrInfeasible:
        # For a bounded 0-1 model unboundedness is impossible: HiGHS says this when presolve
        # proves there is no feasible point.
        status = Status.INFEASIBLE
    elif ms == MS.kTimeLimit:
        status = Status.TIME_LIMIT
    elif ms in (MS.kInterrupt, MS.kIterationLimit, MS.kSolutionLimit, MS.kObjectiveBound,
                MS.kObjectiveTarget):
        status = Status.FEASIBLE if x is not None else Status.ERROR
    else:
        status = Status.ERROR
    if status is Status.INFEASIBLE:
        x, objective, gap = None, None, None
    return RawSolution(
        status=status,
        x=x,
        objective=objective,
        bound=bound,
        gap=gap,
        nodes=nodes,
        seconds=seconds,
        message=h.modelStatusToString(ms),
        solver_version=h.version(),
    )


class HighsSession:
    """A HiGHS model kept loaded between solves; only what changed is passed again."""

    def __init__(self, form: CanonicalForm, options: SolveOptions) -> None:
        self.form = form
        self.options = options
        self._h = _load(form, options)
        self._all = np.arange(form.n_cols, dtype=np.int32)
        self._start: Any = None  # a highspy.HighsSolution offered to every solve, or None

    def set_start(self, x: np.ndarray | None) -> None:
        """Offer ``x`` (every column) as the starting incumbent of each following solve, or
        stop offering one (``None``). HiGHS checks it and ignores it when it is infeasible; a
        start changes how fast optimality is proved, not the optimum (sensitivity sweeps whose
        draws share the constraints start each from the same known placement)."""
        if x is None:
            self._start = None
            return
        sol = _highspy().HighsSolution()
        sol.col_value = np.asarray(x, dtype=np.float64).tolist()
        sol.value_valid = True
        self._start = sol

    def set_option(self, name: str, value: bool | int | float | str) -> None:
        """Set a HiGHS option for the following solves (e.g. a heuristic that costs more
        than it saves on thousands of small re-solves)."""
        self._h.setOptionValue(name, value)

    def subscribe(self, event: str, callback: Callable[[Any], None]) -> None:
        """Call ``callback`` on a HiGHS callback event of the following solves, by highspy's
        name (``cbMipUserSolution``, ``cbMipImprovingSolution``...): the portfolio exchanges
        placements with HiGHS through them without stopping its search."""
        getattr(self._h, event).subscribe(callback)

    def set_objective(self, c: np.ndarray) -> None:
        c = np.ascontiguousarray(c, dtype=np.float64)
        self._h.changeColsCost(int(c.shape[0]), self._all[: c.shape[0]], c)
        self.form = self.form.with_objective(c)

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        cols = np.ascontiguousarray(cols, dtype=np.int32)
        lo = np.broadcast_to(np.asarray(lower, dtype=np.float64), cols.shape).copy()
        up = np.broadcast_to(np.asarray(upper, dtype=np.float64), cols.shape).copy()
        self._h.changeColsBounds(int(cols.shape[0]), cols, lo, up)
        new_lo, new_up = self.form.col_lower.copy(), self.form.col_upper.copy()
        new_lo[cols], new_up[cols] = lo, up
        self.form = self.form.with_col_bounds(new_lo, new_up)

    def solve(self) -> RawSolution:
        # Start each re-solve from scratch so one solve's incumbent cannot leak into the next
        # (a changed objective makes it meaningless, changed bounds can make it infeasible).
        self._h.clearSolver()
        if self._start is not None:
            self._h.setSolution(self._start)
        t0 = time.perf_counter()
        if self.options.log:
            self._h.run()
        else:  # HiGHS prints stray debug lines to the C stdout whatever output_flag says
            with native_stdout_silenced():
                self._h.run()
        return _result(self._h, self.form, self.options, time.perf_counter() - t0)


class HighsBackend:
    """HiGHS mixed-integer solver (the default)."""

    name = "highs"
    label = "HiGHS (highspy)"
    requires = ("highspy",)
    capabilities = Capabilities(incremental=True)

    def version(self) -> str:
        h = _highspy().Highs()
        return str(h.version())

    def solve(self, form: CanonicalForm, options: SolveOptions,
              start: np.ndarray | None = None) -> RawSolution:
        t0 = time.perf_counter()
        session = self.open(form, options)
        left = time_left(options, t0)
        if left is not None:
            if left < MIN_SOLVER_SECONDS:
                return out_of_time(time.perf_counter() - t0, session._h.version())
            session.set_option("time_limit", float(left))
        session.set_start(start)
        return session.solve()

    def open(self, form: CanonicalForm, options: SolveOptions) -> HighsSession:
        return HighsSession(form, options)


def write_model(form: CanonicalForm, path: str) -> None:
    """Write ``form`` as MPS or LP (by file extension) through HiGHS."""
    h = _load(form, SolveOptions())
    h.writeModel(str(path))
