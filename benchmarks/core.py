"""The structure-aware path against the plain backend, side by side in one run.

    python -m benchmarks.core --output benchmarks/results/core [--limit 60] [--seed 1]
        [--paths core,plain] [--matrix] [--rel-gap 0] [--caps 0]

``--matrix`` runs issue 15's whole grid (50000x5, 200000x5, 20000x50; budget tightness 0.5 and
0.9; links 0 and 0.1) instead of the four headline instances; ``--paths core`` leaves out the
plain run (60 s each when it cannot prove); ``--seed`` other than 1 gives the held-out
instances; ``--caps C`` caps every tier below the national one at ``1 - C`` of the staff it uses
with every function at its best tier (the generator's ``cap_tightness``; issue 15's "caps on").

Each synthetic instance (``placement.io.synthetic``) is solved twice with HiGHS, 1 thread:
``structure=True`` (Lagrangian bound, reduced-cost fixing, the core to HiGHS) and the whole
model to HiGHS alone (``plain``: the backend called directly, none of the engine's bounds or
starts), both capped at ``--limit`` seconds so that the run ends. Every placement is checked
by the independent checker (``check_ok``); the core path's bound is the one
:func:`placement.milp.core.price` recomputes from the multipliers (``lagrangian_bound``),
tightened by the core's proof; where the links are kept in the bound
(:mod:`placement.milp.link_forest`) that bound is recomputed from its multipliers in the
row's process (``forest_rederived``, after the peak memory is read). Each row runs in a
fresh process; its peak memory is that process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path

from benchmarks.machine import machine_info

SIZES = [(50_000, 5, 0.5, 0.0), (50_000, 5, 0.9, 0.0), (200_000, 5, 0.5, 0.0),
         (20_000, 50, 0.5, 0.0)]
MATRIX = [(F, T, tight, links) for F, T in ((50_000, 5), (200_000, 5), (20_000, 50))
          for tight in (0.5, 0.9) for links in (0.0, 0.1)]


def _row(spec: tuple[int, int, float, float], structure: bool, limit: float | None,
         seed: int, rel_gap: float = 0.0, caps: float = 0.0) -> dict[str, object]:
    import placement
    from placement.io.synthetic import generate

    F, T, tight, links = spec
    inst = generate(F, T, seed=seed, budget_tightness=tight, link_density=links,
                    cap_tightness=caps)
    if not structure:
        return _plain(inst, limit, rel_gap)
    t = time.perf_counter()
    r = placement.solve(inst, "highs", threads=1, structure=structure,
                        time_limit=limit, rel_gap=rel_gap)
    wall = time.perf_counter() - t
    details = (r.extra.get("solver_details") or {}).get("structure") or {}
    rounds = details.get("rounds", [])
    forest = details.get("forest_bound") or {}
    peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {"instance": inst.name, "path": "core" if structure else "plain",
            "status": r.status.value, "objective": r.objective, "bound": r.bound,
            "gap": r.gap, "seconds": round(wall, 3),
            "check_ok": bool(r.check is not None and r.check.ok),
            "core_columns": [_round_label(x) for x in rounds],
            "lagrangian_bound": details.get("lagrangian_bound"),
            "forest_bound": forest.get("bound"),
            "forest_rederived": None if not forest else _rederive(inst, forest["multipliers"]),
            "peak_mb": peak}


def _plain(inst: object, limit: float | None, rel_gap: float) -> dict[str, object]:
    """The whole model to HiGHS alone: no bound, construction or start of the engine's own
    (``placement.solve(structure=False)`` with a time limit builds those first, and answers
    without HiGHS when they meet), its placement checked by the independent checker."""
    from placement import solvers
    from placement.milp import build
    from placement.solution.checker import check
    from placement.solvers import SolveOptions

    t = time.perf_counter()
    form = build(inst)  # type: ignore[arg-type]
    raw = solvers.get("highs").solve(form, SolveOptions(time_limit=limit, threads=1,
                                                         rel_gap=rel_gap))
    wall = time.perf_counter() - t
    ok = raw.x is not None and check(inst, form.assignment_of(raw.x),  # type: ignore[arg-type]
                                     raw.objective).ok
    return {"instance": inst.name, "path": "plain", "status": raw.status.value,  # type: ignore[attr-defined]
            "objective": raw.objective, "bound": raw.bound, "gap": raw.gap,
            "seconds": round(wall, 3), "check_ok": bool(ok), "core_columns": [],
            "lagrangian_bound": None, "forest_bound": None, "forest_rederived": None,
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def _rederive(inst: object, multipliers: list[float]) -> float:
    """The bound with the links kept, recomputed from the priced rows' multipliers alone
    (every component solved afresh at those prices, the priced sides of the rows added:
    :func:`benchmarks.rederive.forest_value`): the number the search reported must be this,
    whatever the search did to find them."""
    import numpy as np

    from benchmarks.rederive import forest_value
    from placement.milp import build
    from placement.milp.link_forest import forest_bound

    form = build(inst)  # type: ignore[arg-type]
    fb = forest_bound(inst, form)  # type: ignore[arg-type]  # for the priced rows' indices
    assert fb is not None
    y = np.zeros(form.n_rows)
    y[fb.rows] = np.asarray(multipliers, dtype=float)
    return forest_value(inst, form, y)


def _round_label(entry: dict[str, object]) -> object:
    """A round's core columns; ``LP xN`` for the sifting step (N passes), ``skip`` for a
    round left out at the time limit."""
    if "sifting" in entry:
        return f"LP x{entry['sifting']['passes']}"  # type: ignore[index]
    if "skipped" in entry:
        return "skip"
    return entry.get("columns")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--output", type=Path, required=True)
    ap.add_argument("--limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--paths", default="core,plain")
    ap.add_argument("--matrix", action="store_true")
    ap.add_argument("--rel-gap", type=float, default=0.0)
    ap.add_argument("--caps", type=float, default=0.0)
    args = ap.parse_args()
    paths = [p.strip() for p in args.paths.split(",")]
    from concurrent.futures import ProcessPoolExecutor

    rows: list[dict[str, object]] = []
    for spec in MATRIX if args.matrix else SIZES:
        for structure in [p == "core" for p in paths]:
            with ProcessPoolExecutor(max_workers=1, max_tasks_per_child=1) as pool:
                row = pool.submit(_row, spec, structure, args.limit, args.seed,
                                  args.rel_gap, args.caps).result()
            row["load_average"] = round(os.getloadavg()[0], 2)
            print(json.dumps(row), flush=True)
            rows.append(row)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    (args.output / "machine.json").write_text(json.dumps(machine_info(), indent=2) + "\n")
    flags = (f" --paths {args.paths}" if args.paths != "core,plain" else "") + (
        " --matrix" if args.matrix else "") + (
        f" --rel-gap {args.rel_gap:g}" if args.rel_gap else "") + (
        f" --caps {args.caps:g}" if args.caps else "")
    lines = ["# The structure-aware path against plain HiGHS (1 thread)", "",
             f"`python -m benchmarks.core --output {args.output} --limit "
             f"{args.limit:g} --seed {args.seed}{flags}`; every path capped at "
             f"{args.limit:g} s; `load` is the machine's 1-minute load average after the row.",
             "", "`forest bound` is the bound with the links kept as the solve reported it, and "
             "`re-derived` the same bound recomputed in the row's process from its multipliers "
             "alone (`_rederive`).", "",
             "| instance | path | status | objective | bound | gap | seconds | checked | "
             "core columns per round (LP xN: sifting, N passes) | forest bound | re-derived | "
             "peak MB | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        gap = "" if r["gap"] is None else f"{r['gap']:.2e}"
        obj = "" if r["objective"] is None else f"{r['objective']:.4f}"
        bnd = "" if r["bound"] is None else f"{r['bound']:.4f}"
        fb = "" if r.get("forest_bound") is None else f"{r['forest_bound']:.4f}"
        rd = "" if r.get("forest_rederived") is None else f"{r['forest_rederived']:.4f}"
        lines.append(f"| {r['instance']} | {r['path']} | {r['status']} | {obj} | {bnd} | {gap} "
                     f"| {r['seconds']} | {r['check_ok']} | {r['core_columns']} | {fb} | {rd} "
                     f"| {r['peak_mb']} | {r['load_average']} |")
    (args.output / "summary.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
