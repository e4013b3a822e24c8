"""One benchmark run in a fresh process: build one case, solve it with one backend, check it.

The runner (through :mod:`benchmarks.dispatch`, on whichever machine the run's task lands)
starts ``python -m benchmarks.worker`` once per (instance, backend, repeat), writes
a JSON request to its standard input and reads one JSON line from its standard output. A fresh
process per run makes the peak memory (the kernel's ``ru_maxrss`` of the finished process,
read by the runner) belong to that run alone, isolates a solver crash, and lets the runner kill
a run that overstays its time limit.

Request: ``{"case": Case.to_dict(), "backend": "highs", "time_limit": 60, "threads": 1,
"seed": 0, "root": "/path/to/repo"}``.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from placement.util import finite_or_none

__all__ = ["run_one", "main"]


def run_one(req: dict[str, Any]) -> dict[str, Any]:
    """Load, build, solve and check one case; every field the CSV wants except memory."""
    from benchmarks.registry import Case, build_case

    case = Case.from_dict(req["case"])
    root = Path(req.get("root") or ".")
    out: dict[str, Any] = {"status": "error", "error": ""}
    t0 = time.perf_counter()
    inst = build_case(case.spec, root)
    out["load_seconds"] = time.perf_counter() - t0

    from placement import solvers
    from placement.milp import build
    from placement.solution.solving import result_from_raw
    from placement.solvers.base import SolveOptions

    backend = solvers.get(req["backend"])
    options = SolveOptions(time_limit=req.get("time_limit"), threads=req.get("threads"),
                           seed=int(req.get("seed", 0)))
    inst = inst.replace()  # drop any value table cached while loading: build includes scoring
    t1 = time.perf_counter()
    form = build(inst)  # scoring + canonical form
    out["build_seconds"] = time.perf_counter() - t1
    out.update(columns=form.n_cols, rows=form.n_rows, nonzeros=int(form.A.nnz))
    t2 = time.perf_counter()
    raw = backend.solve(form, options)
    out["backend_seconds"] = time.perf_counter() - t2  # translation + solve, as a user waits
    result = result_from_raw(inst, form, raw, solver=backend.name, options=options,
                             build_seconds=out["build_seconds"])
    bb = raw.extra.get("build_seconds") if raw.extra else None
    out.update(
        status=str(result.status),
        objective=finite_or_none(result.objective),
        bound=finite_or_none(result.bound),
        gap=finite_or_none(result.gap),
        nodes=result.nodes,
        solve_seconds=float(raw.seconds),
        backend_build_seconds=finite_or_none(float(bb)) if isinstance(bb, int | float) else None,
        solver_version=str(raw.solver_version or backend.version()),
        message=str(raw.message or ""),
        precision_loss=finite_or_none(raw.precision_loss),
        check_ok=None if result.check is None else bool(result.check.ok),
        check_objective=None if result.check is None else finite_or_none(result.check.objective),
        error="",
    )
    return out


def main() -> int:
    req = json.loads(sys.stdin.read())
    try:
        out = run_one(req)
    except BaseException as e:  # reported as a row with status "error", never lost
        out = {"status": "error",
               "error": f"{type(e).__name__}: {e}".strip()[:500],
               "traceback": traceback.format_exc()[-2000:]}
    sys.stdout.write("\n" + json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
