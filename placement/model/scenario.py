"""Scenarios: named overrides on an instance, and fixed placements to evaluate (docs/model.md
section 1, "Scenario"), and how they are applied."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from placement.errors import InstanceError, Problem
from placement.model.area_rules import area_problems
from placement.model.geography import AvailabilityRule, CurrentRule, Geography
from placement.model.links import Link, kappa_problems
from placement.model.resources import Resource
from placement.model.tiers import NO_TIER, Tier

if TYPE_CHECKING:
    from placement.model.instance import Instance

__all__ = ["Scenario", "apply_scenario", "active_tiers", "fixed_assignment"]


@dataclass(frozen=True)
class Scenario:
    """A named set of overrides on an instance, and/or a fixed placement to evaluate.

    Attributes that are ``None`` (or empty) leave the instance as it is. A pin may read
    ``"tier|fallback"``: the function sits at ``tier`` where it has a unit and at ``fallback``
    elsewhere. ``availability`` rules follow the instance's; ``placement_by_area`` rows set
    the fixed placement's tier in the areas of a unit or area, and ``heterogeneity`` replaces
    the scoring model's eta (docs/model.md section 9).
    """

    id: str
    name: str = ""
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)
    budgets: Mapping[str, float | None] = field(default_factory=dict)
    caps: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    pins: Mapping[str, str | None] = field(default_factory=dict)
    allowed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    enable_tiers: tuple[str, ...] = ()
    disable_tiers: tuple[str, ...] = ()
    max_moves: int | None = None
    clear_max_moves: bool = False
    placement: Mapping[str, str] | Literal["current"] | None = None
    source: str | None = None
    add_links: tuple[Link, ...] = ()
    remove_links: tuple[str, ...] = ()
    availability: tuple[AvailabilityRule, ...] = ()
    placement_by_area: tuple[CurrentRule, ...] = ()
    heterogeneity: float | None = None

    @property
    def optimises(self) -> bool:
        """Whether the scenario changes anything to optimise under (beyond a placement)."""
        return bool(
            self.weights or self.budgets or self.caps or self.pins or self.allowed
            or self.enable_tiers or self.disable_tiers or self.max_moves is not None
            or self.clear_max_moves or self.add_links or self.remove_links
            or self.availability or self.heterogeneity is not None
        )



def active_tiers(inst: Instance, scenario: Scenario | None) -> list[int]:
    """Indices of the tiers taking part: non-optional ones plus those the scenario enables."""
    enable = set(scenario.enable_tiers) if scenario else set()
    disable = set(scenario.disable_tiers) if scenario else set()
    return [
        i
        for i, t in enumerate(inst.tiers)
        if (not t.optional or t.id in enable) and t.id not in disable
    ]


def apply_scenario(inst: Instance, scenario: str | Scenario | None) -> Instance:
    """The instance under ``scenario``: overrides applied, inactive tiers dropped.

    With ``scenario=None`` only the optional tiers are dropped. Raises
    :class:`InstanceError` naming the scenario when the overrides cannot be applied (a pin to a
    dropped tier, a function left with no allowed tier, an unknown scenario).
    """
    scenario = _resolve(inst, scenario)
    where = "scenario" if scenario is None else f"scenarios.{scenario.id}"
    keep = active_tiers(inst, scenario)
    if scenario is None and len(keep) == inst.n_tiers:
        return inst
    kept = _KeptTiers.of(inst, keep)
    model, resources, max_moves = inst.model, inst.resources, inst.max_moves
    if scenario is not None:
        if scenario.weights and model is not None:
            model = model.with_weights(dict(scenario.weights))
        if scenario.heterogeneity is not None and model is not None:
            model = dataclasses.replace(model, heterogeneity=float(scenario.heterogeneity))
        resources = _override_resources(resources, scenario)
        _override_functions(inst, scenario, kept)
        if scenario.clear_max_moves:
            max_moves = None
        if scenario.max_moves is not None:
            max_moves = scenario.max_moves
    toml = None if inst.path is None else str(inst.path / "instance.toml")
    problems = _problems(inst, scenario, toml, where, kept)
    if problems:
        raise InstanceError(problems, subject=f"scenario of instance '{inst.name}'")
    out = dataclasses.replace(
        inst,
        links=_links(inst, scenario),
        tiers=kept.tiers,
        functions=inst.functions.replace(allowed=kept.allowed, pinned=kept.pinned,
                                         current=kept.current, pinned_else=kept.pinned_else),
        geography=_geography(inst, scenario),
        model=model,
        resources=tuple(resources),
        max_moves=max_moves,
        values=None if inst.values is None else np.asarray(inst.values)[:, keep],
        costs=None if inst.costs is None else np.asarray(inst.costs)[:, keep, :],
        scenario=scenario.id if scenario is not None else inst.scenario,
        warnings=tuple(inst.warnings) + _dropped_current(inst, where, kept),
        palette_tiers=inst.palette_tiers or tuple(inst.tier_ids),
    )
    problems = area_problems(out, toml, where)
    if problems:
        raise InstanceError(problems, subject=f"scenario of instance '{inst.name}'")
    if out.links:
        missing = kappa_problems(out)
        if missing:
            raise InstanceError(missing, subject=f"{where} of instance '{inst.name}'")
    return out


def _resolve(inst: Instance, scenario: str | Scenario | None) -> Scenario | None:
    """The scenario a name refers to; an unknown name lists the instance's scenarios."""
    if not isinstance(scenario, str):
        return scenario
    if scenario not in inst.scenarios:
        known = ", ".join(inst.scenarios) or "none defined"
        raise InstanceError.single(
            None, "scenario", None, scenario, f"a scenario of instance '{inst.name}' "
            f"({known})")
    return inst.scenarios[scenario]


