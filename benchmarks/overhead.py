"""Per-call overhead on England uniform: load, solve split by stage, and the CLI's CPU time.

Run: python -m benchmarks.overhead --output benchmarks/results/overhead

Stages are timed by wrapping the names placement.solution.solving calls (build, the
backend's solve, uniform_structure, check, one_size_baselines) for the duration of the
run; the CLI's CPU time is resource.getrusage(RUSAGE_CHILDREN) around one child process.
Repeats are interleaved and medians reported, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

INSTANCE = "instances/england-2024"
STAGES = ("build", "uniform_structure", "check", "one_size_baselines")


def _timed(store: dict[str, list[float]], name: str, fn):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            store[name][-1] += time.perf_counter() - t0
    return wrapper


def _solve_split(inst, repeats: int) -> dict[str, float]:
    import placement
    from placement.solution import solving
    store: dict[str, list[float]] = defaultdict(list)
    saved = {name: getattr(solving, name) for name in STAGES}
    try:
        for name in STAGES:
            setattr(solving, name, _timed(store, name, saved[name]))
        for _ in range(repeats):
            for name in (*STAGES, "total"):
                store[name].append(0.0)
            t0 = time.perf_counter()
            placement.solve(inst)
            store["total"][-1] = time.perf_counter() - t0
    finally:
        for name, fn in saved.items():
            setattr(solving, name, fn)
    out = {f"{k}_ms": 1000 * statistics.median(v) for k, v in store.items()}
    out["rest_ms"] = out["total_ms"] - sum(out[f"{k}_ms"] for k in STAGES)
    return out


def _cli_cpu(repeats: int) -> float:
    cpu = []
    for _ in range(repeats):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, "-m", "placement.cli", "solve", INSTANCE, "-f", "json"],
                       stdout=subprocess.DEVNULL, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(cpu)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    import os

    import placement
    from benchmarks.machine import machine_info
    loads = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        inst = placement.load(INSTANCE)
        loads.append(time.perf_counter() - t0)
    result = {"load_ms": 1000 * statistics.median(loads),
              **_solve_split(inst, args.repeats),
              "cli_cpu_s": _cli_cpu(max(1, args.repeats // 2)),
              "load_average": os.getloadavg()}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.output / "machine.json").write_text(json.dumps(machine_info(["highs"]), indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
