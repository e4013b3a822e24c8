"""The structure-aware path against the plain backend, side by side in one run.

    python -m benchmarks.core --output benchmarks/results/core [--limit 60]

Each synthetic instance (``placement.io.synthetic``) is solved twice with HiGHS, 1 thread:
``structure=True`` (Lagrangian bound, reduced-cost fixing, the core to HiGHS) and
``structure=False`` (the whole model to HiGHS), both capped at ``--limit`` seconds so that the
run ends). Every placement is checked by the independent checker (``check_ok``); the core
path's bound is the one :func:`placement.milp.core.price` recomputes from the multipliers
(``lagrangian_bound``), tightened by the core's proof. Each row runs in a
fresh process; its peak memory is that process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

from benchmarks.machine import machine_info

SIZES = [(50_000, 5, 0.5, 0.0), (50_000, 5, 0.9, 0.0), (200_000, 5, 0.5, 0.0),
         (20_000, 50, 0.5, 0.0)]


def _row(spec: tuple[int, int, float, float], structure: bool, limit: float | None,
         seed: int) -> dict[str, object]:
    import placement
    from placement.io.synthetic import generate

    F, T, tight, links = spec
    inst = generate(F, T, seed=seed, budget_tightness=tight, link_density=links)
    t = time.perf_counter()
    r = placement.solve(inst, "highs", threads=1, structure=structure,
                        time_limit=limit)
    wall = time.perf_counter() - t
    details = (r.extra.get("solver_details") or {}).get("structure") or {}
    rounds = details.get("rounds", [])
    return {"instance": inst.name, "path": "core" if structure else "plain",
            "status": r.status.value, "objective": r.objective, "bound": r.bound,
            "gap": r.gap, "seconds": round(wall, 3),
            "check_ok": bool(r.check is not None and r.check.ok),
            "core_columns": [x.get("columns") for x in rounds],
            "lagrangian_bound": details.get("lagrangian_bound"),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    from concurrent.futures import ProcessPoolExecutor

    rows: list[dict[str, object]] = []
    for spec in SIZES:
        for structure in (True, False):
            with ProcessPoolExecutor(max_workers=1, max_tasks_per_child=1) as pool:
                row = pool.submit(_row, spec, structure, args.limit, args.seed).result()
            print(json.dumps(row), flush=True)
            rows.append(row)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.output / "machine.json").write_text(json.dumps(machine_info(), indent=2) + "\n")
    lines = ["# The structure-aware path against plain HiGHS (1 thread)", "",
             f"`python -m benchmarks.core --output {args.output} --limit "
             f"{args.limit:g} --seed {args.seed}`; both paths capped at "
             f"{args.limit:g} s.", "",
             "| instance | path | status | objective | bound | gap | seconds | checked | "
             "core columns per round | peak MB |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        gap = "" if r["gap"] is None else f"{r['gap']:.2e}"
        obj = "" if r["objective"] is None else f"{r['objective']:.4f}"
        bnd = "" if r["bound"] is None else f"{r['bound']:.4f}"
        lines.append(f"| {r['instance']} | {r['path']} | {r['status']} | {obj} | {bnd} | {gap} "
                     f"| {r['seconds']} | {r['check_ok']} | {r['core_columns']} | "
                     f"{r['peak_mb']} |")
    (args.output / "summary.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
