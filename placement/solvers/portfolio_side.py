"""The portfolio's shared state, and its *side*: a core search, CP-SAT, the local search and
the large-neighbourhood search in rounds beside the one HiGHS search
(:mod:`placement.solvers.portfolio`).

Round ``k`` starts from the best placement so far; the first begins with the core search of
:mod:`placement.solvers.core_search` (HiGHS on each function's few columns of least reduced
cost, to ``CORE_NODES`` nodes), where a core is small enough. Then CP-SAT with the best
placement as its hint, to a deterministic time limit (``max_deterministic_time``, with
``interleave_search`` so that its workers are deterministic too); then the shift-and-swap
local search of :mod:`placement.milp.local_search` (random kicks drawn from ``seed + k``)
from the better of the two; then steps of the large-neighbourhood search of
:mod:`placement.solvers.lns` from that. The searches' work grows ``GROWTH`` times a round for
``MAX_DOUBLINGS`` rounds, CP-SAT's for ``CPSAT_DOUBLINGS``; every round ends at work limits,
never at the clock, so a round's placements depend on its start and seed only.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.solvers.base import (
    MIN_SOLVER_SECONDS,
    RawSolution,
    SolveOptions,
    Status,
    relative_gap,
    time_left,
)
from placement.solvers.core_search import CORE_NODES, core_search
from placement.solvers.cpsat import CpSatBackend

if TYPE_CHECKING:
    from placement.milp import CanonicalForm
    from placement.milp.local_search import LocalSearch
    from placement.solvers.core_search import CoreResult
    from placement.solvers.lns import Neighbourhoods

__all__ = ["State", "Round", "Side", "take", "improve", "better", "CPSAT_DETERMINISTIC",
           "CPSAT_DOUBLINGS", "KICKS", "LNS_STEPS", "GROWTH", "MAX_DOUBLINGS", "LNS_MAX_COLUMNS",
           "AHEAD"]

#: CP-SAT's deterministic time in the first round (times GROWTH in the next CPSAT_DOUBLINGS).
CPSAT_DETERMINISTIC = 0.5
#: Rounds after which CP-SAT's time stops growing: sooner than the searches', since on the
#: OR-Library's D and E instances CP-SAT's rounds found none of the portfolio's answers while
#: rounds longer than HiGHS's stretches between exchanges kept HiGHS waiting (portfolio-polish).
CPSAT_DOUBLINGS = 1
#: Local-search kicks in the first round (times GROWTH every round), and in the polish of each
#: placement HiGHS finds.
KICKS = 20
#: Large-neighbourhood steps in the first round (times GROWTH every round).
LNS_STEPS = 10
#: How much longer each round, and each stretch of HiGHS between exchanges, is than the last.
GROWTH = 2
#: Rounds after which they stop growing: one fewer than HiGHS's stretches, so that on the
#: OR-Library's E instances, where HiGHS runs hundreds of nodes a second, HiGHS seldom waits
#: for a round at an exchange.
MAX_DOUBLINGS = 3
#: Rounds the side may run ahead of the last exchange, each from its own best placement.
AHEAD = 4
#: Largest form (columns) the large-neighbourhood search and the core search are run on: each
#: step hands HiGHS the whole model, the held columns fixed.
LNS_MAX_COLUMNS = 200_000


@dataclass
class State:
    """The incumbent and bound so far, in the form's sense; ``sign`` makes both maximised."""

    sign: float
    x: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    proven: bool = False
    infeasible: bool = False
    nodes: int = 0
    rounds: int = 0
    kept: int = 0  # rounds the side ran ahead that their exchange kept
    log: list[dict[str, object]] = field(default_factory=list)

    def offer(self, x: np.ndarray | None, objective: float | None) -> bool:
        if x is None or objective is None:
            return False
        if self.objective is None or self.sign * objective > self.sign * self.objective + 1e-9:
            self.x, self.objective = x, objective
            return True
        return False

    def offer_bound(self, bound: float | None) -> None:
        if bound is None or not math.isfinite(bound):
            return
        if self.bound is None or self.sign * bound < self.sign * self.bound:
            self.bound = bound

    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)

    def note(self, k: int, component: str, status: str, objective: float | None = None,
             bound: float | None = None, improved: bool = False, **more: object) -> None:
        """Log what a component did in round ``k`` (the answer's ``components``)."""
        self.log.append({"round": k, "component": component, "status": status,
                         "objective": objective, "bound": bound, "improved": improved,
                         **more})

    def settled(self, rel_gap: float) -> bool:
        """Proven optimal (a component's proof, or the gap closed) or proven infeasible."""
        gap = self.gap()
        if gap is not None and gap <= rel_gap + 1e-12:
            self.proven = True
        return self.proven or self.infeasible


