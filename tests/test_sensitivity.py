"""Weight stability (placement.analysis.stability) against enumeration and re-solves.

The exact interval of a criterion's weight is recomputed here without the engine's search:
every feasible placement (by the independent checker) gives a line ``a + lam * b`` (its
objective with the criterion's weight at 0, and the change per unit of weight), and the
reported placement stays optimal exactly until the first line that crosses its own. The tests
also re-solve from scratch just inside each end (same value line) and just outside (strictly
better), on the hand-solved tiny instances and on random small ones (hypothesis).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import placement
from placement.analysis import weight_stability
from placement.analysis.stability_result import CriterionStability, WeightStability
from placement.errors import InstanceError
from placement.model import Instance, Resource
from placement.solution.checker import check
from tests.conftest import BACKENDS, INSTANCES
from tests.strategies import scored_instances

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])
TIER_IDS = ["centre", "middle", "local"]
#: tiny instances scored by a model (tiny-link-geography gives its values directly)
SCORED = ["tiny-budget", "tiny-cap", "tiny-moves", "tiny-link-together",
          "tiny-link-together-soft", "tiny-link-above", "tiny-link-above-soft",
          "tiny-link-coterminous", "tiny-link-coterminous-soft"]


def feasible_lines(inst: Instance, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every placement the checker accepts, with its line: objective ``a`` with criterion k's
    weight at 0 and ``b``, the change per unit of that weight (checker objectives only)."""
    model = inst.model
    assert model is not None
    w0 = model.weights.copy()
    w0[k] = 0.0
    w1 = w0.copy()
    w1[k] = 1.0
    at0 = inst.replace(model=model.with_weights(w0))
    at1 = inst.replace(model=model.with_weights(w1))
    rows, a, b = [], [], []
    for combo in itertools.product(range(inst.n_tiers), repeat=inst.n_functions):
        x = np.array(combo)
        if not check(inst, x).ok:
            continue
        z0 = check(at0, x).objective
        z1 = check(at1, x).objective
        assert z0 is not None and z1 is not None
        rows.append(x)
        a.append(z0)
        b.append(z1 - z0)
    return np.array(rows), np.array(a), np.array(b)


def exact_interval(inst: Instance, c: CriterionStability, k: int,
                   reported: np.ndarray) -> None:
    """The interval, the line taking over at each end and its fewest moves, by enumeration."""
    placements, a, b = feasible_lines(inst, k)
    s = 1.0 if inst.sense == "max" else -1.0
    me = np.nonzero(np.all(placements == reported[None, :], axis=1))[0]
    assert me.size == 1, "the reported placement must be feasible"
    a0, b0 = a[me[0]], b[me[0]]
    assert c.line.intercept == pytest.approx(a0, abs=1e-9)
    assert c.line.slope == pytest.approx(b0, abs=1e-9)
    ds = s * (b - b0)
    up, down = ds > 1e-9, ds < -1e-9
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = (a0 - a) / (b - b0)
    hi = float(cross[up].min()) if up.any() else math.inf
    lo = max(0.0, float(cross[down].max())) if down.any() else 0.0
    lam0 = c.weight
    # the reported placement is optimal at the model's weight: the interval contains it
    assert lo <= lam0 + 1e-9 and hi >= lam0 - 1e-9
    if math.isinf(hi):
        assert math.isinf(c.upper) and c.above is None
    else:
        assert c.upper == pytest.approx(hi, rel=1e-7, abs=1e-9)
        assert c.above is not None
        _check_takeover(inst, placements, a, b, s, c.above.line.intercept, c.above.line.slope,
                        c.above.assignment, reported, up & np.isclose(cross, hi, atol=1e-9),
                        steepest=True)
    assert c.lower == pytest.approx(lo, rel=1e-7, abs=1e-9)
    if lo > 1e-9:
        assert c.below is not None
        _check_takeover(inst, placements, a, b, s, c.below.line.intercept, c.below.line.slope,
                        c.below.assignment, reported, down & np.isclose(cross, lo, atol=1e-9),
                        steepest=False)
    else:  # the placement stays optimal down to weight 0: nothing takes over below
        assert c.below is None


def _check_takeover(inst: Instance, placements: np.ndarray, a: np.ndarray, b: np.ndarray, s: float,
                    intercept: float, slope: float, assignment: np.ndarray,
                    reported: np.ndarray, crossing: np.ndarray, steepest: bool) -> None:
    """Beyond an end the next envelope line is, among the lines crossing there, the steepest
    (upper end) or flattest (lower end) in score; the reported placement is on it and moves
    the fewest functions of all placements on it."""
    assert crossing.any()
    score = s * b[crossing]
    best = score.max() if steepest else score.min()
    assert s * slope == pytest.approx(best, abs=1e-9)
    on = crossing & np.isclose(s * b, best, atol=1e-9)
    assert intercept == pytest.approx(float(a[on][0]), abs=1e-9)
    me = np.nonzero(np.all(placements == assignment[None, :], axis=1))[0]
    assert me.size == 1 and on[me[0]], "the takeover placement must be on the next line"
    fewest = int((placements[on] != reported).sum(axis=1).min())
    assert int((assignment != reported).sum()) == fewest


