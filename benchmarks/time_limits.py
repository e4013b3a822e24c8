"""Time-limited solves on issue 15's largest synthetic instances, before and after a change.

For each instance of :data:`INSTANCES` (the ``scale`` suite's, per-tier caps on, instance
seed 1; ``--instances`` names others) and each time limit (``--limits``), runs
``placement.solve(inst, "highs", time_limit=L, threads=1)`` in a fresh process with the code
at ``--old`` (checked out into a temporary git worktree) and with this checkout, interleaved
(old, new), and records the call's wall time (building the model included; generating the
instance not), the status, the objective, the bound and the gap, and the checker's verdict::

    python -m benchmarks.time_limits --output benchmarks/results/time-limits --old 31f60e1

It writes ``results.csv`` (one row per instance, limit and code), ``machine.json`` and
``summary.md``. A placement the checker rejects exits 4.
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
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info
from placement.util import write_text_atomic

ROOT = Path(__file__).resolve().parent.parent
#: (functions, tiers, budget tightness, link density); caps 0.2, seed 1 (registry.SCALE_*).
INSTANCES = ((20_000, 50, 0.9, 0.1), (20_000, 50, 0.5, 0.1), (200_000, 5, 0.9, 0.1),
             (50_000, 5, 0.5, 0.1))
LIMITS = (2.0, 4.0, 6.0, 8.0)
CAPS = 0.2

_CHILD = """
import json, sys, time
import placement
from placement.io.synthetic import generate
F, T, tight, links, caps, limit, seed = json.loads(sys.argv[1])
inst = generate(F, T, seed=seed, budget_tightness=tight, link_density=links, cap_tightness=caps)
t0 = time.perf_counter()
r = placement.solve(inst, "highs", time_limit=limit, threads=1)
wall = time.perf_counter() - t0
print(json.dumps({"name": inst.name, "status": r.status.value, "objective": r.objective,
                  "bound": r.bound, "gap": r.gap, "checked": bool(r.check is not None
                                                                 and r.check.ok),
                  "wall": wall}))
"""


def _run(code: Path, spec: tuple[int, int, float, float], limit: float,
         seed: int = 1) -> dict[str, Any]:
    arg = json.dumps([*spec, CAPS, limit, seed])
    proc = subprocess.run([sys.executable, "-c", _CHILD, arg], capture_output=True, text=True,
                          check=False, cwd=code, env={**os.environ, "PYTHONPATH": str(code)})
    if proc.returncode != 0:
        raise SystemExit(f"the run failed ({code}, {arg}):\n{proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def _pct(gap: float | None) -> str:
    return "-" if gap is None else f"{100 * gap:.3f}%"


def summary(rows: list[dict[str, Any]], old: str, machine: dict[str, Any],
            options: str = "", seed: int = 1) -> str:
    out = io.StringIO()
    out.write(
        f"# Time-limited solves on issue 15's largest instances: {old} and after\n\n"
        f"`python -m benchmarks.time_limits --output DIR --old {old}{options}`: "
        "`placement.solve(inst, "
        "\"highs\", time_limit=L, threads=1)` on the `scale` suite's instances (per-tier caps "
        f"0.2, instance seed {seed}), each run in a fresh process, old and new interleaved. "
        f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, shared with "
        "other work while this ran. Wall seconds are the whole call (building the model, bound, "
        "placement, backend, checker and baselines); the gap is the answer's own (placement "
        "against its bound). "
        + ("Every placement passed the independent checker.\n\n" if all(
            r["checked"] for r in rows) else "**Some placement failed the independent "
            "checker** (`checked` in results.csv).\n\n")
        +
        "| instance | limit s | old wall s | old status | old gap | new wall s | new status "
        "| new gap |\n|---|---:|---:|---|---:|---:|---|---:|\n")
    pairs: dict[tuple[str, float], dict[str, dict[str, Any]]] = {}
    for r in rows:
        pairs.setdefault((r["name"], r["limit"]), {})[r["code"]] = r
    for (name, limit), p in pairs.items():
        o, n = p["old"], p["new"]
        out.write(f"| {name} | {limit:g} | {o['wall']:.2f} | {o['status']} | {_pct(o['gap'])} "
                  f"| {n['wall']:.2f} | {n['status']} | {_pct(n['gap'])} |\n")
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--old", required=True, help="the commit to compare with")
    ap.add_argument("--instances", default=None,
                    help="FUNCTIONSxTIERSxTIGHTNESSxLINKS,... (default: issue 15's four)")
    ap.add_argument("--limits", default=None, help="seconds,... (default: 2,4,6,8)")
    ap.add_argument("--instance-seed", type=int, default=1,
                    help="the instances' seed (default 1; another holds them out)")
    args = ap.parse_args()
    instances = INSTANCES if args.instances is None else tuple(
        (int(F), int(T), float(b), float(ln))
        for F, T, b, ln in (spec.split("x") for spec in args.instances.split(",")))
    limits = LIMITS if args.limits is None else tuple(float(v) for v in args.limits.split(","))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        old = Path(tmp) / "old"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(old),
                        args.old], check=True, capture_output=True)
        try:
            for spec in instances:
                for limit in limits:
                    for code_name, code in (("old", old), ("new", ROOT)):
                        row = {"code": code_name, "limit": limit,
                               **_run(code, spec, limit, args.instance_seed)}
                        rows.append(row)
                        print(row, flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                           check=False, capture_output=True)
    args.output.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    write_text_atomic(args.output / "results.csv", buf.getvalue())
    machine = machine_info()
    write_text_atomic(args.output / "machine.json", json.dumps(machine, indent=2) + "\n")
    options = "".join(f" --{k} {v}" for k, v in (("instances", args.instances),
                                                  ("limits", args.limits)) if v)
    if args.instance_seed != 1:
        options += f" --instance-seed {args.instance_seed}"
    text = summary(rows, args.old, machine, options, args.instance_seed)
    write_text_atomic(args.output / "summary.md", text)
    print(text)
    if not all(r["checked"] for r in rows):
        raise SystemExit(4)


if __name__ == "__main__":
    main()
