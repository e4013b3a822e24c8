"""Property-based tests over random small instances with budgets, caps, pins, max_moves,
max_share and links of every kind: the engine's optimum equals enumeration over the
independent checker, adding a constraint never improves it, relaxing a budget never worsens
it, subsidiarity is never more central and stays within epsilon, and infeasible instances get
a diagnosis the checker confirms."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placement
from placement.model import Instance, Link, MaxShare
from placement.solution.subsidiarity import centrality, value_floor
from placement.solvers import Status
from tests.conftest import BACKENDS, brute_force
from tests.strategies import valued_instances

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _better_or_equal(a: float, b: float, sense: str) -> bool:
    """a is at least as good as b."""
    return a >= b - 1e-6 if sense == "max" else a <= b + 1e-6


@SETTINGS
@given(valued_instances())
def test_optimum_equals_enumeration_and_checker_passes(inst: Instance) -> None:
    best, _ = brute_force(inst)
    r = placement.solve(inst)
    if best is None:
        assert r.status is Status.INFEASIBLE
        d = r.diagnosis
        assert d is not None and d.verified, str(d)
        assert d.relaxations, "an infeasible instance must need some relaxation"
    else:
        assert r.status is Status.OPTIMAL
        assert r.check is not None and r.check.ok, r.check.summary()
        assert r.objective == pytest.approx(best, abs=1e-6)
        b = r.baselines
        assert b is not None
        for row in b["one_size"].values():
            if row["feasible"]:
                assert _better_or_equal(best, row["value"], inst.sense)
        if b["price_of_uniformity"] is not None:
            assert b["price_of_uniformity"] >= -1e-9


@SETTINGS
@given(valued_instances(), st.data())
def test_adding_a_constraint_never_improves(inst: Instance, data: st.DataObject) -> None:
    base, _ = brute_force(inst)
    choice = data.draw(st.sampled_from(["link", "budget", "share", "pin"]))
    fids = list(inst.functions.ids)
    if choice == "link":
        f, g = data.draw(st.lists(st.sampled_from(fids), min_size=2, max_size=2, unique=True))
        kind = data.draw(st.sampled_from(["together", "coterminous", "at_or_above"]))
        tighter = inst.replace(links=(*inst.links, Link("extra", kind, f, g)))
    elif choice == "budget":
        res = inst.resources[0]
        use = float(inst.cost_tensor[:, :, 0].min(axis=1).sum())
        limit = data.draw(st.floats(0, use + 5, allow_nan=False))
        tighter = inst.replace(resources=(dataclasses.replace(
            res, budget=limit if res.budget is None else min(res.budget, limit)),))
    elif choice == "share":
        tighter = inst.replace(max_share=(*inst.max_share, MaxShare(0.5)))
    else:
        f = data.draw(st.integers(0, len(fids) - 1))
        ok = np.nonzero(inst.functions.allowed[f])[0]
        pinned = inst.functions.pinned.copy()
        if pinned[f] == -1:  # pinning an unpinned function adds a constraint; moving a pin not
            pinned[f] = data.draw(st.sampled_from(ok.tolist()))
        tighter = inst.replace(functions=inst.functions.replace(pinned=pinned))
    r = placement.solve(tighter)
    if base is None:
        assert r.status is Status.INFEASIBLE
        return
    if r.status is Status.INFEASIBLE:
        return
    assert r.check is not None and r.check.ok
    assert _better_or_equal(base, r.objective, inst.sense)
    assert r.objective == pytest.approx(brute_force(tighter)[0], abs=1e-6)


@SETTINGS
@given(valued_instances(), st.floats(0, 10, allow_nan=False))
def test_relaxing_a_budget_never_worsens(inst: Instance, more: float) -> None:
    res = inst.resources[0]
    if res.budget is None:
        return
    looser = inst.replace(resources=(dataclasses.replace(res, budget=res.budget + more),))
    r0 = placement.solve(inst)
    r1 = placement.solve(looser)
    if r0.has_solution:
        assert r1.has_solution and r1.check is not None and r1.check.ok
        assert _better_or_equal(r1.objective, r0.objective, inst.sense)


@SETTINGS
@given(valued_instances(), st.sampled_from([0.0, 0.05, 0.2, 0.5]))
def test_subsidiarity_is_never_more_central_and_within_epsilon(inst: Instance,
                                                                eps: float) -> None:
    plain = placement.solve(inst)
    if not plain.has_solution:
        return
    r = placement.solve(inst, subsidiarity=eps)
    assert r.check is not None and r.check.ok, r.check.summary()
    T = inst.n_tiers
    assert centrality(r.assignment, T) <= centrality(plain.assignment, T)
    floor = value_floor(plain.objective, eps, inst.sense)
    assert _better_or_equal(r.check.objective, floor, inst.sense)
    assert r.subsidiarity.within_epsilon
    assert r.subsidiarity.optimum == pytest.approx(plain.objective, abs=1e-6)


@pytest.mark.parametrize("solver", [b for b in BACKENDS if b != "highs"])
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(inst=valued_instances())
def test_backends_agree_on_random_instances(inst: Instance, solver: str) -> None:
    a = placement.solve(inst)
    b = placement.solve(inst, solver)
    assert a.status == b.status
    if a.has_solution:
        assert b.check is not None and b.check.ok, b.check.summary()
        assert b.objective == pytest.approx(a.objective, abs=1e-5)
