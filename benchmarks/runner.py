"""Run a suite: every case with every chosen backend and repeat, each in a fresh worker process.

What the run writes, and how a rerun resumes from it, is :mod:`benchmarks.results_dir`; the
machine it records is :mod:`benchmarks.machine`. This module is what ``placement bench``
imports, so it also re-exports the names that command and the tests use from those two.

Fairness: every backend gets the same time limit, threads and seed; each run is a fresh
process (``python -m benchmarks.worker``), so no run inherits another's memory or warm caches,
and its peak memory is the kernel's ``ru_maxrss`` for that process tree (the largest single
process: the worker, or CBC's own process for the ``cbc`` backend).

Resuming: a rerun with the same output directory skips every (instance, backend, repeat)
already in ``results.csv``. The settings are kept in ``run.json``; a rerun with other
settings (time limit, threads, seed) is refused rather than mixed into the same table.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks.machine import machine_info
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


def _hard_limit(time_limit: float | None) -> float:
    """Seconds after which a worker is killed: generous, the solver's own limit comes first
    (translation to PuLP or CP-SAT at 10^6 variables takes a while outside the solver)."""
    return 3 * (time_limit or 600.0) + 300.0


def _run_worker(req: dict[str, Any], root: Path) -> tuple[dict[str, Any], float, float]:
    """(result, wall seconds, peak RSS in MB) of one worker process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errf:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker"], stdin=subprocess.PIPE,
                                stdout=out, stderr=errf, cwd=str(root), env=env,
                                start_new_session=True)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(req).encode())
        proc.stdin.close()
        deadline = t0 + _hard_limit(req.get("time_limit"))
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.perf_counter() > deadline and not killed:
                os.killpg(proc.pid, signal.SIGKILL)  # the worker and any solver it started
                killed = True
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        peak_mb = usage.ru_maxrss / 1024.0  # kilobytes on Linux
        out.seek(0)
        lines = [ln for ln in out.read().decode(errors="replace").splitlines() if ln.strip()]
        result: dict[str, Any] | None = None
        if lines:
            try:
                result = json.loads(lines[-1])
            except json.JSONDecodeError:
                result = None
        if result is None:
            errf.seek(0)
            tail = errf.read().decode(errors="replace").strip().splitlines()[-3:]
            why = ("killed after the hard limit of "
                   f"{_hard_limit(req.get('time_limit')):.0f} s" if killed
                   else f"worker exited with code {proc.returncode}")
            result = {"status": "error", "error": f"{why}: {' | '.join(tail)}"[:500]}
    return result, wall, peak_mb


def _row(case: Case, backend: str, repeat: int, settings: RunSettings, res: dict[str, Any],
         wall: float, peak_mb: float) -> dict[str, Any]:
    matches, bounds_ok = verify_known(case, res.get("status", "error"), res.get("objective"),
                                      res.get("bound"))
    row: dict[str, Any] = {
        "suite": case.suite, "instance": case.name, "family": case.family,
        "functions": case.functions, "tiers": case.tiers, "binaries": case.binaries,
        "backend": backend, "repeat": repeat, "seed": settings.seed,
        "threads": settings.threads,
        "time_limit": None if settings.time_limit is None else float(settings.time_limit),
        "known_lower": case.known_lower, "known_upper": case.known_upper,
        "matches_known": matches, "bounds_ok": bounds_ok,
        "wall_seconds": wall, "peak_rss_mb": round(peak_mb, 1),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    for k in ("columns", "rows", "nonzeros", "status", "objective", "bound", "gap", "nodes",
              "check_ok", "load_seconds", "build_seconds", "backend_build_seconds",
              "solve_seconds", "backend_seconds", "solver_version", "error"):
        row[k] = res.get(k)
    return row


# -- the run ----------------------------------------------------------------------------------


def plan(settings: RunSettings, *, root: Path = ROOT,
         sizes: tuple[tuple[int, int], ...] | None = None,
         families: Sequence[str] | None = None,
         instances: Sequence[str] | None = None) -> list[Case]:
    """The cases a run will cover (after filters)."""
    suite = get_suite(settings.suite)
    cases = suite.cases(SuiteOptions(root=root, sizes=sizes))
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
) -> RunReport:
    """Run every case of the suite with every backend and repeat; write the results files.

    Raises
    ------
    BenchError
        Unknown suite, unusable output directory, or an output directory holding a run with
        other settings.
    SolverUnavailableError
        A backend that is unknown or not installed (the message names the installed ones).
    """
    for s in settings.solvers:
        registry.get(s)  # unknown or missing: fail before any work
    cases = plan(settings, root=root, sizes=sizes, families=families, instances=instances)
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

    def one(case: Case, backend: str, k: int) -> dict[str, Any]:
        return _run_and_record(case, backend, k, settings, root, csv_path)

    if progress and todo:
        _run_with_progress_bar(settings.suite, todo, one)
    else:
        for case, backend, k in todo:
            row = one(case, backend, k)
            if log is not None:
                log(f"{case.name} / {backend} / {k}: {_short(row)}")
    rep.ran = len(todo)
    rows = read_results(csv_path)
    rep.rows = rows
    rep.failures = _failures(rows)
    if report_files:
        write_reports(output, rows, settings, machine_info(settings.solvers))
    return rep


def _finished(csv_path: Path) -> set[tuple[str, str, int]]:
    """(instance, backend, repeat) of every complete row of results.csv; a torn last line a
    killed run left is dropped from the file, so the rerun appends after complete lines."""
    existing = read_results(csv_path)
    if csv_path.is_file() and len(csv_path.read_text(encoding="utf-8").splitlines()) != \
            len(existing) + 1:
        compact(csv_path, existing)
    return {(r["instance"], r["backend"], int(r["repeat"])) for r in existing}


def _run_and_record(case: Case, backend: str, k: int, settings: RunSettings, root: Path,
                    csv_path: Path) -> dict[str, Any]:
    """One run in a worker, its row appended to results.csv at once (kept if we are killed)."""
    req = {"case": case.to_dict(), "backend": backend, "time_limit": settings.time_limit,
           "threads": settings.threads, "seed": settings.seed, "root": str(root)}
    res, wall, peak = _run_worker(req, root)
    row = _row(case, backend, k, settings, res, wall, peak)
    append_row(csv_path, row)
    return row


def _run_with_progress_bar(suite: str, todo: list[_Todo],
                           one: Callable[[Case, str, int], dict[str, Any]]) -> None:
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[last]}"),
                  transient=False) as bar:
        task = bar.add_task(suite, total=len(todo), last="")
        for case, backend, k in todo:
            bar.update(task, description=f"{case.name} / {backend}")
            row = one(case, backend, k)
            bar.update(task, advance=1, last=_short(row))


def _failures(rows: list[dict[str, Any]]) -> list[str]:
    """Rows the checker rejected or that contradict a proven bound: an engine or solver bug."""
    return [f"{r['instance']} / {r['backend']} / repeat {r['repeat']}: "
            + ("the independent checker rejected the result"
               if r.get("check_ok") is False else
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
