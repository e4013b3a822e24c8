"""``[areas]``: the area table of a ``placement/2`` instance, and every tier's units over it
(docs/model.md section 9; the format is in docs/instance-format.md).

The area table is a CSV with a row per area (England: the 166 upper-tier authority x integrated
care board pieces of ``data/geography/utla_icb_split.csv``), joined with other tables by key
columns (need indicators from ``utla_need.csv``, regions, combined authorities). Each tier
names its ``membership``: the column holding each area's unit (blank: no unit there), ``"*"``
for one unit holding every area, or, for a tier finer than the areas, a ``count`` of its
bodies per area, or per unit of a ``within`` column, shared among that unit's areas by
population with the largest-remainder method and at least one body per area.

Every cell that cannot be used is a problem naming the file, line, column and value.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from placement.errors import Problem
from placement.io.csvfile import display_path, line_locator, read_text_csv
from placement.io.membership import join_table
from placement.io.paths import instance_file
from placement.io.schema import TierMembershipSpec, TierSpec
from placement.io.schema_areas import AreaShareSpec, AreasSpec
from placement.io.table import Table, first_codes, numbers, repeated
from placement.model.geography import Areas, Indicator, TierUnits
from placement.model.limits import MAX_POPULATION

__all__ = ["read_areas", "tier_units", "shared_counts", "MAX_SHOWN"]

#: Problems reported per column before the rest are counted in one line.
MAX_SHOWN = 10


def _columns(spec: str | list[str] | None) -> list[str]:
    return [] if spec is None else [spec] if isinstance(spec, str) else list(spec)


def _cells(df: Table, col: str, alabel: str) -> tuple[str, Callable[[int], str]]:
    """The file holding a column's cells and the line of each row's cell there: the area
    table's, or for a joined column the joined table's."""
    loc = line_locator(df)
    origin = df.origin.get(col)
    if origin is None:
        return alabel, loc
    jlabel, lines = origin
    return jlabel, lambda i: loc(i) if lines[i] is None else f"line {lines[i]}"


def _report(df: Table, col: str, alabel: str, bad: np.ndarray, expected: str,
            problems: list[Problem]) -> None:
    """A problem for each row of ``bad`` (the first :data:`MAX_SHOWN`, then a count),
    naming the cell's file and line; a blank cell is reported as missing."""
    file, loc = _cells(df, col, alabel)
    idx = np.nonzero(bad)[0]
    for i in idx[:MAX_SHOWN].tolist():
        v = df[col][i]
        problems.append(Problem(file, loc(i), col, v or None, expected, missing=not v))
    if idx.size > MAX_SHOWN:
        problems.append(Problem(file, None, col, None,
                                f"{expected} ({idx.size - MAX_SHOWN} more rows like these)"))


def _numbers(df: Table, col: str, alabel: str, expected: str, lo: float | None,
             hi: float | None, lo_open: bool, problems: list[Problem]) -> np.ndarray:
    """Column ``col`` as floats; a problem for every cell that is not a finite number in
    range."""
    vals = numbers(df[col])
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(vals)
        if lo is not None:
            bad |= (vals <= lo) if lo_open else (vals < lo)
        if hi is not None:
            bad |= vals > hi
    _report(df, col, alabel, bad, expected, problems)
    return vals


