"""``-f xlsx`` on solve, compare and report: every sheet read back with openpyxl and compared
with the CSV and JSON of the same run (placement.io.workbook)."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from placement.io.workbook import cell_value, sheet_name
from tests.builders import invoke as run
from tests.conftest import ROOT

TINY = str(ROOT / "instances" / "tiny-budget")
AREAS = str(ROOT / "instances" / "tiny-areas")


def sheets(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every sheet as records keyed by its header row."""
    wb = load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        out[ws.title] = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    return out


def same(a: Any, b: Any) -> bool:
    """A cell equals a CSV or JSON value: numbers to 1e-12, blanks as blanks."""
    blank = (None, "")
    if a in blank or b in blank or (isinstance(b, float) and b != b):
        return a in blank and (b in blank or (isinstance(b, float) and b != b))
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-12)
    return str(a) == str(b)


def test_solve_workbook_matches_the_csv_and_the_json(tmp_path: Path) -> None:
    x = tmp_path / "r.xlsx"
    code, _, err = run("solve", TINY, "--weight", "scale=2", "-f", "xlsx", "-o", str(x))
    assert code == 0, err
    wb = sheets(x)
    assert list(wb) == ["run", "weights", "placements", "resources", "baselines"]
    _, csv_text, _ = run("solve", TINY, "--weight", "scale=2", "-f", "csv")
    csv = pd.read_csv(io.StringIO(csv_text), keep_default_na=False).to_dict("records")
    assert len(wb["placements"]) == len(csv) == 4
    for got, want in zip(wb["placements"], csv, strict=True):
        assert set(got) == set(want)
        for k in want:
            assert same(got[k], want[k]), (k, got[k], want[k])
    _, json_text, _ = run("solve", TINY, "--weight", "scale=2", "-f", "json")
    d = json.loads(json_text)
    (r,) = wb["run"]
    assert r["objective"] == d["objective"] == 29.0 and r["status"] == "optimal"
    assert r["overrides"] == "--weight scale=2"
    assert {w["criterion"]: w["weight"] for w in wb["weights"]} == d["weights"]
    (res,) = wb["resources"]
    assert same(res["used"], d["resources"]["staff"]["used"])
    assert same(res["budget"], d["resources"]["staff"]["budget"])
    assert all(same(res[f"at {t}"], v)
               for t, v in d["resources"]["staff"]["per_tier"].items())
    base = {b["placement"]: b for b in wb["baselines"]}
    for t, one in d["baselines"]["one_size"].items():
        row = base[f"every function at {t}"]
        assert same(row["value"], one["value"]) and row["feasible"] == one["feasible"]
        assert same(row["resources.staff"], one["resources"]["staff"])
    assert same(base["status quo"]["value"], d["baselines"]["status_quo"]["value"])


def test_per_area_workbook_has_the_function_by_area_table(tmp_path: Path) -> None:
    x = tmp_path / "a.xlsx"
    code, _, err = run("solve", AREAS, "-f", "xlsx", "-o", str(x))
    assert code == 0, err
    wb = sheets(x)
    assert {"by area", "by unit", "tier shares"} <= set(wb)
    _, csv_text, _ = run("solve", AREAS, "--by-area", "-f", "csv")
    csv = pd.read_csv(io.StringIO(csv_text), keep_default_na=False,
                      dtype=str).to_dict("records")
    assert len(wb["by area"]) == len(csv)
    for got, want in zip(wb["by area"], csv, strict=True):
        for k in ("function", "area", "tier", "unit"):
            assert str(got[k]) == want[k]


def test_compare_workbook_matches_the_csv(tmp_path: Path) -> None:
    x = tmp_path / "c.xlsx"
    code, _, err = run("compare", AREAS, "-f", "xlsx", "-o", str(x))
    assert code == 0, err
    wb = sheets(x)
    assert list(wb) == ["options", "placements", "differences"]
    _, csv_text, _ = run("compare", AREAS, "-f", "csv")
    csv = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    assert [r["metric"] for r in wb["options"]] == csv["metric"].tolist()
    for got, (_, want) in zip(wb["options"], csv.iterrows(), strict=True):
        for col in csv.columns[1:]:
            w: Any = want[col]
            with contextlib.suppress(ValueError):
                w = float(w)
            assert same(got[col], w), (want["metric"], col, got[col], want[col])


