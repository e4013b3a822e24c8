"""``placement explain``, ``placement sensitivity`` and ``placement frontier``: output formats
(JSON on standard output stays parseable), atomic ``--output``, the PNG chart, and exit codes
(2 for bad input with a located message and no traceback, 3 when there is nothing to
analyse)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT

TINY = str(ROOT / "instances" / "tiny-budget")
INFEASIBLE = str(ROOT / "instances" / "tiny-infeasible")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "placement.cli", *args],
                          capture_output=True, text=True, cwd=ROOT)


def bad_input(p: subprocess.CompletedProcess[str], *words: str) -> None:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    for w in words:
        assert w in p.stderr, (w, p.stderr)


def test_explain_table_json_csv_and_output(tmp_path: Path) -> None:
    p = cli("explain", TINY, "commissioning")
    assert p.returncode == 0, p.stderr
    assert "runner-up national" in p.stdout and "infeasible" in p.stdout
    p = cli("explain", TINY, "commissioning", "--format", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert (d["tier"], d["runner_up"]) == ("region", "national")
    assert [t["forcing_cost"] for t in d["tiers"]] == [0.5, 0.0, None]
    out = tmp_path / "e.csv"
    p = cli("explain", TINY, "commissioning", "-f", "csv", "-o", str(out))
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(out, index_col="tier")
    assert df.loc["national", "forcing_cost"] == pytest.approx(0.5)
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_explain_without_a_function_gives_every_forcing_cost() -> None:
    p = cli("explain", TINY, "-f", "csv")
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(io.StringIO(p.stdout), index_col="function")
    assert df.index[0] == "commissioning"  # closest call first
    assert df.loc["commissioning", ["tier", "runner_up"]].tolist() == ["region", "national"]
    assert df.loc["commissioning", "margin"] == pytest.approx(0.5)
    assert pd.isna(df.loc["commissioning", "local"])  # infeasible there within the budget
    p = cli("explain", TINY, "-f", "json")
    d = json.loads(p.stdout)
    assert {f["function"]: f["runner_up"] for f in d["functions"]}["prevention"] == "region"
    p = cli("explain", TINY)
    assert p.returncode == 0 and "closest calls first" in p.stdout
    p = cli("explain", INFEASIBLE)
    assert p.returncode == 3 and "no placement" in p.stderr and "Traceback" not in p.stderr


def test_explain_bad_input_and_no_placement() -> None:
    bad_input(cli("explain", TINY, "comissioning"), "FUNCTION", "'comissioning'")
    bad_input(cli("explain", TINY, "commissioning", "--scenario", "nope"), "--scenario")
    p = cli("explain", INFEASIBLE, "procurement")
    assert p.returncode == 3 and "Traceback" not in p.stderr and "no placement" in p.stderr


def test_sensitivity_weights_formats() -> None:
    p = cli("sensitivity", TINY, "--weights", "-f", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    scale = d["criteria"][0]
    assert scale["criterion"] == "scale"
    assert (scale["lower"], round(scale["upper"], 6)) == (0.5, round(4 / 3, 6))
    assert scale["above"]["moves"] == [{"function": "commissioning", "from": "region",
                                        "to": "national"}]
    p = cli("sensitivity", TINY, "--weights", "-c", "local", "-f", "csv")
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(io.StringIO(p.stdout), index_col="criterion")
    assert list(df.index) == ["local"] and df.loc["local", "upper"] == pytest.approx(2.0)
    p = cli("sensitivity", TINY, "--weights")
    assert p.returncode == 0, p.stderr
    assert "0.5 to 1.333" in p.stdout and "commissioning" in p.stdout


def test_sensitivity_bad_input() -> None:
    bad_input(cli("sensitivity", TINY), "--weights", "--samples")
    bad_input(cli("sensitivity", TINY, "--weights", "-c", "speed"), "--criterion", "'speed'")
    bad_input(cli("sensitivity", TINY, "--samples", "0"), "--samples")
    bad_input(cli("sensitivity", TINY, "--samples", "10", "--concentration", "-1"),
              "--concentration")
    bad_input(cli("sensitivity", TINY, "--samples", "10", "--workers", "0"), "--workers")
    bad_input(cli("sensitivity", TINY, "--weights", "--samples", "5", "-f", "csv"), "csv")
    bad_input(cli("sensitivity", TINY, "--samples", "5", "-c", "scale"), "--criterion")
    geo = str(ROOT / "instances" / "tiny-link-geography")
    bad_input(cli("sensitivity", geo, "--weights"), "values directly")
    p = cli("sensitivity", INFEASIBLE, "--weights")
    assert p.returncode == 3 and "Traceback" not in p.stderr


def test_monte_carlo_same_seed_same_shares_for_one_and_two_workers() -> None:
    runs = [cli("sensitivity", TINY, "--samples", "40", "--seed", "7", "--workers", w,
                "-f", "json", "--no-progress") for w in ("1", "2")]
    for p in runs:
        assert p.returncode == 0, p.stderr
    one, two = (json.loads(p.stdout) for p in runs)
    assert one["functions"] == two["functions"] and one["samples"] == 40
    for f in one["functions"]:
        assert sum(f["shares"].values()) == pytest.approx(1.0)


def test_sensitivity_both_and_no_progress_when_piped() -> None:
    p = cli("sensitivity", TINY, "--weights", "--samples", "20", "-f", "json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)
    assert set(d) == {"weights", "monte_carlo"}
    assert p.stderr == ""  # no terminal: no progress (tests/test_terminal.py has the terminal)


def test_frontier_formats_and_chart(tmp_path: Path) -> None:
    png = tmp_path / "frontier.png"
    p = cli("frontier", TINY, "--resource", "staff", "-f", "json", "--plot", str(png))
    assert p.returncode == 0, p.stderr
    json.loads(p.stdout)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["frontier.png"]
    p = cli("frontier", TINY, "-r", "staff", "-f", "csv")
    assert p.returncode == 0, p.stderr
    df = pd.read_csv(io.StringIO(p.stdout))
    assert len(df) >= 2
    p = cli("frontier", TINY, "-r", "staff")
    assert p.returncode == 0 and "staff" in p.stdout


def test_frontier_bad_input() -> None:
    bad_input(cli("frontier", TINY, "--resource", "money"), "--resource", "'money'")
    bad_input(cli("frontier", TINY, "-r", "staff", "--plot", "/no/such/dir/f.png"), "--plot")


def test_an_optimum_the_checker_rejects_exits_4_and_no_proof_exits_3() -> None:
    import typer

    from placement.analysis import AnalysisError, CheckerError
    from placement.cli.analysis import analyse as _analyse

    def raising(e: Exception) -> None:
        raise e

    for error, code in ((CheckerError("rejected"), 4), (AnalysisError("no proof"), 3)):
        with pytest.raises(typer.Exit) as exit_:
            _analyse(lambda e=error: raising(e))  # type: ignore[misc]
        assert exit_.value.exit_code == code
