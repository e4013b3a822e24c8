"""The helpers every analysis module shares (public to the analyses, not re-exported by
:mod:`placement.analysis`).

* comparing values: :data:`RELATIVE_TOLERANCE` and :func:`tolerance` (when two objectives tie);
* checking a request: :func:`require_model`, :func:`require_exact_backend`,
  :func:`function_index`, :func:`resource_index` (located errors naming what exists);
* the optimum exactly as ``placement solve`` reports it: :func:`reference_optimum`;
* solver sessions for many small re-solves: :data:`FAST_HIGHS`, :data:`EXACT_HIGHS`,
  :func:`open_session`, :func:`optimal_assignment`;
* what a placement uses and pays: :func:`budget_use` (a resource's budget row),
  :func:`penalty` (soft links);
* placements compared: :class:`Move`, :func:`moves_between`, :func:`describe_moves`;
* :func:`header`: the keys every analysis's JSON starts with.

Analyses compare placements by their *signed* objective ``sense.sign * objective`` (+1 when
the instance maximises, -1 when it minimises: :class:`placement.model.Sense`), so that
"better" is always "larger" and one code path serves both senses. Values and uses of
placements are recomputed from the instance (the independent checker's objective, the budget
row's coefficients), never read back from the solver's columns.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from placement import solvers
from placement.errors import AnalysisError, CheckerError, InstanceError, Problem
from placement.milp import budget_coefficients
from placement.model import Instance, Scenario, ScoringModel
from placement.solution.link_check import link_penalties
from placement.solution.solving import solve
from placement.solvers.base import Status

if TYPE_CHECKING:
    from placement.milp import CanonicalForm
    from placement.solution.result import Result
    from placement.solvers.base import RawSolution, Session, SolveOptions

__all__ = [
    "FAST_HIGHS",
    "EXACT_HIGHS",
    "RELATIVE_TOLERANCE",
    "header",
    "tolerance",
    "require_model",
    "require_exact_backend",
    "reference_optimum",
    "function_index",
    "resource_index",
    "penalty",
    "budget_use",
    "open_session",
    "optimal_assignment",
    "Move",
    "moves_between",
    "describe_moves",
]

#: HiGHS heuristics that cost more than they save on the small re-solves of a sweep: each
#: only looks for incumbents, so switching them off changes speed, never a proven optimum.
#: (Feasibility jump alone is about two thirds of a 45 x 5 solve.) Nor does restarting the
#: search after the root's reductions: without it the 406 solves of England's staff frontier
#: took 7.8 s instead of 10.8 s, every optimum the same.
FAST_HIGHS: Mapping[str, bool] = {
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_detect_symmetry": False,
    "mip_allow_restart": False,
}

#: Tighter feasibility tolerances where a breakpoint is located by a row bound (frontier,
#: weight stability): the default 1e-7 / 1e-6 would let a placement through that misses a
#: bound by that much.
EXACT_HIGHS: Mapping[str, float] = {
    "mip_feasibility_tolerance": 1e-9,
    "primal_feasibility_tolerance": 1e-9,
}

#: Relative tolerance under which two objective values count as equal (ties).
RELATIVE_TOLERANCE = 1e-9


def tolerance(scale: float) -> float:
    """Two objective values closer than this are treated as equal: :data:`RELATIVE_TOLERANCE`
    relative (absolute near zero). Far below the solver's own tolerances (about 1e-6), so it
    never merges what the solver can tell apart.

    >>> tolerance(17.5) == 17.5e-9, tolerance(0.0)
    (True, 1e-09)
    """
    return RELATIVE_TOLERANCE * max(1.0, abs(scale))


def require_single_area(inst: Instance, what: str) -> None:
    """Refuse an instance with areas for an analysis that compares one tier per function:
    an :class:`InstanceError` saying what to use per area instead."""
    if inst.per_area:
        raise InstanceError.single(
            None, "areas", None, inst.name,
            f"an instance without areas for {what}, which compares one tier per function; "
            "per area, use `placement explain PATH FUNCTION --area CODE` (forcing costs in one "
            "area) and `placement compare` (options side by side)", subject=what)


def require_model(inst: Instance, what: str) -> ScoringModel:
    """The instance's scoring model; an :class:`InstanceError` when values are given
    directly (there are then no criteria and no weights to vary)."""
    if inst.model is None or inst.values is not None:
        raise InstanceError.single(
            None, "model", None, None,
            f"a scoring model with criteria and weights for {what}; instance '{inst.name}' "
            "gives its values directly")
    return inst.model


def reference_optimum(instance: Instance, scenario: str | Scenario | None, solver: str,
                      time_limit: float | None = None) -> Result:
    """The optimum exactly as ``placement solve`` reports it (scenario applied, checked).

    Raises :class:`placement.errors.InfeasibleError` (with the diagnosis) when there is no
    placement, and :class:`AnalysisError` when the optimum is not proven.
    """

    r = solve(instance, solver, scenario=scenario, time_limit=time_limit)
    if not r.has_solution:
        r.raise_for_status()
    if r.check is not None and not r.check.ok:
        raise CheckerError(f"the optimum failed the independent checker: {r.check.summary()}")
    if r.status is not Status.OPTIMAL:
        raise AnalysisError(
            f"the solve of '{r.instance.name}' ended with status '{r.status}', not a proven "
            "optimum; give it more time (--time-limit) before analysing it")
    return r


def penalty(inst: Instance, assignment: np.ndarray) -> float:
    """What the soft links charge a placement (0 without soft links), from the checker."""
    if not inst.links:
        return 0.0

    return float(link_penalties(inst, np.asarray(assignment, dtype=np.int64)).sum())


def open_session(form: CanonicalForm, solver: str, options: SolveOptions, *,
                 exact: bool = False) -> Session:
    """A loaded model to re-solve after changing the objective or column bounds.

    HiGHS sessions get :data:`FAST_HIGHS` (and :data:`EXACT_HIGHS` when ``exact``) where the
    session accepts options; other backends rebuild their model on every solve.
    """
    backend = solvers.get(solver)
    session = backend.open(form, options)
    set_option = getattr(session, "set_option", None)
    if callable(set_option):
        for name, value in {**FAST_HIGHS, **(EXACT_HIGHS if exact else {})}.items():
            set_option(name, value)
    return session


def require_exact_backend(solver: str, what: str) -> None:
    """Refuse backends that round the objective (CP-SAT scales coefficients to integers):
    breakpoints found with them would be off by the rounding."""
    backend = solvers.get(solver)
    caps = backend.capabilities
    if caps.integer_coefficients_only or not caps.continuous_variables:
        raise InstanceError.single(
            None, "solver", None, solver,
            f"a backend with exact real coefficients and continuous variables for {what} "
            "(highs, cbc or scip)")


def optimal_assignment(form: CanonicalForm, raw: RawSolution, what: str) -> np.ndarray:
    """The tier index per function of a proven optimum; :class:`AnalysisError` otherwise."""
    if raw.status is not Status.OPTIMAL or raw.x is None:
        raise AnalysisError(f"{what}: the solver ended with status '{raw.status}' "
                            f"({raw.message}); the analysis needs proven optima")
    return form.assignment_of(raw.x)


def budget_use(inst: Instance, r: int) -> np.ndarray:
    """(F, T) what each placement adds to resource r's budget row: running use plus the
    one-off move cost away from the current tier (docs/model.md section 3)."""
    return budget_coefficients(inst, inst.cost_tensor, r)


@dataclass(frozen=True)
class Move:
    """One function placed at another tier: ``function`` goes from ``from_tier`` to
    ``to_tier``."""

    function: str
    from_tier: str
    to_tier: str

    def __str__(self) -> str:
        return f"{self.function}: {self.from_tier} -> {self.to_tier}"

    def to_dict(self) -> dict[str, str]:
        return {"function": self.function, "from": self.from_tier, "to": self.to_tier}


def moves_between(inst: Instance, before: np.ndarray, after: np.ndarray) -> list[Move]:
    """The functions whose tier differs between two assignments (tier index per function),
    in function order.

    >>> import numpy as np, placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> [str(m) for m in moves_between(inst, np.array([0, 2, 1, 0]), np.array([0, 2, 2, 0]))]
    ['commissioning: region -> local']
    """
    ids = inst.functions.ids
    tids = inst.tier_ids
    b = np.asarray(before, dtype=np.int64)
    a = np.asarray(after, dtype=np.int64)
    return [Move(str(ids[f]), tids[int(b[f])], tids[int(a[f])])
            for f in np.nonzero(a != b)[0].tolist()]


def describe_moves(moves: Sequence[Move], limit: int = 6) -> str:
    """``"a: x -> y; b: ..."`` (at most ``limit`` moves, then how many more).

    >>> describe_moves([Move("f", "national", "local")])
    'f: national -> local'
    """
    text = "; ".join(str(m) for m in moves[:limit])
    if len(moves) > limit:
        text += f"; and {len(moves) - limit} more"
    return text


def function_index(inst: Instance, function: str) -> int:
    """Index of a function id; an :class:`InstanceError` naming near ids otherwise."""
    idx = inst.functions.index
    if function in idx:
        return idx[function]
    near = difflib.get_close_matches(function, list(idx), n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    raise InstanceError.single(
        None, "FUNCTION", None, function,
        f"a function id of instance '{inst.name}' ({len(idx)} functions{hint})")


def resource_index(inst: Instance, resource: str) -> int:
    """Index of a resource id; an :class:`InstanceError` listing the resources otherwise."""
    ids = inst.resource_ids
    if resource in ids:
        return ids.index(resource)
    raise InstanceError([Problem(None, "resource", None, resource,
                                 f"a resource of instance '{inst.name}' "
                                 f"({', '.join(ids) or 'it has none'})")], subject="frontier")


def header(inst: Instance, solver: str | None = None) -> dict[str, Any]:
    """The keys every analysis's JSON starts with: which instance, model, scenario and sense,
    the judgements changed for the run (``--weight``, ``--set``; ``None``: none), and the
    backend, when one solved it."""
    out: dict[str, Any] = {"instance": inst.name, "model": inst.model_id,
                           "scenario": inst.scenario, "sense": inst.sense,
                           "overrides": inst.overrides.to_dict() if inst.overrides else None}
    if solver is not None:
        out["solver"] = solver
    return out
