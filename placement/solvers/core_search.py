"""A core search beside the portfolio's HiGHS: HiGHS on the form cut down to each function's
few columns of least reduced cost.

The LP relaxation of the whole form is solved once; its row duals price every column
(:func:`placement.milp.core.price`: a column's *penalty* is how far its reduced cost is from
the best of its assignment row). A search keeps every assignment row's :data:`CORE_COLUMNS`
columns of least penalty (:func:`placement.milp.core.cheapest_core`), fixes the rest at 0
(:func:`placement.milp.core.core_of`), and lets HiGHS search that much smaller MIP to a node
count, from the start it is given where the core holds it. The core is not widened to hold the
start's columns: on e20100, a core around the incumbent (418 columns against 400) took 4,000
nodes to reach 8450, where the plain one proves 8436 in 2,634. On OR-Library's e20100 and
e20200 it reaches the best known values, e20100's in 2,634 nodes where neither HiGHS nor CP-SAT
on the whole form reaches it in 30 s; on the 20-agent D instances it reaches better placements
than they do (benchmarks/results/portfolio-core).

What it proves is kept too. Every placement that uses an excluded column is worth at most the
core's ``outside`` value (the LP duals' Lagrangian bound less the least excluded penalty), so
the worse of that and the core search's own bound bounds the whole form: a core search that
proves its core's optimum no worse than ``outside`` proves the whole form's.

HiGHS stops at the node count, so a search is the same for a start and a node count; the
wall-clock ``deadline`` and ``stopped`` (asked at HiGHS's interrupt callbacks) are only outer
stops.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.errors import SolverError
from placement.solvers.base import MIN_SOLVER_SECONDS, SolveOptions, Status
from placement.solvers.highs import HighsBackend

if TYPE_CHECKING:
    from placement.milp import CanonicalForm
    from placement.milp.core import Pricing

__all__ = ["CoreSearch", "CoreResult", "CORE_COLUMNS", "CORE_SHARE", "CORE_NODES", "applies",
           "core_search"]

#: Columns of least penalty each assignment row keeps in the core: on
#: the OR-Library's D and E instances 4 found better placements than 3 (too few to hold them)
#: and than 6 or 8 (too many to search in the time).
CORE_COLUMNS = 4


#: A core is searched only where it keeps at most this share of the placement columns. On
#: the OR-Library's 10-agent instances a core keeps 40%; in a trial run with cores there too
#: (issue 15's closing notes), HiGHS waited for the core search past the 18 s in which it
#: proves e10100 alone, and the portfolio's d10100 and d10200 were no better than without
#: it (portfolio-ahead).
CORE_SHARE = 0.2


#: HiGHS's nodes on the core in the portfolio, which searches it once, at the start of its
#: side's first round: enough to prove the core's optimum on OR-Library's e20100 (2,634
#: nodes, about 20 s). Searched again each round instead (250 nodes, doubling) from the best
#: placement, it found nothing better after its first search there: each begins its tree again.
CORE_NODES = 5000


def applies(form: CanonicalForm) -> bool:
    """Whether a core is searched: integer columns only, and a core of at most
    :data:`CORE_SHARE` of the placement columns."""
    return bool(form.integrality.all()) and form.n_functions > 0 and \
        CORE_COLUMNS * form.n_functions <= CORE_SHARE * form.n_x


def core_search(form: CanonicalForm, options: SolveOptions, max_columns: int,
                seconds: float | None = None) -> CoreSearch | None:
    """A core search of ``form`` (a single-area form of at most ``max_columns`` columns where
    :func:`applies`; its LP solved within ``seconds``), or None."""
    if form.per_area or form.n_cols > max_columns or not applies(form):
        return None
    return CoreSearch(form, options, seconds)


@dataclass(frozen=True)
class CoreResult:
    """A core search's best placement (every column of the form; None when it found none
    HiGHS's checks and the form's rows accept), what it bounds the whole form by (the form's
    sense; None when it proved nothing), and its core's size."""

    x: np.ndarray | None
    bound: float | None
    columns: int
    nodes: int
    status: str


class CoreSearch:
    """Searches of the core around a start (see the module docstring)."""

    def __init__(self, form: CanonicalForm, options: SolveOptions,
                 seconds: float | None = None) -> None:
        from placement.milp.core import price
        from placement.solvers.highs_lp import RestrictedLP

        self.form = form
        # ``options.threads``: the portfolio passes its main HiGHS search's count, so that
        # opening this model never resizes HiGHS's one thread pool per process
        self.options = replace(options, log=False, rel_gap=0.0, time_limit=None)
        # the LP within ``seconds`` (None: without limit); unsolved, no search runs
        lp = RestrictedLP(form, np.arange(form.n_cols), threads=options.threads).solve(seconds)
        self.pricing: Pricing | None = None
        if lp is not None:
            try:
                self.pricing = price(form, lp.multipliers)
            except ValueError:  # no assignment rows to keep, or one no column may take
                self.pricing = None

    def search(self, x: np.ndarray | None, *, nodes: int, deadline: float | None = None,
               stopped: Callable[[], bool] | None = None) -> CoreResult:
        """HiGHS on the core around the feasible placement ``x``, to ``nodes`` nodes."""
        from placement.milp.core import cheapest_core, core_of

        form, pricing = self.form, self.pricing
        left = None if deadline is None else deadline - time.perf_counter()
        if pricing is None or (left is not None and left < MIN_SOLVER_SECONDS) or \
                (stopped is not None and stopped()):
            return CoreResult(None, None, 0, 0, "skipped")
        none = np.zeros(form.n_cols)
        core = core_of(form, pricing, -1.0,
                       include=cheapest_core(form, pricing, CORE_COLUMNS, none))
        if core is None:
            return CoreResult(None, None, 0, 0, "skipped")
        session = HighsBackend().open(core.form, replace(self.options, time_limit=left))
        session.set_option("mip_max_nodes", int(nodes))
        session.set_start(None if x is None else core.restrict(x))
        if stopped is not None:
            session.subscribe("cbMipInterrupt", lambda event: _interrupt(event, stopped))
        raw = session.solve()
        if raw.status is Status.ERROR:
            raise SolverError(f"the core search's HiGHS failed: {raw.message}")
        y = None
        if raw.x is not None:
            y = core.lift(np.asarray(raw.x, dtype=float))
            if form.max_violation(y) > 1e-6:
                y = None
        # an infeasible core proves that every placement uses an excluded column
        inside = -form.sense.sign * math.inf if raw.status is Status.INFEASIBLE else raw.bound
        return CoreResult(y, _bound(form, inside, core.outside), int(core.columns.shape[0]),
                          int(raw.nodes or 0), raw.status.value)


def _interrupt(event: Any, stopped: Callable[[], bool]) -> None:
    if stopped():
        event.data_in.user_interrupt = True


def _bound(form: CanonicalForm, inside: float | None, outside: float | None) -> float | None:
    """The whole form's bound from the core's (None: none) and the excluded columns'
    (None: nothing excluded), in the form's sense: the weaker of the two."""
    sign = float(form.sense.sign)
    if inside is None or math.isnan(inside) or sign * inside == math.inf:
        return None
    if outside is None:
        return inside if math.isfinite(inside) else None
    return sign * max(sign * inside, sign * outside)
