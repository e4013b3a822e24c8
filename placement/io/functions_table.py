"""Validation of the function table (``functions.csv`` or a DataFrame) into :class:`Functions`.

Columns (see docs/instance-format.md):

- ``id`` (required, unique), ``name`` (required), ``category``
- one column per criterion of the scoring model, a score from 0 to 5 (required)
- ``<criterion>_lo`` / ``<criterion>_hi``: per-function curve overrides (population; blank =
  the model's default)
- ``<resource>_fixed``, ``<resource>_variable``, ``<resource>_move``: cost per unit of the tier,
  cost of the workload, and one-off cost of leaving the current tier (blank = 0)
- ``allowed`` (tier ids separated by ``;``, blank = all), ``pinned``, ``current`` (a tier id;
  a pin may read ``tier|fallback`` where the tier has no unit in some areas)
- ``serves`` (with areas: the share indicator naming the group served; blank = everyone)
- anything else (``source``, ``rationale``, ...) is kept as metadata.

Every problem is collected (file, line, column, value, what was expected); nothing stops at the
first one. Checks are whole-column operations, so 10^5-row tables validate quickly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from placement.errors import Problem
from placement.io.function_rows import LineOf, Rows
from placement.io.function_tiers import (
    allowed_column,
    check_pins_allowed,
    pin_column,
    serves_column,
    tier_column,
)
from placement.io.table import Table, numbers
from placement.model import Functions
from placement.model.limits import MAX_AMOUNT, MAX_POPULATION

__all__ = ["parse_functions", "COST_KINDS", "RESERVED"]

COST_KINDS = ("fixed", "variable", "move")
RESERVED = ("id", "name", "category", "allowed", "pinned", "current", "serves")
METADATA_HINT = ("source", "rationale", "notes", "description")



def _blank(cells: np.ndarray) -> np.ndarray:
    out: np.ndarray = cells == ""
    return out


def _numeric(
    rows: Rows,
    col: str,
    *,
    expected: str,
    lo: float | None = None,
    hi: float | None = None,
    lo_strict: bool = False,
    blank_ok: bool,
    blank_value: float = np.nan,
) -> np.ndarray:
    """Parse a column as float; record a problem for every cell that is not acceptable."""
    raw = rows.df[col]
    blank = _blank(raw)
    vals = numbers(raw)
    bad = ~blank & ~np.isfinite(vals)
    if not blank_ok:
        bad |= blank
    ok = np.isfinite(vals)
    if lo is not None:
        bad |= ok & ((vals <= lo) if lo_strict else (vals < lo))
    if hi is not None:
        bad |= ok & (vals > hi)
    for i in np.nonzero(bad)[0].tolist():
        missing = bool(blank[i])
        rows.problems.append(
            Problem(rows.file, rows.line_of(i), col, None if missing else raw[i], expected,
                    rows.ctx[i], missing=missing)
        )
    vals = np.where(blank, blank_value, vals)
    return np.where(bad, np.nan if blank_ok else 0.0, vals)


def parse_functions(
    df: Table,
    *,
    file: str,
    line_of: LineOf,
    criteria: Sequence[str],
    model_defaults: dict[str, tuple[float, float]],
    tiers: Sequence[str],
    resources: Sequence[str],
    problems: list[Problem],
    warnings: list[str],
    need_scores: bool = True,
) -> Functions | None:
    """Validate ``df`` and return the function table, or ``None`` if it cannot be built.

    Problems are appended to ``problems``; nothing is raised here.

    Parameters
    ----------
    df
        The table, every cell as text (as :func:`placement.io.csvfile.read_text_csv` reads
        it, or :meth:`Table.from_frame` makes it from a DataFrame).
    file
        How problems name the table (a path, or e.g. ``"functions (DataFrame)"``).
    line_of
        Maps a 0-based row to the words locating it (``"line 7"``).
    criteria
        Criterion ids of the scoring model, in order (empty when there is none).
    model_defaults
        Criterion id -> the model's default ``(lo, hi)`` ramp, to check per-function overrides.
    tiers, resources
        Tier and resource ids of the instance, in order.
    problems, warnings
        Where problems and warnings are appended.
    need_scores
        Whether a score column is required for every criterion (not when values are given).

    Returns
    -------
    Functions or None
        ``None`` when any problem was found in the table.
    """
    n_before = len(problems)
    if not _header_ok(df, file, criteria if need_scores else (), problems):
        return None
    ids, ctx = _ids(df, file, line_of, problems)
    rows = Rows(df, file, line_of, ctx, problems)
    names, categories = _names_and_categories(rows, ids)
    scores, lo, hi = _scores_and_curves(rows, criteria, model_defaults, need_scores)
    costs = _costs(rows, resources, warnings)
    allowed = allowed_column(rows, tiers)
    pinned, pinned_else = pin_column(rows, tiers)
    current = tier_column(rows, "current", tiers)
    check_pins_allowed(rows, tiers, allowed, pinned, pinned_else)
    serves = serves_column(rows)
    metadata = _metadata(df, ids, file, criteria, resources, warnings, problems)
    if len(problems) > n_before:
        return None
    return Functions(
        ids=ids.astype(str),
        names=names.astype(str),
        categories=categories.astype(str),
        scores=scores,
        lo=lo,
        hi=hi,
        allowed=allowed,
        pinned=pinned,
        current=current,
        fixed=costs["fixed"],
        variable=costs["variable"],
        move=costs["move"],
        metadata=metadata,
        serves=serves,
        pinned_else=pinned_else,
    )


def _header_ok(
    df: Table, file: str, score_columns: Sequence[str], problems: list[Problem]
) -> bool:
    """Check the header and that there are rows; ``False`` when no row can be read.

    A missing ``name`` or score column is recorded but the rows are still checked, so one run
    reports every problem of the table.
    """
    cols = list(df.columns)
    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    for c in dup_cols:
        problems.append(Problem(file, "line 1 (header)", c, c, "each column name only once"))
    if dup_cols:
        return False
    for req in ("id", "name"):
        if req not in df.columns:
            problems.append(Problem(file, "line 1 (header)", req, None,
                                    f"a column named '{req}'", missing=True))
    for c in score_columns:
        if c not in df.columns:
            problems.append(Problem(file, "line 1 (header)", c, None,
                                    f"a score column '{c}' (a criterion of the scoring model)",
                                    missing=True))
    if "id" not in df.columns:
        return False
    if len(df) == 0:
        problems.append(Problem(file, None, None, None, "at least one function row",
                                missing=True))
        return False
    return True


def _ids(
    df: Table, file: str, line_of: LineOf, problems: list[Problem]
) -> tuple[np.ndarray, list[str | None]]:
    """Function ids (blank and repeated ones recorded), and each row's context words."""
    blank_id = _blank(df["id"])
    ids = df["id"]
    ctx: list[str | None] = [
        None if blank_id[i] else f"function '{ids[i]}'" for i in range(len(df))
    ]
    for i in np.nonzero(blank_id)[0].tolist():
        problems.append(Problem(file, line_of(i), "id", None, "a function id", missing=True))
    first: dict[str, int] = {}
    for i, fid in enumerate(ids.tolist()):
        if blank_id[i]:
            continue
        if fid in first:
            problems.append(Problem(file, line_of(i), "id", fid,
                                    f"a unique id ('{fid}' is already used on "
                                    f"{line_of(first[fid])})"))
        else:
            first[fid] = i
    return ids, ctx


