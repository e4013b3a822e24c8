"""A per-area placement read as tables (docs/model.md section 9): for every function and area,
the unit and tier serving it; for every unit, the functions it holds and what it uses; for every
function, the share of the people served at each tier; and how far it is from today's.

Every table is whole-array pandas over the (function x area) placement; nothing loops over
areas or units.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from placement.model import NO_TIER, Instance

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["units_used", "by_area", "by_unit", "tier_shares", "function_summary",
           "resource_use", "distance", "by_area_codes", "by_area_columns", "by_unit_columns",
           "tier_share_matrix", "summary_columns"]


def units_used(inst: Instance, tiers: np.ndarray) -> np.ndarray:
    """(F, U) 1 where unit u does function f (for all of its areas)."""
    layout = inst.units
    F, A = tiers.shape
    Y = np.zeros((F, layout.n_units))
    f, a = np.nonzero(tiers >= 0)
    u = layout.unit_of[a, tiers[f, a]]
    ok = u >= 0
    Y[f[ok], u[ok]] = 1.0
    return Y


def _tier_text(inst: Instance, tiers: np.ndarray) -> np.ndarray:
    tids = np.array([*inst.tier_ids, ""], dtype=object)
    return tids[np.where(tiers == NO_TIER, -1, tiers)]


def by_area(inst: Instance, tiers: np.ndarray) -> pd.DataFrame:
    """One row per function and area: the area's name and people, the tier and unit serving
    the function there, today's tier, and whether it moved."""
    import pandas as pd

    cols = by_area_columns(inst, tiers)
    index = pd.MultiIndex.from_arrays([cols.pop("function"), cols.pop("area")],
                                      names=["function", "area"])
    return pd.DataFrame(cols, index=index)


