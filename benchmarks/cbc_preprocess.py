"""What CBC's sound options cost on the OR-Library gap1-12 problems.

CBC 2.10.3 with its defaults reported worse placements as optimal: its preprocessing on
tests/data/cbc-preprocess, its probing cuts on c0824_4. The CBC backend therefore runs with
``-preprocess off -probing off`` (``placement.solvers.cbc.SOUND_OPTIONS``). This script
solves every gap1-12 problem (60, the ``cMMNN_k`` files) with CBC's defaults and with the
sound options, in alternating order, and records objective, status and seconds against the
proven optimum::

    python -m benchmarks.cbc_preprocess --output benchmarks/results/cbc-preprocess

It writes ``results.csv`` (one row per problem, setting and repeat) and ``summary.md``
(median seconds per family and setting, their ratio, and every wrong "optimal" claim).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import time
from pathlib import Path

from benchmarks.machine import machine_info
from benchmarks.registry import get_suite
from placement.solvers import cbc
from placement.util import write_text_atomic

SETTINGS = {"cbc-default": (), "sound": ("preprocess off", "probing off")}


def _solve(spec: dict, options: tuple[str, ...], time_limit: float) -> tuple[str, float, float]:
    from benchmarks.registry import build_case
    from placement.milp.formulation import build
    from placement.solvers.base import SolveOptions

    form = build(build_case(spec))
    cbc.SOUND_OPTIONS = options
    t0 = time.perf_counter()
    raw = cbc.CbcBackend().solve(form, SolveOptions(time_limit=time_limit, threads=1))
    seconds = time.perf_counter() - t0
    return raw.status.value, float("nan") if raw.objective is None else raw.objective, seconds


def run(output: Path, repeats: int, time_limit: float) -> list[dict]:
    cases = [c for c in get_suite("orlib-gap").cases(_options())
             if c.family.startswith("gap")]
    rows = []
    for rep in range(repeats):
        for i, case in enumerate(cases):
            order = list(SETTINGS) if (i + rep) % 2 == 0 else list(SETTINGS)[::-1]
            for setting in order:
                status, obj, secs = _solve(case.spec, SETTINGS[setting], time_limit)
                rows.append({"instance": case.name, "family": case.family, "setting": setting,
                             "repeat": rep, "status": status, "objective": obj,
                             "optimum": case.known_upper, "seconds": round(secs, 4)})
    return rows


def _options():
    from benchmarks.registry import SuiteOptions

    return SuiteOptions()


def summary(rows: list[dict], machine: dict) -> str:
    fams = sorted({r["family"] for r in rows}, key=lambda f: int(f[3:]))
    out = io.StringIO()
    out.write("# CBC defaults against the sound options (preprocess and probing off), "
              "OR-Library gap1-12\n\n"
              f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; "
              "1 thread, CBC via PuLP. Median wall seconds per solve (model build, MPS "
              "write, CBC run and read back), over the family's problems and repeats.\n\n"
              "| family | CBC defaults | sound options | sound / defaults |\n|---|---|---|---|\n")
    for fam in fams:
        med = {s: statistics.median(r["seconds"] for r in rows
                                    if r["family"] == fam and r["setting"] == s)
               for s in SETTINGS}
        out.write(f"| {fam} | {med['cbc-default']:.3f} | {med['sound']:.3f} | "
                  f"{med['sound'] / med['cbc-default']:.2f} |\n")
    tot = {s: sum(r["seconds"] for r in rows if r["setting"] == s) for s in SETTINGS}
    out.write(f"\nTotal seconds: defaults {tot['cbc-default']:.1f}, sound {tot['sound']:.1f} "
              f"(ratio {tot['sound'] / tot['cbc-default']:.2f}).\n\n")
    wrong = [r for r in rows if r["status"] == "optimal" and r["optimum"] is not None
             and abs(r["objective"] - r["optimum"]) > 1e-6]
    unproven = [r for r in rows if r["status"] != "optimal"]
    out.write(f"Wrong optimal claims: {len(wrong)}; not proven optimal within the limit: "
              f"{len(unproven)}.\n")
    for r in wrong + unproven:
        out.write(f"- {r['instance']} {r['setting']}: {r['status']} {r['objective']} "
                  f"(optimum {r['optimum']})\n")
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--time-limit", type=float, default=60.0)
    a = ap.parse_args()
    rows = run(a.output, a.repeats, a.time_limit)
    a.output.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    write_text_atomic(a.output / "results.csv", buf.getvalue())
    text = summary(rows, machine_info())
    write_text_atomic(a.output / "summary.md", text)
    print(text)


if __name__ == "__main__":
    main()
