"""Always an answer under a time limit: a checked placement with a bound and a gap.

With a time limit, :func:`placement.solution.solving.solve` works to a deadline (docs/model.md
section 8, "Time limits"):

1. :func:`prepare`, before the backend: where the links can be kept in the bound (one
   budget, links between functions forming a forest: :mod:`placement.milp.link_forest`),
   that bound and its placement first; then a Lagrangian bound on the LP relaxation
   (:mod:`placement.milp.lagrangian`) in a small share of the time and a placement built
   from its multipliers (:mod:`placement.milp.construct`). A placement's auxiliary columns
   (soft links) are set from it (by a small LP over those columns alone where that misses a
   row), the whole vector is checked against the form's rows, and the placement against the
   instance by the independent checker. The best that passes is the *start*.
2. A start within ``rel_gap`` of the bound is the answer, proven, without the backend
   (:func:`placement.solution.solving.solve_within`). Otherwise the backend gets the start
   (HiGHS ``setSolution``, CP-SAT and SCIP hints, CBC's MIP start)
   and the time that is left, less a reserve for the checker and the baselines.
3. :func:`merge`: when the backend stops at the limit with no placement (or a worse one), the
   start is the incumbent; when it proves no bound (or a weaker one), the stronger of the
   Lagrangian bound and the forest's is the bound. When the bound meets the incumbent, the
   result is proven optimal.

Nothing is claimed that was not checked: a construction that fails the form's rows or the
checker is dropped (and said so in ``extra["anytime"]``), and the result then has no placement,
as before.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement import solvers
from placement.milp import CanonicalForm
from placement.milp.blocks import aux_block, x_block
from placement.milp.construct import Construction, construct
from placement.milp.lagrangian import LagrangianBound, lagrangian_bound
from placement.milp.link_forest import ForestBound, forest_bound
from placement.model import NO_TIER, Instance
from placement.solution.checker import check
from placement.solvers.base import RawSolution, SolveOptions, Status, relative_gap
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["Prepared", "prepare", "merge", "reserve_seconds", "post_seconds",
           "repair_seconds", "construct_seconds", "current_pattern"]

#: Seconds of post-solve work (checking the last placement built, the checker, the
#: baselines) per placement column: on the 10^6 columns of 20,000 x 50 and 200,000 x 5 with
#: caps and links a 2 s solve ends 0.16-0.23 s after ``finish_by`` since the form's blocks are
#: kept (0.27-0.35 s before); the rest is a margin for a machine slow to fault memory in: at
#: 0.3 us a 2 s solve there ended at 2.06 s once in 20 runs, at 0.4 us by 1.80 s in each of 12.
_POST_PER_COLUMN = 0.4e-6
#: Seconds per placement column kept back from the backend: the post-solve work and what the
#: backend runs past its own limit (on 10^6 columns the core's HiGHS can run most of a second
#: past it: with 0.4 us here, at commit f69e005, 6-8 s limits were overrun by 0.1-0.7 s; see
#: issue 15's closing notes).
_RESERVE_PER_COLUMN = 1e-6
#: Seconds per placement column the Lagrangian bound may take at least (a few dozen steps).
_BOUND_PER_COLUMN = 2e-6
#: Seconds per nonzero of the form one step of the Lagrangian bound takes (a sparse product
#: each way: 0.45-0.85 s on the 63 million of 20,000 x 50 with 20,000 links); setting it up
#: takes about three steps more.
_STEP_PER_NONZERO = 1e-8
#: Steps the Lagrangian bound needs to be of use beside a forest's bound: on that instance
#: one step (all a 60 s limit left it, after 7.5 s) was 4.7% above the forest's.
_USEFUL_STEPS = 20
#: Seconds per placement column the construction may spend improving its placement at least.
_IMPROVE_PER_COLUMN = 1e-6
#: Seconds per placement column the construction may improve even past the deadline.
_LEAST_IMPROVE_PER_COLUMN = 1e-7
#: Seconds per placement column a construction takes to set itself up (see
#: :func:`construct_seconds`).
_SETUP_PER_COLUMN = 0.2e-6
#: Seconds per placement column the construction may spend finding a feasible placement.
_REPAIR_PER_COLUMN = 4e-6


@dataclass
class Prepared:
    """What :func:`prepare` found: the bound, the start (every column) and its objective."""

    bound: LagrangianBound | None = None
    construction: Construction | None = None
    start: np.ndarray | None = None
    start_objective: float | None = None
    note: str = ""
    seconds: dict[str, float] = field(default_factory=dict)
    forest: ForestBound | None = None

    def best_bound(self, form: CanonicalForm) -> float | None:
        """The stronger of the Lagrangian bound and the forest's (the form's sense)."""
        out = None if self.bound is None else form.round_bound(self.bound.bound)
        if out is None or not np.isfinite(out):
            out = None
        if self.forest is not None and (out is None or form.sense.better(out,
                                                                         self.forest.bound)):
            out = self.forest.bound
        return out

    def bound_source(self, form: CanonicalForm) -> str:
        """``forest`` when the forest's bound is the stronger one, else ``lagrangian``."""
        best = self.best_bound(form)
        return "forest" if self.forest is not None and best == self.forest.bound else \
            "lagrangian"

    def details(self) -> dict[str, Any]:
        c = self.construction
        return {
            "lagrangian_bound": None if self.bound is None else self.bound.bound,
            "lagrangian_iterations": None if self.bound is None else self.bound.iterations,
            "forest_bound": None if self.forest is None else self.forest.details(),
            "construction": None if c is None else c.message,
            "construction_objective": self.start_objective,
            "note": self.note,
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
        }


