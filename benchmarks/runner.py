"""Run a suite: every case with every chosen backend and repeat, each in a fresh worker process.

What the run writes, and how a rerun resumes from it, is :mod:`benchmarks.results_dir`; the
machine it records is :mod:`benchmarks.machine`. This module is what ``placement bench``
imports, so it also re-exports the names that command and the tests use from those two.

Fairness: every backend gets the same time limit, threads and seed; each run is a fresh
process (``python -m benchmarks.worker``), so no run inherits another's memory or warm caches,
and its peak memory is the kernel's ``ru_maxrss`` for that process tree (the largest single
process: the worker, or CBC's own process for the ``cbc`` backend).

Where: one run after another from this process by default; given an executor (``placement
bench --workers N`` or ``--scheduler tcp://HOST:8786``) the runs are tasks spread over local
processes or a Dask cluster, each still timing its own fresh child where it lands
(:mod:`benchmarks.dispatch`). Statuses, objectives and checks are the same wherever runs go;
timings from concurrent runs are not comparable (see that module).

Resuming: a rerun with the same output directory skips every (instance, backend, repeat)
already in ``results.csv``. The settings are kept in ``run.json``; a rerun with other
settings (time limit, threads, seed) is refused rather than mixed into the same table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks.dispatch import timed_run
from benchmarks.labels import backend_names, canonical_labels
from benchmarks.machine import machine_info
from benchmarks.rederive import agrees
from benchmarks.registry import (
    ROOT,
    BenchError,
    Case,
    SuiteOptions,
    filter_cases,
    get_suite,
)
from benchmarks.results_dir import (
    COLUMNS,
    RunSettings,
    append_row,
    check_output_dir,
    check_settings,
    compact,
    read_results,
    write_reports,
)
from placement import solvers as registry
from placement.util.executor import Executor, SerialExecutor

__all__ = ["COLUMNS", "ROOT", "BenchError", "RunSettings", "RunReport", "plan", "run",
           "read_results", "verify_known", "check_output_dir", "write_reports", "machine_info"]

_TOL = 1e-6

#: One run to do: (case, backend, repeat).
_Todo = tuple[Case, str, int]


@dataclass
class RunReport:
    """What :func:`run` did."""

    output: Path
    cases: int = 0
    ran: int = 0
    skipped: int = 0
    failures: list[str] = field(default_factory=list)  # checker or known-bound failures
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# -- known bounds -----------------------------------------------------------------------------


def verify_known(case: Case, status: str, objective: float | None,
                 bound: float | None) -> tuple[bool | None, bool | None]:
    """(matches_known, bounds_ok) against the case's proven bounds.

    ``bounds_ok`` is False when the solution or the solver's bound contradicts a proven
    bound (an objective better than the proven best, a bound worse than a known solution, or
    "optimal" away from the known optimum): a solver or engine bug. ``matches_known`` is True
    when the status is optimal and the objective equals the known optimum. ``None`` where
    nothing is known.
    """
    lo, hi = case.known_lower, case.known_upper
    if lo is None and hi is None:
        return None, None

    def tol(x: float) -> float:
        return _TOL * max(1.0, abs(x))

    ok = True
    # For "min", lower is the proven bound, upper a known solution; for "max" the reverse.
    best_possible, known_solution = (lo, hi) if case.sense == "min" else (hi, lo)
    sign = 1.0 if case.sense == "min" else -1.0
    if objective is not None and best_possible is not None and \
            sign * (best_possible - objective) > tol(best_possible):
        ok = False  # a feasible objective better than the proven bound
    if bound is not None and known_solution is not None and \
            sign * (bound - known_solution) > tol(known_solution):
        ok = False  # a claimed bound that a known solution beats
    matches = None
    opt = case.known_optimum
    if opt is not None:
        matches = status == "optimal" and objective is not None and \
            abs(objective - opt) <= tol(opt)
        if status == "optimal" and not matches:
            ok = False
    return matches, ok


# -- one run in a worker ----------------------------------------------------------------------


def rederived_ok(case: Case, objective: float | None, reported: float | None,
                 rederived: float | None) -> bool | None:
    """Whether the engine's bound, re-derived from its multipliers (``rederived``), is the
    one it reported and no placement beats it; False when a bound was reported but could not
    be re-derived, None when the engine reported none."""
    if reported is None:
        return None
    if rederived is None:
        return False
    if not agrees(reported, rederived):
        return False
    sign = 1.0 if case.sense == "max" else -1.0
    return objective is None or sign * (objective - rederived) <= _TOL * max(1.0, abs(rederived))


def _row(case: Case, backend: str, repeat: int, settings: RunSettings, res: dict[str, Any],
         wall: float, peak_mb: float, worker: str = "") -> dict[str, Any]:
    matches, bounds_ok = verify_known(case, res.get("status", "error"), res.get("objective"),
                                      res.get("bound"))
    if rederived_ok(case, res.get("objective"), res.get("root_bound"),
                    res.get("bound_rederived")) is False:
        bounds_ok = False
    # the engine's own reading, taken before its bound is re-derived in the same process
    peak_mb = res.get("peak_rss_mb") or peak_mb
    row: dict[str, Any] = {
        "suite": case.suite, "instance": case.name, "family": case.family,
        "functions": case.functions, "tiers": case.tiers, "binaries": case.binaries,
        "backend": backend, "repeat": repeat, "seed": settings.seed,
        "threads": settings.threads,
        "time_limit": None if settings.time_limit is None else float(settings.time_limit),
        "known_lower": case.known_lower, "known_upper": case.known_upper,
        "matches_known": matches, "bounds_ok": bounds_ok,
        "wall_seconds": wall, "peak_rss_mb": round(peak_mb, 1), "worker": worker,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    for k in ("columns", "rows", "nonzeros", "status", "objective", "bound", "gap", "nodes",
              "check_ok", "load_seconds", "build_seconds", "backend_build_seconds",
              "solve_seconds", "backend_seconds", "solver_version", "error", "root_bound",
              "bound_rederived", "message", "load1"):
        row[k] = res.get(k)
    return row


# -- the run ----------------------------------------------------------------------------------


def plan(settings: RunSettings, *, root: Path = ROOT,
         sizes: tuple[tuple[int, int], ...] | None = None,
         families: Sequence[str] | None = None,
         instances: Sequence[str] | None = None,
         instance_seed: int | None = None) -> list[Case]:
    """The cases a run will cover (after filters); ``instance_seed`` generates the
    synthetic instances with another seed (held out)."""
    suite = get_suite(settings.suite)
    cases = suite.cases(SuiteOptions(root=root, sizes=sizes, instance_seed=instance_seed))
    return filter_cases(cases, families, instances)


def run(
    settings: RunSettings,
    output: Path,
    *,
    root: Path = ROOT,
    sizes: tuple[tuple[int, int], ...] | None = None,
    families: Sequence[str] | None = None,
    instances: Sequence[str] | None = None,
    progress: bool = True,
    log: Callable[[str], None] | None = None,
    report_files: bool = True,
    executor: Executor | None = None,
    instance_seed: int | None = None,
) -> RunReport:
    """Run every case of the suite with every backend and repeat; write the results files.

    Each run is one task on ``executor`` (:mod:`placement.util.executor`; default this
    process, one run after another): wherever the task lands, it starts and times the run's
    own child process there (:mod:`benchmarks.dispatch`). Rows are appended as runs finish,
    in whatever order; each row names the ``worker`` that ran it.

    Raises
    ------
    BenchError
        Unknown suite, unusable output directory, or an output directory holding a run with
        other settings.
    SolverUnavailableError
        A backend that is unknown or not installed (the message names the installed ones).
    """
    canonical_labels(settings.solvers)  # an unknown or missing backend: fail before any work
    cases = plan(settings, root=root, sizes=sizes, families=families, instances=instances,
                 instance_seed=instance_seed)
    output = check_output_dir(output)
    check_settings(output, settings)
    csv_path = output / "results.csv"
    done = _finished(csv_path)
    rep = RunReport(output=output, cases=len(cases))
    if not cases:
        rep.notes.append(f"suite {settings.suite!r} has no instances here"
                         + (" (instances/england-2024 does not exist yet)"
                            if settings.suite == "england" else ""))
    todo = [(c, b, k) for c in cases for k in range(settings.repeats) for b in settings.solvers]
    rep.skipped = sum(1 for c, b, k in todo if (c.name, b, k) in done)
    todo = [(c, b, k) for c, b, k in todo if (c.name, b, k) not in done]

    reqs = [{"case": c.to_dict(), "backend": b, "time_limit": settings.time_limit,
             "threads": settings.threads, "seed": settings.seed, "rel_gap": settings.rel_gap,
             "root": str(root)}
            for c, b, _ in todo]
    done_runs = (executor or SerialExecutor()).run(timed_run, str(root), reqs)

    def record(i: int, got: tuple[dict[str, Any], float, float, str]) -> dict[str, Any]:
        """A finished run's row, appended to results.csv at once (kept if we are killed)."""
        case, backend, k = todo[i]
        row = _row(case, backend, k, settings, *got)
        append_row(csv_path, row)
        return row

    if progress and todo:
        _run_with_progress_bar(settings.suite, todo, done_runs, record)
    else:
        for i, got in done_runs:
            row = record(i, got)
            if log is not None:
                case, backend, k = todo[i]
                log(f"{case.name} / {backend} / {k}: {_short(row)}")
    rep.ran = len(todo)
    rows = read_results(csv_path)
    beaten = beaten_bounds(rows, {c.name: c.sense for c in cases})
    if beaten:
        for r in rows:
            if (r["instance"], r["backend"], int(r["repeat"])) in beaten:
                r["bounds_ok"] = False
        compact(csv_path, rows)
    rep.rows = rows
    rep.failures = _failures(rows, beaten)
    if report_files:
        write_reports(output, rows, settings, machine_info(backend_names(settings.solvers)))
    return rep


