"""The executor seam (issue 17) for benchmark runs and weight-stability searches: the same
answers serially, on local processes and on a two-worker Dask LocalCluster.

Compared for equality, not closeness. Benchmark rows differ only in what is measured where the
run happened (seconds, memory, when, which worker); everything the solve decides is equal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import placement
from benchmarks import runner
from benchmarks.report import summary_markdown
from placement.analysis import weight_stability
from placement.cli import app
from placement.util.executor import DaskExecutor
from tests.conftest import INSTANCES, ROOT

#: Columns that measure the run where it happened rather than what the solve decided.
MEASURED = {"load_seconds", "build_seconds", "backend_build_seconds", "solve_seconds",
            "backend_seconds", "wall_seconds", "peak_rss_mb", "finished_at", "worker", "load1"}
SETTINGS = runner.RunSettings(suite="smoke", solvers=("highs",), time_limit=30.0, threads=1,
                              repeats=1, seed=0)
PICK = ["c0515_1", "synthetic-50x5*"]


@pytest.fixture(scope="module")
def cluster():  # type: ignore[no-untyped-def]
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=50) as c:
        yield c


def _decided(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = sorted(rows, key=lambda r: (r["instance"], r["backend"], r["repeat"]))
    return [{k: v for k, v in r.items() if k not in MEASURED} for r in rows]


def test_bench_rows_are_the_same_serially_and_on_a_dask_cluster(cluster, tmp_path: Path
                                                                ) -> None:  # type: ignore[no-untyped-def]
    serial = runner.run(SETTINGS, tmp_path / "serial", root=ROOT, instances=PICK,
                        progress=False, report_files=False)
    assert len(serial.rows) == 2 and not serial.failures
    assert all(r["status"] == "optimal" and r["check_ok"] for r in serial.rows)
    r = CliRunner().invoke(app, ["bench", "smoke", "--solvers", "highs", "--time-limit", "30",
                                 "--instances", ",".join(PICK), "--no-progress",
                                 "--scheduler", cluster.scheduler_address,
                                 "-o", str(tmp_path / "dask")])
    assert r.exit_code == 0, r.output
    assert "not comparable" in r.output
    dask = runner.read_results(tmp_path / "dask" / "results.csv")
    assert _decided(dask) == _decided(serial.rows)
    workers = {w.worker_address for w in cluster.workers.values()}  # not the nannies'
    assert all(any(a in row["worker"] for a in workers) for row in dask)
    assert all("pid" in row["worker"] for row in serial.rows)
    spread = [{**row, "worker": f"w{i}"} for i, row in enumerate(serial.rows)]
    assert "not comparable" in summary_markdown(spread, None, None)
    assert "not comparable" not in summary_markdown(serial.rows, None, None)


def test_an_older_results_file_gains_the_worker_column_on_resume(tmp_path: Path) -> None:
    out = tmp_path / "r"
    runner.run(SETTINGS, out, root=ROOT, instances=PICK[:1], progress=False,
               report_files=False)
    csv_path = out / "results.csv"
    lines = csv_path.read_text().splitlines()
    cut = len(lines[0].split(",")) - 1  # as written before the worker column existed
    csv_path.write_text("".join(",".join(ln.split(",")[:cut]) + "\n" for ln in lines))
    rep = runner.run(SETTINGS, out, root=ROOT, instances=PICK, progress=False,
                     report_files=False)
    assert (rep.skipped, rep.ran, len(rep.rows)) == (1, 1, 2)
    assert csv_path.read_text().splitlines()[0] == ",".join(runner.COLUMNS)


def _without_seconds(ws: Any) -> dict[str, Any]:
    d = ws.to_dict()
    d.pop("seconds")
    return d


def test_stability_is_the_same_serially_and_on_a_dask_cluster(cluster) -> None:  # type: ignore[no-untyped-def]
    inst = placement.load(INSTANCES / "england-2024-uniform")
    serial = weight_stability(inst)
    ex = DaskExecutor(cluster)
    try:
        dask = weight_stability(inst, executor=ex)
    finally:
        ex.close()
    assert len(serial.criteria) == 5
    assert json.dumps(_without_seconds(dask), sort_keys=True) == \
        json.dumps(_without_seconds(serial), sort_keys=True)


def test_the_stability_command_on_local_processes_prints_the_same_table() -> None:
    args = ["sensitivity", str(INSTANCES / "tiny-budget"), "--weights", "-f", "csv"]
    one = CliRunner().invoke(app, args)
    two = CliRunner().invoke(app, [*args, "--workers", "2"])
    assert one.exit_code == two.exit_code == 0, two.output
    assert two.output == one.output and "scale" in one.output
