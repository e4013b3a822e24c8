"""The tier columns of the function table: ``allowed``, ``pinned`` (``tier`` or
``tier|fallback``), ``current``, and ``serves`` (docs/instance-format.md)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from placement.io.function_rows import Rows
from placement.model import NO_TIER

__all__ = ["allowed_column", "tier_column", "pin_column", "check_pins_allowed",
           "serves_column"]


def allowed_column(rows: Rows, tiers: Sequence[str]) -> np.ndarray:
    """(F x T) allowed tiers from the ``allowed`` column (blank, ``*`` or ``all``: every tier)."""
    F, T = len(rows.df), len(tiers)
    tix = {t: i for i, t in enumerate(tiers)}
    allowed = np.ones((F, T), dtype=bool)
    if "allowed" not in rows.df.columns:
        return allowed
    allowed_col = rows.df["allowed"]
    for i, cell in enumerate(allowed_col.tolist()):
        if cell == "" or cell in ("*", "all"):
            continue
        parts = [p.strip() for p in cell.replace(",", ";").split(";") if p.strip()]
        row = np.zeros(T, dtype=bool)
        for p in parts:
            if p in tix:
                row[tix[p]] = True
            else:
                rows.report(i, "allowed", p,
                            f"a tier id ({', '.join(tiers)}), several separated by ';'")
        if row.any():
            allowed[i] = row
        elif not parts:
            rows.report(i, "allowed", cell, "tier ids separated by ';'")
    return allowed


def tier_column(rows: Rows, name: str, tiers: Sequence[str]) -> np.ndarray:
    """Tier index per function from column ``name`` (``pinned``, ``current``); blank: NO_TIER."""
    tix = {t: i for i, t in enumerate(tiers)}
    out = np.full(len(rows.df), NO_TIER, dtype=np.int64)
    if name not in rows.df.columns:
        return out
    tier_col = rows.df[name]
    for i, cell in enumerate(tier_col.tolist()):
        if cell == "":
            continue
        if cell in tix:
            out[i] = tix[cell]
        else:
            rows.report(i, name, cell, f"a tier id ({', '.join(tiers)}) or blank")
    return out


def check_pins_allowed(
    rows: Rows, tiers: Sequence[str], allowed: np.ndarray, pinned: np.ndarray,
    pinned_else: np.ndarray,
) -> None:
    """A function can only be pinned to one of its own allowed tiers (its fallback too)."""
    for pins in (pinned, pinned_else):
        has_pin = np.nonzero(pins != NO_TIER)[0]
        bad_pin = has_pin[~allowed[has_pin, pins[has_pin]]]
        for i in bad_pin.tolist():
            allowed_here = ";".join(t for t, a in zip(tiers, allowed[i], strict=True) if a)
            rows.report(i, "pinned", tiers[pins[i]],
                        f"one of the function's allowed tiers ({allowed_here})")


def pin_column(rows: Rows, tiers: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``pinned`` as (pinned tier, fallback tier) per function: ``tier`` or ``tier|fallback``
    (the fallback serves the areas where the tier has no unit; NO_TIER when none)."""
    tix = {t: i for i, t in enumerate(tiers)}
    F = len(rows.df)
    first = np.full(F, NO_TIER, dtype=np.int64)
    rest = np.full(F, NO_TIER, dtype=np.int64)
    if "pinned" not in rows.df.columns:
        return first, rest
    col = rows.df["pinned"]
    for i, cell in enumerate(col.tolist()):  # per pinned function: a few cells
        if cell == "":
            continue
        a, bar, b = cell.partition("|")
        a, b = a.strip(), b.strip()
        if a in tix and (not bar or (b in tix and b != a)):
            first[i] = tix[a]
            rest[i] = tix[b] if bar else NO_TIER
        else:
            rows.report(i, "pinned", cell, f"a tier id ({', '.join(tiers)}), 'tier|fallback' "
                        "with two different tier ids, or blank")
    return first, rest


def serves_column(rows: Rows) -> np.ndarray | None:
    """``serves``: the indicator id naming the group each function serves ("" = everyone);
    checked against the areas' indicators once they are read."""
    if "serves" not in rows.df.columns:
        return None
    out: np.ndarray = rows.df["serves"].copy()
    return out


