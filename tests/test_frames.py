"""Instances built in Python from pandas DataFrames, validated like files."""

from __future__ import annotations

import pandas as pd
import pytest

import placement
from placement.model import Link, MaxShare, Resource

TIERS = pd.DataFrame({"id": ["national", "region", "local"], "name": ["N", "R", "L"],
                      "units": [1, 100, 10_000], "population": [1e7, 1e5, 1e3]})
FUNCS = pd.DataFrame({
    "id": ["procurement", "prevention", "commissioning", "workforce"],
    "name": ["P", "Pv", "C", "W"],
    "scale": [5, 1, 3, 4], "local": [1, 5, 4, 2],
    "staff_fixed": [0, 0.001, 0.01, 0], "staff_variable": [1, 0, 0, 1],
})


def test_frames_reproduce_the_tiny_budget_optimum() -> None:
    inst = placement.from_frames("frames", TIERS, FUNCS, model="tiny-ramp",
                                resources=[Resource("staff", "Staff", budget=50)])
    r = placement.solve(inst)
    assert r.objective == pytest.approx(17.5)
    assert r.tiers["commissioning"] == "region"


def test_frames_errors_are_located() -> None:
    bad = FUNCS.copy()
    bad.loc[2, "scale"] = 11
    with pytest.raises(placement.InstanceError) as e:
        placement.from_frames("frames", TIERS, bad, model="tiny-ramp")
    msg = str(e.value)
    assert "functions (DataFrame)" in msg and "row 2" in msg and "'scale'" in msg


def test_values_table_instead_of_a_model() -> None:
    vals = pd.DataFrame([[1.0, 2.0, 0.0]] * 4, index=FUNCS["id"], columns=TIERS["id"])
    inst = placement.from_frames("v", TIERS, FUNCS[["id", "name"]], values=vals)
    r = placement.solve(inst)
    assert r.objective == pytest.approx(8.0)
    assert set(r.tiers) == {"region"}


def test_functions_frame_round_trip() -> None:
    inst = placement.load("instances/tiny-budget")
    df = inst.functions_frame()
    assert list(df.index) == list(inst.function_ids)
    assert df.loc["commissioning", "staff_fixed"] == pytest.approx(0.01)
    again = placement.from_frames("again", inst.tiers_frame().reset_index().rename(
        columns={"tier": "id"}), df.reset_index().rename(columns={"function": "id"}),
        model=inst.model, resources=list(inst.resources))
    assert placement.solve(again).objective == pytest.approx(17.5)


@pytest.mark.parametrize(("link", "field"), [
    (Link("l", "together", "procurement", "workforce", penalty=0.0), "penalty"),
    (Link("l", "together", "procurement", "workforce", penalty=-1.0), "penalty"),
    (Link("l", "together", "procurement", "workforce", penalty=float("nan")), "penalty"),
    (Link("l", "coterminous", "procurement", "workforce", kappa_min=1.5), "kappa_min"),
    (Link("l", "sideways", "procurement", "workforce"), "kind"),  # type: ignore[arg-type]
])
def test_links_built_in_python_are_validated_like_files(link: Link, field: str) -> None:
    """docs/model.md section 8: a penalty of 0 or less, a kappa_min outside 0..1 and an unknown
    kind are rejected, as they are in instance.toml and links.csv."""
    with pytest.raises(placement.InstanceError) as e:
        placement.from_frames("frames", TIERS, FUNCS, model="tiny-ramp", links=[link])
    assert f"field '{field}'" in str(e.value)


def test_max_share_of_zero_and_a_pin_outside_the_allowed_tiers_are_rejected() -> None:
    with pytest.raises(placement.InstanceError, match="share"):
        placement.from_frames("frames", TIERS, FUNCS, model="tiny-ramp",
                              max_share=[MaxShare(0.0)])
    bad = FUNCS.assign(allowed=["national", "", "", ""], pinned=["local", "", "", ""])
    with pytest.raises(placement.InstanceError, match="allowed tiers"):
        placement.from_frames("frames", TIERS, bad, model="tiny-ramp")
