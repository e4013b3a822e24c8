"""A scenario's fixed placement (``scenarios.<id>.placement``): inline, ``"current"``, or a
CSV of ``function, tier`` rows, whose rows with ``scope`` and ``code`` set the tier in the
areas of one unit or area only (docs/instance-format.md, "Pins, scenarios and placements with
areas"). Every row is checked: known functions, tiers active in the scenario, each function
(or function and scope) once, and, with areas, a unit of the tier in every area it is set
for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from placement.errors import Problem
from placement.io.area_tables import report_scope
from placement.io.csvfile import display_path, line_locator, read_text_csv
from placement.io.paths import instance_file
from placement.model.area_rules import area_names, scope_label
from placement.model.geography import CurrentRule, Geography
from placement.model.links import split_where

__all__ = ["FixedPlacement", "read_placement", "placement_problems"]

Bad = Callable[[str, object, str], None]


@dataclass(frozen=True)
class FixedPlacement:
    """What a scenario fixes: function -> tier (or ``"current"``), the per-area rows, and
    where each function's row is (``None``: inline in instance.toml)."""

    placement: dict[str, str] | Literal["current"] | None
    by_area: tuple[CurrentRule, ...] = ()
    lines: dict[str, str] | None = None


def read_placement(ref: str | dict[str, str] | None, base: Path, geo: Geography | None,
                   areas: bool, problems: list[Problem]) -> FixedPlacement:
    """The placement ``ref`` gives; ``areas``: the instance declares ``[areas]`` (which may
    have failed to read: ``geo`` is then ``None`` and scoped rows are not checked)."""
    if isinstance(ref, dict):
        return FixedPlacement(dict(ref))
    if ref is None or ref == "current":
        return FixedPlacement(None if ref is None else "current")
    path = instance_file(base, ref)
    plabel = display_path(path)
    df = read_text_csv(path, plabel, problems)
    if df is None:
        return FixedPlacement(None)
    missing = [c for c in ("function", "tier") if c not in df.columns]
    for c in missing:
        problems.append(Problem(plabel, "line 1 (header)", c, None,
                                "columns 'function' and 'tier'", missing=True))
    scoped = {"scope", "code"} & set(df.columns)
    if scoped and not areas:
        problems.append(Problem(plabel, "line 1 (header)", sorted(scoped)[-1], None,
                                "no scope and code columns without [areas]"))
        return FixedPlacement(None)
    if scoped and scoped != {"scope", "code"}:
        other = sorted({"scope", "code"} - scoped)[0]
        problems.append(Problem(plabel, "line 1 (header)", other, None,
                                "scope and code columns together", missing=True))
        return FixedPlacement(None)
    if missing:
        return FixedPlacement(None)
    loc = line_locator(df)
    placement: dict[str, str] = {}
    lines: dict[str, str] = {}
    rules: list[CurrentRule] = []
    first: dict[tuple[str, ...], str] = {}
    for i, row in enumerate(df.records()):  # one row per function (or override)
        f, t, where = row["function"], row["tier"], loc(i)
        scope, code = (row["scope"], row["code"]) if scoped else ("", "")
        key = (f, scope, code)
        if key in first:
            what = "each function and scope" if scope or code else "each function"
            problems.append(Problem(plabel, where, "function", f,
                                    f"{what} once (already on {first[key]})"))
            continue
        first[key] = where
        if scope or code:
            if geo is not None and report_scope(geo, row, plabel, where, problems):
                rules.append(CurrentRule(f, scope, code, t, row.get("source") or None,
                                         f"{plabel} {where}"))
            continue
        placement[f], lines[f] = t, f"{plabel} {where}"
    return FixedPlacement(placement, tuple(rules), lines)


def placement_problems(fp: FixedPlacement, fids: set[str] | None, active: list[str],
                       geo: Geography | None, bad: Bad, problems: list[Problem]) -> None:
    """Known functions at tiers active in the scenario, every function given, and with areas
    a unit of its tier in every area (``bad(key, value, expected)`` reports at a key of the
    scenario)."""
    act = ", ".join(active)
    if isinstance(fp.placement, dict):
        for f, t in fp.placement.items():
            file, line = split_where((fp.lines or {}).get(f))
            for fld, ok, v, what in (("function", fids is None or f in fids, f,
                                      "a function id of functions.csv"),
                                     ("tier", _tier_ok(t, active), t, f"a tier active in "
                                      f"this scenario ({act}), or 'tier|fallback' with two "
                                      "of them")):
                if ok:
                    continue
                if file is None:
                    bad("placement" if fld == "function" else f"placement.{f}", v, what)
                else:
                    problems.append(Problem(file, line, fld, v, what))
        if fids is not None:
            missing = sorted(fids - set(fp.placement))
            if missing:
                shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
                bad("placement", None,
                    f"a tier for every function; {len(missing)} have none ({shown})")
    for rule in fp.by_area:
        file, line = split_where(rule.where)
        if fids is not None and rule.function not in fids:
            problems.append(Problem(file, line, "function", rule.function,
                                    "a function id of functions.csv"))
        if not _tier_ok(rule.tier, active):
            problems.append(Problem(file, line, "tier", rule.tier,
                                    f"a tier active in this scenario ({act}), or "
                                    "'tier|fallback' with two of them"))
    if geo is not None and not _unknown_rows(fp, fids, active):
        _uncovered(fp, geo, bad, problems)


