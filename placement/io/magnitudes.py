"""Derived numbers in range: each figure may lie within its limit and still multiply into a
coefficient no solver takes (a fixed cost of 10^12 at a tier of 10^7 bodies is 10^19, beyond
what HiGHS accepts). Checked after loading, before any model is built, and located at the
function's line and the cost column that drives it (limits: placement.model.limits)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from placement.errors import Problem
from placement.model import Functions, Tier
from placement.model.limits import MAX_COEFFICIENT

__all__ = ["coefficient_problems"]

_MAX_SHOWN = 10


def coefficient_problems(functions: Functions, tiers: Sequence[Tier],
                         resources: Sequence[str], file: str,
                         lines: Sequence[str]) -> list[Problem]:
    """A problem for every function and resource whose cost at the allowed tier with the most
    bodies (``fixed x units + variable``) exceeds :data:`MAX_COEFFICIENT`."""
    if not tiers or not resources or functions.fixed.size == 0:
        return []
    units_t = np.array([float(t.units) for t in tiers])
    units_f = np.where(functions.allowed, units_t[None, :], 0.0).max(axis=1)  # (F,)
    worst = functions.fixed * units_f[:, None] + functions.variable  # (F, R)
    bad_f, bad_r = np.nonzero(worst > MAX_COEFFICIENT)
    out: list[Problem] = []
    for f, r in zip(bad_f[:_MAX_SHOWN].tolist(), bad_r[:_MAX_SHOWN].tolist(), strict=True):
        fixed = float(functions.fixed[f, r])
        out.append(Problem(
            file, lines[f] if f < len(lines) else None, f"{resources[r]}_fixed", fixed,
            f"a cost whose total at a tier of {units_f[f]:,.0f} bodies (fixed x units + variable "
            f"= {worst[f, r]:.3g}) is at most {MAX_COEFFICIENT:g}",
            f"function '{functions.ids[f]}'"))
    if bad_f.size > _MAX_SHOWN:
        out.append(Problem(file, None, "costs", None,
                           f"costs in range ({bad_f.size - _MAX_SHOWN} more like these)"))
    return out
