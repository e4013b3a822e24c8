"""Malformed per-area input (format ``placement/2``, docs/instance-format.md "Areas"): a copy of
instances/tiny-areas with one thing damaged gets one located message (file, line or key, field,
value, expectation) from ``placement.load``, and ``placement validate`` exits 2 without a
traceback. Lines count the header as line 1: areas.csv and hoods.csv hold a, b, c, d on lines
2 to 5; functions.csv holds commissioning on line 2 and prevention on line 3."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import placement
from placement.errors import InstanceError
from tests.conftest import BACKENDS, INSTANCES, ROOT

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


@pytest.fixture
def inst(tmp_path: Path) -> Path:
    d = tmp_path / "inst"
    shutil.copytree(TINY, d)
    return d


@pytest.fixture
def uniform(tmp_path: Path) -> Path:
    """instances/tiny-budget (placement/1, no areas), its model beside it."""
    d = tmp_path / "uniform"
    shutil.copytree(INSTANCES / "tiny-budget", d)
    shutil.copy(ROOT / "models" / "tiny-ramp.toml", tmp_path / "tiny-ramp.toml")
    toml('model = "tiny-ramp"', 'model = "../tiny-ramp.toml"')(d)
    return d


def test_the_copy_is_valid(inst: Path) -> None:
    assert placement.load(inst).n_areas == 4


# ---- one damage, one located message -----------------------------------------------------

#: (id, damage, what the message must say). Every message names its file.
CASES: list[tuple[str, Mutate, list[str]]] = [
    # the area table
    ("areas-file-missing", delete("areas.csv"),
     ["instance.toml", "areas.file", "'areas.csv'", "areas.csv: found nothing"]),
    ("id-key-not-a-column", toml('id = "area"', 'id = "code"'),
     ["instance.toml", "areas.id", "'code'", "a column of", "areas.csv"]),
    ("id-column-missing", rename("areas.csv", "area", "code"),
     ["instance.toml", "areas.id", "'area'", "a column of", "areas.csv"]),
    ("population-column-missing", drop("areas.csv", "population"),
     ["instance.toml", "areas.population", "'population'", "a column of", "areas.csv"]),
    ("blank-id", cell("areas.csv", 3, "area", ""),
     ["areas.csv", "line 3", "field 'area'", "found nothing", "an area id"]),
    ("duplicated-area", duplicate("areas.csv", 3),
     ["areas.csv", "line 6", "field 'area'", "'b'", "already on line 3"]),
    ("duplicated-id-and-name-differ", cell("areas.csv", 4, "area", "b"),
     ["areas.csv", "line 4", "field 'area'", "'b'", "already on line 3"]),
    *[(f"population-{v or 'blank'}", cell("areas.csv", 3, "population", v),
       ["areas.csv", "line 3", "field 'population'", f"'{v}'" if v else "found nothing",
        "a population greater than 0"])
      for v in ("0", "-5", "abc", "nan", "inf", "-inf", "1e400", "", "1_000", "0x10", "-0")],
    *[(f"share-{v or 'blank'}", steps(SHARE, cell("areas.csv", 3, "frac", v)),
       ["areas.csv", "line 3", "field 'frac'", f"'{v}'" if v else "found nothing",
        "a share greater than 0 and at most 1"])
      for v in ("0", "1.5", "-0.2", "x", "nan", "")],
    ("share-column-missing", toml('population = "population"\n',
                                  'population = "population"\nshare = "frac"\n'),
     ["instance.toml", "areas.share", "'frac'", "a column of"]),
    ("share-within-missing", steps(SHARE, toml('share = "frac"',
                                               'share = { column = "frac", within = "nope" }')),
     ["instance.toml", "areas.share", "'nope'", "a column of"]),
    ("share-within-blank", steps(SHARE, toml('share = "frac"',
                                             'share = { column = "frac", within = "combined" }')),
     ["areas.csv", "line 2", "field 'combined'", "found nothing"]),
    ("indicator-column-missing", toml('column = "need_old"', 'column = "need_young"'),
     ["instance.toml", "areas.indicators[1].column", "'need_young'", "a column of"]),
    *[(f"share-indicator-{v or 'blank'}", cell("areas.csv", 4, "need_old", v),
       ["areas.csv", "line 4", "field 'need_old'", f"'{v}'" if v else "found nothing",
        "a share from 0 to 1"])
      for v in ("1.2", "-0.1", "nan", "")],
    *[(f"score-indicator-{v}", steps(SCORE, cell("areas.csv", 4, "need_old", v)),
       ["areas.csv", "line 4", "field 'need_old'", f"'{v}'", "a finite number"])
      for v in ("nan", "inf", "1e400", "high")],
    ("duplicated-indicator",
     toml('name = "share aged 65+" }]',
          'name = "share aged 65+" }, { id = "old", column = "population" }]'),
     ["instance.toml", "areas.indicators[2].id", "'old'", "already areas.indicators[1]"]),
    ("indicator-kind", toml('kind = "share"', 'kind = "rate"'),
     ["instance.toml", "areas.indicators[1].kind", "'rate'", "'share'"]),
    # joins
    ("join-file-missing", delete("hoods.csv"),
     ["instance.toml", "areas.join[1].file", "'hoods.csv'", "found nothing"]),
    ("join-key-missing", rename("hoods.csv", "area", "code"),
     ["instance.toml", "areas.join[1].on", "'area'", "a column of", "hoods.csv"]),
    ("join-key-duplicated", duplicate("hoods.csv", 3),
     ["hoods.csv", "line 6", "field 'area'", "'b'", "already on line 3"]),
    ("join-key-unmatched", delete("hoods.csv", 5),
     ["areas.csv", "line 5", "field 'area'", "'d'", "hoods.csv"]),
    ("join-column-clash", column("areas.csv", "hoods", ["1", "1", "2", "1"]),
     ["instance.toml", "areas.join[1].columns", "'hoods'", "areas.csv has it"]),
    # tiers over the areas
    ("membership-column-missing", toml('{ column = "region" }', '{ column = "regoin" }'),
     ["instance.toml", "tiers[2].membership", "id 'region'", "'regoin'", "a column of"]),
    ("membership-names-missing", toml('{ column = "region" }',
                                      '{ column = "region", names = "nom" }'),
     ["instance.toml", "tiers[2].membership", "id 'region'", "'nom'", "a column of"]),
    ("no-membership", toml('membership = { column = "region" }\n', ""),
     ["instance.toml", "tiers[2].membership", "id 'region'", "with [areas], a membership"]),
    ("no-membership-numbers-given",
     toml('membership = { column = "region" }\n', "units = 2\npopulation = 250\n"),
     ["instance.toml", "tiers[2].membership", "id 'region'", "with [areas], a membership"]),
    *[(f"count-{v or 'blank'}", cell("hoods.csv", 4, "hoods", v),
       ["hoods.csv", "line 4", "field 'hoods'", f"'{v}'" if v else "found nothing",
        "a whole number of bodies, 1 or more"])
      for v in ("0", "1.5", "x", "-1", "nan", "inf", "")],
    ("count-varies-within", toml('{ count = "hoods" }', '{ count = "hoods", within = "region" }'),
     ["hoods.csv", "line 5", "field 'hoods'", "'1'", "region R2", "line 4"]),
    ("count-within-missing", toml('{ count = "hoods" }', '{ count = "hoods", within = "ics" }'),
     ["instance.toml", "tiers[5].membership", "'ics'", "a column of"]),
    ("areas-with-placement-1", toml('format = "placement/2"', 'format = "placement/1"'),
     ["instance.toml", "format", "'placement/1'", "placement/2"]),
    ("areas-and-membership", toml("[areas]\n", '[membership]\nfile = "areas.csv"\n\n[areas]\n'),
     ["instance.toml", "[areas] or [membership], not both"]),
    # status-quo overrides (current.csv, line 2: commissioning, combined, CA1, combined)
    ("current-unknown-function", cell("current.csv", 2, "function", "nursing"),
     ["current.csv", "line 2", "field 'function'", "'nursing'", "a function id"]),
    ("current-unknown-tier", cell("current.csv", 2, "tier", "county"),
     ["current.csv", "line 2", "field 'tier'", "'county'", "a tier id"]),
    ("current-unknown-scope", cell("current.csv", 2, "scope", "county"),
     ["current.csv", "line 2", "field 'scope'", "'county'", "a tier id"]),
    ("current-unknown-unit", cell("current.csv", 2, "code", "CA9"),
     ["current.csv", "line 2", "field 'code'", "'CA9'", "a unit of combined"]),
    ("current-unknown-area", steps(cell("current.csv", 2, "scope", "area"),
                                   cell("current.csv", 2, "code", "z")),
     ["current.csv", "line 2", "field 'code'", "'z'", "an area id or name"]),
    ("current-missing-column", drop("current.csv", "code"),
     ["current.csv", "line 1 (header)", "field 'code'", "found nothing"]),
    ("current-extra-column", cell("current.csv", 2, "comment", "x"),
     ["current.csv", "line 1 (header)", "field 'comment'", "one of the columns"]),
    ("current-duplicated-row", duplicate("current.csv", 2),
     ["current.csv", "line 3", "'commissioning'", "already on line 2"]),
    ("current-file-missing", delete("current.csv"),
     ["instance.toml", "areas.current", "'current.csv'", "found nothing"]),
    ("current-tier-without-unit", cell("functions.csv", 3, "current", "combined"),
     ["functions.csv", "line 3", "field 'current'", "'combined'", "function 'prevention'",
      "Ashby, Dunmore"]),
    ("current-override-without-unit", steps(cell("current.csv", 2, "scope", "region"),
                                            cell("current.csv", 2, "code", "R1")),
     ["current.csv", "line 2", "field 'tier'", "'combined'", "Ashby"]),
    # availability (the closed scenario's table, closed.csv, line 2: combined, CA1, commissioning)
    ("availability-unknown-tier", cell("closed.csv", 2, "tier", "county"),
     ["closed.csv", "line 2", "field 'tier'", "'county'", "a tier id"]),
    ("availability-unknown-unit", cell("closed.csv", 2, "unit", "CA9"),
     ["closed.csv", "line 2", "field 'unit'", "'CA9'", "a unit of combined"]),
    ("availability-both", cell("closed.csv", 2, "category", "commissioning"),
     ["closed.csv", "line 2", "field 'function/category'", "'commissioning/commissioning'",
      "exactly one"]),
    ("availability-neither", cell("closed.csv", 2, "function", ""),
     ["closed.csv", "line 2", "field 'function/category'", "found nothing", "exactly one"]),
    ("availability-unknown-function", cell("closed.csv", 2, "function", "nursing"),
     ["closed.csv", "line 2", "field 'function'", "'nursing'", "a function id"]),
    ("availability-unknown-category", steps(cell("closed.csv", 2, "function", ""),
                                            cell("closed.csv", 2, "category", "nursing")),
     ["closed.csv", "line 2", "field 'category'", "'nursing'", "a category"]),
    *[(f"availability-allowed-{v or 'blank'}", cell("closed.csv", 2, "allowed", v),
       ["closed.csv", "line 2", "field 'allowed'", f"'{v}'" if v else "found nothing",
        "true or false"])
      for v in ("yes", "1", "", "FALSE ish")],
    ("availability-duplicated-row", duplicate("closed.csv", 2),
     ["closed.csv", "line 3", "already on line 2"]),
    ("availability-missing-column", drop("closed.csv", "allowed"),
     ["closed.csv", "line 1 (header)", "field 'allowed'", "found nothing"]),
    ("availability-file-missing", delete("closed.csv"),
     ["instance.toml", "scenarios.closed.availability", "'closed.csv'", "found nothing"]),
    ("allowed-tier-without-unit", cell("functions.csv", 2, "allowed", "combined"),
     ["functions.csv", "line 2", "field 'allowed'", "'combined'", "function 'commissioning'",
      "Ashby, Dunmore"]),
    ("availability-closes-everything",
     steps(AVAILABILITY, write("avail.csv", AVAIL_HEADER + "".join(
         f"{t},,prevention,,false,,\n" for t in ("national", "region", "local", "hood")))),
     ["functions.csv", "line 3", "function 'prevention'", "Ashby, Dunmore", "avail.csv"]),
    ("scenario-availability-closes-everything",
     steps(write("closed.csv", AVAIL_HEADER + "".join(
         f"{t},,prevention,,false,,\n" for t in ("national", "region", "local", "hood"))),
     ),
     ["scenarios.closed", "function 'prevention'", "Ashby, Dunmore", "closed.csv"]),
    # caps on single bodies (unit_caps.csv, line 2: staff, hood, c, 1.5, false)
    ("cap-unknown-resource", cell("unit_caps.csv", 2, "resource", "money"),
     ["unit_caps.csv", "line 2", "field 'resource'", "'money'", "a resource id"]),
    ("cap-unknown-tier", cell("unit_caps.csv", 2, "tier", "county"),
     ["unit_caps.csv", "line 2", "field 'tier'", "'county'", "a tier id"]),
    ("cap-unknown-unit", cell("unit_caps.csv", 2, "unit", "z"),
     ["unit_caps.csv", "line 2", "field 'unit'", "'z'", "a unit of hood"]),
    *[(f"cap-{v or 'blank'}", cell("unit_caps.csv", 2, "cap", v),
       ["unit_caps.csv", "line 2", "field 'cap'", f"'{v}'" if v else "found nothing",
        "a cap of 0 or more"])
      for v in ("-1", "nan", "inf", "1e400", "lots", "")],
    ("cap-per-head", cell("unit_caps.csv", 2, "per_head", "maybe"),
     ["unit_caps.csv", "line 2", "field 'per_head'", "'maybe'", "true or false"]),
    ("cap-duplicated-row", duplicate("unit_caps.csv", 2),
     ["unit_caps.csv", "line 4", "already on line 2"]),
    ("cap-same-body-twice", steps(cell("unit_caps.csv", 3, "tier", "hood"),
                                  cell("unit_caps.csv", 3, "per_head", "false")),
     ["unit_caps.csv", "line 3", "already on line 2"]),
    # pins
    ("pin-same-twice", cell("functions.csv", 2, "pinned", "region|region"),
     ["functions.csv", "line 2", "field 'pinned'", "'region|region'", "two different tier ids"]),
    ("pin-unknown-fallback", cell("functions.csv", 2, "pinned", "region|nonexistent"),
     ["functions.csv", "line 2", "field 'pinned'", "'region|nonexistent'", "'tier|fallback'"]),
    ("pin-without-unit-everywhere", cell("functions.csv", 2, "pinned", "combined"),
     ["functions.csv", "line 2", "field 'pinned'", "'combined'", "function 'commissioning'",
      "Ashby, Dunmore"]),
    ("pin-fallback-overlaps", cell("functions.csv", 2, "pinned", "combined|region"),
     ["functions.csv", "line 2", "field 'pinned'", "'combined|region'",
      "function 'commissioning'", "Bexford, Caldwell"]),
    ("pin-fallback-not-allowed", steps(cell("functions.csv", 2, "pinned", "combined|region"),
                                       cell("functions.csv", 2, "allowed", "combined;local")),
     ["functions.csv", "line 2", "field 'pinned'", "'region'", "allowed tiers"]),
    ("scenario-pin-without-unit-everywhere",
     toml('pins = { prevention = "region" }', 'pins = { prevention = "combined" }'),
     ["instance.toml", "scenarios.linked.pins.prevention", "'combined'", "Ashby, Dunmore"]),
    ("scenario-pin-fallback-overlaps",
     toml('pins = { prevention = "region" }', 'pins = { prevention = "combined|region" }'),
     ["instance.toml", "scenarios.linked.pins.prevention", "'combined|region'",
      "Bexford, Caldwell"]),
    # serves
    ("serves-unknown-indicator", cell("functions.csv", 2, "serves", "young"),
     ["functions.csv", "line 2", "field 'serves'", "'young'", "function 'commissioning'",
      "kind 'share'"]),
    ("serves-score-indicator", steps(SCORE, cell("functions.csv", 2, "serves", "old")),
     ["functions.csv", "line 2", "field 'serves'", "'old'", "kind 'share'"]),
    # scenario placements
    *[(f"placement-{what}", steps(
        write("p.csv", "function,tier,scope,code\ncommissioning,region,,\nprevention,local,,\n"
              + row + "\n"),
        scenario('placement = "p.csv"')), ["p.csv", "line 4", *bits])
      for what, row, bits in (
          ("unknown-unit", "commissioning,combined,combined,CA9",
           ["field 'code'", "'CA9'", "a unit of combined"]),
          ("unknown-scope", "commissioning,combined,county,CA1", ["field 'scope'", "'county'"]),
          ("unknown-function", "nursing,combined,combined,CA1",
           ["field 'function'", "'nursing'"]),
          ("unknown-tier", "commissioning,county,combined,CA1", ["field 'tier'", "'county'"]),
          ("tier-without-unit", "commissioning,combined,region,R1",
           ["field 'tier'", "'combined'", "Ashby"]),
          ("duplicated-row", "commissioning,region,,", ["field 'function'", "already on line 2"]),
      )],
    *[(f"placement-fallback-{name}",
       steps(write("p.csv", f"function,tier\ncommissioning,{tier}\nprevention,local\n"),
             scenario('placement = "p.csv"')), ["p.csv", "line 2", "field 'tier'", *bits])
      for name, tier, bits in (
          ("same-tier", "combined|combined", ["'combined|combined'", "'tier|fallback'"]),
          ("unknown-fallback", "combined|county", ["'combined|county'", "'tier|fallback'"]),
      )],
    ("placement-missing-function", steps(write("p.csv", "function,tier\ncommissioning,region\n"),
                                         scenario('placement = "p.csv"')),
     ["instance.toml", "scenarios.x.placement", "prevention"]),
    ("scenario-availability-file-missing", scenario('availability = "nowhere.csv"'),
     ["instance.toml", "scenarios.x.availability", "'nowhere.csv'", "found nothing"]),
    ("scenario-drops-pin-fallback",
     steps(cell("functions.csv", 2, "pinned", "combined|local"),
           scenario('disable_tiers = ["local"]')),
     ["instance.toml", "scenarios.x", "field 'pinned'", "'combined|local'", "this scenario keeps"]),
    ("scenario-allowed-tier-without-unit", scenario('allowed = { prevention = ["combined"] }'),
     ["instance.toml", "scenarios.x", "function 'prevention'", "Ashby, Dunmore"]),
    # numbers in instance.toml: finite, and numbers rather than text
    *[(f"toml-budget-{v}", scenario(f"budgets = {{ staff = {v} }}"),
       ["instance.toml", "scenarios.x.budgets.staff", "a finite number"])
      for v in ("nan", "inf")],
    ("toml-budget-text", scenario('budgets = { staff = "6" }'),
     ["instance.toml", "scenarios.x.budgets.staff", "'6'", "a number"]),
    ("toml-tier-units-text", toml('id = "national"\n', 'id = "national"\nunits = "1"\n'),
     ["instance.toml", "tiers[1].units", "id 'national'", "'1'", "a whole number"]),
    # regressions found by random single mutations of tiny-areas (a hostile sweep)
    ("areas-header-only", write("areas.csv", "area,name,population,region,combined,need_old\n"),
     ["areas.csv", "at least one area"]),
    ("areas-repeated-column", column("areas.csv", "area", ["x", "y", "z", "w"]),
     ["areas.csv", "line 1 (header)", "field 'area'", "each column name only once"]),
    ("values-repeated-column", column("values.csv", "id", ["CA1", "CA1"]),
     ["values.csv", "line 1 (header)", "field 'id'", "each column name only once"]),
    ("join-file-name-too-long", toml('file = "hoods.csv"', f'file = "{"y" * 3000}"'),
     ["instance.toml", "areas.join[1].file", "a readable file"]),
    ("count-beyond-people", cell("hoods.csv", 2, "hoods", "1e20"),
     ["hoods.csv", "line 2", "field 'hoods'", "'1e20'", "at most one per person"]),
    # values.csv (found by the sweep: float() took '1e400', 'nan' and '1_000')
    *[(f"value-{v or 'blank'}", cell("values.csv", 2, "region", v),
       ["values.csv", "line 2", "field 'region'", f"'{v}'" if v else "found nothing",
        "a finite number", "function 'commissioning'"])
      for v in ("1e400", "nan", "inf", "1_000", "")],
    ("value-duplicated-row", duplicate("values.csv", 2),
     ["values.csv", "line 4", "field 'id'", "'commissioning'", "already on line 2"]),
    ("value-unknown-function", cell("values.csv", 3, "id", "nursing"),
     ["values.csv", "line 3", "field 'id'", "'nursing'", "a function id"]),
    *[(f"cost-{what}", steps(
        write("costs.csv", "function,tier,resource,amount\n" + rows),
        toml('values = "values.csv"', 'values = "values.csv"\ncosts = "costs.csv"')),
       ["costs.csv", *bits])
      for what, rows, bits in (
          ("nan", "commissioning,region,staff,nan\n",
           ["line 2", "field 'amount'", "'nan'", "a cost of 0 or more"]),
          ("inf", "commissioning,region,staff,inf\n",
           ["line 2", "field 'amount'", "'inf'", "a cost of 0 or more"]),
          ("duplicated-row", "commissioning,region,staff,1\ncommissioning,region,staff,2\n",
           ["line 3", "field 'function'", "already on line 2"]))],
    ("toml-membership-empty", toml('membership = "*"', 'membership = ""'),
     ["instance.toml", "tiers[1].membership", "id 'national'", "found ''", "not empty"]),
    ("toml-share-empty", toml('population = "population"\n',
                              'population = "population"\nshare = ""\n'),
     ["instance.toml", "areas.share", "found ''", "not empty"]),
    ("toml-values-empty", toml('values = "values.csv"', 'values = ""'),
     ["instance.toml", "values", "found ''", "text that is not empty"]),
    *[(f"markup-in-{name}", cell(file, line, col, "[/b]x[bold]"),
       [file, f"line {line}", f"field '{col}'", "'[/b]x[bold]'"])
      for name, file, line, col in (("population", "areas.csv", 3, "population"),
                                    ("current", "current.csv", 2, "tier"))],
    ("count-beyond-people-within",
     steps(toml('{ count = "hoods" }', '{ count = "hoods", within = "region" }'),
           cell("hoods.csv", 4, "hoods", "1000"), cell("hoods.csv", 5, "hoods", "1000")),
     ["hoods.csv", "line 4", "field 'hoods'", "'1000'", "at most one per person of its region"]),
]


@pytest.mark.parametrize(("damage", "bits"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_damage_one_located_message(inst: Path, damage: Mutate, bits: list[str]) -> None:
    damage(inst)
    msgs = load_problems(inst)
    assert any(all(b in m for b in bits) for m in msgs), "\n".join(msgs)
    p = validate(inst)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "Traceback" not in p.stderr and "error:" in p.stderr


UNIFORM_CASES: list[tuple[str, Mutate, list[str]]] = [
    ("scenario-availability-without-areas",
     steps(write("closed.csv", AVAIL_HEADER + "local,,prevention,,false,,\n"),
           scenario('availability = "closed.csv"')),
     ["instance.toml", "scenarios.x.availability", "'closed.csv'", "[areas]"]),
    ("placement-scope-without-areas",
     steps(write("p.csv", "function,tier,scope,code\nprevention,local,local,x\n"),
           scenario('placement = "p.csv"')),
     ["p.csv", "line 1 (header)", "field 'scope'", "[areas]"]),
    ("pin-fallback-without-areas", cell("functions.csv", 3, "pinned", "local|region"),
     ["functions.csv", "line 3", "field 'pinned'", "'local|region'", "[areas]"]),
]


@pytest.mark.parametrize(("damage", "bits"), [c[1:] for c in UNIFORM_CASES],
                         ids=[c[0] for c in UNIFORM_CASES])
def test_per_area_input_without_areas(uniform: Path, damage: Mutate, bits: list[str]) -> None:
    damage(uniform)
    msgs = load_problems(uniform)
    assert any(all(b in m for b in bits) for m in msgs), "\n".join(msgs)
    p = validate(uniform)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "Traceback" not in p.stderr and "error:" in p.stderr


def test_a_fixed_placement_with_a_fallback_is_valid_and_evaluated(inst: Path) -> None:
    """'combined|local': the combined authority where it exists (Bexford, Caldwell), the
    councils elsewhere (README: 14.4 for commissioning), prevention at the neighbourhoods."""
    steps(write("p.csv", "function,tier\ncommissioning,combined|local\nprevention,hood\n"),
          scenario('placement = "p.csv"'))(inst)
    res = placement.evaluate(placement.load(inst), "x")
    tiers = res.by_area.xs("commissioning", level="function")["tier"].to_dict()
    assert tiers == {"a": "local", "b": "combined", "c": "combined", "d": "local"}


def test_serves_without_areas_is_a_warning_not_an_error(uniform: Path) -> None:
    """A uniform variant may share a per-area instance's functions.csv (as
    instances/england-2024-uniform does): with one area every function serves everyone."""
    cell("functions.csv", 3, "serves", "old")(uniform)
    inst = placement.load(uniform)
    assert any("serves" in w and "ignored without [areas]" in w for w in inst.warnings)
    p = validate(uniform)
    assert p.returncode == 0 and "warning:" in p.stderr and "serves" in p.stderr


# ---- every problem in one run ------------------------------------------------------------

def test_every_problem_of_the_area_table_in_one_run(inst: Path) -> None:
    steps(cell("areas.csv", 2, "population", "0"), cell("areas.csv", 3, "population", "abc"),
          cell("areas.csv", 4, "need_old", "2"), duplicate("areas.csv", 5),
          cell("hoods.csv", 5, "hoods", "0"))(inst)
    joined = "\n".join(load_problems(inst))
    for bits in (("areas.csv, line 2", "'0'"), ("areas.csv, line 3", "'abc'"),
                 ("areas.csv, line 4", "need_old"), ("areas.csv, line 6", "already on line 5"),
                 ("hoods.csv, line 5", "'hoods'")):
        assert all(b in joined for b in bits), joined


def test_every_per_place_table_checked_in_one_run(inst: Path) -> None:
    steps(cell("current.csv", 2, "tier", "county"), cell("unit_caps.csv", 3, "cap", "-1"),
          cell("closed.csv", 2, "allowed", "yes"), cell("functions.csv", 3, "serves", "young"),
          cell("functions.csv", 2, "pinned", "combined"))(inst)
    joined = "\n".join(load_problems(inst))
    for bits in (("current.csv, line 2", "county"), ("unit_caps.csv, line 3", "'-1'"),
                 ("closed.csv, line 2", "'yes'"), ("functions.csv, line 3", "'young'"),
                 ("functions.csv, line 2", "'combined'")):
        assert all(b in joined for b in bits), joined


def test_a_broken_function_table_does_not_make_every_override_unknown(inst: Path) -> None:
    """With functions.csv unreadable its ids are unknown: the overrides, availability and
    scenario rows naming functions are not reported as naming unknown ones."""
    steps(cell("functions.csv", 3, "staff_fixed", "lots"),
          cell("unit_caps.csv", 2, "cap", "-1"))(inst)
    msgs = load_problems(inst)
    assert len(msgs) == 2, "\n".join(msgs)
    assert any("functions.csv, line 3" in m and "'lots'" in m for m in msgs)
    assert any("unit_caps.csv, line 2" in m for m in msgs)


def test_solve_exits_2_on_bad_areas(inst: Path) -> None:
    cell("areas.csv", 3, "population", "nan")(inst)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(inst)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "areas.csv, line 3" in p.stderr


def test_per_area_links_render(inst: Path) -> None:
    """Found by the sweep: the table output of a per-area result with links raised KeyError
    (per-area link frames have no single tier per function)."""
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(inst),
                        "--scenario", "linked"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    assert "Links" in p.stdout and "broken for" in p.stdout


@pytest.mark.skipif("highs" not in BACKENDS, reason="HiGHS is not installed")
def test_a_cost_too_large_for_highs_is_an_error_not_a_traceback(inst: Path) -> None:
    """Found by the sweep: HiGHS refused a model with a 1e16 coefficient with a
    RuntimeError."""
    cell("functions.csv", 2, "staff_fixed", "1e16")(inst)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(inst),
                        "--scenario", "budget", "--solver", "highs"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert "rescale" in p.stderr


def test_names_with_brackets_are_shown_as_written(inst: Path) -> None:
    """Found by the sweep: the console read '[/i]' in a name as a closing style tag (a
    traceback) and dropped '[x]'; names and values are printed as written."""
    steps(cell("functions.csv", 2, "name", "Commissioning [x]"),
          cell("areas.csv", 2, "name", "Ash[/i]by"))(inst)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(inst)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    assert "Ash[/i]by" in p.stdout and "[x]" in p.stdout


def test_an_infeasible_diagnosis_naming_files_is_printed(inst: Path) -> None:
    """Found by the sweep: a diagnosis line ending '[.../unit_caps.csv line 2]' was read as
    a closing style tag (a traceback instead of exit 3)."""
    toml('pins = { prevention = "region" }', 'pins = { prevention = "hood" }')(inst)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(inst),
                        "--scenario", "linked"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 3 and "Traceback" not in p.stderr, p.stderr
    assert "unit_caps.csv line 2]" in p.stderr
