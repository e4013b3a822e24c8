"""Malformed instances: every kind of mistake gets a located message (file, line or key,
field, value, expectation), all problems in one report, exit code 2 from the CLI and no
traceback."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import placement
from placement.errors import InstanceError
from tests.conftest import INSTANCES, ROOT


@pytest.fixture
def inst_dir(tmp_path: Path) -> Path:
    d = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny-budget", d)
    # the tiny instances find their model in the repository's models/ folder
    shutil.copy(ROOT / "models" / "tiny-ramp.toml", tmp_path / "tiny-ramp.toml")
    (d / "instance.toml").write_text(
        (d / "instance.toml").read_text().replace('model = "tiny-ramp"',
                                                  'model = "../tiny-ramp.toml"'))
    return d


def edit_csv(d: Path, line: int, col: str, value: str) -> None:
    df = pd.read_csv(d / "functions.csv", dtype=str, keep_default_na=False)
    df.loc[line - 2, col] = value
    df.to_csv(d / "functions.csv", index=False)


def edit_toml(d: Path, old: str, new: str) -> None:
    p = d / "instance.toml"
    text = p.read_text()
    assert old in text, old
    p.write_text(text.replace(old, new))


def problems(d: Path) -> list[str]:
    with pytest.raises(InstanceError) as e:
        placement.load(d)
    return [str(p) for p in e.value.problems]


def test_the_fixture_is_valid(inst_dir: Path) -> None:
    assert placement.load(inst_dir).n_functions == 4


def test_unknown_tier(inst_dir: Path) -> None:
    edit_csv(inst_dir, 3, "current", "county")
    (msg,) = problems(inst_dir)
    assert "functions.csv" in msg and "line 3" in msg and "current" in msg
    assert "'county'" in msg and "national, region, local" in msg
    assert "function 'prevention'" in msg


def test_score_outside_0_5(inst_dir: Path) -> None:
    edit_csv(inst_dir, 2, "scale", "7")
    (msg,) = problems(inst_dir)
    assert "line 2" in msg and "'scale'" in msg and "'7'" in msg and "from 0 to 5" in msg


def test_non_numeric_cell(inst_dir: Path) -> None:
    edit_csv(inst_dir, 4, "local", "high")
    (msg,) = problems(inst_dir)
    assert "line 4" in msg and "'local'" in msg and "'high'" in msg


def test_blank_score_is_not_read_as_zero(inst_dir: Path) -> None:
    edit_csv(inst_dir, 4, "local", "")
    (msg,) = problems(inst_dir)
    assert "line 4" in msg and "found nothing" in msg


def test_duplicate_id(inst_dir: Path) -> None:
    edit_csv(inst_dir, 5, "id", "procurement")
    (msg,) = problems(inst_dir)
    assert "line 5" in msg and "'procurement'" in msg and "already used on line 2" in msg


def test_missing_column(inst_dir: Path) -> None:
    df = pd.read_csv(inst_dir / "functions.csv", dtype=str, keep_default_na=False)
    df.drop(columns=["local"]).to_csv(inst_dir / "functions.csv", index=False)
    (msg,) = problems(inst_dir)
    assert "header" in msg and "'local'" in msg and "criterion" in msg


def test_negative_budget(inst_dir: Path) -> None:
    edit_toml(inst_dir, "budget = 50", "budget = -5")
    (msg,) = problems(inst_dir)
    assert "instance.toml" in msg and "resources[1].budget" in msg and "-5" in msg
    assert "0 or more" in msg


def test_pinned_tier_not_allowed(inst_dir: Path) -> None:
    edit_csv(inst_dir, 2, "allowed", "national;region")
    edit_csv(inst_dir, 2, "pinned", "local")
    (msg,) = problems(inst_dir)
    assert "line 2" in msg and "pinned" in msg and "'local'" in msg
    assert "allowed tiers (national;region)" in msg


def test_unknown_scoring_model(inst_dir: Path) -> None:
    edit_toml(inst_dir, 'model = "../tiny-ramp.toml"', 'model = "no-such-model"')
    msgs = problems(inst_dir)
    assert any("'no-such-model'" in m and "scoring model" in m for m in msgs)


def test_unknown_key_is_a_typo_not_ignored(inst_dir: Path) -> None:
    edit_toml(inst_dir, "budget = 50", "budgte = 50")
    (msg,) = problems(inst_dir)
    assert "resources[1].budgte" in msg and "no such key" in msg


def test_wrong_format_version(inst_dir: Path) -> None:
    edit_toml(inst_dir, 'format = "placement/1"', 'format = "placement/9"')
    (msg,) = problems(inst_dir)
    assert "placement/9" in msg and "placement/1" in msg


def test_all_problems_in_one_report(inst_dir: Path) -> None:
    edit_csv(inst_dir, 2, "scale", "9")
    edit_csv(inst_dir, 3, "current", "nowhere")
    edit_csv(inst_dir, 5, "id", "procurement")
    edit_toml(inst_dir, "budget = 50", "budget = -1")
    msgs = problems(inst_dir)
    assert len(msgs) == 4
    joined = "\n".join(msgs)
    for bit in ("line 2", "line 3", "line 5", "budget"):
        assert bit in joined


def test_ragged_row_names_its_line(inst_dir: Path) -> None:
    with (inst_dir / "functions.csv").open("a") as fh:
        fh.write("extra,Extra,x,1,1,0,0,national,,surplus\n")
    (msg,) = problems(inst_dir)
    assert "line 6" in msg and "stray comma" in msg


def test_missing_functions_file(inst_dir: Path) -> None:
    (inst_dir / "functions.csv").unlink()
    (msg,) = problems(inst_dir)
    assert "functions.csv" in msg and "found nothing" in msg


def test_bad_toml_syntax(inst_dir: Path) -> None:
    edit_toml(inst_dir, 'name = "tiny-budget"', 'name = "tiny-budget')
    (msg,) = problems(inst_dir)
    assert "valid TOML" in msg and "line" in msg


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InstanceError) as e:
        placement.load(tmp_path / "nowhere")
    assert "nowhere" in str(e.value)


def test_scenario_errors_are_located(inst_dir: Path) -> None:
    with (inst_dir / "instance.toml").open("a") as fh:
        fh.write('\n[scenarios.bad]\nbudgets = { staf = 3 }\npins = { prevention = "moon" }\n')
    msgs = problems(inst_dir)
    assert any("scenarios.bad.budgets" in m and "'staf'" in m for m in msgs)
    assert any("scenarios.bad.pins.prevention" in m and "'moon'" in m for m in msgs)


def test_curve_override_lo_must_be_below_hi(inst_dir: Path) -> None:
    df = pd.read_csv(inst_dir / "functions.csv", dtype=str, keep_default_na=False)
    df["scale_lo"] = ["", "", "20000000", ""]
    df.to_csv(inst_dir / "functions.csv", index=False)
    (msg,) = problems(inst_dir)
    assert "line 4" in msg and "scale_lo/scale_hi" in msg and "lo smaller than hi" in msg


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "placement.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: edit_csv(d, 3, "current", "county"),
        lambda d: edit_csv(d, 2, "scale", "7"),
        lambda d: edit_csv(d, 5, "id", "procurement"),
        lambda d: edit_toml(d, "budget = 50", "budget = -5"),
        lambda d: edit_toml(d, 'model = "../tiny-ramp.toml"', 'model = "nope"'),
        lambda d: (d / "functions.csv").write_text("id,name\n"),
    ],
    ids=["unknown-tier", "score", "duplicate", "negative-budget", "model", "no-rows"],
)
@pytest.mark.parametrize("command", ["solve", "validate"])
def test_cli_exits_2_without_traceback(inst_dir: Path, mutate, command: str) -> None:  # type: ignore[no-untyped-def]
    mutate(inst_dir)
    p = _cli(command, str(inst_dir))
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    assert "error:" in p.stderr
