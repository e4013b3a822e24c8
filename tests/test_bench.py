"""The benchmark registry, runner, summary and plots (benchmarks/) and ``placement bench``.

No timing assertions: performance goals live in benchmarks/, not in tests.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import plots, registry, runner
from benchmarks.build_throughput import measure, summarise
from benchmarks.registry import BenchError, Case
from placement.errors import SolverUnavailableError
from tests.conftest import ROOT

PNG = b"\x89PNG\r\n\x1a\n"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "placement.cli", *args], capture_output=True,
                          text=True, cwd=ROOT)


# -- registry ---------------------------------------------------------------------------------


def test_orlib_gap_suite_names_every_instance_with_its_family_and_optimum() -> None:
    cases = registry.get_suite("orlib-gap").cases(registry.SuiteOptions())
    gap = [c for c in cases if c.family.startswith("gap")]
    assert len(gap) == 60
    assert {c.family for c in gap} == {f"gap{i}" for i in range(1, 13)}
    assert all(c.known_optimum is not None and c.sense == "min" for c in gap)
    big = {c.family for c in cases if not c.family.startswith("gap")}
    assert {"A", "B", "C"} <= big
    a05100 = next(c for c in cases if c.name == "a05100")
    assert (a05100.functions, a05100.tiers, a05100.known_optimum) == (100, 5, 1698.0)


def test_synthetic_suite_reaches_a_million_binaries_in_both_shapes() -> None:
    cases = registry.get_suite("synthetic").cases(registry.SuiteOptions())
    sizes = {(c.functions, c.tiers) for c in cases}
    assert {(50, 5), (200_000, 5), (20_000, 50)} <= sizes
    assert any(c.spec["link_density"] > 0 for c in cases)
    only = registry.get_suite("synthetic").cases(registry.SuiteOptions(sizes=((70, 3),)))
    assert [(c.functions, c.tiers) for c in only] == [(70, 3)]


def test_england_suite_has_both_variants_and_their_optimising_scenarios() -> None:
    cases = registry.get_suite("england").cases(registry.SuiteOptions())
    names = {c.name for c in cases}
    assert {"england-2024", "england-2024-uniform", "england-2024:ready-icbs",
            "england-2024:reform-aco", "england-2024-uniform:reform-aco"} <= names
    assert not {n for n in names if n.endswith(":status-quo") or n.endswith(":delegation-2025")}
    per_area = next(c for c in cases if c.name == "england-2024")
    uniform = next(c for c in cases if c.name == "england-2024-uniform")
    assert per_area.functions == uniform.functions == 58
    assert per_area.functions * per_area.tiers > 20_000 > uniform.functions * uniform.tiers


def test_unknown_suite_names_the_known_ones() -> None:
    with pytest.raises(BenchError, match="known suites: .*orlib-gap"):
        registry.get_suite("nope")


def test_case_round_trips_through_json_and_builds() -> None:
    case = registry.synthetic_case(30, 4, seed=2, link_density=0.1)
    again = Case.from_dict(json.loads(json.dumps(case.to_dict())))
    assert again == case
    inst = registry.build_case(again.spec)
    assert (inst.n_functions, inst.n_tiers, len(inst.links)) == (30, 4, 3)


# -- known bounds -----------------------------------------------------------------------------


def _gap_case(lo: float, hi: float) -> Case:
    return Case("orlib-gap", "x", "gap1", {}, 10, 5, "min", lo, hi)


@pytest.mark.parametrize("status, objective, bound, expect", [
    ("optimal", 100.0, 100.0, (True, True)),
    ("optimal", 101.0, 101.0, (False, False)),  # "optimal" away from the known optimum
    ("time_limit", 105.0, 98.0, (False, True)),
    ("feasible", 99.0, None, (False, False)),  # better than the proven lower bound
    ("time_limit", 105.0, 100.5, (False, False)),  # a bound the known solution beats
])
def test_known_bounds_are_verified(status: str, objective: float, bound: float | None,
                                   expect: tuple[bool, bool]) -> None:
    assert runner.verify_known(_gap_case(100.0, 100.0), status, objective, bound) == expect


def test_no_known_bounds_means_nothing_to_verify() -> None:
    case = registry.synthetic_case(10, 3)
    assert runner.verify_known(case, "optimal", 5.0, 5.0) == (None, None)


# -- the runner -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, runner.RunReport]:
    out = tmp_path_factory.mktemp("bench") / "smoke"
    settings = runner.RunSettings("smoke", ("highs", "cbc"), time_limit=30, threads=1,
                                  repeats=2)
    rep = runner.run(settings, out, instances=["c0515_1", "synthetic-50x5*"], progress=False)
    return out, rep


def test_one_row_per_instance_backend_and_repeat_with_the_columns(
        tiny_run: tuple[Path, runner.RunReport]) -> None:
    out, rep = tiny_run
    assert rep.ran == 8 and rep.skipped == 0 and not rep.failures
    with (out / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == runner.COLUMNS
    keys = sorted((r["instance"], r["backend"], r["repeat"]) for r in rows)
    assert len(keys) == 8 == len(set(keys))
    for r in rows:
        assert r["status"] == "optimal" and r["check_ok"] == "true"
        assert float(r["build_seconds"]) >= 0 and float(r["solve_seconds"]) >= 0
        assert float(r["peak_rss_mb"]) > 10  # a whole Python process with numpy
        assert float(r["load1"]) >= 0  # the machine's load as the run ended
        assert r["threads"] == "1" and r["time_limit"] == "30.0" and r["seed"] == "0"
    gap = [r for r in rows if r["instance"] == "c0515_1"]
    assert all(r["matches_known"] == "true" and float(r["objective"]) == 261 for r in gap)
    for name in ("results.json", "summary.md", "machine.json", "profile.png",
                 "time_vs_size.png"):
        assert (out / name).is_file(), name
    doc = json.loads((out / "results.json").read_text())
    assert len(doc["rows"]) == 8 and doc["machine"]["cores"] >= 1
    summary = (out / "summary.md").read_text()
    assert "Winner per family" in summary and "gap1" in summary
    assert (out / "profile.png").read_bytes()[:8] == PNG
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files


def test_a_rerun_skips_finished_runs(tiny_run: tuple[Path, runner.RunReport]) -> None:
    out, _ = tiny_run
    settings = runner.RunSettings("smoke", ("highs", "cbc"), time_limit=30, threads=1,
                                  repeats=2)
    rep = runner.run(settings, out, instances=["c0515_1", "synthetic-50x5*"], progress=False,
                     report_files=False)
    assert rep.ran == 0 and rep.skipped == 8
    assert len(runner.read_results(out / "results.csv")) == 8


def _gap1_copy(src: Path, out: Path) -> tuple[Path, list[str]]:
    """A new run directory with the tiny run's settings, and the tiny run's results.csv
    lines for c0515_1 (header first), for the caller to write."""
    out.mkdir()
    (out / "run.json").write_text((src / "run.json").read_text())
    lines = (src / "results.csv").read_text().splitlines(keepends=True)
    return out, [ln for ln in lines if "c0515_1" in ln or ln.startswith("suite,")]


def test_a_torn_last_line_is_dropped_and_rerun(tiny_run: tuple[Path, runner.RunReport],
                                               tmp_path: Path) -> None:
    out, keep = _gap1_copy(tiny_run[0], tmp_path / "torn")
    last = keep[-1]
    (out / "results.csv").write_text("".join(keep[:-1]) + last[: len(last) // 2])
    assert len(runner.read_results(out / "results.csv")) == len(keep) - 2
    settings = runner.RunSettings("smoke", ("highs", "cbc"), time_limit=30, threads=1,
                                  repeats=2)
    rep = runner.run(settings, out, instances=["c0515_1"], progress=False, report_files=False)
    assert rep.ran == 1 and rep.skipped == 3
    assert len(runner.read_results(out / "results.csv")) == 4


def test_a_bound_another_rows_checked_placement_beats_fails_the_run(
        tiny_run: tuple[Path, runner.RunReport], tmp_path: Path) -> None:
    """Every row's bound is held to every checked placement of the run: a CBC bound (gap1 is
    minimised) above HiGHS's checked objective marks that row and fails the run."""
    out, keep = _gap1_copy(tiny_run[0], tmp_path / "beaten")
    (out / "results.csv").write_text("".join(keep))
    rows = runner.read_results(out / "results.csv")
    senses = {"c0515_1": "min"}
    assert runner.beaten_bounds(rows, senses) == {}  # the committed run: nothing beaten
    wrong = next(r for r in rows if r["backend"] == "cbc" and r["repeat"] == 1)
    wrong["bound"] = 262.0  # the optimum is 261: a lower bound of 262 is beaten by it
    runner.compact(out / "results.csv", rows)
    settings = runner.RunSettings("smoke", ("highs", "cbc"), time_limit=30, threads=1,
                                  repeats=2)
    rep = runner.run(settings, out, instances=["c0515_1"], progress=False, report_files=False)
    assert rep.ran == 0
    assert rep.failures == ["c0515_1 / cbc / repeat 1: its bound 262.0 is beaten by highs's "
                            "checked placement worth 261.0"]
    marked = [(r["backend"], r["repeat"]) for r in runner.read_results(out / "results.csv")
              if r["bounds_ok"] is False]
    assert marked == [("cbc", 1)]
    # a maximised instance: a bound below a checked placement; unchecked placements and
    # instances the run does not cover count for nothing
    other = [{"instance": "m", "backend": "a", "repeat": 0, "objective": 10.0, "bound": 12.0,
              "check_ok": True},
             {"instance": "m", "backend": "b", "repeat": 0, "objective": 11.0, "bound": 10.5,
              "check_ok": True},
             {"instance": "m", "backend": "c", "repeat": 0, "objective": 99.0, "bound": 99.0,
              "check_ok": False},
             {"instance": "x", "backend": "a", "repeat": 0, "objective": 5.0, "bound": 1.0,
              "check_ok": True}]
    assert list(runner.beaten_bounds(other, {"m": "max"})) == [("m", "b", 0)]


