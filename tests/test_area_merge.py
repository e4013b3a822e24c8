"""Alike areas merged (placement.model.area_merge): the same optimum as the model solved whole,
checked on the instance as given; areas that differ, or that a rule names, are kept apart.

The instances are England's 166 pieces cut into smaller areas (each piece's people shared at
random, its neighbourhoods in the same proportion, so every cut area is alike the others of its
piece): the optimum must be England's, and the plain solve of the cut instance (no merging)
must agree with the merged one.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import placement
from placement.model.area_merge import merge_alike_areas
from placement.model.geography import AREA_SCOPE, Areas, CurrentRule, Geography, TierUnits

ROOT = Path(__file__).resolve().parents[1]
ENGLAND = ROOT / "instances" / "england-2024"


def cut(inst: placement.Instance, k: int, seed: int, *, perturb: float = 0.0
        ) -> placement.Instance:
    """Each area of ``inst`` cut into ``k`` areas sharing its people at random (its finer
    bodies in the same proportion); with ``perturb``, that share of the cut areas get other
    indicator values (so they are no longer alike their siblings)."""
    geo = inst.geography
    assert geo is not None
    rng = np.random.default_rng(seed)
    A = len(geo.areas)
    parent = np.repeat(np.arange(A), k)
    w = rng.dirichlet(np.ones(k), size=A).ravel()
    ar = geo.areas
    values = np.asarray(ar.values, dtype=float)[parent].copy()
    hit = rng.random(values.shape[0]) < perturb
    values[hit] = values[hit] * rng.uniform(0.8, 1.0, size=(int(hit.sum()), values.shape[1]))
    ids = np.array([f"{i}~{j}" for i in ar.ids for j in range(k)], dtype=object)
    names = np.array([f"{n} ({j})" for n in ar.names for j in range(k)], dtype=object)
    areas = Areas(ids, names, ar.population[parent] * w, ar.indicators, values, "cut")
    tiers = {}
    for tid, tu in geo.tiers.items():
        if tu.finer:
            tiers[tid] = TierUnits(tid, np.arange(A * k), ids.copy(), names.copy(),
                                   tu.bodies[parent] * w, finer=True, how=tu.how)
        else:
            tiers[tid] = TierUnits(tid, tu.unit[parent], tu.codes, tu.names, tu.bodies,
                                   finer=False, how=tu.how)
    return inst.replace(geography=Geography(areas, tiers, geo.availability, geo.current,
                                            geo.unit_caps))


@pytest.fixture(scope="module")
def england() -> placement.Instance:
    return placement.load(ENGLAND)


@pytest.fixture(scope="module")
def england_optimum(england: placement.Instance) -> float:
    r = placement.solve(england)
    assert r.extra.get("merged_areas") is None  # every piece differs from every other
    return float(r.objective)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-7 * max(1.0, abs(b))


@pytest.mark.parametrize("seed", [1, 2])
def test_cut_england_merges_back_to_its_pieces_with_the_same_optimum(
        england: placement.Instance, england_optimum: float, seed: int) -> None:
    fine = cut(england, 3, seed)
    merged = placement.solve(fine)
    assert merged.extra["merged_areas"] == {"areas": 3 * 166, "solved_as": 166}
    assert merged.status.value == "optimal" and merged.check is not None and merged.check.ok
    assert merged.assignment is not None and merged.assignment.shape == (58, 3 * 166)
    assert _close(merged.objective, england_optimum)
    whole = placement.solve(fine, structure=False)  # the cut model, nothing merged
    assert whole.extra.get("merged_areas") is None
    assert _close(whole.objective, england_optimum)


def test_areas_with_other_needs_stay_apart_and_the_optimum_is_the_whole_models(
        england: placement.Instance) -> None:
    """With heterogeneity counted, pooling areas of different needs would change a unit's
    value: they must not merge, and the merged solve must equal the whole one."""
    assert england.model is not None
    model = dataclasses.replace(england.model, heterogeneity=2.0)
    fine = cut(england.replace(model=model), 2, 7, perturb=0.3)
    merged = placement.solve(fine)
    info = merged.extra["merged_areas"]
    assert 166 < info["solved_as"] < 2 * 166
    assert merged.check is not None and merged.check.ok
    whole = placement.solve(fine, structure=False)
    assert _close(merged.objective, whole.objective)


def test_an_area_a_rule_names_keeps_its_own_area(england: placement.Instance) -> None:
    fine = cut(england, 2, 3)
    geo = fine.geography
    assert geo is not None
    rule = CurrentRule("medicines_procurement", AREA_SCOPE, str(geo.areas.ids[4]), "ics")
    named = fine.replace(geography=dataclasses.replace(geo, current=(*geo.current, rule)))
    m = merge_alike_areas(named)
    assert m is not None and m.n_groups == 167
    alone = m.group[4]
    assert (m.group == alone).sum() == 1 and m.group[5] != alone
    assert m.instance.geography is not None
    assert m.instance.geography.areas.ids[alone] == geo.areas.ids[4]
    r = placement.solve(named)
    assert r.check is not None and r.check.ok
    assert _close(r.objective, placement.solve(named, structure=False).objective)


def test_instances_without_alike_areas_are_solved_as_given() -> None:
    for name in ("tiny-areas", "england-2024-uniform"):
        inst = placement.load(ROOT / "instances" / name)
        assert merge_alike_areas(inst) is None