def objective_at(inst: Instance, k: int, lam: float) -> float:
    """The optimum with criterion k's weight at ``lam``: a fresh, independent solve."""
    model = inst.model
    assert model is not None
    w = model.weights.copy()
    w[k] = lam
    r = placement.solve(inst.replace(model=model.with_weights(w)))
    assert r.objective is not None and r.check is not None and r.check.ok
    return float(r.objective)


def holds_inside_fails_outside(inst: Instance, ws: WeightStability) -> None:
    """Re-solve just inside each end (the reported placement's line is still the optimum)
    and just outside (the optimum is strictly better than that line)."""
    s = 1.0 if inst.sense == "max" else -1.0
    model = inst.model
    assert model is not None
    for c in ws.criteria:
        k = list(model.criterion_ids).index(c.criterion)
        for end, beyond in ((c.upper, c.above), (c.lower, c.below)):
            if beyond is None:
                continue
            direction = 1.0 if beyond is c.above else -1.0
            delta = 1e-3 * max(1.0, end)
            width = c.upper - c.lower
            inside = end - direction * min(delta, width / 2) if width > 0 else end
            z_in = objective_at(inst, k, inside)
            assert z_in == pytest.approx(c.line.at(inside), abs=1e-6 * max(1.0, abs(z_in)))
            outside = end + direction * delta
            if outside < 0:
                continue
            z_out = objective_at(inst, k, outside)
            gain = s * (beyond.line.at(outside) - c.line.at(outside))
            assert gain > 0, "the placement taking over is strictly better beyond the end"
            assert s * (z_out - c.line.at(outside)) >= gain - 1e-9


@pytest.mark.parametrize("name", SCORED)
def test_stability_is_exact_on_tiny_instances(name: str) -> None:
    inst = placement.load(INSTANCES / name).with_scenario(None)
    ws = weight_stability(inst)
    assert ws.assignment.tolist() == placement.solve(inst).assignment.tolist()
    for k, c in enumerate(ws.criteria):
        exact_interval(inst, c, k, ws.assignment)
    holds_inside_fails_outside(inst, ws)


def test_tiny_budget_by_hand() -> None:
    """instances/tiny-budget: with scale weight lam (local 1) workforce is worth 4 lam
    national, 2 lam + 1 at region and 2 local, so it goes local below lam = 1/2;
    commissioning is worth 3 lam national against 1.5 lam + 2 at region, so it goes national
    above 4/3. With local weight mu: commissioning goes national below 3/4, workforce local
    above 2."""
    ws = weight_stability(placement.load(INSTANCES / "tiny-budget"))
    df = ws.frame()
    assert df.loc["scale", "lower"] == pytest.approx(0.5)
    assert df.loc["scale", "upper"] == pytest.approx(4 / 3)
    assert df.loc["local", "lower"] == pytest.approx(0.75)
    assert df.loc["local", "upper"] == pytest.approx(2.0)
    scale = ws["scale"]
    assert scale.below is not None and scale.above is not None
    assert [m.to_dict() for m in scale.below.moves] == [
        {"function": "workforce", "from": "national", "to": "local"}]
    assert [m.to_dict() for m in scale.above.moves] == [
        {"function": "commissioning", "from": "region", "to": "national"}]
    assert not df["knife_edge"].any()
    moves = ws.moves()
    assert set(moves["end"]) == {"lower", "upper"} and len(moves) == 4


@SETTINGS
@given(scored_instances())
def test_stability_is_exact_on_random_instances(inst: Instance) -> None:
    r = placement.solve(inst)
    if not r.has_solution:
        with pytest.raises(placement.InfeasibleError):
            weight_stability(inst)
        return
    ws = weight_stability(inst)
    for k, c in enumerate(ws.criteria):
        exact_interval(inst, c, k, ws.assignment)
    holds_inside_fails_outside(inst, ws)


def test_knife_edge_when_an_other_optimum_ties_at_the_model_weight() -> None:
    """At scale weight 1/2 workforce is worth 2 at every tier of tiny-budget: the placement
    reported is one of three optima with different lines, so one end is the weight itself."""
    inst = placement.load(INSTANCES / "tiny-budget")
    assert inst.model is not None
    half = inst.replace(model=inst.model.with_weights({"scale": 0.5}))
    c = weight_stability(half, ["scale"])["scale"]
    assert c.knife_edge
    assert c.lower == pytest.approx(0.5) or c.upper == pytest.approx(0.5)
    exact_interval(half, c, 0, weight_stability(half).assignment)