def test_other_settings_in_the_same_directory_are_refused(
        tiny_run: tuple[Path, runner.RunReport]) -> None:
    out, _ = tiny_run
    with pytest.raises(BenchError, match="another run"):
        runner.run(runner.RunSettings("smoke", ("highs",), time_limit=5), out, progress=False)


def test_unknown_solver_names_the_installed_ones(tmp_path: Path) -> None:
    with pytest.raises(SolverUnavailableError, match="installed: highs"):
        runner.run(runner.RunSettings("smoke", ("gurobi",)), tmp_path / "x", progress=False)
    assert not (tmp_path / "x").exists()


# -- plots from a results file ----------------------------------------------------------------


def _rows() -> list[dict[str, object]]:
    rows = []
    for i, (inst, size) in enumerate([("p", 100), ("q", 1000), ("r", 10000)]):
        for b, t in (("highs", 0.5 + i), ("scip", 1.0 + 2 * i), ("cbc", 3.0)):
            rows.append({"instance": inst, "family": "f", "backend": b, "binaries": size,
                         "repeat": 0, "status": "optimal" if (b, inst) != ("cbc", "r")
                         else "time_limit", "check_ok": True, "bounds_ok": None,
                         "matches_known": None, "solve_seconds": t, "objective": 1.0,
                         "gap": 0.0, "peak_rss_mb": 100.0, "build_seconds": 0.01,
                         "time_limit": 60.0})
    return rows