def reserve_seconds(form: CanonicalForm) -> float:
    """Time kept back from the backend for the checker and the baselines, and for the
    backend's own overrun."""
    return 0.05 + _RESERVE_PER_COLUMN * form.n_x


def post_seconds(form: CanonicalForm) -> float:
    """Time the checker and the baselines take after the solve: :func:`prepare` stops that
    long before the deadline."""
    return 0.05 + _POST_PER_COLUMN * form.n_x


def improve_seconds(form: CanonicalForm) -> float:
    """The time the construction may spend improving its placement at least, however little
    is left after the bound: on 200,000 x 5 with links a construction with none was 6% from
    the bound and one with 0.5 s 0.24% (it needed 0.1 s)."""
    return 0.1 + _IMPROVE_PER_COLUMN * form.n_x


def least_improve_seconds(form: CanonicalForm) -> float:
    """The time the construction may spend improving its placement even past ``finish_by``:
    its first moves gain the most (in a scratch run on 20,000 x 50 with caps and links at a
    2 s limit: with none, 6.0% from the bound; with 0.15 s, 1.8%)."""
    return 0.05 + _LEAST_IMPROVE_PER_COLUMN * form.n_x


def construct_seconds(form: CanonicalForm) -> float:
    """What a construction takes to its first placement (pricing its patterns, scoring its
    starts, a first repair): 0.15-0.3 s on the 10^6 placement columns of 20,000 x 50 and
    200,000 x 5 with caps and links, more on a machine slow to fault memory in. With a
    checked placement already in hand, a time-limited solve builds no other where less
    than this is left."""
    return 0.02 + _SETUP_PER_COLUMN * form.n_x


def repair_seconds(form: CanonicalForm) -> float:
    """How long the construction may take to find a first feasible placement, whatever the
    time limit: about ten times what it takes on a form without hard rows to repair."""
    return 0.25 + _REPAIR_PER_COLUMN * form.n_x


def current_pattern(inst: Instance) -> sp.csr_matrix:
    """(F, U) 0-1: today's placement as placement columns (a function without a current tier
    in some area gets an empty row)."""
    layout = inst.units
    F, U = inst.n_functions, layout.n_units
    cur = inst.current_by_area  # (F, A)
    f, a = np.nonzero(cur != NO_TIER)
    u = layout.unit_of[a, cur[f, a]]
    ok = u >= 0
    complete = np.bincount(f[ok], minlength=F) == layout.n_areas
    keep = ok & complete[f]
    M = sp.csr_matrix((np.ones(int(keep.sum())), (f[keep], u[keep])), shape=(F, U))
    M.data[:] = 1.0
    return M


