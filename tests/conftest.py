"""Shared fixtures: paths, the installed backends, and brute-force optima for small instances."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
INSTANCES = ROOT / "instances"
DATA = ROOT / "data"
GAP_DIR = DATA / "gap"  # copied from shared/data/gap with its README


@pytest.fixture(autouse=True, scope="session")
def _run_from_repo_root() -> None:
    # docstring examples and instance paths are written relative to the repository root
    os.chdir(ROOT)


def installed_backends() -> list[str]:
    from placement import solvers

    return solvers.installed()


BACKENDS = installed_backends()


def brute_force(inst) -> tuple[float | None, list[np.ndarray]]:  # type: ignore[no-untyped-def]
    """Best objective over every assignment the independent checker accepts, and the argmaxes.

    Exponential: only for instances with a few functions and tiers.
    """
    from placement.solution.checker import check

    F, T = inst.n_functions, inst.n_tiers
    assert T**F <= 200_000, "too large to enumerate"
    best: float | None = None
    arg: list[np.ndarray] = []
    sign = 1.0 if inst.sense == "max" else -1.0
    for combo in itertools.product(range(T), repeat=F):
        a = np.array(combo)
        rep = check(inst, a)
        if not rep.ok:
            continue
        assert rep.objective is not None
        v = sign * rep.objective
        if best is None or v > best + 1e-9:
            best, arg = v, [a]
        elif abs(v - best) <= 1e-9:
            arg.append(a)
    return (None if best is None else sign * best), arg
