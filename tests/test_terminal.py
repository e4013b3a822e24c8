"""Terminal output at 80 columns (issue 14): `make demo`'s commands, piped, fit 80 columns and
never break a number, a status or an id across lines; --wide uses more room; CSV and JSON
keep every digit."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT

ENGLAND = "instances/england-2024"


def demo_commands() -> list[list[str]]:
    """The `placement ...` commands of the Makefile's demo target, with $(DEMO) expanded
    and --maps dropped (the maps are not terminal output)."""
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    body = text.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    cmds = []
    for line in body.splitlines()[1:]:
        words = shlex.split(line.strip().replace("$(DEMO)", ENGLAND))
        if words and words[0].endswith("placement"):
            if "--maps" in words:
                i = words.index("--maps")
                del words[i:i + 2]
            cmds.append(words[1:])
    return cmds


def run(args: list[str], columns: int, *extra: str) -> str:
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("FORCE_COLOR", None)
    p = subprocess.run([sys.executable, "-m", "placement.cli", *args, *extra],
                       capture_output=True, text=True, cwd=ROOT, env=env)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


TOKEN = re.compile(r"[^\s;,()'\"=:]+")
NUMBER = re.compile(r"^[-+<>]?\d[\d,]*(\.\d+)?%?$")


def tokens(text: str) -> set[str]:
    """The words of ``text``, less what legitimately differs between two runs and widths:
    timings, rules, which part of a table split in blocks, and how many more broken
    constraints a narrow table leaves unlisted."""
    text = re.sub(r"^time .*$", "", text, flags=re.M)
    text = re.sub(r"\(\+\d+\s+(\S+\s+)?more\)|, part \d+ of \d+", "", text)
    return {t.rstrip(".") for t in TOKEN.findall(text) if set(t) != {"─"}}


@pytest.fixture(scope="module")
def demo() -> list[tuple[str, str]]:
    """(80-column output, wide output) of each demo command."""
    cmds = demo_commands()
    assert [c[0] for c in cmds] == ["solve", "compare"]
    return [(run(c, 80), run(c, 80, "--wide")) for c in cmds]  # --wide: 200 columns


@pytest.mark.slow
def test_demo_fits_80_columns_and_breaks_no_token(demo: list[tuple[str, str]]) -> None:
    """No line over 80 characters, nothing cut with an ellipsis, and every word of the
    80-column output (number, status, id, tier code) is a whole word of the wide output: a
    number split across lines (`583.` / `51`) or an id cut (`medicines_…`) would not be."""
    for narrow, wide in demo:
        lines = narrow.splitlines()
        assert lines and max(len(line) for line in lines) <= 80, max(lines, key=len)
        assert "…" not in narrow
        whole = tokens(wide)
        codes = set(re.findall(r"\b([A-Z]{1,3}\+?) [a-z]", narrow))  # legend codes
        stray = [t for t in tokens(narrow) if t not in whole and t not in codes]
        assert not stray, stray[:20]
        numbers = [t for t in tokens(narrow) if NUMBER.match(t)]
        assert len(numbers) > 50


@pytest.mark.slow
def test_compare_marks_each_option_differences(demo: list[tuple[str, str]]) -> None:
    narrow, wide = demo[1]
    assert "options: opt the optimum; S1 status-quo" in narrow
    # at 80 columns, one block per option, listing only what it places differently
    assert "Functions placed differently from the optimum by S5+ regions-as-connectors" \
        in narrow
    # wide: one matrix, "=" where an option places a function as the optimum does
    assert "= as in the optimum" in wide
    assert max(len(line) for line in wide.splitlines()) > 80


def test_tiny_table_fits_and_uses_full_tier_names() -> None:
    text = run(["solve", "instances/tiny-budget"], 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "commissioning  region" in text and "tiers:" not in text  # no legend needed


def test_csv_and_json_keep_every_digit(tmp_path: Path) -> None:
    """The tables round; -f csv and -f json do not."""
    import placement

    r = placement.solve(placement.load(ENGLAND))
    df = pd.read_csv(StringIO(run(["solve", ENGLAND, "-f", "csv"], 80)), index_col="function")
    assert df["value"].tolist() == pytest.approx(r.placements["value"].tolist(), rel=1e-15)
    assert any(len(repr(v)) > 10 for v in df["value"])  # not rounded to a few digits
    d = json.loads(run(["solve", ENGLAND, "-f", "json"], 80))
    assert d["objective"] == pytest.approx(r.objective, rel=1e-15)


def run_on_terminal(args: list[str]) -> tuple[str, str]:
    """Run with standard error on a pseudo-terminal (standard output piped): (stdout, what
    the terminal showed)."""
    import pty
    import tempfile

    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    out = tempfile.TemporaryFile("w+")  # noqa: SIM115 (a file, not a pipe: no reader to wait on)
    p = subprocess.Popen([sys.executable, "-m", "placement.cli", *args], cwd=ROOT, env=env,
                         stdout=out, stderr=slave, text=True)
    os.close(slave)
    shown = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    p.wait(timeout=120)
    os.close(master)
    assert p.returncode == 0
    out.seek(0)
    return out.read(), shown.decode("utf-8", "replace")


@pytest.mark.parametrize("args, what", [
    (["sensitivity", "instances/tiny-budget", "--samples", "30", "-f", "json"], "draws"),
    (["solve", ENGLAND, "-f", "json"], "solving england-2024 with highs"),
])
def test_progress_on_a_terminal_only(args: list[str], what: str) -> None:
    """A terminal sees the progress on standard error; the results on standard output are
    the same as when piped, and --quiet (or a pipe: tests/test_cli_analysis.py) shows none."""
    stdout, shown = run_on_terminal(args)
    assert what in shown
    assert json.loads(stdout)
    stdout, shown = run_on_terminal([*args, "--quiet"])
    assert what not in shown and json.loads(stdout)


def test_piped_commands_print_nothing_extra() -> None:
    """Piped, standard error stays empty and standard output holds only the result."""
    env = {**os.environ, "COLUMNS": "80"}
    for args in (["solve", "instances/tiny-budget", "-f", "json"],
                 ["explain", "instances/tiny-budget", "-f", "json"],
                 ["frontier", "instances/tiny-budget", "-r", "staff", "-f", "json"]):
        p = subprocess.run([sys.executable, "-m", "placement.cli", *args], cwd=ROOT, env=env,
                           capture_output=True, text=True)
        assert p.returncode == 0 and p.stderr == "", p.stderr
        json.loads(p.stdout)


@pytest.mark.slow
def test_by_area_table_keeps_area_codes_whole_at_80_columns() -> None:
    text = run(["solve", ENGLAND, "--by-area"], 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    by_area = text.split("Placement by area", 1)[1]
    assert by_area.splitlines()[1].split() == ["function", "area", "tier", "today"]
    assert "medicines_devices_regulation         E06000001/E54000050  N" in by_area
    wide = run(["solve", ENGLAND, "--by-area", "--wide"], 80)
    assert "E06000001/E54000050  Hartlepool" in wide  # names and units when there is room


@given(st.lists(st.tuples(st.from_regex(r"[a-z]{1,12}(_[a-z]{1,12}){0,3}", fullmatch=True),
                          st.floats(-1e7, 1e7, allow_nan=False),
                          st.text(alphabet="abc de", min_size=0, max_size=60)),
                min_size=1, max_size=8),
       st.integers(40, 120))
@settings(max_examples=60, deadline=None)
def test_fitted_tables_never_split_an_id_or_a_number(rows: list[tuple[str, float, str]],
                                                     width: int) -> None:
    """At any width the id and number columns fit in (with 10 columns left for the prose),
    every id and number of a fitted table is whole on one line: the prose column wraps
    between words, and folds a word only when nothing else can give way. (Narrower than the
    tokens themselves, a table prints wider than the console and the console crops it.)"""
    from rich.console import Console

    from placement.cli.tables import Col, fitted
    from placement.util.numbers import fmt

    cells = [[fid, fmt(v), note] for fid, v, note in rows]
    tokens = max(len(c[0]) for c in cells) + max(max(len(c[1]) for c in cells), 5)
    assume(width >= tokens + 2 * 2 + 10)
    con = Console(width=width, color_system=None, file=StringIO(), soft_wrap=False)
    con.print(fitted([Col("function"), Col("value", numeric=True), Col("note", wrap=True)],
                     cells, width, title="t", force=True))
    text = con.file.getvalue()  # type: ignore[attr-defined]
    assert max(len(line) for line in text.splitlines()) <= width
    words = set(text.split())
    for fid, v, _ in cells:
        assert fid in words and v in words, (fid, v, text)
