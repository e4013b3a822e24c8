"""Build throughput: the engine's model build against raw numpy and against idiomatic PuLP.

For synthetic placement models (:mod:`placement.io.synthetic`, one assignment row per function and
one staff-budget row) of growing size, four builders produce the same MILP and hand it over:

``engine``
    What ``placement.solve`` does before solving: scoring (the value matrix from the instance's
    scores and curves), the canonical form (:func:`placement.milp.build`) and the
    hand-over to HiGHS (``passModel`` through :class:`placement.solvers.highs.HighsBackend`'s
    session), without solving. Starts from the instance, with nothing cached.
``engine-values``
    The same with the value table given (scoring excluded): canonical form + hand-over.
``raw-numpy``
    Hand-written numpy assembly of the same CSR matrix from the value and staff tables, passed
    to ``highspy`` in one ``passModel`` call: the floor for any Python front end.
``raw-numpy+scoring``
    The same plus a hand-written numpy version of the scoring formula (docs/model.md section 2), so
    that it starts from the same data as ``engine``.
``pulp``
    An idiomatic hand-written PuLP model: one ``LpVariable`` per binary, ``lpSum`` for the
    objective, one ``lpSum(...) == 1`` per function and one budget ``lpSum``, as a typical
    user writes it. Only the build is timed (PuLP's own hand-over to CBC, writing an MPS file,
    would add more).

The builders are interleaved (A B C D A B C D ..., the order of the numpy builders rotated
each round, PuLP last in every round and an untimed build after it, so that none of the others
pays for the memory PuLP frees) and each is repeated; the medians and the median of the
per-round ratios are reported, so that ratios hold on a shared, noisy machine.

Run::

    python -m benchmarks.build_throughput --output benchmarks/results/NAME [--sizes 1000x5,...]
"""

from __future__ import annotations

import argparse
import csv
import gc
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from placement.model import Instance

__all__ = ["BUILDERS", "DEFAULT_SIZES", "measure", "main"]

#: (functions, tiers): 5e3 .. 1e6 binaries; the two 1e6 shapes of the issue.
DEFAULT_SIZES: tuple[tuple[int, int], ...] = (
    (1_000, 5), (10_000, 5), (20_000, 5), (200_000, 5), (20_000, 50),
)


def _passmodel(c: np.ndarray, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray,
               row_lo: np.ndarray, row_up: np.ndarray, n_cols: int) -> Any:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(n_cols, row_lo.shape[0], data.shape[0], 2, int(highspy.ObjSense.kMaximize.value),
                0.0, c, np.zeros(n_cols), np.ones(n_cols), row_lo, row_up, indptr, indices,
                data, np.ones(n_cols, dtype=np.int32))
    return h


def raw_numpy(values: np.ndarray, staff: np.ndarray, budget: float) -> Any:
    """CSR by hand: F assignment rows of T ones, then one dense budget row; one passModel."""
    F, T = values.shape
    n = F * T
    indptr = np.empty(F + 2, dtype=np.int32)
    indptr[: F + 1] = np.arange(0, n + 1, T, dtype=np.int32)
    indptr[F + 1] = 2 * n
    cols = np.arange(n, dtype=np.int32)
    indices = np.concatenate([cols, cols])
    data = np.concatenate([np.ones(n), staff.ravel()])
    row_lo = np.concatenate([np.ones(F), [-1e30]])
    row_up = np.concatenate([np.ones(F), [budget]])
    return _passmodel(values.ravel(), indptr, indices, data, row_lo, row_up, n)


def numpy_scoring(inst: Instance) -> np.ndarray:
    """docs/model.md section 2 written directly in numpy (per-function ramp overrides included)."""
    assert inst.model is not None
    crit = inst.model.criteria
    fn = inst.functions
    w = np.array([c.weight for c in crit])
    lo = np.where(np.isnan(fn.lo), np.array([c.lo for c in crit]), fn.lo)
    hi = np.where(np.isnan(fn.hi), np.array([c.hi for c in crit]), fn.hi)
    lp = np.log(np.array([t.population for t in inst.tiers]))
    llo = np.log(lo)
    a = np.clip((lp[None, None, :] - llo[:, :, None]) / (np.log(hi) - llo)[:, :, None], 0, 1)
    down = np.array([c.direction == "down" for c in crit])
    a[:, down, :] = 1.0 - a[:, down, :]
    return np.einsum("fc,fct->ft", fn.scores * w, a)


