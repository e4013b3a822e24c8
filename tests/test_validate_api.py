"""Issue 14, item 9: validate lists every problem at once, one mistake is one error, and the
Python API speaks Python (optional link ids, labelled weights, no CLI flags in messages)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import placement
from placement.errors import InstanceError
from placement.model import Link
from tests.conftest import INSTANCES, ROOT


def _copy(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    shutil.copytree(INSTANCES / name, d)
    shutil.copy(ROOT / "models" / "tiny-ramp.toml", tmp_path / "tiny-ramp.toml")
    p = d / "instance.toml"
    p.write_text(p.read_text().replace('model = "tiny-ramp"', 'model = "../tiny-ramp.toml"'))
    return d


def _problems(path: Path) -> list[str]:
    with pytest.raises(InstanceError) as e:
        placement.load(path)
    return [str(p) for p in e.value.problems]


def test_a_bad_score_and_a_misspelt_link_target_in_one_run(tmp_path: Path) -> None:
    d = _copy(tmp_path, "tiny-link-together")
    toml = d / "instance.toml"
    toml.write_text(toml.read_text().replace('other = "commissioning"',
                                             'other = "comissioning"'))
    f = d / "functions.csv"
    f.write_text(f.read_text().replace("procurement,Medicines procurement,buying,5,",
                                       "procurement,Medicines procurement,buying,7,"))
    msgs = _problems(d)
    assert len(msgs) == 2, msgs
    assert "field 'scale': found '7'" in msgs[0]
    assert "found 'comissioning', expected a function id" in msgs[1]


def test_a_misspelt_scenario_pin_is_reported_with_a_bad_score(tmp_path: Path) -> None:
    d = _copy(tmp_path, "tiny-budget")
    toml = d / "instance.toml"
    toml.write_text(toml.read_text() + '\n[scenarios.s]\npins = { prevnetion = "local" }\n')
    f = d / "functions.csv"
    f.write_text(f.read_text().replace("prevention,Local prevention,public health,1,",
                                       "prevention,Local prevention,public health,-1,"))
    msgs = _problems(d)
    assert any("found '-1'" in m for m in msgs), msgs
    assert any("prevnetion" in m for m in msgs), msgs


def test_an_unknown_model_is_one_error_not_two(tmp_path: Path) -> None:
    """england-2024-uniform has a scenario with weights: they are not blamed for the model's
    absence ("expected no weights")."""
    d = tmp_path / "e"
    shutil.copytree(INSTANCES / "england-2024-uniform", d)
    toml = d / "instance.toml"
    toml.write_text(toml.read_text().replace('model = "design-card"', 'model = "design_card"'))
    msgs = _problems(d)
    assert len(msgs) == 1, msgs
    assert "found 'design_card'" in msgs[0] and "design-card" in msgs[0]
    assert not any("no weights" in m for m in msgs)


def test_link_id_is_optional_in_python() -> None:
    lk = Link(kind="together", function="workforce", other="commissioning")
    assert lk.id == "together:workforce:commissioning"
    assert Link(kind="coterminous", function="a", geography="lg").id == "coterminous:a:@lg"
    assert Link("mine", "together", "a", "b").id == "mine"  # positional use unchanged
    with pytest.raises(TypeError, match="needs kind"):
        Link(function="a", other="b")
    inst = placement.load(INSTANCES / "tiny-budget")
    r = placement.solve(inst.replace(links=(
        Link(kind="together", function="workforce", other="commissioning"),)))
    assert r.tiers["workforce"] == r.tiers["commissioning"]


def test_model_weights_carry_their_criteria() -> None:
    m = placement.load(INSTANCES / "england-2024-uniform").model
    assert m is not None
    assert list(m.weight_of) == list(m.criterion_ids)
    assert m.weight_of["local_knowledge"] == 1.0
    assert m.weights.tolist() == list(m.weight_of.values())  # the array is unchanged
    assert m.with_weights({"local_knowledge": 2.0}).weight_of["local_knowledge"] == 2.0


def test_a_bad_scenario_name_in_the_library_names_the_argument() -> None:
    inst = placement.load(INSTANCES / "england-2024-uniform")
    for call in (lambda: placement.solve(inst, scenario="nope"),
                 lambda: inst.with_scenario("nope"),
                 lambda: placement.evaluate(inst, "nope")):
        with pytest.raises(InstanceError) as e:
            call()
        text = str(e.value)
        assert "--scenario" not in text and "scenario: found 'nope'" in text, text
    from placement.analysis.compare import compare

    with pytest.raises(InstanceError) as e:
        compare(inst, ["nope"])
    assert "--scenario" not in str(e.value)


def test_one_bad_tier_population_is_one_error() -> None:
    tiers = pd.DataFrame({"id": ["centre", "local"], "units": [1, 10],
                          "population": [-1e6, 1e5]})
    funcs = pd.DataFrame({"id": ["a", "b", "c"], "name": ["A", "B", "C"],
                          "current": ["centre", "centre", "local"]})
    vals = pd.DataFrame([[1, 2], [3, 4], [5, 6]], columns=["centre", "local"],
                        index=funcs["id"])
    with pytest.raises(InstanceError) as e:
        placement.from_frames("x", tiers, funcs, values=vals)
    msgs = [str(p) for p in e.value.problems]
    assert len(msgs) == 1 and "population" in msgs[0], msgs
    tiers["population"] = [1e6, 1e5]
    tiers["units"] = [0, 10]
    with pytest.raises(InstanceError) as e:
        placement.from_frames("x", tiers, funcs, values=vals)
    assert [p.field for p in e.value.problems] == ["units"]
