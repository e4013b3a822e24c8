"""Subsidiarity (docs/model.md section 6): the most local placement within epsilon of the
optimum."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import placement
from placement.model import Instance
from placement.solution.checker import check
from placement.solution.subsidiarity import centrality, value_floor
from tests.conftest import BACKENDS, INSTANCES, ROOT


def _enumerate_subsidiarity(inst: Instance, eps: float) -> tuple[int, float]:
    """Least centrality, then best value, over every feasible placement within eps of v*."""
    T, F = inst.n_tiers, inst.n_functions
    feasible = []
    for combo in itertools.product(range(T), repeat=F):
        a = np.array(combo)
        rep = check(inst, a)
        if rep.ok:
            feasible.append((a, float(rep.objective)))
    sign = 1.0 if inst.sense == "max" else -1.0
    v_star = max(sign * v for _, v in feasible) * sign
    floor = value_floor(v_star, eps, inst.sense)
    ok = [(centrality(a, T), v) for a, v in feasible
          if (v >= floor - 1e-9 if inst.sense == "max" else v <= floor + 1e-9)]
    c_min = min(c for c, _ in ok)
    best = max(sign * v for c, v in ok if c == c_min) * sign
    return c_min, best


@pytest.mark.parametrize("solver", BACKENDS)
def test_tiny_budget_subsidiarity_by_hand(solver: str) -> None:
    """tiny-budget, v* = 17.5 (procurement N, prevention L, commissioning R, workforce N;
    centrality 2 + 0 + 1 + 2 = 5). With epsilon 0.1 the floor is 15.75: moving workforce to
    region loses 1 (16.5, centrality 4); any further step down loses at least 1.5 more."""
    inst = placement.load(INSTANCES / "tiny-budget")
    r = placement.solve(inst, solver, subsidiarity=0.1)
    rep = r.subsidiarity
    assert rep is not None
    assert rep.optimum == pytest.approx(17.5) and rep.floor == pytest.approx(15.75)
    s1, s2 = rep.stages
    assert (s1.objective, s1.centrality) == (pytest.approx(17.5), 5)
    assert (s2.objective, s2.centrality) == (pytest.approx(16.5), 4)
    assert r.objective == pytest.approx(16.5) and rep.within_epsilon
    assert r.tiers.to_dict() == {"procurement": "national", "prevention": "local",
                                 "commissioning": "region", "workforce": "region"}
    assert r.check is not None and r.check.ok
    assert rep.moved_down == [{"function": "workforce", "from": "national", "to": "region"}]
    assert s2.functions_per_tier == {"national": 1, "region": 2, "local": 1}


def test_epsilon_zero_keeps_the_optimum_and_breaks_ties_locally() -> None:
    # two functions indifferent between tiers: subsidiarity with epsilon 0 picks the local one
    tiers = pd.DataFrame({"id": ["centre", "middle", "local"], "units": [1, 5, 50],
                          "population": [1e6, 2e5, 2e4]})
    funcs = pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"]})
    vals = pd.DataFrame([[2.0, 2.0, 2.0], [3.0, 1.0, 3.0]], columns=["centre", "middle", "local"],
                        index=["a", "b"])
    inst = placement.from_frames("ties", tiers, funcs, values=vals)
    r = placement.solve(inst, subsidiarity=0.0)
    assert r.objective == pytest.approx(5.0)
    assert r.tiers.to_dict() == {"a": "local", "b": "local"}
    assert r.subsidiarity.stages[1].centrality == 0


@pytest.mark.parametrize("sense", ["max", "min"])
def test_negative_optimum_floor_is_a_relaxation(sense: str) -> None:
    """v* < 0: the floor v* - eps|v*| (max) or v* + eps|v*| (min) never excludes v* itself."""
    tiers = pd.DataFrame({"id": ["centre", "local"], "units": [1, 10], "population": [1e6, 1e5]})
    funcs = pd.DataFrame({"id": ["a", "b", "c"], "name": ["A", "B", "C"]})
    raw = [[-1.0, -2.0], [-3.0, -3.5], [-2.0, -2.2]] if sense == "max" else [
        [-2.0, -1.0], [-3.5, -3.0], [-2.2, -2.0]]
    vals = pd.DataFrame(raw, columns=["centre", "local"], index=["a", "b", "c"])
    inst = placement.from_frames("neg", tiers, funcs, values=vals, sense=sense)  # type: ignore[arg-type]
    r = placement.solve(inst, subsidiarity=0.15)
    v_star = r.subsidiarity.optimum
    assert v_star < 0
    assert r.subsidiarity.floor == pytest.approx(v_star - 0.15 * abs(v_star) if sense == "max"
                                                 else v_star + 0.15 * abs(v_star))
    c_min, best = _enumerate_subsidiarity(inst, 0.15)
    assert r.subsidiarity.stages[1].centrality == c_min
    assert r.objective == pytest.approx(best)
    assert r.subsidiarity.within_epsilon


def test_subsidiarity_on_links_matches_enumeration() -> None:
    for name in ("tiny-link-together-soft", "tiny-link-coterminous", "tiny-link-above-soft"):
        inst = placement.load(INSTANCES / name)
        for eps in (0.05, 0.2, 0.5):
            r = placement.solve(inst, subsidiarity=eps)
            c_min, best = _enumerate_subsidiarity(inst.with_scenario(None), eps)
            assert r.subsidiarity.stages[1].centrality == c_min, (name, eps)
            assert r.objective == pytest.approx(best), (name, eps)


def test_bad_epsilon_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        placement.solve(placement.load(INSTANCES / "tiny-budget"), subsidiarity=1.5)


def test_infeasible_instance_with_subsidiarity_gets_a_diagnosis() -> None:
    r = placement.solve(placement.load(INSTANCES / "tiny-infeasible"), subsidiarity=0.1)
    assert not r.has_solution and r.subsidiarity is None and r.diagnosis is not None


def test_cli_subsidiarity_json_and_table(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve",
                        str(INSTANCES / "tiny-budget"), "--subsidiarity", "0.1", "-f", "json",
                        "-o", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    d = json.loads(out.read_text())
    assert d["objective"] == pytest.approx(16.5)
    sub = d["subsidiarity"]
    assert [s["stage"] for s in sub["stages"]] == ["optimum", "subsidiarity"]
    assert [s["centrality"] for s in sub["stages"]] == [5, 4]
    assert sub["within_epsilon"] is True and sub["floor"] == pytest.approx(15.75)
    # baselines compare with the optimum v*, not with the subsidiarity placement
    assert d["baselines"]["price_of_uniformity"] == pytest.approx(4.5 / 17.5)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve",
                        str(INSTANCES / "tiny-budget"), "--subsidiarity", "0.1"],
                       capture_output=True, text=True, cwd=ROOT)
    assert "Subsidiarity (epsilon 0.1" in p.stdout and "workforce national -> region" in p.stdout
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve",
                        str(INSTANCES / "tiny-budget"), "--subsidiarity", "2"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "Traceback" not in p.stderr
