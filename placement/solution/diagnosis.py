"""Infeasibility diagnosis: an elastic re-solve naming what conflicts, with amounts.

When an instance has no feasible placement, the model is solved again with *slack* on every
budget, cap, max_moves, max_share, hard link and pin (the elastic form and its solves are
:mod:`placement.solution.elastic`). The smallest relaxation is lexicographic, in three HiGHS
solves (HiGHS is used whatever backend was asked for: the slacks are continuous, which CP-SAT
cannot take):

1. keep as many pins as possible (minimise the number of pins dropped);
2. then keep as many hard links as possible (minimise the number of links dropped);
3. then minimise the sum of the remaining slacks, each divided by the size of its limit
   (a budget of 50 short by 62 counts 62 / 50), so budgets, caps, max_moves and max_share
   are relaxed in proportion to themselves.

An *alternative* keeps every budget, cap, max_moves and max_share as given and drops the
fewest pins and links instead (when that can work). The placement the relaxation admits is
checked with the independent checker: every violation it finds must be one the relaxation
names (``verified``). This module turns what the checker finds into :class:`Relaxation`
objects in the instance's own words, and says where the instance states each constraint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from placement.milp import CanonicalForm, build
from placement.model import NO_TIER, Instance
from placement.solution import area_result
from placement.solution.checker import check
from placement.solution.elastic import (
    ELASTIC_SOLVER,
    QUANTITIES,
    Slack,
    elastic_form,
    lexicographic,
    slack_values,
)
from placement.solvers.base import SolveOptions

__all__ = ["Relaxation", "Diagnosis", "diagnose", "ELASTIC_SOLVER"]

_KIND_WORDS = {"allowed": "allowed tiers", "pin": "pins", "link": "links", "budget": "budgets",
               "cap": "caps", "unit_cap": "caps on single bodies", "max_moves": "max_moves",
               "max_share": "max_share limits"}


@dataclass(frozen=True)
class Relaxation:
    """One constraint the smallest relaxation changes.

    Attributes
    ----------
    kind
        ``budget``, ``cap``, ``max_moves``, ``max_share``, ``link`` or ``pin``.
    subject
        Resource id, ``tier,resource``, ``tier,functions``, link id or function id.
    limit, needed, amount
        The limit as given, what the relaxed placement needs, and the difference (for links
        and pins: 1, the constraint is dropped).
    where
        Where the instance states the constraint.
    message
        The relaxation in the instance's own words.
    """

    kind: str
    subject: str
    limit: float | None
    needed: float | None
    amount: float
    where: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "subject": self.subject, "limit": self.limit,
                "needed": self.needed, "amount": self.amount, "where": self.where,
                "message": self.message}


@dataclass(frozen=True)
class Diagnosis:
    """Why an instance is infeasible and the smallest change that would make it feasible."""

    instance: str
    relaxations: tuple[Relaxation, ...]
    alternative: tuple[Relaxation, ...] | None
    placement: dict[str, str]
    verified: bool
    method: str
    solver: str = ELASTIC_SOLVER
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "solver": self.solver,
            "method": self.method,
            "relaxations": [r.to_dict() for r in self.relaxations],
            "alternative": None if self.alternative is None
            else [r.to_dict() for r in self.alternative],
            "placement": dict(self.placement),
            "verified": self.verified,
            "notes": list(self.notes),
        }

    def __str__(self) -> str:
        lines = [f"{self.instance} is infeasible. The smallest relaxation ({self.method}):"]
        lines += [f"  - {r.message} [{r.where}]" for r in self.relaxations]
        if self.alternative:
            lines.append("Alternatively, keeping every budget, cap, max_moves and max_share "
                         "as given:")
            lines += [f"  - {r.message} [{r.where}]" for r in self.alternative]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _g(x: float) -> str:
    return f"{x:,.6g}"


def _where(inst: Instance, s: Slack) -> str:
    sc = inst.scenarios.get(inst.scenario) if inst.scenario else None
    if s.kind == "budget":
        if sc is not None and s.subject in sc.budgets:
            return f"instance.toml scenarios.{sc.id}.budgets.{s.subject}"
        i = inst.resource_ids.index(s.subject) + 1
        return f"instance.toml resources[{i}].budget"
    if s.kind == "cap":
        tier, rid = s.subject.split(",", 1)
        if sc is not None and tier in sc.caps.get(rid, {}):
            return f"instance.toml scenarios.{sc.id}.caps.{rid}.{tier}"
        return f"instance.toml resources[{inst.resource_ids.index(rid) + 1}].caps.{tier}"
    if s.kind == "max_moves":
        if sc is not None and sc.max_moves is not None:
            return f"instance.toml scenarios.{sc.id}.max_moves"
        return "instance.toml constraints.max_moves"
    if s.kind == "max_share":
        tier, of = s.subject.split(",", 1)
        for ms in inst.max_share:
            if ms.of == of and ms.tier in (None, tier):
                return ms.where or "instance.toml constraints.max_share"
        return "instance.toml constraints.max_share"
    if s.kind == "link":
        lk = next((lk for lk in inst.links if lk.id == s.subject), None)
        return (lk.where or "links") if lk is not None else "links"
    if s.kind == "unit_cap":
        return _unit_cap_where(inst, s.subject)
    if sc is not None and s.subject in sc.pins:
        return f"instance.toml scenarios.{sc.id}.pins.{s.subject}"
    return f"functions.csv, function '{s.subject}', column pinned"


def _kept_words(inst: Instance, relaxed: set[str]) -> str:
    present = []
    if (inst.functions.pinned != NO_TIER).any():
        present.append("pin")
    if inst.geography is not None and inst.geography.unit_caps:
        present.append("unit_cap")
    if any(lk.hard for lk in inst.links):
        present.append("link")
    if any(r.budget is not None for r in inst.resources):
        present.append("budget")
    if any(r.caps for r in inst.resources):
        present.append("cap")
    if inst.max_moves is not None:
        present.append("max_moves")
    if inst.max_share:
        present.append("max_share")
    if not inst.functions.allowed.all():
        present.insert(0, "allowed")
    kept = [_KIND_WORDS[k] for k in present if k not in relaxed]
    if not kept:
        return ""
    words = [f"the {w}" for w in kept]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _message(inst: Instance, s: Slack, amount: float, kept: str, joint: bool) -> tuple[
        str, float | None, float | None]:
    also = " once the other relaxations listed are made" if joint else ""
    units = {r.id: r.unit for r in inst.resources}
    respects = f" that respects {kept}" if kept else ""
    respecting = f"respecting {kept}" if kept else "any placement"
    cannot = f"it cannot hold together with {kept}" if kept else "it cannot hold at all"
    if s.kind == "budget":
        u = f" {units.get(s.subject, '')}".rstrip()
        need = s.limit + amount
        return (f"{s.subject} budget {_g(s.limit)}{u} is {_g(amount)}{u} short of the cheapest "
                f"placement{respects}{also} ({_g(need)}{u} needed, "
                f"{_g(s.limit)}{u} available)", s.limit, need)
    if s.kind == "cap":
        tier, rid = s.subject.split(",", 1)
        u = f" {units.get(rid, '')}".rstrip()
        need = s.limit + amount
        return (f"{rid} cap at {tier} {_g(s.limit)}{u} is {_g(amount)}{u} short of the least "
                f"{rid} at {tier}{respects}{also} ({_g(need)}{u} needed)",
                s.limit, need)
    if s.kind == "max_moves":
        moves = int(math.ceil(amount - 1e-6))
        need = s.limit + moves
        return (f"max_moves {int(s.limit)} is {moves} short: {respecting}{also} needs "
                f"{int(need)} functions to leave their current tier", s.limit, need)
    if s.kind == "max_share":
        tier, of = s.subject.split(",", 1)
        if of == "functions":
            F = inst.n_functions
            need = s.limit + amount
            fs = "function" if amount == 1 else "functions"
            return (f"max_share of functions at {tier} ({_g(s.limit / F)}, i.e. {_g(s.limit)} "
                    f"of {F}) is {_g(amount)} {fs} short: {respecting}{also} puts "
                    f"{_g(need)} there", s.limit, need)
        u = f" {units.get(of, '')}".rstrip()
        return (f"max_share of {of} at {tier} is {_g(amount)}{u} short of what {respecting}"
                f"{also} puts there", None, None)
    if s.kind == "link":
        lk = next((lk for lk in inst.links if lk.id == s.subject), None)
        what = lk.describe() if lk is not None else s.subject
        return (f"link {what} has to go: {cannot}{also}", None, None)
    if s.kind == "unit_cap":
        unit, rid = s.subject.rsplit(",", 1)
        u = f" {units.get(rid, '')}".rstrip()
        need = s.limit + amount
        return (f"{rid} cap of {_unit_name(inst, unit)} {_g(s.limit)}{u} is {_g(amount)}{u} "
                f"short of the least it can use{respects}{also} ({_g(need)}{u} needed)",
                s.limit, need)
    f = inst.functions.index[s.subject]
    tier = inst.tier_ids[int(inst.functions.pinned[f])]
    closed = _closed_pins(inst, f)
    why = f"; {closed}" if closed else ""
    return (f"the pin of {s.subject} to {tier} has to go: {cannot}{also}{why}", None, None)


def _unit_name(inst: Instance, unit: str) -> str:
    """A unit ``tier:code`` by its name."""
    tier, code = unit.split(":", 1)
    layout = inst.units
    hit = np.nonzero((layout.unit_code == code)
                     & (np.array(inst.tier_ids, dtype=object)[layout.unit_tier] == tier))[0]
    return str(layout.unit_name[hit[0]]) if hit.size else unit


def _unit_cap_where(inst: Instance, subject: str) -> str:
    unit, rid = subject.rsplit(",", 1)
    tier, code = unit.split(":", 1)
    geo = inst.geography
    caps = geo.unit_caps if geo is not None else ()
    hit = [c for c in caps if c.resource == rid and c.tier == tier
           and c.unit in (None, code, _unit_name(inst, unit))]
    return hit[-1].where if hit else "the unit caps table"


def _closed_pins(inst: Instance, f: int) -> str:
    """Where a pin fixes a function at units the availability table closes to it, in the
    instance's words: which body, which row, and why."""
    geo = inst.geography
    if geo is None:
        return ""
    layout = inst.units
    shut = np.nonzero((inst.unit_pins[f] > 0) & ~inst.unit_allowed[f])[0]
    fn = inst.functions
    out = []
    for u in shut[:3].tolist():
        tier = inst.tier_ids[int(layout.unit_tier[u])]
        rule = next((r for r in reversed(geo.availability) if not r.allowed and r.tier == tier
                     and r.unit in (None, layout.unit_code[u], layout.unit_name[u])
                     and (r.function == fn.ids[f] or r.category == fn.categories[f])), None)
        where = f": {rule.where}" + (f" ({rule.reason})" if rule.reason else "") if rule else ""
        out.append(f"{layout.unit_name[u]} cannot hold {fn.ids[f]}{where}")
    more = f" and {shut.size - 3} more" if shut.size > 3 else ""
    return "; ".join(out) + more


