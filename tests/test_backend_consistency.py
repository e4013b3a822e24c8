"""Backends against each other: no backend's claimed bound may cut off another's incumbent.

A bound is a proof: "no placement is better than this". So for every pair of backends A and B
on the same instance, B's bound must be no better than A's objective (for any placement A
found, checked). Brute force (tests/test_backends.py) settles small instances; these tests
hold every backend to the others where enumeration is out of reach, at a time limit and at
the optimum, and keep the instance on which CBC's preprocessing claimed a wrong optimum.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import placement
from placement.io.synthetic import generate
from placement.milp import build
from placement.model import MaxShare
from placement.solvers import Status
from tests.conftest import BACKENDS, GAP_DIR, ROOT

CBC_PREPROCESS = ROOT / "tests" / "data" / "cbc-preprocess"


@pytest.mark.parametrize("solver", BACKENDS)
def test_every_backend_finds_the_hand_solved_optimum_cbc_preprocessing_missed(
    solver: str,
) -> None:
    # tests/data/cbc-preprocess/README.md: 22, where CBC with preprocessing claimed 23
    r = placement.solve(placement.load(CBC_PREPROCESS), solver, threads=1)
    assert r.status is Status.OPTIMAL, r.message
    assert r.objective == pytest.approx(22.0, abs=1e-9)
    assert r.bound is not None and r.bound <= 22.0 + 1e-6
    assert r.check is not None and r.check.ok, r.check
    assert r.tiers["f0"] == "t0" and r.tiers["f1"] == "t1"


@pytest.mark.parametrize("solver", BACKENDS)
def test_every_backend_finds_the_c0824_4_optimum_cbc_probing_missed(solver: str) -> None:
    # bounds.tsv: 384 proven; CBC 2.10.3 with probing cuts claimed 385 optimal
    r = placement.solve(placement.load(GAP_DIR / "c0824_4", input_format="orlib-gap"), solver,
                        threads=1)
    assert r.status is Status.OPTIMAL, r.message
    assert r.objective == 384.0 and r.bound == 384.0
    assert r.check is not None and r.check.ok


def _assert_consistent(inst: placement.Instance, results: dict[str, placement.Result]) -> None:
    sign = 1.0 if inst.sense == "max" else -1.0
    for (a, ra), (b, rb) in itertools.product(results.items(), repeat=2):
        if ra.objective is None or rb.bound is None:
            continue
        assert ra.check is not None and ra.check.ok, (a, ra.check)
        tol = 1e-6 * max(1.0, abs(ra.objective))
        # maximising: every bound >= every incumbent; minimising: <=
        assert sign * (rb.bound - ra.objective) >= -tol, (
            f"{b}'s bound {rb.bound} cuts off {a}'s checked placement {ra.objective}")


def _with_resource_share(inst: placement.Instance) -> placement.Instance:
    """Add a share limit on the staff used at the second tier (the CBC-preprocessing shape)."""
    return inst.replace(max_share=(*inst.max_share,
                                   MaxShare(0.3, tier=inst.tiers[1].id, of="staff")))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_backends_agree_at_the_optimum_of_medium_instances(seed: int) -> None:
    # 150 x 5 with links and a tight budget: every backend proves an optimum in seconds
    inst = _with_resource_share(generate(150, 5, seed=seed, budget_tightness=0.9,
                                         link_density=0.1))
    results = {s: placement.solve(inst, s, threads=1, time_limit=60) for s in BACKENDS}
    statuses = {s: r.status for s, r in results.items()}
    assert set(statuses.values()) <= {Status.OPTIMAL, Status.INFEASIBLE}, statuses
    assert len(set(statuses.values())) == 1, statuses
    optima = {s: r.objective for s, r in results.items() if r.objective is not None}
    if optima:
        first = next(iter(optima.values()))
        assert all(v == pytest.approx(first, rel=1e-7, abs=1e-6) for v in optima.values()), optima
    _assert_consistent(inst, results)


@pytest.mark.parametrize("sense", ["min", "max"])
def test_time_limited_bounds_never_cut_off_another_backends_incumbent(sense: str) -> None:
    # d05100: no backend proves its optimum within a second; each stops with a bound and a
    # placement, and each bound must hold for every other backend's placement
    inst = placement.load(GAP_DIR / "d05100", input_format="orlib-gap")
    if sense == "max":
        assert inst.values is not None
        inst = inst.replace(sense="max", values=-inst.values)
    results = {s: placement.solve(inst, s, threads=1, time_limit=1) for s in BACKENDS}
    assert all(r.objective is not None and r.bound is not None for r in results.values()), {
        s: (r.status, r.message) for s, r in results.items()}
    _assert_consistent(inst, results)


def test_whole_number_objectives_and_bounds_where_the_data_are_integral() -> None:
    # OR-Library costs are integers: a solver's 0.9999999 must not print as 23306.999999999
    inst = placement.load(GAP_DIR / "c0515_1", input_format="orlib-gap")
    form = build(inst)
    assert form.integral_objective
    r = placement.solve(inst, "highs", threads=1)
    x = np.zeros(form.n_cols)
    X = x[: form.n_x].reshape(form.n_functions, form.n_units)
    X[np.arange(form.n_functions), r.assignment] = 1.0 - 1e-7  # as a solver may return it
    assert form.objective_of(x) == r.objective and float(r.objective).is_integer()
    assert form.round_bound(r.objective - 0.5) == r.objective  # min: the bound rounds up
    assert form.round_bound(r.objective - 1e-9) == r.objective
    # fractional costs: nothing is rounded
    frac = build(placement.load(ROOT / "instances" / "tiny-cap"))
    assert not frac.integral_objective
    assert frac.round_bound(1.25) == 1.25
