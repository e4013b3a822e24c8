"""A portfolio of HiGHS, CP-SAT and a local search, in rounds that share the incumbent.

Each round runs HiGHS and CP-SAT side by side (the threads split between them: HiGHS
``threads // 2``, CP-SAT the rest; with one thread they take turns), both starting from the best
placement so far (HiGHS ``setSolution``, CP-SAT's hint). Each stops at a *work* limit that
grows fourfold every round: HiGHS a branch-and-bound node limit (``mip_max_nodes``), CP-SAT a
deterministic time (``max_deterministic_time``, with ``interleave_search`` so that its workers
are deterministic too). The best placement they return becomes the incumbent (ties: HiGHS's
first), the local search of :mod:`placement.milp.local_search` (shift and swap moves, random
kicks drawn from the seed) improves it, and the best bound any component proved is the bound.
The run stops when a component proves optimality, when the incumbent is within ``rel_gap`` of
the bound, or at the time limit.

Determinism. Component seeds are ``seed + round``; the slices end at work limits; the local
search counts kicks. So for a fixed seed and thread count the sequence of incumbents and bounds
after each completed round is the same from run to run, and a run that ends by a proof (no time
limit, or a proof before it) returns the same placement every time. The wall-clock time limit
is only an outer stop: a round it cuts short ends where the clock says, so the answer of a run
that ends at its time limit may differ in its last round.

Models with continuous columns (which CP-SAT cannot take) and forms outside the local search's
scope run HiGHS alone, or the two solvers without the search.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

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

__all__ = ["PortfolioBackend", "HIGHS_NODES", "CPSAT_DETERMINISTIC", "KICKS"]

#: HiGHS's node limit in the first round (times GROWTH every round).
HIGHS_NODES = 100
#: CP-SAT's deterministic time in the first round (times GROWTH every round).
CPSAT_DETERMINISTIC = 3.0
#: Local-search kicks after each round.
KICKS = 20
#: How much longer each round's slices are than the last's: few HiGHS restarts, and the last
#: round (the one the time limit usually ends) a long uninterrupted search.
GROWTH = 4
#: Rounds after which the slices stop growing.
MAX_DOUBLINGS = 4
#: Stop after this many rounds (None: until a proof or the time limit); for tests.
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
        if bound is not None and (self.bound is None or self.sign * bound < self.sign * self.bound):
            self.bound = bound

    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound)


class PortfolioBackend:
    """HiGHS and CP-SAT in rounds sharing the incumbent, with a local search between rounds."""

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
        search = _search(form)
        threads = options.threads or os.cpu_count() or 1
        with ThreadPoolExecutor(max_workers=1) as pool:
            while not self._done(state, options, t0):
                self._round(form, options, state, threads, pool, t0)
                if search is not None and state.x is not None and not self._done(
                        state, options, t0):
                    _improve(form, search, state, options, t0)
                state.rounds += 1
        return _answer(form, options, state, time.perf_counter() - t0, self.version())

    def _done(self, state: _State, options: SolveOptions, t0: float) -> bool:
        if state.proven or state.infeasible:
            return True
        gap = state.gap()
        if gap is not None and gap <= options.rel_gap + 1e-12:
            state.proven = True
            return True
        if MAX_ROUNDS is not None and state.rounds >= MAX_ROUNDS:
            return True
        left = time_left(options, t0)
        return left is not None and left < MIN_SOLVER_SECONDS

    def _round(self, form: CanonicalForm, options: SolveOptions, state: _State, threads: int,
               pool: ThreadPoolExecutor, t0: float) -> None:
        """One round: both solvers from the incumbent, each to its work limit."""
        k = min(state.rounds, MAX_DOUBLINGS)
        seed = int(options.seed) + state.rounds
        h_threads = max(1, threads // 2)
        c_threads = max(1, threads - h_threads)
        start = None if state.x is None else state.x.copy()

        def slice_options(n: int) -> SolveOptions | None:
            left = time_left(options, t0)
            if left is not None and left < MIN_SOLVER_SECONDS:
                return None  # the time limit is used up
            return replace(options, threads=n, seed=seed, log=False, time_limit=left)

        def run_cpsat() -> RawSolution | None:
            opts = slice_options(c_threads)
            return None if opts is None else self.cpsat.solve(form, opts, start, parameters={
                "max_deterministic_time": CPSAT_DETERMINISTIC * GROWTH**k,
                "interleave_search": True})

        def run_highs() -> RawSolution | None:
            opts = slice_options(h_threads)
            return None if opts is None else _highs_slice(self.highs, form, opts, start,
                                                          HIGHS_NODES * GROWTH**k)

        if threads >= 2:
            future = pool.submit(run_cpsat)
            h = run_highs()
            c = future.result()
        else:
            h = run_highs()
            c = run_cpsat() if not self._done(state, options, t0) else None
        for who, raw in (("highs", h), ("cp-sat", c)):
            if raw is not None:
                _take(state, who, raw)


def _highs_slice(highs: HighsBackend, form: CanonicalForm, options: SolveOptions,
                 start: np.ndarray | None, nodes: int) -> RawSolution:
    session = highs.open(form, options)
    session.set_option("mip_max_nodes", int(nodes))
    session.set_start(start)
    return session.solve()


def _take(state: _State, who: str, raw: RawSolution) -> None:
    if raw.status is Status.ERROR:
        state.log.append({"round": state.rounds, "component": who, "status": "error",
                          "message": raw.message})
        return
    improved = state.offer(raw.x, raw.objective)
    exact = who == "highs" or not (raw.extra.get("rows_tightened") or
                                   raw.extra.get("rows_approximate"))
    if raw.status is Status.INFEASIBLE and exact and state.x is None:
        state.infeasible = True
    if raw.status is Status.OPTIMAL and raw.objective is not None:
        state.offer_bound(raw.bound if raw.bound is not None else raw.objective)
        state.proven = state.objective is not None and \
            state.sign * state.objective >= state.sign * raw.objective - 1e-9
    else:
        state.offer_bound(raw.bound)
    state.nodes += int(raw.nodes or 0)
    state.log.append({"round": state.rounds, "component": who, "status": raw.status.value,
                      "objective": raw.objective, "bound": raw.bound, "improved": improved,
                      "seconds": round(raw.seconds, 3)})


def _search(form: CanonicalForm) -> object | None:
    from placement.milp.local_search import LocalSearch, applies

    return LocalSearch(form) if applies(form) else None


def _improve(form: CanonicalForm, search: object, state: _State, options: SolveOptions,
             t0: float) -> None:
    from placement.milp.local_search import LocalSearch

    assert isinstance(search, LocalSearch) and state.x is not None
    left = time_left(options, t0)
    deadline = None if left is None else time.perf_counter() + left
    t1 = time.perf_counter()
    x = search.improve(state.x, seed=int(options.seed) + state.rounds, kicks=KICKS,
                       deadline=deadline)
    objective = None if x is None else form.objective_of(x)
    improved = x is not None and form.max_violation(x) <= 1e-9 and state.offer(x, objective)
    state.log.append({"round": state.rounds, "component": "local-search",
                      "status": "feasible" if x is not None else "skipped",
                      "objective": objective, "bound": None, "improved": improved,
                      "seconds": round(time.perf_counter() - t1, 3)})


def _answer(form: CanonicalForm, options: SolveOptions, state: _State, seconds: float,
            version: str) -> RawSolution:
    extra: dict[str, object] = {"rounds": state.rounds, "components": state.log}
    if state.infeasible:
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
                       message=f"{state.rounds} round(s); best bound and incumbent shared")