def _names_and_categories(rows: Rows, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Names (a blank one is a problem; the id stands in) and categories (blank allowed)."""
    df = rows.df
    if "name" in df.columns:
        blank_name = _blank(df["name"])
        for i in np.nonzero(blank_name)[0].tolist():
            rows.problems.append(Problem(rows.file, rows.line_of(i), "name", None,
                                         "a function name", rows.ctx[i], missing=True))
        names = np.where(blank_name, ids, df["name"])
    else:
        names = ids.copy()
    categories = (
        df["category"]
        if "category" in df.columns
        else np.full(len(df), "", dtype=object)
    )
    return names, categories


def _scores_and_curves(
    rows: Rows,
    criteria: Sequence[str],
    model_defaults: dict[str, tuple[float, float]],
    need_scores: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores (F x C) and per-function ramp overrides ``lo``, ``hi`` (NaN: the model's)."""
    F, C = len(rows.df), len(criteria)
    scores = np.zeros((F, C))
    lo = np.full((F, C), np.nan)
    hi = np.full((F, C), np.nan)
    for j, c in enumerate(criteria):
        if need_scores and c in rows.df.columns:
            scores[:, j] = _numeric(rows, c, expected="a score from 0 to 5", lo=0.0, hi=5.0,
                                    blank_ok=False)
        for bound, arr in (("lo", lo), ("hi", hi)):
            col = f"{c}_{bound}"
            if col in rows.df.columns:
                arr[:, j] = _numeric(
                    rows, col,
                    expected=f"a population greater than 0 and at most {MAX_POPULATION:g} "
                             "(or blank for the model's default)",
                    lo=0.0, lo_strict=True, hi=MAX_POPULATION, blank_ok=True,
                )
        _check_ramp(rows, c, lo[:, j], hi[:, j], model_defaults.get(c, (np.nan, np.nan)))
    return scores, lo, hi


def _check_ramp(
    rows: Rows, c: str, lo: np.ndarray, hi: np.ndarray, default: tuple[float, float]
) -> None:
    """An overridden ramp must still rise: lo below hi, a blank end taking the model's."""
    eff_lo = np.where(np.isnan(lo), default[0], lo)
    eff_hi = np.where(np.isnan(hi), default[1], hi)
    overridden = np.isfinite(lo) | np.isfinite(hi)
    bad = overridden & np.isfinite(eff_lo) & np.isfinite(eff_hi) & (eff_lo >= eff_hi)
    for i in np.nonzero(bad)[0].tolist():
        rows.report(i, f"{c}_lo/{c}_hi", f"lo={eff_lo[i]:g}, hi={eff_hi[i]:g}",
                    "lo smaller than hi (the ramp runs from lo up to hi)")


def _costs(rows: Rows, resources: Sequence[str], warnings: list[str]) -> dict[str, np.ndarray]:
    """Cost kind -> (F x R) amounts; a resource with no cost column at all is warned about."""
    F, R = len(rows.df), len(resources)
    costs = {k: np.zeros((F, R)) for k in COST_KINDS}
    for r, rid in enumerate(resources):
        for kind in COST_KINDS:
            col = f"{rid}_{kind}"
            if col in rows.df.columns:
                costs[kind][:, r] = _numeric(
                    rows, col, expected=f"a cost from 0 to {MAX_AMOUNT:g} (blank = 0)",
                    lo=0.0, hi=MAX_AMOUNT, blank_ok=True, blank_value=0.0,
                )
        costs_given = any(f"{rid}_{k}" in rows.df.columns for k in COST_KINDS)
        if not costs_given:
            warnings.append(
                f"{rows.file}: no cost columns for resource '{rid}' "
                f"({rid}_fixed, {rid}_variable, {rid}_move): every function uses none of it"
            )
    return costs


def _metadata(
    df: Table,
    ids: np.ndarray,
    file: str,
    criteria: Sequence[str],
    resources: Sequence[str],
    warnings: list[str],
    problems: list[Problem],
) -> dict[str, np.ndarray] | None:
    """Every column the table does not define, by name (rows in function order); ``None``
    when there is none.

    A cost column of a resource instance.toml does not declare, holding any figure, is an
    error: the costs would be dropped silently (a misspelt column, or an instance.toml cut
    short before its ``[[resources]]``). A column named like a curve override of an unknown
    criterion is kept, with a warning, since it is most likely a typo.
    """
    known = set(RESERVED) | set(criteria)
    known |= {f"{c}_{b}" for c in criteria for b in ("lo", "hi")}
    known |= {f"{r}_{k}" for r in resources for k in COST_KINDS}
    extra = [c for c in df.columns if c not in known]
    for c in extra:
        if c.lower() in METADATA_HINT:
            continue
        stem = c.rsplit("_", 1)[0]
        if c.endswith(tuple(f"_{k}" for k in COST_KINDS)) and stem not in resources:
            if _blank(df[c]).all():
                warnings.append(f"{file}: column '{c}' is empty and '{stem}' is not a resource "
                                "of the instance; ignored")
                continue
            problems.append(Problem(
                file, "header", c, stem,
                f"a resource declared in instance.toml's [[resources]] (declared: "
                f"{', '.join(resources) or 'none'}); its costs would otherwise be dropped"))
        elif c.endswith(("_lo", "_hi")) and stem not in criteria:
            warnings.append(
                f"{file}: column '{c}' looks like a curve override but '{stem}' is not a "
                f"criterion of the scoring model; kept as metadata"
            )
    if not extra:
        return None
    return {c: df[c] for c in extra}
