"""Infeasibility diagnosis: the elastic re-solve names the conflicting constraints in the
instance's words, with amounts; the CLI exits 3 with it; the API returns and raises it."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import placement
from placement.errors import InfeasibleError
from placement.model import Instance, Link, MaxShare
from placement.solution.diagnosis import Diagnosis, diagnose
from placement.solvers import Status
from tests.conftest import BACKENDS, INSTANCES, ROOT, brute_force

BUDGET_MESSAGE = ("staff budget 50 FTE is 62 FTE short of the cheapest placement that respects "
                  "the pins (112 FTE needed, 50 FTE available)")


def _pin(inst: Instance, **pins: str) -> Instance:
    pinned = inst.functions.pinned.copy()
    for f, t in pins.items():
        pinned[inst.functions.index[f]] = inst.tier_index[t]
    return inst.replace(functions=inst.functions.replace(pinned=pinned))


@pytest.mark.parametrize("solver", BACKENDS)
def test_tiny_infeasible_diagnosis(solver: str) -> None:
    """instances/tiny-infeasible/README.md: 112 staff needed, 50 available."""
    r = placement.solve(placement.load(INSTANCES / "tiny-infeasible"), solver)
    assert r.status is Status.INFEASIBLE
    d = r.diagnosis
    assert isinstance(d, Diagnosis)
    assert d.solver == "highs" and "HiGHS" in d.method
    (rel,) = d.relaxations
    assert (rel.kind, rel.subject, rel.limit, rel.needed, rel.amount) == (
        "budget", "staff", 50.0, 112.0, 62.0)
    assert rel.where == "instance.toml resources[1].budget"
    assert rel.message == BUDGET_MESSAGE
    assert d.verified
    assert d.alternative is not None
    (alt,) = d.alternative
    assert (alt.kind, alt.subject) == ("pin", "commissioning")
    assert "commissioning to local has to go" in alt.message
    assert BUDGET_MESSAGE in str(d)


def test_raise_for_status_raises_the_typed_error() -> None:
    r = placement.solve(placement.load(INSTANCES / "tiny-infeasible"))
    with pytest.raises(InfeasibleError) as e:
        r.raise_for_status()
    assert e.value.diagnosis is r.diagnosis
    assert BUDGET_MESSAGE in str(e.value)
    d = json.loads(r.to_json())["diagnosis"]
    assert d["relaxations"][0]["amount"] == 62.0 and d["solver"] == "highs"


def test_cli_exits_3_with_the_message() -> None:
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve",
                        str(INSTANCES / "tiny-infeasible")], capture_output=True, text=True,
                       cwd=ROOT)
    assert p.returncode == 3
    assert BUDGET_MESSAGE in " ".join(p.stderr.split())
    assert "Traceback" not in p.stderr


def test_cap_conflict() -> None:
    """tiny-cap: national staff cap 1.5; pinning procurement and workforce to national needs 2."""
    inst = _pin(placement.load(INSTANCES / "tiny-cap"), procurement="national",
                workforce="national")
    r = placement.solve(inst)
    assert r.status is Status.INFEASIBLE
    (rel,) = r.diagnosis.relaxations
    assert (rel.kind, rel.subject, rel.amount) == ("cap", "national,staff", pytest.approx(0.5))
    assert rel.message.startswith("staff cap at national 1.5 FTE is 0.5 FTE short of the least "
                                  "staff at national that respects the pins")
    assert rel.where == "instance.toml resources[1].caps.national"
    assert r.diagnosis.verified


def test_max_moves_conflict() -> None:
    """tiny-moves: max_moves 1, but pins move prevention and commissioning off national."""
    inst = _pin(placement.load(INSTANCES / "tiny-moves"), prevention="local",
                commissioning="region")
    d = placement.solve(inst).diagnosis
    (rel,) = d.relaxations
    assert (rel.kind, rel.amount, rel.needed) == ("max_moves", 1.0, 2.0)
    assert rel.message == ("max_moves 1 is 1 short: respecting the pins needs 2 functions to "
                           "leave their current tier")
    assert rel.where == "instance.toml constraints.max_moves"


def test_link_against_pins() -> None:
    inst = placement.load(INSTANCES / "tiny-link-together")
    inst = _pin(inst, workforce="national", commissioning="local")
    d = placement.solve(inst).diagnosis
    (rel,) = d.relaxations
    assert (rel.kind, rel.subject) == ("link", "together:workforce:commissioning")
    assert rel.message == ("link together(workforce, commissioning) has to go: it cannot hold "
                           "together with the pins")
    assert rel.where.endswith("instance.toml: links[1]")
    # dropping the link and not a pin: pins come first in the lexicographic order
    assert d.placement["workforce"] == "national" and d.placement["commissioning"] == "local"


def test_max_share_conflict() -> None:
    inst = _pin(placement.load(INSTANCES / "tiny-moves").replace(max_moves=None),
                procurement="national", workforce="national", commissioning="national")
    inst = inst.replace(max_share=(MaxShare(0.5, None, "functions", "instance.toml: x"),))
    d = placement.solve(inst).diagnosis
    (rel,) = d.relaxations
    assert (rel.kind, rel.subject, rel.amount) == ("max_share", "national,functions", 1.0)
    assert "max_share of functions at national (0.5, i.e. 2 of 4) is 1 function short" in (
        rel.message)


def test_two_budgets_relaxed_together_say_so() -> None:
    """Two resources, each budget short: both named, each with its own amount."""
    inst = placement.load(INSTANCES / "tiny-infeasible")
    staff = inst.resources[0]
    money = dataclasses.replace(staff, id="money", name="Money", unit="GBP", budget=10.0)
    fn = inst.functions
    inst = inst.replace(resources=(staff, money), functions=fn.replace(
        fixed=np.hstack([fn.fixed, fn.fixed]), variable=np.hstack([fn.variable, fn.variable]),
        move=np.hstack([fn.move, fn.move])))
    d = placement.solve(inst).diagnosis
    got = {r.subject: r.amount for r in d.relaxations}
    assert got == {"staff": pytest.approx(62.0), "money": pytest.approx(102.0)}
    assert all("once the other relaxations listed are made" in r.message for r in d.relaxations)
    assert d.verified


def test_scenario_budget_is_located_in_the_scenario(tmp_path: Path) -> None:
    d = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny-budget", d)
    shutil.copy(ROOT / "models" / "tiny-ramp.toml", tmp_path / "tiny-ramp.toml")
    p = d / "instance.toml"
    p.write_text(p.read_text().replace('model = "tiny-ramp"', 'model = "../tiny-ramp.toml"')
                 + '\n[scenarios.austerity]\nbudgets = { staff = 2 }\n')
    r = placement.solve(placement.load(d), scenario="austerity")
    (rel,) = r.diagnosis.relaxations
    assert rel.where == "instance.toml scenarios.austerity.budgets.staff"
    # cheapest placement: procurement 1 + prevention 0.001 + commissioning 0.01 + workforce 1
    assert rel.needed == pytest.approx(2.011) and rel.amount == pytest.approx(0.011)
    assert rel.message == ("staff budget 2 FTE is 0.011 FTE short of the cheapest placement "
                           "(2.011 FTE needed, 2 FTE available)")


def test_diagnose_on_a_feasible_instance_finds_nothing_to_relax() -> None:
    d = diagnose(placement.load(INSTANCES / "tiny-budget"))
    assert d.relaxations == () and d.verified


def test_relaxed_instance_is_feasible_and_no_better_relaxation_exists() -> None:
    """Raising the budget by exactly the diagnosed amount makes tiny-infeasible feasible;
    raising it by less does not (checked by enumeration)."""
    inst = placement.load(INSTANCES / "tiny-infeasible")
    (rel,) = placement.solve(inst).diagnosis.relaxations
    res = inst.resources[0]
    ok = inst.replace(resources=(dataclasses.replace(res, budget=res.budget + rel.amount),))
    short = inst.replace(resources=(dataclasses.replace(res, budget=res.budget + rel.amount
                                                        - 0.01),))
    assert brute_force(ok)[0] is not None
    assert brute_force(short)[0] is None


def test_links_and_geography_hard_link_conflict() -> None:
    inst = placement.load(INSTANCES / "tiny-link-geography").with_scenario(None)
    inst = _pin(inst, adult_social_care="ics")
    d = placement.solve(inst).diagnosis
    (rel,) = d.relaxations
    assert (rel.kind, rel.subject) == ("link", "asc-local-government")
    assert "coterminous(adult_social_care, geography local-government)" in rel.message


def test_unrelated_link_is_not_blamed() -> None:
    inst = placement.load(INSTANCES / "tiny-infeasible")
    inst = inst.replace(links=(Link("l", "together", "procurement", "workforce", where="x"),))
    d = placement.solve(inst).diagnosis
    assert [r.kind for r in d.relaxations] == ["budget"]
    assert "respects the pins and the links (112 FTE needed" in d.relaxations[0].message
