"""The parametric search behind :func:`placement.analysis.frontier.frontier`: the budget of one
resource walked down from the top, one step of the frontier at a time.

:class:`BudgetSearch` is the model built once with two extra rows, the budget row of the
resource and a value floor (the signed objective); each query only sets their bounds and the
objective. :func:`descend` walks the budget down with it.

Method (successive re-solves going down, exact)
-----------------------------------------------
Starting from ``B = upper`` (default: no budget at all), the search asks one question again
and again: the best placement with ``u <= B`` (value ``V``, use ``u``), then ``B = u - eps``,
the largest budget strictly below ``u``.

* When the answer is as good as the step above (a tie in value), that step reaches further
  down: its breakpoint becomes the new, smaller use. When it is worse, the step above is
  final: its breakpoint ``U`` is the least use of any placement of its value, since nothing
  of that value fits strictly below ``U``. (This replaces a second solve per step, "the least
  use with ``z >= V``", with the next step's own question.)
* Once final, a step's placement is the one, among those with ``z >= V`` and ``u <= U``,
  moving the fewest functions from the step above (the first step: from the optimum
  ``placement solve`` reports), so that "what changes at this breakpoint" lists only what
  must change. That takes a solve only when the placement found differs from the step above
  in more than one function.
* Every query gets a start: a value query the best placement one move from the last one
  that fits the new budget (:meth:`BudgetSearch.start_below`), a fewest-moves query the
  placement it settles. The solver checks a start; it only prunes sooner.

It ends when no placement fits (``U`` was the least budget any placement needs) or when
``U`` is at or below ``lower``.

``eps`` is ``1e-7`` relative to ``U``, raised tenfold (up to ``1e-3``) when the solver's
feasibility tolerance lets a placement with use ``U`` through; values within ``1e-9``
relative (:func:`placement.analysis.common.tolerance`) count as ties. HiGHS runs with
feasibility tolerances of ``1e-9`` here (:data:`placement.analysis.common.EXACT_HIGHS`).
"""

from __future__ import annotations

import dataclasses
import math
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from placement.analysis.common import budget_use, moves_between, open_session, tolerance
from placement.analysis.frontier_result import FrontierStep
from placement.analysis.frontier_table import ParetoTable
from placement.errors import AnalysisError
from placement.milp import build
from placement.model import Instance
from placement.solution.checker import objective_of, placement_values
from placement.solvers.base import SolveOptions, Status

if TYPE_CHECKING:
    from placement.milp import CanonicalForm
    from placement.solvers.base import RawSolution

__all__ = ["BudgetSearch", "Descent", "descend"]

_EPS0 = 1e-7  # relative step below a breakpoint
_EPS_MAX = 1e-3  # the most the step below a breakpoint may grow to (relative)


