"""The portfolio backend against HiGHS and CP-SAT alone on the hard OR-Library GAP instances.

Each instance of D and E types with 100-200 jobs is solved by ``placement.solve`` (the full
path: construction, backend, merge and the independent checker) with HiGHS, CP-SAT and the
portfolio, at the same time limit, the same total threads and seed, one after the other in an
order that rotates from instance to instance, so that the three share the machine's load::

    python -m benchmarks.portfolio --output benchmarks/results/portfolio --time-limit 30

Gaps are to the best known value (``upper_bound`` of the ``Min`` row of ``bounds.tsv``;
negative when a run beats it) and to the run's own proven bound. Writes ``results.csv``,
``machine.json`` and ``summary.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import time
from pathlib import Path

from benchmarks.machine import machine_info
from placement.util import write_text_atomic

INSTANCES = ("d10100", "d10200", "d20100", "d20200", "e10100", "e10200", "e20100", "e20200")
SOLVERS = ("highs", "cp-sat", "portfolio")
DATA = Path(__file__).resolve().parents[1] / "data" / "gap"  # the D/E files: data/gap/README.md


def best_known(data: Path) -> dict[str, tuple[float, float]]:
    """(lower, upper) bound of the ``Min`` sense per instance from ``bounds.tsv``."""
    with (data / "bounds.tsv").open() as fh:
        return {r["instance"]: (float(r["lower_bound"]), float(r["upper_bound"]))
                for r in csv.DictReader(fh, delimiter="\t") if r["sense"] == "Min"}


def _solve(path: Path, solver: str, time_limit: float, threads: int, seed: int) -> dict:
    import placement

    inst = placement.load(path, input_format="orlib-gap")
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    r = placement.solve(inst, solver, time_limit=time_limit, threads=threads, seed=seed)
    seconds = time.perf_counter() - t0
    log = (r.extra.get("solver_details") or {}).get("components") or []
    found = [c["component"] for c in log if c.get("improved")]
    return {"status": r.status.value, "objective": r.objective, "bound": r.bound,
            "checked": bool(r.check is not None and r.check.ok), "seconds": round(seconds, 2),
            "load1": round(load, 2),
            # the portfolio's component whose placement is the answer, its exchanges with
            # HiGHS, and how long HiGHS waited for the side's rounds there
            "found_by": found[-1] if found else "",
            "exchanges": sum(1 for c in log if c["component"] == "highs"
                             and c["status"] == "running"),
            "highs_waited": round(sum(float(c.get("waited", 0.0)) for c in log), 2)}


def run(data: Path, names: list[str], solvers: list[str], time_limit: float, threads: int,
        seed: int) -> list[dict]:
    known = best_known(data)
    rows = []
    for i, name in enumerate(names):
        order = solvers[i % len(solvers):] + solvers[:i % len(solvers)]
        for solver in order:
            row = {"instance": name, "solver": solver, "time_limit": time_limit,
                   "threads": threads, "seed": seed,
                   **_solve(data / name, solver, time_limit, threads, seed)}
            lo, best = known[name]
            obj, bound = row["objective"], row["bound"]
            row["best_known"] = best
            row["gap_best_known_pct"] = None if obj is None else round(100 * (obj - best) / best,
                                                                       4)
            row["gap_bound_pct"] = None if obj is None or bound is None else \
                round(100 * (obj - bound) / abs(obj), 4)
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def summary(rows: list[dict], machine: dict, data: Path) -> str:
    out = io.StringIO()
    tl, th = rows[0]["time_limit"], rows[0]["threads"]
    seed = f" --seed {rows[0]['seed']}" if rows[0].get("seed") else ""
    out.write(f"# Portfolio against HiGHS and CP-SAT, OR-Library D/E 100-200, {tl:g} s, "
              f"{th} threads\n\n"
              f"Machine: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, shared "
              "with other jobs (1-minute load average per solve in results.csv). Command: "
              f"`python -m benchmarks.portfolio --time-limit {tl:g} --threads {th}"
              f"{seed}` "
              f"(data: {data}). Every placement checked by the independent checker: "
              f"{all(r['checked'] for r in rows if r['objective'] is not None)}.\n\n"
              "Gap to the best known value of bounds.tsv (%, objective - best / best) "
              "and, in brackets, to the run's own proven bound.\n\n"
              "| instance | best known | " + " | ".join(SOLVERS) +
              " | portfolio <= best single |\n|---|---|" + "---|" * (len(SOLVERS) + 1) + "\n")
    names = list(dict.fromkeys(r["instance"] for r in rows))
    wins = 0
    for name in names:
        by = {r["solver"]: r for r in rows if r["instance"] == name}
        cells = []
        for s in SOLVERS:
            r = by.get(s)
            if r is None or r["objective"] is None:
                cells.append("-")
                continue
            cells.append(f"{r['gap_best_known_pct']:.3f} ({r['gap_bound_pct']:.3f}) "
                         f"{r['status']}")
        singles = [by[s]["objective"] for s in ("highs", "cp-sat")
                   if s in by and by[s]["objective"] is not None]
        pf = by.get("portfolio", {}).get("objective")
        ok = pf is not None and (not singles or pf <= min(singles))
        wins += ok
        out.write(f"| {name} | {by[next(iter(by))]['best_known']:g} | " + " | ".join(cells) +
                  f" | {'yes' if ok else 'no'} |\n")
    close = sum(1 for r in rows if r["solver"] == "portfolio" and r["objective"] is not None
                and r["gap_best_known_pct"] < 0.1)
    out.write(f"\nPortfolio at least as good as the best single backend on {wins} of "
              f"{len(names)} instances; under 0.1% of the best known on {close} of "
              f"{len(names)}.\n")
    mine = [r for r in rows if r["solver"] == "portfolio"]
    if mine and "found_by" in mine[0]:
        out.write("\nThe portfolio's answer by the component that found it (`highs-placement`: "
                  "HiGHS's own; `polish`: the local search on one of HiGHS's; `core`, "
                  "`local-search`, `neighbourhoods`, `cp-sat`: the side's rounds), its "
                  "exchanges with HiGHS, "
                  "and the seconds HiGHS waited there for the side:\n\n"
                  "| instance | found by | exchanges | HiGHS waited (s) |\n|---|---|---|---|\n")
        for r in mine:
            out.write(f"| {r['instance']} | {r['found_by'] or '-'} | {r['exchanges']} | "
                      f"{r['highs_waited']:g} |\n")
    return out.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--instances", nargs="*", default=list(INSTANCES))
    ap.add_argument("--solvers", nargs="*", default=list(SOLVERS))
    a = ap.parse_args()
    missing = [n for n in a.instances if not (a.data / n).is_file()]
    if missing or not (a.data / "bounds.tsv").is_file():
        raise SystemExit(f"{a.data}: missing {', '.join(missing) or 'bounds.tsv'}; pass --data")
    rows = run(a.data, a.instances, a.solvers, a.time_limit, a.threads, a.seed)
    a.output.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    write_text_atomic(a.output / "results.csv", buf.getvalue())
    machine = machine_info(a.solvers)
    write_text_atomic(a.output / "machine.json", json.dumps(machine, indent=2, default=str))
    text = summary(rows, machine, a.data)
    write_text_atomic(a.output / "summary.md", text)
    print(text)


if __name__ == "__main__":
    main()
