"""The backend interface: options, capabilities, one neutral status set, raw solutions."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = [
    "Status",
    "SolveOptions",
    "Capabilities",
    "RawSolution",
    "Backend",
    "Session",
    "relative_gap",
    "time_left",
    "out_of_time",
]


class Status(str, Enum):
    """Neutral solve status (docs/model.md section 8)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    TIME_LIMIT = "time_limit"
    ERROR = "error"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class SolveOptions:
    """Options every backend understands.

    Parameters
    ----------
    time_limit
        Wall-clock seconds; ``None`` for no limit. At the limit a feasible incumbent comes back
        with status ``time_limit``, its bound and gap.
    threads
        Worker threads; ``None`` leaves the backend's default.
    seed
        Random seed, so that runs repeat.
    rel_gap
        Relative optimality gap at which to stop. The default 0 asks for proven optimality.
    log
        Show the backend's own log on standard output.
    """

    time_limit: float | None = None
    threads: int | None = None
    seed: int = 0
    rel_gap: float = 0.0
    log: bool = False

    def __post_init__(self) -> None:
        if self.time_limit is not None and not (self.time_limit > 0):
            raise ValueError(f"time_limit must be positive, got {self.time_limit}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")
        if not (0.0 <= self.rel_gap < 1.0):
            raise ValueError(f"rel_gap must be in [0, 1), got {self.rel_gap}")


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, so callers test features rather than names."""

    mip: bool = True
    continuous_variables: bool = True
    integer_coefficients_only: bool = False
    time_limit: bool = True
    threads: bool = True
    seed: bool = True
    rel_gap: bool = True
    reports_bound: bool = True
    reports_nodes: bool = True
    incremental: bool = False  # supports Session.set_objective / set_col_bounds re-solves


@dataclass
class RawSolution:
    """What a backend returns, before the engine labels and checks it.

    ``objective`` is ``c @ x + offset`` recomputed with the form's own (unscaled) coefficients
    whenever ``x`` is present; ``bound`` is the best bound the backend proved (same sense).
    """

    status: Status
    x: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int | None = None
    seconds: float = 0.0
    message: str = ""
    precision_loss: float | None = None
    solver_version: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.x is not None


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|bound - objective| / max(|objective|, 1e-10), the convention HiGHS and SCIP use."""
    if objective is None or bound is None:
        return None
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    return abs(bound - objective) / max(abs(objective), 1e-10)


def time_left(options: SolveOptions, since: float) -> float | None:
    """Seconds of ``options.time_limit`` left after what has run since ``since`` (a
    ``time.perf_counter()`` reading): a backend's limit covers building its own model too."""
    if options.time_limit is None:
        return None
    return options.time_limit - (time.perf_counter() - since)


def out_of_time(seconds: float, version: str = "") -> RawSolution:
    """What a backend returns when building its model used up the time limit."""
    return RawSolution(status=Status.TIME_LIMIT, seconds=seconds, solver_version=version,
                       message="time limit reached while the model was being passed to the "
                               "solver")


#: Below this many seconds left a backend does not start its solver.
MIN_SOLVER_SECONDS = 0.01


@runtime_checkable
class Session(Protocol):
    """A loaded model that can be re-solved after small changes (sensitivity sweeps)."""

    def set_objective(self, c: np.ndarray) -> None: ...

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None: ...

    def solve(self) -> RawSolution: ...


@runtime_checkable
class Backend(Protocol):
    """A solver behind the one interface.

    ``name`` is what users type (``highs``, ``cbc``, ``cp-sat``, ``scip``); ``requires`` lists
    the Python modules that must be importable (checked with ``importlib.util.find_spec`` so
    that asking which solvers exist never imports one).
    """

    name: str
    label: str
    requires: tuple[str, ...]
    capabilities: Capabilities

    def version(self) -> str: ...

    def solve(self, form: CanonicalForm, options: SolveOptions,
              start: np.ndarray | None = None) -> RawSolution:
        """Solve ``form``; ``start`` (every column, or None) is a feasible placement offered
        as the first incumbent where the solver takes one (a hint, a MIP start)."""
        ...

    def open(self, form: CanonicalForm, options: SolveOptions) -> Session: ...


class RebuildSession:
    """A Session for backends without incremental re-solves: rebuilds the model every time."""

    def __init__(self, backend: Backend, form: CanonicalForm, options: SolveOptions) -> None:
        self.backend = backend
        self.form = form
        self.options = options

    def set_objective(self, c: np.ndarray) -> None:
        self.form = self.form.with_objective(c)

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        lo = self.form.col_lower.copy()
        up = self.form.col_upper.copy()
        lo[cols] = lower
        up[cols] = upper
        self.form = self.form.with_col_bounds(lo, up)

    def solve(self) -> RawSolution:
        return self.backend.solve(self.form, self.options)