def _finished(csv_path: Path) -> set[tuple[str, str, int]]:
    """(instance, backend, repeat) of every complete row of results.csv; a torn last line a
    killed run left is dropped from the file, so the rerun appends after complete lines."""
    existing = read_results(csv_path)
    if csv_path.is_file():
        lines = csv_path.read_text(encoding="utf-8").splitlines()
        if len(lines) != len(existing) + 1 or lines[0] != ",".join(COLUMNS):
            compact(csv_path, existing)  # also brings an older file's header up to date
    return {(r["instance"], r["backend"], int(r["repeat"])) for r in existing}


def _run_with_progress_bar(suite: str, todo: list[_Todo],
                           done_runs: Iterator[tuple[int, Any]],
                           record: Callable[[int, Any], dict[str, Any]]) -> None:
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[last]}"),
                  transient=False) as bar:
        task = bar.add_task(suite, total=len(todo), last="")
        for i, got in done_runs:
            row = record(i, got)
            case, backend, _ = todo[i]
            bar.update(task, advance=1, description=f"{case.name} / {backend}",
                       last=_short(row))


def beaten_bounds(rows: list[dict[str, Any]],
                  senses: dict[str, str]) -> dict[tuple[str, str, int], str]:
    """Rows whose bound a checked placement of the same instance in the run beats (by more
    than :data:`_TOL`, relative): every backend's bound is then held to every other's
    placements, the plain backends' bounds included, which nothing else re-derives. The
    checker vouches for the placement, so the bound is wrong. Keyed by (instance, backend,
    repeat), with what beat it; instances ``senses`` does not name are left alone."""
    best: dict[str, tuple[float, str]] = {}
    for r in rows:
        name, obj = r["instance"], r.get("objective")
        if name not in senses or obj is None or r.get("check_ok") is not True:
            continue
        sign = 1.0 if senses[name] == "max" else -1.0
        if name not in best or sign * (obj - best[name][0]) > 0:
            best[name] = (float(obj), str(r["backend"]))
    out: dict[tuple[str, str, int], str] = {}
    for r in rows:
        name, bound = r["instance"], r.get("bound")
        if name not in best or bound is None:
            continue
        sign = 1.0 if senses[name] == "max" else -1.0
        obj, by = best[name]
        if sign * (obj - bound) > _TOL * max(1.0, abs(bound)):
            out[(name, str(r["backend"]), int(r["repeat"]))] = (
                f"its bound {bound!r} is beaten by {by}'s checked placement worth {obj!r}")
    return out


