"""Random small instances for property tests: one home for the hypothesis strategies.

Every strategy builds an instance small enough to enumerate (a few functions, two to four
tiers) through :func:`placement.from_frames`, so the engine's answers can be checked against
:func:`tests.conftest.brute_force` over the independent checker. They share the pieces below
(tiers, allowed/pinned/current columns, budgets and caps around what placements use, links,
kappa, max_share) and differ in what they stress:

- :func:`valued_instances`: values given directly (halves), every constraint family and link
  kind, both senses (properties of the optimum, subsidiarity, diagnosis);
- :func:`scored_instances`: values from the two-criterion ``tiny-ramp`` model with random
  weights and populations (weight stability needs a scoring model);
- :func:`frontier_instances`: a staff resource with move costs and caps, links of the kinds a
  budget can trade against (the budget frontier);
- :func:`backend_instances`: values that CP-SAT must scale (whole, two-decimal and arbitrary
  doubles), wide units, budgets and caps, pins and max_moves (every backend against
  enumeration).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from hypothesis import strategies as st

import placement
from placement.io.models import load_model
from placement.model import LINK_KINDS, Instance, Link, MaxShare, Resource

__all__ = ["TIER_IDS", "valued_instances", "scored_instances", "frontier_instances",
           "backend_instances"]

#: Tier ids of the strategies' instances, most central first.
TIER_IDS = ("centre", "middle", "local")
#: Units and people per unit of those tiers.
UNITS = (1, 3, 9)
POPULATIONS = (1e6, 1e5, 1e4)

HALVES = st.integers(-6, 12).map(lambda v: v / 2)


def _tier_frame(tiers: Sequence[str], populations: Sequence[float] | None = None
                ) -> pd.DataFrame:
    T = len(tiers)
    return pd.DataFrame({"id": list(tiers), "units": list(UNITS[:T]),
                         "population": list(populations or POPULATIONS[:T])})


def _tier_columns(draw: st.DrawFn, tiers: Sequence[str], F: int, pin_odds: int
                  ) -> tuple[list[str], list[str], list[str]]:
    """``allowed`` (each tier 4 times in 5, so most instances stay feasible), ``pinned`` (one
    in ``pin_odds + 1``, to an allowed tier) and ``current`` columns."""
    T = len(tiers)
    allowed, pinned, current = [], [], []
    for _ in range(F):
        mask = draw(st.lists(st.integers(0, 4).map(bool), min_size=T, max_size=T))
        if not any(mask):
            mask[draw(st.integers(0, T - 1))] = True
        ok = [t for t, m in zip(tiers, mask, strict=True) if m]
        allowed.append(";".join(ok))
        pinned.append(draw(st.sampled_from(ok)) if draw(st.integers(0, pin_odds)) == 0 else "")
        current.append(draw(st.sampled_from(list(tiers))))
    return allowed, pinned, current


def _staff(draw: st.DrawFn, tiers: Sequence[str], fixed: Sequence[int],
           variable: Sequence[int]) -> Resource:
    """A staff resource whose budget and cap sit around what placements use: some bind, a few
    make the instance infeasible."""
    units = UNITS[:len(tiers)]
    top = sum(f * units[-1] + v for f, v in zip(fixed, variable, strict=True))
    least = sum(f + v for f, v in zip(fixed, variable, strict=True))  # all at the centre
    budget = draw(st.one_of(st.none(), st.integers(least, top + 2).map(float)))
    caps = {}
    if draw(st.booleans()):
        caps[draw(st.sampled_from(list(tiers)))] = float(draw(st.integers(0, top)) // 2
                                                         + least // 2)
    return Resource("staff", "Staff", budget=budget, caps=caps)


def _links(draw: st.DrawFn, fids: Sequence[str], kinds: Sequence[str], most: int,
           kappa_mins: Sequence[float], halves: int) -> list[Link]:
    """Up to ``most`` links between distinct functions; each soft (penalty in halves up to
    ``halves / 2``) or hard."""
    out = []
    for i in range(draw(st.integers(0, most))):
        f, g = draw(st.lists(st.sampled_from(list(fids)), min_size=2, max_size=2, unique=True))
        kind = draw(st.sampled_from(list(kinds)))
        penalty = draw(st.one_of(st.none(), st.integers(1, halves).map(lambda v: v / 2)))
        kmin = draw(st.sampled_from(list(kappa_mins))) if kind == "coterminous" else 1.0
        out.append(Link(f"l{i}", kind, f, g, kappa_min=kmin, penalty=penalty))  # type: ignore[arg-type]
    return out


def _kappa(draw: st.DrawFn, tiers: Sequence[str], levels: Sequence[float]
           ) -> dict[tuple[str, str], float]:
    T = len(tiers)
    return {(tiers[i], tiers[j]): draw(st.sampled_from(list(levels)))
            for i in range(T) for j in range(i + 1, T)}


def _costs(draw: st.DrawFn, F: int) -> tuple[list[int], list[int]]:
    return ([draw(st.integers(0, 3)) for _ in range(F)],
            [draw(st.integers(0, 3)) for _ in range(F)])


@st.composite
def valued_instances(draw: st.DrawFn) -> Instance:
    """2-5 functions x 2-3 tiers with values given (halves), both senses: budgets, caps,
    pins, allowed tiers, max_moves, max_share (of functions and of staff) and hard or soft
    links of every kind, with kappa between every pair of tiers."""
    T = draw(st.integers(2, 3))
    F = draw(st.integers(2, 5))
    tiers = TIER_IDS[:T]
    sense = draw(st.sampled_from(["max", "min"]))
    values = [[draw(HALVES) for _ in range(T)] for _ in range(F)]
    fids = [f"f{i}" for i in range(F)]
    allowed, pinned, current = _tier_columns(draw, tiers, F, pin_odds=5)
    fixed, variable = _costs(draw, F)
    funcs = pd.DataFrame({"id": fids, "name": fids, "allowed": allowed, "pinned": pinned,
                          "current": current, "staff_fixed": fixed,
                          "staff_variable": variable})
    res = [_staff(draw, tiers, fixed, variable)]
    links = _links(draw, fids, LINK_KINDS, 3, (1.0, 0.5), 8)
    kappa = _kappa(draw, tiers, (0.0, 0.4, 0.7, 1.0))
    max_share: list[MaxShare] = []
    if draw(st.integers(0, 3)) == 0:
        # at least ceil(F/T) functions per tier, or no placement can exist (pigeonhole)
        need = -(-F // T)
        share = min(1.0, (need + draw(st.integers(0, 1))) / F)
        max_share.append(MaxShare(share, None, "functions"))
    if draw(st.integers(0, 7)) == 0:
        max_share.append(MaxShare(0.8, draw(st.sampled_from(list(tiers))), "staff"))
    max_moves = draw(st.one_of(st.none(), st.integers(F // 2, F)))
    vals = pd.DataFrame(values, columns=list(tiers), index=fids)
    return placement.from_frames("random", _tier_frame(tiers), funcs, values=vals,
                                 sense=sense, resources=res, links=links,
                                 coterminosity=kappa, max_share=max_share,
                                 max_moves=max_moves)


@st.composite
def scored_instances(draw: st.DrawFn) -> Instance:
    """Small instances scored by the two-criterion ``tiny-ramp`` model with random weights,
    scores and populations (performances are multiples of 1/4), with budgets, caps, pins,
    max_moves, max_share and hard or soft links; sometimes minimising."""
    T = draw(st.integers(2, 3))
    F = draw(st.integers(2, 5))
    tiers = TIER_IDS[:T]
    pops = sorted(draw(st.lists(st.sampled_from([1e3, 1e4, 1e5, 1e6, 1e7]), min_size=T,
                                max_size=T, unique=True)), reverse=True)
    weight = st.integers(0, 6).map(lambda v: v / 2)
    w = [draw(weight), draw(weight)]
    if sum(w) == 0:
        w[0] = 1.0
    model = load_model("tiny-ramp").with_weights({"scale": w[0], "local": w[1]})
    fids = [f"f{i}" for i in range(F)]
    allowed, pinned, current = _tier_columns(draw, tiers, F, pin_odds=6)
    fixed, variable = _costs(draw, F)
    funcs = pd.DataFrame({
        "id": fids, "name": fids, "allowed": allowed, "pinned": pinned, "current": current,
        "scale": [draw(st.integers(0, 5)) for _ in range(F)],
        "local": [draw(st.integers(0, 5)) for _ in range(F)],
        "staff_fixed": fixed, "staff_variable": variable})
    res = [_staff(draw, tiers, fixed, variable)]
    links = _links(draw, fids, LINK_KINDS, 2, (1.0,), 6)
    kappa = _kappa(draw, tiers, (0.0, 0.5, 1.0))
    max_share = [MaxShare(1.0 if F <= T else 0.8)] if draw(st.integers(0, 5)) == 0 else []
    max_moves = draw(st.one_of(st.none(), st.integers(F // 2, F)))
    sense = "min" if draw(st.integers(0, 4)) == 0 else "max"
    return placement.from_frames(
        "random-scored", _tier_frame(tiers, pops), funcs, model=model, sense=sense,
        resources=res, links=links, coterminosity=kappa, max_share=max_share,
        max_moves=max_moves)


@st.composite
def frontier_instances(draw: st.DrawFn) -> Instance:
    """2-4 functions x 2-3 tiers (values in halves, both senses) with a staff resource whose
    budget the frontier varies: move costs, sometimes a cap, hard or soft ``together`` and
    ``at_or_above`` links, sometimes max_moves."""
    T = draw(st.integers(2, 3))
    F = draw(st.integers(2, 4))
    tiers = TIER_IDS[:T]
    sense = draw(st.sampled_from(["max", "min"]))
    halves = st.integers(-4, 12).map(lambda v: v / 2)
    fids = [f"f{i}" for i in range(F)]
    values = pd.DataFrame([[draw(halves) for _ in range(T)] for _ in range(F)],
                          columns=list(tiers), index=fids)
    funcs = pd.DataFrame({
        "id": fids, "name": fids,
        "current": [draw(st.sampled_from(list(tiers))) for _ in range(F)],
        "staff_fixed": [draw(st.integers(0, 3)) for _ in range(F)],
        "staff_variable": [draw(st.integers(0, 3)) for _ in range(F)],
        "staff_move": [draw(st.sampled_from([0, 0, 1, 2.5])) for _ in range(F)],
    })
    caps = {}
    if draw(st.booleans()):
        caps[draw(st.sampled_from(list(tiers)))] = float(draw(st.integers(2, 30)))
    res = [Resource("staff", "Staff", budget=float(draw(st.integers(0, 60))), caps=caps)]
    links = _links(draw, fids, ("together", "at_or_above"), 2, (1.0,), 6)
    max_moves = draw(st.one_of(st.none(), st.integers(1, F)))
    return placement.from_frames("random", _tier_frame(tiers), funcs, values=values,
                                 sense=sense, resources=res, links=links, max_moves=max_moves)


@st.composite
def backend_instances(draw: st.DrawFn) -> Instance:
    """3-5 functions x 2-4 tiers: values (whole, two-decimal or arbitrary doubles, which CP-SAT
    must scale), a staff budget, per-tier caps, pins, allowed tiers, current tiers with
    max_moves, in either sense; about one in five is infeasible."""
    F = draw(st.integers(3, 5), label="functions")
    T = draw(st.integers(2, 4), label="tiers")
    sense = draw(st.sampled_from(["max", "min"]), label="sense")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    kind = rng.integers(0, 3, size=(F, T))
    values = np.select([kind == 0, kind == 1],
                       [rng.integers(-3, 13, (F, T)), rng.integers(-300, 1201, (F, T)) / 100],
                       rng.uniform(-3.0, 12.0, (F, T)))
    units = rng.integers(1, 51, T)
    fixed = rng.integers(0, 21, F) / 10
    variable = rng.integers(0, 31, F) / 4
    allowed = rng.random((F, T)) < 0.8
    allowed[~allowed.any(axis=1), 0] = True
    tier_ids = np.array([f"t{t}" for t in range(T)])

    def some_allowed(f: int) -> str:
        return str(rng.choice(tier_ids[allowed[f]]))

    pinned = [some_allowed(f) if rng.random() < 0.2 else "" for f in range(F)]
    current = [some_allowed(f) for f in range(F)]
    cost = fixed[:, None] * units[None, :] + variable[:, None]
    big = np.where(allowed, cost, -np.inf).max(axis=1).sum()
    small = np.where(allowed, cost, np.inf).min(axis=1).sum()
    budget = None
    if rng.random() < 0.6:
        budget = max(0.0, round(small + rng.uniform(-0.1, 1.0) * (big - small), 2))
    caps = {str(tier_ids[t]): round(rng.uniform(0.3, 1.0) * cost[:, t].sum(), 2)
            for t in range(T) if rng.random() < 0.4}
    max_moves = int(rng.integers(0, F + 1)) if rng.random() < 0.3 else None
    tiers = pd.DataFrame({"id": tier_ids, "name": tier_ids, "units": units,
                          "population": 1000.0 * units})
    funcs = pd.DataFrame({
        "id": [f"f{f}" for f in range(F)],
        "name": [f"F{f}" for f in range(F)],
        "allowed": [";".join(tier_ids[row]) for row in allowed],
        "pinned": pinned,
        "current": current,
        "staff_fixed": fixed,
        "staff_variable": variable,
    })
    vals = pd.DataFrame(values, index=funcs["id"], columns=tier_ids)
    # A second resource, used by some functions only, limited by a share of its running use
    # at one tier: the shape on which CBC's preprocessing claimed a wrong optimum
    # (tests/data/cbc-preprocess).
    max_share: list[MaxShare] = []
    resources = [Resource("staff", "Staff", budget=budget, caps=caps)]
    if rng.random() < 0.3:
        funcs["money_fixed"] = np.where(rng.random(F) < 0.5, rng.integers(1, 11, F) / 10, 0.0)
        resources.append(Resource("money", "Money"))
        max_share.append(MaxShare(round(float(rng.uniform(0.3, 0.9)), 2),
                                  tier=str(rng.choice(tier_ids)), of="money"))
    return placement.from_frames(
        "random", tiers, funcs, values=vals, sense=sense, max_moves=max_moves,
        resources=resources, max_share=max_share,
    )