def test_zero_weight_and_unbounded_ends() -> None:
    """A criterion weighted 0 has lower end 0; a weight no placement can exploit further
    has an unbounded upper end, reported as inf (and as null in JSON)."""
    inst = placement.load(INSTANCES / "tiny-budget")
    assert inst.model is not None
    z = inst.replace(model=inst.model.with_weights({"local": 0.0}))
    c = weight_stability(z, ["local"])["local"]
    assert c.lower == 0.0 and c.below is None and c.contains(0.0)
    # with scale alone every function takes its most central allowed tier and stays there
    c = weight_stability(z, ["scale"])["scale"]
    assert math.isinf(c.upper) and c.above is None
    d = weight_stability(z, ["scale"]).to_dict()["criteria"][0]
    assert d["upper"] is None and d["upper_unbounded"] is True


def test_unknown_criterion_and_instances_without_weights() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    with pytest.raises(InstanceError) as e:
        weight_stability(inst, ["scale", "speed"])
    assert "--criterion" in str(e.value) and "'speed'" in str(e.value)
    assert "scale, local" in str(e.value)
    geo = placement.load(INSTANCES / "tiny-link-geography")
    with pytest.raises(InstanceError, match="values directly"):
        weight_stability(geo)


def test_infeasible_instance_raises_infeasible_error() -> None:
    with pytest.raises(placement.InfeasibleError):
        weight_stability(placement.load(INSTANCES / "tiny-infeasible"))


def test_scenario_weights_apply() -> None:
    """A scenario's weights are the ones analysed (same as solving under the scenario)."""
    inst = placement.load(INSTANCES / "tiny-budget")
    sc = placement.Scenario("more-scale", weights={"scale": 2.0})
    ws = weight_stability(inst, scenario=sc)
    assert ws["scale"].weight == 2.0
    assert ws.objective == pytest.approx(placement.solve(inst, scenario=sc).objective)
    k = 0
    exact_interval(inst.with_scenario(sc), ws["scale"], k, ws.assignment)


def twin_instance() -> Instance:
    """tiny-budget with a second national tier ``twin``: every placement at national has a
    twin at ``twin`` with the same value for every weight (same line)."""
    tiers = pd.DataFrame({"id": ["national", "twin", "region", "local"],
                          "units": [1, 1, 100, 10_000], "population": [1e7, 1e7, 1e5, 1e3]})
    funcs = pd.read_csv(INSTANCES / "tiny-budget" / "functions.csv").fillna(
        {"current": "", "pinned": ""})
    return placement.from_frames("twin", tiers, funcs, model="tiny-ramp",
                                resources=[Resource("staff", "Staff", budget=50)])


def test_takeover_reports_the_fewest_moves_among_placements_on_the_next_line() -> None:
    """Whatever placement on the next line the search ends with (here one that also moves
    procurement to its identical twin tier), the report moves only what must move."""
    from placement.analysis.resolving import Solver, assignment_of, rounded
    from placement.analysis.stability import _Sweep
    from placement.milp import build
    from placement.solvers.base import SolveOptions

    inst = twin_instance()
    form = build(inst)
    sol = Solver("highs", SolveOptions())
    session = sol.open(form)
    raw = session.solve()
    assert raw.x is not None
    x0 = rounded(form, raw.x)
    a0 = assignment_of(form, x0)
    sweep = _Sweep(inst, form, sol, session, 0, x0)
    fix, tix = inst.functions.index, inst.tier_index
    a = a0.copy()
    a[fix["commissioning"]] = tix["national"]
    a[fix["procurement"]] = tix["twin" if a0[fix["procurement"]] == tix["national"]
                                else "national"]
    x = np.zeros(form.n_cols)
    x[np.arange(inst.n_functions) * inst.n_tiers + a] = 1.0
    line = sweep.line(x)
    end = sweep._takeover(sweep.line0.meets(line), line, x, upward=True)
    assert [str(m) for m in end.moves] == ["commissioning: region -> national"]
    assert end.line.slope == pytest.approx(line.slope)
    assert end.line.intercept == pytest.approx(line.intercept)


@pytest.mark.parametrize("solver", BACKENDS)
def test_backends_agree_or_are_refused(solver: str) -> None:
    """Every backend with exact coefficients gives the same intervals; CP-SAT (objective
    scaled to integers) is refused with a located message."""
    inst = placement.load(INSTANCES / "tiny-link-above-soft")
    if solver == "cp-sat":
        with pytest.raises(InstanceError, match="solver: found"):
            weight_stability(inst, solver=solver)
        return
    ref = weight_stability(inst).frame()[["lower", "upper"]]
    got = weight_stability(inst, solver=solver).frame()[["lower", "upper"]]
    assert np.allclose(got.to_numpy(), ref.to_numpy(), rtol=1e-7)
