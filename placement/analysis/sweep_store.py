"""A sweep's directory: its settings, every finished point as it finishes, and the tables.

::

    sweep.json      the settings; a rerun into the same directory must match them
    points.jsonl    one JSON line per finished point, appended and flushed as it finishes
    results.csv     the table, one row per point in point order (written at the end)
    results.parquet the same table as Parquet

``points.jsonl`` is the record: a sweep stopped by Ctrl-C, a lost worker or a crash keeps
every point that finished, and a rerun solves only the points missing from it (a torn last
line is dropped; a point recorded twice, as a retried task may be, counts once).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from placement.analysis.sweep import Axis, SweepTask, solve_point
from placement.errors import InstanceError
from placement.util.executor import Executor, SerialExecutor
from placement.util.files import write_bytes_atomic, write_text_atomic
from placement.util.jsonout import json_safe

__all__ = ["run_sweep", "read_points", "settings_of"]

Progress = Callable[[int], None]


def settings_of(task: SweepTask, axes: Sequence[Axis], points: Sequence[dict[str, float]],
                samples: int | None, seed: int, scenario: str | None) -> dict[str, Any]:
    """What makes two runs of a sweep the same sweep."""
    return {"instance": task.instance.name, "scenario": scenario, "solver": task.solver,
            "time_limit": task.time_limit, "samples": samples, "seed": seed,
            "axes": {a.name: list(a.values) for a in axes}, "points": len(points)}


def read_points(path: Path) -> dict[int, dict[str, Any]]:
    """Every finished point of ``points.jsonl`` by number (a torn last line dropped)."""
    out: dict[int, dict[str, Any]] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        out.setdefault(int(row["point"]), row)
    return out


def _check_settings(out: Path, settings: dict[str, Any]) -> None:
    path = out / "sweep.json"
    if path.is_file():
        old = json.loads(path.read_text(encoding="utf-8"))
        if old != settings:
            diff = sorted(k for k in settings if old.get(k) != settings[k])
            raise InstanceError.single(str(path), None, ", ".join(diff), None,
                                       "the same settings as the sweep already in this "
                                       "directory (or another --output directory)",
                                       subject="sweep")
    else:
        write_text_atomic(path, json.dumps(settings, indent=2) + "\n")


def run_sweep(task: SweepTask, axes: Sequence[Axis], points: Sequence[dict[str, float]],
              out: Path, *, executor: Executor | None = None, samples: int | None = None,
              seed: int = 0, scenario: str | None = None,
              progress: Progress | None = None) -> pd.DataFrame:
    """Solve every point not yet in ``out`` and return the whole table (see the module
    docstring); ``progress`` is called with the number of points just finished."""
    out.mkdir(parents=True, exist_ok=True)
    _check_settings(out, settings_of(task, axes, points, samples, seed, scenario))
    log = out / "points.jsonl"
    done = read_points(log)
    if progress is not None and done:
        progress(len(done))
    todo = [(i, p) for i, p in enumerate(points) if i not in done]
    executor = executor or SerialExecutor()
    if todo:
        with log.open("a", encoding="utf-8") as fh:
            for _, row in executor.run(solve_point, task, todo):
                if int(row["point"]) in done:
                    continue
                fh.write(json.dumps(json_safe(row)) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
                done[int(row["point"])] = row
                if progress is not None:
                    progress(1)
    table = _table(done, axes)
    _write_tables(table, out)
    return table


def _table(done: dict[int, dict[str, Any]], axes: Sequence[Axis]) -> pd.DataFrame:
    first = ["point", *(a.name for a in axes), "status", "objective", "bound", "gap",
             "checked", "message"]
    df = pd.DataFrame([done[k] for k in sorted(done)])
    for c in first:
        if c not in df.columns:
            df[c] = None
    tiers = sorted(c for c in df.columns if c not in first)
    return df[first + tiers].reset_index(drop=True)


def _write_tables(table: pd.DataFrame, out: Path) -> None:
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    write_text_atomic(out / "results.csv", buf.getvalue())
    data = io.BytesIO()
    table.astype({c: "string" for c in table.columns if c.startswith("tier:")}).to_parquet(
        data, index=False)
    write_bytes_atomic(out / "results.parquet", data.getvalue())
