"""One benchmark run in a fresh process: build one case, solve it with one backend, check it.

The runner (through :mod:`benchmarks.dispatch`, on whichever machine the run's task lands)
starts ``python -m benchmarks.worker`` once per (instance, backend, repeat), writes
a JSON request to its standard input and reads one JSON line from its standard output. A fresh
process per run makes the peak memory (the kernel's ``ru_maxrss`` of the finished process,
read by the runner) belong to that run alone, isolates a solver crash, and lets the runner kill
a run that overstays its time limit.

Request: ``{"case": Case.to_dict(), "backend": "highs", "time_limit": 60, "threads": 1,
"seed": 0, "rel_gap": 0.0, "root": "/path/to/repo"}``.

``backend`` is a run label (:mod:`benchmarks.labels`): a backend name runs that backend alone
on the whole canonical model; ``engine:NAME`` runs ``placement.solve`` with it, and its row's
``solve_seconds`` is that whole call as a user waits for it (build, bound, core, checker and
baselines), its peak memory read before the engine's bound is re-derived from its multipliers
(:mod:`benchmarks.rederive`; ``root_bound`` and ``bound_rederived``).
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
    from benchmarks.labels import split_label
    from benchmarks.registry import Case, build_case

    case = Case.from_dict(req["case"])
    root = Path(req.get("root") or ".")
    out: dict[str, Any] = {"status": "error", "error": ""}
    t0 = time.perf_counter()
    inst = build_case(case.spec, root)
    out["load_seconds"] = time.perf_counter() - t0
    name, engine = split_label(req["backend"])
    if engine:
        return _engine(inst, name, req, out)

    from placement import solvers
    from placement.milp import build
    from placement.solution.solving import result_from_raw
    from placement.solvers.base import SolveOptions

    backend = solvers.get(name)
    options = SolveOptions(time_limit=req.get("time_limit"), threads=req.get("threads"),
                           seed=int(req.get("seed", 0)), rel_gap=float(req.get("rel_gap", 0.0)))
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
    out.update(_answer(result), solve_seconds=float(raw.seconds),
               backend_build_seconds=finite_or_none(float(bb)) if isinstance(bb, int | float)
               else None, solver_version=str(raw.solver_version or backend.version()))
    return out


def _answer(result: Any) -> dict[str, Any]:
    """The fields of a checked :class:`placement.Result` every row has."""
    return dict(
        status=str(result.status),
        objective=finite_or_none(result.objective),
        bound=finite_or_none(result.bound),
        gap=finite_or_none(result.gap),
        nodes=result.nodes,
        message=str(result.message or ""),
        precision_loss=finite_or_none(result.precision_loss),
        check_ok=None if result.check is None else bool(result.check.ok),
        check_objective=None if result.check is None else finite_or_none(result.check.objective),
        error="",
    )


def _engine(inst: Any, name: str, req: dict[str, Any], out: dict[str, Any]) -> dict[str, Any]:
    """``placement.solve`` with backend ``name``, then its bound re-derived."""
    import resource

    import placement
    from benchmarks.rederive import rederive

    t = time.perf_counter()
    result = placement.solve(inst, name, time_limit=req.get("time_limit"),
                             threads=req.get("threads"), seed=int(req.get("seed", 0)),
                             rel_gap=float(req.get("rel_gap", 0.0)))
    wall = time.perf_counter() - t
    peak = max(resource.getrusage(who).ru_maxrss
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    out.update(_answer(result), build_seconds=result.build_seconds, solve_seconds=wall,
               backend_seconds=wall, solver_version=str(result.solver_version or ""),
               peak_rss_mb=peak / 1024.0)
    structure = (result.extra.get("solver_details") or {}).get("structure") or {}
    pricing = structure.get("pricing")
    if pricing:
        out["root_bound"] = finite_or_none(pricing["bound"])
        try:  # a bound that cannot be re-derived fails the run; the row keeps the answer
            out["bound_rederived"] = finite_or_none(rederive(inst, pricing))
        except (ValueError, KeyError, IndexError) as e:
            out["error"] = f"the engine's bound could not be re-derived: {e}"[:500]
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
