"""What the page (or a script) asks for: the judgements of one request, checked against the
loaded instance and turned into the instance and scenario a solve runs on.

A request never touches the server's loaded instance: :func:`prepare` starts from a copy
(``Instance.replace()``, whose derived tables are recomputed), new weights go through
:func:`placement.io.overrides.apply_overrides` exactly as ``--weight`` does, and budgets, caps
and the heterogeneity weight become a scenario derived from the one picked, named
:func:`derived_id` so that the scenario TOML the page downloads reproduces it on the command
line. Every problem is located at the request's own key (``body.budgets['staff']``).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from placement.errors import InstanceError, Problem
from placement.model.limits import MAX_AMOUNT, MAX_WEIGHT

if TYPE_CHECKING:
    from placement.model import Instance, Scenario

__all__ = ["Inputs", "SolveRequest", "MapRequest", "ExplainRequest", "EvaluateRequest",
           "CompareRequest", "prepare", "derived_id", "PAGE_SCENARIO"]

#: The id of the scenario the page's budgets, caps or heterogeneity make when none is picked.
PAGE_SCENARIO = "page"

#: How long one solve may run (seconds) when a request gives no time limit.
DEFAULT_TIME_LIMIT = 60.0


class Inputs(BaseModel):
    """The judgements of one request; every key may be left out (the instance's own).

    Strict: a number must be a JSON number (not ``true`` or ``"2"``), text a JSON string."""

    model_config = ConfigDict(extra="forbid", strict=True)

    scenario: str | None = Field(None, max_length=200,
                                 description="A scenario of the instance whose overrides apply.")
    weights: dict[str, float] = Field(
        default_factory=dict, max_length=1000,
        description="Criterion id -> weight (0 to 1e6), as --weight CRITERION=VALUE.")
    heterogeneity: float | None = Field(
        None, description="The scoring model's heterogeneity weight eta (0 or more).")
    budgets: dict[str, float] = Field(
        default_factory=dict, max_length=1000, description="Resource id -> total budget.")
    caps: dict[str, dict[str, float]] = Field(
        default_factory=dict, max_length=1000,
        description="Resource id -> tier id -> cap on the resource used at that tier.")
    time_limit: float | None = Field(None, gt=0, le=600,
                                     description="Seconds each solve may take (default 60).")


class SolveRequest(Inputs):
    """``POST /api/solve``: the inputs; the answer is the result JSON of ``placement solve``."""


class MapRequest(Inputs):
    """``POST /api/map``: one function's tier in every area, drawn as hexes."""

    function: str = Field(max_length=200)
    level: str = Field("utla", pattern="^(utla|icb)$")


class ExplainRequest(Inputs):
    """``POST /api/explain``: why a function sits where it does (in one area, per area)."""

    function: str = Field(max_length=200)
    area: str | None = Field(None, max_length=200)


class EvaluateRequest(Inputs):
    """``POST /api/evaluate``: a fixed placement's value and what it breaks."""

    placement: str | dict[str, str] = Field(
        "current", description="'current', a scenario id with a fixed placement, or "
                               "function id -> tier id.")


class CompareRequest(Inputs):
    """``POST /api/compare``: the optimum beside scenarios' fixed placements."""

    scenarios: list[str] | None = Field(None, max_length=100)
    optimise: bool = False


def derived_id(inputs: Inputs) -> str:
    """The id of the scenario a request's budgets, caps or heterogeneity make."""
    return PAGE_SCENARIO if inputs.scenario is None else f"{inputs.scenario}-page"


def _amount_problems(inst: Instance, inputs: Inputs) -> list[Problem]:
    """Budgets and caps on resources and tiers of the instance, each a number in range."""
    found: list[Problem] = []
    rids = inst.resource_ids
    tids = inst.tier_ids
    expect = f"a number from 0 to {MAX_AMOUNT:g}"
    for rid, v in inputs.budgets.items():
        where = f"body.budgets[{rid!r}]"
        if rid not in rids:
            found.append(Problem(None, where, None, rid,
                                 f"a resource of '{inst.name}' ({', '.join(rids) or 'none'})"))
        elif not (math.isfinite(v) and 0 <= v <= MAX_AMOUNT):
            found.append(Problem(None, where, rid, v, expect))
    for rid, caps in inputs.caps.items():
        if rid not in rids:
            found.append(Problem(None, f"body.caps[{rid!r}]", None, rid,
                                 f"a resource of '{inst.name}' ({', '.join(rids) or 'none'})"))
            continue
        for tid, v in caps.items():
            where = f"body.caps[{rid!r}][{tid!r}]"
            if tid not in tids:
                found.append(Problem(None, where, None, tid,
                                     f"a tier of '{inst.name}' ({', '.join(tids)})"))
            elif not (math.isfinite(v) and 0 <= v <= MAX_AMOUNT):
                found.append(Problem(None, where, tid, v, expect))
    return found


def _heterogeneity_problems(inst: Instance, inputs: Inputs) -> list[Problem]:
    eta = inputs.heterogeneity
    if eta is None:
        return []
    if inst.model is None or inst.model.heterogeneity_criterion is None or not inst.per_area:
        return [Problem(None, "body.heterogeneity", None, eta,
                        "an instance with areas whose scoring model names a heterogeneity "
                        f"criterion ('{inst.name}' has none)")]
    if not (math.isfinite(eta) and 0 <= eta <= MAX_WEIGHT):
        return [Problem(None, "body.heterogeneity", None, eta, f"a number from 0 to "
                        f"{MAX_WEIGHT:g}")]
    return []


def prepare(base: Instance, inputs: Inputs) -> tuple[Instance, Scenario | None]:
    """The request's own instance (weights applied) and the scenario to solve it under.

    Raises :class:`InstanceError` with every problem of the request, each located at its key.
    """
    from placement.io.overrides import apply_overrides

    inst = base.replace()
    problems: list[Problem] = []
    if inputs.weights:
        try:
            inst = apply_overrides(inst, inputs.weights, labels=("body.weights", "body.fields"))
        except InstanceError as e:
            problems.extend(e.problems)
    sc: Scenario | None = None
    if inputs.scenario is not None:
        if inputs.scenario in inst.scenarios:
            sc = inst.scenarios[inputs.scenario]
        else:
            known = ", ".join(inst.scenarios) or "none defined"
            problems.append(Problem(None, "body.scenario", None, inputs.scenario,
                                    f"a scenario of '{inst.name}' ({known})"))
    problems += _amount_problems(inst, inputs) + _heterogeneity_problems(inst, inputs)
    if problems:
        raise InstanceError(problems, subject="the request")
    if inputs.budgets or inputs.caps or inputs.heterogeneity is not None:
        sc = _derived(sc, inputs)
    return inst, sc


def _derived(sc: Scenario | None, inputs: Inputs) -> Scenario:
    """The picked scenario (or none) with the request's budgets, caps and heterogeneity."""
    from placement.model import Scenario

    base = sc if sc is not None else Scenario(id=PAGE_SCENARIO)
    caps: dict[str, dict[str, float | None]] = {r: dict(c) for r, c in base.caps.items()}
    for rid, given in inputs.caps.items():
        caps.setdefault(rid, {}).update(given)
    changes: dict[str, Any] = {
        "id": derived_id(inputs),
        "name": (base.name or base.id) + " (changed on the page)" if sc else "The page's inputs",
        "budgets": {**base.budgets, **inputs.budgets},
        "caps": caps,
    }
    if inputs.heterogeneity is not None:
        changes["heterogeneity"] = float(inputs.heterogeneity)
    return dataclasses.replace(base, **changes)
