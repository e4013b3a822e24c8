"""The per-place tables of ``[areas]`` (docs/model.md section 9), each a CSV checked row by row
against the areas, the tiers' units, the functions and the resources:

``current`` (status-quo overrides)
    ``function, scope, code, tier[, source]``: in the areas of ``scope`` (a tier's unit, named
    by its ``code`` or name, or ``area`` and an area id), the function sits at ``tier`` today.
``availability``
    ``tier, unit, function, category, allowed[, reason, source]``: units of ``tier`` (one, or
    every unit when ``unit`` is blank) may (``true``) or may not (``false``) hold a function (or
    every function of a ``category``). Later rows win where rows overlap.
``unit_caps``
    ``resource, tier, unit, cap[, per_head, source]``: what one body (or every body of a tier)
    may use of a resource; with ``per_head = true`` the cap is a rate per head of its people.

Scenario placement tables (``scenarios.X.placement``) may carry the same ``scope, code``
columns to set a tier in some areas only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from placement.errors import Problem
from placement.io.csvfile import display_path, line_locator, read_text_csv
from placement.io.table import Table, numbers
from placement.model.geography import (
    AREA_SCOPE,
    AvailabilityRule,
    CurrentRule,
    Geography,
    UnitCap,
)

__all__ = ["read_current", "read_availability", "read_unit_caps", "scope_problem",
           "report_scope", "unit_problem", "boolean"]

_TRUE = ("true",)
_FALSE = ("false",)


def boolean(text: str) -> bool | None:
    """``true`` or ``false`` (any case, as spreadsheets write them); ``None`` otherwise."""
    t = text.strip().lower()
    return True if t in _TRUE else False if t in _FALSE else None


def _table(path: Path, key: str, label: str, required: Iterable[str], optional: Iterable[str],
           problems: list[Problem]) -> tuple[Table, str] | None:
    """A per-place CSV with its required columns (and no unknown ones), or ``None``."""
    tlabel = display_path(path)
    n0 = len(problems)
    df = read_text_csv(path, tlabel, problems)
    if df is None:
        problems[n0:] = [Problem(label, key, None, str(path.name),
                                 f"a readable CSV ({p})") for p in problems[n0:]]
        return None
    known = [*required, *optional]
    for c in required:
        if c not in df.columns:
            problems.append(Problem(tlabel, "line 1 (header)", c, None, f"a column '{c}'",
                                    missing=True))
    for c in df.columns:
        if c not in known:
            problems.append(Problem(tlabel, "line 1 (header)", c, c,
                                    f"one of the columns {', '.join(known)}"))
    return (df, tlabel) if len(problems) == n0 else None


def _matching(codes: np.ndarray, names: np.ndarray, code: str) -> int:
    """How many units (or areas) ``code`` names, by code or by name."""
    return int(((codes == code) | (names == code)).sum())


def unit_problem(geo: Geography, tier: str, code: str) -> str | None:
    """Why ``code`` names no single unit of ``tier`` (``None`` when it names one)."""
    tu = geo.tiers[tier]
    n = _matching(tu.codes, tu.names, code)
    if n == 1:
        return None
    shown = ", ".join(tu.codes[:5].tolist()) + (" ..." if tu.n_units > 5 else "")
    if n == 0:
        return f"a unit of {tier} (code or name, e.g. {shown})"
    return f"a code or name of one unit of {tier} only ({n} units have it: use the code)"


def scope_problem(geo: Geography, scope: str, code: str) -> tuple[str, str, str] | None:
    """Why ``scope, code`` names no areas, as (field, value, expected); ``None`` when it
    names a unit of a tier, or one area."""
    if scope == AREA_SCOPE:
        n = _matching(geo.areas.ids, geo.areas.names, code)
        if n == 1:
            return None
        return ("code", code, "an area id or name of the areas table" if n == 0 else
                f"an area id, or a name of one area only ({n} areas have it: use the id)")
    if scope not in geo.tiers:
        return "scope", scope, f"a tier id ({', '.join(geo.tiers)}) or \"{AREA_SCOPE}\""
    why = unit_problem(geo, scope, code)
    return None if why is None else ("code", code, why)


def _scope_key(geo: Geography, scope: str, code: str) -> tuple[str, int]:
    if scope == AREA_SCOPE:
        return scope, geo.area_index(code)
    return scope, geo.unit_index(scope, code)


def report_scope(geo: Geography, row: Mapping[Any, Any], tlabel: str, where: str,
                 problems: list[Problem]) -> bool:
    """Whether the row's ``scope`` and ``code`` name a unit or an area; a problem if not."""
    why = scope_problem(geo, row["scope"], row["code"])
    if why is None:
        return True
    field, value, expected = why
    problems.append(Problem(tlabel, where, field, value or None, expected, missing=not value))
    return False


class _Seen:
    """The rows of a table already read, by what they set: a second row setting the same
    thing is a problem naming the first."""

    def __init__(self, tlabel: str, problems: list[Problem]) -> None:
        self.tlabel, self.problems = tlabel, problems
        self.first: dict[tuple[object, ...], str] = {}

    def once(self, key: tuple[object, ...], where: str, field: str, value: str,
             what: str) -> bool:
        if key in self.first:
            self.problems.append(Problem(self.tlabel, where, field, value,
                                         f"{what} once (already on {self.first[key]})"))
            return False
        self.first[key] = where
        return True


