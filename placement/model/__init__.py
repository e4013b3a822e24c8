"""The model a placement problem is made of (docs/model.md sections 1, 2 and 4): tiers, the
function table, resources, links and spread limits, scenarios, coterminosity, the scoring
model and its kernels, and the :class:`Sense` of the objective.

Objects are frozen dataclasses; nothing here reads files (that is :mod:`placement.io`) or
builds a MILP (that is :mod:`placement.milp`).
"""

from placement.model.coterminosity import (
    Coterminosity,
    GivenKappa,
    NestingCount,
    TierMembership,
    from_membership,
    nesting,
)
from placement.model.functions import Functions, functions_to_frame
from placement.model.instance import Instance, Source
from placement.model.links import LINK_KINDS, Link, LinkKind, MaxShare, kappa_problems
from placement.model.overrides import Overrides
from placement.model.resources import Resource
from placement.model.scenario import Scenario, active_tiers, apply_scenario, fixed_assignment
from placement.model.scoring_model import Criterion, Direction, ScoringModel
from placement.model.sense import Sense
from placement.model.tiers import NO_TIER, Tier

__all__ = [
    "Sense",
    "Direction",
    "Source",
    "Tier",
    "NO_TIER",
    "Criterion",
    "ScoringModel",
    "Resource",
    "Functions",
    "functions_to_frame",
    "Scenario",
    "apply_scenario",
    "active_tiers",
    "fixed_assignment",
    "Instance",
    "Overrides",
    "Link",
    "LinkKind",
    "LINK_KINDS",
    "MaxShare",
    "kappa_problems",
    "Coterminosity",
    "GivenKappa",
    "NestingCount",
    "TierMembership",
    "nesting",
    "from_membership",
]
