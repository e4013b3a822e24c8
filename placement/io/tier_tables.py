"""Tiers whose units and population are read from a geography table (``[tiers.table]``).

A tier can name a CSV of areas (e.g. ``data/geography/lad.csv``) instead of giving its numbers:
rows are kept by ``where`` / ``where_not`` filters on columns, the number of units is the count
of rows kept (or the sum of a ``units_column``), and the tier's typical population is the mean,
median or per-unit average of a population column. Problems with the table are located in the
instance file (the ``tiers[i].table`` key) or in the table itself (line and column).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from placement.errors import Problem
from placement.io.csvfile import display_path, line_locator, read_text_csv
from placement.io.paths import instance_file
from placement.io.schema import TierSpec, TierTableSpec
from placement.io.table import Table, numbers, repeated
from placement.model import Tier
from placement.model.limits import MAX_POPULATION

__all__ = ["tier_from_table"]


@dataclass(frozen=True)
class _Kept:
    """The rows of a geography table a tier's filters keep, and how to locate them in it."""

    rows: Table
    positions: np.ndarray
    locate: Callable[[int], str]
    label: str

    def numbers(
        self, col: str, expected: str, positive: bool, problems: list[Problem]
    ) -> np.ndarray | None:
        """Column ``col`` of the kept rows as numbers, or ``None`` after the first bad one."""
        vals = numbers(self.rows[col])
        bad = ~np.isfinite(vals) | ((vals <= 0) if positive else (vals < 0))
        bad |= np.abs(np.nan_to_num(vals)) > MAX_POPULATION  # populations and unit counts
        if bad.any():
            i = int(np.nonzero(bad)[0][0])
            problems.append(Problem(self.label, self.locate(int(self.positions[i])), col,
                                    self.rows[col][i], expected))
            return None
        return vals


def tier_from_table(
    spec: TierSpec, idx: int, base: Path, label: str, problems: list[Problem]
) -> Tier | None:
    """The tier ``spec`` (the ``idx``-th, from 0) with its numbers read from its table.

    Parameters
    ----------
    spec
        A tier spec with a ``table``.
    idx
        Its position in ``[[tiers]]``, for problem locations.
    base
        The instance directory; the table's path is relative to it.
    label
        How problems name ``instance.toml``.
    problems
        Where problems are appended.

    Returns
    -------
    Tier or None
        ``None`` when the table cannot give the tier's numbers (the problems say why).
    """
    assert spec.table is not None
    tab = spec.table
    where = f"tiers[{idx + 1}].table"
    kept = _kept_rows(spec, tab, where, base, label, problems)
    if kept is None:
        return None
    pop = kept.numbers(tab.population,
                       f"a population greater than 0 and at most {MAX_POPULATION:g}", True,
                       problems)
    if pop is None:
        return None
    total = spec.total_population if spec.total_population is not None else float(pop.sum())
    units = _units(spec, tab, kept, where, label, problems)
    if units is None:
        return None
    return Tier(
        id=spec.id,
        name=spec.name or spec.id,
        units=units,
        population=_typical_population(tab, pop, units),
        geography=spec.geography,
        total_population=total,
        optional=spec.optional,
        performance=dict(spec.performance),
        source=spec.source or _table_source(tab, kept, units),
        description=spec.description,
    )


def _kept_rows(
    spec: TierSpec, tab: TierTableSpec, where: str, base: Path, label: str,
    problems: list[Problem],
) -> _Kept | None:
    """Read the table, check the columns the spec names, and apply its filters."""
    path = instance_file(base, tab.file)
    tlabel = display_path(path)
    n0 = len(problems)
    df = read_text_csv(path, tlabel, problems)
    if df is None:
        # the tier names the table, so the reading problem is reported at the tier's key
        problems[n0:] = [
            Problem(label, f"{where}.file", None, tab.file,
                    f"a readable CSV geography table ({p})", f"id '{spec.id}'")
            for p in problems[n0:]
        ]
        return None
    cols = [tab.population, *tab.where, *tab.where_not]
    if tab.units_column:
        cols.append(tab.units_column)
    for col in cols:
        if col not in df.columns:
            problems.append(Problem(label, where, None, col,
                                    f"a column of {tlabel} ({', '.join(df.columns)})",
                                    f"id '{spec.id}'"))
    if len(problems) > n0:
        return None
    keep = np.ones(len(df), dtype=bool)
    for col, val in tab.where.items():
        keep &= df[col] == _cell_text(val)
    for col, val in tab.where_not.items():
        keep &= df[col] != _cell_text(val)
    sub = df.take(keep)
    keys = sub.row_keys()
    dup = repeated(keys)
    if dup.any():  # a repeated row would count as one unit more
        pos = np.nonzero(keep)[0]
        locate = line_locator(df)
        i = int(np.nonzero(dup)[0][0])
        j = keys.index(keys[i])
        problems.append(Problem(tlabel, locate(int(pos[i])), None, None,
                                f"each row once (it repeats {locate(int(pos[j]))}; "
                                f"{int(dup.sum())} repeated rows in all)", f"tier '{spec.id}'"))
        return None
    if sub.empty:
        problems.append(Problem(label, f"{where}.where", None, None,
                                f"a filter that keeps at least one row of {tlabel}",
                                f"id '{spec.id}'"))
        return None
    return _Kept(sub, np.nonzero(keep)[0], line_locator(df), tlabel)


def _cell_text(v: object) -> str:
    if isinstance(v, bool):
        return "True" if v else "False"
    return str(v)


def _units(
    spec: TierSpec, tab: TierTableSpec, kept: _Kept, where: str, label: str,
    problems: list[Problem],
) -> int | None:
    """Declared units, else the table's (rows kept, or the sum of the units column)."""
    if tab.units_column:
        counts = kept.numbers(tab.units_column, "a count of units, 0 or more", False, problems)
        if counts is None:
            return None
        table_units = int(round(counts.sum()))
    else:
        table_units = int(len(kept.rows))
    units = spec.units if spec.units is not None else table_units
    if units < 1:
        problems.append(Problem(label, where, "units", units, "at least one unit",
                                f"id '{spec.id}'"))
        return None
    return units


def _typical_population(tab: TierTableSpec, pop: np.ndarray, units: int) -> float:
    if tab.statistic == "per_unit":
        return float(pop.sum()) / units
    if tab.statistic == "median":
        return float(np.median(pop))
    return float(pop.mean())


def _table_source(tab: TierTableSpec, kept: _Kept, units: int) -> str:
    """Where the tier's numbers came from, for a tier that does not give its own source."""
    filt = "".join(f", {k} = {v}" for k, v in tab.where.items())
    filt += "".join(f", {k} != {v}" for k, v in tab.where_not.items())
    return (f"{kept.label}: {len(kept.rows)} rows{filt}; {units} units; population = "
            f"{tab.statistic} of '{tab.population}'"
            + (f" (units = sum of '{tab.units_column}')" if tab.units_column else ""))