def prepare(inst: Instance, form: CanonicalForm, seconds: float,
            search_until: float | None = None, finish_by: float | None = None) -> Prepared:
    """The Lagrangian bound and a checked start, in about ``seconds``. Where the links can be
    kept in the bound (:mod:`placement.milp.link_forest`), that bound and its placement
    instead: the bound is at least as strong as the LP's, the placement about one
    component's step from it; where many links are left out of the forest (cycles), the
    Lagrangian bound too when its time lets it take enough steps to be of use
    (:func:`_bound_pays`). ``search_until`` (``time.perf_counter()``) ends the search
    over several rows' multipliers there (a time-limited solve), with the best found.

    ``finish_by`` (``time.perf_counter()``; a time-limited solve's deadline less what the
    checker and baselines need) caps the floors the bound and the construction are otherwise
    given on large forms (a few dozen steps, a first improvement): past it the bound stops
    after its first step, the construction improves its first feasible placement only
    briefly (:func:`least_improve_seconds`), and a checked placement from the forest is kept
    without a construction where less than :func:`construct_seconds` is left before it (a
    construction begun beside that placement ends there). Finding a first feasible placement
    is never cut short: without one there is no answer at all."""
    out = Prepared()
    t0 = time.perf_counter()
    out.forest = forest_bound(inst, form, search_until)
    if out.forest is not None:
        out.seconds["forest"] = time.perf_counter() - t0
        fb = out.forest
        if fb.meets:
            x, objective, note = _checked(inst, form, fb.x)
            out.start, out.start_objective, out.note = x, objective, note
            if x is not None and fb.links and fb.converged and fb.near_lp:
                return out  # its bound is the LP's or stronger, its placement near it
        moved = search_until is not None and bool(np.any(fb.multipliers != 0))
        # many links left out of the forest (cycles) may leave its bound below the LP's:
        # the Lagrangian bound below too, and the stronger kept, where it has the time to
        # take enough steps to be of use
        if fb.rows.shape[0] > 1 and (fb.converged or moved) and (
                fb.near_lp or not _bound_pays(form, _bound_budget(form, seconds, finish_by))):
            # several rows priced at their minimum's multipliers: a bound the LP's or
            # stronger; a placement is built from the forest's tiers (they may break a row).
            # A search the clock cut short after it left the zero prices: its multipliers
            # too, without the subgradient (20,000 x 50 with caps and links, the search cut
            # at 1 s of 2.8: its bound 0.12% above its final one; the subgradient's after
            # 2.1 s, 0.4% above). Cut short before it started or while it sized its
            # prices, its broken rows are priced at their joint price; where none was found
            # (it never left the zero prices), its bound is the unpriced one: the
            # subgradient's instead
            # with a checked start in hand, a construction runs only where it can end by
            # ``finish_by``: its setup alone takes construct_seconds
            if out.start is None or _left(finish_by) > construct_seconds(form):
                _construct(inst, form, out, seconds, fb.full_multipliers(form),
                           start=form.assignment_of(fb.x), finish_by=finish_by,
                           hard=out.start is not None)
            return out
        # without links the bound below is the same (exact with one row) and the
        # construction's moves to any tier improve on the forest's greedy (50,000 x 5:
        # 0.03 from the bound, against 0.5); a search over several rows cut short by the
        # clock may have a weaker bound than the subgradient's (20,000 x 50 with caps and
        # links at a 2 s limit: 2.5% above it): the stronger of the two is kept
    t0 = time.perf_counter()
    out.bound = lagrangian_bound(form, _bound_budget(form, seconds, finish_by))
    out.seconds["bound"] = time.perf_counter() - t0
    _construct(inst, form, out, max(seconds - out.seconds["bound"], 0.0),
               out.bound.multipliers, finish_by=finish_by)
    return out


def _bound_budget(form: CanonicalForm, seconds: float, finish_by: float | None) -> float:
    """The Lagrangian bound's time: its share of ``seconds``, at least a few dozen steps'
    worth, at most half of what is left before ``finish_by`` (the construction needs the
    rest)."""
    wish = max(0.6 * seconds, 0.1 + _BOUND_PER_COLUMN * form.n_x)
    return min(wish, 0.5 * _left(finish_by))


def _bound_pays(form: CanonicalForm, budget: float) -> bool:
    """Whether ``budget`` seconds let the Lagrangian bound set itself up and take
    :data:`_USEFUL_STEPS` steps on ``form``."""
    return budget >= (_USEFUL_STEPS + 3) * _STEP_PER_NONZERO * form.nnz


def _left(finish_by: float | None) -> float:
    """Seconds left before ``finish_by`` (none: without end)."""
    return float("inf") if finish_by is None else max(finish_by - time.perf_counter(), 0.0)


def _construct(inst: Instance, form: CanonicalForm, out: Prepared, seconds: float,
               multipliers: np.ndarray, start: np.ndarray | None = None,
               finish_by: float | None = None, hard: bool = False) -> None:
    """A placement built from ``multipliers`` (and ``start``), checked, kept in ``out``
    when it is the better start; improved for ``seconds`` (at least improve_seconds, at most
    what is left before ``finish_by``; with a ``finish_by``, the first feasible placement is
    improved for least_improve_seconds even when nothing is left). ``hard`` (a checked
    placement is already in hand): ``finish_by`` ends the repair and the improvement."""
    t1 = time.perf_counter()
    left = _left(finish_by)
    c = construct(form, min(max(seconds, improve_seconds(form)), left),
                  multipliers=multipliers, extra=current_pattern(inst),
                  repair_seconds=min(repair_seconds(form), left) if hard else
                  repair_seconds(form), start=start,
                  least_improve=0.0 if finish_by is None or hard else
                  least_improve_seconds(form))
    out.construction = c
    out.seconds["construction"] = time.perf_counter() - t1
    if c.x is None:
        out.note = out.note or f"no placement constructed: {c.message}"
        return
    t2 = time.perf_counter()
    x, objective, note = _checked(inst, form, c.x)
    out.seconds["completion"] = time.perf_counter() - t2
    if x is not None and objective is not None and (
            out.start_objective is None or form.sense.better(objective, out.start_objective)):
        out.start, out.start_objective = x, objective
    if out.start is None:
        out.note = note


