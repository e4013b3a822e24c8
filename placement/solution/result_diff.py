"""What changed between two runs (``placement diff A.json B.json``): which functions moved
(per area, in which areas), from which tier to which, the objective's change, and why: the
weights and the judgements changed for either run (``--weight``, ``--set``) that differ, and for
each moved function its value and resource use in both runs and its own cells that differ.

It reads the JSON of two results (:mod:`placement.solution.result_json`, what
``placement solve -f json`` writes), so runs made days apart, by other people, compare alike.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from placement.errors import InstanceError, Problem
from placement.solution.result_json import RESULT_FORMAT

__all__ = ["ResultDiff", "read_result", "diff_results", "MOVE_COLUMNS"]

#: The columns of :attr:`ResultDiff.moves`, before one ``<resource>_a``/``_b`` pair each.
MOVE_COLUMNS = ["function", "area", "tier_a", "tier_b", "value_a", "value_b", "value_change",
                "changed_cells"]

#: What a run is, for the header of a diff.
RUN_KEYS = ("instance", "model", "scenario", "sense", "solver", "status")

#: A report's JSON (placement.report.document), whose ``optimum`` is a result: kept as text
#: here, as the report layer sits above this one.
REPORT_FORMAT = "placement-report/1"


def read_result(path: str | Path) -> dict[str, Any]:
    """The JSON of one result (or of a report, whose optimum is one), checked enough to be
    compared (a located problem otherwise)."""
    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InstanceError.single(label, None, None, None, f"a readable result file ({e})",
                                   subject="result") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InstanceError.single(label, f"line {e.lineno}", None, None,
                                   f"JSON, as `placement solve -f json` writes it ({e.msg})",
                                   subject="result") from None
    if isinstance(data, list):
        raise InstanceError.single(label, None, None, f"a list of {len(data)} results",
                                   "one result (solve one problem, e.g. with --problem N)",
                                   subject="result")
    if (isinstance(data, dict) and data.get("format") == REPORT_FORMAT
            and isinstance(data.get("optimum"), dict)):
        data = data["optimum"]  # a report's report.json: its optimum
    if not isinstance(data, dict) or data.get("format") != RESULT_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise InstanceError.single(label, None, "format", found,
                                   f"'{RESULT_FORMAT}' (the JSON of `placement solve -f json`; "
                                   "or a report.json)",
                                   subject="result")
    problems = []
    for key, kind in (("placements", list), ("instance", str)):
        if not isinstance(data.get(key), kind):
            problems.append(Problem(label, None, key, data.get(key),
                                    f"a {kind.__name__}", missing=key not in data))
    if problems:
        raise InstanceError(problems, subject="result")
    return data


@dataclass
class ResultDiff:
    """Two runs compared; build one with :func:`diff_results`.

    ``moves`` has one row per function that sits elsewhere (per area, per function and area
    where both runs have areas): its tier in each run, its value in each (the whole function's,
    over every area), the change, its use of each resource in each, and its own cells that
    differ between the runs (``--set``). ``weights`` and ``overrides`` list what differs.
    """

    labels: tuple[str, str]
    runs: pd.DataFrame  # RUN_KEYS and the objective; columns a, b
    objective: tuple[float | None, float | None]
    moves: pd.DataFrame
    weights: pd.DataFrame  # criterion -> a, b (only those that differ)
    overrides: pd.DataFrame  # option key -> a, b (only those that differ)
    only_in: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def objective_change(self) -> float | None:
        a, b = self.objective
        return None if a is None or b is None else b - a

    @property
    def per_area(self) -> bool:
        return bool(self.moves["area"].notna().any()) if len(self.moves) else False

    def to_dict(self) -> dict[str, Any]:
        def rows(df: pd.DataFrame, key: str) -> list[dict[str, Any]]:
            return [{key: k, **{str(c): _plain(v) for c, v in r.items()}}
                    for k, r in df.to_dict("index").items()]

        return {
            "format": "placement-diff/1",
            "a": self.labels[0], "b": self.labels[1],
            "runs": {side: {k: _plain(v) for k, v in r.items()}
                     for side, r in self.runs.to_dict().items()},
            "objective": {"a": self.objective[0], "b": self.objective[1],
                          "change": self.objective_change},
            "weights": rows(self.weights, "criterion"),
            "overrides": rows(self.overrides, "key"),
            "moves": [{k: _plain(v) for k, v in r.items()}
                      for r in self.moves.to_dict("records")],
            "only_in": self.only_in,
            "notes": self.notes,
        }


def _plain(v: Any) -> Any:
    if isinstance(v, float) and math.isnan(v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v


def diff_results(a: dict[str, Any], b: dict[str, Any],
                 labels: tuple[str, str] = ("a", "b")) -> ResultDiff:
    """What moved between result ``a`` and result ``b`` and why (see :class:`ResultDiff`)."""
    runs = pd.DataFrame({side: {**{k: d.get(k) for k in RUN_KEYS},
                                "objective": d.get("objective")}
                         for side, d in (("a", a), ("b", b))})
    notes = [f"{lab} has no placement (status {d.get('status')})"
             for lab, d in zip(labels, (a, b), strict=True) if not d.get("placements")]
    if a.get("instance") != b.get("instance"):
        notes.append(f"the runs are of different instances ({a.get('instance')}, "
                     f"{b.get('instance')}): only the functions both have are compared")
    pa, pb = _by_function(a), _by_function(b)
    only = {labels[0]: sorted(set(pa) - set(pb)), labels[1]: sorted(set(pb) - set(pa))}
    cells = _cells_that_differ(a, b)
    return ResultDiff(labels, runs, (_num(a.get("objective")), _num(b.get("objective"))),
                      _moves(a, b, pa, pb, cells), _weights(a, b), _overrides(a, b),
                      {k: v for k, v in only.items() if v}, notes)


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _by_function(d: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(p.get("function")): p for p in d.get("placements") or []
            if isinstance(p, dict)}


def _area_tiers(d: dict[str, Any]) -> dict[tuple[str, str], str] | None:
    areas = d.get("areas")
    if not isinstance(areas, dict) or not isinstance(areas.get("by_area"), list):
        return None
    return {(str(r.get("function")), str(r.get("area"))): str(r.get("tier"))
            for r in areas["by_area"] if isinstance(r, dict)}


def _moves(a: dict[str, Any], b: dict[str, Any], pa: dict[str, dict[str, Any]],
           pb: dict[str, dict[str, Any]], cells: dict[str, list[str]]) -> pd.DataFrame:
    """One row per function (per area, function and area) whose tier differs."""
    shared = [f for f in pa if f in pb]
    ta, tb = _area_tiers(a), _area_tiers(b)
    moved: list[tuple[str, str | None, Any, Any]]
    if ta is not None and tb is not None:
        keys = [(f, ar) for (f, ar) in ta if f in pb and (f, ar) in tb and ta[f, ar] != tb[f, ar]]
        moved = [(f, ar, ta[f, ar], tb[f, ar]) for f, ar in keys]
    else:
        moved = [(f, None, pa[f].get("tier"), pb[f].get("tier")) for f in shared
                 if pa[f].get("tier") != pb[f].get("tier")]
    resources = sorted({r for p in (*pa.values(), *pb.values())
                        for r in (p.get("costs") or {})})
    rows = []
    for f, area, t_a, t_b in moved:
        va, vb = _num(pa[f].get("value")), _num(pb[f].get("value"))
        row: dict[str, Any] = {
            "function": f, "area": area, "tier_a": t_a, "tier_b": t_b, "value_a": va,
            "value_b": vb, "value_change": None if va is None or vb is None else vb - va,
            "changed_cells": "; ".join(cells.get(f, [])),
        }
        for r in resources:
            row[f"{r}_a"] = _num((pa[f].get("costs") or {}).get(r))
            row[f"{r}_b"] = _num((pb[f].get("costs") or {}).get(r))
        rows.append(row)
    cols = MOVE_COLUMNS + [f"{r}_{s}" for r in resources for s in ("a", "b")]
    return pd.DataFrame(rows, columns=cols)


def _weights(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    """Criterion -> weight in each run, where they differ (a criterion one run lacks: None)."""
    wa, wb = a.get("weights") or {}, b.get("weights") or {}
    keys = list(dict.fromkeys([*wa, *wb]))
    rows = {k: {"a": wa.get(k), "b": wb.get(k)} for k in keys if wa.get(k) != wb.get(k)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["a", "b"]).rename_axis(
        "criterion")


def _overrides(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    """``--weight CRITERION`` / ``--set FUNCTION.FIELD`` -> the value each run gave (None:
    the instance's own), where they differ."""
    def flat(d: dict[str, Any]) -> dict[str, Any]:
        o = d.get("overrides") or {}
        return ({f"--weight {k}": v for k, v in (o.get("weights") or {}).items()}
                | {f"--set {k}": v for k, v in (o.get("set") or {}).items()})

    fa, fb = flat(a), flat(b)
    keys = list(dict.fromkeys([*fa, *fb]))
    rows = {k: {"a": fa.get(k), "b": fb.get(k)} for k in keys if fa.get(k) != fb.get(k)}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["a", "b"]).rename_axis("key")


def _cells_that_differ(a: dict[str, Any], b: dict[str, Any]) -> dict[str, list[str]]:
    """Function -> "field: A's -> B's" for every ``--set`` cell the runs give differently."""
    sa = (a.get("overrides") or {}).get("set") or {}
    sb = (b.get("overrides") or {}).get("set") or {}
    out: dict[str, list[str]] = {}
    for key in dict.fromkeys([*sa, *sb]):
        if sa.get(key) != sb.get(key):
            f, _, col = str(key).rpartition(".")
            own = "the file's"
            va, vb = (own if v is None else (v or "blank") for v in (sa.get(key), sb.get(key)))
            out.setdefault(f, []).append(f"{col}: {va} -> {vb}")
    return out
