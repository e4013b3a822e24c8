"""Wall time against the time limit on 50,000 x 5, every backend (issue 13: "always an answer").

Generates ``placement generate --functions 50000`` (default settings, and budget tightness 0.9
with link density 0.1), then for each backend runs ``placement.solve(inst, solver,
time_limit=L, threads=1)`` in this process, and ``placement solve DIR --time-limit L -f json``
as a user would (a fresh process: imports and loading included). Records the status, objective,
bound, gap, where the placement and the bound came from, the checker's verdict, and where the
time went (build, Lagrangian bound, construction, completion, backend, the rest)::

    python -m benchmarks.anytime --output benchmarks/results/anytime --time-limit 5

It writes ``results.csv`` (one row per instance, backend and mode) and ``summary.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import placement
from benchmarks.machine import machine_info
from placement.io.instance_writer import write_instance
from placement.io.synthetic import generate
from placement.util import write_text_atomic

INSTANCES: dict[str, dict[str, float]] = {
    "50000x5 default": {"budget_tightness": 0.5, "link_density": 0.0},
    "50000x5 tight, links": {"budget_tightness": 0.9, "link_density": 0.1},
}
BACKENDS = ("highs", "cbc", "cp-sat", "scip")


def _library_row(inst: placement.Instance, solver: str, limit: float) -> dict:
    t0 = time.perf_counter()
    r = placement.solve(inst, solver, time_limit=limit, threads=1)
    wall = time.perf_counter() - t0
    d = r.extra.get("solver_details", {}).get("anytime", {})
    sec = d.get("seconds", {})
    known = r.build_seconds + sum(sec.get(k, 0.0) for k in
                                  ("bound", "construction", "completion", "backend"))
    return {"mode": "library", "status": r.status.value, "objective": r.objective,
            "bound": r.bound, "gap": r.gap, "checked": bool(r.check is not None and r.check.ok),
            "incumbent_from": d.get("incumbent_from"), "bound_from": d.get("bound_from"),
            "wall": round(wall, 3), "over_limit": round(wall - limit, 3),
            "build": round(r.build_seconds, 3), "lagrangian": round(sec.get("bound", 0.0), 3),
            "construction": round(sec.get("construction", 0.0) + sec.get("completion", 0.0), 3),
            "backend": round(sec.get("backend", 0.0), 3),
            "backend_limit": round(sec.get("backend_limit", 0.0), 3),
            "rest": round(wall - known, 3)}


def _cli_row(path: Path, solver: str, limit: float) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "o.json"
        cmd = [sys.executable, "-c", "from placement.cli import main; main()", "solve",
               str(path), "--solver", solver, "--time-limit", str(limit), "--threads", "1",
               "-f", "json", "--output", str(out)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
        wall = time.perf_counter() - t0
        res = json.loads(out.read_text()) if out.exists() else {}
    return {"mode": "cli", "status": res.get("status"), "objective": res.get("objective"),
            "bound": res.get("bound"), "gap": res.get("gap"), "exit": proc.returncode,
            "wall": round(wall, 3), "over_limit": round(wall - limit, 3)}


def run(limit: float, cli: bool) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, kw in INSTANCES.items():
            path = Path(tmp) / name.replace(" ", "_").replace(",", "")
            inst = generate(50_000, seed=1, budget_tightness=kw["budget_tightness"],
                            link_density=kw["link_density"])
            if cli:
                write_instance(inst, path)
            for solver in BACKENDS:
                if solver not in placement.solvers.installed():
                    continue
                row = {"instance": name, "solver": solver, "limit": limit}
                rows.append({**row, **_library_row(inst, solver, limit)})
                print(rows[-1], flush=True)
                if cli:
                    rows.append({**row, **_cli_row(path, solver, limit)})
                    print(rows[-1], flush=True)
    return rows


def summary(rows: list[dict], machine: dict, limit: float) -> str:
    out = io.StringIO()
    out.write(f"# Wall time against a {limit:g} s time limit, 50,000 x 5\n\n"
              f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, shared "
              "with other work while this ran; 1 thread. `library` is `placement.solve` "
              "(build, bound, construction, backend, checker and baselines; the limit counts "
              "from its start); `cli` is `placement solve -f json --output` in a fresh "
              "process (its limit counts from the command's start: loading and writing the "
              "result come out of it).\n\n"
              "| instance | solver | mode | status | gap | placement from | bound from | wall s "
              "| over the limit s | build | bound | construction | backend (its limit) | rest "
              "| exit |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    for r in rows:
        gap = "-" if r.get("gap") is None else f"{100 * r['gap']:.3f}%"
        lib = r["mode"] == "library"
        out.write(
            f"| {r['instance']} | {r['solver']} | {r['mode']} | {r['status']} | {gap} | "
            f"{r.get('incumbent_from') or '-'} | {r.get('bound_from') or '-'} | {r['wall']} | "
            f"{r['over_limit']} | {r['build'] if lib else '-'} | "
            f"{r['lagrangian'] if lib else '-'} | {r['construction'] if lib else '-'} | "
            + (f"{r['backend']} ({r['backend_limit']})" if lib else "-")
            + f" | {r['rest'] if lib else '-'} | {r.get('exit', '-')} |\n")
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--no-cli", action="store_true", help="skip the command-line runs")
    a = ap.parse_args()
    rows = run(a.time_limit, not a.no_cli)
    a.output.mkdir(parents=True, exist_ok=True)
    fields = sorted({k for r in rows for k in r}, key=lambda k: list(
        {k: 0 for r in rows for k in r}).index(k))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    write_text_atomic(a.output / "results.csv", buf.getvalue())
    text = summary(rows, machine_info(), a.time_limit)
    write_text_atomic(a.output / "summary.md", text)
    print(text)


if __name__ == "__main__":
    main()
