"""Damaging a copy of an instance, and what a located problem looks like: the tools of the
per-area validation tests.

Malformed per-area input (format ``placement/2``, docs/instance-format.md "Areas"): a copy of
instances/tiny-areas with one thing damaged gets one located message (file, line or key, field,
value, expectation) from ``placement.load``, and ``placement validate`` exits 2 without a
traceback. Lines count the header as line 1: areas.csv and hoods.csv hold a, b, c, d on lines
2 to 5; functions.csv holds commissioning on line 2 and prevention on line 3.
"""

from __future__ import annotations

import csv
import subprocess
from collections.abc import Callable
from pathlib import Path

import placement
from placement.errors import InstanceError
from tests.conftest import INSTANCES

TINY = INSTANCES / "tiny-areas"
Mutate = Callable[[Path], None]


# ---- editing a copy of an instance -------------------------------------------------------

def _rows(d: Path, name: str) -> list[list[str]]:
    with (d / name).open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _write(d: Path, name: str, rows: list[list[str]]) -> None:
    with (d / name).open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)


def cell(name: str, line: int, col: str, value: str) -> Mutate:
    """Set the cell of file line ``line`` (the header is line 1) in column ``col`` (added,
    blank elsewhere, when the file has no such column)."""
    def go(d: Path) -> None:
        rows = _rows(d, name)
        if col not in rows[0]:
            rows = [r + ([col] if k == 0 else [""]) for k, r in enumerate(rows)]
        rows[line - 1][rows[0].index(col)] = value
        _write(d, name, rows)
    return go


def column(name: str, col: str, values: list[str]) -> Mutate:
    """Add column ``col`` holding ``values`` (one per data line)."""
    def go(d: Path) -> None:
        rows = _rows(d, name)
        _write(d, name, [rows[0] + [col]] + [r + [v] for r, v in zip(rows[1:], values,
                                                                     strict=True)])
    return go


def drop(name: str, col: str) -> Mutate:
    def go(d: Path) -> None:
        rows = _rows(d, name)
        j = rows[0].index(col)
        _write(d, name, [r[:j] + r[j + 1:] for r in rows])
    return go


def rename(name: str, old: str, new: str) -> Mutate:
    def go(d: Path) -> None:
        rows = _rows(d, name)
        rows[0][rows[0].index(old)] = new
        _write(d, name, rows)
    return go


def duplicate(name: str, line: int) -> Mutate:
    """Append a copy of file line ``line``."""
    def go(d: Path) -> None:
        rows = _rows(d, name)
        _write(d, name, rows + [rows[line - 1]])
    return go


def delete(name: str, line: int | None = None) -> Mutate:
    """Delete file line ``line``, or the whole file."""
    def go(d: Path) -> None:
        if line is None:
            (d / name).unlink()
            return
        rows = _rows(d, name)
        _write(d, name, rows[: line - 1] + rows[line:])
    return go


def write(name: str, text: str) -> Mutate:
    def go(d: Path) -> None:
        (d / name).write_text(text, encoding="utf-8")
    return go


def toml(old: str, new: str) -> Mutate:
    def go(d: Path) -> None:
        p = d / "instance.toml"
        text = p.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        p.write_text(text.replace(old, new), encoding="utf-8")
    return go


def areas_key(text: str) -> Mutate:
    """Add a key to ``[areas]``."""
    return toml('unit_caps = "unit_caps.csv"\n', f'unit_caps = "unit_caps.csv"\n{text}\n')


def scenario(text: str) -> Mutate:
    """Add ``[scenarios.x]`` with the keys ``text``."""
    def go(d: Path) -> None:
        with (d / "instance.toml").open("a", encoding="utf-8") as fh:
            fh.write(f"\n[scenarios.x]\n{text}\n")
    return go


def steps(*mutations: Mutate) -> Mutate:
    def go(d: Path) -> None:
        for m in mutations:
            m(d)
    return go


#: a share column holding 1 on every row, the areas' `share` (the setup of the share cases)
SHARE = steps(column("areas.csv", "frac", ["1", "1", "1", "1"]),
              toml('population = "population"\n',
                   'population = "population"\nshare = "frac"\n'))
#: the indicator read as a score instead of a share
SCORE = toml('kind = "share"', 'kind = "score"')
#: instance-level availability rules (replacing the scenario's table)
AVAILABILITY = areas_key('availability = "avail.csv"')
AVAIL_HEADER = "tier,unit,function,category,allowed,reason,source\n"


def load_problems(d: Path) -> list[str]:
    """The problems of loading ``d`` or, when it loads, of applying its scenarios (as
    ``placement validate`` does)."""
    try:
        inst = placement.load(d)
    except InstanceError as e:
        return [str(p) for p in e.problems]
    found = []
    for sid in inst.scenarios:
        try:
            inst.with_scenario(sid)
        except InstanceError as e:
            found += [str(p) for p in e.problems]
    assert found, "the damaged instance was accepted"
    return found


def validate(d: Path) -> subprocess.CompletedProcess[str]:
    """``placement validate d`` in this process (a fresh process per case cost minutes; the
    tests that need a real one run the CLI as a subprocess themselves). An exception the CLI
    did not turn into a message is re-raised, so it fails the test like a traceback would."""
    from typer.testing import CliRunner

    from placement.cli import app

    r = CliRunner().invoke(app, ["validate", str(d)])
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        raise r.exception
    return subprocess.CompletedProcess(["placement", "validate", str(d)], r.exit_code,
                                       r.stdout, r.stderr)


def assert_located(d: Path, bits: list[str]) -> None:
    """Some problem of loading ``d`` says every one of ``bits``, and ``placement validate``
    exits 2 with an error and no traceback."""
    msgs = load_problems(d)
    assert any(all(b in m for b in bits) for m in msgs), "\n".join(msgs)
    p = validate(d)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "Traceback" not in p.stderr and "error:" in p.stderr

