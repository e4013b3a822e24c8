"""Explicit value and cost tables of an instance (``values = "values.csv"``, ``costs = ...``).

An instance may give the value of every function at every tier directly instead of scoring
functions with a model (``values.csv``: an ``id`` column and one column per tier), and may give
costs in long form (``costs.csv``: ``function, tier, resource, amount``), each row replacing the
``fixed * units + variable`` formula of ``functions.csv`` for its (function, tier, resource).
Both are read against the function, tier and resource ids already known, into dense arrays;
every bad cell is reported with its line and column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from placement.errors import Problem
from placement.io.csvfile import display_path, line_locator, read_text_csv
from placement.io.table import numbers
from placement.model.limits import MAX_AMOUNT

__all__ = ["read_values", "read_costs"]


def read_values(
    path: Path, fids: np.ndarray, tiers: list[str], problems: list[Problem]
) -> np.ndarray | None:
    """The (functions x tiers) value matrix from ``values.csv``.

    Parameters
    ----------
    path
        The table.
    fids
        Function ids in order; every one needs a row.
    tiers
        Tier ids in order; every one needs a column.
    problems
        Where problems are appended.

    Returns
    -------
    numpy.ndarray or None
        ``None`` when any problem was found.
    """
    label = display_path(path)
    df = read_text_csv(path, label, problems)
    if df is None:
        return None
    n0 = len(problems)
    if "id" not in df.columns:
        problems.append(Problem(label, "line 1 (header)", "id", None, "a column 'id'",
                                missing=True))
    for t in tiers:
        if t not in df.columns:
            problems.append(Problem(label, "line 1 (header)", t, None,
                                    f"a value column for tier '{t}'", missing=True))
    if len(problems) > n0:
        return None
    loc = line_locator(df)
    row_of: dict[str, int] = {}
    known = set(fids.tolist())
    for i, fid in enumerate(df["id"].tolist()):  # one row per function
        if fid in row_of:
            problems.append(Problem(label, loc(i), "id", fid,
                                    f"each function once (already on {loc(row_of[fid])})"))
        elif fid not in known:
            problems.append(Problem(label, loc(i), "id", fid or None,
                                    "a function id of the function table", missing=not fid))
        row_of.setdefault(fid, i)
    nums = {t: numbers(df[t]) for t in tiers}
    out = np.full((len(fids), len(tiers)), np.nan)
    for f, fid in enumerate(fids.tolist()):
        if fid not in row_of:
            problems.append(Problem(label, None, "id", fid, "a row for every function",
                                    missing=True, context=f"function '{fid}'"))
            continue
        i = row_of[fid]
        for ti, tid in enumerate(tiers):
            cell = df[tid][i]
            if np.isfinite(nums[tid][i]) and abs(nums[tid][i]) <= MAX_AMOUNT:
                out[f, ti] = nums[tid][i]
            else:
                problems.append(Problem(label, loc(i), tid, cell or None,
                                        f"a finite number from {-MAX_AMOUNT:g} to {MAX_AMOUNT:g}",
                                        f"function '{fid}'", missing=not cell))
    return out if len(problems) == n0 else None


def read_costs(
    path: Path,
    fids: np.ndarray,
    tiers: list[str],
    resources: list[str],
    problems: list[Problem],
) -> np.ndarray | None:
    """The (functions x tiers x resources) cost array from a long-form ``costs.csv``.

    Parameters
    ----------
    path
        The table (``function, tier, resource, amount``).
    fids, tiers, resources
        The ids the rows may name, in order.
    problems
        Where problems are appended.

    Returns
    -------
    numpy.ndarray or None
        NaN where no row gives a cost (the formula applies); ``None`` when any problem was
        found.
    """
    label = display_path(path)
    df = read_text_csv(path, label, problems)
    if df is None:
        return None
    n0 = len(problems)
    for c in ("function", "tier", "resource", "amount"):
        if c not in df.columns:
            problems.append(Problem(label, "line 1 (header)", c, None, f"a column '{c}'",
                                    missing=True))
    if len(problems) > n0:
        return None
    loc = line_locator(df)
    fix = {f: i for i, f in enumerate(fids.tolist())}
    tix = {t: i for i, t in enumerate(tiers)}
    rix = {r: i for i, r in enumerate(resources)}
    out = np.full((len(fids), len(tiers), len(resources)), np.nan)
    amounts = numbers(df["amount"])
    first: dict[tuple[str, str, str], int] = {}
    for i, (f, t, r, a) in enumerate(
        zip(df["function"].tolist(), df["tier"].tolist(), df["resource"].tolist(),
            df["amount"].tolist(), strict=True)
    ):
        ok = True
        for val, table, col in ((f, fix, "function"), (t, tix, "tier"), (r, rix, "resource")):
            if val not in table:
                problems.append(Problem(label, loc(i), col, val, f"a known {col} id"))
                ok = False
        if not (np.isfinite(amounts[i]) and 0 <= amounts[i] <= MAX_AMOUNT):
            problems.append(Problem(label, loc(i), "amount", a or None,
                                    f"a cost from 0 to {MAX_AMOUNT:g}", missing=not a))
            ok = False
        if ok and (f, t, r) in first:
            problems.append(Problem(label, loc(i), "function", f, f"each function, tier and "
                                    f"resource once (already on {loc(first[(f, t, r)])})"))
            ok = False
        if ok:
            first[(f, t, r)] = i
            out[fix[f], tix[t], rix[r]] = amounts[i]
    return out if len(problems) == n0 else None
