"""Scoring (docs/model.md section 2) and its independent recomputation in the checker."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import placement
from placement.model import Criterion, ScoringModel
from placement.model.scoring import performance, ramp
from placement.solution.checker import placement_values
from tests.conftest import INSTANCES


def test_ramp_endpoints_and_midpoint() -> None:
    r = ramp(np.array([10.0, 1e3, 1e5, 1e7, 1e9]), np.array(1e3), np.array(1e7))
    np.testing.assert_allclose(r, [0, 0, 0.5, 1, 1])


def test_tiny_values_match_the_hand_table() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    np.testing.assert_allclose(
        inst.value_matrix,
        [[5, 3, 1], [1, 3, 5], [3, 3.5, 4], [4, 3, 2]],
    )


def test_each_function_peaks_at_its_own_scale() -> None:
    """With per-function ramps, middle tiers can win (no 'squeezed middle')."""
    model = ScoringModel("m", "m", (
        Criterion("scale", "Scale", "up", 1.0, 1e3, 1e7),
        Criterion("local", "Local", "down", 1.0, 1e3, 1e7),
    ))
    tiers = pd.DataFrame({"id": ["n", "r", "l"], "units": [1, 100, 10_000],
                          "population": [1e7, 1e5, 1e3]})
    funcs = pd.DataFrame({"id": ["a"], "name": ["A"], "scale": [4], "local": [4],
                          "scale_hi": [1e5], "local_lo": [1e5]})
    inst = placement.from_frames("m", tiers, funcs, model=model)
    v = inst.value_matrix[0]
    assert v.argmax() == 1  # region: full scale benefit and full local knowledge
    np.testing.assert_allclose(v, [4, 8, 4])


def test_explicit_tier_performance_replaces_the_ramp() -> None:
    model = ScoringModel("m", "m", (Criterion("scale", "S", "up", 2.0, 1e3, 1e7),))
    from placement.model import Tier

    tiers = (Tier("a", "A", 1, 1e7, performance={"scale": 0.25}), Tier("b", "B", 1, 1e5))
    a = performance(model, tiers)
    np.testing.assert_allclose(a, [[0.25, 0.5]])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    F=st.integers(1, 6),
    T=st.integers(1, 5),
    C=st.integers(1, 4),
    seed=st.integers(0, 2**31 - 1),
    overrides=st.booleans(),
)
def test_checker_recomputes_the_value_matrix_independently(
    F: int, T: int, C: int, seed: int, overrides: bool
) -> None:
    rng = np.random.default_rng(seed)
    crit = tuple(
        Criterion(f"c{j}", f"c{j}", "up" if rng.random() < 0.6 else "down",
                  float(rng.uniform(0, 3)), float(10 ** rng.uniform(2, 4)),
                  float(10 ** rng.uniform(5, 8)))
        for j in range(C)
    )
    model = ScoringModel("m", "m", crit)
    tiers = pd.DataFrame({"id": [f"t{i}" for i in range(T)], "units": rng.integers(1, 100, T),
                          "population": 10 ** rng.uniform(1, 9, T)})
    funcs = pd.DataFrame({"id": [f"f{i}" for i in range(F)], "name": [f"F{i}" for i in range(F)]})
    for j in range(C):
        funcs[f"c{j}"] = rng.integers(0, 6, F)
        if overrides:
            lo = np.where(rng.random(F) < 0.5, 10 ** rng.uniform(2, 4, F), np.nan)
            funcs[f"c{j}_lo"] = lo
    inst = placement.from_frames("r", tiers, funcs, model=model)
    V = inst.value_matrix
    for t in range(T):
        np.testing.assert_allclose(placement_values(inst, np.full(F, t)), V[:, t], rtol=1e-12,
                                   atol=1e-12)


def test_cost_is_fixed_times_units_plus_variable() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    np.testing.assert_allclose(inst.cost_tensor[:, :, 0],
                               [[1, 1, 1], [0.001, 0.1, 10], [0.01, 1, 100], [1, 1, 1]])


def test_with_weights_rejects_unknown_criteria() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    assert inst.model is not None
    with pytest.raises(placement.InstanceError, match="'nope'"):
        inst.model.with_weights({"nope": 1.0})
