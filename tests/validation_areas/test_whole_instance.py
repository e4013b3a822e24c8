"""Per-area input without [areas], every problem in one run, and the CLI on damaged
instances (solve, links, costs, names, diagnoses)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import placement
from tests.conftest import BACKENDS, ROOT
from tests.validation_areas.damage import (
    AVAIL_HEADER,
    Mutate,
    assert_located,
    cell,
    duplicate,
    load_problems,
    scenario,
    steps,
    toml,
    validate,
    write,
)

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
    assert_located(uniform, bits)


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
    # the bundled uniform variant shares the per-area instance's file (bundled:): no warning
    bundled = placement.load(ROOT / "instances" / "england-2024-uniform")
    assert bundled.functions.serves is not None and bundled.functions.serves.any()
    assert not any("serves" in w for w in bundled.warnings)


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
    RuntimeError. Now the cost is out of the stated range and refused before any solver."""
    cell("functions.csv", 2, "staff_fixed", "1e16")(inst)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(inst),
                        "--scenario", "budget", "--solver", "highs"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert "staff_fixed" in p.stderr and "a cost from 0 to 1e+12" in p.stderr


def test_names_with_brackets_are_shown_as_written(inst: Path) -> None:
    """Found by the sweep: the console read '[/i]' in a name as a closing style tag (a
    traceback) and dropped '[x]'; names and values are printed as written."""
    steps(cell("functions.csv", 2, "name", "Commissioning [x]"),
          cell("areas.csv", 2, "name", "Ash[/i]by"))(inst)
    # --wide: at 80 columns the placement table leaves names out (ids, then a legend)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(inst), "--wide"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    assert "Ash[/i]by" in p.stdout and "Commissioning [x]" in p.stdout


def test_an_infeasible_diagnosis_naming_files_is_printed(inst: Path) -> None:
    """Found by the sweep: a diagnosis line ending '[.../unit_caps.csv line 2]' was read as
    a closing style tag (a traceback instead of exit 3)."""
    toml('pins = { prevention = "region" }', 'pins = { prevention = "hood" }')(inst)
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(inst),
                        "--scenario", "linked"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 3 and "Traceback" not in p.stderr, p.stderr
    assert "unit_caps.csv line 2]" in p.stderr
