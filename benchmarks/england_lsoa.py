"""England per area at LSOA resolution (instances/england-2024-lsoa, 33,755 areas): the default
solve (alike areas merged, exact) side by side with HiGHS on the whole model as given
(``structure=False``), each in its own process so its peak memory is its own.

Run: python -m benchmarks.england_lsoa --output benchmarks/results/england-lsoa

Each variant records load and solve seconds (``placement.load``, ``placement.solve`` with its
checker and baselines), status, objective, bound, gap, the checker's verdict on all 33,755
areas and the process's peak resident memory. summary.md is written from the numbers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from benchmarks.machine import machine_info
from benchmarks.registry import ROOT

INSTANCE = ROOT / "instances" / "england-2024-lsoa"
VARIANTS = {"merged (default)": "None", "whole model (--no-structure)": "False"}

_CHILD = """
import json, resource, sys, time
import placement
t0 = time.perf_counter()
inst = placement.load(sys.argv[1])
t1 = time.perf_counter()
r = placement.solve(inst, structure={structure}, time_limit=float(sys.argv[2]))
t2 = time.perf_counter()
print(json.dumps({{
    "load_s": t1 - t0, "solve_s": t2 - t1, "status": r.status.value,
    "objective": r.objective, "bound": r.bound, "gap": r.gap,
    "checked": bool(r.check is not None and r.check.ok),
    "merged_areas": r.extra.get("merged_areas"),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(structure: str, time_limit: float) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD.format(structure=structure),
                          str(INSTANCE), str(time_limit)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def summary(rows: dict[str, dict], time_limit: float) -> str:
    lines = ["# England per area at LSOA resolution", "",
             "`python -m benchmarks.england_lsoa --output benchmarks/results/england-lsoa` "
             f"(HiGHS, time limit {time_limit:g} s each, one process per variant), machine in "
             "`machine.json`. Written by the script from `results.json`.", "",
             "| variant | load s | solve s | status | objective | gap | checked on every "
             "LSOA | areas solved | peak MB |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        solved = (r["merged_areas"] or {}).get("solved_as", 33_755)
        gap = "-" if r["gap"] is None else f"{r['gap']:.1e}"
        obj = "-" if r["objective"] is None else f"{r['objective']:.6f}"
        lines.append(f"| {name} | {r['load_s']:.1f} | {r['solve_s']:.1f} | {r['status']} | "
                     f"{obj} | {gap} | {'yes' if r['checked'] else 'no'} | {solved:,} | "
                     f"{r['peak_mb']:,.0f} |")
    a, b = rows.values()
    if a["objective"] is not None and b["objective"] is not None:
        lines += ["", f"Objectives differ by {abs(a['objective'] - b['objective']):.1e}; "
                  f"solve time ratio (whole / merged) {b['solve_s'] / a['solve_s']:.1f}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args(argv)
    rows = {name: run(s, args.time_limit) for name, s in VARIANTS.items()}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.output / "machine.json").write_text(json.dumps(machine_info(["highs"]), indent=2)
                                              + "\n")
    text = summary(rows, args.time_limit)
    (args.output / "summary.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