@dataclass
class _KeptTiers:
    """The tiers a scenario keeps, and the functions' tier columns renumbered to them.

    ``allowed`` and ``pinned`` are the instance's, restricted and renumbered, until the
    scenario's overrides change them in place. ``lost_pin`` and ``lost_current`` are the
    functions whose pinned (or pin fallback) or current tier was dropped.
    """

    tiers: tuple[Tier, ...]
    allowed: np.ndarray
    pinned: np.ndarray
    pinned_else: np.ndarray
    current: np.ndarray
    lost_pin: np.ndarray
    lost_current: np.ndarray

    @classmethod
    def of(cls, inst: Instance, keep: list[int]) -> _KeptTiers:
        fn = inst.functions
        old_to_new = np.full(inst.n_tiers + 1, NO_TIER, dtype=np.int64)  # last slot: NO_TIER
        old_to_new[keep] = np.arange(len(keep))
        pinned = old_to_new[fn.pinned]
        current = old_to_new[fn.current]
        pinned_else = old_to_new[fn.pinned_else if fn.pinned_else is not None
                                 else np.full(len(fn), NO_TIER)]
        return cls(
            tiers=tuple(inst.tiers[i] for i in keep),
            allowed=fn.allowed[:, keep].copy(),
            pinned=pinned,
            pinned_else=pinned_else,
            current=current,
            lost_pin=np.nonzero(((fn.pinned != NO_TIER) & (pinned == NO_TIER))
                                | ((fn.pinned_else if fn.pinned_else is not None else
                                    np.full(len(fn), NO_TIER)) != NO_TIER)
                                & (pinned_else == NO_TIER))[0],
            lost_current=np.nonzero((fn.current != NO_TIER) & (current == NO_TIER))[0],
        )

    @property
    def tids(self) -> list[str]:
        return [t.id for t in self.tiers]


def _geography(inst: Instance, scenario: Scenario | None) -> Geography | None:
    """The instance's areas with the scenario's availability rules after its own."""
    geo = inst.geography
    if geo is None or scenario is None or not scenario.availability:
        return geo
    return dataclasses.replace(geo, availability=geo.availability + scenario.availability)


def _links(inst: Instance, scenario: Scenario | None) -> tuple[Link, ...]:
    links = list(inst.links)
    if scenario is not None and (scenario.add_links or scenario.remove_links):
        drop = set(scenario.remove_links)
        links = [lk for lk in links if lk.id not in drop] + list(scenario.add_links)
    return tuple(links)


def _override_resources(resources: tuple[Resource, ...],
                        scenario: Scenario) -> tuple[Resource, ...]:
    """Budgets and caps as the scenario sets them (``None`` removes a budget or a cap)."""
    out = list(resources)
    rix = {r.id: i for i, r in enumerate(out)}
    for rid, budget in scenario.budgets.items():
        out[rix[rid]] = dataclasses.replace(out[rix[rid]], budget=budget)
    for rid, caps in scenario.caps.items():
        new_caps = dict(out[rix[rid]].caps)
        for t, v in caps.items():
            if v is None:
                new_caps.pop(t, None)
            else:
                new_caps[t] = v
        out[rix[rid]] = dataclasses.replace(out[rix[rid]], caps=new_caps)
    return tuple(out)


