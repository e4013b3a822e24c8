"""The text table the readers validate (placement/io/table.py): strict numbers, joins by
first appearance, and DataFrame cells written as a CSV would hold them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from placement.io.table import Table, first_codes, numbers, repeated


def _cells(*texts: str) -> np.ndarray:
    return np.array(texts, dtype=object)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_written_out_reads_back_exactly(x: float) -> None:
    assert numbers(_cells(repr(x), str(x)))[0] == x
    assert numbers(_cells(repr(x), str(x)))[1] == float(str(x))


@pytest.mark.parametrize("text", ["1_000", "1,000", "١٢", "0x10", "1e", "--1", "one", "5 %",
                                  "Ⅻ", "1.5.2"])
def test_what_python_or_a_spreadsheet_might_take_is_not_a_number(text: str) -> None:
    """Python's float takes underscores and other scripts' digits; the readers do not."""
    assert math.isnan(numbers(_cells(text, "2"))[0])
    assert numbers(_cells(text, "2"))[1] == 2.0


def test_blank_cells_are_nan_and_non_finite_words_parse() -> None:
    out = numbers(_cells("", "inf", "-Infinity", "nan", "+.5", "7."))
    assert math.isnan(out[0]) and out[1] == math.inf and out[2] == -math.inf
    assert math.isnan(out[3]) and out[4] == 0.5 and out[5] == 7.0


@given(st.lists(st.sampled_from(["a", "b", "c", ""]), max_size=30))
def test_codes_and_repeats_follow_first_appearance(xs: list[str]) -> None:
    codes = first_codes(_cells(*xs)) if xs else first_codes(np.array([], dtype=object))
    seen: list[str] = []
    for x, c in zip(xs, codes.tolist(), strict=True):
        if x not in seen:
            seen.append(x)
        assert c == seen.index(x)
    rep = repeated(np.array(xs, dtype=object))
    assert rep.tolist() == [x in xs[:i] for i, x in enumerate(xs)]


def test_a_frame_becomes_text_as_a_csv_holds_it() -> None:
    df = pd.DataFrame({"id": [" a ", "b", None], "x": [1.5, np.nan, 1e-320],
                       "n": [1, 2, 3], "ok": [True, False, pd.NA]}, index=[10, 11, 12])
    t = Table.from_frame(df)
    assert t["id"].tolist() == ["a", "b", ""]
    assert t["x"].tolist() == ["1.5", "", repr(1e-320)]
    assert numbers(t["x"])[2] == 1e-320
    assert t["n"].tolist() == ["1", "2", "3"] and t["ok"].tolist() == ["True", "False", ""]
    assert t.locate(1) == "row 11" and len(t) == 3


def test_take_select_rename_and_join_keep_lines() -> None:
    t = Table.from_rows(["k", "v"], [["a", "1"], ["b", "2"], ["c", "3"]], [4, 5, 7])
    sub = t.take(np.array([False, True, True]))
    assert sub["k"].tolist() == ["b", "c"] and sub.locate(1) == "line 7"
    joined = sub.with_columns({"w": np.array(["x", "y"], dtype=object)},
                              {"w": ("other.csv", [9, None])})
    assert joined.columns == ["k", "v", "w"] and joined.origin["w"] == ("other.csv", [9, None])
    assert joined.take(np.array([1])).origin["w"] == ("other.csv", [None])
    assert joined.rename({"w": "z"}).select(["z"]).records() == [{"z": "x"}, {"z": "y"}]
    assert Table.from_rows(["k"], [], []).empty


def test_a_long_column_failing_late_is_read_in_one_pass() -> None:
    """One way only to match a cell: with a pattern that could split a run of digits in many
    ways (``\\d+\\.?\\d*``), 200 cells of 5,000 digits and a bad cell at the end took minutes
    of backtracking; now they parse, and the bad cell alone is not a number."""
    cells = np.array(["1" * 5000] * 200 + ["1" * 5000 + "e"], dtype=object)
    out = numbers(cells)
    assert (out[:200] == math.inf).all()  # too large: the readers' range checks say so
    assert math.isnan(out[200])


def test_a_repeated_row_of_a_tier_table_is_located(tmp_path: Path) -> None:
    """A geography table's repeated row would count as one unit more: the problem names the
    repeat's line and the line it repeats."""
    import shutil

    import placement
    from placement.errors import InstanceError
    from tests.conftest import DATA, INSTANCES

    d = tmp_path / "inst"
    shutil.copytree(INSTANCES / "england-2024-uniform", d)
    lines = (DATA / "geography" / "nhs_regions.csv").read_text().splitlines()
    (d / "regions.csv").write_text("\n".join([*lines, lines[2]]) + "\n")
    toml = d / "instance.toml"
    toml.write_text(toml.read_text().replace("bundled:data/geography/nhs_regions.csv",
                                             "regions.csv"))
    with pytest.raises(InstanceError) as e:
        placement.load(d)
    msgs = [str(p) for p in e.value.problems]
    assert any(f"line {len(lines) + 1}" in m and "repeats line 3" in m for m in msgs), msgs