def by_area_codes(inst: Instance, tiers: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """:func:`by_area`'s index, tier and unit as (codes, table): row ``i``'s value is
    ``table[codes[i]]``, so each distinct value can be handled once (a result at LSOA
    resolution has two million rows and some 34,000 distinct units)."""
    layout = inst.units
    F, A = tiers.shape
    flat = tiers.ravel()
    area = np.tile(np.arange(A), F)
    return {"function": (np.repeat(np.arange(F), A), np.asarray(inst.functions.ids)),
            "area": (area, np.asarray(layout.area_ids)),
            "tier": (np.where(flat == NO_TIER, len(inst.tier_ids), flat),
                     np.array([*inst.tier_ids, ""], dtype=object)),
            "unit": (layout.unit_of[area, flat], np.asarray(layout.unit_code))}


def by_area_columns(inst: Instance, tiers: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of :func:`by_area`, its index (``function``, ``area``) first."""
    layout = inst.units
    F, A = tiers.shape
    codes = by_area_codes(inst, tiers)
    cols = {k: table[c] for k, (c, table) in codes.items()}
    cur = inst.current_by_area.ravel()
    return {"function": cols["function"], "area": cols["area"],
            "area_name": np.tile(layout.area_names, F),
            "population": np.tile(layout.area_population, F),
            "tier": cols["tier"], "unit": cols["unit"],
            "unit_name": layout.unit_name[codes["unit"][0]], "current": _tier_text(inst, cur),
            "moved": (cur != NO_TIER) & (cur != tiers.ravel())}


def resource_use(inst: Instance, tiers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(F, U, R) running use of each function at each unit doing it, and (F, R) one-off move
    costs (the people whose function leaves its current tier, weighted by population)."""
    Y = units_used(inst, tiers)
    run = inst.cost_tensor * Y[:, :, None]
    w = inst.units.area_population / inst.units.area_population.sum()
    cur = inst.current_by_area
    moved = ((cur != NO_TIER) & (cur != tiers)) * w[None, :]
    return run, inst.functions.move * moved.sum(axis=1)[:, None]


def by_unit(inst: Instance, tiers: np.ndarray) -> pd.DataFrame:
    """One row per unit (body): its tier, name, bodies it stands for, people, how many
    functions it holds and which, and its use of every resource."""
    import pandas as pd

    cols = by_unit_columns(inst, tiers)
    index = pd.Index(cols.pop("unit"), name="unit")
    return pd.DataFrame(cols, index=index)


def by_unit_columns(inst: Instance, tiers: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of :func:`by_unit`, its index (``unit``) first."""
    layout = inst.units
    Y = units_used(inst, tiers)
    run, _ = resource_use(inst, tiers)
    f, u = np.nonzero(Y)
    order = np.argsort(u, kind="stable")  # by unit, functions in table order within each
    names = inst.functions.ids[f[order]].tolist()
    starts = np.searchsorted(u[order], np.arange(layout.n_units + 1))
    held = np.array([";".join(names[starts[k]:starts[k + 1]]) for k in range(layout.n_units)],
                    dtype=object)
    cols: dict[str, np.ndarray] = {
        "unit": layout.unit_code,
        "tier": np.array(inst.tier_ids, dtype=object)[layout.unit_tier],
        "name": layout.unit_name, "bodies": layout.unit_bodies,
        "population": layout.unit_people, "functions": Y.sum(axis=0).astype(int),
        "holds": held}
    for r, res in enumerate(inst.resources):
        cols[res.id] = run[:, :, r].sum(axis=0)
    return cols


def tier_shares(inst: Instance, tiers: np.ndarray) -> pd.DataFrame:
    """(functions x tiers) the share of the people each function is done for at each tier."""
    import pandas as pd

    return pd.DataFrame(tier_share_matrix(inst, tiers),
                        index=pd.Index(inst.functions.ids, name="function"),
                        columns=list(inst.tier_ids))


def tier_share_matrix(inst: Instance, tiers: np.ndarray) -> np.ndarray:
    """The array of :func:`tier_shares`."""
    layout = inst.units
    w = layout.area_population / layout.area_population.sum()
    F, T = inst.n_functions, inst.n_tiers
    ok = (tiers >= 0) & (tiers < T)
    cell = (np.arange(F)[:, None] * T + tiers)[ok]  # one bincount, not an (F, A, T) one-hot
    weight = np.broadcast_to(w[None, :], tiers.shape)[ok]
    out: np.ndarray = np.bincount(cell, weights=weight, minlength=F * T).reshape(F, T)
    return out


def _share(x: float) -> str:
    """A share of people as a whole percentage; a share that rounds to 0 or 100 but is not
    says so ("<1%", ">99%")."""
    if 0 < x < 0.005:
        return "<1%"
    if 0.995 <= x < 1 - 1e-12:
        return ">99%"
    return f"{x:.0%}"


def function_summary(inst: Instance, tiers: np.ndarray) -> pd.DataFrame:
    """One row per function: the tier serving most people and its share, every tier used with
    its share (``"ics 62%, combined_authority 33%, ..."``), whether the structure is the same
    everywhere, and the share of the people whose function moves from today's tier."""
    import pandas as pd

    return pd.DataFrame(summary_columns(inst, tiers),
                        index=pd.Index(inst.functions.ids, name="function"))


def summary_columns(inst: Instance, tiers: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of :func:`function_summary`."""
    S = tier_share_matrix(inst, tiers)
    main = S.argmax(axis=1)
    cols = np.array(inst.tier_ids, dtype=object)
    order = np.argsort(-S, axis=1, kind="stable")
    text = np.array([", ".join(f"{cols[t]} {_share(S[f, t])}" for t in order[f] if S[f, t] > 0)
                     for f in range(S.shape[0])], dtype=object)
    w = inst.units.area_population / inst.units.area_population.sum()
    cur = inst.current_by_area
    moved = (((cur != NO_TIER) & (cur != tiers)) * w[None, :]).sum(axis=1)
    return {"tier": cols[main], "tier_share": S.max(axis=1), "tiers": text,
            "uniform": (S.max(axis=1) > 1 - 1e-12), "moved_share": moved}


def distance(inst: Instance, tiers: np.ndarray, other: np.ndarray) -> dict[str, float]:
    """How far two placements are apart: functions placed differently somewhere, and people x
    functions placed differently (each person counted once per function that moves)."""
    p = inst.units.area_population
    differ = (other != NO_TIER) & (other != tiers)
    return {"functions": int(differ.any(axis=1).sum()),
            "person_functions": float((differ * p[None, :]).sum()),
            "function_share": float((differ * (p / p.sum())[None, :]).sum())}
