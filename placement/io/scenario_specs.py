"""Scenarios and spread constraints of ``instance.toml``, checked into model objects.

A ``[scenarios.<id>]`` table overrides parts of the instance (weights, budgets, caps, pins,
allowed tiers, optional tiers switched on or off, a fixed placement, links added or removed);
``[constraints] max_share`` caps the share of functions or of a resource any one tier holds.
Both are validated here against the ids the rest of the instance defines, so a scenario naming
an unknown criterion, resource, tier, function or link is reported at its key
(``scenarios.<id>.<key>``) before anything is solved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from placement.errors import Problem
from placement.io.area_tables import read_availability
from placement.io.geography import pin_gap_problem
from placement.io.links import check_links, link_from_spec
from placement.io.paths import instance_file
from placement.io.scenario_placement import placement_problems, read_placement
from placement.io.schema import ConstraintsSpec, ScenarioSpec
from placement.model import Link, MaxShare, Scenario, ScoringModel
from placement.model.geography import AvailabilityRule, Geography

__all__ = ["ScenarioContext", "scenarios_from_specs", "scenario_from_spec",
           "max_share_from_spec"]

_Placement = dict[str, str] | Literal["current"] | None


@dataclass(frozen=True)
class ScenarioContext:
    """What scenarios are checked against: the rest of the instance, already read.

    ``fids`` is ``None`` when the function table could not be read; function ids are then
    not checked (the table's own problems are reported instead).
    """

    label: str
    base: Path
    scoring: ScoringModel | None
    tiers: list[str]
    optional: set[str]
    resources: list[str]
    fids: set[str] | None
    links: list[Link]
    geographies: list[str]
    geography: Geography | None = None
    categories: tuple[str, ...] = ()
    areas: bool = False  # [areas] declared (``geography`` is None when it could not be read)
    model_failed: bool = False  # a model was named but not loaded: its criteria are unknown


@dataclass(frozen=True)
class _Report:
    """Records problems of one scenario at its keys (``scenarios.<id>.<key>``)."""

    label: str
    where: str
    problems: list[Problem]

    def bad(self, key: str, value: object, expected: str) -> None:
        self.problems.append(Problem(self.label, f"{self.where}.{key}", None, value, expected))


def scenarios_from_specs(
    specs: Mapping[str, ScenarioSpec], cx: ScenarioContext, problems: list[Problem]
) -> dict[str, Scenario]:
    """Check every ``[scenarios]`` table and build the ones without problems.

    Parameters
    ----------
    specs
        Scenario id -> validated spec, in file order.
    cx
        The instance they apply to.
    problems
        Where problems are appended.

    Returns
    -------
    dict of str to Scenario
        The scenarios without problems, by id, in file order.
    """
    out: dict[str, Scenario] = {}
    for sid, ss in specs.items():
        sc = scenario_from_spec(sid, ss, cx, problems)
        if sc is not None:
            out[sid] = sc
    return out


def scenario_from_spec(
    sid: str, ss: ScenarioSpec, cx: ScenarioContext, problems: list[Problem]
) -> Scenario | None:
    """Check scenario ``sid`` against the instance and build it.

    Parameters
    ----------
    sid
        The scenario's id (its key under ``[scenarios]``).
    ss
        Its validated spec.
    cx
        The instance it applies to.
    problems
        Where problems are appended.

    Returns
    -------
    Scenario or None
        ``None`` when the scenario has any problem.
    """
    n0 = len(problems)
    rep = _Report(cx.label, f"scenarios.{sid}", problems)
    active = (set(cx.tiers) - cx.optional) | set(ss.enable_tiers)
    active -= set(ss.disable_tiers)
    _check_overrides(ss, cx, rep)
    _check_function_tiers(ss, cx, active, rep)
    fixed = read_placement(ss.placement, cx.base, cx.geography, cx.areas, problems)
    placement_problems(fixed, cx.fids, [t for t in cx.tiers if t in active], cx.geography,
                       rep.bad, problems)
    added = _scenario_links(ss, cx, rep)
    availability = _availability(sid, ss, cx, rep)
    if len(problems) > n0:
        return None
    pins: dict[str, str | None] = dict(ss.pins)
    for f in ss.unpin:
        pins[f] = None
    return Scenario(
        id=sid,
        name=ss.name or sid,
        description=ss.description,
        weights=dict(ss.weights),
        budgets=dict(ss.budgets),
        caps={r: dict(c) for r, c in ss.caps.items()},
        pins=pins,
        allowed={f: tuple(t) for f, t in ss.allowed.items()},
        enable_tiers=tuple(ss.enable_tiers),
        disable_tiers=tuple(ss.disable_tiers),
        max_moves=ss.max_moves,
        clear_max_moves=ss.no_max_moves,
        placement=fixed.placement,
        source=ss.source,
        add_links=tuple(added),
        remove_links=tuple(ss.remove_links),
        availability=availability,
        placement_by_area=fixed.by_area,
        heterogeneity=ss.heterogeneity,
    )


def _availability(sid: str, ss: ScenarioSpec, cx: ScenarioContext,
                  rep: _Report) -> tuple[AvailabilityRule, ...]:
    """The scenario's own availability rules (applied after the instance's)."""
    if ss.availability is None:
        return ()
    if not cx.areas:
        rep.bad("availability", ss.availability,
                "no availability table without [areas] (units exist only with areas)")
        return ()
    if cx.geography is None:  # [areas] could not be read: its problems are reported
        return ()
    return read_availability(instance_file(cx.base, ss.availability),
                             f"scenarios.{sid}.availability", cx.label, cx.geography,
                             cx.fids, cx.categories, rep.problems)


def _check_overrides(ss: ScenarioSpec, cx: ScenarioContext, rep: _Report) -> None:
    """Weights name criteria, budgets and caps name resources and tiers, tier switches tiers."""
    scoring = cx.scoring
    if scoring is not None:
        for k in ss.weights:
            if k not in scoring.criterion_ids:
                rep.bad("weights", k, f"a criterion of model '{scoring.id}' "
                                      f"({', '.join(scoring.criterion_ids)})")
    elif ss.weights and not cx.model_failed:
        rep.bad("weights", ", ".join(ss.weights), "no weights: this instance has no scoring model")
    if ss.heterogeneity is not None and not cx.model_failed and (
            scoring is None or not scoring.heterogeneity_criterion):
        rep.bad("heterogeneity", ss.heterogeneity,
                "no heterogeneity here: the scoring model declares no [heterogeneity] criterion")
    resources = ", ".join(cx.resources) or "none defined"
    for k in ss.budgets:
        if k not in cx.resources:
            rep.bad("budgets", k, f"a resource id ({resources})")
    for r, caps in ss.caps.items():
        if r not in cx.resources:
            rep.bad("caps", r, f"a resource id ({resources})")
        for t in caps:
            if t not in cx.tiers:
                rep.bad(f"caps.{r}", t, f"a tier id ({', '.join(cx.tiers)})")
    for t in ss.enable_tiers:
        if t not in cx.optional:
            rep.bad("enable_tiers", t,
                    f"an optional tier ({', '.join(sorted(cx.optional)) or 'none'})")
    for t in ss.disable_tiers:
        if t not in cx.tiers:
            rep.bad("disable_tiers", t, f"a tier id ({', '.join(cx.tiers)})")


def _active_list(cx: ScenarioContext, active: set[str]) -> str:
    return ", ".join(t for t in cx.tiers if t in active)


def _check_function_tiers(
    ss: ScenarioSpec, cx: ScenarioContext, active: set[str], rep: _Report
) -> None:
    """Pins, unpins and allowed tiers name known functions and tiers active in the scenario."""
    act = _active_list(cx, active)
    for f, t in ss.pins.items():
        if cx.fids is not None and f not in cx.fids:
            rep.bad("pins", f, "a function id of functions.csv")
        first, bar, rest = t.partition("|")
        if first not in active or (bar and (rest not in active or rest == first)):
            rep.bad(f"pins.{f}", t, f"a tier active in this scenario ({act}), or "
                                    "'tier|fallback' with two of them")
        elif bar and not cx.areas:
            rep.bad(f"pins.{f}", t, "one tier id without [areas] ('tier|fallback' needs "
                                    "areas: every tier has a unit everywhere)")
        elif cx.geography is not None:
            why = pin_gap_problem(cx.geography, first, rest or None)
            if why is not None:
                rep.bad(f"pins.{f}", t, why)
    for f in ss.unpin:
        if cx.fids is not None and f not in cx.fids:
            rep.bad("unpin", f, "a function id of functions.csv")
    for f, ts in ss.allowed.items():
        if cx.fids is not None and f not in cx.fids:
            rep.bad("allowed", f, "a function id of functions.csv")
        for t in ts:
            if t not in active:
                rep.bad(f"allowed.{f}", t, f"a tier active in this scenario ({act})")


def _scenario_links(ss: ScenarioSpec, cx: ScenarioContext, rep: _Report) -> list[Link]:
    """The links the scenario adds, checked; the ones it removes must exist."""
    link_ids = [lk.id for lk in cx.links]
    for lid in ss.remove_links:
        if lid not in link_ids:
            rep.bad("remove_links", lid, f"the id of a link of the instance "
                                         f"({', '.join(link_ids) or 'none defined'})")
    added = [link_from_spec(ls, f"{cx.label}: {rep.where}.add_links[{i + 1}]")
             for i, ls in enumerate(ss.add_links)]
    # an added link may reuse the id of one the scenario removes, not of one it keeps
    check_links(added, cx.fids, cx.geographies, rep.problems,
                known_ids=[i for i in link_ids if i not in ss.remove_links])
    return added


def max_share_from_spec(
    cons: ConstraintsSpec,
    label: str,
    tiers: list[str],
    resources: list[str],
    problems: list[Problem],
) -> tuple[MaxShare, ...]:
    """The ``[constraints] max_share`` caps: one number for every tier, or a list of tables.

    Parameters
    ----------
    cons
        The validated ``[constraints]`` table.
    label
        How problems name ``instance.toml``.
    tiers, resources
        The instance's tier and resource ids, which the tables may name.
    problems
        Where problems are appended.

    Returns
    -------
    tuple of MaxShare
        The caps without problems, in order.
    """
    if cons.max_share is None:
        return ()
    if not isinstance(cons.max_share, list):
        return (MaxShare(float(cons.max_share), None, "functions",
                         f"{label}: constraints.max_share"),)
    out = []
    for i, ms in enumerate(cons.max_share):
        where = f"constraints.max_share[{i + 1}]"
        ok = True
        if ms.tier is not None and ms.tier not in tiers:
            problems.append(Problem(label, where, "tier", ms.tier,
                                    f"a tier id ({', '.join(tiers)}), or no tier for every tier"))
            ok = False
        if ms.of != "functions" and ms.of not in resources:
            problems.append(Problem(label, where, "of", ms.of,
                                    f"\"functions\" or a resource id "
                                    f"({', '.join(resources) or 'none defined'})"))
            ok = False
        if ok:
            out.append(MaxShare(float(ms.share), ms.tier, ms.of, f"{label}: {where}"))
    return tuple(out)
