"""How long ``placement report`` takes on the bundled England instances (issue 15: under 10 s).

    python -m benchmarks.report_time --output benchmarks/results/report-time [--repeats 2]

Each run is ``placement report DIR --output TMP`` in a fresh process (imports, loading, every
solve, the charts and the files written), timed from outside: wall seconds and the process's
CPU seconds (user and system, its children included). Medians over the repeats; the runs of
the two instances are interleaved.
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
from pathlib import Path

from benchmarks.machine import machine_info

INSTANCES = ("instances/england-2024", "instances/england-2024-uniform")


def _run(instance: str) -> dict[str, float]:
    exe = Path(sys.executable).with_name("placement")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([str(exe), "report", instance, "--output", tmp], check=True,
                       capture_output=True)
        wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    runs: dict[str, list[dict[str, float]]] = {i: [] for i in INSTANCES}
    for _ in range(args.repeats):
        for inst in INSTANCES:
            runs[inst].append(_run(inst))
            print(inst, runs[inst][-1], flush=True)
    med = {i: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu")}
           for i, rs in runs.items()}
    args.output.mkdir(parents=True, exist_ok=True)
    result = {"repeats": args.repeats, "runs": runs, "median": med,
              "load_average": os.getloadavg()}
    (args.output / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.output / "machine.json").write_text(json.dumps(machine_info(), indent=2) + "\n")
    lines = ["# `placement report` on the England instances", "",
             f"`python -m benchmarks.report_time --output {args.output} --repeats "
             f"{args.repeats}`: each run a fresh process, medians; load average at the end "
             f"{result['load_average'][0]:.2f}. Issue 15's target: under 10 s.", "",
             "| instance | wall s | CPU s | under 10 s |", "|---|---|---|---|"]
    for inst, m in med.items():
        lines.append(f"| {inst} | {m['wall']:.2f} | {m['cpu']:.2f} | {m['wall'] < 10} |")
    (args.output / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
