"""The machine a benchmark ran on, as machine.json and results.json record it.

Solve times mean little without the CPU, cores, memory, OS, Python and the versions of the
solvers and numeric packages that produced them. Linux details come from ``/proc`` and
``/etc/os-release``; elsewhere those fields fall back to what :mod:`platform` knows (or
``None``), never to an error: a description is not worth failing a run for.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from placement import solvers as registry

__all__ = ["machine_info"]

#: Packages whose versions shape the results (None when not installed).
_PACKAGES = ("placement", "numpy", "scipy", "highspy", "pulp", "ortools", "matplotlib")


def _lines(path: str) -> list[str]:
    """Lines of a system file; none where it does not exist (not Linux) or cannot be read."""
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def _cpu_model() -> str:
    for line in _lines("/proc/cpuinfo"):
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or ""


def _cpu_mhz() -> int | None:
    for line in _lines("/proc/cpuinfo"):
        if line.lower().startswith("cpu mhz"):
            try:
                return round(float(line.split(":", 1)[1]))
            except ValueError:
                return None
    return None


def _memory_gb() -> float | None:
    mem_gb = None
    for line in _lines("/proc/meminfo"):
        if line.startswith("MemTotal:"):
            mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    return mem_gb


def _distribution() -> str:
    distro = ""
    for line in _lines("/etc/os-release"):
        if line.startswith("PRETTY_NAME="):
            distro = line.split("=", 1)[1].strip().strip('"')
    return distro


def _package_versions() -> dict[str, str | None]:
    pkgs: dict[str, str | None] = {}
    for p in _PACKAGES:
        try:
            pkgs[p] = version(p)
        except PackageNotFoundError:
            pkgs[p] = None
    return pkgs


def _solver_versions(solvers: Sequence[str]) -> dict[str, str]:
    backends = {}
    for s in solvers:
        try:
            backends[s] = registry.get(s).version()
        except Exception as e:  # a version string is not worth failing a run for
            backends[s] = f"unknown ({type(e).__name__})"
    return backends


def machine_info(solvers: Sequence[str] = ()) -> dict[str, Any]:
    """CPU model, cores, memory, OS, Python and solver versions of this machine."""
    return {
        "cpu": _cpu_model(),
        "cpu_mhz": _cpu_mhz(),
        "distribution": _distribution(),
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": _memory_gb(),
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": _package_versions(),
        "solver_versions": _solver_versions(solvers),
    }
