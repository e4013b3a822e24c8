"""A portfolio: one uninterrupted HiGHS search, and beside it CP-SAT and a local search in
rounds, exchanging placements at fixed points of HiGHS's tree.

HiGHS runs a single branch-and-bound from start to end (``threads // 2`` threads), so its tree,
cuts and bound are never thrown away. Beside it, on the other threads, a *side* runs rounds:
CP-SAT from the best placement so far (its hint) to a deterministic time limit
(``max_deterministic_time``, with ``interleave_search`` so that its workers are deterministic
too), then the shift-and-swap local search of :mod:`placement.milp.local_search` (random kicks
drawn from the seed) from the better of the two. The two meet at *exchanges*: HiGHS asks for a
user placement before every dive, and once its node count reaches the next exchange (after
``SYNC_NODES`` nodes, then ``GROWTH`` times further each time) it waits for the side's round
to end, takes the side's placement when it is better than its own (``setSolution`` inside the
callback, HiGHS checks it), and hands the side the best placement so far for its next round.
The best bound either proved is the bound; at an exchange where the incumbent is within
``rel_gap`` of it, HiGHS is interrupted and the answer is proven. With one thread the side's
rounds run inside HiGHS's callback, in turn with it.

Determinism. HiGHS's search is deterministic, and so are its node counts at its callbacks; the
side's rounds end at work limits with seeds ``seed + round``, and the local search counts kicks;
exchanges happen at node counts only. So for a fixed seed and thread count the incumbents and
bounds at every exchange are the same from run to run, and a run that ends by a proof returns
the same placement every time. The wall-clock time limit is only an outer stop: the round it
cuts short ends where the clock says, so a run that ends at its time limit may differ there.

Models with continuous columns (which CP-SAT cannot take) run HiGHS alone; forms outside the
local search's scope run the two solvers without it.
"""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.solvers.base import (
    MIN_SOLVER_SECONDS,
    Capabilities,
    RawSolution,
    RebuildSession,
    SolveOptions,
    Status,
    relative_gap,
    time_left,
)
from placement.solvers.cpsat import CpSatBackend
from placement.solvers.highs import HighsBackend

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = ["PortfolioBackend", "SYNC_NODES", "CPSAT_DETERMINISTIC", "KICKS"]

#: HiGHS's node count at the first exchange (then GROWTH times further after each one).
SYNC_NODES = 100
#: CP-SAT's deterministic time in the first round (times GROWTH every round).
CPSAT_DETERMINISTIC = 0.5
#: Local-search kicks after each CP-SAT round.
KICKS = 20
#: How much longer each round, and each stretch of HiGHS between exchanges, is than the last.
GROWTH = 2
#: Rounds after which they stop growing.
MAX_DOUBLINGS = 4
#: Interrupt HiGHS after this many exchanges (None: until a proof or the time limit); for tests.
MAX_ROUNDS: int | None = None


@dataclass
class _State:
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
class _Round:
    """What one round of the side returned: CP-SAT's answer and the local search's."""

    k: int
    raw: RawSolution | None = None
    searched: np.ndarray | None = None
    search_seconds: float = 0.0
    ran_search: bool = False