def read_current(path: Path, label: str, geo: Geography, functions: Iterable[str] | None,
                 problems: list[Problem]) -> tuple[CurrentRule, ...]:
    """Status-quo overrides, every row checked (the tier's units are checked later, against
    the areas the row covers); function ids are not checked when ``functions`` is ``None``
    (the function table could not be read)."""
    got = _table(path, "areas.current", label, ("function", "scope", "code", "tier"),
                 ("source", "notes"), problems)
    if got is None:
        return ()
    df, tlabel = got
    fids = None if functions is None else set(functions)
    loc = line_locator(df)
    seen = _Seen(tlabel, problems)
    out = []
    for i, row in enumerate(df.records()):  # one row per override: a few dozen
        where = loc(i)
        ok = fids is None or _known(tlabel, where, "function", row["function"], fids,
                                    "a function id", problems)
        ok &= _known(tlabel, where, "tier", row["tier"], set(geo.tiers), "a tier id", problems)
        ok &= report_scope(geo, row, tlabel, where, problems)
        if ok and seen.once((row["function"], *_scope_key(geo, row["scope"], row["code"])),
                            where, "function", row["function"],
                            f"each function in scope {row['scope']} {row['code']}"):
            out.append(CurrentRule(row["function"], row["scope"], row["code"], row["tier"],
                                   row.get("source") or None, f"{tlabel} {where}"))
    return tuple(out)


def _known(tlabel: str, where: str, col: str, value: str, known: set[str], what: str,
           problems: list[Problem]) -> bool:
    if value in known:
        return True
    shown = ", ".join(sorted(known)[:8]) + (" ..." if len(known) > 8 else "")
    problems.append(Problem(tlabel, where, col, value or None, f"{what} ({shown})",
                            missing=not value))
    return False


def _unit(geo: Geography, row: Mapping[Any, Any], tlabel: str, where: str,
          problems: list[Problem]) -> bool:
    """Whether the row's ``unit`` (of its ``tier``) is blank or names one unit."""
    why = unit_problem(geo, row["tier"], row["unit"]) if row["unit"] else None
    if why is not None:
        problems.append(Problem(tlabel, where, "unit", row["unit"],
                                f"{why}, or blank for every unit"))
    return why is None


def read_availability(path: Path, key: str, label: str, geo: Geography,
                      functions: Iterable[str] | None, categories: Iterable[str],
                      problems: list[Problem]) -> tuple[AvailabilityRule, ...]:
    """Availability rules in table order (functions and categories are not checked when
    ``functions`` is ``None``: the function table could not be read)."""
    got = _table(path, key, label, ("tier", "unit", "function", "category", "allowed"),
                 ("reason", "source", "notes"), problems)
    if got is None:
        return ()
    df, tlabel = got
    fids, cats = (None if functions is None else set(functions)), {c for c in categories if c}
    loc = line_locator(df)
    seen = _Seen(tlabel, problems)
    out = []
    for i, row in enumerate(df.records()):  # one row per rule
        where = loc(i)
        ok = _known(tlabel, where, "tier", row["tier"], set(geo.tiers), "a tier id", problems)
        ok = ok and _unit(geo, row, tlabel, where, problems)
        f, c = row["function"], row["category"]
        if bool(f) == bool(c):
            problems.append(Problem(tlabel, where, "function/category", f"{f}/{c}" if f else None,
                                    "exactly one of a function id or a category", missing=not f))
            ok = False
        elif fids is not None:
            ok &= (_known(tlabel, where, "function", f, fids, "a function id", problems) if f
                   else _known(tlabel, where, "category", c, cats, "a category of "
                               "functions.csv", problems))
        allowed = boolean(row["allowed"])
        if allowed is None:
            problems.append(Problem(tlabel, where, "allowed", row["allowed"] or None,
                                    "true or false", missing=not row["allowed"]))
            ok = False
        unit = geo.unit_index(row["tier"], row["unit"]) if ok and row["unit"] else -1
        if ok and seen.once((row["tier"], unit, f, c), where, "tier", row["tier"],
                            "each tier, unit and function or category"):
            out.append(AvailabilityRule(row["tier"], row["unit"] or None, f or None, c or None,
                                        bool(allowed), row.get("reason", ""),
                                        row.get("source") or None, f"{tlabel} {where}"))
    return tuple(out)


def read_unit_caps(path: Path, label: str, geo: Geography, resources: Iterable[str],
                   problems: list[Problem]) -> tuple[UnitCap, ...]:
    """Caps on single bodies."""
    got = _table(path, "areas.unit_caps", label, ("resource", "tier", "unit", "cap"),
                 ("per_head", "source", "notes"), problems)
    if got is None:
        return ()
    df, tlabel = got
    rids = set(resources)
    loc = line_locator(df)
    seen = _Seen(tlabel, problems)
    out = []
    caps = numbers(df["cap"])
    for i, row in enumerate(df.records()):  # one row per cap
        where = loc(i)
        ok = _known(tlabel, where, "resource", row["resource"], rids, "a resource id",
                    problems)
        ok &= _known(tlabel, where, "tier", row["tier"], set(geo.tiers), "a tier id", problems)
        ok = ok and _unit(geo, row, tlabel, where, problems)
        if not (np.isfinite(caps[i]) and caps[i] >= 0):
            problems.append(Problem(tlabel, where, "cap", row["cap"] or None,
                                    "a cap of 0 or more", missing=not row["cap"]))
            ok = False
        per_head = boolean(row.get("per_head") or "false")
        if per_head is None:
            problems.append(Problem(tlabel, where, "per_head", row["per_head"],
                                    "true or false (blank: false)"))
            ok = False
        unit = geo.unit_index(row["tier"], row["unit"]) if ok and row["unit"] else -1
        if ok and seen.once((row["resource"], row["tier"], unit, per_head), where, "unit",
                            row["unit"] or "(every unit)",
                            "each resource, tier, unit and per_head"):
            out.append(UnitCap(row["resource"], row["tier"], row["unit"] or None,
                               float(caps[i]), bool(per_head), row.get("source") or None,
                               f"{tlabel} {where}"))
    return tuple(out)
