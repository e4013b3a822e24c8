"""Rejecting one-size optimum scale (docs/model.md section 5): one-size baselines, the price of
uniformity, the status quo, the single-tier warning and max_share."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import placement
from placement.errors import InstanceError
from placement.model import Instance, MaxShare
from placement.solution.baselines import one_size_baselines, price_of_uniformity
from tests.conftest import BACKENDS, GAP_DIR, INSTANCES, ROOT, brute_force


def test_tiny_budget_baselines_by_hand() -> None:
    """tiny-budget (README): national one-size 5+1+3+4 = 13, region 3+3+3.5+3 = 12.5 (staff
    1+0.1+1+1 = 3.1), local 1+5+4+2 = 12 but 112 staff > 50. v* = 17.5."""
    r = placement.solve(placement.load(INSTANCES / "tiny-budget"))
    b = r.baselines
    assert b is not None
    os_ = b["one_size"]
    assert os_["national"]["value"] == pytest.approx(13.0)
    assert os_["region"]["value"] == pytest.approx(12.5)
    assert os_["region"]["resources"]["staff"] == pytest.approx(3.1)
    assert os_["local"]["value"] == pytest.approx(12.0)
    assert os_["local"]["feasible"] is False
    assert os_["local"]["permitted_by"]["budgets"] is False
    assert os_["local"]["permitted_by"]["pins"] is True
    assert os_["local"]["breaks"] == ["staff used 112 exceeds its budget 50 by 62"]
    assert b["best_one_size"] == {"tier": "national", "value": 13.0}
    assert b["price_of_uniformity"] == pytest.approx((17.5 - 13.0) / 17.5)
    assert b["uniformity_loss"] == pytest.approx(4.5)
    # status quo: everything national (13): the optimum gains 4.5 and moves two functions
    sq = b["status_quo"]
    assert sq["value"] == pytest.approx(13.0) and sq["feasible"] is True
    assert sq["gap"] == pytest.approx(4.5) and sq["relative_gap"] == pytest.approx(4.5 / 17.5)
    assert sq["functions_differ"] == 2
    assert {m["function"]: m["to"] for m in sq["moves"]} == {"prevention": "local",
                                                             "commissioning": "region"}
    assert b["single_tier"] is None


def test_baselines_in_json_and_cli_table(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve",
                        str(INSTANCES / "tiny-budget"), "-f", "json", "-o", str(out)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    d = json.loads(out.read_text())
    assert set(d["baselines"]["one_size"]) == {"national", "region", "local"}
    assert d["baselines"]["price_of_uniformity"] == pytest.approx(4.5 / 17.5)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve",
                        str(INSTANCES / "tiny-budget")], capture_output=True, text=True,
                       cwd=ROOT)
    assert "One-size baselines" in p.stdout
    assert "price of uniformity 25.7%" in p.stdout
    assert "status quo: 13 (feasible)" in p.stdout


def test_no_feasible_one_size_placement() -> None:
    """tiny-cap: national staff cap 1.5 (national one-size uses 2.011), and local one-size
    (1+5+4+2 = 12) is allowed, so make local impossible with a pin: none is feasible."""
    inst = placement.load(INSTANCES / "tiny-cap")
    pinned = inst.functions.pinned.copy()
    pinned[inst.functions.index["workforce"]] = inst.tier_index["region"]
    prev = inst.functions.index["prevention"]
    pinned[prev] = inst.tier_index["local"]
    inst = inst.replace(functions=inst.functions.replace(pinned=pinned))
    r = placement.solve(inst)
    b = r.baselines
    assert all(not row["feasible"] for row in b["one_size"].values())
    assert b["best_one_size"] is None and b["price_of_uniformity"] is None
    assert "no one-size placement is feasible" in b["price_of_uniformity_note"]
    anyb = b["best_one_size_ignoring_constraints"]
    assert anyb == {"tier": "national", "value": 13.0}
    assert b["price_of_uniformity_ignoring_constraints"] == pytest.approx(
        (r.objective - 13.0) / r.objective)


def test_price_of_uniformity_definitions() -> None:
    assert price_of_uniformity(10.0, 7.5, "max") == pytest.approx(0.25)
    assert price_of_uniformity(-10.0, -12.5, "max") == pytest.approx(0.25)
    assert price_of_uniformity(100.0, 125.0, "min") == pytest.approx(0.25)
    assert price_of_uniformity(-100.0, -75.0, "min") == pytest.approx(0.25)
    assert price_of_uniformity(0.0, -3.0, "max") is None
    assert price_of_uniformity(5.0, None, "max") is None


def test_min_sense_orlib_baselines() -> None:
    """OR-Library GAP (minimise cost): a one-size placement breaks agent capacities."""
    from placement.io.orlib import read_gap

    inst = read_gap(GAP_DIR / "c0515_1")[0]
    r = placement.solve(inst)
    b = r.baselines
    for row in b["one_size"].values():
        assert row["feasible"] is False and row["permitted_by"]["caps"] is False
        assert row["value"] >= r.objective  # a one-size cost is never below the optimum
    assert b["price_of_uniformity"] is None
    # minimising: the price is (one-size cost - optimum) / |optimum|, positive here
    anyb = b["best_one_size_ignoring_constraints"]
    assert anyb["value"] == min(row["value"] for row in b["one_size"].values())
    assert b["price_of_uniformity_ignoring_constraints"] == pytest.approx(
        (anyb["value"] - r.objective) / abs(r.objective))
    assert b["price_of_uniformity_ignoring_constraints"] > 0.0
    assert b["status_quo"] is None and "no current tier" in b["status_quo_note"]


def _two_tier(values: list[list[float]], **kw: object) -> Instance:
    tiers = pd.DataFrame({"id": ["centre", "local"], "units": [1, 10],
                          "population": [1e6, 1e5]})
    n = len(values)
    funcs = pd.DataFrame({"id": [f"f{i}" for i in range(n)], "name": [f"F{i}" for i in range(n)]})
    vals = pd.DataFrame(values, columns=["centre", "local"], index=funcs["id"])
    return placement.from_frames("two", tiers, funcs, values=vals, **kw)  # type: ignore[arg-type]


def test_single_tier_warning() -> None:
    inst = _two_tier([[3.0, 1.0], [2.0, 1.0], [5.0, 0.0]])
    r = placement.solve(inst)
    assert r.baselines["single_tier"] == "centre"
    assert any("collapsed to one scale" in w for w in r.warnings)
    assert r.baselines["price_of_uniformity"] == pytest.approx(0.0)


@pytest.mark.parametrize("solver", BACKENDS)
def test_max_share_of_functions(solver: str) -> None:
    """Three functions prefer the centre; at most 2/3 may sit at one tier: the cheapest to
    move is f1 (loses 1)."""
    inst = _two_tier([[3.0, 1.0], [2.0, 1.0], [5.0, 0.0]], max_share=[MaxShare(0.67)])
    r = placement.solve(inst, solver)
    assert r.objective == pytest.approx(9.0)
    assert r.tiers.to_dict() == {"f0": "centre", "f1": "local", "f2": "centre"}
    assert r.check is not None and r.check.ok
    assert brute_force(inst)[0] == pytest.approx(9.0)
    assert r.baselines["best_one_size"] is None  # every one-size placement breaks max_share


@pytest.mark.parametrize("solver", BACKENDS)
def test_max_share_of_a_resource(solver: str) -> None:
    """At most 40% of the staff at the centre (tiny-budget's functions, no budget)."""
    inst = placement.load(INSTANCES / "tiny-budget")
    res = tuple(r.__class__(r.id, r.name, r.unit) for r in inst.resources)
    inst = inst.replace(resources=res, max_share=(MaxShare(0.4, "national", "staff"),))
    r = placement.solve(inst, solver)
    best, _ = brute_force(inst)
    assert r.objective == pytest.approx(best)
    assert r.check is not None and r.check.ok
    used = r.resources.loc["staff", "per_tier"]
    assert used["national"] <= 0.4 * sum(used.values()) + 1e-9


def test_max_share_in_instance_toml(tmp_path: Path) -> None:
    d = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny-moves", d)
    shutil.copy(ROOT / "models" / "tiny-ramp.toml", tmp_path / "tiny-ramp.toml")
    p = d / "instance.toml"
    text = p.read_text().replace('model = "tiny-ramp"', 'model = "../tiny-ramp.toml"')
    p.write_text(text.replace("max_moves = 1", "max_share = 0.5"))
    inst = placement.load(d)
    assert inst.max_share == (MaxShare(0.5, None, "functions", inst.max_share[0].where),)
    r = placement.solve(inst)
    assert r.tier_counts.max() <= 2
    assert r.objective == pytest.approx(brute_force(inst)[0])
    p.write_text(text.replace("max_moves = 1", 'max_share = [{ share = 0.5, tier = "centre" },'
                              ' { share = 1.5, of = "money" }]'))
    with pytest.raises(InstanceError) as e:
        placement.load(d)
    msgs = [str(x) for x in e.value.problems]
    assert any("constraints.max_share[2].share" in m and "1 or less" in m for m in msgs), msgs
    p.write_text(text.replace("max_moves = 1", 'max_share = [{ share = 0.5, tier = "centre" },'
                              ' { share = 0.5, of = "money" }]'))
    with pytest.raises(InstanceError) as e:
        placement.load(d)
    msgs = [str(x) for x in e.value.problems]
    assert any("max_share[1]" in m and "'centre'" in m for m in msgs), msgs
    assert any("max_share[2]" in m and "'money'" in m and "staff" in m for m in msgs), msgs


def test_baselines_function_directly() -> None:
    inst = placement.load(INSTANCES / "tiny-link-together")
    b = one_size_baselines(inst, None, None)
    # one-size placements keep every together link; value = 13, 12.5, 12
    assert [b["one_size"][t]["value"] for t in inst.tier_ids] == pytest.approx([13, 12.5, 12])
    assert b["price_of_uniformity"] is None
    assert b["price_of_uniformity_note"] == "no optimum to compare with"


def test_one_size_with_pins_kept_by_hand() -> None:
    """tiny-budget with procurement pinned to national and commissioning not allowed at local:
    'all that may move at local' keeps procurement at its pin (5) and puts commissioning at
    the nearest tier that may hold it, region (3.5); prevention 5 and workforce 2 at local:
    15.5. The strict one-size row at local breaks the pin and the allowed tiers."""
    inst = placement.load(INSTANCES / "tiny-budget")
    fn = inst.functions
    pinned, allowed = fn.pinned.copy(), fn.allowed.copy()
    pinned[fn.index["procurement"]] = inst.tier_index["national"]
    allowed[fn.index["commissioning"], inst.tier_index["local"]] = False
    inst = inst.replace(functions=fn.replace(pinned=pinned, allowed=allowed))
    r = placement.solve(inst)
    b = r.baselines
    free = b["one_size_free"]["local"]
    assert free["value"] == pytest.approx(15.5)
    assert free["at_tier"] == 2
    assert {k["function"]: (k["why"], k["at"]) for k in free["kept"]} == {
        "procurement": ("pinned to national", {"national": 1}),
        "commissioning": ("local is not among its allowed tiers", {"region": 1})}
    assert b["one_size"]["local"]["permitted_by"]["pins"] is False
    assert b["one_size"]["local"]["permitted_by"]["allowed"] is False
    # at national only commissioning's pin-free, allowed tiers matter: nothing is kept
    assert b["one_size_free"]["national"]["kept"] == []
    assert b["one_size_free"]["national"]["value"] == pytest.approx(13.0)
    # region: procurement pinned (5 instead of 3): 5 + 3 + 3.5 + 3 = 14.5
    assert b["one_size_free"]["region"]["value"] == pytest.approx(14.5)
    # local is feasible now that commissioning (100 staff at local) stays at region
    assert free["feasible"] is True and b["one_size"]["local"]["feasible"] is False
    assert b["best_one_size_free"] == {"tier": "local", "value": pytest.approx(15.5)}
    assert b["price_of_uniformity_free"] == pytest.approx(
        (r.objective - 15.5) / abs(r.objective))


def test_one_size_with_pins_kept_per_area() -> None:
    """tiny-areas: the combined authority has no unit in Ashby and Dunmore, so 'all at
    combined' keeps both functions there at the nearest tier that may hold them in both
    (region and local are as near; the more local wins): commissioning 16 x 0.6 + 12 x 0.4
    = 14.4, prevention 5 x 0.6 + 9 x 0.4 = 6.6."""
    inst = placement.load(INSTANCES / "tiny-areas")
    b = placement.solve(inst).baselines
    row = b["one_size_free"]["combined"]
    assert row["value_before_penalties"] == pytest.approx(21.0)
    assert row["at_tier"] == 2
    assert [(k["function"], k["reasons"], k["at"]) for k in row["kept"]] == [
        ("commissioning", {"no_unit": 2}, {"local": 2}),
        ("prevention", {"no_unit": 2}, {"local": 2})]
    assert row["kept"][0]["why"] == "combined has no unit in 2 of 4 areas (Ashby, Dunmore)"
    assert b["one_size"]["combined"]["value"] is None  # the strict row is impossible


def test_england_baselines_name_the_functions_that_cannot_move() -> None:
    """England: the statutory regulators and the mandate are pinned, so no strict one-size
    placement holds; the table names them and prices the one-size answer with pins kept."""
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve",
                        str(INSTANCES / "england-2024-uniform")], capture_output=True,
                       text=True, cwd=ROOT, env={**__import__("os").environ, "COLUMNS": "200"})
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "not at ics:" in out
    assert ("pinned to national (at national): medicines_devices_regulation, "
            "professional_regulation, fertility_tissue_regulation, mandate_and_objectives"
            in out)
    assert "ics is not among its allowed tiers (at nhs_region): dispute_resolution" in out
    assert "best one-size with pins kept: nhs_region" in out
    assert "breaks: function" not in out


def test_the_workbook_baselines_sheet_has_the_rows_with_pins_kept() -> None:
    from placement.solution.result_sheets import result_sheets

    r = placement.solve(placement.load(INSTANCES / "england-2024-uniform"))
    sheet = result_sheets(r)["baselines"]
    row = sheet.loc["every function that may move at ics"]
    assert row["value"] == pytest.approx(r.baselines["one_size_free"]["ics"]["value"])
    assert "pinned to national (at national): medicines_devices_regulation" in row[
        "not at the tier (why, where)"]
    assert "every function at ics" in sheet.index
