"""The library entry points: :func:`solve` and :func:`evaluate`."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement import solvers
from placement.errors import InstanceError, Problem
from placement.milp import CanonicalForm, build
from placement.model import NO_TIER, Instance, Scenario
from placement.model.area_merge import merge_alike_areas
from placement.model.area_rules import fixed_area_placement
from placement.model.scenario import fixed_assignment
from placement.solution import anytime, area_result
from placement.solution.anytime import Prepared, merge, prepare, reserve_seconds
from placement.solution.baselines import one_size_baselines, single_tier_warning
from placement.solution.checker import check
from placement.solution.diagnosis import diagnose
from placement.solution.merged import unmerge
from placement.solution.result import Result
from placement.solution.structured import applies, meets, solve_structured
from placement.solution.subsidiarity import SubsidiarityReport, solve_subsidiarity
from placement.solution.uniform_structure import uniform_structure
from placement.solvers.base import (
    MIN_SOLVER_SECONDS,
    RawSolution,
    SolveOptions,
    Status,
    relative_gap,
)

if TYPE_CHECKING:
    from placement.solution.subsidiarity import Stage

__all__ = ["solve", "evaluate", "solve_form", "solve_within", "result_from_raw"]

#: With a time limit: the share of it (at most PREPARE_CAP seconds) spent on the Lagrangian
#: bound and the construction before the backend starts.
PREPARE_SHARE = 0.2
PREPARE_CAP = 2.0
#: With a time limit: the share of it after which the search over several rows' prices
#: (caps beside a budget) stops with the best found; a placement and the cores follow it.
#: 20,000 x 50 with caps and links needs about 3 s of search: at a quarter, it and 200,000
#: x 5 at limits of 4-8 s ended 0.57-1.43% from the bound, at a half (and a search cut short
#: built on) 0.000-0.64% (benchmarks/results/time-limits).
SEARCH_SHARE = 0.5


def result_from_raw(
    inst: Instance,
    form: CanonicalForm,
    raw: RawSolution,
    *,
    solver: str,
    options: SolveOptions,
    build_seconds: float,
) -> Result:
    """Label a backend's raw solution and run the independent checker on it."""
    assignment = None
    rep = None
    if raw.x is not None:
        X = np.asarray(raw.x[: form.n_x], dtype=float).reshape(form.n_functions, form.n_units)
        # per area: the tier serving each function in each area; else the tier per function
        assignment = form.placement_of(raw.x) if form.per_area else np.argmax(X, axis=1)
        rep = check(inst, assignment, raw.objective, x_matrix=X)
    bound, gap = raw.bound, raw.gap
    if form.integral_objective and bound is not None:
        bound = form.round_bound(bound)
        gap = relative_gap(raw.objective, bound)
    return Result(
        instance=inst,
        solver=solver,
        status=raw.status,
        assignment=assignment,
        objective=raw.objective,
        bound=bound,
        gap=gap,
        build_seconds=build_seconds,
        solve_seconds=raw.seconds,
        nodes=raw.nodes,
        check=rep,
        message=raw.message,
        precision_loss=raw.precision_loss,
        solver_version=raw.solver_version,
        options=options,
        extra={"solver_details": dict(raw.extra)} if raw.extra else {},
        warnings=list(inst.warnings),
    )


def solve_form(inst: Instance, form: CanonicalForm, solver: str, options: SolveOptions,
               build_seconds: float = 0.0) -> Result:
    """Solve an already-built canonical form of ``inst`` and return a checked result."""
    backend = solvers.get(solver)
    raw = backend.solve(form, options)
    return result_from_raw(inst, form, raw, solver=backend.name, options=options,
                           build_seconds=build_seconds)


