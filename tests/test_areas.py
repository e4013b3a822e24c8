"""Per-area placement (docs/model.md section 9): hand-solved optima of instances/tiny-areas with
every backend and against enumeration, the tables a per-area result gives, and the uniform
model as the single-area case (the same optimum and placement, every backend)."""

from __future__ import annotations

import dataclasses
import itertools
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import placement
from placement.model import Instance
from placement.model.geography import Areas, Geography, TierUnits
from placement.solution import check
from placement.solvers import Status
from placement.util.jsonout import Coded, json_safe, records_json
from tests.conftest import BACKENDS, INSTANCES
from tests.strategies import scored_instances, valued_instances

TINY = INSTANCES / "tiny-areas"

#: instances/tiny-areas/README.md: the optimum of every scenario, worked out by hand.
HAND = {None: 21.4, "budget": 21.0, "closed": 21.0, "linked": 18.0}


def _structures(inst: Instance) -> list[np.ndarray]:
    """Every tier-per-area vector in which each area has a unit of its tier and every unit
    used does all of its areas: what one function can be given (checked by the checker
    later, with everything else)."""
    layout = inst.units
    T = inst.n_tiers
    out = []
    for combo in itertools.product(range(T), repeat=inst.n_areas):
        t = np.array(combo)
        units = layout.unit_of[np.arange(inst.n_areas), t]
        if (units < 0).any():
            continue
        whole = all(set(np.nonzero(layout.unit_of[:, k] == u)[0].tolist())
                    <= set(np.nonzero(units == u)[0].tolist())
                    for k, u in zip(t.tolist(), units.tolist(), strict=True))
        if whole:
            out.append(t)
    return out


def _enumerate(inst: Instance) -> tuple[float | None, list[np.ndarray]]:
    """Best objective over every (function x area) placement the checker accepts: every
    combination of the functions' whole-unit structures."""
    F = inst.n_functions
    best, arg = None, []
    s = inst.sense.sign
    for combo in itertools.product(_structures(inst), repeat=F):
        a = np.stack(combo)
        rep = check(inst, a)
        if not rep.ok:
            continue
        assert rep.objective is not None
        if best is None or s * rep.objective > s * best + 1e-9:
            best, arg = rep.objective, [a]
        elif abs(rep.objective - best) <= 1e-9:
            arg.append(a)
    return best, arg


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("scenario", list(HAND))
def test_tiny_areas_hand_optima_with_every_backend(solver: str, scenario: str | None) -> None:
    r = placement.solve(placement.load(TINY), solver, scenario=scenario)
    assert r.status in (Status.OPTIMAL, Status.FEASIBLE), r.message
    assert r.check is not None and r.check.ok, r.check.summary()
    assert r.objective == pytest.approx(HAND[scenario], abs=1e-6)
    if r.status is Status.FEASIBLE:  # CP-SAT: proven only up to its scaling's precision
        assert r.precision_loss is not None and r.precision_loss < 1e-6


@pytest.mark.parametrize("scenario", list(HAND))
def test_tiny_areas_hand_optima_equal_enumeration(scenario: str | None) -> None:
    inst = placement.load(TINY).with_scenario(scenario)
    best, arg = _enumerate(inst)
    assert best == pytest.approx(HAND[scenario], abs=1e-9)
    r = placement.solve(placement.load(TINY), scenario=scenario)
    assert any((r.assignment == a).all() for a in arg)


def test_tiny_areas_structure_differs_by_area() -> None:
    """Commissioning by the combined authority where there is one (Bexford, Caldwell) and by
    the councils elsewhere; prevention by the neighbourhoods except where Caldwell's caps
    forbid both its council and its neighbourhood teams."""
    r = placement.solve(placement.load(TINY))
    ba = r.by_area["tier"].unstack()
    assert ba.loc["commissioning"].to_dict() == {"a": "local", "b": "combined",
                                                  "c": "combined", "d": "local"}
    assert ba.loc["prevention"].to_dict() == {"a": "hood", "b": "combined", "c": "combined",
                                               "d": "hood"}
    shares = r.tier_shares
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert shares.loc["commissioning", "combined"] == pytest.approx(0.6)
    bu = r.by_unit
    assert bu.loc["CA1", "functions"] == 2
    assert bu.loc["CA1", "staff"] == pytest.approx(1 + 0.5 + 2 * 0.6)
    assert set(r.placements.loc["commissioning", "tiers"].split(", ")) == {
        "combined 60%", "local 40%"}
    d = r.to_dict()
    assert d["areas"]["n_areas"] == 4 and len(d["areas"]["by_area"]) == 8


def test_a_unit_holds_a_function_for_all_of_its_areas_or_none() -> None:
    """The region R1 covers Ashby and Bexford: it cannot commission for Ashby alone."""
    inst = placement.load(TINY)
    a = np.array([[1, 2, 2, 3], [4, 4, 4, 4]])  # commissioning: R1 at a, CA1 at b and c
    rep = check(inst, a)
    assert not rep.ok
    assert any(v.kind == "assignment" and "region body" in v.message for v in rep.violations)


