"""Run a suite: every case with every chosen backend and repeat, each in a fresh worker process.

Output directory (``--output``)::

    results.csv    one row per instance, backend and repeat (appended as runs finish)
    results.json   the same rows, the run's settings and the machine, written at the end
    summary.md     winners per family, optimal / matched counts, solve targets, memory
    machine.json   CPU, cores, memory, OS, Python and solver versions
    profile.png    Dolan-More performance profile          (see benchmarks/plots.py)
    time_vs_size.png  solve seconds against binaries per backend

Fairness: every backend gets the same time limit, threads and seed; each run is a fresh
process (``python -m benchmarks.worker``), so no run inherits another's memory or warm caches,
and its peak memory is the kernel's ``ru_maxrss`` for that process tree (the largest single
process: the worker, or CBC's own process for the ``cbc`` backend).

Resuming: a rerun with the same output directory skips every (instance, backend, repeat)
already in ``results.csv``. The settings are kept in ``run.json``; a rerun with other
settings (time limit, threads, seed) is refused rather than mixed into the same table.
"""

from __future__ import annotations

import csv
import io
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

from benchmarks.registry import (
    ROOT,
    BenchError,
    Case,
    SuiteOptions,
    filter_cases,
    get_suite,
)
from placement.util import json_safe
from placement.util import write_text_atomic as write_atomic

__all__ = ["COLUMNS", "RunSettings", "RunReport", "run", "read_results", "verify_known",
           "check_output_dir", "machine_info"]

#: Columns of results.csv, in order.
COLUMNS: tuple[str, ...] = (
    "suite", "instance", "family", "functions", "tiers", "binaries", "columns", "rows",
    "nonzeros", "backend", "repeat", "seed", "threads", "time_limit", "status", "objective",
    "bound", "gap", "nodes", "known_lower", "known_upper", "matches_known", "bounds_ok",
    "check_ok", "load_seconds", "build_seconds", "backend_build_seconds", "solve_seconds",
    "backend_seconds", "wall_seconds", "peak_rss_mb", "solver_version", "error", "finished_at",
)

_TOL = 1e-6


@dataclass(frozen=True)
class RunSettings:
    """What makes two runs comparable: the same for every backend and instance."""

    suite: str
    solvers: tuple[str, ...]
    time_limit: float | None = 60.0
    threads: int | None = 1
    repeats: int = 1
    seed: int = 0

    def comparable(self) -> dict[str, Any]:
        return {"suite": self.suite, "time_limit": self.time_limit, "threads": self.threads,
                "seed": self.seed}


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


# -- output directory -------------------------------------------------------------------------


def check_output_dir(path: Path) -> Path:
    """Create ``path`` if needed and prove it writable; :class:`BenchError` otherwise."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise BenchError(f"--output {path}: cannot write there ({e.strerror or e})") from None
    return path


def read_results(path: Path) -> list[dict[str, Any]]:
    """Rows of a results.csv, values typed; an incomplete last line (a killed run) is dropped."""
    path = Path(path)
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8")
    rows = []
    reader = csv.DictReader(io.StringIO(text))
    for raw in reader:
        if None in raw or any(v is None for v in raw.values()):
            continue  # a line with too many or too few fields: never complete
        if not raw.get("finished_at"):
            continue
        rows.append(_typed(raw))
    return rows


_INT = {"functions", "tiers", "binaries", "columns", "rows", "nonzeros", "repeat", "seed",
        "threads", "nodes"}
_FLOAT = {"time_limit", "objective", "bound", "gap", "known_lower", "known_upper",
          "load_seconds", "build_seconds", "backend_build_seconds", "solve_seconds",
          "backend_seconds", "wall_seconds", "peak_rss_mb"}
_BOOL = {"matches_known", "bounds_ok", "check_ok"}


def _typed(raw: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if v == "" and k not in ("error", "solver_version"):
            out[k] = None
        elif k in _INT:
            out[k] = int(float(v))
        elif k in _FLOAT:
            out[k] = float(v)
        elif k in _BOOL:
            out[k] = v.lower() == "true"
        else:
            out[k] = v
    return out


def _csv_line(row: dict[str, Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        ["" if row.get(c) is None else _fmt(row[c]) for c in COLUMNS])
    return buf.getvalue()


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _append_row(path: Path, row: dict[str, Any]) -> None:
    """Append one complete line (header first if the file is new) and flush it to disk."""
    new = not path.is_file() or path.stat().st_size == 0
    text = (",".join(COLUMNS) + "\n" if new else "") + _csv_line(row)
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _compact(path: Path, rows: list[dict[str, Any]]) -> None:
    """Rewrite results.csv with complete rows only (after a killed run left a torn line)."""
    write_atomic(path, ",".join(COLUMNS) + "\n" + "".join(_csv_line(r) for r in rows))


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


# -- machine ----------------------------------------------------------------------------------


def machine_info(solvers: Sequence[str] = ()) -> dict[str, Any]:
    """CPU model, cores, memory, OS, Python and solver versions of this machine."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    pkgs: dict[str, str | None] = {}
    for p in ("placement", "numpy", "scipy", "highspy", "pulp", "ortools", "matplotlib"):
        try:
            pkgs[p] = version(p)
        except PackageNotFoundError:
            pkgs[p] = None
    backends = {}
    from placement import solvers as reg

    for s in solvers:
        try:
            backends[s] = reg.get(s).version()
        except Exception as e:  # a version string is not worth failing a run for
            backends[s] = f"unknown ({type(e).__name__})"
    distro = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                distro = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    mhz = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("cpu mhz"):
                mhz = round(float(line.split(":", 1)[1]))
                break
    except (OSError, ValueError):
        pass
    return {
        "cpu": cpu,
        "cpu_mhz": mhz,
        "distribution": distro,
        "cores": os.cpu_count(),
        "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gb": mem_gb,
        "os": f"{platform.system()} {platform.release()}",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": pkgs,
        "solver_versions": backends,
    }


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