def solve(
    instance: Instance,
    solver: str = "highs",
    *,
    scenario: str | Scenario | None = None,
    time_limit: float | None = None,
    threads: int | None = None,
    seed: int = 0,
    rel_gap: float = 0.0,
    log: bool = False,
    subsidiarity: float | None = None,
    structure: bool | None = None,
) -> Result:
    """Place every function at its best tier.

    Parameters
    ----------
    instance
        From :func:`placement.load` or :meth:`Instance.from_frames`.
    solver
        ``"highs"`` (default), ``"cbc"``, ``"cp-sat"``, ``"scip"`` or ``"portfolio"``; see
        :func:`placement.solvers.installed`.
    scenario
        A scenario id of the instance (or a :class:`Scenario`) whose overrides apply.
    time_limit, threads, seed, rel_gap, log
        Solver options (see :class:`placement.solvers.SolveOptions`); with ``subsidiarity``
        each stage gets ``time_limit``.
    subsidiarity
        Epsilon in [0, 1]: after the optimum v*, find the most local placement whose value is
        within epsilon of it (docs/model.md section 6; see
        :mod:`placement.solution.subsidiarity`). The result then holds that placement, and
        ``result.subsidiarity`` both stages.
    structure
        The structure-aware path (:mod:`placement.solution.structured`: a Lagrangian bound,
        reduced-cost fixing and only the core handed to ``solver``). ``None`` (the default)
        uses it for forms of at least :data:`~placement.solution.structured.MIN_COLUMNS`
        placement columns, True for any size, False never (``solver`` alone). Unless False,
        per-area instances are first solved with alike areas merged, an exact reduction
        (:mod:`placement.model.area_merge`; ``result.extra["merged_areas"]``), and the
        placement found is checked on the instance as given.

    Returns
    -------
    Result
        With ``status``, ``objective``, ``placements`` (a DataFrame), the checker's verdict in
        ``check``, the one-size ``baselines`` (:mod:`placement.solution.baselines`), a ``diagnosis``
        when infeasible (:mod:`placement.solution.diagnosis`), and ``to_json()``.

    Examples
    --------
    >>> import placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> r = placement.solve(inst)
    >>> r.status.value, round(r.objective, 3)
    ('optimal', 17.5)
    >>> r.tiers.to_dict()["procurement"]
    'national'
    >>> round(r.baselines["price_of_uniformity"], 3)
    0.257
    >>> s = placement.solve(inst, subsidiarity=0.1)
    >>> s.objective, s.subsidiarity.stages[1].centrality < s.subsidiarity.stages[0].centrality
    (16.5, True)
    """
    if subsidiarity is not None and not (0.0 <= subsidiarity <= 1.0):
        raise ValueError(f"subsidiarity epsilon must be between 0 and 1, got {subsidiarity}")
    options = SolveOptions(time_limit=time_limit, threads=threads, seed=seed, rel_gap=rel_gap,
                           log=log)
    backend = solvers.get(solver)  # fail fast, before any work, on an unknown solver
    t0 = time.perf_counter()
    original = instance.with_scenario(scenario)
    # alike areas merged (exact; never with structure=False, the solver alone on the model)
    alike = merge_alike_areas(original) if structure is not False else None
    inst = alike.instance if alike is not None else original
    form = build(inst)
    build_seconds = time.perf_counter() - t0
    raw = solve_within(inst, form, backend, options, t0, structure)
    final = raw
    report = None
    if subsidiarity is not None and raw.x is not None:
        final, stages, floor = solve_subsidiarity(form, backend, options, raw, subsidiarity,
                                                  inst.tier_ids)
        report = (stages, floor)
    result = result_from_raw(inst, form, final, solver=backend.name, options=options,
                             build_seconds=build_seconds)
    _report(result, inst, form, raw, subsidiarity, report, time_limit)
    if inst.per_area and result.baselines is not None and raw.x is not None:
        us = uniform_structure(inst, form, backend, _rest(options, t0), raw.objective)
        result.baselines["uniform_structure"] = us
        result.baselines["price_of_uniform_structure"] = us["price_of_uniform_structure"]
    return unmerge(result, original, alike) if alike is not None else result