def _override_functions(inst: Instance, scenario: Scenario, kept: _KeptTiers) -> None:
    """The scenario's allowed tiers and pins, written into ``kept`` (allowed tiers the
    scenario drops are ignored; a pin of ``None`` unpins)."""
    fidx = inst.functions.index
    tids = kept.tids
    tindex = {t: i for i, t in enumerate(tids)}
    for f, ts in scenario.allowed.items():
        row = np.zeros(len(tids), dtype=bool)
        row[[tindex[t] for t in ts if t in tindex]] = True
        kept.allowed[fidx[f]] = row
    for f, pin in scenario.pins.items():
        first, _, rest = (pin or "").partition("|")
        kept.pinned[fidx[f]] = NO_TIER if pin is None else tindex[first]
        kept.pinned_else[fidx[f]] = tindex.get(rest, NO_TIER) if rest else NO_TIER


def _problems(inst: Instance, scenario: Scenario | None, file: str | None, where: str,
              kept: _KeptTiers) -> list[Problem]:
    """What the scenario leaves unusable: pins to dropped tiers it did not move, pins to
    tiers a function is not allowed at, and functions with no allowed tier left."""
    fn = inst.functions
    pinned, allowed, tids = kept.pinned, kept.allowed, kept.tids
    problems: list[Problem] = []
    rest = fn.pinned_else if fn.pinned_else is not None else np.full(len(fn), NO_TIER)
    for i in kept.lost_pin.tolist():  # the pin's tier, or its fallback, dropped
        if not (scenario and fn.ids[i] in scenario.pins):
            pin = inst.tiers[fn.pinned[i]].id + (
                f"|{inst.tiers[rest[i]].id}" if rest[i] != NO_TIER else "")
            problems.append(Problem(file, where, "pinned", pin,
                                    "a pin to tiers this scenario keeps (unpin the function "
                                    "or pin it elsewhere in the scenario)",
                                    f"function '{fn.ids[i]}'"))
    has_pin = np.nonzero(pinned != NO_TIER)[0]
    # a pin overrides the allowed list only if the scenario set both; otherwise it must agree
    not_allowed = has_pin[~allowed[has_pin, pinned[has_pin]]]
    for i in not_allowed.tolist():
        problems.append(Problem(file, where, "pins", tids[pinned[i]],
                                "a tier the function is allowed at in this scenario",
                                f"function '{fn.ids[i]}'"))
    empty = np.nonzero(~allowed.any(axis=1))[0]
    for i in empty.tolist():
        problems.append(Problem(file, where, "allowed", None,
                                "at least one allowed tier left after the scenario's tiers "
                                "are applied", f"function '{fn.ids[i]}'"))
    return problems


def _dropped_current(inst: Instance, where: str, kept: _KeptTiers) -> tuple[str, ...]:
    """A warning naming the functions whose current tier the scenario drops (none: none)."""
    lost_cur = kept.lost_current
    if not lost_cur.size:
        return ()
    ids = inst.functions.ids
    names = ", ".join(ids[lost_cur[:6]].tolist()) + (" ..." if lost_cur.size > 6 else "")
    return (f"{where}: {lost_cur.size} functions are currently at a tier this "
            f"scenario drops ({names}); they have no current tier here",)


def fixed_assignment(inst: Instance, scenario: Scenario) -> np.ndarray:
    """The tier index of every function under a scenario's fixed placement.

    ``inst`` must already have the scenario applied (its tiers are the scenario's).
    """
    if scenario.placement is None:
        raise ValueError(f"scenario {scenario.id!r} fixes no placement")
    if scenario.placement == "current":
        cur = inst.functions.current
        missing = np.nonzero(cur == NO_TIER)[0]
        if missing.size:
            raise InstanceError.single(
                None, f"scenarios.{scenario.id}.placement", None, "current",
                f"a current tier for every function ({missing.size} have none, e.g. "
                f"'{inst.functions.ids[missing[0]]}')")
        return cur.copy()
    tindex = inst.tier_index
    fidx = inst.functions.index
    out = np.full(inst.n_functions, NO_TIER, dtype=np.int64)
    for f, t in scenario.placement.items():
        out[fidx[f]] = tindex[t.partition("|")[0]]  # one area: every tier has its unit
    return out
