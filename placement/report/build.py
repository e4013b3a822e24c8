"""Running the analyses a report shows: :func:`build_report`.

Each analysis is timed; one that cannot be carried out exactly on this instance (no weights to
vary, a backend that rounds, no resource for a frontier) leaves its section a sentence saying
why, keyed by the section it would have filled.

Examples
--------
>>> import placement
>>> from placement.report import build_report
>>> rep = build_report(placement.load("instances/tiny-budget"), samples=20)
>>> [s.id for s in rep.sections()]  # doctest: +NORMALIZE_WHITESPACE
['summary', 'placement', 'values', 'tiers', 'baselines', 'options', 'margins',
 'robustness', 'frontier', 'method']
>>> "<img" in rep.to_html() and "figures/values.png" in rep.to_markdown()
True
"""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from placement.analysis import (
    Frontier,
    forcing_costs,
    frontier,
    monte_carlo,
    weight_stability,
)
from placement.analysis.common import reference_optimum
from placement.analysis.compare import Comparison, compare
from placement.analysis.montecarlo import DEFAULT_CONCENTRATION
from placement.errors import AnalysisError, InstanceError, Problem
from placement.model import Instance
from placement.report.document import Report
from placement.util.executor import Executor, ProcessExecutor, SerialExecutor

__all__ = ["build_report", "DEFAULT_SAMPLES", "MAX_AUTO_FORCING_SOLVES"]

#: Monte Carlo draws a report makes unless told otherwise (about 1.5 s on the England
#: instance with one worker).
DEFAULT_SAMPLES = 1000

#: Re-solves the forcing-cost table may take unless asked for explicitly (``forcing=True``):
#: F x (T - 1) grows with the instance, and past a few thousand the table is no longer a quick
#: part of a report.
MAX_AUTO_FORCING_SOLVES = 5000

T = TypeVar("T")

#: Why a per-area report has no forcing costs, stability, Monte Carlo or frontier.
PER_AREA_SKIP = ("it compares one tier per function, and this instance places functions area "
                 "by area; `placement explain PATH FUNCTION --area CODE` gives the forcing "
                 "cost of every tier in one area")


@dataclass
class _Runs:
    """Times each analysis and records, per section, why one was not computed."""

    on_stage: Callable[[str], None] | None
    timings: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def timed(self, name: str, what: str, fn: Callable[[], T]) -> T:
        if self.on_stage is not None:
            self.on_stage(what)
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.timings[name] = time.perf_counter() - t0

    def exact(self, section: str, name: str, what: str, fn: Callable[[], T]) -> T | None:
        """An exact analysis: when the instance or backend cannot have it, ``section`` says
        why instead."""
        try:
            return self.timed(name, what, fn)
        except (InstanceError, AnalysisError) as e:
            self.skipped[section] = str(e).splitlines()[-1].strip(" -")
            return None


