"""placement: decide at which tier of government each public function should sit.

Each function is scored for economies of scale, specialism, standardisation and local knowledge
at every tier; a mixed-integer program assigns each to its best tier under budgets, caps and
coterminosity constraints, and the engine reports what a one-size answer would cost.

>>> import placement
>>> inst = placement.load("instances/tiny-budget")
>>> result = placement.solve(inst)          # HiGHS by default
>>> result.placements["tier"].to_dict()["prevention"]
'local'

Heavy modules (pandas, solver libraries) load on first use, so ``import placement`` and the
command line start quickly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "load",
    "from_frames",
    "apply_overrides",
    "solve",
    "evaluate",
    "Instance",
    "Result",
    "Scenario",
    "ScoringModel",
    "Sense",
    "SolveOptions",
    "Status",
    "PlacementError",
    "InstanceError",
    "SolverUnavailableError",
    "InfeasibleError",
]

_LAZY = {
    "load": ("placement.io", "load"),
    "from_frames": ("placement.io", "from_frames"),
    "apply_overrides": ("placement.io.overrides", "apply_overrides"),
    "solve": ("placement.solution", "solve"),
    "evaluate": ("placement.solution", "evaluate"),
    "Instance": ("placement.model", "Instance"),
    "Scenario": ("placement.model", "Scenario"),
    "ScoringModel": ("placement.model", "ScoringModel"),
    "Sense": ("placement.model", "Sense"),
    "Result": ("placement.solution", "Result"),
    "SolveOptions": ("placement.solvers.base", "SolveOptions"),
    "Status": ("placement.solvers.base", "Status"),
    "PlacementError": ("placement.errors", "PlacementError"),
    "InstanceError": ("placement.errors", "InstanceError"),
    "SolverUnavailableError": ("placement.errors", "SolverUnavailableError"),
    "InfeasibleError": ("placement.errors", "InfeasibleError"),
}

if TYPE_CHECKING:
    from placement.errors import (
        InfeasibleError,
        InstanceError,
        PlacementError,
        SolverUnavailableError,
    )
    from placement.io import from_frames, load
    from placement.io.overrides import apply_overrides
    from placement.model import Instance, Scenario, ScoringModel, Sense
    from placement.solution import Result, evaluate, solve
    from placement.solvers.base import SolveOptions, Status


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        value = getattr(importlib.import_module(mod), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'placement' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