def _check_settings(output: Path, settings: RunSettings) -> None:
    cfg = output / "run.json"
    want = settings.comparable()
    if cfg.is_file():
        have = json.loads(cfg.read_text(encoding="utf-8"))
        if have.get("settings") != want:
            diff = ", ".join(f"{k} {have.get('settings', {}).get(k)!r} (now {v!r})"
                             for k, v in want.items()
                             if have.get("settings", {}).get(k) != v)
            raise BenchError(f"--output {output} holds results of another run ({diff}); use "
                             f"the same settings to resume, or another directory")
    else:
        write_atomic(cfg, json.dumps({"settings": want}, indent=2) + "\n")


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
    from placement import solvers as reg

    for s in settings.solvers:
        reg.get(s)  # unknown or missing: fail before any work
    cases = plan(settings, root=root, sizes=sizes, families=families, instances=instances)
    output = check_output_dir(output)
    _check_settings(output, settings)
    csv_path = output / "results.csv"
    existing = read_results(csv_path)
    if csv_path.is_file() and len(csv_path.read_text(encoding="utf-8").splitlines()) != \
            len(existing) + 1:
        _compact(csv_path, existing)  # drop a torn line a killed run left
    done = {(r["instance"], r["backend"], int(r["repeat"])) for r in existing}
    rep = RunReport(output=output, cases=len(cases))
    if not cases:
        rep.notes.append(f"suite {settings.suite!r} has no instances here"
                         + (" (instances/england-2024 does not exist yet)"
                            if settings.suite == "england" else ""))
    todo = [(c, b, k) for c in cases for k in range(settings.repeats) for b in settings.solvers]
    rep.skipped = sum(1 for c, b, k in todo if (c.name, b, k) in done)
    todo = [(c, b, k) for c, b, k in todo if (c.name, b, k) not in done]

    def one(case: Case, backend: str, k: int) -> dict[str, Any]:
        req = {"case": case.to_dict(), "backend": backend, "time_limit": settings.time_limit,
               "threads": settings.threads, "seed": settings.seed, "root": str(root)}
        res, wall, peak = _run_worker(req, root)
        row = _row(case, backend, k, settings, res, wall, peak)
        _append_row(csv_path, row)
        return row

    if progress and todo:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TextColumn("{task.fields[last]}"),
                      transient=False) as bar:
            task = bar.add_task(settings.suite, total=len(todo), last="")
            for case, backend, k in todo:
                bar.update(task, description=f"{case.name} / {backend}")
                row = one(case, backend, k)
                bar.update(task, advance=1, last=_short(row))
    else:
        for case, backend, k in todo:
            row = one(case, backend, k)
            if log is not None:
                log(f"{case.name} / {backend} / {k}: {_short(row)}")
    rep.ran = len(todo)
    rows = read_results(csv_path)
    rep.rows = rows
    for r in rows:
        if r.get("check_ok") is False or r.get("bounds_ok") is False:
            rep.failures.append(f"{r['instance']} / {r['backend']} / repeat {r['repeat']}: "
                                + ("the independent checker rejected the result"
                                   if r.get("check_ok") is False else
                                   "the result contradicts a proven bound"))
    if report_files:
        write_reports(output, rows, settings, machine_info(settings.solvers))
    return rep


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


def write_reports(output: Path, rows: list[dict[str, Any]], settings: RunSettings | None,
                  machine: dict[str, Any] | None) -> list[Path]:
    """results.json, summary.md, machine.json and the pictures, all written atomically."""
    from benchmarks.report import summary_markdown

    written = []
    cfg: dict[str, Any] = {}
    run_json = output / "run.json"
    if run_json.is_file():
        cfg = json.loads(run_json.read_text(encoding="utf-8"))
    if settings is not None:
        cfg["solvers"] = list(settings.solvers)
        cfg["repeats"] = settings.repeats
    if machine is not None:
        write_atomic(output / "machine.json", json.dumps(machine, indent=2) + "\n")
        written.append(output / "machine.json")
    elif (output / "machine.json").is_file():
        machine = json.loads((output / "machine.json").read_text(encoding="utf-8"))
    doc = {"settings": cfg.get("settings"), "solvers": cfg.get("solvers"),
           "repeats": cfg.get("repeats"), "machine": machine, "columns": list(COLUMNS),
           "rows": [{k: json_safe(r.get(k)) for k in COLUMNS} for r in rows]}
    write_atomic(output / "results.json", json.dumps(doc, indent=1) + "\n")
    written.append(output / "results.json")
    write_atomic(output / "summary.md", summary_markdown(rows, cfg.get("settings"), machine))
    written.append(output / "summary.md")
    if rows:
        from benchmarks.plots import plot_all

        written += plot_all(rows, output)
    return written


if __name__ == "__main__":  # python -m benchmarks.runner: this machine, as results record it
    from placement import solvers as _reg

    print(json.dumps(machine_info(_reg.installed()), indent=2))