def _checked(inst: Instance, form: CanonicalForm, xp: np.ndarray
             ) -> tuple[np.ndarray | None, float | None, str]:
    """The placement columns ``xp`` completed (every column), checked against the form's
    rows and by the independent checker: (columns, objective, "") or (None, None, why)."""
    x = _complete(form, xp)
    if x is None:
        return None, None, "the constructed placement's auxiliary columns could not be completed"
    assignment = (form.placement_of(x) if form.per_area else form.assignment_of(x))
    objective = form.objective_of(x)
    rep = check(inst, assignment, objective,
                x_matrix=x[: form.n_x].reshape(form.n_functions, form.n_units))
    if not rep.ok:
        return None, None, ("the constructed placement failed the independent checker: "
                            + "; ".join(v.message for v in rep.violations[:3]))
    return x, objective, ""


def _complete(form: CanonicalForm, xp: np.ndarray) -> np.ndarray | None:
    """Every column: the placement ``xp`` and the best auxiliary columns for it (an LP over
    those columns alone), or None when the rows cannot be met."""
    n_x = form.n_x
    x = np.zeros(form.n_cols)
    x[:n_x] = xp
    tol = 1e-6 * max(1.0, float(np.abs(np.concatenate([
        form.row_lower[np.isfinite(form.row_lower)],
        form.row_upper[np.isfinite(form.row_upper)]])).max(initial=1.0)))
    if form.n_cols > n_x:
        # a whole placement decides the families' auxiliary columns (CanonicalForm.served);
        # the LP below only where that misses a row (20,000 x 50: 3.8 s for 2.5 million
        # pair columns, against a sparse product)
        x[n_x:] = form.served(xp)
        if form.max_violation(x) <= tol:
            return x
        aux = aux_block(form)
        rows = np.nonzero(aux.getnnz(axis=1) > 0)[0]
        fixed = x_block(form)[rows] @ xp
        sub = CanonicalForm(
            sense=form.sense, c=form.c[n_x:], A=sp.csr_matrix(aux[rows]),
            row_lower=form.row_lower[rows] - fixed, row_upper=form.row_upper[rows] - fixed,
            col_lower=form.col_lower[n_x:], col_upper=form.col_upper[n_x:],
            integrality=np.zeros(form.n_cols - n_x, dtype=bool), n_functions=0, n_tiers=0,
            name="completion")
        raw = solvers.get("highs").solve(sub, SolveOptions(threads=1))
        if raw.status is not Status.OPTIMAL or raw.x is None:
            return None
        y = raw.x
        integer = form.integrality[n_x:].astype(bool)
        x[n_x:] = np.where(integer, np.round(y), y)
    return x if form.max_violation(x) <= tol else None


def merge(form: CanonicalForm, raw: RawSolution, prep: Prepared,
          options: SolveOptions) -> RawSolution:
    """The backend's answer, completed by the start and the Lagrangian bound where they are
    better (see the module docstring)."""
    sense = form.sense
    x, objective, source = raw.x, raw.objective, "solver"
    usable = raw.status in (Status.TIME_LIMIT, Status.FEASIBLE)
    if usable and prep.start is not None and prep.start_objective is not None and (
            objective is None or sense.better(prep.start_objective, objective)):
        x, objective, source = prep.start, prep.start_objective, "construction"
    bound, bound_source = raw.bound, "solver"
    lb = prep.best_bound(form)
    if usable and lb is not None and (bound is None or sense.better(bound, lb)):
        bound, bound_source = lb, prep.bound_source(form)
    if x is None:
        bound = raw.bound  # no incumbent: keep what the backend said
    status = raw.status
    gap = relative_gap(objective, bound)
    notes = [raw.message]
    if source == "construction":
        notes.append("the placement is the construction heuristic's")
    if bound_source == "lagrangian" and bound is not None:
        notes.append("the bound is the Lagrangian bound on the LP relaxation")
    if bound_source == "forest" and bound is not None:
        notes.append("the bound is the Lagrangian bound with the links kept")
    if (status is not Status.OPTIMAL and x is not None and gap is not None
            and gap <= max(options.rel_gap, 1e-9)):
        status = Status.OPTIMAL
        notes.append("proven optimal: the placement meets the bound")
    if x is None and prep.note:
        notes.append(prep.note)
    extra = dict(raw.extra)
    extra["anytime"] = {**prep.details(), "incumbent_from": source if x is not None else None,
                        "bound_from": bound_source if bound is not None else None}
    message = "; ".join(n for n in notes if n)
    return replace(raw, status=status, x=x, objective=objective, bound=bound, gap=gap,
                   message=message, extra=extra)
