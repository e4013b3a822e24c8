"""What the executor seam costs and what a second worker buys (issue 17).

Two measurements in one run, on the machine's cores:

* per-task overhead: ``N`` no-op tasks (a shared instance, an index in, the index out) through
  each executor; seconds per task = wall time / N, after a warm-up round;
* speed-up: a sweep of England uniform (``instances/england-2024-uniform``), 40 points of
  local-knowledge weight x staff budget, serially, on 2 local processes and on a 2-worker
  Dask ``LocalCluster``; every table must equal the serial one.

::

    python -m benchmarks.sweep_overhead --output benchmarks/results/sweep
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import pandas as pd

import placement
from benchmarks.machine import machine_info
from placement.analysis.sweep import SweepTask, prepare
from placement.analysis.sweep_store import run_sweep
from placement.util.executor import DaskExecutor, ProcessExecutor, SerialExecutor
from placement.util.files import write_text_atomic

GRID = ["weights.local_knowledge=0.5:2:10", "budget.staff_fte=30000:45000:4"]


def _noop(shared: object, item: int) -> int:
    return item


def _overhead(ex: object, shared: object, n: int) -> float:
    list(ex.run(_noop, shared, list(range(min(n, 50)))))  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    got = sorted(r for _, r in ex.run(_noop, shared, list(range(n))))  # type: ignore[attr-defined]
    assert got == list(range(n))
    return (time.perf_counter() - t0) / n


def _sweep(inst: placement.Instance, ex: object) -> tuple[float, pd.DataFrame]:
    inst2, axes, points = prepare(inst, None, GRID, None, 0)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        table = run_sweep(SweepTask(inst2), axes, points, Path(tmp) / "s", executor=ex)  # type: ignore[arg-type]
        return time.perf_counter() - t0, table


def main() -> None:
    from distributed import LocalCluster

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--tasks", type=int, default=2000)
    a = ap.parse_args()
    inst = placement.load("instances/england-2024-uniform")
    rows: dict[str, dict[str, float]] = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=50) as cluster:
        executors = {"serial": SerialExecutor(), "2 processes": ProcessExecutor(2),
                     "Dask LocalCluster, 2 workers": DaskExecutor(cluster)}
        base = None
        for name, ex in executors.items():
            over = _overhead(ex, inst, a.tasks)
            secs, table = _sweep(inst, ex)
            if base is None:
                base = (secs, table)
            pd.testing.assert_frame_equal(table, base[1])
            rows[name] = {"overhead_ms_per_task": over * 1e3, "sweep_seconds": secs,
                          "speedup": base[0] / secs}
        executors["Dask LocalCluster, 2 workers"].close()  # type: ignore[attr-defined]
    m = machine_info()
    lines = ["# The executor seam: per-task overhead and speed-up (issue 17)", "",
             f"Machine: {m['cpu']}, {m['cores']} cores. Overhead: {a.tasks} no-op tasks "
             "sharing the England uniform instance, after a warm-up. Sweep: England uniform, "
             "40 points (local-knowledge weight x staff budget), each solved and checked; every "
             "table equal to the serial one.", "",
             "| executor | overhead per task (ms) | sweep (s) | speed-up |", "|---|---|---|---|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['overhead_ms_per_task']:.3f} | {r['sweep_seconds']:.2f} | "
                     f"{r['speedup']:.2f} |")
    a.output.mkdir(parents=True, exist_ok=True)
    write_text_atomic(a.output / "summary.md", "\n".join(lines) + "\n")
    write_text_atomic(a.output / "results.json", json.dumps({"machine": m, "rows": rows},
                                                           indent=2, default=str) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