class PortfolioBackend:
    """One HiGHS search with CP-SAT and a local search beside it, exchanging placements."""

    name: str = "portfolio"
    label: str = "Portfolio (HiGHS + CP-SAT + local search)"
    requires: tuple[str, ...] = ("highspy", "ortools")
    capabilities: Capabilities = Capabilities(incremental=False)

    def __init__(self) -> None:
        self.highs = HighsBackend()
        self.cpsat = CpSatBackend()

    def version(self) -> str:
        return f"portfolio of HiGHS {self.highs.version()} and {self.cpsat.version()}"

    def open(self, form: CanonicalForm, options: SolveOptions) -> RebuildSession:
        return RebuildSession(self, form, options)

    def solve(self, form: CanonicalForm, options: SolveOptions,
              start: np.ndarray | None = None) -> RawSolution:
        t0 = time.perf_counter()
        if not bool(form.integrality.all()):
            raw = self.highs.solve(form, options, start)
            raw.message = f"continuous columns: HiGHS alone; {raw.message}"
            return raw
        state = _State(sign=float(form.sense.sign))
        if start is not None and form.max_violation(start) <= 1e-6:
            state.offer(np.asarray(start, dtype=float), form.objective_of(start))
        threads = options.threads or os.cpu_count() or 1
        h_threads = max(1, threads // 2)
        side = _Side(self.cpsat, form, options, _search(form), max(1, threads - h_threads),
                     t0, inline=threads < 2)
        try:
            side.start(0, state.x)
            raw = self._run_highs(form, replace(options, threads=h_threads), state, side, t0)
            side.stop()
            last = side.result()
        finally:
            side.close()
        _take(state, "highs", raw)
        if last is not None and not state.settled(options.rel_gap):
            side.take(state, last)  # the round the time limit cut short
        state.settled(options.rel_gap)
        return _answer(form, options, state, time.perf_counter() - t0, self.version())

    def _run_highs(self, form: CanonicalForm, options: SolveOptions, state: _State,
                   side: _Side, t0: float) -> RawSolution:
        """HiGHS from the start to its end, exchanging with the side from its callbacks.

        HiGHS runs without restarts: HiGHS 1.12 screens a placement handed to it by comparing
        its objective in the original model with its incumbent's in its own reduced model,
        which a restart shifts by the cost of the columns it fixes, and then silently drops
        any placement better by less than that shift.
        """
        session = self.highs.open(form, replace(options, log=False))
        session.set_option("mip_allow_restart", False)
        left = time_left(options, t0)
        if left is not None:
            session.set_option("time_limit", max(float(left), MIN_SOLVER_SECONDS))
        session.set_start(state.x)
        exchange = _Exchange(form, options, state, side)
        session.subscribe("cbMipImprovingSolution", exchange.improving)
        session.subscribe("cbMipUserSolution", exchange.user)
        session.subscribe("cbMipInterrupt", exchange.interrupt)
        return session.solve()


class _Side:
    """CP-SAT, then the local search, one round at a time: on a thread of their own, or
    (``inline``, one thread) run by :meth:`result` inside HiGHS's callback."""

    def __init__(self, cpsat: CpSatBackend, form: CanonicalForm, options: SolveOptions,
                 search: object | None, threads: int, t0: float, inline: bool) -> None:
        self.cpsat, self.form, self.options, self.search = cpsat, form, options, search
        self.threads, self.t0 = threads, t0
        self._pool = None if inline else ThreadPoolExecutor(max_workers=1)
        self._future: Future[_Round] | None = None
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

    def result(self) -> _Round | None:
        """The round begun last, once it has ended (None when none is under way)."""
        if self._pool is None:
            pending, self._pending = self._pending, None
            return None if pending is None or self._stopped else self._round(*pending)
        future, self._future = self._future, None
        return None if future is None else future.result()

    def take(self, state: _State, r: _Round) -> None:
        """Offer round ``r``'s placements and bound to ``state``, in a fixed order."""
        if r.raw is not None:
            _take(state, "cp-sat", r.raw)
        if r.ran_search:
            objective = None if r.searched is None else self.form.objective_of(r.searched)
            improved = r.searched is not None and state.offer(r.searched, objective)
            state.log.append({"round": r.k, "component": "local-search",
                              "status": "feasible" if r.searched is not None else "skipped",
                              "objective": objective, "bound": None, "improved": improved,
                              "seconds": round(r.search_seconds, 3)})

    def stop(self) -> None:
        """End the round under way as soon as CP-SAT notices (HiGHS has finished)."""
        with self._lock:
            self._stopped = True
            if self._solver is not None:
                self._solver.stop_search()

    def close(self) -> None:
        self.stop()
        if self._pool is not None:
            self._pool.shutdown(wait=True)

    def _register(self, solver: Any) -> None:
        with self._lock:
            self._solver = solver
            if self._stopped:
                solver.stop_search()

    def _round(self, k: int, x: np.ndarray | None) -> _Round:
        left = time_left(self.options, self.t0)
        if self._stopped or (left is not None and left < MIN_SOLVER_SECONDS):
            return _Round(k)
        opts = replace(self.options, threads=self.threads, seed=int(self.options.seed) + k,
                       log=False, time_limit=left)
        raw = self.cpsat.solve(self.form, opts, x, on_solver=self._register, parameters={
            "max_deterministic_time": CPSAT_DETERMINISTIC * GROWTH ** min(k, MAX_DOUBLINGS),
            "interleave_search": True})
        with self._lock:
            self._solver = None
        r = _Round(k, raw)
        best = _better(self.form, x, raw.x)
        if self.search is not None and best is not None and not self._stopped:
            r.ran_search = True
            t1 = time.perf_counter()
            r.searched = _improve(self.search, best, int(self.options.seed) + k,
                                  time_left(self.options, self.t0))
            r.search_seconds = time.perf_counter() - t1
        return r


class _Exchange:
    """HiGHS's callbacks: its improving placements, the exchanges, and the stop."""

    def __init__(self, form: CanonicalForm, options: SolveOptions, state: _State,
                 side: _Side) -> None:
        self.form, self.options, self.state, self.side = form, options, state, side
        self.next_sync = SYNC_NODES
        self.stop = False

    def improving(self, event: Any) -> None:
        x = np.array(event.data_out.mip_solution, dtype=float)
        if x.shape[0] != self.form.n_cols or self.form.max_violation(x) > 1e-6:
            return
        self.state.offer(x, self.form.objective_of(x))

    def interrupt(self, event: Any) -> None:
        if self.stop:
            event.data_in.user_interrupt = True

    def user(self, event: Any) -> None:
        nodes = int(event.data_out.mip_node_count)
        if self.stop or nodes < self.next_sync:
            return
        state, k = self.state, self.state.rounds
        t1 = time.perf_counter()
        r = self.side.result()
        waited = time.perf_counter() - t1
        if r is not None:
            self.side.take(state, r)
        bound = float(event.data_out.mip_dual_bound)
        state.offer_bound(bound)
        held = float(event.data_out.mip_primal_bound)  # HiGHS's incumbent
        held_value = held if math.isfinite(held) else None
        state.log.append({"round": k, "component": "highs", "status": "running",
                          "objective": held_value,
                          "bound": bound if math.isfinite(bound) else None, "nodes": nodes,
                          "seconds": round(float(event.data_out.running_time), 3),
                          "waited": round(waited, 3)})
        if state.x is not None and state.objective is not None and (
                held_value is None or state.sign * (state.objective - held_value) > 1e-9):
            event.data_in.setSolution(np.ascontiguousarray(state.x, dtype=np.float64))
        state.rounds = k + 1
        if state.settled(self.options.rel_gap) or (MAX_ROUNDS is not None
                                                   and state.rounds >= MAX_ROUNDS):
            self.stop = True
            return
        self.side.start(k + 1, state.x)
        self.next_sync = nodes + SYNC_NODES * GROWTH ** min(k + 1, MAX_DOUBLINGS)


def _better(form: CanonicalForm, a: np.ndarray | None, b: np.ndarray | None
            ) -> np.ndarray | None:
    """The better of two feasible placements (``a`` on ties), either of which may be None."""
    if a is None or b is None:
        return b if a is None else a
    sign = float(form.sense.sign)
    return b if sign * form.objective_of(b) > sign * form.objective_of(a) + 1e-9 else a


def _take(state: _State, who: str, raw: RawSolution) -> None:
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


def _search(form: CanonicalForm) -> object | None:
    from placement.milp.local_search import LocalSearch, applies

    return LocalSearch(form) if applies(form) else None


def _improve(search: object, x: np.ndarray, seed: int, left: float | None
             ) -> np.ndarray | None:
    from placement.milp.local_search import LocalSearch

    assert isinstance(search, LocalSearch)
    deadline = None if left is None else time.perf_counter() + left
    out = search.improve(x, seed=seed, kicks=KICKS, deadline=deadline)
    return out if out is not None and search.form.max_violation(out) <= 1e-9 else None


def _answer(form: CanonicalForm, options: SolveOptions, state: _State, seconds: float,
            version: str) -> RawSolution:
    extra: dict[str, object] = {"rounds": state.rounds, "components": state.log}
    if state.infeasible and state.x is None:
        return RawSolution(status=Status.INFEASIBLE, seconds=seconds, solver_version=version,
                           message="a component proved the model infeasible", extra=extra)
    if state.x is None:
        status = Status.TIME_LIMIT if options.time_limit is not None else Status.ERROR
        return RawSolution(status=status, seconds=seconds, solver_version=version,
                           message="no placement found", bound=state.bound, extra=extra)
    if state.proven:
        status = Status.OPTIMAL
    else:
        status = Status.TIME_LIMIT if options.time_limit is not None else Status.FEASIBLE
    return RawSolution(status=status, x=state.x, objective=state.objective, bound=state.bound,
                       gap=state.gap(), nodes=state.nodes, seconds=seconds,
                       solver_version=version, extra=extra,
                       message=f"{state.rounds} exchange(s) with one HiGHS search; best bound "
                               "and incumbent shared")
