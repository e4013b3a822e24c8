"""A large-neighbourhood search on HiGHS: free a few functions, hold every other at the
placement so far, and let HiGHS solve the small MIP that is left.

Each *step* draws :data:`FREE` functions at random (from ``seed``), fixes the placement columns
of all the others at their values in the incumbent (their column bounds in one kept-loaded HiGHS
model), offers the incumbent as the start, and solves to :data:`NODES` branch-and-bound nodes.
The auxiliary columns (a soft link's pair columns, a geography's copies) stay free, so any form
with its placement columns laid out function by function is searched as it is. A step's
placement replaces the incumbent when it is better and the model's rows hold for it.

The search moves several functions at once, which the shift-and-swap local search of
:mod:`placement.milp.local_search` cannot: on the OR-Library's D instances, where every agent's
capacity is tight, its local optima are left by exchanges among a dozen jobs. HiGHS stops each
step at a node count, so a run is the same for a seed and a step count; a wall-clock
``deadline`` is only an outer stop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from placement.errors import SolverError
from placement.solvers.base import MIN_SOLVER_SECONDS, SolveOptions, Status
from placement.solvers.highs import HighsBackend

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = ["Neighbourhoods", "FREE", "NODES"]

#: Functions freed in each step.
FREE = 20
#: Branch-and-bound nodes HiGHS may spend on each step's MIP.
NODES = 200
_TOL = 1e-9


class Neighbourhoods:
    """Steps of the large-neighbourhood search on ``form`` (see the module docstring)."""

    def __init__(self, form: CanonicalForm, options: SolveOptions) -> None:
        self.form = form
        self.F, self.U = form.n_functions, form.n_units
        self.cols = np.arange(form.n_x)
        self.lower = np.asarray(form.col_lower[: form.n_x], dtype=float)
        self.upper = np.asarray(form.col_upper[: form.n_x], dtype=float)
        # ``options.threads``: the portfolio passes its main HiGHS search's count, so that
        # opening either model never resizes HiGHS's one thread pool per process.
        self.session = HighsBackend().open(form, replace(
            options, log=False, time_limit=None, rel_gap=0.0))
        self.session.set_option("mip_max_nodes", NODES)
        self.sign = float(form.sense.sign)

    def improve(self, x: np.ndarray, *, seed: int, steps: int, deadline: float | None = None,
                stopped: Callable[[], bool] | None = None) -> tuple[np.ndarray, int]:
        """The best placement after ``steps`` steps from ``x`` (a feasible full column
        vector), and how many steps improved it; ``stopped`` is asked before each step."""
        x = np.asarray(x, dtype=float).copy()
        value = self.form.objective_of(x)
        rng = np.random.default_rng(seed)
        free_count = min(FREE, self.F)
        improved = 0
        for _ in range(steps):
            left = None if deadline is None else deadline - time.perf_counter()
            if (left is not None and left < MIN_SOLVER_SECONDS) or (stopped and stopped()):
                break
            free = np.zeros(self.F, dtype=bool)
            free[rng.choice(self.F, size=free_count, replace=False)] = True
            held = ~np.repeat(free, self.U)
            lo, up = self.lower.copy(), self.upper.copy()
            lo[held] = up[held] = np.round(x[: self.form.n_x][held])
            self.session.set_col_bounds(self.cols, lo, up)
            self.session.set_start(x)
            self.session.set_option("time_limit", float(left) if left is not None else np.inf)
            raw = self.session.solve()
            if raw.status is Status.ERROR:
                raise SolverError(f"the large-neighbourhood search's HiGHS failed: "
                                  f"{raw.message}")
            if raw.x is None or self.form.max_violation(raw.x) > 1e-6:
                continue
            new = self.form.objective_of(raw.x)
            if self.sign * (new - value) > _TOL:
                x, value = np.asarray(raw.x, dtype=float), new
                improved += 1
        return x, improved
