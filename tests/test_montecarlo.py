"""``placement.analysis.monte_carlo``: every draw's placement is a proven optimum at its drawn
weights (checked by an independent solve, screened draws included); the same seed gives the
same draws and shares whatever the number of workers; the draws have the model's mean and
total; bad parameters are located errors."""

from __future__ import annotations

import numpy as np
import pytest

import placement
from placement.analysis import monte_carlo
from placement.analysis.montecarlo import draw_weights
from placement.errors import InfeasibleError, InstanceError
from placement.model import Instance
from tests.conftest import GAP_DIR, INSTANCES

SCORED = ["tiny-budget", "tiny-cap", "tiny-moves", "tiny-link-together-soft",
          "tiny-link-above-soft", "tiny-link-coterminous-soft"]


def _independent_optimum(inst: Instance, weights: np.ndarray) -> float:
    assert inst.model is not None
    r = placement.solve(inst.replace(model=inst.model.with_weights(weights)))
    assert r.objective is not None and r.check is not None and r.check.ok
    return float(r.objective)


@pytest.mark.parametrize("name", SCORED)
def test_every_draw_is_an_optimum_at_its_weights(name: str) -> None:
    mc = monte_carlo(placement.load(INSTANCES / name), 30, seed=3, concentration=5.0)
    inst = mc.instance
    assert inst.model is not None
    for i in range(mc.samples):
        weighted = inst.replace(model=inst.model.with_weights(mc.weights[i]))
        rep = placement.solution.checker.check(weighted, mc.assignments[i].astype(np.int64))
        assert rep.ok, rep.summary()  # the recorded placement is feasible ...
        best = _independent_optimum(inst, mc.weights[i])
        assert rep.objective == pytest.approx(best, abs=1e-7)  # ... and optimal
        assert mc.objectives[i] == pytest.approx(best, abs=1e-7)


def test_england_draws_including_screened_ones() -> None:
    mc = monte_carlo(placement.load(INSTANCES / "england-2024-uniform"), 60, seed=11)
    inst = mc.instance
    same = (mc.assignments == mc.optimum[None, :]).all(axis=1)
    # check some draws that kept the optimum (some were screened without a solve) and some
    # that moved functions
    picks = [*np.nonzero(same)[0][:3].tolist(), *np.nonzero(~same)[0][:4].tolist()]
    assert picks
    for i in picks:
        assert mc.objectives[i] == pytest.approx(_independent_optimum(inst, mc.weights[i]),
                                                 abs=1e-7)


def test_same_seed_same_result_whatever_the_workers() -> None:
    inst = placement.load(INSTANCES / "tiny-link-together-soft")
    one = monte_carlo(inst, 50, seed=5, workers=1)
    two = monte_carlo(inst, 50, seed=5, workers=2, chunk_size=7)
    again = monte_carlo(inst, 50, seed=5)
    other = monte_carlo(inst, 50, seed=6)
    for mc in (two, again):
        np.testing.assert_array_equal(mc.weights, one.weights)
        np.testing.assert_array_equal(mc.assignments, one.assignments)
        assert mc.shares.equals(one.shares)
    assert not np.array_equal(other.weights, one.weights)


def test_shares_count_the_assignments() -> None:
    mc = monte_carlo(placement.load(INSTANCES / "tiny-budget"), 200, seed=2)
    sh = mc.shares
    np.testing.assert_allclose(sh.sum(axis=1), 1.0)
    tids = list(mc.instance.tier_ids)
    for f, fid in enumerate(mc.instance.function_ids):
        for t, tid in enumerate(tids):
            assert sh.loc[fid, tid] == pytest.approx((mc.assignments[:, f] == t).mean())
    frame = mc.frame()
    assert (frame["optimum"] == placement.solve(mc.instance).tiers).all()


def test_draws_keep_the_total_and_the_mean() -> None:
    w = np.array([1.0, 2.0, 0.0, 3.0])
    W = draw_weights(w, 20_000, 50.0, seed=0)
    np.testing.assert_allclose(W.sum(axis=1), 6.0)
    assert (W[:, 2] == 0).all() and (W >= 0).all()
    np.testing.assert_allclose(W.mean(axis=0), w, atol=0.02)
    # the spread the module docstring promises: sd of a share = sqrt(m (1 - m) / (K + 1))
    m = w[3] / 6.0
    assert (W[:, 3] / 6.0).std() == pytest.approx(np.sqrt(m * (1 - m) / 51), rel=0.03)
    wider = draw_weights(w, 20_000, 5.0, seed=0)
    assert wider[:, 3].std() > 2 * W[:, 3].std()


def test_bad_parameters_and_instances_are_located() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    for kwargs, where in (({"samples": 0}, "--samples"), ({"samples": 2.5}, "--samples"),
                          ({"samples": 5, "concentration": 0.0}, "--concentration"),
                          ({"samples": 5, "workers": 0}, "--workers")):
        with pytest.raises(InstanceError, match=where):
            monte_carlo(inst, **kwargs)  # type: ignore[arg-type]
    gap = placement.load(GAP_DIR / "c0515_1", input_format="orlib-gap")
    with pytest.raises(InstanceError, match="scoring model"):
        monte_carlo(gap, 5)
    with pytest.raises(InfeasibleError):
        monte_carlo(placement.load(INSTANCES / "tiny-infeasible"), 5)
