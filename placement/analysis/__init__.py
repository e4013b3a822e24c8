"""Explaining and stress-testing a placement (docs/model.md section 7).

* :func:`explain` - why a function sits at its tier: criterion contributions at the chosen
  tier and the runner-up, the forcing cost of every other tier, what else moves, resource
  consequences.
* :func:`weight_stability` - for every criterion, the exact interval of its weight over which
  the placement stays optimal, and which function moves first at each end.
* :func:`forcing_costs` - explain's forcing cost for every function at every tier at once,
  with each function's runner-up and margin.
* :func:`monte_carlo` - weights drawn around the model's (Dirichlet, seeded, in parallel):
  the share of draws placing each function at each tier.
* :func:`frontier` - the optimum against one resource's budget, with every breakpoint and
  what moves there.

Each returns a small result object whose tables are pandas DataFrames. Solver libraries are
imported only when a solve starts. The methods, and exactly what is exact, are documented in
docs/analysis.md.

Layout: each analysis has a module that computes it (``explain``, ``forcing``, ``stability``,
``montecarlo``, ``frontier``, the last with its search in ``frontier_search``) and a
``*_result`` module holding what it returns (``forcing`` keeps its short :class:`ForcingCosts`
beside the computation). ``common`` and ``resolving`` are the helpers they share; ``compare``
sets reform options side by side.
"""

from __future__ import annotations

from placement.analysis.common import Move
from placement.analysis.explain import explain
from placement.analysis.explain_area import AreaExplanation, explain_area
from placement.analysis.explain_result import Explanation, TierOption
from placement.analysis.forcing import ForcingCosts, forcing_costs
from placement.analysis.frontier import frontier
from placement.analysis.frontier_result import Frontier, FrontierStep
from placement.analysis.montecarlo import draw_weights, monte_carlo
from placement.analysis.montecarlo_result import MonteCarlo
from placement.analysis.stability import weight_stability
from placement.analysis.stability_result import (
    CriterionStability,
    Line,
    StabilityEnd,
    WeightStability,
)
from placement.errors import AnalysisError, CheckerError

__all__ = [
    "AnalysisError",
    "CheckerError",
    "Move",
    "explain",
    "explain_area",
    "AreaExplanation",
    "Explanation",
    "TierOption",
    "forcing_costs",
    "ForcingCosts",
    "frontier",
    "Frontier",
    "FrontierStep",
    "weight_stability",
    "WeightStability",
    "CriterionStability",
    "StabilityEnd",
    "Line",
    "monte_carlo",
    "MonteCarlo",
    "draw_weights",
]
