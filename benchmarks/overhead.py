"""Per-call overhead on the England instances: load, solve split by stage, the CLI's CPU time,
and the CPU the CLI's imports cost before any work.

Run: python -m benchmarks.overhead --output benchmarks/results/overhead [--old COMMIT]

Stages are timed by wrapping the names placement.solution.solving calls (build, the
backend's solve, uniform_structure, check, one_size_baselines) for the duration of the
run; the CLI's CPU time is resource.getrusage(RUSAGE_CHILDREN) around one child process, and
so is each import floor (``python -c "import X"``). Repeats are interleaved and medians
reported, since the machine is shared. summary.md is written from the numbers (issue 15's
targets beside them), never typed.

``--old COMMIT`` also measures the CLI's CPU with that commit's code (a temporary git worktree,
its bytecode compiled first, as this checkout's is), interleaved with this checkout's runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

INSTANCES = ("instances/england-2024-uniform", "instances/england-2024",
             "instances/england-2024-lsoa")
STAGES = ("build", "uniform_structure", "check", "one_size_baselines")
#: What the CLI cannot avoid importing, cumulatively: each row adds to the one above.
IMPORT_FLOORS = {
    "python": "pass",
    "+ numpy": "import numpy",
    "+ typer, rich, pydantic, highspy": "import numpy, typer, rich.console, pydantic, highspy",
    "(+ scipy.sparse: not imported by a single-area solve without links)":
        "import numpy, typer, rich.console, pydantic, highspy, scipy.sparse",
    "(+ pandas: no longer imported by a solve)":
        "import numpy, typer, rich.console, pydantic, highspy, scipy.sparse, pandas",
}
TARGETS = {"load_ms": 50.0, "total_ms": 10.0, "cli_cpu_s": 0.6}


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


def _cpu_once(args: list[str], code: Path | None = None) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of one child process, run with ``code``
    first on its path."""
    env = None if code is None else {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env=env, cwd=code)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, wall


def _child_cpu(args: list[str], repeats: int) -> float:
    """Median CPU seconds of a child process."""
    return statistics.median(_cpu_once(args)[0] for _ in range(repeats))


def _instance(path: str, repeats: int, old: Path | None) -> dict[str, float]:
    import placement
    loads = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        inst = placement.load(path)
        loads.append(time.perf_counter() - t0)
    cli = [sys.executable, "-m", "placement.cli", "solve", str(Path(path).resolve()), "-f",
           "json"]
    runs: dict[str, list[float]] = {k: [] for k in ("cli_cpu_s", "cli_wall_s", "old_cli_cpu_s",
                                                    "old_cli_wall_s")}
    for _ in range(max(3, repeats // 2)):  # interleaved: old, new, old, new
        for prefix, code in (("old_", old), ("", None)):
            if prefix and code is None:
                continue
            cpu, wall = _cpu_once(cli, code)
            runs[f"{prefix}cli_cpu_s"].append(cpu)
            runs[f"{prefix}cli_wall_s"].append(wall)
    return {"load_ms": 1000 * statistics.median(loads), **_solve_split(inst, repeats),
            **{k: statistics.median(v) for k, v in runs.items() if v}}


def _summary(result: dict) -> str:
    old = result.get("old")
    lines = ["# Per-call overhead on England (issue 15 item 3)", "",
             "`python -m benchmarks.overhead --output benchmarks/results/overhead "
             f"--repeats {result['repeats']}" + (f" --old {old}" if old else "") +
             f"` ({result['repeats']} repeats, medians), "
             "machine in `machine.json`, load average "
             f"{result['load_average'][0]:.2f} at the start. Written by the script from "
             "`results.json`.", "",
             "| measure | " + " | ".join(f"`{p}`" for p in INSTANCES) + " | target (uniform) |",
             "|---|" + "---|" * (len(INSTANCES) + 1)]
    rows = [("`placement.load`", "load_ms", "ms"), ("`placement.solve` in all", "total_ms", "ms"),
            ("of which build", "build_ms", "ms"),
            ("of which `uniform_structure`", "uniform_structure_ms", "ms"),
            ("of which `check`", "check_ms", "ms"),
            ("of which one-size baselines", "one_size_baselines_ms", "ms"),
            ("rest (backend, result)", "rest_ms", "ms"),
            ("`placement solve PATH -f json`, CPU of the process", "cli_cpu_s", "s"),
            ("the same, wall", "cli_wall_s", "s")]
    if old:
        rows += [(f"CPU at {old} (interleaved)", "old_cli_cpu_s", "s"),
                 (f"wall at {old} (interleaved)", "old_cli_wall_s", "s")]
    for label, key, unit in rows:
        cells = []
        for p in INSTANCES:
            v = result["instances"][p][key]
            cells.append(f"{v:.1f} {unit}" if unit == "ms" else f"{v:.2f} {unit}")
        target = TARGETS.get(key)
        shown = "" if target is None else (f"< {target:g} {unit}")
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {shown} |")
    lines += ["", "CPU of `python -c IMPORTS` (the floor every CLI run pays before any work):", "",
              "| imports | CPU |", "|---|---|"]
    lines += [f"| {k} | {v:.2f} s |" for k, v in result["import_floor_s"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--old", help="also measure the CLI's CPU at this commit")
    args = parser.parse_args(argv)
    from benchmarks.machine import machine_info
    from benchmarks.registry import ROOT
    with tempfile.TemporaryDirectory() as tmp:
        old = None if args.old is None else Path(tmp) / "old"
        if old is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old),
                            args.old], check=True, capture_output=True)
        try:
            for code in (ROOT, old):  # bytecode written ahead, as `make` writes it
                if code is not None:
                    subprocess.run([sys.executable, "-m", "compileall", "-q",
                                    str(code / "placement")], check=True)
            result = {"repeats": args.repeats, "old": args.old,
                      "load_average": os.getloadavg(),
                      "instances": {p: _instance(p, args.repeats, old) for p in INSTANCES},
                      "import_floor_s": {k: _child_cpu([sys.executable, "-c", code], 3)
                                         for k, code in IMPORT_FLOORS.items()}}
        finally:
            if old is not None:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(old)], check=False, capture_output=True)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.output / "machine.json").write_text(json.dumps(machine_info(["highs"]), indent=2) + "\n")
    (args.output / "summary.md").write_text(_summary(result))
    print(_summary(result))


if __name__ == "__main__":
    main()
