"""The portfolio's shared state, and its *side*: CP-SAT, the local search and the
large-neighbourhood search in rounds beside the one HiGHS search
(:mod:`placement.solvers.portfolio`).

Round ``k`` starts from the best placement so far: CP-SAT with it as its hint, to a
deterministic time limit (``max_deterministic_time``, with ``interleave_search`` so that its
workers are deterministic too); then the shift-and-swap local search of
:mod:`placement.milp.local_search` (random kicks drawn from ``seed + k``) from the better of the
two; then steps of the large-neighbourhood search of :mod:`placement.solvers.lns` from that.
Every round is longer than the last (``GROWTH`` times, for ``MAX_DOUBLINGS`` rounds), and each
ends at work limits, never at the clock, so a round's placements depend on its start and seed
only.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
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
from placement.solvers.cpsat import CpSatBackend

if TYPE_CHECKING:
    from placement.milp import CanonicalForm
    from placement.milp.local_search import LocalSearch
    from placement.solvers.lns import Neighbourhoods

__all__ = ["State", "Round", "Side", "take", "improve", "better", "CPSAT_DETERMINISTIC",
           "KICKS", "LNS_STEPS", "GROWTH", "MAX_DOUBLINGS", "LNS_MAX_COLUMNS"]

#: CP-SAT's deterministic time in the first round (times GROWTH every round).
CPSAT_DETERMINISTIC = 0.5
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
#: Largest form (columns) the large-neighbourhood search is run on: each step hands HiGHS the
#: whole model, the held columns fixed.
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
    searched: np.ndarray | None = None
    search_seconds: float = 0.0
    ran_search: bool = False
    neighbour: np.ndarray | None = None
    neighbour_seconds: float = 0.0
    ran_neighbour: bool = False


class Side:
    """The side's rounds: on a thread of their own, or (``inline``, one thread) run by
    :meth:`result` inside HiGHS's callback."""

    def __init__(self, cpsat: CpSatBackend, form: CanonicalForm, options: SolveOptions,
                 threads: int, t0: float, inline: bool) -> None:
        self.cpsat, self.form, self.options = cpsat, form, options
        self.threads, self.t0 = threads, t0
        self.search = _search(form)
        self.neighbourhoods = _neighbourhoods(form, options)
        self._pool = None if inline else ThreadPoolExecutor(max_workers=1)
        self._future: Future[Round] | None = None
        self._pending: tuple[int, np.ndarray | None] | None = None
        self._lock = threading.Lock()
        self._solver: Any = None
        self._stopped = False

    def start(self, k: int, x: np.ndarray | None) -> None:
        """Begin round ``k`` from the placement ``x`` (None: none yet)."""
        x = None if x is None else x.copy()
        if self._pool is None:
            self._pending = (k, x)
        else:
            self._future = self._pool.submit(self._round, k, x)

    def result(self) -> Round | None:
        """The round begun last, once it has ended (None when none is under way)."""
        if self._pool is None:
            pending, self._pending = self._pending, None
            return None if pending is None or self._stopped else self._round(*pending)
        future, self._future = self._future, None
        return None if future is None else future.result()

    def take(self, state: State, r: Round) -> None:
        """Offer round ``r``'s placements and bound to ``state``, in a fixed order."""
        if r.raw is not None:
            take(state, "cp-sat", r.raw)
        for ran, name, x, seconds in ((r.ran_search, "local-search", r.searched,
                                       r.search_seconds),
                                      (r.ran_neighbour, "neighbourhoods", r.neighbour,
                                       r.neighbour_seconds)):
            if not ran:
                continue
            objective = None if x is None else self.form.objective_of(x)
            improved = x is not None and state.offer(x, objective)
            state.log.append({"round": r.k, "component": name,
                              "status": "feasible" if x is not None else "skipped",
                              "objective": objective, "bound": None, "improved": improved,
                              "seconds": round(seconds, 3)})

    def stop(self) -> None:
        """End the round under way as soon as its solver notices (HiGHS has finished)."""
        with self._lock:
            self._stopped = True
            if self._solver is not None:
                self._solver.stop_search()

    def stopped(self) -> bool:
        return self._stopped

    def close(self) -> None:
        self.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _register(self, solver: Any) -> None:
        with self._lock:
            self._solver = solver
            if self._stopped:
                solver.stop_search()

    def _round(self, k: int, x: np.ndarray | None) -> Round:
        left = time_left(self.options, self.t0)
        if self._stopped or (left is not None and left < MIN_SOLVER_SECONDS):
            return Round(k)
        grown = GROWTH ** min(k, MAX_DOUBLINGS)
        seed = int(self.options.seed) + k
        opts = replace(self.options, threads=self.threads, seed=seed, log=False,
                       time_limit=left)
        raw = self.cpsat.solve(self.form, opts, x, on_solver=self._register, parameters={
            "max_deterministic_time": CPSAT_DETERMINISTIC * grown, "interleave_search": True})
        with self._lock:
            self._solver = None
        r = Round(k, raw)
        best = better(self.form, x, raw.x)
        if self.search is not None and best is not None and not self._stopped:
            r.ran_search = True
            t1 = time.perf_counter()
            r.searched = improve(self.search, best, seed, time_left(self.options, self.t0),
                                 KICKS * grown)
            r.search_seconds = time.perf_counter() - t1
            best = better(self.form, best, r.searched)
        if self.neighbourhoods is not None and best is not None and not self._stopped:
            r.ran_neighbour = True
            t1 = time.perf_counter()
            left = time_left(self.options, self.t0)
            r.neighbour, _ = self.neighbourhoods.improve(
                best, seed=seed, steps=LNS_STEPS * grown, stopped=self.stopped,
                deadline=None if left is None else time.perf_counter() + left)
            r.neighbour_seconds = time.perf_counter() - t1
        return r


def better(form: CanonicalForm, a: np.ndarray | None, b: np.ndarray | None
           ) -> np.ndarray | None:
    """The better of two feasible placements (``a`` on ties), either of which may be None."""
    if a is None or b is None:
        return b if a is None else a
    sign = float(form.sense.sign)
    return b if sign * form.objective_of(b) > sign * form.objective_of(a) + 1e-9 else a


def take(state: State, who: str, raw: RawSolution) -> None:
    """Offer a solver's answer (placement, bound, proofs) to ``state``, and log it."""
    if raw.status is Status.ERROR and raw.x is None:
        state.log.append({"round": state.rounds, "component": who, "status": "error",
                          "message": raw.message})
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
    state.log.append({"round": state.rounds, "component": who, "status": raw.status.value,
                      "objective": raw.objective, "bound": raw.bound, "improved": improved,
                      "seconds": round(raw.seconds, 3)})


def _search(form: CanonicalForm) -> LocalSearch | None:
    from placement.milp.local_search import LocalSearch, applies

    return LocalSearch(form) if applies(form) else None


def _neighbourhoods(form: CanonicalForm, options: SolveOptions) -> Neighbourhoods | None:
    from placement.solvers.lns import Neighbourhoods

    if form.per_area or form.n_functions < 2 or form.n_cols > LNS_MAX_COLUMNS:
        return None
    return Neighbourhoods(form, options)


def improve(search: LocalSearch, x: np.ndarray, seed: int, left: float | None,
            kicks: int = KICKS) -> np.ndarray | None:
    """The local search's placement from ``x`` (None: it found none it could check)."""
    deadline = None if left is None else time.perf_counter() + left
    out = search.improve(x, seed=seed, kicks=kicks, deadline=deadline)
    return out if out is not None and search.form.max_violation(out) <= 1e-9 else None
