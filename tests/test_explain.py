"""``placement.analysis.explain``: every forcing cost equals the objective difference of an
independent re-solve with the function pinned to that tier; impossible tiers are reported,
not raised; what else moves is the fewest possible (by enumeration)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placement
from placement.analysis import explain
from placement.analysis.explain_result import Explanation
from placement.errors import InstanceError
from placement.model import NO_TIER, Instance
from placement.solvers import Status
from tests.conftest import BACKENDS, INSTANCES, brute_force
from tests.strategies import scored_instances
from tests.test_sensitivity import twin_instance

FEASIBLE = ["tiny-budget", "tiny-cap", "tiny-moves", "tiny-link-together",
            "tiny-link-together-soft", "tiny-link-above", "tiny-link-above-soft",
            "tiny-link-coterminous", "tiny-link-coterminous-soft", "tiny-link-geography"]


def pinned_at(inst: Instance, f: int, t: int) -> Instance:
    """The instance with function f pinned to tier t (a pin is a bound, nothing else)."""
    pins = inst.functions.pinned.copy()
    pins[f] = t
    return inst.replace(functions=inst.functions.replace(pinned=pins))


def agrees_with_pinned_resolves(inst: Instance, e: Explanation, fewest: bool) -> None:
    """Each tier of the explanation against an independent solve (and, with ``fewest``, an
    enumeration) of the instance with the function pinned there."""
    s = 1.0 if inst.sense == "max" else -1.0
    f = inst.functions.index[e.function]
    ref = placement.solve(inst)
    assert ref.assignment is not None
    assert e.objective == pytest.approx(ref.objective, abs=1e-9)
    assert e.tier == inst.tier_ids[int(ref.assignment[f])]
    fn = inst.functions
    for t, o in enumerate(e.options):
        assert o.tier == inst.tier_ids[t]
        assert o.value == pytest.approx(inst.value_matrix[f, t])
        if o.status == "chosen":
            assert o.cost == 0.0 and o.moves == []
            continue
        if o.status == "pinned":
            assert fn.pinned[f] not in (NO_TIER, t)
            continue
        if o.status == "not allowed":
            assert not fn.allowed[f, t]
            continue
        r = placement.solve(pinned_at(inst, f, t))
        if o.status == "infeasible":
            assert r.status is Status.INFEASIBLE
            assert o.cost is None and o.objective is None
            continue
        assert o.status == "forced"
        assert r.status is Status.OPTIMAL and r.objective is not None
        # the brief's check: forcing cost = objective difference of the pinned re-solve
        assert o.cost == pytest.approx(s * (ref.objective - r.objective), abs=1e-9)
        assert o.cost >= 0.0
        assert o.objective == pytest.approx(r.objective, abs=1e-9)
        assert o.result is not None and o.result.check is not None and o.result.check.ok
        a = o.result.assignment
        assert a is not None and a[f] == t
        assert o.result.check.objective == pytest.approx(r.objective, abs=1e-9)
        moved = {m.function for m in o.moves}
        assert moved == {str(fn.ids[g]) for g in np.nonzero(a != ref.assignment)[0]} - {
            e.function}
        if fewest:
            best, argmaxes = brute_force(pinned_at(inst, f, t))
            assert best == pytest.approx(r.objective, abs=1e-9)
            others = np.arange(inst.n_functions) != f
            least = min(int(((b != ref.assignment) & others).sum()) for b in argmaxes)
            assert len(o.moves) == least
    forced = [o for o in e.options if o.status == "forced"]
    if forced:
        best = min(forced, key=lambda o: (o.cost, -o.value, inst.tier_index[o.tier]))
        assert e.runner_up == best.tier
    else:
        assert e.runner_up is None
    assert e.checks_ok


@pytest.mark.parametrize("name", FEASIBLE)
def test_forcing_costs_equal_pinned_resolves_on_tiny_instances(name: str) -> None:
    inst = placement.load(INSTANCES / name).with_scenario(None)
    for fid in inst.functions.ids.tolist():
        agrees_with_pinned_resolves(inst, explain(inst, fid), fewest=True)


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(scored_instances(), st.data())
def test_forcing_costs_equal_pinned_resolves_on_random_instances(
        inst: Instance, data: st.DataObject) -> None:
    fid = data.draw(st.sampled_from(inst.functions.ids.tolist()))
    if not placement.solve(inst).has_solution:
        with pytest.raises(placement.InfeasibleError):
            explain(inst, fid)
        return
    agrees_with_pinned_resolves(inst, explain(inst, fid), fewest=True)


def test_tiny_budget_by_hand() -> None:
    """instances/tiny-budget README: commissioning is worth 3 national, 3.5 at region and 4
    local; local needs 100 staff against a budget of 50, so it sits at region; national
    would cost 0.5 and save 0.99 staff."""
    e = explain(placement.load(INSTANCES / "tiny-budget"), "commissioning")
    assert (e.tier, e.runner_up, e.objective) == ("region", "national", 17.5)
    df = e.tiers()
    assert df["status"].to_dict() == {"national": "forced", "region": "chosen",
                                      "local": "infeasible"}
    assert df.loc["national", "forcing_cost"] == pytest.approx(0.5)
    assert np.isnan(df.loc["local", "forcing_cost"])
    # contributions per criterion sum to the function's value at each tier
    assert (df[["scale", "local"]].sum(axis=1) - df["value"]).abs().max() < 1e-12
    c = e.contributions()
    assert c.loc["local", "difference"] == pytest.approx(2.0)
    assert c.loc["scale", "difference"] == pytest.approx(-1.5)
    res = e.resources()
    nat = res[(res["tier"] == "national") & (res["limit"] == "budget")].iloc[0]
    assert nat["used"] == pytest.approx(12.01) and nat["change"] == pytest.approx(-0.99)
    assert nat["slack"] == pytest.approx(50 - 12.01)
    d = json.loads(e.to_json())
    assert d["tiers"][2]["status"] == "infeasible" and d["tiers"][2]["forcing_cost"] is None
    assert d["contributions"]["runner_up"] == {"scale": 3.0, "local": 0.0}


def test_caps_appear_in_resource_consequences() -> None:
    """tiny-cap: a national staff cap; forcing workforce back to national breaks nothing
    else but uses the cap's slack."""
    inst = placement.load(INSTANCES / "tiny-cap")
    e = explain(inst, "workforce")
    res = e.resources()
    caps = res[res["limit"].str.startswith("cap at")]
    assert len(caps) and set(caps["tier"]) == {o.tier for o in e.options if o.result}
    for _, row in caps.iterrows():
        assert row["slack"] == pytest.approx(row["limit_value"] - row["used"])
        assert row["slack"] >= -1e-9  # every reported placement meets its caps


