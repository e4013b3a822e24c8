"""A portfolio: one uninterrupted HiGHS search, and beside it a core search, CP-SAT, a local
search and a large-neighbourhood search in rounds, sharing placements at fixed points of
HiGHS's tree.

HiGHS runs a single branch-and-bound from start to end (``threads // 2`` threads), so its tree,
cuts and bound are never thrown away. Every placement it finds is *polished* at once by the
shift-and-swap local search of :mod:`placement.milp.local_search`, on HiGHS's thread. Beside
it, on the other threads, the *side* (:mod:`placement.solvers.portfolio_side`) runs rounds from
the best placement so far: the first begins with the core search of
:mod:`placement.solvers.core_search` (HiGHS on each function's few columns of least reduced
cost; HiGHS's first exchange is then at ``CORE_SYNC_NODES``), then in every round CP-SAT, the
local search, then the large-neighbourhood search of :mod:`placement.solvers.lns`. The two meet
at *exchanges*: HiGHS asks for a user placement before every dive, and once its node count
reaches the next exchange (after ``SYNC_NODES`` nodes, then ``GROWTH`` times further each time,
for ``STRETCH_DOUBLINGS`` exchanges) it waits for the side's round to end, takes the side's
placements and bound into the shared best, and starts the side's next round from that (or keeps
the one the side ran ahead from its own best, when the shared best is no better). The best
bound either proved is the bound; at an exchange where the incumbent is within ``rel_gap`` of
it, HiGHS is interrupted and the answer is proven. With one thread the side's rounds run inside
HiGHS's callback, in turn with it.

HiGHS's own search is left as it would run alone: a placement is handed to it
(``setSolution``) only while it holds none. Handing it better placements changed its path in
ways that cost as often as they paid: on OR-Library's E instances, where HiGHS alone proves the
optimum in 30 s, it then failed to; on some D instances it then held a better placement
(issue 15's closing notes). Left alone, it follows the path it takes alone, only slower by the
time the polishes and the side take from it, and the answer is the best of it and the side.

Determinism. HiGHS's search is deterministic, and so are its node counts at its callbacks; the
polishes are seeded by their count, the side's rounds end at work limits with seeds
``seed + round`` and begin from placements the exchanges fix; exchanges happen at node counts
only. So for a fixed seed and thread count the incumbents and bounds at every exchange are the
same from run to run, and a run that ends by a proof returns the same placement every time. The
wall-clock time limit is only an outer stop: the rounds it cuts short end where the clock says,
so a run that ends at its time limit may differ there.

Models with continuous columns (which CP-SAT cannot take) run HiGHS alone; forms outside the
local search's scope run without it, and per-area forms without the large-neighbourhood search
and the core search (which also leaves out forms where its core would keep more than a fifth
of the placement columns: there HiGHS would wait for it longer than it pays).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.solvers import portfolio_side as sides
from placement.solvers.base import (
    MIN_SOLVER_SECONDS,
    Capabilities,
    RawSolution,
    RebuildSession,
    SolveOptions,
    Status,
    time_left,
)
from placement.solvers.cpsat import CpSatBackend
from placement.solvers.highs import HighsBackend
from placement.solvers.portfolio_side import Side, State, improve, take

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = ["PortfolioBackend", "SYNC_NODES", "CORE_SYNC_NODES", "STRETCH_DOUBLINGS",
           "POLISH_SEED", "MAX_ROUNDS"]

#: HiGHS's node count at the first exchange (then GROWTH times further after each one).
SYNC_NODES = 100
#: HiGHS's node count at the first exchange where the side's first round begins with a core
#: search, which HiGHS waits for there. At SYNC_NODES it waited 13-25 s of 30 on OR-Library's
#: 20-agent instances (portfolio-core). A core search's 5,000 nodes take about as long as
#: 1,500 of HiGHS's on the whole form there (e20100: 130 and 40 nodes a second), so HiGHS now
#: searches on while the core is searched. With one thread the side's rounds run in HiGHS's
#: callback, so the first exchange stays at SYNC_NODES: on e20100 at 30 s, 8436 against 8461
#: at CORE_SYNC_NODES.
CORE_SYNC_NODES = 2_000
#: Exchanges after which HiGHS's stretches between them stop growing.
STRETCH_DOUBLINGS = 4
#: Added to the seed of the polishes (the side's rounds use ``seed + round``).
POLISH_SEED = 1_000_003
#: Interrupt HiGHS after this many exchanges (None: until a proof or the time limit); for tests.
MAX_ROUNDS: int | None = None


class PortfolioBackend:
    """One HiGHS search with a core search, CP-SAT and two local searches beside it,
    sharing placements."""

    name: str = "portfolio"
    label: str = "Portfolio (HiGHS + core search + CP-SAT + local and neighbourhood search)"
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
        state = State(sign=float(form.sense.sign))
        if start is not None and form.max_violation(start) <= 1e-6:
            state.offer(np.asarray(start, dtype=float), form.objective_of(start))
        threads = options.threads or os.cpu_count() or 1
        h_threads = max(1, threads // 2)
        side = Side(self.cpsat, form, options, max(1, threads - h_threads), t0,
                    inline=threads < 2, highs_threads=h_threads)
        try:
            side.start(0, state.x)
            raw = self._run_highs(form, replace(options, threads=h_threads), state, side, t0)
            side.stop()
        finally:
            side.close()
        state.kept = side.kept
        take(state, "highs", raw)
        # Rounds no exchange took (run ahead, or cut short by the stop) end where the clock
        # says: their placements count only where the clock ended the run, so that a run
        # ended by a proof or an interrupt is the same every time.
        ahead = side.leftovers()
        if raw.status is Status.TIME_LIMIT:
            for last in ahead:
                if not state.settled(options.rel_gap):
                    side.take(state, last)
        state.settled(options.rel_gap)
        return _answer(form, options, state, time.perf_counter() - t0, self.version())

    def _run_highs(self, form: CanonicalForm, options: SolveOptions, state: State,
                   side: Side, t0: float) -> RawSolution:
        """HiGHS from the start to its end, meeting the side from its callbacks.

        HiGHS keeps its restarts, as it runs alone (they prove OR-Library's e10100 in 18 s).
        HiGHS 1.12 screens a placement handed to it by comparing its objective in the
        original model with its incumbent's in its own reduced model, which a restart shifts
        by the cost of the columns it fixes, and silently drops one better by less than that
        shift; it is handed placements only while it holds none, where no shift matters.
        """
        session = self.highs.open(form, replace(options, log=False))
        left = time_left(options, t0)
        if left is not None:
            session.set_option("time_limit", max(float(left), MIN_SOLVER_SECONDS))
        session.set_start(state.x)
        exchange = _Exchange(form, options, state, side)
        session.subscribe("cbMipImprovingSolution", exchange.improving)
        session.subscribe("cbMipUserSolution", exchange.user)
        session.subscribe("cbMipInterrupt", exchange.interrupt)
        return session.solve()


class _Exchange:
    """HiGHS's callbacks: its improving placements (each polished at once by the local search,
    on HiGHS's thread), the exchanges, and the stop."""

    def __init__(self, form: CanonicalForm, options: SolveOptions, state: State,
                 side: Side) -> None:
        self.form, self.options, self.state, self.side = form, options, state, side
        # with one thread the core search runs in HiGHS's callback, in turn with it: early
        self.next_sync = CORE_SYNC_NODES if side.core is not None and not side.inline \
            else SYNC_NODES
        self.stop = False
        self.polished = 0  # HiGHS placements polished so far (the polish's seed)
        self.handed: float | None = None  # the objective last handed to HiGHS

    def improving(self, event: Any) -> None:
        x = np.array(event.data_out.mip_solution, dtype=float)
        if x.shape[0] != self.form.n_cols or self.form.max_violation(x) > 1e-6:
            return
        objective = self.form.objective_of(x)
        if not self.state.offer(x, objective):
            return
        self.state.note(self.state.rounds, "highs-placement", "feasible", objective,
                        improved=True, nodes=int(event.data_out.mip_node_count))
        if self.side.search is None or self.stop:
            return
        self.polished += 1
        t1 = time.perf_counter()
        y = improve(self.side.search, x, int(self.options.seed) + POLISH_SEED + self.polished,
                     time_left(self.options, self.side.t0))
        value = None if y is None else self.form.objective_of(y)
        # the shared best only: HiGHS is not told (see hand)
        self.state.note(self.state.rounds, "polish", "feasible" if y is not None else "skipped",
                        value, improved=y is not None and self.state.offer(y, value),
                        **{"from": objective, "seconds": round(time.perf_counter() - t1, 3)})

    def hand(self, event: Any) -> None:
        """Hand HiGHS the best placement so far while it holds none of its own (once per
        placement: HiGHS checks it, and may have reasons not to keep it)."""
        state = self.state
        if state.x is None or state.objective == self.handed or \
                math.isfinite(float(event.data_out.mip_primal_bound)):
            return
        event.data_in.setSolution(np.ascontiguousarray(state.x, dtype=np.float64))
        self.handed = state.objective

    def interrupt(self, event: Any) -> None:
        if self.stop:
            event.data_in.user_interrupt = True

    def user(self, event: Any) -> None:
        nodes = int(event.data_out.mip_node_count)
        if self.stop:
            return
        if nodes < self.next_sync:
            self.hand(event)
            return
        state, k = self.state, self.state.rounds
        t1 = time.perf_counter()
        r = self.side.result(k)
        waited = time.perf_counter() - t1
        if r is not None:
            self.side.take(state, r)
        bound = float(event.data_out.mip_dual_bound)
        state.offer_bound(bound)
        held = float(event.data_out.mip_primal_bound)  # HiGHS's incumbent
        state.note(k, "highs", "running", held if math.isfinite(held) else None,
                   bound if math.isfinite(bound) else None, nodes=nodes,
                   seconds=round(float(event.data_out.running_time), 3),
                   waited=round(waited, 3))
        self.hand(event)
        state.rounds = k + 1
        if state.settled(self.options.rel_gap) or (MAX_ROUNDS is not None
                                                   and state.rounds >= MAX_ROUNDS):
            self.stop = True
            return
        self.side.start(k + 1, state.x)
        self.next_sync = nodes + SYNC_NODES * sides.GROWTH ** min(k + 1, STRETCH_DOUBLINGS)


def _answer(form: CanonicalForm, options: SolveOptions, state: State, seconds: float,
            version: str) -> RawSolution:
    extra: dict[str, object] = {"rounds": state.rounds, "rounds_ahead_kept": state.kept,
                                "components": state.log}
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
                       message=f"{state.rounds} exchange(s) with one HiGHS search; the best "
                               "placement and bound of all")
