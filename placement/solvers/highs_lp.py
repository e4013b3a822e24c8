"""The LP relaxation of a form over a growing subset of its columns, in one HiGHS model.

:mod:`placement.solution.sifting` prices every column of a form with the duals of a
*restricted* LP (all the form's rows, some of its columns) and adds the columns that price in,
until none does: the restricted LP's optimum is then the whole LP's. Columns are added to the
same HiGHS model. A solve after many columns were added starts from scratch with HiGHS's
presolve, which fixes the many rows that hold one column of the subset: from the last basis
it was slower (after a pass that adds a few thousand columns, on 200,000 x 5 with links, 17 s
with the dual simplex and 24 s with the primal against 2.4 s from scratch). After at most
:data:`WARM_COLUMNS` columns it starts from the last optimal basis with the primal simplex
(the basis stays primal feasible when columns are added at 0): on 50,000 x 5 with links, 0.05
to 0.12 s a pass against 0.4 s from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.solvers.highs import _clip_inf, _highspy, _yield_to_ctrl_c
from placement.solvers.native import native_stdout_silenced
from placement.util import interrupt
from placement.util.highs_pool import size_thread_pool

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = ["LPSolution", "RestrictedLP", "WARM_COLUMNS"]

#: A solve after at most this many new columns starts from the last basis.
WARM_COLUMNS = 1_000


@dataclass(frozen=True)
class LPSolution:
    """An optimal restricted LP: its value (the form's sense, offset included), its solution
    over every column of the form (0 outside the subset) and one multiplier per row in the
    convention of :func:`placement.milp.core.price` (the maximisation of ``sign * c``)."""

    value: float
    x: np.ndarray
    multipliers: np.ndarray


class RestrictedLP:
    """The LP relaxation of ``form`` over the columns ``cols`` (and those added later)."""

    def __init__(self, form: CanonicalForm, cols: np.ndarray, threads: int | None = None) -> None:
        hp = _highspy()
        self.form = form
        self._csc = form.A.tocsc()
        self._cols: list[np.ndarray] = []
        self._new = 0  # columns added since the last solve
        self._basis = False  # whether the last solve left an optimal basis
        size_thread_pool(int(threads or 0))
        h = hp.Highs()
        h.setOptionValue("output_flag", False)
        if threads is not None:
            h.setOptionValue("threads", int(threads))
        if interrupt.active():
            _yield_to_ctrl_c(h)
        sense = hp.ObjSense.kMaximize if form.sense.sign > 0 else hp.ObjSense.kMinimize
        h.changeObjectiveSense(sense)
        h.changeObjectiveOffset(float(form.offset))
        empty_i = np.zeros(0, dtype=np.int32)
        h.addRows(int(form.n_rows), _clip_inf(form.row_lower), _clip_inf(form.row_upper), 0,
                  empty_i, empty_i, np.zeros(0))
        self._h = h
        self.add(cols)

    def add(self, cols: np.ndarray) -> None:
        """Add the form's columns ``cols`` (none of them added before)."""
        cols = np.asarray(cols, dtype=np.int64)
        if cols.shape[0] == 0:
            return
        f = self.form
        sub = self._csc[:, cols]
        self._h.addCols(int(cols.shape[0]), np.ascontiguousarray(f.c[cols], dtype=np.float64),
                        _clip_inf(f.col_lower[cols]), _clip_inf(f.col_upper[cols]),
                        int(sub.nnz), sub.indptr.astype(np.int32),
                        sub.indices.astype(np.int32), np.ascontiguousarray(sub.data))
        self._cols.append(cols)
        self._new += int(cols.shape[0])

    def solve(self, time_limit: float | None) -> LPSolution | None:
        """The restricted LP's optimum, or None when HiGHS did not prove one in time."""
        hp = _highspy()
        h = self._h
        # HiGHS's clock runs on across the solves of one model: the limit is on its total
        h.setOptionValue("time_limit", float("inf") if time_limit is None
                         else h.getRunTime() + max(float(time_limit), 0.01))
        warm = self._basis and self._new <= WARM_COLUMNS
        if not warm:
            h.clearSolver()  # from scratch, with presolve: see the module docstring
        h.setOptionValue("simplex_strategy", 4 if warm else 1)  # primal / dual
        self._new = 0
        with native_stdout_silenced():
            h.run()
        self._basis = h.getModelStatus() == hp.HighsModelStatus.kOptimal
        if not self._basis:
            return None
        sol = h.getSolution()
        x = np.zeros(self.form.n_cols)
        x[np.concatenate(self._cols)] = np.asarray(sol.col_value, dtype=float)
        lam = self.form.sense.sign * np.asarray(sol.row_dual, dtype=float)
        return LPSolution(float(h.getInfo().objective_function_value), x, lam)