def build_report(
    instance: Instance,
    scenarios: Sequence[str] | None = None,
    *,
    optimise: bool = True,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    concentration: float | None = None,
    workers: int = 1,
    resources: Sequence[str] | None = None,
    stability: bool = True,
    forcing: bool | None = None,
    solver: str = "highs",
    time_limit: float | None = None,
    command: str | None = None,
    created: str | None = None,
    on_stage: Callable[[str], None] | None = None,
    executor: Executor | None = None,
) -> Report:
    """Run the analyses a report shows and return the :class:`Report`.

    Parameters
    ----------
    instance
        The instance (as loaded; the optimum is of the instance with no scenario).
    scenarios
        Scenario ids to compare, in order (``None``: every scenario of the instance; ``[]``:
        no comparison).
    optimise
        Also optimise under each scenario's overrides.
    samples, seed, concentration, workers
        Monte Carlo robustness (``samples=0`` skips it; ``concentration`` defaults to the
        analysis's own default).
    resources
        Resources to draw a budget frontier for (``None``: the first resource, if any; ``[]``:
        no frontier).
    stability, forcing
        Whether to compute exact weight stability and the forcing-cost table (``forcing=None``:
        when it takes at most :data:`MAX_AUTO_FORCING_SOLVES` re-solves).
    solver, time_limit
        Backend and per-solve limit (exact analyses need proven optima; CP-SAT, which rounds
        coefficients, is refused by stability and frontier, and those sections then say so).
    command, created
        How the report was asked for (shown under "how to reproduce") and when (ISO text;
        default now, UTC).
    on_stage
        Called with a short description as each analysis starts (for progress output).
    executor
        Where the forcing costs, the stability searches and the Monte Carlo draws run
        (:mod:`placement.util.executor`); default: ``workers`` local processes, or this
        process when ``workers`` is 1. The report is the same on any executor.

    Raises
    ------
    InstanceError
        Unknown scenario or resource, bad Monte Carlo parameters.
    placement.errors.InfeasibleError
        The instance has no placement (its diagnosis is on the error).
    AnalysisError
        A solve ended without a proof.
    """

    ids, res_ids = _validate(instance, scenarios, resources, samples)
    ex = executor if executor is not None else (
        ProcessExecutor(workers) if workers > 1 else SerialExecutor())
    conc = DEFAULT_CONCENTRATION if concentration is None else concentration
    runs = _Runs(on_stage)
    optimum = runs.timed("optimum", "solving the instance",
                         lambda: reference_optimum(instance, None, solver, time_limit))
    has_model = optimum.instance.model is not None and optimum.instance.values is None
    comparison = _comparison(runs, instance, ids, optimise, solver, time_limit)
    resolves = instance.n_functions * max(len(optimum.instance.tiers) - 1, 0)
    fc = None
    if instance.per_area:  # these analyses compare one tier per function
        for section in ("margins", "stability", "robustness", "frontier"):
            runs.skipped[section] = PER_AREA_SKIP
        forcing, stability, samples, res_ids = False, False, 0, []
    elif forcing is None and resolves > MAX_AUTO_FORCING_SOLVES:
        runs.skipped["margins"] = (
            f"it would take up to {resolves:,} re-solves (more than "
            f"{MAX_AUTO_FORCING_SOLVES:,}); ask for it explicitly (--forcing) or use "
            "`placement explain PATH FUNCTION` for single functions")
    elif forcing is False:
        runs.skipped["margins"] = "switched off"
    else:
        fc = runs.exact("margins", "forcing costs", "forcing every function to every tier",
                        lambda: forcing_costs(instance, solver=solver, time_limit=time_limit,
                                              executor=ex))
    no_weights = "the instance gives its values directly (no weights to vary)"
    ws = None
    if stability and has_model:
        ws = runs.exact("stability", "stability", "weight stability",
                        lambda: weight_stability(instance, solver=solver,
                                                 time_limit=time_limit, executor=ex))
    elif stability:
        runs.skipped["stability"] = no_weights
    mc = None
    if samples and has_model:
        mc = runs.exact("robustness", "robustness", f"Monte Carlo robustness ({samples:,} draws)",
                        lambda: monte_carlo(instance, samples, seed=seed, concentration=conc,
                                            workers=workers, solver=solver, executor=ex))
    elif not instance.per_area:
        runs.skipped["robustness"] = no_weights if samples else "switched off (0 samples)"
    frontiers = _frontiers(runs, instance, res_ids, solver, time_limit)
    return Report(
        optimum=optimum, comparison=comparison, forcing=fc, stability=ws, monte_carlo=mc,
        frontiers=frontiers,
        parameters={"scenarios": ids, "optimise": optimise, "samples": samples, "seed": seed,
                    "concentration": conc, "workers": workers, "resources": res_ids,
                    "stability": stability, "forcing": forcing, "solver": solver,
                    "time_limit": time_limit},
        timings=runs.timings,
        skipped=runs.skipped,
        created=created or _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command=command,
    )


def _validate(instance: Instance, scenarios: Sequence[str] | None,
              resources: Sequence[str] | None, samples: object) -> tuple[list[str], list[str]]:
    """The scenario and resource ids to use; every unknown one (and bad ``samples``) at once."""
    ids = list(instance.scenarios) if scenarios is None else list(scenarios)
    problems = [Problem(None, "scenario", None, s,
                        f"a scenario of instance '{instance.name}' "
                        f"({', '.join(instance.scenarios) or 'none defined'})")
                for s in ids if s not in instance.scenarios]
    res_ids = list(instance.resource_ids[:1]) if resources is None else list(resources)
    problems += [Problem(None, "resources", None, r,
                         f"a resource of instance '{instance.name}' "
                         f"({', '.join(instance.resource_ids) or 'it has none'})")
                 for r in res_ids if r not in instance.resource_ids]
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
        problems.append(Problem(None, "samples", None, samples,
                                "a whole number of weight draws, 0 (none) or more"))
    if problems:
        raise InstanceError(problems, subject="report")
    return ids, res_ids


def _comparison(runs: _Runs, instance: Instance, ids: list[str], optimise: bool, solver: str,
                time_limit: float | None) -> Comparison | None:
    if not ids:
        runs.skipped["options"] = ("the instance defines no scenarios" if not instance.scenarios
                                   else "no scenario was asked for")
        return None
    return runs.timed("comparison", f"comparing {len(ids)} scenario(s)",
                      lambda: compare(instance, ids, optimise=optimise, solver=solver,
                                      time_limit=time_limit))


def _frontiers(runs: _Runs, instance: Instance, res_ids: list[str], solver: str,
               time_limit: float | None) -> list[Frontier]:
    if not res_ids and "frontier" not in runs.skipped:
        runs.skipped["frontier"] = ("the instance has no resources" if not instance.resources
                                    else "no resource was asked for")
    out = []
    for rid in res_ids:
        def one(rid: str = rid) -> Frontier:
            return frontier(instance, rid, solver=solver, time_limit=time_limit)

        fr = runs.exact("frontier", f"frontier {rid}", f"budget frontier of {rid}", one)
        if fr is not None:
            out.append(fr)
    return out
