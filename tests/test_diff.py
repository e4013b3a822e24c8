"""``placement diff A.json B.json``: what moved between two runs and why
(placement.solution.result_diff)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from tests.builders import invoke as run
from tests.conftest import ROOT

TINY = str(ROOT / "instances" / "tiny-budget")
AREAS = str(ROOT / "instances" / "tiny-areas")


def solved(tmp_path: Path, name: str, *args: str) -> Path:
    out = tmp_path / f"{name}.json"
    code, _, err = run("solve", *args, "-f", "json", "-o", str(out))
    assert code == 0, err
    return out


@pytest.fixture
def tiny_pair(tmp_path: Path) -> tuple[Path, Path]:
    return (solved(tmp_path, "a", TINY),
            solved(tmp_path, "b", TINY, "--weight", "scale=2", "--set", "prevention.local=4"))


def test_diff_names_the_move_the_objective_and_why(tiny_pair: tuple[Path, Path]) -> None:
    """With weight 2 on scale, commissioning moves region -> national (3.5 -> 6; staff 1 ->
    0.01: fixed 0.01 x 1 unit) and the optimum goes 17.5 -> 10 + 4 + 6 + 8 = 28;
    prevention's local score 5 -> 4 leaves it at local (national 2, region 3, local 4)."""
    a, b = tiny_pair
    code, out, err = run("diff", str(a), str(b), "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["objective"] == {"a": 17.5, "b": 28.0, "change": 10.5}
    assert [(m["function"], m["tier_a"], m["tier_b"]) for m in d["moves"]] == [
        ("commissioning", "region", "national")]
    m = d["moves"][0]
    assert (m["value_a"], m["value_b"], m["value_change"]) == (3.5, 6.0, 2.5)
    assert m["staff_a"] == pytest.approx(1.0) and m["staff_b"] == pytest.approx(0.01)
    assert m["area"] is None and m["changed_cells"] == ""
    assert d["weights"] == [{"criterion": "scale", "a": 1.0, "b": 2.0}]
    assert {o["key"]: (o["a"], o["b"]) for o in d["overrides"]} == {
        "--weight scale": (None, 2.0), "--set prevention.local": (None, "4")}


def test_diff_table_and_csv_carry_the_same_move(tiny_pair: tuple[Path, Path]) -> None:
    a, b = tiny_pair
    code, out, _ = run("diff", str(a), str(b))
    assert code == 0
    assert "objective: 17.5 -> 28 (+10.5)" in out
    assert "scale: 1 -> 2" in out and "--set prevention.local: the file's -> 4" in out
    assert "commissioning: region -> national; value 3.5 -> 6 (+2.5); staff 1 -> 0.01" in out
    code, out, _ = run("diff", str(a), str(b), "-f", "csv")
    df = pd.read_csv(io.StringIO(out))
    assert df[["function", "tier_a", "tier_b"]].values.tolist() == [
        ["commissioning", "region", "national"]]
    assert list(df.columns[:8]) == ["function", "area", "tier_a", "tier_b", "value_a",
                                    "value_b", "value_change", "changed_cells"]


def test_diff_of_a_run_with_itself_moves_nothing(tiny_pair: tuple[Path, Path]) -> None:
    a, _ = tiny_pair
    code, out, _ = run("diff", str(a), str(a))
    assert code == 0 and "no function moved" in out and "(no change)" in out


def test_per_area_diff_lists_the_areas_each_function_moves_in(tmp_path: Path) -> None:
    a = solved(tmp_path, "a", AREAS)
    b = solved(tmp_path, "b", AREAS, "--set", "prevention.pinned=national")
    code, out, err = run("diff", str(a), str(b), "-f", "csv")
    assert code == 0, err
    df = pd.read_csv(io.StringIO(out), keep_default_na=False)
    ra, rb = (json.loads(p.read_text())["areas"]["by_area"] for p in (a, b))
    ta = {(r["function"], r["area"]): r["tier"] for r in ra}
    tb = {(r["function"], r["area"]): r["tier"] for r in rb}
    expected = sorted((f, ar, ta[f, ar], tb[f, ar]) for (f, ar) in ta if ta[f, ar] != tb[f, ar])
    assert expected  # the pin moves prevention somewhere
    got = sorted(map(tuple, df[["function", "area", "tier_a", "tier_b"]].astype(str).values))
    assert got == expected
    assert set(df["changed_cells"]) == {"pinned: the file's -> national"}
    code, out, _ = run("diff", str(a), str(b))
    assert "function-area pairs" in out and "prevention" in out


def test_a_report_json_compares_as_its_optimum(tmp_path: Path,
                                               tiny_pair: tuple[Path, Path]) -> None:
    code, _, err = run("report", TINY, "-o", str(tmp_path / "rep"), "--samples", "0",
                       "--no-frontier", "--no-stability", "--weight", "scale=2")
    assert code == 0, err
    code, out, err = run("diff", str(tiny_pair[0]), str(tmp_path / "rep" / "report.json"),
                         "-f", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["objective"] == {"a": 17.5, "b": 29.0, "change": 11.5}
    assert [m["function"] for m in d["moves"]] == ["commissioning"]
    from placement.report.document import REPORT_FORMAT
    from placement.solution import result_diff
    assert result_diff.REPORT_FORMAT == REPORT_FORMAT


@pytest.mark.parametrize(("content", "bits"), [
    ('{"a":', ["line 1", "JSON, as `placement solve -f json` writes it"]),
    ('[{"format": "placement-result/1"}]', ["a list of 1 results", "--problem"]),
    ('{"format": "placement-diff/1"}', ["field 'format'", "'placement-diff/1'",
                                        "placement-result/1"]),
    ('{"format": "placement-result/1", "instance": "x"}', ["field 'placements'",
                                                           "found nothing"]),
])
def test_a_file_that_is_not_a_result_is_exit_2(tmp_path: Path, tiny_pair: tuple[Path, Path],
                                                content: str, bits: list[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, _, err = run("diff", str(tiny_pair[0]), str(bad))
    assert code == 2
    for b in [str(bad), *bits]:
        assert b in err, (b, err)
