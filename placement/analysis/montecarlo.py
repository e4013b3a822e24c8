"""Monte Carlo robustness (docs/model.md section 7): how often each function lands at each tier
when the criterion weights are drawn around the model's.

What is computed
----------------
Let ``w`` be the model's weights (scenario applied) and ``W = sum(w)``. Each draw is

    w' = W * d,    d ~ Dirichlet(K * w / W)

over the criteria with a positive weight (a criterion weighted 0 stays 0), so ``E[w'] = w``,
every draw has the model's total weight, and the concentration ``K`` sets the spread: the
share ``d_c`` of a criterion with mean share ``m_c`` has standard deviation
``sqrt(m_c (1 - m_c) / (K + 1))`` (``K = 50``, ``m_c = 0.2``: 0.056, i.e. 28% of the weight).
For every draw the placement is re-optimised exactly (a proven optimum, not a heuristic), and
the result is, for each function, the share of draws placing it at each tier.

How
---
All weights are drawn up front from one ``numpy.random.Generator`` seeded with ``seed``, in
the parent process, so the draws do not depend on how many workers there are. The draws are
cut into chunks and handed to an executor (:mod:`placement.util.executor`: this process,
local worker processes started with ``spawn``, since HiGHS keeps a thread pool that does not
survive ``fork``, or a Dask cluster, the instance shipped once). Each worker builds the
canonical form once, loads it into one solver session, and for every draw changes only the
objective of the ``x`` columns (the values ``v[f, t]`` from
:func:`placement.model.scoring.value_matrix_for_weights`); soft-link penalty columns, rows and
bounds stay as loaded. Each re-solve starts from scratch (and, with HiGHS, from the same known
placement), so a draw's answer does not depend on which worker solved it or what it solved
before: the result is the same for a seed whatever ``workers`` is.

A draw needs no solve when the placement ``a0`` the worker found at the model's weights is
provably still optimal: when its value reaches the bound ``sum_f max_t v[f, t]`` (each
function at its best allowed tier, penalties ignored) within a relative 1e-9. That is exact
(nothing can beat the bound) and decided by the draw alone; such draws are counted in
``screened``.

Ties: when a draw has several optimal placements, the one recorded is the solver's (or
``a0``, for screened draws). Ties between placements with different value occur with
probability zero under continuous weights; placements that tie for every weight (e.g. two
tiers with identical performance for a function) are resolved the same way in every draw.

This module draws the weights and solves them (in this process or in workers);
:mod:`placement.analysis.montecarlo_result` holds what :func:`monte_carlo` returns.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from placement.analysis.common import (
    RELATIVE_TOLERANCE,
    open_session,
    optimal_assignment,
    penalty,
    reference_optimum,
    require_model,
    require_single_area,
)
from placement.analysis.montecarlo_result import MonteCarlo
from placement.errors import InstanceError, Problem
from placement.milp import build
from placement.model import NO_TIER, Instance, Scenario
from placement.model.scoring import value_matrix_for_weights
from placement.solvers.base import SolveOptions
from placement.util.executor import Executor, ProcessExecutor, SerialExecutor, per_worker

if TYPE_CHECKING:
    from placement.solvers.base import Session

__all__ = ["monte_carlo", "draw_weights", "DEFAULT_CONCENTRATION"]

#: Default Dirichlet concentration K (see the module docstring for the spread it gives).
DEFAULT_CONCENTRATION = 50.0

#: Called with the number of draws just finished.
Progress = Callable[[int], None]


def draw_weights(weights: np.ndarray, samples: int, concentration: float,
                 seed: int | np.random.Generator = 0) -> np.ndarray:
    """``samples`` weight vectors around ``weights`` (rows), each with the same total.

    Dirichlet with mean ``weights / sum(weights)`` and concentration ``concentration``, scaled
    back to ``sum(weights)``; criteria weighted 0 stay 0.

    Examples
    --------
    >>> import numpy as np
    >>> W = draw_weights(np.array([1.0, 3.0, 0.0]), 4, 50.0, seed=1)
    >>> W.shape, bool(np.allclose(W.sum(axis=1), 4.0)), bool((W[:, 2] == 0).all())
    ((4, 3), True, True)
    >>> bool((draw_weights(np.array([1.0, 3.0]), 3, 50.0, seed=1) == W[:3, :2]).all())
    True
    """
    w = np.asarray(weights, dtype=float)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    pos = w > 0
    out = np.zeros((int(samples), w.shape[0]))
    if not pos.any():
        return out
    total = float(w[pos].sum())
    alpha = concentration * w[pos] / total
    out[:, pos] = rng.dirichlet(alpha, size=int(samples)) * total
    return out


class _DrawSolver:
    """One worker's loaded model: built once, re-solved for each draw with new x costs."""

    def __init__(self, inst: Instance, solver: str) -> None:
        self.inst = inst
        self.form = build(inst)
        # one thread per worker: the workers are the parallelism, and the same options in
        # every process keep the answers independent of the number of workers
        self.session: Session = open_session(self.form, solver, SolveOptions(threads=1))
        self.c = self.form.c.copy()
        self.n_x = self.form.n_x
        self.sign = inst.sense.sign
        raw = self.session.solve()
        self.a0 = optimal_assignment(self.form, raw, "Monte Carlo: the model's own weights")
        set_start = getattr(self.session, "set_start", None)
        if callable(set_start):  # every draw starts from the same known placement
            set_start(raw.x)
        self.p0 = penalty(inst, self.a0)
        # where each function may go (its pin, if any): the screening bound's best tiers
        fn = inst.functions
        mask = fn.allowed.copy()
        pinned = np.nonzero(fn.pinned != NO_TIER)[0]
        mask[pinned] = False
        mask[pinned, fn.pinned[pinned]] = True
        self.mask = mask
        self.rows = np.arange(inst.n_functions)

    def solve(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Assignments (n, F), objectives (n,) and screened flags (n,) for ``weights`` (n, C)."""
        n = weights.shape[0]
        F = self.inst.n_functions
        out = np.empty((n, F), dtype=np.int16)
        obj = np.empty(n)
        screened = np.zeros(n, dtype=bool)
        for i in range(n):
            v = value_matrix_for_weights(self.inst, weights[i])
            sv = self.sign * v
            bound = float(np.where(self.mask, sv, -np.inf).max(axis=1).sum())
            at_a0 = float(sv[self.rows, self.a0].sum()) - self.p0
            if at_a0 >= bound - RELATIVE_TOLERANCE * max(1.0, abs(bound)):
                a = self.a0
                screened[i] = True
                pen = self.p0
            else:
                self.c[: self.n_x] = v.ravel()
                self.session.set_objective(self.c)
                a = optimal_assignment(self.form, self.session.solve(),
                                       f"Monte Carlo draw {i}")
                pen = penalty(self.inst, a)
            out[i] = a
            obj[i] = float(v[self.rows, a].sum()) - self.sign * pen
        return out, obj, screened


def _solve_chunk(shared: tuple[Instance, str], item: tuple[int, np.ndarray]
                 ) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """One task on any executor: the draws from ``start`` on, returned with ``start`` so the
    parent can put them back in place whatever order tasks finish in. The model is built and
    loaded once per worker (:func:`placement.util.executor.per_worker`)."""
    inst, solver = shared
    start, weights = item
    worker = per_worker(shared, "monte-carlo", lambda: _DrawSolver(inst, solver))
    return (start, *worker.solve(weights))


def _validate(samples: object, concentration: object, workers: object,
              chunk_size: object) -> list[Problem]:
    """Every problem with the arguments of :func:`monte_carlo`, to report at once."""
    problems = []
    if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
        problems.append(Problem(None, "--samples", None, samples,
                                "a whole number of draws, 1 or more"))
    if (isinstance(concentration, bool) or not isinstance(concentration, int | float)
            or not math.isfinite(concentration) or concentration <= 0):
        problems.append(Problem(None, "--concentration", None, concentration,
                                "a positive number (the Dirichlet concentration; larger "
                                "draws stay closer to the model's weights)"))
    if isinstance(workers, bool) or not isinstance(workers, int | np.integer) or workers < 1:
        problems.append(Problem(None, "--workers", None, workers,
                                "a whole number of worker processes, 1 or more"))
    if chunk_size is not None and (isinstance(chunk_size, bool)
                                   or not isinstance(chunk_size, int | np.integer)
                                   or chunk_size < 1):
        problems.append(Problem(None, "chunk_size", None, chunk_size,
                                "a whole number of draws per chunk, 1 or more"))
    return problems


def monte_carlo(
    instance: Instance,
    samples: int,
    *,
    seed: int = 0,
    concentration: float = DEFAULT_CONCENTRATION,
    workers: int = 1,
    scenario: str | Scenario | None = None,
    solver: str = "highs",
    progress: Progress | None = None,
    chunk_size: int | None = None,
    executor: Executor | None = None,
) -> MonteCarlo:
    """Share of weight draws placing each function at each tier (see the module docstring).

    Parameters
    ----------
    instance
        An instance with a scoring model (a scenario, if given, is applied first).
    samples
        Number of weight draws.
    seed
        Seed of the one generator all draws come from: same seed, same result, whatever
        ``workers`` is.
    concentration
        Dirichlet concentration K: larger keeps the draws closer to the model's weights.
    workers
        Worker processes (1: solve in this process).
    scenario, solver
        Scenario to apply; backend (HiGHS re-solves a loaded model, others rebuild it).
    progress
        Called with the number of draws just finished, as chunks complete.
    chunk_size
        Draws per task handed to a worker (default: about eight tasks per worker, at most 50
        draws each).
    executor
        Where the chunks run (:mod:`placement.util.executor`): a Dask cluster, say; by default
        ``workers`` local processes, or this process when ``workers`` is 1.

    Returns
    -------
    MonteCarlo
        ``frame()`` (one row per function: shares per tier, the optimum's tier and share,
        the modal tier), ``shares``, the draws and their placements, ``to_json()``.

    Raises
    ------
    InstanceError
        Bad ``samples``, ``concentration`` or ``workers``; an instance without a scoring model
        or without a positive weight.
    placement.errors.InfeasibleError
        The instance has no placement at all.

    Examples
    --------
    >>> import placement
    >>> from placement.analysis.montecarlo import monte_carlo
    >>> mc = monte_carlo(placement.load("instances/tiny-budget"), 40, seed=1)
    >>> mc.frame().loc[["procurement", "commissioning"], ["optimum", "share_at_optimum"]]
    ... # doctest: +NORMALIZE_WHITESPACE
                    optimum  share_at_optimum
    function
    procurement    national             1.000
    commissioning    region             0.875
    >>> mc.shares.sum(axis=1).round(12).unique().tolist()
    [1.0]
    """
    problems = _validate(samples, concentration, workers, chunk_size)
    if problems:
        raise InstanceError(problems, subject="Monte Carlo robustness")
    t0 = time.perf_counter()
    inst = instance.with_scenario(scenario)  # as placement.solve applies it
    require_single_area(inst, "Monte Carlo robustness")
    model = require_model(inst, "Monte Carlo robustness")
    if not (model.weights > 0).any():
        raise InstanceError.single(None, f"model {model.id}", "weight", 0.0,
                                   "at least one criterion with a positive weight to draw "
                                   "around", subject="Monte Carlo robustness")
    n = int(samples)
    W = draw_weights(model.weights, n, float(concentration), seed)
    w = int(workers)
    k = int(chunk_size) if chunk_size is not None else max(1, min(50, math.ceil(n / (8 * w))))
    starts = list(range(0, n, k))
    F = inst.n_functions
    assignments = np.empty((n, F), dtype=np.int16)
    objectives = np.empty(n)
    screened = 0
    if executor is None:
        executor = ProcessExecutor(w) if min(w, len(starts)) > 1 else SerialExecutor()
    used = min(executor.workers, len(starts))
    t1 = time.perf_counter()
    ref = reference_optimum(instance, scenario, solver)
    shared = (inst, solver)
    for _, (s, a, o, sc) in executor.run(_solve_chunk, shared,
                                         [(s, W[s:s + k]) for s in starts]):
        assignments[s:s + a.shape[0]], objectives[s:s + a.shape[0]] = a, o
        screened += int(sc.sum())
        if progress is not None:
            progress(a.shape[0])
    assert ref.assignment is not None
    now = time.perf_counter()
    return MonteCarlo(
        instance=inst,
        optimum=np.asarray(ref.assignment, dtype=np.int64),
        weights=W,
        assignments=assignments,
        objectives=objectives,
        screened=screened,
        seed=int(seed),
        concentration=float(concentration),
        workers=used,
        solver=solver,
        seconds=now - t0,
        solve_seconds=now - t1,
    )
