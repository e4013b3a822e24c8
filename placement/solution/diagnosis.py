"""Infeasibility diagnosis: an elastic re-solve naming what conflicts, with amounts.

When an instance has no feasible placement, the model is solved again with *slack*: every
budget, cap, max_moves, max_share and hard-link row gets a slack column (one per budget, cap,
share limit or link), and every pin moves from a column bound into a row
``x[f, pinned] + s_f >= 1``. Functions keep their allowed tiers and "exactly one tier".

The smallest relaxation is lexicographic, in three HiGHS solves (HiGHS is used whatever
backend was asked for: the slacks are continuous, which CP-SAT cannot take):

1. keep as many pins as possible (minimise the number of pins dropped);
2. then keep as many hard links as possible (minimise the number of links dropped);
3. then minimise the sum of the remaining slacks, each divided by the size of its limit
   (a budget of 50 short by 62 counts 62 / 50), so budgets, caps, max_moves and max_share
   are relaxed in proportion to themselves.

An *alternative* keeps every budget, cap, max_moves and max_share as given and drops the
fewest pins and links instead (when that can work). The placement the relaxation admits is
checked with the independent checker: every violation it finds must be one the relaxation
names (``verified``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from placement import solvers
from placement.milp import CanonicalForm, RelaxableRows, build
from placement.model import NO_TIER, Instance
from placement.solution.checker import check
from placement.solvers.base import SolveOptions

__all__ = ["Relaxation", "Diagnosis", "diagnose", "ELASTIC_SOLVER"]

#: The backend every elastic re-solve uses (continuous slacks).
ELASTIC_SOLVER = "highs"

_QUANTITIES = ("budget", "cap", "max_moves", "max_share")
_KIND_WORDS = {"allowed": "allowed tiers", "pin": "pins", "link": "links", "budget": "budgets",
               "cap": "caps", "max_moves": "max_moves", "max_share": "max_share limits"}


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


@dataclass
class _Slack:
    kind: str
    subject: str
    limit: float
    scale: float
    upper: float


def _elastic(form: CanonicalForm, inst: Instance) -> tuple[CanonicalForm, list[_Slack]]:
    """The form with a slack column per relaxable group and pins moved into rows (slacks
    cost nothing in the form's own objective)."""
    relaxable = cast(list[RelaxableRows], form.info.get("relaxable", []))
    slacks: list[_Slack] = []
    rr: list[np.ndarray] = []
    cc: list[np.ndarray] = []
    vv: list[np.ndarray] = []
    for R in relaxable:
        base = len(slacks)
        for g, subj in enumerate(R.subjects):
            slacks.append(_Slack(R.kind, subj, float(R.limits[g]), float(R.scales[g]),
                                 1.0 if R.kind == "link" else np.inf))
        rr.append(R.rows)
        cc.append(base + R.group)
        vv.append(np.full(R.rows.shape[0], -float(R.sense)))
    k = len(slacks)
    if k:
        S = sp.csr_matrix((np.concatenate(vv), (np.concatenate(rr), np.concatenate(cc))),
                          shape=(form.n_rows, k))
        form = form.with_columns(S, np.zeros(k), 0.0,
                            np.array([s.upper for s in slacks]), False, "slack",
                            [f"slack[{s.kind}:{s.subject}]" for s in slacks])
    fn = inst.functions
    pinned = np.nonzero(fn.pinned != NO_TIER)[0]
    if pinned.size:
        T = inst.n_tiers
        pcols = pinned * T + fn.pinned[pinned]
        n0 = form.n_cols
        form = form.with_columns(sp.csr_matrix((form.n_rows, pinned.size)),
                            np.zeros(pinned.size), 0.0, 1.0, False, "pin_slack",
                            [f"slack[pin:{fn.ids[f]}]" for f in pinned.tolist()])
        rows = sp.csr_matrix(
            (np.ones(2 * pinned.size),
             (np.tile(np.arange(pinned.size), 2), np.concatenate([pcols, n0 + np.arange(
                 pinned.size)]))), shape=(pinned.size, form.n_cols))
        form = form.with_rows(rows, 1.0, np.inf, "pin",
                         [f"pin[{fn.ids[f]}]" for f in pinned.tolist()])
        lo = form.col_lower.copy()
        lo[pcols] = 0.0
        form = form.with_col_bounds(lo, form.col_upper)
        for f in pinned.tolist():
            slacks.append(_Slack("pin", str(fn.ids[f]), 1.0, 1.0, 1.0))
    return form, slacks


def _where(inst: Instance, s: _Slack) -> str:
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
    if sc is not None and s.subject in sc.pins:
        return f"instance.toml scenarios.{sc.id}.pins.{s.subject}"
    return f"functions.csv, function '{s.subject}', column pinned"


def _kept_words(inst: Instance, relaxed: set[str]) -> str:
    present = []
    if (inst.functions.pinned != NO_TIER).any():
        present.append("pin")
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


def _message(inst: Instance, s: _Slack, amount: float, kept: str, joint: bool) -> tuple[
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
    tier = inst.tier_ids[int(inst.functions.pinned[inst.functions.index[s.subject]])]
    return (f"the pin of {s.subject} to {tier} has to go: {cannot}{also}", None, None)


def _lexicographic(form: CanonicalForm, slacks: list[_Slack], stages: list[tuple[str, ...]],
                   options: SolveOptions, fixed_zero: tuple[str, ...] = ()) -> np.ndarray | None:
    backend = solvers.get(ELASTIC_SOLVER)
    k = len(slacks)
    start = form.n_cols - k
    if fixed_zero:
        up = form.col_upper.copy()
        idx = [start + i for i, s in enumerate(slacks) if s.kind in fixed_zero]
        up[idx] = 0.0
        form = form.with_col_bounds(form.col_lower, up)
    x = None
    for kinds in stages:
        w = np.array([1.0 / s.scale if s.kind in kinds else 0.0 for s in slacks])
        if not w.any():
            continue
        c = np.zeros(form.n_cols)
        c[start:] = w
        raw = backend.solve(form.with_objective(c, "min"), options)
        if raw.x is None or raw.objective is None:
            return None
        x = raw.x
        best = float(raw.objective)
        form = form.with_rows(c[None, :], -np.inf, best + 1e-9 * max(1.0, abs(best)),
                         f"elastic_{kinds[0]}", [f"elastic[{','.join(kinds)}]"])
    # among the smallest relaxations, the placement with the best value (the form's own
    # objective, on the x and link columns)
    raw = backend.solve(form, options)
    if raw.x is not None:
        x = raw.x
    return x


def _violation_key(kind: str, subject: str) -> tuple[str, str] | None:
    """The slack (kind, subject) a checker violation corresponds to."""
    if kind in ("budget", "max_moves", "link", "max_share"):
        return kind, subject
    if kind == "cap":
        rid, tier = subject.split("@", 1)
        return "cap", f"{tier},{rid}"
    if kind == "pinned":
        return "pin", subject
    return None


def _relaxations(inst: Instance, slacks: list[_Slack], values: np.ndarray,
                 a: np.ndarray) -> tuple[tuple[Relaxation, ...], bool]:
    """What the elastic placement ``a`` breaks, as the checker recomputes it from the
    instance, in the instance's words; and whether it agrees with the slacks (every violation
    is one a slack allowed, by no more than the slack)."""
    rep = check(inst, a)
    slack_of = {(s.kind, s.subject): (s, float(v)) for s, v in zip(slacks, values, strict=True)}
    found: list[tuple[_Slack, float]] = []
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
    joint = sum(1 for s, _ in found if s.kind in _QUANTITIES) > 1
    out = []
    for s, amount in found:
        msg, limit, need = _message(inst, s, amount, kept, joint and s.kind in _QUANTITIES)
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
    elastic, slacks = _elastic(form, inst)
    method = ("elastic re-solve with HiGHS whatever --solver was: fewest pins dropped, then "
              "fewest links dropped, then least sum of slacks each divided by its limit")
    stages = [("pin",), ("link",), _QUANTITIES]
    x = _lexicographic(elastic, slacks, stages, options)
    notes: list[str] = []
    if x is None:
        return Diagnosis(inst.name, (), None, {}, False, method,
                         notes=("the elastic re-solve found no relaxation either: each "
                                "function's allowed tiers alone admit no placement, or the "
                                "time limit was reached",))
    k = len(slacks)
    a = form.assignment_of(x)
    rel, verified = _relaxations(inst, slacks, np.asarray(x[elastic.n_cols - k:], dtype=float),
                                 a)
    if not verified:
        notes.append("the checker found a violation the elastic slacks do not account for")
    alternative: tuple[Relaxation, ...] | None = None
    if any(r.kind in _QUANTITIES for r in rel) and any(s.kind in ("pin", "link")
                                                        for s in slacks):
        x_alt = _lexicographic(elastic, slacks, [("pin", "link")], options,
                               fixed_zero=_QUANTITIES)
        if x_alt is not None:
            alternative, _ = _relaxations(inst, slacks,
                                          np.asarray(x_alt[elastic.n_cols - k:], dtype=float),
                                          form.assignment_of(x_alt))
    tids = inst.tier_ids
    placement = {str(f): tids[int(t)] for f, t in zip(inst.functions.ids, a, strict=True)}
    return Diagnosis(inst.name, rel, alternative, placement, verified, method,
                     notes=tuple(notes))
