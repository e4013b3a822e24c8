"""The uniform-structure baseline (docs/model.md section 9): the best placement in which every
area has the same structure, and the price of imposing it.

Adding ``y[f, u] = y[f, u']`` for all units u, u' of each tier to the per-area formulation
leaves one choice per function and tier, the same everywhere: the best "one model for all of
England". The price of uniform structure is ``(v*_area - v*_uniform) / |v*_area|`` (the loss,
whatever the sense); with the price of one scale (section 5) it completes the two one-size
answers the seeds reject. A tier without a unit in every area cannot then serve anywhere (a
structure that uses it would leave some areas unserved).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from placement.milp import CanonicalForm
from placement.model import Instance
from placement.solution import area_result
from placement.solution.checker import check
from placement.solvers.base import Backend, SolveOptions, Status
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["uniform_structure", "same_structure_rows"]


def same_structure_rows(form: CanonicalForm) -> sp.csr_matrix:
    """Rows ``y[f, u] - y[f, u0(t)] = 0`` for every function and every unit u of a tier t
    other than the tier's first unit u0(t)."""
    layout = form.layout
    assert layout is not None
    F, U = form.n_functions, layout.n_units
    first = layout.start[layout.unit_tier]  # (U,) the first unit of each unit's tier
    others = np.nonzero(np.arange(U) != first)[0]
    k = others.shape[0]
    f = np.repeat(np.arange(F), k)
    u = np.tile(others, F)
    u0 = first[u]
    rows = np.arange(F * k)
    return sp.csr_matrix((np.concatenate([np.ones(F * k), -np.ones(F * k)]),
                          (np.concatenate([rows, rows]), np.concatenate([f * U + u,
                                                                         f * U + u0]))),
                         shape=(F * k, form.n_cols))


def uniform_structure(inst: Instance, form: CanonicalForm, backend: Backend,
                      options: SolveOptions, optimum: float | None) -> dict[str, Any]:
    """Solve the per-area form with every area's structure the same; its value, placement
    (one tier per function), whether the checker accepts it, and the price."""
    rows = same_structure_rows(form)
    same = form.with_rows(rows, 0.0, 0.0, "same_structure",
                          [f"same_structure[{i}]" for i in range(rows.shape[0])],
                          "every area has the same structure")
    layout = form.layout
    assert layout is not None
    partial = np.asarray(~layout.covers().all(axis=0))  # (T,) tiers missing in some area
    up = same.col_upper.copy()
    up[: form.n_x] = np.where(np.tile(partial[layout.unit_tier], form.n_functions), 0.0,
                              up[: form.n_x])
    same = same.with_col_bounds(same.col_lower, up)
    raw = backend.solve(same, options)
    out: dict[str, Any] = {"status": str(raw.status), "value": None, "tiers": None,
                           "feasible": False, "price_of_uniform_structure": None,
                           "note": ""}
    if raw.x is None or raw.objective is None:
        out["note"] = ("no placement has the same structure in every area"
                       if raw.status is Status.INFEASIBLE else raw.message)
        return out
    tiers = form.placement_of(raw.x)
    rep = check(inst, tiers, raw.objective)
    main = area_result.summary_columns(inst, tiers)["tier"].tolist()
    out.update(value=rep.objective, feasible=rep.ok,
               tiers={str(f): str(t) for f, t in zip(inst.functions.ids.tolist(), main,
                                                        strict=True)},
               checks=rep.to_dict())
    if optimum is not None and rep.objective is not None and abs(optimum) > 1e-12:
        out["price_of_uniform_structure"] = inst.sense.loss(optimum, rep.objective) / abs(
            optimum)
    elif optimum is not None:
        out["note"] = "the optimum is 0, so a relative price is undefined"
    return out
