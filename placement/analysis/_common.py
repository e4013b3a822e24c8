"""What the analyses share: signed objectives, the reference optimum, solver sessions tuned
for many small re-solves, resource use and moves between placements.

Analyses compare placements by their *signed* objective ``sign * objective`` (sign +1 when the
instance maximises, -1 when it minimises), so that "better" is always "larger" and one code
path serves both senses. Values and uses of placements are recomputed from the instance (the
independent checker's objective, the budget row's coefficients), never read back from the
solver's columns.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.domain import Instance, Scenario, ScoringModel
from placement.errors import InstanceError, PlacementError, Problem

if TYPE_CHECKING:
    from placement.canonical import CanonicalForm
    from placement.result import Result
    from placement.solvers.base import RawSolution, Session, SolveOptions

__all__ = [
    "AnalysisError",
    "FAST_HIGHS",
    "EXACT_HIGHS",
    "RELATIVE_TOLERANCE",
    "close_enough",
    "finite_or_none",
    "json_safe",
    "signed",
    "require_model",
    "require_exact_backend",
    "reference_optimum",
    "function_index",
    "resource_index",
    "penalty",
    "budget_use",
    "open_session",
    "native_stdout_silenced",
    "solve_quietly",
    "optimal_assignment",
    "moves",
    "describe_moves",
]

#: HiGHS heuristics that cost more than they save on the small re-solves of a sweep: each
#: only looks for incumbents, so switching them off changes speed, never a proven optimum.
#: (Feasibility jump alone is about two thirds of a 45 x 5 solve.)
FAST_HIGHS: Mapping[str, bool] = {
    "mip_heuristic_run_feasibility_jump": False,
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_detect_symmetry": False,
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


class AnalysisError(PlacementError):
    """An analysis could not be carried out exactly (a solve that did not prove optimality)."""


def close_enough(a: float, b: float, rel: float = RELATIVE_TOLERANCE) -> bool:
    """Whether two objective values are equal up to ``rel`` relative to their size (at least
    1 in absolute terms).

    >>> close_enough(17.5, 17.5 + 1e-12), close_enough(17.5, 17.6)
    (True, False)
    """
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def finite_or_none(x: float | None) -> float | None:
    """``x`` for JSON: ``None`` for missing or infinite values."""
    if x is None or not math.isfinite(float(x)):
        return None
    return float(x)


def signed(inst: Instance) -> float:
    """+1 when the instance maximises, -1 when it minimises."""
    return 1.0 if inst.sense == "max" else -1.0


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

    Raises :class:`placement.diagnose.InfeasibleError` (with the diagnosis) when there is no
    placement, and :class:`AnalysisError` when the optimum is not proven.
    """
    from placement.api import solve
    from placement.solvers.base import Status

    r = solve(instance, solver, scenario=scenario, time_limit=time_limit)
    if not r.has_solution:
        r.raise_for_status()
    if r.check is not None and not r.check.ok:
        raise AnalysisError(f"the optimum failed the independent checker: {r.check.summary()}")
    if r.status is not Status.OPTIMAL:
        raise AnalysisError(
            f"the solve of '{r.instance.name}' ended with status '{r.status}', not a proven "
            "optimum; give it more time (--time-limit) before analysing it")
    return r


def penalty(inst: Instance, assignment: np.ndarray) -> float:
    """What the soft links charge a placement (0 without soft links), from the checker."""
    if not inst.links:
        return 0.0
    from placement.check import link_penalties

    return float(link_penalties(inst, np.asarray(assignment, dtype=np.int64)).sum())


def open_session(form: CanonicalForm, solver: str, options: SolveOptions, *,
                 exact: bool = False) -> Session:
    """A loaded model to re-solve after changing the objective or column bounds.

    HiGHS sessions get :data:`FAST_HIGHS` (and :data:`EXACT_HIGHS` when ``exact``) where the
    session accepts options; other backends rebuild their model on every solve.
    """
    from placement import solvers

    backend = solvers.get(solver)
    session = backend.open(form, options)
    set_option = getattr(session, "set_option", None)
    if callable(set_option):
        for name, value in {**FAST_HIGHS, **(EXACT_HIGHS if exact else {})}.items():
            set_option(name, value)
    return session


@contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Send what native code prints to standard output to ``/dev/null`` meanwhile.

    HiGHS 1.12 prints a debug line (``HighsMipSolverData::transformNewIntegerFeasibleSolution
    tmpSolver.run();``) straight to the C ``stdout`` on some MIP solves, whatever its
    ``output_flag`` says; JSON or CSV written to standard output must not carry it. Python's
    own ``sys.stdout`` is flushed first and left alone.
    """
    with suppress(AttributeError, ValueError, OSError):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 at all: nothing to protect
        yield
        return
    libc = _libc()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
        finally:
            os.close(devnull)
        yield
    finally:
        if libc is not None:
            libc.fflush(None)  # what native code buffered goes to /dev/null, not later to 1
        os.dup2(saved, 1)
        os.close(saved)


def _libc() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None)
    except (OSError, AttributeError):
        return None


def solve_quietly(session: Session) -> RawSolution:
    """``session.solve()`` with native standard output silenced (see
    :func:`native_stdout_silenced`)."""
    with native_stdout_silenced():
        return session.solve()


def require_exact_backend(solver: str, what: str) -> None:
    """Refuse backends that round the objective (CP-SAT scales coefficients to integers):
    breakpoints found with them would be off by the rounding."""
    from placement import solvers

    backend = solvers.get(solver)
    caps = backend.capabilities
    if caps.integer_coefficients_only or not caps.continuous_variables:
        raise InstanceError.single(
            None, "--solver", None, solver,
            f"a backend with exact real coefficients and continuous variables for {what} "
            "(highs, cbc or scip)")


def optimal_assignment(form: CanonicalForm, raw: RawSolution, what: str) -> np.ndarray:
    """The tier index per function of a proven optimum; :class:`AnalysisError` otherwise."""
    from placement.solvers.base import Status

    if raw.status is not Status.OPTIMAL or raw.x is None:
        raise AnalysisError(f"{what}: the solver ended with status '{raw.status}' "
                            f"({raw.message}); the analysis needs proven optima")
    return form.assignment_of(raw.x)


def budget_use(inst: Instance, r: int) -> np.ndarray:
    """(F, T) what each placement adds to resource r's budget row: running use plus the
    one-off move cost away from the current tier (MODEL.md section 3)."""
    from placement.formulation import budget_coefficients

    return budget_coefficients(inst, inst.cost_tensor, r)


def moves(inst: Instance, before: np.ndarray, after: np.ndarray,
          skip: int | None = None) -> list[dict[str, str]]:
    """Functions placed differently in ``after`` than in ``before`` (function order), as
    ``{"function", "from", "to"}``; ``skip`` leaves one function index out."""
    tids = inst.tier_ids
    ids = inst.functions.ids
    b = np.asarray(before, dtype=np.int64)
    a = np.asarray(after, dtype=np.int64)
    out = []
    for f in np.nonzero(a != b)[0].tolist():
        if f == skip:
            continue
        out.append({"function": str(ids[f]), "from": tids[int(b[f])], "to": tids[int(a[f])]})
    return out


def describe_moves(ms: list[dict[str, str]], limit: int = 6) -> str:
    """``"commissioning region -> local, workforce national -> region"`` (at most ``limit``).

    >>> describe_moves([{"function": "f", "from": "national", "to": "local"}])
    'f national -> local'
    """
    parts = [f"{m['function']} {m['from']} -> {m['to']}" for m in ms[:limit]]
    if len(ms) > limit:
        parts.append(f"and {len(ms) - limit} more")
    return ", ".join(parts)


def function_index(inst: Instance, function: str) -> int:
    """Index of a function id; an :class:`InstanceError` naming near ids otherwise."""
    idx = inst.functions.index
    if function in idx:
        return idx[function]
    import difflib

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
    raise InstanceError([Problem(None, "--resource", None, resource,
                                 f"a resource of instance '{inst.name}' "
                                 f"({', '.join(ids) or 'it has none'})")], subject="frontier")


def json_safe(o: Any) -> Any:
    """Plain JSON data: numpy scalars to Python, non-finite floats to ``None``."""
    if isinstance(o, dict):
        return {str(k): json_safe(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [json_safe(v) for v in o]
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, float | np.floating):
        return finite_or_none(float(o))
    if isinstance(o, np.bool_):
        return bool(o)
    if o is not None and o != o:  # pandas NA
        return None
    return o
