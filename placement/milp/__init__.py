"""The MILP: one solver-neutral canonical form built from an instance with whole-array code
(docs/model.md section 3), and the operations later stages apply to it.

- :mod:`~placement.milp.canonical`: :class:`CanonicalForm` (objective, sparse matrix, bounds,
  integrality, labelled blocks) and its copy-with-changes methods;
- :mod:`~placement.milp.builder`: :class:`FormBuilder`, which assembles blocks of triplets;
- :mod:`~placement.milp.formulation`: :func:`build`, running the constraint families of
  :mod:`~placement.milp.families` (assignment, budgets, caps, moves, shares) and
  :mod:`~placement.milp.links` (links and their linearisations) in order.
"""

from placement.milp.builder import FormBuilder
from placement.milp.canonical import Block, CanonicalForm
from placement.milp.context import BuildContext, RelaxableRows, x_columns, x_labeler
from placement.milp.families import budget_coefficients
from placement.milp.formulation import FAMILIES, build, centrality_ranks, centrality_weights
from placement.milp.links import geography_penalties, link_pair_tables

__all__ = ["build", "FAMILIES", "CanonicalForm", "Block", "FormBuilder", "BuildContext",
           "RelaxableRows", "x_columns", "x_labeler", "budget_coefficients", "centrality_ranks",
           "centrality_weights",
           "link_pair_tables", "geography_penalties"]