def solve_within(inst: Instance, form: CanonicalForm, backend: solvers.Backend,
                 options: SolveOptions, t0: float,
                 structure: bool | None = None) -> RawSolution:
    """The backend's answer (through the core where :func:`applies` says so); with a time
    limit, by a deadline ``time_limit`` seconds after ``t0``, always with a checked placement
    and a bound where one can be found (:mod:`placement.solution.anytime`)."""
    core = applies(form, structure)
    if options.time_limit is None:
        if core:
            return solve_structured(inst, form, backend, options, t0)
        return backend.solve(form, options)
    deadline = t0 + options.time_limit
    budget = min(PREPARE_CAP, PREPARE_SHARE * options.time_limit)
    prep = prepare(inst, form, max(budget, 0.0),
                   search_until=t0 + SEARCH_SHARE * options.time_limit,
                   finish_by=deadline - anytime.post_seconds(form))
    left = deadline - time.perf_counter() - reserve_seconds(form)
    if not core and _start_meets_bound(form, prep, options):
        # nothing for the backend to prove (200,000 x 5 with a tight budget: the construction
        # 1.7e-8 from the bound, and HiGHS ran 445 s past a 60 s limit to say so)
        raw = RawSolution(status=Status.FEASIBLE, solver_version=backend.version(),
                          message=f"the constructed placement meets the "
                                  f"{_BOUND_NAMES[prep.bound_source(form)]}: the backend "
                                  f"was not run")
    elif left >= MIN_SOLVER_SECONDS:
        t1 = time.perf_counter()
        if core and (prep.bound is not None or prep.forest is not None):
            raw = solve_structured(inst, form, backend, replace(options, time_limit=left), t1,
                                   prep)
        else:
            raw = backend.solve(form, replace(options, time_limit=left), start=prep.start)
        prep.seconds["backend"] = time.perf_counter() - t1
        prep.seconds["backend_limit"] = left
    else:
        raw = RawSolution(status=Status.TIME_LIMIT, solver_version=backend.version(),
                          message="time limit reached before the solver could start")
    return merge(form, raw, prep, options)


def _rest(options: SolveOptions, t0: float) -> SolveOptions:
    """``options`` with what is left of the time limit (at least a second) for the
    post-solve comparisons."""
    if options.time_limit is None:
        return options
    return replace(options, time_limit=max(1.0, t0 + options.time_limit - time.perf_counter()))


def _report(result: Result, inst: Instance, form: CanonicalForm, stage1: RawSolution,
            epsilon: float | None, sub: tuple[list[Stage], float] | None,
            time_limit: float | None) -> None:
    """Baselines, the single-tier warning, subsidiarity stages and the diagnosis."""
    a1 = None
    if stage1.x is not None:
        a1 = form.placement_of(stage1.x) if form.per_area else form.assignment_of(stage1.x)
    result.baselines = one_size_baselines(inst, a1, stage1.objective)
    if a1 is not None:
        warning = single_tier_warning(inst, a1)
        if warning:
            result.warnings.append(warning)
    if sub is not None and epsilon is not None and stage1.objective is not None:
        stages, floor = sub
        value = result.check.objective if result.check is not None else result.objective
        tol = 1e-6 * max(1.0, abs(floor))
        within = value is not None and not inst.sense.better(floor, value + inst.sense.sign * tol)
        moved = []
        if a1 is not None and result.assignment is not None:
            moved = _moved_down(inst, a1, result.assignment)
        result.subsidiarity = SubsidiarityReport(
            float(epsilon), inst.sense, float(stage1.objective), floor,
            tuple(stages), bool(within), moved)
    if stage1.status is Status.INFEASIBLE:
        result.diagnosis = diagnose(inst, form, time_limit=time_limit)


def _moved_down(inst: Instance, before: np.ndarray, after: np.ndarray) -> list[dict[str, Any]]:
    """What subsidiarity moved: function, from, to (per area: the tier serving most people
    before and after, and the share of the people whose function moved)."""
    tids = inst.tier_ids
    ids = inst.functions.ids
    if before.ndim == 1:
        return [{"function": str(ids[f]), "from": tids[before[f]], "to": tids[int(after[f])]}
                for f in np.nonzero(after != before)[0].tolist()]
    was = area_result.function_summary(inst, before)["tier"]
    now = area_result.function_summary(inst, after)["tier"]
    w = inst.units.area_population / inst.units.area_population.sum()
    share = ((after != before) * w[None, :]).sum(axis=1)
    return [{"function": str(ids[f]), "from": str(was.iloc[f]), "to": str(now.iloc[f]),
             "people_share": float(share[f])}
            for f in np.nonzero((after != before).any(axis=1))[0].tolist()]