def test_unit_caps_and_availability_are_named_by_the_checker() -> None:
    inst = placement.load(TINY)
    rep = check(inst, np.array([[3, 3, 3, 3], [4, 4, 4, 4]]))  # prevention: hood in c
    assert any(v.kind == "unit_cap" and "c" in v.subject for v in rep.violations)
    closed = inst.with_scenario("closed")
    rep = check(closed, np.array([[3, 2, 2, 3], [4, 2, 2, 4]]))
    assert any(v.kind == "allowed" and "commissioning" in v.message for v in rep.violations)


def one_area(inst: Instance) -> Instance:
    """``inst`` written as one area holding everyone, every tier finer than the area with
    its ``units`` bodies of its ``population`` each (docs/model.md section 9)."""
    total = float(max(t.units * t.population for t in inst.tiers))
    areas = Areas(np.array(["all"], dtype=object), np.array(["all"], dtype=object),
                  np.array([total]))
    tiers = {t.id: TierUnits(t.id, np.zeros(1, dtype=np.int64), np.array([t.id], dtype=object),
                             np.array([t.name], dtype=object), np.array([float(t.units)]),
                             finer=True, scale=np.array([float(t.population)]))
             for t in inst.tiers}
    return dataclasses.replace(inst, geography=Geography(areas, tiers))


SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("solver", BACKENDS)
@SETTINGS
@given(inst=valued_instances())
def test_uniform_equals_one_area_on_random_instances(solver: str, inst: Instance) -> None:
    _same(inst, one_area(inst.with_scenario(None)), solver)


@pytest.mark.parametrize("solver", ["highs"])
@SETTINGS
@given(inst=scored_instances())
def test_uniform_equals_one_area_on_random_scored_instances(solver: str,
                                                           inst: Instance) -> None:
    _same(inst, one_area(inst.with_scenario(None)), solver)


def _same(uniform: Instance, area: Instance, solver: str) -> None:
    assert area.per_area and area.n_areas == 1
    np.testing.assert_allclose(area.value_matrix, uniform.value_matrix)
    np.testing.assert_allclose(area.cost_tensor, uniform.cost_tensor)
    u = placement.solve(uniform, solver, threads=1)
    a = placement.solve(area, solver, threads=1)
    assert u.status == a.status
    if u.objective is None:
        return
    assert a.objective == pytest.approx(u.objective, abs=1e-6)
    assert a.check is not None and a.check.ok, a.check.summary()
    # the same placement, or an alternative optimum the uniform checker values the same
    ua, aa = u.assignment, a.assignment
    assert ua is not None and aa is not None
    if not (aa[:, 0] == ua).all():
        alt = check(uniform, aa[:, 0])
        assert alt.ok and alt.objective == pytest.approx(u.objective, abs=1e-6)


def test_tiny_areas_status_quo_breaks_caldwells_cap() -> None:
    """README: today's placement is worth 23.4 but Caldwell's council would use 1.3 staff
    against its cap of 1."""
    r = placement.evaluate(placement.load(TINY), "current")
    assert r.objective == pytest.approx(23.4)
    assert r.status is Status.INFEASIBLE and r.check is not None
    assert [v.kind for v in r.check.violations] == ["unit_cap"]
    assert "Caldwell 1.3 exceeds its cap 1" in r.check.violations[0].message


@pytest.mark.parametrize("solver", BACKENDS)
def test_price_of_uniform_structure(solver: str) -> None:
    """README: with one structure for all four areas, the caps leave prevention at the
    regions (4) and commissioning is best there too (14): 18.0, a price of 3.4 / 21.4."""
    r = placement.solve(placement.load(TINY), solver)
    us = r.baselines["uniform_structure"]  # type: ignore[index]
    assert us["value"] == pytest.approx(18.0, abs=1e-6) and us["feasible"]
    assert us["tiers"] == {"commissioning": "region", "prevention": "region"}
    assert r.baselines["price_of_uniform_structure"] == pytest.approx(  # type: ignore[index]
        3.4 / 21.4, abs=1e-6)
    assert r.to_dict()["baselines"]["price_of_uniform_structure"] is not None


@pytest.mark.parametrize("instance", ["tiny-areas", "england-2024"])
def test_the_json_text_is_the_result_dict(instance: str) -> None:
    """``to_json`` writes the per-area lists from codes (by_area) and in C (by_unit); the
    text reads back as exactly what ``to_dict`` holds, record for record."""
    r = placement.solve(placement.load(INSTANCES / instance))
    text = json.loads(r.to_json())
    d = json.loads(json.dumps(json_safe(r.to_dict())))
    assert text["areas"] == d["areas"] and text["placements"] == d["placements"]
    assert len(text["areas"]["by_area"]) == r.instance.n_functions * r.instance.units.n_areas
    assert list(text["areas"]["by_area"][0]) == ["function", "area", "tier", "unit"]


def test_records_json_codes_and_plain_columns_agree() -> None:
    codes = np.array([2, 0, 2, 1])
    values = ["x", 'q"uote', "%s", ""]
    plain = np.array([values[c] for c in codes], dtype=object)
    coded = records_json({"k%": Coded(codes, values), "n": plain})
    assert json.loads(coded.text) == [{"k%": values[c], "n": values[c]} for c in codes]
    assert records_json({"a": Coded(np.zeros(0, dtype=int), ["x"])}).text == "[]"
