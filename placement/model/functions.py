"""The function table (docs/model.md section 1, "Function"), held column-wise.

The table is numpy arrays rather than one Python object per function, because instances reach
10^5-10^6 variables and every model build must stay vectorised.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from placement.model.geography import Areas
from placement.model.tiers import NO_TIER

if TYPE_CHECKING:
    import pandas as pd

    from placement.model.instance import Instance

__all__ = ["Functions", "functions_to_frame"]


@dataclass(frozen=True, eq=False)
class Functions:
    """The function table, column-wise.

    Shapes: F functions, C criteria (of the instance's scoring model), T tiers, R resources.
    Tier references are integer indices into ``Instance.tiers`` (``NO_TIER`` = none).
    """

    ids: np.ndarray  # (F,) str
    names: np.ndarray  # (F,) str
    categories: np.ndarray  # (F,) str
    scores: np.ndarray  # (F, C) importance 0..5
    lo: np.ndarray  # (F, C) curve override, NaN = model default
    hi: np.ndarray  # (F, C) curve override, NaN = model default
    allowed: np.ndarray  # (F, T) bool
    pinned: np.ndarray  # (F,) int
    current: np.ndarray  # (F,) int
    fixed: np.ndarray  # (F, R) cost per unit of the tier (a minimum team in every unit)
    variable: np.ndarray  # (F, R) cost of the workload, independent of the tier
    move: np.ndarray  # (F, R) one-off cost when the function leaves its current tier
    metadata: Mapping[str, np.ndarray] | None = None  # extra columns (source, ...) by name
    serves: np.ndarray | None = None  # (F,) indicator id of the group served; "" = everyone
    pinned_else: np.ndarray | None = None  # (F,) int: the pin's tier where `pinned` has no unit

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @cached_property
    def index(self) -> dict[str, int]:
        return {fid: i for i, fid in enumerate(self.ids.tolist())}

    def serves_index(self, areas: Areas) -> np.ndarray:
        """(F,) the column of ``areas.values`` holding each function's served share, -1 for
        everyone."""
        if self.serves is None:
            return np.full(len(self), -1, dtype=np.int64)
        ids = {ind.id: i for i, ind in enumerate(areas.indicators)}
        return np.array([ids.get(str(s), -1) if s else -1 for s in self.serves.tolist()],
                        dtype=np.int64)

    def replace(self, **changes: object) -> Functions:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]



def functions_to_frame(inst: Instance) -> pd.DataFrame:
    """The function table with scores, tiers and costs as readable columns."""
    fn = inst.functions
    tids = np.array(list(inst.tier_ids) + [""], dtype=object)  # index -1 -> ""
    data: dict[str, object] = {
        "name": fn.names,
        "category": fn.categories,
    }
    if inst.model is not None:
        for j, c in enumerate(inst.model.criterion_ids):
            data[c] = fn.scores[:, j]
    data["allowed"] = [
        ";".join(t for t, a in zip(inst.tier_ids, row, strict=True) if a) for row in fn.allowed
    ]
    data["pinned"] = tids[np.where(fn.pinned == NO_TIER, -1, fn.pinned)]
    data["current"] = tids[np.where(fn.current == NO_TIER, -1, fn.current)]
    for r, res in enumerate(inst.resources):
        data[f"{res.id}_fixed"] = fn.fixed[:, r]
        data[f"{res.id}_variable"] = fn.variable[:, r]
        data[f"{res.id}_move"] = fn.move[:, r]
    for c, cells in (fn.metadata or {}).items():
        data[c] = cells
    import pandas as pd  # lazy: loading and solving never need pandas

    return pd.DataFrame(data, index=pd.Index(fn.ids, name="function"))
