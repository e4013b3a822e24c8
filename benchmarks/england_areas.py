"""England per area against the uniform variant: where the time goes, stage by stage.

For ``instances/england-2024`` (166 areas, one binary per function and unit) and
``instances/england-2024-uniform`` (one binary per function and tier), each round times

``load``
    ``placement.load``: reading and validating the TOML and CSVs (areas, joins, tiers).
``build``
    The canonical form from a fresh copy of the instance (nothing cached: the unit layout,
    scoring per unit and every constraint family), :func:`placement.milp.build`.
``hand-over``
    Passing the form to HiGHS (``passModel``), :class:`placement.solvers.highs.HighsBackend`.
``solve``
    HiGHS's own solve to proven optimality, one thread.
``solve-all``
    ``placement.solve`` as a user calls it: the above plus the independent checker and the
    baselines (one-size placements, the status quo and, per area, the uniform-structure
    re-solve).

The two variants are interleaved (A B A B ...) and each stage's median is reported with the
median of the per-round ratios per-area / uniform, so that the ratios hold on a shared, noisy
machine. Run::

    python -m benchmarks.england_areas --output benchmarks/results/NAME/england-areas
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info
from benchmarks.registry import ROOT

__all__ = ["VARIANTS", "STAGES", "one_round", "main"]

VARIANTS = {"per-area": ROOT / "instances" / "england-2024",
            "uniform": ROOT / "instances" / "england-2024-uniform"}
STAGES = ("load", "build", "hand-over", "solve", "solve-all")


def one_round(path: Path) -> dict[str, Any]:
    """Time every stage once on the instance at ``path``; sizes and status alongside."""
    import placement
    from placement.milp import build
    from placement.model import apply_scenario
    from placement.solvers.base import SolveOptions
    from placement.solvers.highs import HighsBackend

    t0 = time.perf_counter()
    inst = placement.load(path)
    t1 = time.perf_counter()
    fresh = apply_scenario(inst, None).replace()
    t2 = time.perf_counter()
    form = build(fresh)
    t3 = time.perf_counter()
    session = HighsBackend().open(form, SolveOptions(threads=1))
    t4 = time.perf_counter()
    raw = session.solve()
    t5 = time.perf_counter()
    res = placement.solve(inst, "highs", threads=1)
    t6 = time.perf_counter()
    if not (res.check is not None and res.check.ok and str(res.status) == "optimal"):
        raise RuntimeError(f"{path}: {res.status}, checker {res.check}")
    return {
        "load": t1 - t0, "build": t3 - t2, "hand-over": t4 - t3, "solve": t5 - t4,
        "solve-all": t6 - t5, "status": str(raw.status), "objective": res.objective,
        "columns": int(form.c.shape[0]), "rows": int(form.n_rows),
        "nonzeros": int(form.A.nnz), "integers": int(form.integrality.sum()),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--output", type=Path, default=None, help="directory for CSV and Markdown")
    a = p.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for _ in range(2):  # warm-up: imports, first-touch of the files
        for path in VARIANTS.values():
            one_round(path)
    for r in range(a.repeats):
        for name, path in VARIANTS.items():
            rows.append({"round": r, "variant": name, **one_round(path)})
    md = _summary(rows, a.repeats)
    print(md)
    if a.output is not None:
        a.output.mkdir(parents=True, exist_ok=True)
        with (a.output / "results.csv").open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        (a.output / "summary.md").write_text(md)
        (a.output / "machine.json").write_text(json.dumps(machine_info(["highs"]), indent=2))
    return 0


def _summary(rows: list[dict[str, Any]], repeats: int) -> str:
    by = {v: [r for r in rows if r["variant"] == v] for v in VARIANTS}
    area, uni = by["per-area"], by["uniform"]
    lines = [
        f"# England per area against uniform ({repeats} interleaved rounds, HiGHS, 1 thread)",
        "",
        "| | per-area | uniform |",
        "|---|---:|---:|",
        *(f"| {k} | {area[0][k]:,} | {uni[0][k]:,} |"
          for k in ("columns", "integers", "rows", "nonzeros")),
        f"| objective | {area[0]['objective']:.6f} | {uni[0]['objective']:.6f} |",
        "",
        "| stage | per-area median (s) | uniform median (s) | ratio per-area / uniform "
        "(median of rounds) |",
        "|---|---:|---:|---:|",
    ]
    for s in STAGES:
        ratios = [x[s] / y[s] for x, y in zip(area, uni, strict=True) if y[s] > 0]
        lines.append(f"| {s} | {statistics.median(x[s] for x in area):.4f} | "
                     f"{statistics.median(y[s] for y in uni):.4f} | "
                     f"{statistics.median(ratios):.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