def _violation_key(kind: str, subject: str) -> tuple[str, str] | None:
    """The slack (kind, subject) a checker violation corresponds to."""
    if kind in ("budget", "max_moves", "link", "max_share"):
        return kind, subject
    if kind == "cap":
        rid, tier = subject.split("@", 1)
        return "cap", f"{tier},{rid}"
    if kind == "pinned":
        return "pin", subject
    if kind == "unit_cap":
        return "unit_cap", subject
    return None


def _relaxations(inst: Instance, slacks: list[Slack], values: np.ndarray,
                 a: np.ndarray) -> tuple[tuple[Relaxation, ...], bool]:
    """What the elastic placement ``a`` breaks, as the checker recomputes it from the
    instance, in the instance's words; and whether it agrees with the slacks (every violation
    is one a slack allowed, by no more than the slack)."""
    rep = check(inst, a)
    slack_of = {(s.kind, s.subject): (s, float(v)) for s, v in zip(slacks, values, strict=True)}
    found: list[tuple[Slack, float]] = []
    verified = True
    for viol in rep.violations:
        key = _violation_key(viol.kind, viol.subject)
        if key is None or key not in slack_of:
            verified = False
            continue
        s, v = slack_of[key]
        amount = 1.0 if s.kind in ("link", "pin") else viol.amount - viol.limit
        if amount > v + 1e-6 * max(1.0, s.scale):
            verified = False
        found.append((s, amount))
    relaxed = {s.kind for s, _ in found}
    kept = _kept_words(inst, relaxed)
    joint = sum(1 for s, _ in found if s.kind in QUANTITIES) > 1
    out = []
    for s, amount in found:
        msg, limit, need = _message(inst, s, amount, kept, joint and s.kind in QUANTITIES)
        if s.kind == "max_moves":
            amount = float(round(amount))
        out.append(Relaxation(s.kind, s.subject, limit, need, amount, _where(inst, s), msg))
    return tuple(out), verified


