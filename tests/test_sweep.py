"""Sweeps (issue 17): the same table serially, on local processes and on a two-worker Dask
LocalCluster; a killed worker loses no point and duplicates none; a stopped sweep resumes.

Tables are compared for equality, not closeness: a point's answer depends on the point alone.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import placement
from placement.analysis.sweep import SweepTask, parse_axis, prepare
from placement.analysis.sweep_store import read_points, run_sweep
from placement.cli import app
from placement.errors import InstanceError
from placement.util.executor import DaskExecutor, ProcessExecutor
from tests.conftest import INSTANCES

ENGLAND = INSTANCES / "england-2024-uniform"
GRID = ["weights.local_knowledge=0.5:2:3", "budget.staff_fte=30000:45000:2"]


@pytest.fixture(scope="module")
def england() -> placement.Instance:
    return placement.load(ENGLAND)


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as c:
        yield c


def _sweep(inst: placement.Instance, out: Path, executor=None, grid=GRID,  # type: ignore[no-untyped-def]
           samples=None, progress=None) -> pd.DataFrame:
    inst2, axes, points = prepare(inst, None, grid, samples, 7)
    return run_sweep(SweepTask(inst2), axes, points, out, executor=executor, samples=samples,
                     seed=7, progress=progress)


@pytest.fixture(scope="module")
def serial(england: placement.Instance, tmp_path_factory: pytest.TempPathFactory
           ) -> pd.DataFrame:
    return _sweep(england, tmp_path_factory.mktemp("serial") / "s")


def test_every_point_is_solved_checked_and_matches_a_plain_solve(
        england: placement.Instance, serial: pd.DataFrame) -> None:
    assert len(serial) == 6 and serial["point"].tolist() == list(range(6))
    assert (serial["status"] == "optimal").all() and serial["checked"].all()
    row = serial.iloc[3]  # local_knowledge 1.25, staff 45,000
    assert (row["weights.local_knowledge"], row["budget.staff_fte"]) == (1.25, 45000.0)
    model = england.model.with_weights({"local_knowledge": 1.25})  # type: ignore[union-attr]
    res = tuple(r.__class__(**{**r.__dict__, "budget": 45000.0}) for r in england.resources)
    r = placement.solve(england.replace(model=model, resources=res))
    assert row["objective"] == r.objective
    assert all(row[f"tier:{f}"] == t for f, t in r.tiers.items())


def test_local_processes_give_the_identical_table(england: placement.Instance,
                                                  serial: pd.DataFrame, tmp_path: Path) -> None:
    got = _sweep(england, tmp_path / "p", executor=ProcessExecutor(2))
    pd.testing.assert_frame_equal(got, serial)


def test_a_dask_cluster_gives_the_identical_table(cluster, england: placement.Instance,  # type: ignore[no-untyped-def]
                                                  serial: pd.DataFrame, tmp_path: Path) -> None:
    ex = DaskExecutor(cluster)
    try:
        got = _sweep(england, tmp_path / "d", executor=ex)
    finally:
        ex.close()
    pd.testing.assert_frame_equal(got, serial)
    saved = pd.read_parquet(tmp_path / "d" / "results.parquet")
    assert saved["point"].tolist() == list(range(6))


def test_a_killed_worker_loses_no_point_and_duplicates_none(
        cluster, england: placement.Instance, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    grid = ["weights.local_knowledge=0.5:2:6", "budget.staff_fte=30000:45000:4"]
    want = _sweep(england, tmp_path / "serial", grid=grid)
    ex = DaskExecutor(cluster)
    pids = [w.process.pid for w in cluster.workers.values()]  # the nannies' worker processes
    done = []

    def kill_after_some(n: int) -> None:
        done.append(n)
        if len(done) == 5:
            os.kill(pids[0], signal.SIGKILL)

    try:
        got = _sweep(england, tmp_path / "d", executor=ex, grid=grid, progress=kill_after_some)
    finally:
        ex.close()
    assert len(done) == 24  # the kill happened mid-sweep, after 5 of 24 points
    stat = Path(f"/proc/{pids[0]}/stat")
    assert not stat.exists() or ") Z " in stat.read_text()  # gone (or not yet reaped)
    pd.testing.assert_frame_equal(got, want)
    lines = (tmp_path / "d" / "points.jsonl").read_text().splitlines()
    assert sorted(json.loads(x)["point"] for x in lines) == list(range(24))
    deadline = time.monotonic() + 30  # the nanny restarts the worker for the next test
    while len(cluster.scheduler.workers) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)


def test_a_stopped_sweep_resumes_with_the_points_it_had(england: placement.Instance,
                                                        serial: pd.DataFrame,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "r"
    seen = []

    def stop_after_three(n: int) -> None:
        seen.append(n)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _sweep(england, out, progress=stop_after_three)
    assert len(read_points(out / "points.jsonl")) == 3
    with (out / "points.jsonl").open("a") as fh:
        fh.write('{"point": 5, "sta')  # a torn last line, as a crash leaves it
    solved = []
    got = _sweep(england, out, progress=solved.append)
    pd.testing.assert_frame_equal(got, serial)
    assert sum(solved) == 6  # 3 already on disk (counted first), 3 solved now


def test_random_points_repeat_for_a_seed(england: placement.Instance, tmp_path: Path) -> None:
    a = _sweep(england, tmp_path / "a", samples=5)
    b = _sweep(england, tmp_path / "b", executor=ProcessExecutor(2), samples=5)
    pd.testing.assert_frame_equal(a, b)
    assert a["weights.local_knowledge"].between(0.5, 2).all()


@pytest.mark.parametrize("axis,words", [
    ("weights.nope=1:2:3", "a criterion of the instance"),
    ("budget.nope=1:2:3", "a resource of the instance"),
    ("cap.staff_fte.nowhere=1,2", "a tier of the instance"),
    ("weights.local_knowledge=1:2", "LO:HI:N"),
    ("weights.local_knowledge=nan,1", "values from 0 to"),
    ("weights.local_knowledge=1e300", "values from 0 to"),
    ("speed=1", "weights.CRITERION"),
])
def test_bad_axes_are_located(england: placement.Instance, axis: str, words: str) -> None:
    with pytest.raises(InstanceError) as e:
        parse_axis(axis, england)
    assert words in str(e.value) and axis in str(e.value)


def test_another_sweep_in_the_same_directory_is_refused(england: placement.Instance,
                                                        tmp_path: Path) -> None:
    _sweep(england, tmp_path / "s", grid=["weights.local_knowledge=1,2"])
    with pytest.raises(InstanceError, match="same settings"):
        _sweep(england, tmp_path / "s", grid=["weights.local_knowledge=1,3"])


def test_the_command_writes_the_tables_and_the_chart(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["sweep", str(INSTANCES / "tiny-budget"), "-o",
                                 str(tmp_path / "s"), "--grid", "weights.scale=0.5:3:6",
                                 "--grid", "budget.staff=20:60:3"])
    assert r.exit_code == 0, r.output
    assert "18 points: 18 optimal" in r.output
    for name in ("results.csv", "results.parquet", "changes.png", "sweep.json"):
        assert (tmp_path / "s" / name).is_file()
    r = CliRunner().invoke(app, ["sweep", str(INSTANCES / "tiny-budget"), "-o",
                                 str(tmp_path / "t"), "--grid", "weights.scale=x"])
    assert r.exit_code == 2 and "--grid weights.scale=x" in r.output, r.output