def test_report_workbook_holds_the_report_json_numbers(tmp_path: Path) -> None:
    args = [TINY, "--samples", "50", "--seed", "3"]
    code, _, err = run("report", *args, "-f", "xlsx", "-o", str(tmp_path / "r.xlsx"))
    assert code == 0, err
    code, _, err = run("report", *args, "-o", str(tmp_path / "html"))
    assert code == 0, err
    wb = sheets(tmp_path / "r.xlsx")
    d = json.loads((tmp_path / "html" / "report.json").read_text())
    assert {"run", "placements", "forcing costs", "weight stability", "monte carlo",
            "frontier staff"} <= set(wb)
    assert wb["run"][0]["objective"] == d["optimum"]["objective"]
    got = {r["function"]: r for r in wb["forcing costs"]}
    want = {f["function"]: f for f in d["forcing_costs"]["functions"]}
    assert set(got) == set(want)
    for fid, f in want.items():
        assert got[fid]["tier"] == f["tier"] and same(got[fid]["margin"], f["margin"])
        for t, cost in f["forcing_cost"].items():
            assert same(got[fid][t], cost), (fid, t)
    fr = d["frontiers"][0]
    values = [r["value"] for r in wb["frontier staff"]]
    assert values == pytest.approx([s["value"] for s in fr["steps"]])


@pytest.mark.parametrize("command", [["solve", TINY], ["compare", TINY],
                                     ["report", TINY, "--samples", "0"]])
def test_xlsx_needs_a_file_in_an_existing_directory(tmp_path: Path,
                                                    command: list[str]) -> None:
    flag = ["-f", "xlsx"]
    if command[0] != "report":
        code, _, err = run(*command, *flag)
        assert code == 2 and "--output FILE.xlsx" in err
    code, _, err = run(*command, *flag, "-o", str(tmp_path / "missing" / "r.xlsx"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(*command, *flag, "-o", str(tmp_path))
    assert code == 2 and "is a directory" in err
    assert list(tmp_path.iterdir()) == []


def test_invalid_input_leaves_no_workbook(tmp_path: Path) -> None:
    x = tmp_path / "r.xlsx"
    code, _, _ = run("solve", TINY, "--weight", "scale=-1", "-f", "xlsx", "-o", str(x))
    assert code == 2 and not x.exists()


def test_sheet_names_and_cells_are_what_excel_accepts() -> None:
    taken: set[str] = set()
    assert sheet_name("a/b:c", taken) == "a_b_c"
    assert sheet_name("A/B:C", taken) == "A_B_C (2)"
    long = sheet_name("x" * 40, taken)
    assert len(long) == 31
    assert len(sheet_name("x" * 40, taken)) == 31 and len(taken) == 4
    assert cell_value(float("inf")) is None and cell_value([1, 2]) == "[1, 2]"


def test_openpyxl_is_imported_only_to_write_a_workbook() -> None:
    code = ("import sys\nfrom placement.cli import app\n"
            "try:\n    app(['solve', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('OPENPYXL=' + str('openpyxl' in sys.modules))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "OPENPYXL=False" in p.stdout, p.stdout[-300:] + p.stderr[-300:]


def test_several_problems_stack_into_the_same_sheets(tmp_path: Path) -> None:
    """An OR-Library file of several problems: every sheet stacks them with an instance
    column, as the CSV does."""
    from tests.conftest import GAP_DIR

    names = ["c0515_1", "c0515_2"]
    src = tmp_path / "gap2.txt"
    src.write_text("2\n" + "".join((GAP_DIR / n).read_text() + "\n" for n in names))
    x = tmp_path / "g.xlsx"
    code, _, err = run("solve", str(src), "--input-format", "orlib-gap", "-f", "xlsx",
                       "-o", str(x))
    assert code == 0, err
    wb = sheets(x)
    _, csv_text, _ = run("solve", str(src), "--input-format", "orlib-gap", "-f", "csv")
    csv = pd.read_csv(io.StringIO(csv_text), keep_default_na=False)
    assert len(wb["run"]) == csv["instance"].nunique() > 1
    assert [(r["instance"], r["function"], r["tier"]) for r in wb["placements"]] == [
        (str(i), str(f), str(t)) for i, f, t in csv[["instance", "function", "tier"]].values]
