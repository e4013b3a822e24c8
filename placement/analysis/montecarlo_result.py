"""What Monte Carlo robustness returns: :class:`MonteCarlo`, the weight draws, the placement
each draw re-optimised to, and the tables read off them (the share of draws placing each
function at each tier, the modal tier).

How the draws are made and solved is in :mod:`placement.analysis.montecarlo`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from placement.model import Instance
from placement.util import json_safe

__all__ = ["MonteCarlo"]


@dataclass
class MonteCarlo:
    """The outcome of :func:`~placement.analysis.montecarlo.monte_carlo`; see
    :mod:`placement.analysis.montecarlo`.

    Attributes
    ----------
    instance
        The instance (scenario applied).
    optimum
        Tier index per function of the optimum at the model's weights (as ``placement solve``
        reports it).
    weights
        The draws, (N, C) (columns: criteria).
    assignments
        Tier index per function for every draw, (N, F).
    objectives
        The optimum of every draw, (N,).
    screened
        Draws settled without a solve (the model's optimum provably still optimal).
    """

    instance: Instance
    optimum: np.ndarray
    weights: np.ndarray
    assignments: np.ndarray
    objectives: np.ndarray
    screened: int
    seed: int
    concentration: float
    workers: int
    solver: str
    seconds: float
    solve_seconds: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def samples(self) -> int:
        return int(self.assignments.shape[0])

    @property
    def shares(self) -> pd.DataFrame:
        """Share of draws placing each function (rows) at each tier (columns); rows sum
        to 1."""
        inst = self.instance
        F, T = inst.n_functions, inst.n_tiers
        flat = (np.arange(F)[None, :] * T + self.assignments.astype(np.int64)).ravel()
        counts = np.bincount(flat, minlength=F * T).reshape(F, T)
        return pd.DataFrame(counts / max(self.samples, 1),
                            index=pd.Index(inst.function_ids, name="function"),
                            columns=pd.Index(list(inst.tier_ids), name="tier"))

    def frame(self) -> pd.DataFrame:
        """One row per function: the share at each tier, the optimum's tier and its share,
        and the modal tier (most frequent; ties: the optimum's, then the more central)."""
        sh = self.shares
        inst = self.instance
        tids = np.array(inst.tier_ids, dtype=object)
        S = sh.to_numpy()
        rows = np.arange(inst.n_functions)
        at_opt = S[rows, self.optimum]
        best = S.max(axis=1)
        modal = np.argmax(S, axis=1)  # first maximum: the more central tier
        modal = np.where(np.isclose(at_opt, best, rtol=0, atol=1e-12), self.optimum, modal)
        out = sh.copy()
        out.columns = list(out.columns)
        out["optimum"] = tids[self.optimum]
        out["share_at_optimum"] = at_opt
        out["modal"] = tids[modal]
        out["modal_share"] = S[rows, modal]
        return out

    @property
    def draws_per_second(self) -> float:
        return self.samples / self.seconds if self.seconds > 0 else math.inf

    def to_dict(self) -> dict[str, Any]:
        inst = self.instance
        df = self.frame()
        tiers = list(inst.tier_ids)
        return json_safe({
            "instance": inst.name,
            "model": inst.model_id,
            "scenario": inst.scenario,
            "samples": self.samples,
            "seed": self.seed,
            "concentration": self.concentration,
            "workers": self.workers,
            "solver": self.solver,
            "criteria": list(inst.model.criterion_ids) if inst.model is not None else [],
            "model_weights": (inst.model.weights.tolist() if inst.model is not None else []),
            "weights_mean": self.weights.mean(axis=0).tolist(),
            "weights_std": self.weights.std(axis=0).tolist(),
            "objective": {"mean": float(self.objectives.mean()),
                          "min": float(self.objectives.min()),
                          "max": float(self.objectives.max())},
            "same_placement_as_optimum": float(
                (self.assignments == self.optimum[None, :]).all(axis=1).mean()),
            "screened": self.screened,
            "seconds": round(self.seconds, 6),
            "draws_per_second": round(self.draws_per_second, 3),
            "functions": [
                {"function": str(fid), "optimum": row["optimum"],
                 "share_at_optimum": float(row["share_at_optimum"]),
                 "modal": row["modal"], "modal_share": float(row["modal_share"]),
                 "shares": {t: float(row[t]) for t in tiers}}
                for fid, row in df.iterrows()],
            "definition": "weights = total * Dirichlet(concentration * w / total) over the "
                          "criteria with positive weight, drawn up front from one seeded "
                          "generator; each draw re-optimised exactly; shares = fraction of "
                          "draws placing the function at the tier",
        })

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def __str__(self) -> str:
        same = float((self.assignments == self.optimum[None, :]).all(axis=1).mean())
        return (f"{self.samples} draws (concentration {self.concentration:g}, seed "
                f"{self.seed}): the optimum's placement is optimal in {same:.1%} of them; "
                f"{self.draws_per_second:,.0f} draws/s with {self.workers} worker(s)")