@dataclass
class Round:
    """What one round of the side returned: CP-SAT's answer, then the local search's and the
    large-neighbourhood search's (None where it did not run or found nothing feasible)."""

    k: int
    raw: RawSolution | None = None
    core: CoreResult | None = None
    core_seconds: float = 0.0
    searched: np.ndarray | None = None
    search_seconds: float = 0.0
    ran_search: bool = False
    neighbour: np.ndarray | None = None
    neighbour_seconds: float = 0.0
    ran_neighbour: bool = False
    best: np.ndarray | None = None  # the best of its start and what it found


class Side:
    """The side's rounds: on a thread of their own, or (``inline``, one thread) run by
    :meth:`result` inside HiGHS's callback.

    On its own thread the side runs ahead (up to ``AHEAD`` rounds): once round ``k`` ends it
    begins round ``k + 1`` at once from its own best placement, before the exchange that will
    start it. That exchange keeps it (and the rounds after it) when the shared best is not
    strictly better than the placement it began from, so that it began where the exchange
    would have begun it; otherwise it cancels them and begins round ``k + 1`` again from the
    shared best. Either way each round's start is the same from run to run, and the side seldom
    waits for HiGHS.
    """

    def __init__(self, cpsat: CpSatBackend, form: CanonicalForm, options: SolveOptions,
                 threads: int, t0: float, inline: bool, highs_threads: int = 1) -> None:
        self.cpsat, self.form, self.options = cpsat, form, options
        self.threads, self.t0 = threads, t0
        self.search = _search(form)
        # the neighbourhood search's HiGHS asks for the main search's thread count: HiGHS
        # keeps one pool per process, resized (reset) whenever a model asks for another
        self.neighbourhoods = _neighbourhoods(form, replace(options, threads=highs_threads))
        self.core = core_search(form, replace(options, threads=highs_threads), LNS_MAX_COLUMNS,
                                time_left(options, t0))
        self.inline = inline
        self._pool = None if inline else ThreadPoolExecutor(max_workers=1)
        self._pending: tuple[int, np.ndarray | None] | None = None
        self._cond = threading.Condition()
        self._results: dict[int, Round] = {}
        self._begun: dict[int, float | None] = {}  # the objective each round began from
        self._confirmed = -1  # the last round an exchange started (or kept)
        self._epoch = 0  # bumped when a round is begun again: older chains end
        self._solver: Any = None
        self._stopped = False
        self._error: BaseException | None = None  # what ended a chain, raised by result()
        self.kept = 0  # rounds begun ahead that their exchange kept

    def start(self, k: int, x: np.ndarray | None) -> None:
        """Start round ``k`` from the placement ``x`` (None: none yet), or keep the round
        ``k`` begun ahead from a placement ``x`` does not better."""
        x = None if x is None else x.copy()
        if self._pool is None:
            self._pending = (k, x)
            return
        value = None if x is None else self.form.objective_of(x)
        with self._cond:
            self._confirmed = k
            if k in self._begun and not _strictly_better(self.form, value, self._begun[k]):
                self.kept += 1
                self._cond.notify_all()
                return
            self._epoch += 1
            for d in (self._results, self._begun):
                for j in [j for j in d if j >= k]:
                    del d[j]
            self._begun[k] = value
            if self._solver is not None:
                self._solver.stop_search()
            self._cond.notify_all()  # a chain waiting to run ahead ends
            epoch = self._epoch
        self._pool.submit(self._chain, k, x, epoch)

    def result(self, k: int) -> Round | None:
        """Round ``k`` once it has ended (None when the side stopped first)."""
        if self._pool is None:
            pending, self._pending = self._pending, None
            return None if pending is None or self._stopped else self._round(*pending)
        with self._cond:
            while k not in self._results and not self._stopped and self._error is None:
                self._cond.wait()
            if self._error is not None:
                raise self._error
            return self._results.pop(k, None)

    def leftovers(self) -> list[Round]:
        """The rounds ended but not taken (after :meth:`stop`), in order."""
        with self._cond:
            if self._error is not None:
                raise self._error
            return [self._results.pop(j) for j in sorted(self._results)]

    def _chain(self, k: int, x: np.ndarray | None, epoch: int) -> None:
        """Round ``k`` from ``x``, then each next round from the side's own best, at most
        ``AHEAD`` rounds ahead of the last exchange, until stopped or begun again; an error
        is kept for :meth:`result` to raise (nothing reads this task's own result)."""
        try:
            self._run_chain(k, x, epoch)
        except BaseException as e:  # noqa: BLE001 - handed on, not swallowed
            with self._cond:
                self._error = e
                self._cond.notify_all()

    def _run_chain(self, k: int, x: np.ndarray | None, epoch: int) -> None:
        while True:
            r = self._round(k, x, epoch)
            x = r.best
            with self._cond:
                if epoch != self._epoch:
                    return
                self._results[k] = r
                self._begun[k + 1] = None if x is None else self.form.objective_of(x)
                self._cond.notify_all()
                while k + 1 > self._confirmed + AHEAD and epoch == self._epoch and \
                        not self._stopped:
                    self._cond.wait()
                if epoch != self._epoch or self._stopped:
                    return
            k += 1

    def take(self, state: State, r: Round) -> None:
        """Offer round ``r``'s placements and bound to ``state``, in a fixed order."""
        if r.core is not None:
            c = r.core
            objective = None if c.x is None else self.form.objective_of(c.x)
            state.offer_bound(c.bound)
            state.note(r.k, "core", c.status, objective, c.bound,
                       improved=c.x is not None and state.offer(c.x, objective),
                       columns=c.columns, nodes=c.nodes, seconds=round(r.core_seconds, 3))
        if r.raw is not None:
            take(state, "cp-sat", r.raw, r.k)
        for ran, name, x, seconds in ((r.ran_search, "local-search", r.searched,
                                       r.search_seconds),
                                      (r.ran_neighbour, "neighbourhoods", r.neighbour,
                                       r.neighbour_seconds)):
            if not ran:
                continue
            objective = None if x is None else self.form.objective_of(x)
            state.note(r.k, name, "feasible" if x is not None else "skipped", objective,
                       improved=x is not None and state.offer(x, objective),
                       seconds=round(seconds, 3))

    def stop(self) -> None:
        """End the round under way as soon as its solver notices (HiGHS has finished)."""
        with self._cond:
            self._stopped = True
            if self._solver is not None:
                self._solver.stop_search()
            self._cond.notify_all()

    def close(self) -> None:
        self.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _ends(self, epoch: int | None) -> Callable[[], bool]:
        return lambda: self._stopped or (epoch is not None and epoch != self._epoch)

    def _register(self, solver: Any, epoch: int | None) -> None:
        with self._cond:
            self._solver = solver
            if self._ends(epoch)():
                solver.stop_search()

    def _round(self, k: int, x: np.ndarray | None, epoch: int | None = None) -> Round:
        left = time_left(self.options, self.t0)
        ends = self._ends(epoch)
        if ends() or (left is not None and left < MIN_SOLVER_SECONDS):
            return Round(k, best=x)
        grown = GROWTH ** min(k, MAX_DOUBLINGS)
        seed = int(self.options.seed) + k
        core, core_seconds = None, 0.0
        if self.core is not None and k == 0:
            t1 = time.perf_counter()
            core = self.core.search(x, nodes=CORE_NODES, stopped=ends,
                                    deadline=None if left is None else t1 + left)
            core_seconds = time.perf_counter() - t1
            x = better(self.form, x, core.x)
            left = time_left(self.options, self.t0)
            if ends() or (left is not None and left < MIN_SOLVER_SECONDS):
                return Round(k, None, core, core_seconds, best=x)
        opts = replace(self.options, threads=self.threads, seed=seed, log=False,
                       time_limit=left)
        limit = CPSAT_DETERMINISTIC * GROWTH ** min(k, CPSAT_DOUBLINGS)
        raw = self.cpsat.solve(self.form, opts, x,
                               on_solver=lambda solver: self._register(solver, epoch),
                               parameters={"max_deterministic_time": limit,
                                           "interleave_search": True})
        with self._cond:
            self._solver = None
        r = Round(k, raw, core, core_seconds)
        best = better(self.form, x, raw.x)
        if self.search is not None and best is not None and not ends():
            r.ran_search = True
            t1 = time.perf_counter()
            r.searched = improve(self.search, best, seed, time_left(self.options, self.t0),
                                 KICKS * grown, stopped=ends)
            r.search_seconds = time.perf_counter() - t1
            best = better(self.form, best, r.searched)
        if self.neighbourhoods is not None and best is not None and not ends():
            r.ran_neighbour = True
            t1 = time.perf_counter()
            left = time_left(self.options, self.t0)
            r.neighbour, _ = self.neighbourhoods.improve(
                best, seed=seed, steps=LNS_STEPS * grown, stopped=ends,
                deadline=None if left is None else time.perf_counter() + left)
            r.neighbour_seconds = time.perf_counter() - t1
            best = r.neighbour  # never worse than where it began
        r.best = best
        return r