def raw_numpy_scoring(inst: Instance, staff: np.ndarray, budget: float) -> Any:
    return raw_numpy(numpy_scoring(inst), staff, budget)


def engine(inst: Instance, values: np.ndarray | None = None) -> Any:
    from placement.milp import build
    from placement.solvers.base import SolveOptions
    from placement.solvers.highs import HighsBackend

    fresh = inst.replace()  # nothing cached: scoring runs again
    form = build(fresh, values=values)
    return HighsBackend().open(form, SolveOptions())


def pulp_model(values: list[list[float]], staff: list[list[float]], budget: float) -> Any:
    """The model as a typical PuLP user writes it."""
    import pulp

    F, T = len(values), len(values[0])
    prob = pulp.LpProblem("placement", pulp.LpMaximize)
    x = {(f, t): pulp.LpVariable(f"x_{f}_{t}", cat="Binary") for f in range(F) for t in range(T)}
    prob += pulp.lpSum(values[f][t] * x[f, t] for f in range(F) for t in range(T))
    for f in range(F):
        prob += pulp.lpSum(x[f, t] for t in range(T)) == 1, f"assign_{f}"
    prob += pulp.lpSum(staff[f][t] * x[f, t] for f in range(F) for t in range(T)) <= budget, \
        "budget"
    return prob


Builder = Callable[[], Any]

BUILDERS = ("engine", "engine-values", "raw-numpy", "raw-numpy+scoring", "pulp")


def _builders(inst: Instance, with_pulp: bool) -> dict[str, Builder]:
    v = np.ascontiguousarray(inst.value_matrix)
    staff = np.ascontiguousarray(inst.cost_tensor[:, :, 0])
    budget = float(inst.resources[0].budget or 0.0)
    out: dict[str, Builder] = {
        "engine": lambda: engine(inst),
        "engine-values": lambda: engine(inst, v),
        "raw-numpy": lambda: raw_numpy(v, staff, budget),
        "raw-numpy+scoring": lambda: raw_numpy_scoring(inst, staff, budget),
    }
    if with_pulp:
        vl, sl = v.tolist(), staff.tolist()
        out["pulp"] = lambda: pulp_model(vl, sl, budget)
    return out


def _same_model(inst: Instance) -> None:
    """The builders must agree: same objective, same matrix (checked once per size)."""
    v = inst.value_matrix
    assert np.allclose(numpy_scoring(inst), v, rtol=1e-12, atol=1e-9), "scoring differs"
    h_engine = engine(inst)._h
    staff = inst.cost_tensor[:, :, 0]
    h_raw = raw_numpy(v, staff, float(inst.resources[0].budget or 0.0))
    le, lr = h_engine.getLp(), h_raw.getLp()
    assert le.num_col_ == lr.num_col_ and le.num_row_ == lr.num_row_
    assert np.allclose(le.col_cost_, lr.col_cost_)
    assert le.a_matrix_.value_ == lr.a_matrix_.value_ or np.allclose(
        np.asarray(le.a_matrix_.value_), np.asarray(lr.a_matrix_.value_))


