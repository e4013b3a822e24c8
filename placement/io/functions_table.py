"""Validation of the function table (``functions.csv`` or a DataFrame) into :class:`Functions`.

Columns (see docs/instance-format.md):

- ``id`` (required, unique), ``name`` (required), ``category``
- one column per criterion of the scoring model, a score from 0 to 5 (required)
- ``<criterion>_lo`` / ``<criterion>_hi``: per-function curve overrides (population; blank =
  the model's default)
- ``<resource>_fixed``, ``<resource>_variable``, ``<resource>_move``: cost per unit of the tier,
  cost of the workload, and one-off cost of leaving the current tier (blank = 0)
- ``allowed`` (tier ids separated by ``;``, blank = all), ``pinned``, ``current`` (a tier id)
- anything else (``source``, ``rationale``, ...) is kept as metadata.

Every problem is collected (file, line, column, value, what was expected); nothing stops at the
first one. Checks are whole-column operations, so 10^5-row tables validate quickly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from placement.errors import Problem
from placement.model import NO_TIER, Functions

__all__ = ["parse_functions", "COST_KINDS", "RESERVED"]

COST_KINDS = ("fixed", "variable", "move")
RESERVED = ("id", "name", "category", "allowed", "pinned", "current")
METADATA_HINT = ("source", "rationale", "notes", "description")

LineOf = Callable[[int], str]


def _blank(s: pd.Series) -> np.ndarray:
    return (s.isna() | (s.astype(str).str.strip() == "")).to_numpy()


def _numeric(
    df: pd.DataFrame,
    col: str,
    *,
    file: str,
    line_of: LineOf,
    ctx: Sequence[str | None],
    problems: list[Problem],
    expected: str,
    lo: float | None = None,
    hi: float | None = None,
    lo_strict: bool = False,
    blank_ok: bool,
    blank_value: float = np.nan,
) -> np.ndarray:
    """Parse a column as float; record a problem for every cell that is not acceptable."""
    raw = df[col]
    blank = _blank(raw)
    vals = pd.to_numeric(raw.where(~blank, None), errors="coerce").to_numpy(dtype=float)
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
        problems.append(
            Problem(file, line_of(i), col, None if missing else raw.iloc[i], expected,
                    ctx[i], missing=missing)
        )
    vals = np.where(blank, blank_value, vals)
    return np.where(bad, np.nan if blank_ok else 0.0, vals)


def parse_functions(
    df: pd.DataFrame,
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
    """
    df = df.copy()
    df.columns = [str(c).strip() for c in df.columns]
    n_before = len(problems)
    cols = list(df.columns)

    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    for c in dup_cols:
        problems.append(Problem(file, "line 1 (header)", c, c, "each column name only once"))
    if dup_cols:
        return None

    for req in ("id", "name"):
        if req not in df.columns:
            problems.append(
                Problem(file, "line 1 (header)", req, None, f"a column named '{req}'",
                        missing=True)
            )
    missing_crit = [c for c in criteria if c not in df.columns] if need_scores else []
    for c in missing_crit:
        problems.append(
            Problem(
                file,
                "line 1 (header)",
                c,
                None,
                f"a score column '{c}' (a criterion of the scoring model)",
                missing=True,
            )
        )
    if "id" not in df.columns:
        return None
    F = len(df)
    if F == 0:
        problems.append(Problem(file, None, None, None, "at least one function row",
                                missing=True))
        return None

    # -- ids and names ----------------------------------------------------------------------
    ids_raw = df["id"].astype(str).str.strip()
    blank_id = _blank(df["id"])
    ids = ids_raw.to_numpy(dtype=object)
    ctx: list[str | None] = [
        None if blank_id[i] else f"function '{ids[i]}'" for i in range(F)
    ]
    for i in np.nonzero(blank_id)[0].tolist():
        problems.append(Problem(file, line_of(i), "id", None, "a function id", missing=True))
    first: dict[str, int] = {}
    for i, fid in enumerate(ids.tolist()):
        if blank_id[i]:
            continue
        if fid in first:
            problems.append(
                Problem(
                    file,
                    line_of(i),
                    "id",
                    fid,
                    f"a unique id ('{fid}' is already used on {line_of(first[fid])})",
                )
            )
        else:
            first[fid] = i
    if "name" in df.columns:
        blank_name = _blank(df["name"])
        for i in np.nonzero(blank_name)[0].tolist():
            problems.append(Problem(file, line_of(i), "name", None, "a function name",
                                    ctx[i], missing=True))
        names = np.where(blank_name, ids, df["name"].astype(str).str.strip().to_numpy(object))
    else:
        names = ids.copy()
    categories = (
        df["category"].fillna("").astype(str).str.strip().to_numpy(dtype=object)
        if "category" in df.columns
        else np.full(F, "", dtype=object)
    )

    # -- scores and curve overrides -----------------------------------------------------------
    C = len(criteria)
    scores = np.zeros((F, C))
    lo = np.full((F, C), np.nan)
    hi = np.full((F, C), np.nan)
    for j, c in enumerate(criteria):
        if need_scores and c in df.columns:
            scores[:, j] = _numeric(
                df, c, file=file, line_of=line_of, ctx=ctx, problems=problems,
                expected="a score from 0 to 5", lo=0.0, hi=5.0, blank_ok=False,
            )
        for bound, arr in (("lo", lo), ("hi", hi)):
            col = f"{c}_{bound}"
            if col in df.columns:
                arr[:, j] = _numeric(
                    df, col, file=file, line_of=line_of, ctx=ctx, problems=problems,
                    expected="a population greater than 0 (or blank for the model's default)",
                    lo=0.0, lo_strict=True, blank_ok=True,
                )
        d_lo, d_hi = model_defaults.get(c, (np.nan, np.nan))
        eff_lo = np.where(np.isnan(lo[:, j]), d_lo, lo[:, j])
        eff_hi = np.where(np.isnan(hi[:, j]), d_hi, hi[:, j])
        overridden = np.isfinite(lo[:, j]) | np.isfinite(hi[:, j])
        bad = overridden & np.isfinite(eff_lo) & np.isfinite(eff_hi) & (eff_lo >= eff_hi)
        for i in np.nonzero(bad)[0].tolist():
            problems.append(
                Problem(
                    file,
                    line_of(i),
                    f"{c}_lo/{c}_hi",
                    f"lo={eff_lo[i]:g}, hi={eff_hi[i]:g}",
                    "lo smaller than hi (the ramp runs from lo up to hi)",
                    ctx[i],
                )
            )

    # -- costs ----------------------------------------------------------------------------
    R = len(resources)
    costs = {k: np.zeros((F, R)) for k in COST_KINDS}
    for r, rid in enumerate(resources):
        for kind in COST_KINDS:
            col = f"{rid}_{kind}"
            if col in df.columns:
                costs[kind][:, r] = _numeric(
                    df, col, file=file, line_of=line_of, ctx=ctx, problems=problems,
                    expected="a cost of 0 or more (blank = 0)", lo=0.0, blank_ok=True,
                    blank_value=0.0,
                )
        costs_given = any(f"{rid}_{k}" in df.columns for k in COST_KINDS)
        if not costs_given:
            warnings.append(
                f"{file}: no cost columns for resource '{rid}' "
                f"({rid}_fixed, {rid}_variable, {rid}_move): every function uses none of it"
            )

    # -- tiers: allowed, pinned, current -------------------------------------------------------
    T = len(tiers)
    tix = {t: i for i, t in enumerate(tiers)}
    allowed = np.ones((F, T), dtype=bool)
    if "allowed" in df.columns:
        allowed_col = df["allowed"].fillna("").astype(str).str.strip()
        for i, cell in enumerate(allowed_col.tolist()):
            if cell == "" or cell in ("*", "all"):
                continue
            parts = [p.strip() for p in cell.replace(",", ";").split(";") if p.strip()]
            row = np.zeros(T, dtype=bool)
            for p in parts:
                if p in tix:
                    row[tix[p]] = True
                else:
                    problems.append(
                        Problem(file, line_of(i), "allowed", p,
                                f"a tier id ({', '.join(tiers)}), several separated by ';'",
                                ctx[i])
                    )
            if row.any():
                allowed[i] = row
            elif not parts:
                problems.append(Problem(file, line_of(i), "allowed", cell,
                                        "tier ids separated by ';'", ctx[i]))
    tier_cols: dict[str, np.ndarray] = {}
    for name in ("pinned", "current"):
        out = np.full(F, NO_TIER, dtype=np.int64)
        if name in df.columns:
            tier_col = df[name].fillna("").astype(str).str.strip()
            for i, cell in enumerate(tier_col.tolist()):
                if cell == "":
                    continue
                if cell in tix:
                    out[i] = tix[cell]
                else:
                    problems.append(
                        Problem(file, line_of(i), name, cell,
                                f"a tier id ({', '.join(tiers)}) or blank", ctx[i])
                    )
        tier_cols[name] = out
    pinned = tier_cols["pinned"]
    has_pin = np.nonzero(pinned != NO_TIER)[0]
    bad_pin = has_pin[~allowed[has_pin, pinned[has_pin]]]
    for i in bad_pin.tolist():
        allowed_here = ";".join(t for t, a in zip(tiers, allowed[i], strict=True) if a)
        problems.append(
            Problem(
                file,
                line_of(i),
                "pinned",
                tiers[pinned[i]],
                f"one of the function's allowed tiers ({allowed_here})",
                ctx[i],
            )
        )

    # -- metadata ---------------------------------------------------------------------------
    known = set(RESERVED) | set(criteria)
    known |= {f"{c}_{b}" for c in criteria for b in ("lo", "hi")}
    known |= {f"{r}_{k}" for r in resources for k in COST_KINDS}
    extra = [c for c in df.columns if c not in known]
    for c in extra:
        if c.lower() in METADATA_HINT:
            continue
        stem = c.rsplit("_", 1)[0]
        if c.endswith(tuple(f"_{k}" for k in COST_KINDS)) and stem not in resources:
            warnings.append(
                f"{file}: column '{c}' looks like a cost column but '{stem}' is not a resource "
                f"of the instance ({', '.join(resources) or 'none'}); kept as metadata"
            )
        elif c.endswith(("_lo", "_hi")) and stem not in criteria:
            warnings.append(
                f"{file}: column '{c}' looks like a curve override but '{stem}' is not a "
                f"criterion of the scoring model; kept as metadata"
            )
    metadata = df[extra].copy() if extra else None
    if metadata is not None:
        metadata.index = pd.Index(ids, name="function")

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
        current=tier_cols["current"],
        fixed=costs["fixed"],
        variable=costs["variable"],
        move=costs["move"],
        metadata=metadata,
    )
