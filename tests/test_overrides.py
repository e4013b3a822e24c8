"""A judgement changed in one line: ``--weight`` and ``--set`` (placement.io.overrides), on a
hand-checkable instance, validated like the files, recorded in the result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import placement
from placement.errors import InstanceError
from placement.io.overrides import apply_overrides
from placement.model import Scenario
from tests.builders import invoke as run
from tests.conftest import ROOT

TINY = str(ROOT / "instances" / "tiny-budget")
AREAS = str(ROOT / "instances" / "tiny-areas")


def test_a_heavier_scale_weight_moves_commissioning_to_national() -> None:
    """tiny-budget (instances/tiny-budget/README.md): performances national (1, 0), region
    (0.5, 0.5), local (0, 1) on (scale, local). With weight 2 on scale, commissioning (scores
    3, 4) is worth 6 at national, 2 * 1.5 + 2 = 5 at region, 4 at local: it moves from region
    (the optimum with weight 1, 3.5) to national. The optimum is 10 + 5 + 6 + 8 = 29."""
    inst = placement.load(TINY)
    before = placement.solve(inst)
    assert before.tiers["commissioning"] == "region" and before.objective == pytest.approx(17.5)
    changed = apply_overrides(inst, {"scale": 2})
    after = placement.solve(changed)
    assert after.tiers["commissioning"] == "national"
    assert after.objective == pytest.approx(29.0)
    assert after.tiers.drop("commissioning").equals(before.tiers.drop("commissioning"))
    # pure: the loaded instance is untouched
    assert inst.model is not None and inst.model.weights.tolist() == [1.0, 1.0]
    assert not inst.overrides


def test_a_cheaper_minimum_team_lets_commissioning_go_local() -> None:
    """commissioning's staff_fixed 0.01 x 10,000 local units = 100 FTE breaks the budget of 50;
    at 0.001 it costs 10, 1 + 10 + 10 + 1 = 22 fits, and its best tier (local, 4) wins: 18."""
    r = placement.solve(apply_overrides(placement.load(TINY),
                                        fields={"commissioning.staff_fixed": 0.001}))
    assert r.tiers["commissioning"] == "local" and r.objective == pytest.approx(18.0)
    assert r.resources.loc["staff", "used"] == pytest.approx(22.0)


def test_the_cli_records_the_overrides_and_they_reproduce_the_run(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, _, err = run("solve", TINY, "--weight", "scale=2", "--set", "prevention.local=4",
                       "-f", "json", "-o", str(out))
    assert code == 0, err
    d = json.loads(out.read_text())
    assert d["overrides"] == {"weights": {"scale": 2.0}, "set": {"prevention.local": "4"}}
    assert d["weights"] == {"scale": 2.0, "local": 1.0}
    # prevention (1, 4): national 2, region 1 + 2 = 3, local 4: still local
    assert {p["function"]: p["tier"] for p in d["placements"]}["commissioning"] == "national"
    assert d["objective"] == pytest.approx(10 + 4 + 6 + 8)
    words = placement.model.Overrides.from_dict(d["overrides"]).options()
    code, _, err = run("solve", TINY, *words, "-f", "json", "-o", str(tmp_path / "again.json"))
    again = json.loads((tmp_path / "again.json").read_text())
    assert again["objective"] == d["objective"] and again["overrides"] == d["overrides"]
    code, _, _ = run("solve", TINY, "-f", "json", "-o", str(tmp_path / "plain.json"))
    assert json.loads((tmp_path / "plain.json").read_text())["overrides"] is None


@pytest.mark.parametrize(("args", "bits"), [
    (["--weight", "scal=2"], ["--weight scal=2", "'scal'", "a criterion of model 'tiny-ramp'",
                              "scale, local"]),
    (["--weight", "scale=nan"], ["--weight scale=nan", "'nan'", "a number from 0 to 1e+06"]),
    (["--weight", "scale=1e300"], ["--weight scale=1e300", "a number from 0 to 1e+06"]),
    (["--weight", "scale=-1"], ["--weight scale=-1", "'-1'", "from 0 to"]),
    (["--weight", "scale=two"], ["--weight scale=two", "'two'", "a number from 0"]),
    (["--weight", "scale"], ["--weight scale", "KEY=VALUE"]),
    (["--weight", "scale=0", "--weight", "local=0"], ["--weight", "at least one criterion "
                                                                  "with weight > 0"]),
    (["--weight", "scale=1", "--weight", "scale=2"], ["--weight scale=2", "each key once"]),
    (["--set", "nobody.local=1"], ["--set nobody.local=1", "'nobody'",
                                   "a function id of instance 'tiny-budget'"]),
    (["--set", "prevention.colour=red"], ["--set prevention.colour=red", "'colour'",
                                          "a field of the function table", "staff_fixed"]),
    (["--set", "prevention=1"], ["--set prevention=1", "FUNCTION.FIELD"]),
    (["--set", "prevention.local=6"], ["--set prevention.local=6", "field 'local'", "'6'",
                                       "a score from 0 to 5"]),
    (["--set", "prevention.local=inf"], ["--set prevention.local=inf", "a score from 0 to 5"]),
    (["--set", "prevention.staff_fixed=-2"], ["--set prevention.staff_fixed=-2",
                                              "a cost from 0 to"]),
    (["--set", "prevention.pinned=moon"], ["--set prevention.pinned=moon", "'moon'",
                                           "a tier id (national, region, local)"]),
    (["--set", "prevention.allowed=national", "--set", "prevention.pinned=local"],
     ["--set prevention.pinned=local", "one of the function's allowed tiers (national)"]),
    (["--set", "prevention.local_lo=1e8"], ["--set prevention.local_lo=1e8",
                                            "lo smaller than hi"]),
    (["--set", "prevention.pinned=local|region"], ["--set prevention.pinned=local|region",
                                                   "'tier|fallback' needs areas"]),
])
def test_bad_overrides_exit_2_with_the_option_value_and_expectation(
        args: list[str], bits: list[str]) -> None:
    code, out, err = run("solve", TINY, *args)
    assert code == 2, out
    assert "Traceback" not in err
    for b in bits:
        assert b in err, (b, err)


def test_every_bad_override_is_reported_at_once() -> None:
    code, _, err = run("solve", TINY, "--weight", "nope", "--weight", "scale=x",
                       "--set", "a.b=1", "--set", "prevention.local=9")
    assert code == 2
    assert "4 problems" in err
    for b in ("--weight nope", "--weight scale=x", "--set a.b=1", "--set prevention.local=9"):
        assert b in err


def test_the_library_names_its_arguments_not_the_cli_options() -> None:
    with pytest.raises(InstanceError) as e:
        apply_overrides(placement.load(TINY), {"scal": 1}, {"prevention.local": 9})
    msg = str(e.value)
    assert "weights['scal']" in msg and "fields['prevention.local']" in msg
    assert "--" not in msg


def test_an_instance_without_a_scoring_model_cannot_be_reweighted() -> None:
    code, _, err = run("solve", AREAS, "--weight", "staff=1")
    assert code == 2 and "--weight staff=1" in err and "('tiny-areas' has none)" in err


def test_per_area_cells_are_checked_against_the_areas() -> None:
    """tiny-areas: the combined tier has no unit in Ashby and Dunmore, so a pin there needs a
    fallback, as it would in functions.csv."""
    code, _, err = run("solve", AREAS, "--set", "commissioning.pinned=combined")
    assert code == 2
    assert "--set commissioning.pinned=combined" in err and "Ashby, Dunmore" in err
    inst = apply_overrides(placement.load(AREAS), fields={"commissioning.pinned":
                                                          "combined|local"})
    r = placement.solve(inst)
    assert r.ok and r.tiers["commissioning"] == "combined"
    code, _, err = run("solve", AREAS, "--set", "commissioning.serves=nobody")
    assert code == 2 and "an indicator of kind 'share'" in err


def test_the_command_line_wins_over_a_scenario() -> None:
    inst = placement.load(TINY)
    inst = inst.replace(scenarios={"s": Scenario("s", weights={"scale": 0.5, "local": 3.0},
                                                 pins={"prevention": "region"})})
    out = apply_overrides(inst, {"scale": 2}, {"prevention.pinned": "national"})
    under = out.with_scenario("s")
    assert under.model is not None
    assert dict(zip(under.model.criterion_ids, under.model.weights.tolist(),
                    strict=True)) == {"scale": 2.0, "local": 3.0}
    assert under.functions.pinned[under.functions.index["prevention"]] == 0  # national
    assert any("scenario 's'" in w and "--" not in w.split("(")[0] for w in out.warnings)


@pytest.mark.parametrize("command", [["explain", TINY, "commissioning"], ["compare", TINY]])
def test_explain_and_compare_take_the_overrides(command: list[str]) -> None:
    code, out, err = run(*command, "--weight", "scale=2", "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["overrides"] == {"weights": {"scale": 2.0}, "set": {}}
    if command[0] == "explain":
        assert d["objective"] == pytest.approx(29.0) and d["tier"] == "national"
    else:
        assert d["options"][0]["value"] == pytest.approx(29.0)
    code, _, err = run(*command, "--weight", "scale=-1")
    assert code == 2 and "--weight scale=-1" in err


def test_the_report_records_and_states_the_overrides(tmp_path: Path) -> None:
    code, _, err = run("report", TINY, "-o", str(tmp_path), "--weight", "scale=2",
                       "--samples", "0", "--no-frontier", "--no-stability")
    assert code == 0, err
    d = json.loads((tmp_path / "report.json").read_text())
    assert d["optimum"]["overrides"]["weights"] == {"scale": 2.0}
    assert d["optimum"]["objective"] == pytest.approx(29.0)
    assert "--weight scale=2" in (tmp_path / "report.md").read_text()


def test_the_table_names_the_changed_judgements() -> None:
    code, out, _ = run("solve", TINY, "--set", "prevention.pinned=region")
    assert code == 0 and "judgements changed for this run: --set prevention.pinned=region" in out


@pytest.mark.parametrize("name", ["england-2024", "england-2024-uniform", "tiny-areas"])
def test_a_row_written_back_unchanged_reads_back_identically(name: str) -> None:
    """Every function's row goes through the functions.csv text and its reader again (each
    set to its own category): every column of the table comes back bit for bit, so a --set
    changes only the cell it names."""
    import numpy as np

    inst = placement.load(ROOT / "instances" / name)
    fn = inst.functions
    same = apply_overrides(inst, fields={f"{f}.category": c for f, c in
                                         zip(fn.ids.tolist(), fn.categories.tolist(),
                                             strict=True)})
    new = same.functions
    for col in ("names", "categories", "scores", "lo", "hi", "allowed", "pinned", "current",
                "fixed", "variable", "move", "pinned_else", "serves"):
        a, b = getattr(fn, col), getattr(new, col)
        if a is None:
            assert b is None or not any(b), col
            continue
        assert np.array_equal(np.asarray(a), np.asarray(b), equal_nan=a.dtype.kind == "f"), col
    assert np.array_equal(inst.value_matrix, same.value_matrix)
    assert np.array_equal(inst.cost_tensor, same.cost_tensor)