def diagnose(
    inst: Instance,
    form: CanonicalForm | None = None,
    *,
    time_limit: float | None = None,
) -> Diagnosis:
    """Find the smallest relaxation that makes ``inst`` feasible and name it.

    Parameters
    ----------
    inst
        The instance as solved (scenario applied).
    form
        Its canonical form, if already built.
    time_limit
        Seconds for each elastic solve.

    Examples
    --------
    >>> import placement
    >>> d = diagnose(placement.load("instances/tiny-infeasible"))
    >>> print(d.relaxations[0].message)  # doctest: +NORMALIZE_WHITESPACE
    staff budget 50 FTE is 62 FTE short of the cheapest placement that respects the pins
    (112 FTE needed, 50 FTE available)
    >>> print(d.alternative[0].message)
    the pin of commissioning to local has to go: it cannot hold together with the budgets
    """
    if form is None:
        form = build(inst)
    options = SolveOptions(time_limit=time_limit)
    elastic, slacks = elastic_form(form, inst)
    method = ("elastic re-solve with HiGHS whatever --solver was: fewest pins dropped, then "
              "fewest links dropped, then least sum of slacks each divided by its limit")
    stages = [("pin",), ("link",), QUANTITIES]
    x = lexicographic(elastic, slacks, stages, options)
    notes: list[str] = []
    if x is None:
        return Diagnosis(inst.name, (), None, {}, False, method,
                         notes=("the elastic re-solve found no relaxation either: each "
                                "function's allowed tiers alone admit no placement, or the "
                                "time limit was reached",))
    a = form.placement_of(x) if form.per_area else form.assignment_of(x)
    rel, verified = _relaxations(inst, slacks, slack_values(elastic, slacks, x), a)
    if not verified:
        notes.append("the checker found a violation the elastic slacks do not account for")
    alternative: tuple[Relaxation, ...] | None = None
    if any(r.kind in QUANTITIES for r in rel) and any(s.kind in ("pin", "link")
                                                       for s in slacks):
        x_alt = lexicographic(elastic, slacks, [("pin", "link")], options,
                              fixed_zero=QUANTITIES)
        if x_alt is not None:
            alt = form.placement_of(x_alt) if form.per_area else form.assignment_of(x_alt)
            alternative, _ = _relaxations(inst, slacks, slack_values(elastic, slacks, x_alt),
                                          alt)
    tids = inst.tier_ids
    if form.per_area:  # each function's tiers and the share of the people at each
        text = area_result.function_summary(inst, a)["tiers"]
        placement = {str(f): str(t) for f, t in text.items()}
    else:
        placement = {str(f): tids[int(t)] for f, t in zip(inst.functions.ids, a, strict=True)}
    return Diagnosis(inst.name, rel, alternative, placement, verified, method,
                     notes=tuple(notes))
