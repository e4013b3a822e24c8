"""Solver backends behind one interface, found through a registry.

Each backend lives in its own small module and is imported only when asked for, so
``placement --help`` and ``placement solvers`` never load a native solver library.

>>> from placement.solvers import known, installed
>>> "highs" in known()
True
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from functools import cache

from placement.errors import SolverUnavailableError
from placement.solvers.base import Backend, Capabilities, RawSolution, Session, SolveOptions, Status

__all__ = [
    "Backend",
    "Capabilities",
    "RawSolution",
    "Session",
    "SolveOptions",
    "Status",
    "REGISTRY",
    "known",
    "installed",
    "get",
]


@dataclass(frozen=True)
class Entry:
    name: str
    label: str
    module: str  # placement.solvers.<module>
    cls: str
    requires: tuple[str, ...]
    aliases: tuple[str, ...] = ()


#: Backends in preference order; HiGHS is the default.
REGISTRY: tuple[Entry, ...] = (
    Entry("highs", "HiGHS (highspy)", "placement.solvers.highs", "HighsBackend", ("highspy",)),
    Entry("cbc", "CBC (PuLP)", "placement.solvers.cbc", "CbcBackend", ("pulp",), ("pulp",)),
    Entry(
        "cp-sat",
        "CP-SAT (OR-Tools)",
        "placement.solvers.cpsat",
        "CpSatBackend",
        ("ortools",),
        ("cpsat", "cp_sat", "ortools-cp-sat"),
    ),
    Entry("scip", "SCIP (OR-Tools)", "placement.solvers.scip", "ScipBackend", ("ortools",)),
    Entry(
        "portfolio",
        "Portfolio (HiGHS + core search + CP-SAT + local and neighbourhood search)",
        "placement.solvers.portfolio",
        "PortfolioBackend",
        ("highspy", "ortools"),
    ),
)


def _entry(name: str) -> Entry | None:
    key = name.strip().lower()
    for e in REGISTRY:
        if key == e.name or key in e.aliases:
            return e
    return None


def known() -> list[str]:
    """Names of every backend the engine knows."""
    return [e.name for e in REGISTRY]


def _requirements_met(e: Entry) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in e.requires)


def installed() -> list[str]:
    """Names of the backends whose Python packages are installed (nothing is imported)."""
    return [e.name for e in REGISTRY if _requirements_met(e)]


def label(name: str) -> str:
    e = _entry(name)
    return e.label if e else name


@cache
def get(name: str) -> Backend:
    """The backend called ``name`` (or one of its aliases).

    Raises
    ------
    SolverUnavailableError
        When the name is unknown or its package is not installed; the message names the
        backends that are installed.
    """
    e = _entry(name)
    if e is None or not _requirements_met(e):
        raise SolverUnavailableError(name, known(), installed())
    module = importlib.import_module(e.module)
    backend: Backend = getattr(module, e.cls)()
    return backend
