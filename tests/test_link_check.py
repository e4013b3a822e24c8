"""The checker's links, read with whole arrays (:mod:`placement.solution.link_check`), against a
reading one link at a time written here from docs/model.md section 4: every placement of every
bundled link instance, and random links of every kind (pairs and geographies, hard and soft,
known and unknown coterminosity) over England's seven tiers."""

from __future__ import annotations

import itertools
import math
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import placement
from placement.model import Instance, Link
from placement.solution.checker import check
from placement.solution.link_check import broken_hard_links, link_penalties, link_state
from tests.conftest import INSTANCES

LINKED = [("tiny-link-together", None), ("tiny-link-together-soft", None),
          ("tiny-link-above", None), ("tiny-link-above-soft", None),
          ("tiny-link-coterminous", None), ("tiny-link-coterminous", "loose"),
          ("tiny-link-coterminous-soft", None), ("tiny-link-coterminous-soft", "dearer"),
          ("tiny-link-geography", None), ("tiny-link-geography", "combined-authorities")]


def _kappa(inst: Instance, t: str, g: str) -> float:
    if t == g:
        return 1.0
    cot = inst.coterminosity
    if cot is None or t not in cot.index or g not in cot.index:
        return math.nan
    return float(cot.kappa[cot.index[t], cot.index[g]])


def reference(inst: Instance, a: np.ndarray) -> tuple[list[bool], list[float], list[float]]:
    """For every link, one at a time: broken, kappa and the penalty it charges."""
    fix = inst.functions.index
    tids = inst.tier_ids
    broken, kappas, charges = [], [], []
    for lk in inst.links:
        tf = int(a[fix[lk.function]])
        if lk.other is not None:
            tg = int(a[fix[lk.other]])
            k = _kappa(inst, tids[tf], tids[tg])
        else:
            members = [t.id for t in inst.tiers if t.geography == lk.geography]
            if inst.coterminosity is not None:
                members = list(inst.coterminosity.geographies.get(lk.geography, members))
            ks = [_kappa(inst, tids[tf], m) for m in members]
            k = math.nan if not ks or any(math.isnan(x) for x in ks) else max(ks)
        if lk.kind == "together":
            b = tf != tg
        elif lk.kind == "at_or_above":
            b = tf > tg
        else:
            b = not (k >= lk.kappa_min - 1e-12)
        charge = 0.0
        if b and not lk.hard:
            p = float(lk.penalty or 0.0)
            charge = p * (1 - (0.0 if math.isnan(k) else k)) if lk.kind == "coterminous" else p
        broken.append(b)
        kappas.append(k)
        charges.append(charge)
    return broken, kappas, charges


def _agree(inst: Instance, a: np.ndarray) -> None:
    broken, kappas, charges = reference(inst, a)
    s = link_state(inst, a)
    assert s.broken.tolist() == broken
    np.testing.assert_array_equal(s.kappa, np.array(kappas, dtype=float))
    np.testing.assert_array_equal(link_penalties(inst, a), np.array(charges, dtype=float))
    hard = [lk.id for lk, b in zip(inst.links, broken, strict=True) if b and lk.hard]
    assert [lk.id for lk, _ in broken_hard_links(inst, a)] == hard
    rep = check(inst, a)
    assert sorted(v.subject for v in rep.violations if v.kind == "link") == sorted(hard)


@pytest.mark.parametrize("case", LINKED, ids=lambda c: c[0] + (f"@{c[1]}" if c[1] else ""))
def test_every_placement_of_every_link_instance(case: tuple[str, str | None]) -> None:
    name, scenario = case
    inst = placement.load(INSTANCES / name).with_scenario(scenario)
    for a in itertools.product(range(inst.n_tiers), repeat=inst.n_functions):
        _agree(inst, np.array(a))


@cache
def _england() -> Instance:
    return placement.load(INSTANCES / "england-2024-uniform")


@st.composite
def _linked(draw: st.DrawFn) -> tuple[Instance, np.ndarray]:
    inst = _england()
    F, T = inst.n_functions, inst.n_tiers
    geographies = sorted({t.geography for t in inst.tiers if t.geography} | {"nowhere"})
    links = []
    for i in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["together", "at_or_above", "coterminous"]))
        f, g = draw(st.lists(st.integers(0, F - 1), min_size=2, max_size=2, unique=True))
        geography = None
        if kind == "coterminous" and draw(st.booleans()):
            geography = draw(st.sampled_from(geographies))
        links.append(Link(f"l{i}", kind, str(inst.function_ids[f]),  # type: ignore[arg-type]
                          None if geography else str(inst.function_ids[g]),
                          geography=geography,
                          kappa_min=draw(st.sampled_from([1.0, 0.9, 0.5, 0.0])),
                          penalty=draw(st.sampled_from([None, 1.0, 2.5]))))
    cot = inst.coterminosity if draw(st.booleans()) else None
    a = np.array(draw(st.lists(st.integers(0, T - 1), min_size=F, max_size=F)))
    return inst.replace(links=tuple(links), coterminosity=cot), a


@settings(max_examples=150, deadline=None)
@given(_linked())
def test_whole_array_links_agree_with_one_at_a_time(case: tuple[Instance, np.ndarray]) -> None:
    inst, a = case
    _agree(inst, a)


def test_a_placement_outside_the_tiers_charges_nothing() -> None:
    inst = placement.load(INSTANCES / "tiny-link-together-soft")
    assert link_penalties(inst, np.array([0, 1, -1, 0])).tolist() == [0.0] * len(inst.links)