def _failures(rows: list[dict[str, Any]],
              beaten: dict[tuple[str, str, int], str] | None = None) -> list[str]:
    """Rows the checker rejected or that contradict a proven bound, or whose bound another
    row's checked placement beats (:func:`beaten_bounds`): an engine or solver bug."""
    beaten = beaten or {}
    return [f"{r['instance']} / {r['backend']} / repeat {r['repeat']}: "
            + ("the independent checker rejected the result"
               if r.get("check_ok") is False else
               beaten[(r["instance"], r["backend"], int(r["repeat"]))]
               if (r["instance"], r["backend"], int(r["repeat"])) in beaten else
               f"the engine's bound {r['root_bound']!r} re-derived from its multipliers is "
               f"{r['bound_rederived']!r}" if r.get("root_bound") is not None and (
                   r.get("bound_rederived") is None
                   or not agrees(r["root_bound"], r["bound_rederived"])) else
               "the result contradicts a proven bound")
            for r in rows if r.get("check_ok") is False or r.get("bounds_ok") is False]


def _short(row: dict[str, Any]) -> str:
    obj = row.get("objective")
    t = row.get("solve_seconds")
    s = f"{row.get('status')}"
    if obj is not None:
        s += f" {obj:.6g}"
    if t is not None:
        s += f" in {t:.2f}s"
    if row.get("error"):
        s += f" ({str(row['error'])[:60]})"
    return s


if __name__ == "__main__":  # python -m benchmarks.runner: this machine, as results record it
    print(json.dumps(machine_info(registry.installed()), indent=2))
