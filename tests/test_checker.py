"""The independent checker catches every kind of violation, with amounts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import placement
from placement.solution.checker import check
from tests.conftest import INSTANCES

NAT, REG, LOC = 0, 1, 2


def load(name: str):  # type: ignore[no-untyped-def]
    return placement.load(INSTANCES / name)


def kinds(rep) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(v.kind for v in rep.violations)


def test_budget_violation_with_amount() -> None:
    inst = load("tiny-budget")
    rep = check(inst, np.array([NAT, LOC, LOC, NAT]))  # 1 + 10 + 100 + 1 = 112 > 50
    assert kinds(rep) == ["budget"]
    (v,) = rep.violations
    assert v.amount == pytest.approx(112) and v.limit == 50
    assert "exceeds its budget 50 by 62" in v.message


def test_cap_violation() -> None:
    inst = load("tiny-cap")
    rep = check(inst, np.array([NAT, LOC, LOC, NAT]))
    assert kinds(rep) == ["cap"]
    assert rep.violations[0].subject == "staff@national"


def test_max_moves_violation() -> None:
    inst = load("tiny-moves")
    rep = check(inst, np.array([NAT, LOC, LOC, NAT]))
    assert kinds(rep) == ["max_moves"]


def test_pinned_and_allowed_violations() -> None:
    inst = load("tiny-infeasible")
    fn = inst.functions
    allowed = fn.allowed.copy()
    allowed[0, LOC] = False
    inst = inst.replace(functions=fn.replace(allowed=allowed),
                        resources=tuple(dataclasses.replace(r, budget=None)
                                        for r in inst.resources))
    rep = check(inst, np.array([LOC, NAT, LOC, NAT]))
    assert kinds(rep) == ["allowed", "pinned"]


def test_wrong_claimed_objective_is_caught() -> None:
    inst = load("tiny-budget")
    rep = check(inst, np.array([NAT, LOC, REG, NAT]), claimed_objective=18.0)
    assert kinds(rep) == ["objective"]
    assert rep.objective == pytest.approx(17.5)


def test_fractional_and_double_assignment_are_caught() -> None:
    inst = load("tiny-budget")
    X = np.zeros((4, 3))
    X[0, NAT] = 1
    X[1, [REG, LOC]] = 1  # two tiers
    X[2, REG] = 0.5  # fractional
    X[3, NAT] = 1
    rep = check(inst, X.argmax(axis=1), x_matrix=X)
    assert "assignment" in kinds(rep) and "integrality" in kinds(rep)


def test_a_correct_placement_passes() -> None:
    inst = load("tiny-budget")
    rep = check(inst, np.array([NAT, LOC, REG, NAT]), claimed_objective=17.5)
    assert rep.ok and rep.objective == pytest.approx(17.5)