def test_plots_are_pngs_drawn_from_a_results_csv(tmp_path: Path) -> None:
    rows = _rows()
    with (tmp_path / "results.csv").open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=runner.COLUMNS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({**r, "finished_at": "now",
                        "check_ok": "true", "bounds_ok": "", "matches_known": ""})
    back = runner.read_results(tmp_path / "results.csv")
    assert len(back) == len(rows)
    paths = plots.plot_all(back, tmp_path)
    assert [p.name for p in paths] == ["profile.png", "time_vs_size.png"]
    for p in paths:
        assert p.read_bytes()[:8] == PNG and p.stat().st_size > 5000


def test_profile_counts_unsolved_as_never_within_tau() -> None:
    from benchmarks.report import aggregate

    taus, frac = plots.profile_curves(aggregate(_rows()))
    assert frac["highs"][0] == 1.0  # fastest everywhere
    assert frac["cbc"][-1] == pytest.approx(2 / 3)  # never solved r


def test_bench_plot_command_redraws_from_the_csv(tiny_run: tuple[Path, runner.RunReport],
                                                 tmp_path: Path) -> None:
    src, _ = tiny_run
    out = tmp_path / "copy"
    out.mkdir()
    (out / "results.csv").write_text((src / "results.csv").read_text())
    p = _cli("bench-plot", str(out))
    assert p.returncode == 0, p.stderr
    for name in ("profile.png", "time_vs_size.png", "summary.md", "results.json"):
        assert (out / name).is_file()


