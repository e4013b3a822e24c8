"""``placement.analysis.forcing_costs``: every entry equals the objective difference of an
independent solve with the function pinned at the tier (and explain's own number); the
runner-up and margin are explain's; random instances agree with enumeration."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import placement
from placement.analysis import explain, forcing_costs
from placement.errors import InfeasibleError
from placement.model import NO_TIER, Instance
from tests.conftest import BACKENDS, INSTANCES, brute_force
from tests.strategies import valued_instances
from tests.test_explain import FEASIBLE, pinned_at


def _pinned_costs(inst: Instance) -> np.ndarray:
    """(F, T) forcing costs by independent pinned solves (NaN where impossible)."""
    s = 1.0 if inst.sense == "max" else -1.0
    ref = placement.solve(inst)
    assert ref.objective is not None and ref.assignment is not None
    F, T = inst.n_functions, inst.n_tiers
    out = np.full((F, T), np.nan)
    fn = inst.functions
    for f in range(F):
        for t in range(T):
            if t == ref.assignment[f]:
                out[f, t] = 0.0
            elif fn.allowed[f, t] and fn.pinned[f] == NO_TIER:
                r = placement.solve(pinned_at(inst, f, t))
                if r.objective is not None:
                    out[f, t] = s * (ref.objective - r.objective)
    return out


@pytest.mark.parametrize("name", FEASIBLE)
def test_every_entry_equals_a_pinned_resolve_and_explain(name: str) -> None:
    fc = forcing_costs(placement.load(INSTANCES / name))
    inst = fc.instance  # optional tiers no scenario enables are dropped, as solve drops them
    np.testing.assert_allclose(fc.costs, _pinned_costs(inst), atol=1e-9, equal_nan=True)
    summary = fc.summary()
    for fid in inst.function_ids.tolist():
        e = explain(inst, fid, minimal_moves=False)
        f = inst.functions.index[fid]
        for t, o in enumerate(e.options):
            assert fc.status[f, t] == o.status, (fid, o.tier)
            if o.cost is None:
                assert np.isnan(fc.costs[f, t])
            else:
                assert fc.costs[f, t] == pytest.approx(o.cost, abs=1e-9)
        assert summary.loc[fid, "tier"] == e.tier
        assert (summary.loc[fid, "runner_up"] or None) == e.runner_up
        if e.runner_up is not None:
            assert summary.loc[fid, "margin"] == pytest.approx(e.forcing[e.runner_up].cost)


def test_tiny_budget_by_hand() -> None:
    """instances/tiny-budget/README.md: the optimum 17.5 puts commissioning at region
    because the budget (50) cannot pay for it locally; at national it would lose 0.5."""
    fc = forcing_costs(placement.load(INSTANCES / "tiny-budget"))
    assert fc.objective == pytest.approx(17.5)
    f = fc.frame()
    assert f.loc["commissioning", "national"] == pytest.approx(0.5)
    assert np.isnan(f.loc["commissioning", "local"])
    assert fc.status[fc.instance.functions.index["commissioning"], 2] == "infeasible"
    assert (fc.costs[~np.isnan(fc.costs)] >= 0).all()
    assert (fc.costs[np.arange(4), fc.assignment] == 0).all()
    doc = json.loads(fc.to_json())
    row = next(r for r in doc["functions"] if r["function"] == "commissioning")
    assert row["forcing_cost"]["local"] is None and row["runner_up"] == "national"


def test_england_sample_matches_pinned_resolves() -> None:
    inst = placement.load(INSTANCES / "england-2024-uniform")
    fc = forcing_costs(inst)
    ref = placement.solve(inst)
    assert fc.objective == pytest.approx(ref.objective)
    s = fc.summary()
    # the closest calls and the widest margin, checked by independent pinned solves
    for fid in [*s["margin"].nsmallest(3).index, s["margin"].idxmax()]:
        f = inst.functions.index[fid]
        t = inst.tier_index[s.loc[fid, "runner_up"]]
        r = placement.solve(pinned_at(inst, f, t))
        assert ref.objective - r.objective == pytest.approx(s.loc[fid, "margin"], abs=1e-7)
    pinned = inst.functions.pinned != NO_TIER
    assert (fc.status[pinned] != "forced").all()
    assert s.loc[pinned, "possible_tiers"].eq(1).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_backends_agree(backend: str) -> None:
    inst = placement.load(INSTANCES / "tiny-link-together-soft")
    ref = forcing_costs(inst)
    other = forcing_costs(inst, solver=backend)
    np.testing.assert_allclose(other.costs, ref.costs, atol=1e-6, equal_nan=True)


def test_infeasible_instance_raises() -> None:
    with pytest.raises(InfeasibleError):
        forcing_costs(placement.load(INSTANCES / "tiny-infeasible"))


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(valued_instances())
def test_random_instances_agree_with_enumeration(inst: Instance) -> None:
    best, _ = brute_force(inst)
    if best is None:
        with pytest.raises(InfeasibleError):
            forcing_costs(inst)
        return
    fc = forcing_costs(inst)
    s = 1.0 if inst.sense == "max" else -1.0
    for f in range(inst.n_functions):
        for t in range(inst.n_tiers):
            if fc.status[f, t] not in ("forced", "infeasible"):
                continue
            forced, _ = brute_force(pinned_at(inst, f, t))
            if forced is None:
                assert fc.status[f, t] == "infeasible"
            else:
                assert fc.costs[f, t] == pytest.approx(s * (best - forced), abs=1e-6)


def test_a_placement_the_checker_rejects_stops_the_analysis(monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """Costs are differences of the checker's objectives; a rejected placement is a bug to
    report (CheckerError, CLI exit 4), never a number in the table."""
    import placement.solution.checker as checker
    from placement.errors import CheckerError

    inst = placement.load(INSTANCES / "tiny-budget")
    real = checker.check
    calls = []

    def strict(inst_: Instance, a: np.ndarray, claimed: float | None = None,
               **kw: object) -> checker.CheckReport:
        rep = real(inst_, a, claimed)
        calls.append(a.copy())
        if len(calls) == 3:  # the second forced placement
            rep.violations.append(checker.Violation("budget", "staff", 60.0, 50.0,
                                                    "staff used 60 exceeds its budget 50"))
        return rep

    monkeypatch.setattr(checker, "check", strict)
    with pytest.raises(CheckerError, match="exceeds its budget"):
        forcing_costs(inst)
    assert len(calls) == 3


def test_forcing_costs_are_the_same_on_local_processes() -> None:
    from placement.util.executor import ProcessExecutor

    inst = placement.load("instances/tiny-budget")
    serial = forcing_costs(inst)
    two = forcing_costs(inst, executor=ProcessExecutor(2))
    assert np.array_equal(serial.costs, two.costs, equal_nan=True)
    assert (serial.status == two.status).all() and serial.solves == two.solves