def _indicator_ids(spec: AreasSpec, label: str, problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for k, ind in enumerate(spec.indicators):
        if ind.id in first:
            problems.append(Problem(label, f"areas.indicators[{k + 1}].id", None, ind.id,
                                    f"a unique indicator id (already areas.indicators"
                                    f"[{first[ind.id] + 1}])"))
        first.setdefault(ind.id, k)


def read_areas(spec: AreasSpec, base: Path, label: str, problems: list[Problem]
               ) -> tuple[Table, Areas, str] | None:
    """The area table (joins applied), the :class:`Areas` read from it, and its label;
    ``None`` when a file or column is missing. A bad value is a problem, but the areas are
    still returned (with NaN where a number is bad) so the tiers' units can be checked too."""
    path = instance_file(base, spec.file).resolve()
    alabel = display_path(path)
    n0 = len(problems)
    _indicator_ids(spec, label, problems)
    df = read_text_csv(path, alabel, problems)
    if df is None:
        problems[n0:] = [p if p.file == label else Problem(
            label, "areas.file", None, spec.file, f"a readable CSV area table ({p})")
            for p in problems[n0:]]
        return None
    for j, js in enumerate(spec.join):
        joined = join_table(df, alabel, js, f"areas.join[{j + 1}]", base, label, problems,
                            table="areas", strict=True)
        if joined is not None:
            df = joined
    share = spec.share if not isinstance(spec.share, str) else AreaShareSpec(column=spec.share)
    wanted = [("id", c) for c in _columns(spec.id)] + [("name", c) for c in _columns(spec.name)]
    wanted += [("population", spec.population)]
    if share is not None:
        wanted += [("share", share.column)] + ([("share", share.within)] if share.within else [])
    wanted += [(f"indicators[{k + 1}].column", i.column) for k, i in enumerate(spec.indicators)]
    if df.empty:
        problems.append(Problem(alabel, None, None, None, "at least one area (a row under "
                                "the header)", missing=True))
    for key, col in wanted:
        if col not in df.columns:
            problems.append(Problem(label, f"areas.{key}", None, col,
                                    f"a column of {alabel} ({', '.join(df.columns)})"))
    if len(problems) > n0:
        return None
    ids = _ids(df, spec, alabel, problems)
    pop = _numbers(df, spec.population, alabel,
                   f"a population greater than 0 and at most {MAX_POPULATION:g}", 0.0,
                   MAX_POPULATION, True, problems)
    if share is not None:
        pop = pop * _shares(df, share, alabel, problems)
    values = np.zeros((len(df), len(spec.indicators)))
    for k, ind in enumerate(spec.indicators):
        rng = (0.0, 1.0) if ind.kind == "share" else (None, None)
        what = "a share from 0 to 1" if ind.kind == "share" else "a finite number"
        values[:, k] = _numbers(df, ind.column, alabel, what, rng[0], rng[1], False, problems)
    if np.isfinite(pop).all() and not np.isfinite(pop.sum()):
        problems.append(Problem(alabel, None, spec.population, None,
                                "populations whose total is a finite number"))
    names = _names(df, _columns(spec.name) or _columns(spec.id), ids)
    indicators = tuple(Indicator(i.id, i.column, i.kind, i.name or i.id, i.source)
                       for i in spec.indicators)
    return df, Areas(ids, names, pop, indicators, values, f"{alabel} ({len(df)} areas)"), alabel


def _ids(df: Table, spec: AreasSpec, alabel: str, problems: list[Problem]) -> np.ndarray:
    """Each area's id: its id column, or several joined with '/'; unique and not blank."""
    cols = _columns(spec.id)
    text = _joined(df, cols, "/")
    blank = np.zeros(len(df), dtype=bool)
    for c in cols:
        blank |= df[c] == ""
        _report(df, c, alabel, df[c] == "", "an area id", problems)
    loc = line_locator(df)
    dup = repeated(text) & ~blank
    first = {v: i for i, v in reversed(list(enumerate(text.tolist())))}
    for i in np.nonzero(dup)[0][:MAX_SHOWN].tolist():
        problems.append(Problem(alabel, loc(i), "/".join(cols), text[i],
                                f"each area once (already on {loc(first[text[i]])})"))
    return text


def _joined(df: Table, cols: list[str], sep: str) -> np.ndarray:
    """Each row's cells of ``cols`` joined by ``sep``."""
    out = np.empty(len(df), dtype=object)
    out[:] = [sep.join(t) for t in zip(*(df[c].tolist() for c in cols), strict=True)]
    return out


def _names(df: Table, cols: list[str], ids: np.ndarray) -> np.ndarray:
    """The first name column; where it repeats, the others follow in brackets; the id where
    the name is blank."""
    first = df[cols[0]]
    if len(cols) > 1:
        rest = _joined(df, cols[1:], ", ")
        codes = first_codes(first)
        again = np.bincount(codes)[codes] > 1  # every row whose name another row shares
        first = np.where(again, first + " (" + rest + ")", first)
    out: np.ndarray = np.where(first == "", ids, first)
    return out


def _shares(df: Table, share: AreaShareSpec, alabel: str,
            problems: list[Problem]) -> np.ndarray:
    """Each row's share of its population: the column as given, scaled to sum to 1 within each
    value of ``within`` when given (so a unit split in pieces keeps its population)."""
    if share.kind == "count":
        s = _numbers(df, share.column, alabel, f"a count of people greater than 0 and at most "
                     f"{MAX_POPULATION:g}", 0.0, MAX_POPULATION, True, problems)
    else:
        s = _numbers(df, share.column, alabel, "a share greater than 0 and at most 1", 0.0,
                     1.0, True, problems)
    if share.within is None:
        return s
    groups = _groups(df, share.within, alabel, "the unit this row's share is of", problems)
    total = np.bincount(groups, weights=np.nan_to_num(s), minlength=groups.max() + 1)
    out: np.ndarray = s / np.where(total > 0, total, 1.0)[groups]
    return out


def _groups(df: Table, col: str, alabel: str, expected: str,
            problems: list[Problem]) -> np.ndarray:
    """The rows' groups by the values of ``col``; a blank cell is a problem."""
    _report(df, col, alabel, df[col] == "", expected, problems)
    out: np.ndarray = first_codes(df[col])
    return out


def shared_counts(counts: np.ndarray, groups: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Bodies per area: each group's count shared among its areas in proportion to population
    (largest remainder), at least one per area.

    >>> import numpy as np
    >>> shared_counts(np.array([5, 5, 3]), np.array([0, 0, 1]),
    ...               np.array([1.0, 3.0, 9.0])).tolist()
    [1, 4, 3]
    """
    G = int(groups.max(initial=-1)) + 1
    total = np.bincount(groups, weights=population, minlength=G)
    per_group = np.zeros(G)
    per_group[groups] = counts  # the same on every row of a group
    quota = counts * population / total[groups]
    base = np.maximum(np.floor(quota), 1.0)
    left = per_group - np.bincount(groups, weights=base, minlength=G)
    # within each group, the largest remainders first take the bodies still to share
    order = np.lexsort((-(quota - np.floor(quota)), groups))
    starts = np.searchsorted(groups[order], np.arange(G))
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0]) - starts[groups[order]]
    out: np.ndarray = (base + (rank < left[groups])).astype(np.int64)
    return out


def tier_units(specs: list[TierSpec], df: Table, areas: Areas, alabel: str, label: str,
               problems: list[Problem]) -> dict[str, TierUnits]:
    """Every declared tier's units over the areas, from its ``membership``."""
    out: dict[str, TierUnits] = {}
    A = len(areas)
    for i, ts in enumerate(specs):
        where, ctx = f"tiers[{i + 1}].membership", f"id '{ts.id}'"
        m = ts.membership
        if m is None:
            problems.append(Problem(label, where, None, None,
                                    "with [areas], a membership for every tier: a column of "
                                    "the areas table, \"*\" (one unit everywhere) or a count "
                                    "(a tier finer than the areas)", ctx, missing=True))
            continue
        if m == "*":
            out[ts.id] = TierUnits(ts.id, np.zeros(A, dtype=np.int64),
                                   np.array([ts.id], dtype=object),
                                   np.array([ts.name or ts.id], dtype=object), np.ones(1),
                                   how="one unit holding every area")
            continue
        ms = m if isinstance(m, TierMembershipSpec) else TierMembershipSpec(column=str(m))
        cols = [c for c in (ms.column, ms.names, ms.count, ms.within) if c is not None]
        bad = [c for c in cols if c not in df.columns]
        for c in bad:
            problems.append(Problem(label, where, None, c,
                                    f"a column of {alabel} ({', '.join(df.columns)})", ctx))
        if bad:
            continue
        units = (_coarse(ts, ms, df, alabel, problems) if ms.column is not None
                 else _finer(ts, ms, df, areas, alabel, problems))
        if units is not None:
            out[ts.id] = units
    return out


def _coarse(ts: TierSpec, ms: TierMembershipSpec, df: Table, alabel: str,
            problems: list[Problem]) -> TierUnits:
    assert ms.column is not None
    vals = df[ms.column]
    blank = vals == ""
    codes, first, inv = np.unique(vals[~blank].astype(str), return_index=True,
                                  return_inverse=True)
    unit = np.full(len(df), -1, dtype=np.int64)
    unit[~blank] = inv
    names = codes.astype(object)
    if ms.names:
        nm = df[ms.names]
        _one_name(df, ms.names, alabel, unit, nm, problems)
        names = np.where(nm[~blank][first] != "", nm[~blank][first], names)
    return TierUnits(ts.id, unit, codes.astype(object), names, np.ones(codes.shape[0]),
                     how=f"column {ms.column} of the areas table")


def _one_name(df: Table, col: str, alabel: str, unit: np.ndarray, nm: np.ndarray,
              problems: list[Problem]) -> None:
    """A unit's name is the same on every row of its areas (a different one is a typo)."""
    first: dict[int, int] = {}
    file, loc = _cells(df, col, alabel)
    shown = 0
    for i, u in enumerate(unit.tolist()):  # one per area
        if u < 0:
            continue
        j = first.setdefault(u, i)
        if nm[i] != nm[j] and shown < MAX_SHOWN:
            problems.append(Problem(file, loc(i), col, nm[i] or None,
                                    f"the name the unit has on {loc(j)} ({nm[j]!r})",
                                    missing=not nm[i]))
            shown += 1


def _finer(ts: TierSpec, ms: TierMembershipSpec, df: Table, areas: Areas, alabel: str,
           problems: list[Problem]) -> TierUnits | None:
    """A tier finer than the areas: one unit per area standing for its bodies there."""
    assert ms.count is not None
    n0 = len(problems)
    expected = "a whole number of bodies, 1 or more"
    counts = _numbers(df, ms.count, alabel, expected, 1.0, None, False, problems)
    _report(df, ms.count, alabel, np.isfinite(counts) & (counts != np.round(counts)),
            expected, problems)
    groups = (_groups(df, ms.within, alabel, "the unit whose bodies this area shares",
                      problems) if ms.within is not None else None)
    if len(problems) > n0:
        return None
    how = f"column {ms.count} of the areas table, per area"
    bodies = counts
    if ms.within is None:
        _report(df, ms.count, alabel, counts > areas.population, "a whole number of bodies, "
                "at most one per person of the area", problems)
        if len(problems) > n0:
            return None
    if ms.within is not None and groups is not None:
        file, loc = _cells(df, ms.count, alabel)
        first = {g: i for i, g in reversed(list(enumerate(groups.tolist())))}
        for i in np.nonzero(counts != counts[[first[g] for g in groups.tolist()]])[0][
                :MAX_SHOWN].tolist():
            j = first[int(groups[i])]
            problems.append(Problem(file, loc(i), ms.count, df[ms.count][i],
                                    f"the same count on every row of {ms.within} "
                                    f"{df[ms.within][i]} (it is that unit's count; "
                                    f"{loc(j)} has {df[ms.count][j]})"))
        if len(problems) > n0:
            return None
        people = np.bincount(groups, weights=areas.population)[groups]
        _report(df, ms.count, alabel, counts > people, "a whole number of bodies, at most "
                f"one per person of its {ms.within}", problems)
        if len(problems) > n0:
            return None
        if not np.isfinite(areas.population).all():
            pass  # reported: the counts stand unshared
        elif ms.whole:
            bodies = np.asarray(shared_counts(counts, groups, areas.population), dtype=float)
        else:
            bodies = counts * areas.population / people
        how = (f"{ms.count} per {ms.within}, shared among its areas by population "
               + ("(largest remainder, at least one per area)" if ms.whole else
                  "(in exact proportion: an area may hold a fraction of a body)"))
    A = len(areas)
    return TierUnits(ts.id, np.arange(A, dtype=np.int64), areas.ids.copy(), areas.names.copy(),
                     bodies, finer=True, how=how)
