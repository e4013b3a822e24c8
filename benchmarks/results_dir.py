"""A benchmark run's output directory and every file in it.

::

    run.json       the settings that make runs comparable (a rerun must match them)
    results.csv    one row per instance, backend and repeat (appended as runs finish)
    results.json   the same rows, the run's settings and the machine, written at the end
    summary.md     winners per family, optimal / matched counts, solve targets, memory
    machine.json   CPU, cores, memory, OS, Python and solver versions
    profile.png    Dolan-More performance profile          (see benchmarks/plots.py)
    time_vs_size.png  solve seconds against binaries per backend

results.csv is the record: each row is appended and flushed as its run finishes, so a killed
run loses at most the line it was writing (:func:`read_results` drops such a torn line). Every
other file is derived from it and written atomically (:func:`write_reports`), which is what
lets ``placement bench-plot`` redraw them for any finished or partial run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.plots import plot_all
from benchmarks.registry import BenchError
from benchmarks.report import summary_markdown
from placement.util import json_safe
from placement.util import write_text_atomic as write_atomic

__all__ = ["COLUMNS", "RunSettings", "check_output_dir", "check_settings", "read_results",
           "append_row", "compact", "write_reports"]

#: Columns of results.csv, in order.
COLUMNS: tuple[str, ...] = (
    "suite", "instance", "family", "functions", "tiers", "binaries", "columns", "rows",
    "nonzeros", "backend", "repeat", "seed", "threads", "time_limit", "status", "objective",
    "bound", "gap", "nodes", "known_lower", "known_upper", "matches_known", "bounds_ok",
    "check_ok", "load_seconds", "build_seconds", "backend_build_seconds", "solve_seconds",
    "backend_seconds", "wall_seconds", "peak_rss_mb", "solver_version", "error", "finished_at",
    "worker", "root_bound", "bound_rederived", "message", "load1",
)


@dataclass(frozen=True)
class RunSettings:
    """What makes two runs comparable: the same for every backend and instance."""

    suite: str
    solvers: tuple[str, ...]
    time_limit: float | None = 60.0
    threads: int | None = 1
    repeats: int = 1
    seed: int = 0
    rel_gap: float = 0.0  # the relative gap every backend is asked to prove

    def comparable(self) -> dict[str, Any]:
        return {"suite": self.suite, "time_limit": self.time_limit, "threads": self.threads,
                "seed": self.seed, "rel_gap": self.rel_gap}


# -- the directory and run.json ---------------------------------------------------------------


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


def check_settings(output: Path, settings: RunSettings) -> None:
    """Record the settings in run.json, or refuse when it holds a run with other settings
    (mixing them would make one table compare unlike runs)."""
    cfg = output / "run.json"
    want = settings.comparable()
    if cfg.is_file():
        # a run recorded before the gap was a setting asked for the solvers' default, 0
        have = {"rel_gap": 0.0, **json.loads(cfg.read_text(encoding="utf-8")).get("settings", {})}
        if have != want:
            diff = ", ".join(f"{k} {have.get(k)!r} (now {want.get(k)!r})"
                             for k in dict.fromkeys([*want, *have]) if have.get(k) != want.get(k))
            raise BenchError(f"--output {output} holds results of another run ({diff}); use "
                             f"the same settings to resume, or another directory")
    else:
        write_atomic(cfg, json.dumps({"settings": want}, indent=2) + "\n")


# -- results.csv ------------------------------------------------------------------------------


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
          "backend_seconds", "wall_seconds", "peak_rss_mb", "root_bound", "bound_rederived",
          "load1"}
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


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Append one complete line (header first if the file is new) and flush it to disk."""
    new = not path.is_file() or path.stat().st_size == 0
    text = (",".join(COLUMNS) + "\n" if new else "") + _csv_line(row)
    with path.open("a", encoding="utf-8", newline="") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def compact(path: Path, rows: list[dict[str, Any]]) -> None:
    """Rewrite results.csv with complete rows only (after a killed run left a torn line)."""
    write_atomic(path, ",".join(COLUMNS) + "\n" + "".join(_csv_line(r) for r in rows))


# -- the files derived from results.csv -------------------------------------------------------


def write_reports(output: Path, rows: list[dict[str, Any]], settings: RunSettings | None,
                  machine: dict[str, Any] | None) -> list[Path]:
    """results.json, summary.md, machine.json and the pictures, all written atomically."""
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
        written += plot_all(rows, output)
    return written