def better(form: CanonicalForm, a: np.ndarray | None, b: np.ndarray | None
           ) -> np.ndarray | None:
    """The better of two feasible placements (``a`` on ties), either of which may be None."""
    if a is None or b is None:
        return b if a is None else a
    sign = float(form.sense.sign)
    return b if sign * form.objective_of(b) > sign * form.objective_of(a) + 1e-9 else a


def _strictly_better(form: CanonicalForm, a: float | None, b: float | None) -> bool:
    """Whether objective ``a`` is strictly better than ``b`` (None: no placement)."""
    if a is None or b is None:
        return a is not None
    return float(form.sense.sign) * (a - b) > 1e-9


def take(state: State, who: str, raw: RawSolution, k: int | None = None) -> None:
    """Offer a solver's answer (placement, bound, proofs) to ``state``, and log it (as of
    round ``k``, or the exchanges so far)."""
    k = state.rounds if k is None else k
    if raw.status is Status.ERROR and raw.x is None:
        state.note(k, who, "error", message=raw.message)
        return
    improved = state.offer(raw.x, raw.objective)
    exact = who == "highs" or not (raw.extra.get("rows_tightened") or
                                   raw.extra.get("rows_approximate"))
    if raw.status is Status.INFEASIBLE and exact and state.x is None:
        state.infeasible = True
    if raw.status is Status.OPTIMAL and raw.objective is not None and exact:
        state.offer_bound(raw.bound if raw.bound is not None else raw.objective)
        state.proven = state.objective is not None and \
            state.sign * state.objective >= state.sign * raw.objective - 1e-9
    else:
        state.offer_bound(raw.bound)
    state.nodes += int(raw.nodes or 0) if who == "highs" else 0
    state.note(k, who, raw.status.value, raw.objective, raw.bound, improved,
               seconds=round(raw.seconds, 3))


def _search(form: CanonicalForm) -> LocalSearch | None:
    from placement.milp.local_search import LocalSearch, applies

    return LocalSearch(form) if applies(form) else None


def _neighbourhoods(form: CanonicalForm, options: SolveOptions) -> Neighbourhoods | None:
    from placement.solvers.lns import Neighbourhoods

    if form.per_area or form.n_functions < 2 or form.n_cols > LNS_MAX_COLUMNS:
        return None
    return Neighbourhoods(form, options)


def improve(search: LocalSearch, x: np.ndarray, seed: int, left: float | None,
            kicks: int = KICKS, stopped: Callable[[], bool] | None = None
            ) -> np.ndarray | None:
    """The local search's placement from ``x`` (None: it found none it could check)."""
    deadline = None if left is None else time.perf_counter() + left
    out = search.improve(x, seed=seed, kicks=kicks, deadline=deadline, stopped=stopped)
    return out if out is not None and search.form.max_violation(out) <= 1e-9 else None