# -- the command line -------------------------------------------------------------------------


def test_cli_bench_orlib_gap_reproduces_known_optima(tmp_path: Path) -> None:
    out = tmp_path / "gap"
    p = _cli("bench", "orlib-gap", "--instances", "c0515_3,c1030_1", "--solvers", "highs",
             "--time-limit", "30", "--output", str(out))
    assert p.returncode == 0, p.stderr
    rows = runner.read_results(out / "results.csv")
    assert sorted(r["instance"] for r in rows) == ["c0515_3", "c1030_1"]
    for r in rows:
        assert r["status"] == "optimal" and r["matches_known"] is True
        assert r["objective"] == r["known_lower"] and r["check_ok"] is True


@pytest.mark.parametrize("args, message", [
    (["bench", "nope"], "unknown benchmark suite"),
    (["bench", "smoke", "--solvers", "highs,gurobi"], "installed: highs"),
    (["bench", "smoke", "--output", "/proc/no/such/dir"], "cannot write"),
    (["bench", "synthetic", "--sizes", "12by5", "--list"], "FUNCTIONSxTIERS"),
    (["bench-plot", "/nonexistent-dir"], "no results.csv"),
])
def test_cli_bad_input_exits_2_without_traceback(args: list[str], message: str) -> None:
    p = _cli(*args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert message in p.stderr and "Traceback" not in p.stderr


def test_cli_list_shows_the_instances() -> None:
    p = _cli("bench", "orlib-gap", "--families", "gap1", "--list")
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("[gap1]") == 5 and "known optimum 261" in p.stdout


# -- build throughput -------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # PuLP 3.3 on LpVariable(name)
def test_build_throughput_builders_agree_and_are_summarised() -> None:
    rows = measure([(50, 5)], repeats=2, pulp_max=250, log=lambda m: None)
    builders = {r["builder"] for r in rows}
    assert builders == {"engine", "engine-values", "raw-numpy", "raw-numpy+scoring", "pulp"}
    (s,) = summarise(rows)
    assert s["binaries"] == 250 and s["engine_over_raw"] > 0 and s["pulp_over_engine"] > 0


def test_the_overhead_figures_are_the_committed_run() -> None:
    """benchmarks/results/README.md quotes benchmarks/results/overhead: England uniform's load,
    solve and CLI CPU, this code's and the older commit's measured beside it, and the summary is
    the script's own rendering of the committed numbers."""
    from benchmarks import overhead

    out = ROOT / "benchmarks" / "results" / "overhead"
    result = json.loads((out / "results.json").read_text())
    uniform = result["instances"]["instances/england-2024-uniform"]
    text = " ".join((ROOT / "benchmarks" / "results" / "README.md").read_text().split())
    assert (f"load {uniform['load_ms']:.1f} ms, solve {uniform['total_ms']:.1f} ms, `placement "
            f"solve -f json` {uniform['cli_cpu_s']:.2f} s of CPU ({uniform['old_cli_cpu_s']:.2f} "
            f"s at {result['old']},") in text
    assert f"--old {result['old']}`" in text
    lsoa = result["instances"]["instances/england-2024-lsoa"]
    assert (f"At LSOA resolution the command takes {lsoa['cli_wall_s']:.1f} s "
            f"({lsoa['old_cli_wall_s']:.1f} s at {result['old']})") in text
    for key, target in overhead.TARGETS.items():  # "meets all three"
        assert uniform[key] < target, key
    assert (out / "summary.md").read_text() == overhead._summary(result)