def measure(sizes: list[tuple[int, int]], repeats: int, pulp_max: int, seed: int = 0,
            log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Interleaved timings: one row per size, builder and round."""
    from placement.io.synthetic import generate

    rows: list[dict[str, Any]] = []
    for F, T in sizes:
        inst = generate(F, T, seed=seed)
        _same_model(inst)
        builders = _builders(inst, with_pulp=pulp_max >= F * T)
        fast = [n for n in builders if n != "pulp"]
        for rnd in range(repeats):
            k = rnd % len(fast)
            order = fast[k:] + fast[:k] + (["pulp"] if "pulp" in builders else [])
            # PuLP allocates and frees ~2 GB of Python objects at 10^6 binaries: an untimed
            # build first, so that no timed builder is the first to run after it.
            gc.collect()
            del_me = builders["raw-numpy"]()
            del del_me
            for name in order:
                gc.collect()
                t0 = time.perf_counter()
                model = builders[name]()
                dt = time.perf_counter() - t0
                del model
                rows.append({"functions": F, "tiers": T, "binaries": F * T, "builder": name,
                             "round": rnd, "seconds": dt})
            log(f"{F}x{T} round {rnd + 1}/{repeats}: " + ", ".join(
                f"{r['builder']} {r['seconds']:.3f}s" for r in rows if r["round"] == rnd
                and r["functions"] == F and r["tiers"] == T))
    return rows


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size: median seconds of each builder and the median per-round ratios."""
    out = []
    sizes = sorted({(r["functions"], r["tiers"]) for r in rows}, key=lambda s: (s[0] * s[1], s))
    for F, T in sizes:
        rs = [r for r in rows if r["functions"] == F and r["tiers"] == T]
        by: dict[str, dict[int, float]] = {}
        for r in rs:
            by.setdefault(r["builder"], {})[r["round"]] = r["seconds"]

        def ratio(a: str, b: str, by: dict[str, dict[int, float]] = by) -> float | None:
            if a not in by or b not in by:
                return None
            common = sorted(set(by[a]) & set(by[b]))
            return statistics.median(by[a][i] / by[b][i] for i in common)

        row: dict[str, Any] = {"functions": F, "tiers": T, "binaries": F * T,
                               "rounds": max(len(v) for v in by.values())}
        for name in BUILDERS:
            row[f"{name}_s"] = statistics.median(by[name].values()) if name in by else None
        row["engine_over_raw"] = ratio("engine", "raw-numpy")
        row["engine_over_raw_scoring"] = ratio("engine", "raw-numpy+scoring")
        row["engine_values_over_raw"] = ratio("engine-values", "raw-numpy")
        row["pulp_over_engine"] = ratio("pulp", "engine")
        out.append(row)
    return out


def markdown(summary: list[dict[str, Any]], repeats: int) -> str:
    def s(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"

    def r(x: float | None) -> str:
        return "-" if x is None else f"{x:.2f}x"

    lines = [
        "# Build throughput",
        "",
        "Seconds to build a synthetic placement model and hand it to the solver (median of "
        f"{repeats} interleaved rounds; ratios are medians of the per-round ratios). "
        "`engine`: scoring + canonical form + HiGHS passModel from the instance; "
        "`engine-values`: the same given the value table; `raw`: hand-written numpy CSR + one "
        "passModel from the value and staff tables; `raw+scoring`: the same plus numpy scoring; "
        "`pulp`: idiomatic PuLP (lpSum per variable), build only.",
        "",
        "| functions x tiers | binaries | engine | engine-values | raw | raw+scoring | pulp "
        "| engine / raw | engine / raw+scoring | engine-values / raw | pulp / engine |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary:
        lines.append(
            f"| {row['functions']:,} x {row['tiers']} | {row['binaries']:,} "
            f"| {s(row['engine_s'])} | {s(row['engine-values_s'])} | {s(row['raw-numpy_s'])} "
            f"| {s(row['raw-numpy+scoring_s'])} | {s(row['pulp_s'])} "
            f"| {r(row['engine_over_raw'])} | {r(row['engine_over_raw_scoring'])} "
            f"| {r(row['engine_values_over_raw'])} | {r(row['pulp_over_engine'])} |")
    lines += ["", "Targets at 10^6 binaries: engine within 2x of raw numpy assembly; PuLP at "
              "least 50x slower than the engine.", ""]
    return "\n".join(lines)


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for part in text.split(","):
        f, _, t = part.strip().lower().partition("x")
        out.append((int(f), int(t)))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=",".join(f"{f}x{t}" for f, t in DEFAULT_SIZES),
                   help="FUNCTIONSxTIERS,... (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--pulp-max", type=int, default=1_000_000,
                   help="largest model (binaries) PuLP is built for (it is slow)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", type=Path, default=None, help="directory for CSV and Markdown")
    a = p.parse_args(argv)
    sizes = _parse_sizes(a.sizes)
    rows = measure(sizes, a.repeats, a.pulp_max, a.seed,
                   log=lambda m: print(m, file=sys.stderr, flush=True))
    summary = summarise(rows)
    text = markdown(summary, a.repeats)
    print(text)
    if a.output is not None:
        from placement.util import write_text_atomic as write_atomic

        a.output.mkdir(parents=True, exist_ok=True)
        fields = ["functions", "tiers", "binaries", "builder", "round", "seconds"]
        write_atomic(a.output / "build_throughput.csv", _csv(rows, fields))
        write_atomic(a.output / "build_throughput.md", text)
    return 0


def _csv(rows: list[dict[str, Any]], fields: list[str]) -> str:
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r[k] for k in fields})
    return buf.getvalue()


if __name__ == "__main__":
    sys.exit(main())
