"""`placement compare`: options side by side on one yardstick."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import placement
from placement.analysis.compare import compare, criterion_values
from tests.conftest import INSTANCES, ROOT

SCENARIOS = """
[scenarios.status-quo]
placement = "current"

[scenarios.all-local]
name = "Everything local"
placement = { procurement = "local", prevention = "local", commissioning = "local", \
workforce = "local" }
weights = { local = 2.0 }

[scenarios.rich]
budgets = { staff = 500 }
"""


@pytest.fixture
def inst_dir(tmp_path: Path) -> Path:
    d = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny-budget", d)
    text = (d / "instance.toml").read_text().replace(
        'model = "tiny-ramp"', f'model = "{ROOT / "models" / "tiny-ramp.toml"}"')
    (d / "instance.toml").write_text(text + SCENARIOS)
    return d


def test_columns_values_and_distances(inst_dir: Path) -> None:
    c = compare(placement.load(inst_dir), optimise=True)
    by = {(o.id, o.kind): o for o in c.options}
    assert by[("optimum", "optimum")].value == pytest.approx(17.5)
    sq = by[("status-quo", "fixed")]
    assert sq.value == pytest.approx(13.0) and sq.feasible
    assert sq.value_gap == pytest.approx(4.5)
    assert sorted(sq.differs) == ["commissioning", "prevention"]
    local = by[("all-local", "fixed")]
    # scored with the instance's weights (local = 1), not the scenario's (2): 1 + 5 + 4 + 2
    assert local.value == pytest.approx(12.0)
    assert not local.feasible and "exceeds its budget 50 by 62" in local.violations[0]
    assert local.tiers == {"national": 0, "region": 0, "local": 4}
    opt_local = by[("all-local", "optimised")]
    assert opt_local.result.status.value == "optimal"
    rich = by[("rich", "optimised")]
    assert rich.value == pytest.approx(18.0) and rich.value_gap == pytest.approx(-0.5)


def test_per_criterion_values_sum_to_the_total(inst_dir: Path) -> None:
    c = compare(placement.load(inst_dir), ["status-quo"])
    for o in c.options:
        assert sum(o.criteria.values()) == pytest.approx(o.value)


def test_criterion_values_match_hand_table() -> None:
    import numpy as np

    inst = placement.load(INSTANCES / "tiny-budget")
    df = criterion_values(inst, np.array([0, 2, 1, 0]))
    assert df.loc["commissioning"].to_dict() == pytest.approx({"scale": 1.5, "local": 2.0})


def test_unknown_scenario(inst_dir: Path) -> None:
    with pytest.raises(placement.InstanceError, match="'nope'"):
        compare(placement.load(inst_dir), ["nope"])


def test_cli_json_and_table(inst_dir: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "placement.cli", "compare", str(inst_dir),
                        "-s", "status-quo", "-s", "all-local", "-f", "json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert [o["id"] for o in d["options"]] == ["optimum", "status-quo", "all-local"]
    assert d["options"][1]["distance_from_optimum"]["functions_moved"] == 2
    p = subprocess.run([sys.executable, "-m", "placement.cli", "compare", str(inst_dir),
                        "--optimise"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert "Functions placed differently" in p.stdout and "exceeds its budget" in p.stdout