class BudgetSearch:
    """The model with two extra rows, ``use(x) <= budget`` and ``signed objective(x) >=
    floor``: every query sets their bounds and an objective, then solves."""

    def __init__(self, inst: Instance, r: int, solver: str, time_limit: float | None) -> None:
        self.inst = inst
        self.sign = inst.sense.sign
        self.solver = solver
        self.options = SolveOptions(time_limit=time_limit)
        res = inst.resources[r]
        # the budget of r becomes the first extra row; its caps stay rows of the model
        others = tuple(dataclasses.replace(x, budget=None) if i == r else x
                       for i, x in enumerate(inst.resources))
        base = build(inst.replace(resources=others))
        self.coef = budget_use(inst, r)  # (F, T)
        n, nx = base.n_cols, base.n_x
        self.offset = float(base.offset)
        rows = np.zeros((2, n))
        rows[0, :nx] = self.coef.ravel()
        rows[1] = self.sign * base.c
        # Free rows until a query bounds them (presolve drops a free row). Row bounds, not
        # bounded auxiliary columns: HiGHS solves this form about three times faster.
        form = base.with_rows(rows, -np.inf, np.inf, "frontier",
                         [f"budget[{res.id}]", "objective_floor"],
                         "the frontier's budget and value floor")
        self.obj_value = self.sign * base.c
        self.obj_use = np.zeros(n)
        self.obj_use[:nx] = -self.coef.ravel()
        self.form: CanonicalForm = form.with_objective(self.obj_value, "max")
        self.budget_row, self.floor_row = base.n_rows, base.n_rows + 1
        self.nx = nx
        self.solves = 0
        self._lock = threading.Lock()  # queries come from two threads (see descend)
        self._dense: np.ndarray | None = None  # the form's matrix, for start_below
        self.rows = np.arange(inst.n_functions)
        self._values = None if inst.per_area or inst.links else np.stack(
            [placement_values(inst, np.full(inst.n_functions, t)) for t in range(inst.n_tiers)],
            axis=1)
        self._table = None if inst.per_area or inst.links or n != nx else ParetoTable.build(
            self.obj_value[:nx].reshape(self.coef.shape), self.coef, self.form.allowed_grid())
        self.tabled = 0  # value queries the table answered

    def best_within(self, budget: float, last: np.ndarray | None) -> np.ndarray | None:
        """The value query: the best placement with ``use <= budget`` (None: none fits).
        From the Pareto table (:mod:`placement.analysis.frontier_table`) when its answer
        keeps to every other row of the model, else solved, from the best placement one move
        from ``last`` that fits."""
        if self._table is not None:
            a = self._table.best(budget)
            if a is None:
                return None  # nothing fits the budget even without the other rows
            act = self.form.A @ self._columns(a)
            if np.all((act >= self.form.row_lower - 1e-9) & (act <= self.form.row_upper + 1e-9)):
                with self._lock:
                    self.tabled += 1
                return a
        raw = self.query(self.obj_value, budget, -math.inf,
                         start=None if last is None else self.start_below(last, budget))
        return None if raw.status is Status.INFEASIBLE else self.assignment(raw)

    def query(self, objective: np.ndarray, budget: float, floor: float,
              start: np.ndarray | None = None) -> RawSolution:
        """Solve with ``use <= budget`` and ``signed objective >= floor``, maximising
        ``objective``; ``start``, a placement (tier per function), is offered to the solver
        as its first incumbent (it checks it: a start only changes how fast the optimum is
        proven)."""
        lo = self.form.row_lower.copy()
        up = self.form.row_upper.copy()
        up[self.budget_row] = budget
        lo[self.floor_row] = floor - self.sign * self.offset
        form = dataclasses.replace(self.form, row_lower=lo, row_upper=up,
                                   c=np.asarray(objective, dtype=float))
        with self._lock:
            self.solves += 1
        session = open_session(form, self.solver, self.options, exact=True)
        if start is not None and form.n_cols == self.nx and hasattr(session, "set_start"):
            session.set_start(self._columns(start))
        raw = session.solve()
        if raw.status not in (Status.OPTIMAL, Status.INFEASIBLE):
            raise AnalysisError(f"frontier: a solve ended with status '{raw.status}' "
                                f"({raw.message}); the frontier needs proven optima")
        return raw

    def assignment(self, raw: RawSolution) -> np.ndarray:
        """Tier index per function of a solution the query found."""
        assert raw.x is not None
        return self.form.assignment_of(raw.x)

    def use(self, a: np.ndarray) -> float:
        """What placement ``a`` counts against the budget (running use plus move costs)."""
        return float(self.coef[self.rows, a].sum())

    def value(self, a: np.ndarray) -> float:
        """The objective, recomputed from the instance (values less soft-link penalties);
        without links or areas, from the checker's values of every function at every tier,
        tabulated once (the same sum, term by term)."""
        if self._values is None:
            return objective_of(self.inst, a)
        return float(self._values[self.rows, a].sum())

    def _columns(self, a: np.ndarray) -> np.ndarray:
        x = np.zeros(self.nx)
        x[self.rows * self.inst.n_tiers + a] = 1.0
        return x

    def start_below(self, a: np.ndarray, budget: float) -> np.ndarray | None:
        """The best placement one move from ``a`` that fits every row with ``use <=
        budget`` (whole-array over the F x T moves), or None: the value query's start. A
        frontier step is often one move from the step above, and a good first incumbent
        prunes the search (England's staff frontier: 7.5 s of solves without these starts,
        3.9 s with them; improving moves after the first gained nothing more). Only for forms
        of placement columns alone with at most 10^7 row-move entries."""
        F, T = self.inst.n_functions, self.inst.n_tiers
        form = self.form
        if form.n_cols != self.nx or form.n_rows * F * T > 10**7:
            return None
        if self._dense is None:
            self._dense = form.A.toarray()
        D = self._dense
        old = np.repeat(self.rows * T + a, T)  # each move's column now
        act = D @ self._columns(a)
        after = act[:, None] + D - D[:, old]  # rows x moves
        up = form.row_upper.copy()
        up[self.budget_row] = budget
        tol = 1e-9  # absolute, as HiGHS checks a start here (EXACT_HIGHS)
        fits = np.all((after >= form.row_lower[:, None] - tol) & (after <= up[:, None] + tol),
                      axis=0)
        # not onto a tier the bounds rule out, nor a pinned function off its pin
        fits &= (form.col_upper[: self.nx] >= 0.5) & (form.col_lower[old] < 0.5)
        fits[old] = False
        gain = np.where(fits, self.obj_value[: self.nx] - self.obj_value[old], -np.inf)
        j = int(np.argmax(gain))
        if not fits[j]:
            return None
        out = a.copy()
        out[j // T] = j % T
        return out

    def closest(self, prev: np.ndarray) -> np.ndarray:
        """The objective counting functions kept at their tier in ``prev``."""
        c = np.zeros(self.form.n_cols)
        c[: self.nx] = self._columns(prev)
        return c

    def settle(self, a: np.ndarray, prev: np.ndarray | None) -> np.ndarray:
        """The placement a step reports, from ``a``, the least-use placement of its value:
        among the placements as good as ``a`` with no more use, the fewest moves from ``prev``
        (the step above). No solve when ``a`` differs from ``prev`` in one function at most
        (a step's value differs from the one above, so one move is the fewest); a solve whose
        placement does not recompute as good leaves ``a``."""
        if prev is None or int(np.count_nonzero(a != prev)) <= 1:
            return a
        sign = self.sign
        v = sign * self.value(a)
        use = self.use(a)
        raw = self.query(self.closest(prev), use, v - tolerance(v), start=a)
        if raw.status is Status.OPTIMAL:
            a3 = self.assignment(raw)
            if (sign * self.value(a3) >= v - 2 * tolerance(v)
                    and self.use(a3) <= use + 1e-12 * max(1.0, abs(use))):
                return a3
        return a


@dataclass
class Descent:
    """The steps :func:`descend` found, from the largest budget down, and how it ended."""

    steps: list[FrontierStep] = field(default_factory=list)
    eps: float = 0.0  # the largest step below a breakpoint taken, relative to it
    complete_below: bool = False  # no placement fits below the last step
    truncated: bool = False  # stopped at max_steps


def descend(search: BudgetSearch, top: float, bottom: float, max_steps: int,
            start: np.ndarray | None) -> Descent:
    """The frontier's steps from budget ``top`` down to the first breakpoint at or below
    ``bottom`` (or to where placements run out, or ``max_steps``). ``start`` is the placement
    the first step's moves are counted from (``None``: any).

    Two chains of solves: the value queries, each from the last one's placement, and the
    fewest-moves queries that settle each step once its breakpoint is final, each from the
    step above. Neither waits for the other, so the second runs on a thread of its own, in
    order; the steps are the same as one after the other."""
    closer = _Closer(search, start)
    try:
        return _descend(search, top, bottom, max_steps, closer)
    finally:
        closer.finish()


def _descend(search: BudgetSearch, top: float, bottom: float, max_steps: int,
             closer: _Closer) -> Descent:
    out = closer.out
    sign = search.sign
    pending: _Pending | None = None  # the lowest step, its breakpoint not yet final
    budget = top
    last: np.ndarray | None = None  # the last value query's placement
    while True:
        a = search.best_within(budget, last)
        if a is None:
            closer.close(pending)
            out.complete_below = True
            return out
        last = a
        if pending is not None and search.use(a) >= pending.use:
            # the solver's feasibility tolerance let a placement with the breakpoint's own
            # use through: step further below the breakpoint and ask again
            budget = _further_below(out, pending.use, budget)
            continue
        value, use = search.value(a), search.use(a)
        if pending is not None and sign * value >= sign * pending.value - tolerance(value):
            # as good as the step above, for less: that step reaches further down
            pending = _Pending(a, value, use, pending.budget_to)
        else:
            if pending is not None:
                closer.close(pending)
                if closer.closed >= max_steps:  # a step more below: not shown
                    out.truncated = True
                    return out
            # (None: from the step closed last, once it is settled)
            pending = _Pending(a, value, use, top if closer.closed == 0 else None)
        if use <= bottom:
            closer.close(pending)
            return out
        out.eps = max(out.eps, _EPS0)
        budget = use - _EPS0 * max(1.0, abs(use))


class _Closer:
    """Closes steps (:func:`_close`) in order on a thread of its own."""

    def __init__(self, search: BudgetSearch, start: np.ndarray | None) -> None:
        self.search, self.start = search, start
        self.out = Descent()
        self.closed = 0
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frontier-settle")
        self._futures: list[Future[None]] = []

    def close(self, step: _Pending | None) -> None:
        if step is not None:
            self.closed += 1
            self._futures.append(self._pool.submit(_close, self.search, self.out, step,
                                                   self.start))

    def finish(self) -> None:
        """Wait for every step to be closed; the first error any raised is raised here."""
        self._pool.shutdown(wait=True)
        for f in self._futures:
            f.result()


@dataclass
class _Pending:
    """A step found by its value query: the least-use placement of that value so far."""

    assignment: np.ndarray
    value: float
    use: float
    budget_to: float | None  # None: where the step above begins


def _close(search: BudgetSearch, out: Descent, step: _Pending | None,
           start: np.ndarray | None) -> None:
    """Append ``step``, whose breakpoint is now final, with its placement moving the fewest
    functions from the step above (:meth:`BudgetSearch.settle`), and record those moves."""
    if step is None:
        return
    steps = out.steps
    prev = steps[-1].assignment if steps else start
    a = search.settle(step.assignment, prev)
    if steps:
        steps[-1].moves = moves_between(search.inst, a, steps[-1].assignment)
    budget_to = step.budget_to if step.budget_to is not None else steps[-1].budget_from
    steps.append(FrontierStep(search.use(a), budget_to, search.value(a), a))


def _further_below(out: Descent, breakpoint: float, budget: float) -> float:
    """The next budget to ask at when ``budget`` (below ``breakpoint``) still let a placement
    with the breakpoint's use through: ten times as far below; :class:`AnalysisError` once
    that is more than ``1e-3`` relative."""
    eps = (breakpoint - budget) * 10.0
    if eps > _EPS_MAX * max(1.0, abs(breakpoint)):
        raise AnalysisError("frontier: the solver keeps returning placements at the "
                            f"breakpoint {breakpoint:,.9g}; cannot step below it")
    out.eps = max(out.eps, eps / max(1.0, abs(breakpoint)))
    return breakpoint - eps
