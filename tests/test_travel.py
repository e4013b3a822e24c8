"""Instances that travel (issue 14): a copied instance directory solves from any working
directory, because bundled geography, models and tables are named ``bundled:...``; and
``placement new DIR`` writes a starter instance that validates and solves as written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import placement
from placement.io.paths import instance_file
from placement.io.starter import STARTER_FILES
from tests.conftest import INSTANCES, ROOT


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The worktree's CLI run from ``cwd`` (PYTHONPATH: this checkout, whatever cwd is)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "placement.cli", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


@pytest.mark.parametrize("name", ["england-2024", "england-2024-uniform"])
def test_a_copied_instance_solves_from_another_directory(tmp_path: Path, name: str) -> None:
    mine = tmp_path / "copies" / "mine"
    shutil.copytree(INSTANCES / name, mine)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    v = _cli("validate", str(mine), cwd=elsewhere)
    assert v.returncode == 0, v.stderr
    p = _cli("solve", str(mine), "-f", "json", cwd=elsewhere)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    want = placement.solve(placement.load(INSTANCES / name))
    assert got["status"] == "optimal"
    assert got["objective"] == pytest.approx(want.objective, rel=1e-9)
    # a relative path from the other directory works too
    rel = _cli("solve", os.path.relpath(mine, elsewhere), "-f", "json", cwd=elsewhere)
    assert rel.returncode == 0, rel.stderr


def test_bundled_paths_name_files_shipped_with_placement(tmp_path: Path) -> None:
    assert instance_file(tmp_path, "bundled:data/geography/icb.csv") == (
        ROOT / "data" / "geography" / "icb.csv")
    assert instance_file(tmp_path, "functions.csv") == tmp_path / "functions.csv"
    d = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny-link-geography", d)
    toml = (d / "instance.toml").read_text()
    assert "bundled:data/geography/" in toml
    # a bundled file that does not exist is reported where it is named, like any other path
    (d / "instance.toml").write_text(toml.replace("bundled:data/geography/utla.csv",
                                                  "bundled:data/geography/nope.csv", 1))
    p = _cli("validate", str(d), cwd=tmp_path)
    assert p.returncode == 2 and "nope.csv" in p.stderr and "Traceback" not in p.stderr


def test_new_writes_a_starter_that_validates_and_solves(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = _cli("new", "starter", cwd=elsewhere)
    assert p.returncode == 0, p.stderr
    d = elsewhere / "starter"
    assert {str(f.relative_to(d)) for f in d.rglob("*") if f.is_file()} == set(STARTER_FILES)
    toml = (d / "instance.toml").read_text()
    assert toml.count("\n#") >= 15 and 'name = "starter"' in toml  # commented, named
    assert _cli("validate", "starter", cwd=elsewhere).returncode == 0
    s = _cli("solve", "starter", "-f", "json", cwd=tmp_path / "elsewhere")
    assert s.returncode == 0, s.stderr
    r = json.loads(s.stdout)
    assert r["status"] == "optimal" and r["checks"]["ok"] is True
    c = _cli("compare", "starter", "--scenario", "today", "--scenario", "local-first",
             cwd=elsewhere)
    assert c.returncode == 0, c.stderr
    # the starter is a real instance: the optimum moves public health from region to local
    inst = placement.load(d)
    res = placement.solve(inst)
    assert res.tiers["public_health"] == "local"
    assert res.baselines["status_quo"]["functions_differ"] >= 1


def test_new_never_overwrites(tmp_path: Path) -> None:
    d = tmp_path / "taken"
    d.mkdir()
    (d / "mine.txt").write_text("keep me")
    p = _cli("new", str(d), cwd=tmp_path)
    assert p.returncode == 2 and "never overwrites" in p.stderr
    assert "Traceback" not in p.stderr
    assert [f.name for f in d.iterdir()] == ["mine.txt"]
    assert (d / "mine.txt").read_text() == "keep me"
    e = tmp_path / "empty"
    e.mkdir()
    assert _cli("new", str(e), "--name", "mine", cwd=tmp_path).returncode == 0
    assert placement.load(e).name == "mine"
