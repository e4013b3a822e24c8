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

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from placement.errors import Problem
from placement.io.csvfile import display_path, line_locator, read_text_csv
from placement.model.geography import (
    AREA_SCOPE,
    AvailabilityRule,
    CurrentRule,
    Geography,
    UnitCap,
)

__all__ = ["read_current", "read_availability", "read_unit_caps", "scope_problem", "boolean"]

_TRUE = ("true",)
_FALSE = ("false",)


def boolean(text: str) -> bool | None:
    """``true`` or ``false`` (any case, as spreadsheets write them); ``None`` otherwise."""
    t = text.strip().lower()
    return True if t in _TRUE else False if t in _FALSE else None


def _table(path: Path, key: str, label: str, required: Iterable[str], optional: Iterable[str],
           problems: list[Problem]) -> tuple[pd.DataFrame, str] | None:
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


def scope_problem(geo: Geography, scope: str, code: str) -> str | None:
    """Why ``scope, code`` names no areas (``None`` when it does)."""
    if scope == AREA_SCOPE:
        return None if geo.area_index(code) >= 0 else "an area id or name of the areas table"
    if scope not in geo.tiers:
        return f"a tier id ({', '.join(geo.tiers)}) or \"{AREA_SCOPE}\""
    if geo.unit_index(scope, code) < 0:
        shown = ", ".join(geo.tiers[scope].codes[:5].tolist())
        return f"a unit of {scope} (code or name, e.g. {shown})"
    return None


def read_current(path: Path, label: str, geo: Geography, functions: Iterable[str],
                 problems: list[Problem]) -> tuple[CurrentRule, ...]:
    """Status-quo overrides, every row checked (the tier's units are checked later, against
    the areas the row covers)."""
    got = _table(path, "areas.current", label, ("function", "scope", "code", "tier"),
                 ("source", "notes"), problems)
    if got is None:
        return ()
    df, tlabel = got
    fids = set(functions)
    loc = line_locator(df)
    out = []
    for i, row in enumerate(df.to_dict("records")):  # one row per override: a few dozen
        where = loc(i)
        ok = _known(tlabel, where, "function", row["function"], fids, "a function id",
                    problems)
        ok &= _known(tlabel, where, "tier", row["tier"], set(geo.tiers), "a tier id", problems)
        why = scope_problem(geo, row["scope"], row["code"])
        if why is not None:
            problems.append(Problem(tlabel, where, "scope/code",
                                    f"{row['scope']} {row['code']}", why))
            ok = False
        if ok:
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


def read_availability(path: Path, key: str, label: str, geo: Geography,
                      functions: Iterable[str], categories: Iterable[str],
                      problems: list[Problem]) -> tuple[AvailabilityRule, ...]:
    """Availability rules in table order."""
    got = _table(path, key, label, ("tier", "unit", "function", "category", "allowed"),
                 ("reason", "source", "notes"), problems)
    if got is None:
        return ()
    df, tlabel = got
    fids, cats = set(functions), {c for c in categories if c}
    loc = line_locator(df)
    out = []
    for i, row in enumerate(df.to_dict("records")):  # one row per rule
        where = loc(i)
        ok = _known(tlabel, where, "tier", row["tier"], set(geo.tiers), "a tier id", problems)
        if ok and row["unit"] and geo.unit_index(row["tier"], row["unit"]) < 0:
            problems.append(Problem(tlabel, where, "unit", row["unit"],
                                    f"a unit of {row['tier']} (code or name), or blank for "
                                    "every unit"))
            ok = False
        if bool(row["function"]) == bool(row["category"]):
            problems.append(Problem(tlabel, where, "function/category",
                                    f"{row['function']}/{row['category']}",
                                    "exactly one of a function id or a category"))
            ok = False
        elif row["function"]:
            ok &= _known(tlabel, where, "function", row["function"], fids, "a function id",
                         problems)
        else:
            ok &= _known(tlabel, where, "category", row["category"], cats,
                         "a category of functions.csv", problems)
        allowed = boolean(row["allowed"])
        if allowed is None:
            problems.append(Problem(tlabel, where, "allowed", row["allowed"] or None,
                                    "true or false", missing=not row["allowed"]))
            ok = False
        if ok:
            out.append(AvailabilityRule(row["tier"], row["unit"] or None,
                                        row["function"] or None, row["category"] or None,
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
    out = []
    caps = pd.to_numeric(df["cap"], errors="coerce").to_numpy(dtype=float)
    for i, row in enumerate(df.to_dict("records")):  # one row per cap
        where = loc(i)
        ok = _known(tlabel, where, "resource", row["resource"], rids, "a resource id",
                    problems)
        ok &= _known(tlabel, where, "tier", row["tier"], set(geo.tiers), "a tier id", problems)
        if ok and row["unit"] and geo.unit_index(row["tier"], row["unit"]) < 0:
            problems.append(Problem(tlabel, where, "unit", row["unit"],
                                    f"a unit of {row['tier']}, or blank for every unit"))
            ok = False
        if not (np.isfinite(caps[i]) and caps[i] >= 0):
            problems.append(Problem(tlabel, where, "cap", row["cap"] or None,
                                    "a cap of 0 or more", missing=not row["cap"]))
            ok = False
        per_head = boolean(row.get("per_head") or "false")
        if per_head is None:
            problems.append(Problem(tlabel, where, "per_head", row["per_head"],
                                    "true or false (blank: false)"))
            ok = False
        if ok:
            out.append(UnitCap(row["resource"], row["tier"], row["unit"] or None,
                               float(caps[i]), bool(per_head), row.get("source") or None,
                               f"{tlabel} {where}"))
    return tuple(out)