def test_pinned_and_not_allowed_tiers_are_reported_not_raised() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    f = inst.functions.index["prevention"]
    allowed = inst.functions.allowed.copy()
    allowed[f, inst.tier_index["national"]] = False
    e = explain(inst.replace(functions=inst.functions.replace(allowed=allowed)), "prevention")
    assert e.forcing["national"].status == "not allowed"
    assert "does not allow" in e.forcing["national"].reason
    p = explain(pinned_at(inst, f, inst.tier_index["local"]), "prevention")
    assert p.tier == "local"
    assert [p.forcing[t].status for t in ("national", "region")] == ["pinned", "pinned"]
    assert p.runner_up is None and list(p.contributions().columns) == ["local"]


def test_fewest_moves_among_forced_optima() -> None:
    """Forcing commissioning to national in the twin instance has alternative optima that
    also move procurement to its identical twin tier; the report moves nothing else."""
    from placement.analysis.explain import _fewest_moves
    from placement.analysis.resolving import Solver, rounded
    from placement.milp import build
    from placement.solvers.base import RawSolution, SolveOptions

    inst = twin_instance()
    form = build(inst)
    e = explain(inst, "commissioning")
    assert e.forcing["national"].moves == [] and e.forcing["twin"].moves == []
    a0 = e.optimum.assignment
    assert a0 is not None
    fix, tix = inst.functions.index, inst.tier_index
    a = a0.copy()
    a[fix["commissioning"]] = tix["national"]
    a[fix["procurement"]] = tix["twin" if a0[fix["procurement"]] == tix["national"]
                                else "national"]
    x = np.zeros(form.n_cols)
    x[np.arange(inst.n_functions) * inst.n_tiers + a] = 1.0
    at = (np.arange(inst.n_tiers) == tix["national"]).astype(float)
    cols = fix["commissioning"] * inst.n_tiers + np.arange(inst.n_tiers)
    lo, up = form.col_lower.copy(), form.col_upper.copy()
    lo[cols], up[cols] = at, at
    forced = form.with_col_bounds(lo, up)
    z = forced.objective_of(x)
    raw = RawSolution(Status.OPTIMAL, x=x, objective=z)
    out = _fewest_moves(Solver("highs", SolveOptions()), forced, raw, z, a0)
    b = forced.assignment_of(rounded(forced, out.x))
    assert (b != a0).sum() == 1 and b[fix["commissioning"]] == tix["national"]
    assert out.objective == pytest.approx(z)


def test_unknown_function_is_a_located_error() -> None:
    with pytest.raises(InstanceError) as e:
        explain(placement.load(INSTANCES / "tiny-budget"), "comissioning")
    text = str(e.value)
    assert "FUNCTION" in text and "'comissioning'" in text and "commissioning" in text


def test_infeasible_instance_raises_infeasible_error() -> None:
    with pytest.raises(placement.InfeasibleError):
        explain(placement.load(INSTANCES / "tiny-infeasible"), "procurement")


def test_scenario_applies() -> None:
    """tiny-link-coterminous scenario ``loose``: the explanation is of the scenario's
    optimum."""
    inst = placement.load(INSTANCES / "tiny-link-coterminous")
    e = explain(inst, "commissioning", scenario="loose")
    assert e.objective == pytest.approx(placement.solve(inst, scenario="loose").objective)
    assert e.instance.scenario == "loose"


@pytest.mark.parametrize("solver", BACKENDS)
def test_every_backend_gives_the_same_forcing_costs(solver: str) -> None:
    inst = placement.load(INSTANCES / "tiny-link-above-soft")
    ref = explain(inst, "commissioning").tiers()
    got = explain(inst, "commissioning", solver=solver).tiers()
    assert got["status"].tolist() == ref["status"].tolist()
    assert np.allclose(got["forcing_cost"], ref["forcing_cost"], equal_nan=True, atol=1e-6)