def evaluate(
    instance: Instance,
    placement: Mapping[str, str] | np.ndarray | str | Scenario,
) -> Result:
    """Evaluate a fixed placement: its value, resource use and every constraint it breaks.

    Parameters
    ----------
    placement
        Function id -> tier id, an array of tier indices, ``"current"`` (the status quo), or a
        scenario (id or object) with a fixed placement; the scenario's overrides apply too.

    Returns
    -------
    Result
        ``solver="fixed"``; ``status`` is ``feasible`` when the checker finds nothing violated
        and ``infeasible`` otherwise (the violations are in ``check``).

    Examples
    --------
    >>> import placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> r = placement.evaluate(inst, "current")
    >>> r.status.value
    'feasible'
    """
    inst = instance
    t0 = time.perf_counter()
    if isinstance(placement, Scenario) or (
        isinstance(placement, str) and placement != "current"
    ):
        if isinstance(placement, str) and placement not in instance.scenarios:
            known = ", ".join(instance.scenarios) or "none defined"
            raise InstanceError.single(None, "scenario", None, placement,
                                       f"a scenario of instance '{instance.name}' ({known})"
                                       " or \"current\"")
        sc = instance.scenarios[placement] if isinstance(placement, str) else placement
        inst = instance.with_scenario(sc)
        if sc.placement is None:
            raise InstanceError.single(None, f"scenarios.{sc.id}", "placement", None,
                                       "a fixed placement to evaluate", missing=True)
        a = fixed_area_placement(inst, sc) if inst.per_area else fixed_assignment(inst, sc)
    else:
        inst = instance.with_scenario(None)
        if isinstance(placement, str):  # "current"
            a = inst.current_by_area.copy() if inst.per_area else inst.functions.current.copy()
            missing = np.nonzero((a == NO_TIER).reshape(a.shape[0], -1).any(axis=1))[0]
            if missing.size:
                raise InstanceError.single(
                    None, "current", None, None,
                    f"a current tier for every function ({missing.size} have none, e.g. "
                    f"'{inst.functions.ids[missing[0]]}')")
        elif isinstance(placement, np.ndarray):
            a = np.asarray(placement, dtype=np.int64)
        else:
            a = _assignment_from_mapping(inst, placement)
            if inst.per_area:
                a = np.repeat(a[:, None], inst.n_areas, axis=1)
    rep = check(inst, a)
    return Result(
        instance=inst,
        solver="fixed",
        status=Status.FEASIBLE if rep.ok else Status.INFEASIBLE,
        assignment=a,
        objective=rep.objective,
        build_seconds=time.perf_counter() - t0,
        check=rep,
        message="fixed placement evaluated",
        warnings=list(inst.warnings),
    )


def _assignment_from_mapping(inst: Instance, placement: Mapping[str, str]) -> np.ndarray:
    problems = []
    tix = inst.tier_index
    fix = inst.functions.index
    a = np.full(inst.n_functions, NO_TIER, dtype=np.int64)
    for f, t in placement.items():
        if f not in fix:
            problems.append(Problem(None, "placement", None, f, "a function id"))
        elif t not in tix:
            problems.append(Problem(None, "placement", f, t,
                                    f"a tier id ({', '.join(inst.tier_ids)})"))
        else:
            a[fix[f]] = tix[t]
    missing = np.nonzero(a == NO_TIER)[0]
    if missing.size and not problems:
        problems.append(Problem(None, "placement", None, None,
                                f"a tier for every function ({missing.size} have none, e.g. "
                                f"'{inst.functions.ids[missing[0]]}')"))
    if problems:
        raise InstanceError(problems, subject="placement")
    return a


def _start_meets_bound(form: CanonicalForm, prep: Prepared, options: SolveOptions) -> bool:
    """Whether the checked start is within the relative gap asked for of the stronger of the
    Lagrangian bound and the forest's (:func:`placement.solution.anytime.merge` then proves
    it optimal)."""
    bound = prep.best_bound(form)
    if prep.start_objective is None or bound is None:
        return False
    return meets(form, prep.start_objective, bound, options)


_BOUND_NAMES = {"lagrangian": "Lagrangian bound",
                "forest": "Lagrangian bound with the links kept"}
