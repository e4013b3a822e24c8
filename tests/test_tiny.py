"""Hand-solved tiny instances (optima worked out in instances/*/README.md), every backend."""

from __future__ import annotations

import pytest

import placement
from placement.solvers import Status
from tests.conftest import BACKENDS, INSTANCES, brute_force

HAND = {
    # instance: (optimum, the unique optimal placement)
    "tiny-budget": (17.5, {"procurement": "national", "prevention": "local",
                           "commissioning": "region", "workforce": "national"}),
    "tiny-cap": (17.0, {"procurement": "national", "prevention": "local",
                        "commissioning": "local", "workforce": "region"}),
    "tiny-moves": (17.0, {"procurement": "national", "prevention": "local",
                          "commissioning": "national", "workforce": "national"}),
}


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("name", sorted(HAND))
def test_tiny_optimum_matches_hand(name: str, solver: str) -> None:
    inst = placement.load(INSTANCES / name)
    r = placement.solve(inst, solver)
    optimum, where = HAND[name]
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(optimum, abs=1e-6)
    assert r.check is not None and r.check.ok, r.check.summary()
    assert r.tiers.to_dict() == where


@pytest.mark.parametrize("solver", BACKENDS)
def test_tiny_infeasible(solver: str) -> None:
    inst = placement.load(INSTANCES / "tiny-infeasible")
    r = placement.solve(inst, solver)
    assert r.status is Status.INFEASIBLE
    assert not r.has_solution


@pytest.mark.parametrize("name", sorted(HAND) + ["tiny-infeasible"])
def test_hand_optimum_agrees_with_enumeration(name: str) -> None:
    inst = placement.load(INSTANCES / name)
    best, _ = brute_force(inst)
    if name == "tiny-infeasible":
        assert best is None
    else:
        assert best == pytest.approx(HAND[name][0])


def test_without_budget_the_optimum_is_18() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    free = inst.replace(resources=tuple(r.__class__(r.id, r.name) for r in inst.resources))
    assert placement.solve(free).objective == pytest.approx(18.0)


def test_status_quo_evaluation() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    r = placement.evaluate(inst, "current")
    assert r.objective == pytest.approx(13.0)  # 5 + 1 + 3 + 4, everything national
    assert r.status is Status.FEASIBLE
