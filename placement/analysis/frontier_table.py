"""Every placement worth having at some budget of one resource, tabulated once: the frontier's
value queries answered without a solve where the model allows.

Without links and in one area, each function's tier is chosen on its own; only the model's
rows (the budget of the frontier's resource, other budgets and caps) tie them together. Leave
every row but the budget out and what remains has a *Pareto table*: the placements no other
beats in both value and use, found function by function (a placement of the first k functions
that another beats in both is no part of any best placement of all of them): one whole-array
merge per function.

The best placement within a budget ``B`` is then the table's last entry with use at most
``B``: the most valuable such placement, and the least use of that value. It is the value
query's answer whenever it keeps to the rows left out (a cap on a tier, another budget): the
answer to the query without those rows, it keeps to them, so it is the answer with them too.
Where it breaks one, :class:`~placement.analysis.frontier_search.BudgetSearch` asks the solver
as before. The table is built only while it stays small (:data:`MAX_ENTRIES`,
:data:`MAX_FUNCTIONS`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ParetoTable", "MAX_ENTRIES", "MAX_FUNCTIONS"]

#: The table is given up (the solver answers every query) once a stage holds more entries.
MAX_ENTRIES = 200_000
#: Nor is it built for more functions: its merges follow one another, one per function.
MAX_FUNCTIONS = 2_000


class ParetoTable:
    """The Pareto table of ``value`` (F, T; maximised) against ``use`` (F, T), over the tiers
    ``allowed`` (F, T) each function may take. :meth:`build` returns None when the table
    outgrows :data:`MAX_ENTRIES` or some function has no tier allowed."""

    def __init__(self, use: np.ndarray, value: np.ndarray, parents: list[np.ndarray],
                 tiers: list[np.ndarray]) -> None:
        self.use, self.value = use, value  # the whole placements: use ascending
        self._parents, self._tiers = parents, tiers

    @classmethod
    def build(cls, value: np.ndarray, use: np.ndarray,
              allowed: np.ndarray) -> ParetoTable | None:
        F = value.shape[0]
        if F > MAX_FUNCTIONS:
            return None
        U, V = np.zeros(1), np.zeros(1)
        parents: list[np.ndarray] = []
        tiers: list[np.ndarray] = []
        for f in range(F):  # one whole-array merge per function (tens of them)
            t = np.nonzero(allowed[f])[0]
            if t.shape[0] == 0:
                return None
            u = (U[:, None] + use[f, t][None, :]).ravel()
            v = (V[:, None] + value[f, t][None, :]).ravel()
            order = np.lexsort((-v, u))  # use ascending, the better value first
            u, v = u[order], v[order]
            best_before = np.maximum.accumulate(np.concatenate([[-np.inf], v[:-1]]))
            keep = v > best_before  # nothing lighter or as light is worth as much
            if int(keep.sum()) > MAX_ENTRIES:
                return None
            pick = order[keep]
            parents.append(pick // t.shape[0])
            tiers.append(t[pick % t.shape[0]])
            U, V = u[keep], v[keep]
        return cls(U, V, parents, tiers)

    def __len__(self) -> int:
        return int(self.use.shape[0])

    def best(self, budget: float) -> np.ndarray | None:
        """The most valuable placement with use at most ``budget`` (of those, the least use),
        as a tier per function; None when none fits."""
        i = int(np.searchsorted(self.use, budget, side="right")) - 1
        if i < 0:
            return None
        out = np.empty(len(self._tiers), dtype=np.int64)
        for f in range(len(self._tiers) - 1, -1, -1):  # back through the merges
            out[f] = self._tiers[f][i]
            i = int(self._parents[f][i])
        return out
