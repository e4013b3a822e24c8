"""The structure-aware solve: Lagrangian bound, reduced-cost fixing, the core to the backend.

A placement model is an assignment (one tier per function) and a few coupling rows. Where a
form has that shape (:func:`applies`), :func:`solve_structured` solves it in rounds:

1. :func:`placement.solution.anytime.prepare`: the Lagrangian bound ``L`` of the coupling rows
   and a constructed, checked placement (the first incumbent).
2. :func:`placement.milp.core.price` re-derives ``L`` from the multipliers and prices every
   column: forcing column ``j`` costs at least its penalty.
3. Each round hands the backend a *core* (:func:`placement.milp.core.core_of`): the columns
   whose penalty is at most a threshold, the incumbent as its start. The first threshold keeps
   the rows closest to changing their choice; every later one is ``L - incumbent`` less the
   gap asked for, the provably safe one, so nothing that could beat the incumbent by more
   than that gap is ever left out (:mod:`placement.solution.core_choice` says which core a
   round takes when a threshold's would be large).
4. The whole form's bound is the better of the core's bound and ``outside`` (the best a
   placement using an excluded column can be worth), never weaker than ``L``. A core proven
   optimal whose ``outside`` does not beat its optimum is the whole form's optimum.
5. When the first core does not prove it (or before any core, when the incumbent is far from
   ``L``), :mod:`placement.solution.sifting` finds the LP bound and its multipliers, and a
   placement rounded from the LP; later cores are priced with those multipliers.

The result is an ordinary :class:`~placement.solvers.base.RawSolution` of the whole form (its
placement lifted back, checked against the form's rows here and by the independent checker
after), with what each round did in ``extra["structure"]``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.milp import CanonicalForm
from placement.milp.core import (
    Core,
    Pricing,
    cheapest_per_row,
    price,
    thresholds,
)
from placement.milp.lagrangian import kept_rows
from placement.milp.link_forest import ForestBound, forest_pricing
from placement.solution.anytime import Prepared, prepare
from placement.solution.core_choice import (
    SIFT_PER_ROW,
    State,
    core_seconds,
    next_core,
    no_time_for_core,
    wider,
)
from placement.solution.sifting import Sifted, rounding_core, sift
from placement.solution.structured_answer import core_answer, forest_answer, limit_answer
from placement.solvers.base import (
    MIN_SOLVER_SECONDS,
    RawSolution,
    SolveOptions,
    Status,
    relative_gap,
)

if TYPE_CHECKING:
    from placement import solvers
    from placement.model import Instance

__all__ = ["MIN_COLUMNS", "applies", "meets", "solve_structured"]

#: Below this many placement columns the plain backend is as quick (benchmarks/results/core).
MIN_COLUMNS = 20_000
#: Rows in the first core at least (a tenth of them when there are more): those closest to
#: changing their choice.
FIRST_ROWS = 2_000
#: Rounds before the core is the whole form.
MAX_ROUNDS = 4
#: A time-limited round never hands the backend a core this large (nonzeros) once it has a
#: placement.
WHOLE_FORM_NNZ = 500_000


def applies(form: CanonicalForm, structure: bool | None = None) -> bool:
    """Whether :func:`solve_structured` is used: ``structure`` True asks for it whenever the
    form has assignment rows to keep, False never, None (the default) also needs the form to
    have at least :data:`MIN_COLUMNS` placement columns."""
    if structure is False or (structure is None and form.n_x < MIN_COLUMNS):
        return False
    return kept_rows(form).shape[0] > 0


def prepare_seconds(form: CanonicalForm) -> float:
    """The time the bound and the construction get without a time limit."""
    return 0.25 + 1e-6 * form.n_x


def solve_structured(inst: Instance, form: CanonicalForm, backend: solvers.Backend,
                     options: SolveOptions, t0: float,
                     prep: Prepared | None = None) -> RawSolution:
    """Solve ``form`` through its core (see the module docstring). ``t0`` starts the time
    limit's clock; ``prep`` is a bound and start found already."""
    deadline = None if options.time_limit is None else t0 + options.time_limit
    t_start = time.perf_counter()
    if prep is None:
        prep = prepare(inst, form, prepare_seconds(form))
    fb = prep.forest if prep.start is not None else None  # the forest's bound, its start
    if (early := _before_rounds(form, prep, backend, options, deadline, t_start)) is not None:
        return early
    pricing = _pricing(form, prep, fb is not None)
    if pricing is None:
        return _whole(form, backend, options, deadline, prep)
    st = State(form, pricing, rel_gap=options.rel_gap)
    st.offer(prep.start, prep.start_objective)
    L = form.round_bound(st.pricing.bound(form))
    second = st.pricing.second_penalty(form)
    size = max(FIRST_ROWS, form.n_functions // 10)
    rounds: list[dict[str, Any]] = []
    threshold: float = thresholds(second, [size])[0]
    sifted = _sifting(fb)
    sift_first = fb is not None and not sifted
    if sifted:
        threshold = min(threshold, st.safe_threshold())
    bound: float | None = L
    # the construction may meet L already (200,000 x 5 with a tight budget: 1.7e-8 from it)
    proven = meets(form, st.objective, L, options)
    infeasible = timed_out = False
    for _ in range(0 if proven else MAX_ROUNDS + 1):
        left = None if deadline is None else deadline - time.perf_counter()
        if left is not None and left < MIN_SOLVER_SECONDS:
            timed_out = True
            break
        if not sifted and st.x is not None and (rounds or sift_first or st.far()):
            sifted = True
            L = _sift(st, threshold, backend, options, deadline, rounds)
            second = st.pricing.second_penalty(form)
            bound = L if bound is None or form.sense.better(bound, L) else bound
            if meets(form, st.objective, L, options):
                proven = True
                break
            threshold = max(st.safe_threshold(), threshold)
            continue
        if no_time_for_core(form, deadline):
            timed_out = True  # choosing a core alone would run past the limit
            break
        core, threshold = next_core(st, threshold, first=not rounds,
                                     chosen=all(r.get("threshold") != -1.0 for r in rounds),
                                     deadline=deadline)
        if core is None:  # the columns it fixes break a row: keep more
            rounds.append({"threshold": threshold, "core": None})
            size *= 4
            threshold = wider(st, threshold, second, size, improved=False)
            continue
        if _overruns(core, deadline, st):
            rounds.append({"threshold": threshold, "columns": int(core.columns.shape[0]),
                           "skipped": "a core this large: the backend's presolve would run "
                                      "past the time limit"})
            timed_out = True
            break
        raw, entry = _round(st, core, backend, options, left, threshold)
        rounds.append(entry)
        bound = _bound(form, L, raw, core)
        if raw.status is Status.OPTIMAL and meets(form, st.objective, core.outside, options):
            proven = True
            break
        if raw.status is Status.INFEASIBLE and core.excluded == 0:
            infeasible = st.x is None  # the core lost nothing: the whole form is infeasible
            break
        if raw.status is Status.TIME_LIMIT or core.excluded == 0:
            timed_out = raw.status is Status.TIME_LIMIT
            break
        if raw.status is Status.INFEASIBLE and not entry["started"] and st.x is not None:
            continue  # a first core without the incumbent's columns: again, with them
        size *= 4
        threshold = wider(st, threshold, second, size, entry["improved"])
    status = (Status.OPTIMAL if proven and st.x is not None else
              Status.INFEASIBLE if infeasible else
              Status.TIME_LIMIT if timed_out or st.x is None else Status.FEASIBLE)
    out = core_answer(form, st.x, st.objective, st.nodes, st.pricing, bound, status,
                      rounds, prep, time.perf_counter() - t_start)
    out.solver_version = backend.version()
    return out


def _before_rounds(form: CanonicalForm, prep: Prepared, backend: solvers.Backend,
                   options: SolveOptions, deadline: float | None,
                   t_start: float) -> RawSolution | None:
    """The answer without any round: the forest's placement when it meets the forest's bound
    (proven), or the start when too little time is left to price every column (20,000 x 50
    with 20,000 links: 5.4 s, begun 2.5 s before the limit); else None."""
    fb = prep.forest if prep.start is not None else None
    if fb is not None and meets(form, prep.start_objective, fb.bound, options):
        return forest_answer(form, prep, backend, time.perf_counter() - t_start)
    if no_time_for_core(form, deadline):  # pricing every column takes about as long
        return limit_answer(form, prep, backend, time.perf_counter() - t_start)
    return None


def _sifting(fb: ForestBound | None) -> bool:
    """Whether sifting is left out. With the links kept its LP bound is the weaker one
    (also with a few left out of the forest: :attr:`ForestBound.near_lp`); with one row it
    is the forest's. With several rows and no links it is the forest's too, but exact prices
    tie many tiers at penalty 0 (20,000 x 50 with caps: a first core of 361,722 columns):
    sifting's rounding then comes first, from a few columns a row."""
    return fb is not None and fb.near_lp and (fb.links > 0 or fb.rows.shape[0] <= 1)


def _pricing(form: CanonicalForm, prep: Prepared, forest: bool) -> Pricing | None:
    """The cores' pricing: the forest's (the links kept: stronger penalties) where its
    placement is the start, else the Lagrangian multipliers' re-derived by
    :func:`placement.milp.core.price`; None when they price nothing usable."""
    pricing = None
    if forest:
        assert prep.forest is not None
        pricing = forest_pricing(form, prep.forest)
    elif prep.bound is not None and np.all(np.isfinite(prep.bound.multipliers)):
        try:
            pricing = price(form, prep.bound.multipliers)
        except ValueError:  # no column left in some row: the backend says why
            pricing = None
    if pricing is None or not np.isfinite(pricing.value) or not np.all(
            np.isfinite(pricing.penalty[pricing.penalty < np.inf])):
        return None
    return pricing


def _overruns(core: Core, deadline: float | None, st: State) -> bool:
    """Whether a time-limited round would hand the backend a core as large as a large form
    with an incumbent in hand: HiGHS 1.12's presolve does not look at the clock on these
    (50,000 x 5 with links, the whole form: 95 s against a 28 s limit; 20,000 x 50 with caps
    and links, a core of 464,050 columns: 60 s over), so the answer is the incumbent and
    bound already found, at the limit's status."""
    return (deadline is not None and st.x is not None
            and core.form.nnz >= WHOLE_FORM_NNZ)


def _sift(st: State, threshold: float, backend: solvers.Backend, options: SolveOptions,
          deadline: float | None, rounds: list[dict[str, Any]]) -> float:
    """The LP bound by sifting from the last core's columns and the incumbent's, and the
    placement rounded from the LP (:mod:`placement.solution.sifting`); returns the bound.
    Sifting gets four fifths of the time left (less, where choosing a core takes more than
    the rest); it rounds once the LP settles and stops when its bound meets the incumbent.
    Each rounding gets half of the time left, and none begins with less left than choosing
    its core takes."""
    form = st.form
    assert st.x is not None
    now = time.perf_counter()
    member = (st.pricing.penalty <= threshold) | (st.x > 0.5)
    if member.sum() > SIFT_PER_ROW * st.pricing.kept.shape[0]:
        member = cheapest_per_row(form, st.pricing, SIFT_PER_ROW) | (st.x > 0.5)
    member[form.n_x:] = st.x[form.n_x:] > 0.5  # sifting adds the auxiliary columns that pay
    # a fifth of the time left is kept for rounding, at least what choosing its core takes
    stop = None if deadline is None else deadline - max(0.2 * (deadline - now),
                                                        core_seconds(form))
    entry: dict[str, Any] = {}
    rounded: list[float | None] = []

    def incumbent(partial: Sifted) -> float | None:
        _rounding(st, partial, backend, options, deadline, entry)
        rounded.append(partial.lp_value)
        return st.objective

    sifted = sift(form, st.pricing, member, stop, options.threads, incumbent=incumbent,
                  rel_gap=max(options.rel_gap, 1e-9))
    if sifted.pricing.value < st.pricing.value:
        st.pricing = sifted.pricing
    entry["sifting"] = sifted.details(form)
    if not rounded or rounded[-1] != sifted.lp_value:
        _rounding(st, sifted, backend, options, deadline, entry)
    rounds.append(entry)
    L = form.round_bound(st.pricing.bound(form))
    assert L is not None
    return L


def _rounding(st: State, sifted: Sifted, backend: solvers.Backend, options: SolveOptions,
              deadline: float | None, entry: dict[str, Any]) -> None:
    """The placement rounded from the LP's solution, offered; with the incumbent's columns
    too when the LP's alone have none. What each did is in ``entry`` (the last one's)."""
    entry.pop("rounding", None)
    entry.pop("rounding_with_incumbent", None)
    for key, incumbent in (("rounding", None), ("rounding_with_incumbent", st.x)):
        if no_time_for_core(st.form, deadline):
            break  # its core alone would take the time left (20,000 x 50, 20,000 links: 3.6 s)
        core = rounding_core(st.form, sifted, incumbent)
        left = None if deadline is None else 0.5 * (deadline - time.perf_counter())
        if core is None or (left is not None and left < MIN_SOLVER_SECONDS):
            break
        raw, entry[key] = _round(st, core, backend, options, left, -1.0)
        if raw.status is not Status.INFEASIBLE:
            break  # the LP's rounding has a placement: the incumbent's columns are not needed


def _whole(form: CanonicalForm, backend: solvers.Backend, options: SolveOptions,
           deadline: float | None, prep: Prepared) -> RawSolution:
    """The whole form to the backend, when the multipliers price nothing usable (they
    diverge on an infeasible form)."""
    left = None if deadline is None else max(deadline - time.perf_counter(), MIN_SOLVER_SECONDS)
    raw = backend.solve(form, options if left is None else replace(options, time_limit=left),
                        start=prep.start)
    raw.extra["structure"] = {"lagrangian_bound": None, "rounds": [],
                              "note": "the multipliers priced no usable core: the whole "
                                      "model went to the backend"}
    return raw


def _round(st: State, core: Core, backend: solvers.Backend, options: SolveOptions,
           left: float | None, threshold: float) -> tuple[RawSolution, dict[str, Any]]:
    """One core solve; its placement, lifted and checked against every row, is offered."""
    start = None if st.x is None else core.restrict(st.x)
    opts = options if left is None else replace(options, time_limit=left)
    t = time.perf_counter()
    raw = backend.solve(core.form, opts, start=start)
    seconds = time.perf_counter() - t
    improved = False
    if raw.x is not None:
        x = core.lift(np.asarray(raw.x, dtype=float))
        if st.form.max_violation(x) <= _tolerance(st.form):
            improved = st.offer(x, st.form.objective_of(x))
    st.nodes += int(raw.nodes or 0)
    entry = {"threshold": float(threshold), "columns": int(core.columns.shape[0]),
             "rows": core.form.n_rows, "excluded": core.excluded, "status": raw.status.value,
             "objective": raw.objective, "bound": raw.bound, "outside": core.outside,
             "started": start is not None, "improved": improved,
             "seconds": round(seconds, 4)}
    return raw, entry


def _tolerance(form: CanonicalForm) -> float:
    ends = np.concatenate([form.row_lower[np.isfinite(form.row_lower)],
                           form.row_upper[np.isfinite(form.row_upper)]])
    return 1e-6 * max(1.0, float(np.abs(ends).max(initial=1.0)))


def _bound(form: CanonicalForm, L: float | None, raw: RawSolution,
           core: Core) -> float | None:
    """The whole form's bound after a core solve: the weaker of the core's and ``outside``,
    never weaker than ``L``."""
    sense = form.sense
    b = raw.bound if raw.bound is not None else (
        raw.objective if raw.status is Status.OPTIMAL else None)
    if raw.status is Status.INFEASIBLE:
        b = core.outside  # nothing inside the core: only what is outside can be worth more
    elif b is not None and core.outside is not None and sense.better(core.outside, b):
        b = core.outside
    if b is None or (L is not None and sense.better(b, L)):
        return L
    return form.round_bound(b)


def meets(form: CanonicalForm, objective: float | None, outside: float | None,
          options: SolveOptions) -> bool:
    """Whether nothing worth ``outside`` (the best outside a core, or any bound) can beat the
    incumbent ``objective`` by more than the gap asked for."""
    if objective is None:
        return False
    if outside is None or not form.sense.better(outside, objective):
        return True
    gap = relative_gap(objective, outside)
    return gap is not None and gap <= max(options.rel_gap, 1e-9)
