"""Issue 15's benchmarks in the registry: the ``scale`` suite, ``engine:NAME`` runs beside the
plain backend, the engine's bound re-derived from its multipliers, and the targets section.

No timing assertions: performance goals live in benchmarks/, not in tests.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks import labels, rederive, registry, runner, worker
from benchmarks.report import aggregate
from benchmarks.scale_report import scale_targets
from placement.errors import SolverUnavailableError
from tests.conftest import ROOT


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "placement.cli", *args], capture_output=True,
                          text=True, cwd=ROOT)


# -- the suite and the labels -----------------------------------------------------------------


def test_scale_suite_is_issue_15s_grid_england_per_area_and_orlib_d_and_e() -> None:
    cases = registry.get_suite("scale").cases(registry.SuiteOptions())
    assert all(c.suite == "scale" for c in cases)
    syn = [c for c in cases if c.spec["kind"] == "synthetic"]
    assert len(syn) == 12
    assert {(c.functions, c.tiers) for c in syn} == {(50_000, 5), (200_000, 5), (20_000, 50)}
    assert {(c.spec["budget_tightness"], c.spec["link_density"]) for c in syn} == {
        (0.5, 0.0), (0.5, 0.1), (0.9, 0.0), (0.9, 0.1)}
    assert all(c.spec["cap_tightness"] == registry.SCALE_CAPS > 0 and c.spec["seed"] == 1
               and c.name.endswith("-c0.2") for c in syn)
    england = [c for c in cases if c.family == "england-per-area"]
    assert [c.name for c in england] == ["england-2024", "england-2024-lsoa"]
    assert england[1].tiers > 33_755  # every LSOA is a unit, besides the coarser tiers' units
    gap = [c for c in cases if c.spec["kind"] == "orlib-gap"]
    assert sorted(c.name for c in gap) == sorted(registry.SCALE_GAP)
    assert all(c.family in ("D", "E") and c.known_upper is not None for c in gap)
    held = registry.get_suite("scale").cases(registry.SuiteOptions(instance_seed=2))
    assert [c.name.replace("-s2-", "-s1-") for c in held] == [c.name for c in cases]


def test_labels_name_the_backend_and_whether_the_engine_drives_it() -> None:
    assert labels.split_label("engine:highs") == ("highs", True)
    assert labels.split_label("cp-sat") == ("cp-sat", False)
    assert labels.canonical_labels(["highs", " engine:highs", "highs"]) == (
        "highs", "engine:highs")
    assert labels.backend_names(["engine:highs", "highs", "cp-sat"]) == ("highs", "cp-sat")
    with pytest.raises(SolverUnavailableError, match="installed: highs"):
        labels.canonical_labels(["engine:gurobi"])


def test_cli_lists_the_held_out_instances_and_refuses_an_unknown_engine_backend() -> None:
    p = _cli("bench", "scale", "--list", "--instance-seed", "2", "--instances",
             "synthetic-50000x5*")
    assert p.returncode == 0, p.stderr
    assert p.stdout.count("-s2-") == 4 and "-s1-" not in p.stdout
    p = _cli("bench", "smoke", "--solvers", "highs,engine:gurobi", "--list")
    assert p.returncode == 2 and "installed: highs" in p.stderr and "Traceback" not in p.stderr


# -- the engine's bound, re-derived -----------------------------------------------------------


def _engine_row(case: registry.Case, rel_gap: float = 1e-4) -> dict[str, object]:
    return worker.run_one({"case": case.to_dict(), "backend": "engine:highs",
                           "time_limit": 60, "threads": 1, "seed": 0, "rel_gap": rel_gap,
                           "root": str(ROOT)})


@pytest.mark.parametrize("links", [0.0, 0.1])
def test_an_engine_run_reports_a_bound_its_multipliers_re_derive(links: float) -> None:
    """5,000 x 5 with caps (several priced rows): the engine proves it through the forest's
    bound, and the bound re-derived from the multipliers alone is the one reported."""
    case = registry.synthetic_case(5_000, 5, 1, 0.5, links, cap_tightness=0.2)
    row = _engine_row(case)
    assert row["status"] == "optimal" and row["check_ok"] is True
    assert row["root_bound"] is not None and row["bound_rederived"] is not None
    assert rederive.agrees(row["root_bound"], row["bound_rederived"])  # type: ignore[arg-type]
    assert row["objective"] <= row["bound_rederived"] + 1e-6  # type: ignore[operator]
    assert float(row["peak_rss_mb"]) > 10  # type: ignore[arg-type]
    assert runner.rederived_ok(case, row["objective"], row["root_bound"],  # type: ignore[arg-type]
                               row["bound_rederived"]) is True  # type: ignore[arg-type]


def test_a_multiplier_changed_changes_the_re_derived_bound() -> None:
    """The re-derivation computes, not echoes: prices moved give another (weaker) value."""
    import placement

    inst = placement.load(ROOT / "instances" / "tiny-link-geography")
    r = placement.solve(inst, "highs", structure=True)
    pricing = r.extra["solver_details"]["structure"]["pricing"]
    assert pricing["kind"] == "lagrangian"  # a link to a geography: no forest
    assert rederive.agrees(pricing["bound"], rederive.rederive(inst, pricing))
    moved = dict(pricing, multipliers=[v + 0.5 for v in pricing["multipliers"]])
    assert not rederive.agrees(pricing["bound"], rederive.rederive(inst, moved))


_FORMS: dict[str, object] = {}


def _form(name: str) -> object:
    if name not in _FORMS:
        import placement
        from placement.milp import build

        _FORMS[name] = build(placement.load(ROOT / "instances" / name).with_scenario(None))
    return _FORMS[name]


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(["tiny-budget", "tiny-cap", "tiny-link-geography",
                             "tiny-link-together-soft", "tiny-moves",
                             "england-2024-uniform"]),  # pins and columns ruled out
       seed=st.integers(0, 2**32 - 1), scale=st.floats(0.01, 20.0))
def test_the_benchmarks_lagrangian_is_the_engines_at_any_prices(name: str, seed: int,
                                                                scale: float) -> None:
    """Two implementations of L(y) (the engine's :func:`placement.milp.core.price` and
    benchmarks/rederive's), at random prices on every side each row has: the same value."""
    from placement.milp.core import price
    from placement.milp.lagrangian import kept_rows

    form = _form(name)
    rng = np.random.default_rng(seed)
    y = rng.normal(0.0, scale, form.n_rows)  # type: ignore[attr-defined]
    y = np.where(np.isfinite(form.row_upper), y, np.minimum(y, 0.0))  # type: ignore[attr-defined]
    y = np.where(np.isfinite(form.row_lower), y, np.maximum(y, 0.0))  # type: ignore[attr-defined]
    y[kept_rows(form)] = 0.0  # type: ignore[arg-type]
    ours = rederive.lagrangian_value(form, y)
    assert rederive.agrees(price(form, y).bound(form), ours)  # type: ignore[arg-type]


@pytest.mark.parametrize("objective, reported, rederived, ok", [
    (10.0, 12.0, 12.0, True),
    (10.0, 12.0, 12.5, False),  # not the number its multipliers give
    (13.0, 12.0, 12.0, False),  # a placement worth more than a proven bound
    (10.0, 12.0, None, False),  # a bound reported that could not be re-derived
    (10.0, None, None, None),  # no bound of the engine's (the backend alone)
])
def test_rederived_ok_says_when_the_engines_bound_stands(
        objective: float, reported: float | None, rederived: float | None,
        ok: bool | None) -> None:
    case = registry.synthetic_case(50, 5)  # a maximisation
    assert runner.rederived_ok(case, objective, reported, rederived) is ok


# -- a run, side by side ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def side_by_side(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, runner.RunReport]:
    out = tmp_path_factory.mktemp("bench") / "side"
    settings_ = runner.RunSettings("synthetic", ("highs", "engine:highs"), time_limit=60,
                                   threads=1, rel_gap=1e-4)
    rep = runner.run(settings_, out, sizes=((5_000, 5),), progress=False)
    return out, rep


def test_the_engine_and_the_plain_backend_run_side_by_side(
        side_by_side: tuple[Path, runner.RunReport]) -> None:
    out, rep = side_by_side
    assert rep.ran == 2 and not rep.failures
    rows = {r["backend"]: r for r in runner.read_results(out / "results.csv")}
    assert set(rows) == {"highs", "engine:highs"}
    for r in rows.values():
        assert r["status"] == "optimal" and r["check_ok"] is True and r["gap"] <= 1e-4
    assert rows["highs"]["bound_rederived"] is None
    e = rows["engine:highs"]
    assert rederive.agrees(e["root_bound"], e["bound_rederived"])
    assert abs(e["objective"] - rows["highs"]["objective"]) <= 1e-4 * e["objective"]
    assert json.loads((out / "run.json").read_text())["settings"]["rel_gap"] == 1e-4
    summary = (out / "summary.md").read_text()
    assert "relative gap 0.0001" in summary and "engine:highs" in summary
    machine = json.loads((out / "machine.json").read_text())
    assert set(machine["solver_versions"]) == {"highs"}


def test_a_run_recorded_before_the_gap_was_a_setting_resumes_at_gap_0(tmp_path: Path) -> None:
    out = tmp_path / "old"
    out.mkdir()
    old = {"suite": "smoke", "time_limit": 30.0, "threads": 1, "seed": 0}
    (out / "run.json").write_text(json.dumps({"settings": old}))
    runner.check_settings(out, runner.RunSettings("smoke", ("highs",), time_limit=30.0))
    with pytest.raises(registry.BenchError, match="rel_gap 0.0 \\(now 0.001\\)"):
        runner.check_settings(out, runner.RunSettings("smoke", ("highs",), time_limit=30.0,
                                                      rel_gap=1e-3))


# -- the targets section ----------------------------------------------------------------------


def _r(instance: str, family: str, backend: str, status: str, seconds: float,
       gap: float | None = 0.0, objective: float | None = 1.0, peak: float = 500.0,
       known_upper: float | None = None) -> dict[str, object]:
    return {"instance": instance, "family": family, "backend": backend, "binaries": 1,
            "repeat": 0, "status": status, "check_ok": True, "bounds_ok": None,
            "matches_known": None, "solve_seconds": seconds, "objective": objective,
            "gap": gap, "peak_rss_mb": peak, "build_seconds": 0.1, "time_limit": 60.0,
            "known_upper": known_upper}


def test_targets_count_each_backend_and_compare_the_portfolio_with_the_best_single() -> None:
    rows = [
        _r("a", "scale-200000x5", "engine:highs", "optimal", 4.0, 5e-5),
        _r("b", "scale-20000x50", "engine:highs", "optimal", 12.0, 5e-5),  # too slow
        _r("c", "scale-20000x50", "engine:highs", "optimal", 3.0, 5e-5, peak=4000.0),  # memory
        _r("a", "scale-200000x5", "highs", "time_limit", 60.0, None, None),
        _r("m", "scale-50000x5", "engine:highs", "optimal", 1.0),
        _r("england-2024-lsoa", "england-per-area", "engine:highs", "optimal", 30.0, 2e-4),
        _r("d1", "D", "highs", "time_limit", 30.0, 0.01, 101.0, known_upper=100.0),
        _r("d1", "D", "cp-sat", "time_limit", 30.0, 0.01, 100.5, known_upper=100.0),
        _r("d1", "D", "portfolio", "time_limit", 30.0, 0.01, 100.05, known_upper=100.0),
        _r("d2", "D", "highs", "time_limit", 30.0, 0.01, 200.0, known_upper=200.0),
        _r("d2", "D", "portfolio", "time_limit", 30.0, 0.01, 201.0, known_upper=200.0),
    ]
    text = "\n".join(scale_targets(aggregate(rows), rows, {"rel_gap": 1e-4}))
    assert "## Issue 15 targets" in text and "relative gap of 0.0001" in text
    assert "engine:highs: **1 of 3**" in text  # b too slow, c over 3 GB
    assert "highs: **0 of 1**" in text
    assert "50,000 x 5 proven optimal in under 2 s (optimal here: within the run's gap" in text
    lsoa = text.split("LSOA")[1]
    assert "engine:highs: **0 of 1**" in lsoa  # a gap of 2e-4 is not within 0.01%
    assert "| d1 | 0.500% | 1.000% | 0.050% |" in text  # cp-sat, highs, portfolio
    assert "below the best single backend's: **1 of 2**; under 0.1%: **1 of 2**" in text
    gap_only = "\n".join(scale_targets(aggregate(rows[6:]), rows[6:], None))
    assert "| d1 |" in gap_only and "LSOA" not in gap_only  # a run of D and E alone
    other = [_r("c0515_1", "gap1", "highs", "optimal", 0.1)]
    assert scale_targets(aggregate(other), other, None) == []  # no scale rows


# -- the figures the README quotes from the committed runs ------------------------------------


def test_the_readmes_scale_figures_are_the_committed_runs() -> None:
    """README.md and benchmarks/results/README.md quote the committed scale runs: the range
    of the engine's solve seconds over both seeds' synthetic rows, its peak memory, its LSOA
    time, the rows HiGHS alone proves; every engine row there is proven and re-derived."""
    out = ROOT / "benchmarks" / "results"
    rows = [r for d in ("scale-s1", "scale-s2")
            for r in runner.read_results(out / d / "results.csv")]
    engine = [r for r in rows if r["backend"] == "engine:highs"]
    synthetic = [r for r in engine if r["instance"].startswith("synthetic")]
    assert len(synthetic) == 24
    assert all(r["status"] == "optimal" and r["check_ok"] and r["gap"] <= 1e-4
               for r in engine)
    assert all(r["bound_rederived"] == pytest.approx(r["root_bound"], rel=1e-9)
               for r in synthetic)
    seconds = [r["solve_seconds"] for r in synthetic]
    lsoa = next(r for r in engine if r["instance"] == "england-2024-lsoa")
    plain = [r for r in rows if r["backend"] == "highs" and r["status"] == "optimal"
             and r["instance"].startswith("synthetic")]
    top = max(r["peak_rss_mb"] for r in synthetic)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = " ".join(readme.split())
    assert f"in {min(seconds):.1f}-{max(seconds):.1f} s on one thread" in quoted
    assert f"at most {math.ceil(top)} MB" in quoted
    assert f"LSOA resolution in {lsoa['solve_seconds']:.1f} s" in quoted
    assert len(plain) == 4 and all("50000x5" in r["instance"] for r in plain)
    low, high = (min(r["solve_seconds"] for r in plain), max(r["solve_seconds"] for r in plain))
    assert f"the four 50,000 x 5 rows ({low:.0f}-{high:.0f} s)" in quoted


def test_the_results_readmes_scale_row_is_the_committed_runs() -> None:
    """benchmarks/results/README.md's scale row: the engine's seed-1 ranges (50,000 x 5; the
    larger rows), its peak memory and LSOA time, and seed 2's 20,000 x 50 with links."""
    out = ROOT / "benchmarks" / "results"

    def engine(d: str) -> list[dict]:
        return [r for r in runner.read_results(out / d / "results.csv")
                if r["backend"] == "engine:highs"]

    s1, s2 = engine("scale-s1"), engine("scale-s2")
    small = [r["solve_seconds"] for r in s1 if "50000x5" in r["instance"]
             and "200000" not in r["instance"]]
    large = [r["solve_seconds"] for r in s1 if "200000x5" in r["instance"]
             or "20000x50" in r["instance"]]
    top = max(r["peak_rss_mb"] for r in s1 if r["instance"].startswith("synthetic"))
    lsoa = next(r for r in s1 if r["instance"] == "england-2024-lsoa")["solve_seconds"]
    linked = sorted(r["solve_seconds"] for r in s2 if "20000x50" in r["instance"]
                    and "-l0.1-" in r["instance"])
    text = " ".join((out / "README.md").read_text(encoding="utf-8").split())
    assert (f"50,000 x 5 in {min(small):.1f}-{max(small):.1f} s; 200,000 x 5 and 20,000 x 50 "
            f"in {min(large):.1f}-{max(large):.1f} s, at most {math.ceil(top)} MB) and "
            f"England at LSOA resolution in {lsoa:.1f} s") in text
    assert f"20,000 x 50 with links in {linked[0]:.1f} and {linked[1]:.1f} s" in text