def _unknown_rows(fp: FixedPlacement, fids: set[str] | None, active: list[str]) -> bool:
    """Whether any row names an unknown function or an inactive tier (then units are not
    checked)."""
    rows = list((fp.placement or {}).items()) if isinstance(fp.placement, dict) else []
    rows += [(r.function, r.tier) for r in fp.by_area]
    return any((fids is not None and f not in fids) or not _tier_ok(t, active)
               for f, t in rows)


def _tier_ok(text: str, active: list[str]) -> bool:
    """``tier``, or ``tier|fallback`` (the fallback where the tier has no unit), both active
    and different."""
    first, bar, rest = text.partition("|")
    return first in active and (not bar or (rest in active and rest != first))


def _effective(geo: Geography, text: str, A: int) -> np.ndarray:
    """The tier serving each area for ``tier`` or ``tier|fallback``."""
    first, bar, rest = text.partition("|")
    if not bar:
        return np.full(A, first, dtype=object)
    return np.where(geo.tiers[first].unit >= 0, first, rest).astype(object)


def _uncovered(fp: FixedPlacement, geo: Geography, bad: Bad, problems: list[Problem]) -> None:
    """The tier set for a function in an area has a unit there: a problem at the row (or
    key) that set it last, naming the areas without one."""
    A = len(geo.areas)
    table = fp.placement if isinstance(fp.placement, dict) else {}
    shared: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per tier text: tiers, holes

    def effective(text: str) -> tuple[np.ndarray, np.ndarray]:
        if text not in shared:  # read only: a function its rows change takes a copy
            ts = _effective(geo, text, A)
            shared[text] = ts, _holes(geo, ts)
        return shared[text]

    tiers: dict[str, np.ndarray] = {f: effective(t)[0] for f, t in table.items()}
    changed: set[str] = set()
    setter: dict[str, np.ndarray] = {}
    for k, rule in enumerate(fp.by_area):  # one row of the per-area rows each
        f = rule.function
        mask = geo.scope_areas(rule.scope, rule.code)
        if f not in changed:
            tiers[f] = (tiers[f].copy() if f in tiers else np.full(A, "", dtype=object))
            changed.add(f)
        tiers[f][mask] = effective(rule.tier)[0][mask]
        setter.setdefault(f, np.full(A, -1))[mask] = k
    for f, ts in tiers.items():
        holes = _holes(geo, ts) if f in changed else effective(table[f])[1]
        if not holes.any():
            continue
        at = setter.get(f, np.full(A, -1))
        for k in np.unique(at[holes]).tolist():
            here = holes & (at == k)
            if k >= 0:
                rule = fp.by_area[k]
                file, line = split_where(rule.where)
                problems.append(Problem(file, line, "tier", rule.tier,
                                        f"a tier with a unit in every area of "
                                        f"{scope_label(rule.scope, rule.code)} (none in "
                                        f"{area_names(geo, here)})", f"function '{f}'"))
                continue
            file, line = split_where((fp.lines or {}).get(f))
            why = (f"a tier with a unit in every area, or rows with scope and code for the "
                   f"areas without one (none in {area_names(geo, here)})")
            if file is None:
                bad(f"placement.{f}", table[f], why)
            else:
                problems.append(Problem(file, line, "tier", table[f], why, f"function '{f}'"))


def _holes(geo: Geography, ts: np.ndarray) -> np.ndarray:
    """The areas whose tier in ``ts`` (one tier id per area, "" for none) has no unit there."""
    holes = np.zeros(ts.shape[0], dtype=bool)
    for t in set(ts.tolist()) - {""}:  # a few tiers; whole arrays over the areas
        at = ts == t
        holes[at] = geo.tiers[t].unit[at] < 0
    return holes
