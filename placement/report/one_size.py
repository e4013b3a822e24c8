"""The one-size baselines as the report shows them (docs/model.md section 5): one row per
tier, and, when pins or allowed tiers keep functions off a tier, the baselines with those
functions where they must be, each named with why (:mod:`placement.solution.one_size_free`)."""

from __future__ import annotations

from typing import Any

from placement.report.blocks import number, percent
from placement.solution.one_size_free import kept_groups

__all__ = ["pins_matter", "one_size_rows", "free_sentence"]


def pins_matter(b: dict[str, Any]) -> bool:
    """Whether some function could not move to some tier (else the two baselines agree)."""
    return any(row["kept"] for row in (b.get("one_size_free") or {}).values())


def _breaks(row: dict[str, Any]) -> str:
    breaks = row["breaks"]
    return "; ".join(breaks[:2]) + (f" (+{len(breaks) - 2} more)" if len(breaks) > 2 else "")


def one_size_rows(b: dict[str, Any], quantity: str, n_functions: int,
                  resources: bool = True) -> dict[str, dict[str, Any]]:
    """Rows ``all at <tier>`` for a table: value, feasibility, resources, what each breaks and,
    when pins matter, how many functions are at the tier and which are not, and why."""
    free = pins_matter(b)
    rows: dict[str, dict[str, Any]] = {}
    source = b.get("one_size_free" if free else "one_size") or {}
    for t, row in source.items():
        d: dict[str, Any] = {quantity: row["value"], "feasible": bool(row["feasible"])}
        if resources:
            d.update(row["resources"])
        if free:
            d["at the tier"] = f"{row['at_tier']} of {n_functions}"
            d["not at the tier (why, where)"] = "; ".join(kept_groups(row["kept"]))
        d["what it breaks"] = _breaks(row)
        rows[f"all{' that may move' if free else ''} at {t}"] = d
    return rows


def free_sentence(b: dict[str, Any]) -> str:
    """The best one size with pins kept and its price, when pins matter ("" otherwise)."""
    if not pins_matter(b):
        return ""
    best = b.get("best_one_size_free")
    text = ("With every function that may move at one tier and the others where they must be "
            "(pinned ones at their pin, the rest at the nearest tier that may hold them), ")
    if best is None:
        return text + "no tier gives a feasible placement."
    return (text + f"the best is {best['tier']} at {number(best['value'])}: price of "
            f"uniformity {percent(b.get('price_of_uniformity_free'))}.")
