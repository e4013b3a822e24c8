"""OR-Library generalised assignment: the reader, and the published optima (bounds.tsv)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

import placement
from placement.errors import InstanceError
from placement.io.orlib import read_gap
from placement.solvers import Status
from tests.conftest import BACKENDS, GAP_DIR


def _bounds() -> dict[str, tuple[float, float]]:
    out = {}
    path = GAP_DIR / "bounds.tsv"
    if not path.is_file():
        return out
    with path.open() as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["sense"] == "Min":
                out[row["instance"]] = (float(row["lower_bound"]), float(row["upper_bound"]))
    return out


BOUNDS = _bounds()
# gap1-gap12 of OR-Library, split into one problem per file (c05 15_1 ... c1060_5)
GAP1_12 = sorted(n for n in BOUNDS if "_" in n)


def test_all_sixty_gap1_12_problems_are_present() -> None:
    assert len(GAP1_12) == 60


@pytest.mark.parametrize("name", ["d10100", "d10200", "d20100", "d20200", "e10100", "e10200",
                                  "e20100", "e20200"])
def test_the_hard_d_and_e_files_read_with_their_bounds(name: str) -> None:
    """Issue 15's portfolio instances are in data/gap: agents and jobs as the name says, and
    the placement and bound of a 1 s solve lie within the published bounds."""
    inst = placement.load(GAP_DIR / name, input_format="orlib-gap")
    assert (inst.n_tiers, inst.n_functions) == (int(name[1:3]), int(name[3:]))
    lo, hi = BOUNDS[name]
    assert lo <= hi
    r = placement.solve(inst, "highs", threads=1, time_limit=1.0)
    assert r.has_solution and r.check is not None and r.check.ok
    assert r.objective is not None and r.objective >= lo - 1e-6  # minimised: never below
    assert r.bound is not None and r.bound <= hi + 1e-6  # and the bound never above the best


@pytest.mark.parametrize("name", GAP1_12)
def test_highs_proves_published_optimum(name: str) -> None:
    inst = placement.load(GAP_DIR / name, input_format="orlib-gap")
    r = placement.solve(inst, "highs")
    lo, hi = BOUNDS[name]
    assert lo == hi
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(lo)
    assert r.check is not None and r.check.ok


@pytest.mark.parametrize("solver", [b for b in BACKENDS if b != "highs"])
@pytest.mark.parametrize("name", GAP1_12[::6])  # a spread of sizes, 10 problems
def test_other_backends_agree_on_gap_optima(name: str, solver: str) -> None:
    inst = placement.load(GAP_DIR / name, input_format="orlib-gap")
    r = placement.solve(inst, solver, threads=1, time_limit=60)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(BOUNDS[name][0])
    assert r.check is not None and r.check.ok


def test_reader_maps_jobs_agents_and_capacities(tmp_path: Path) -> None:
    p = tmp_path / "toy"
    # 2 agents, 3 jobs; costs, resource use, capacities
    p.write_text("2 3\n1 2 3\n3 2 1\n2 2 2\n1 1 1\n4 2\n")
    (inst,) = read_gap(p)
    assert inst.sense == "min"
    assert inst.tier_ids == ("agent1", "agent2")
    assert list(inst.function_ids) == ["job1", "job2", "job3"]
    np.testing.assert_array_equal(inst.value_matrix, [[1, 3], [2, 2], [3, 1]])
    assert inst.resources[0].caps == {"agent1": 4.0, "agent2": 2.0}
    r = placement.solve(inst)
    # agent2 holds at most 2 jobs of use 1; agent1 at most 2 jobs of use 2:
    # best is job1 -> agent1 (1), job3 -> agent2 (1), job2 either (2): total 4
    assert r.objective == pytest.approx(4.0)


def test_multi_problem_file_in_original_orlib_layout(tmp_path: Path) -> None:
    names = GAP1_12[:5]
    body = "".join((GAP_DIR / n).read_text() + "\n" for n in names)
    p = tmp_path / "gap1.txt"
    p.write_text(f" {len(names)}\n{body}")
    insts = read_gap(p)
    assert [i.n_functions for i in insts] == [
        placement.load(GAP_DIR / n, input_format="orlib-gap").n_functions for n in names
    ]
    for n, inst in zip(names, insts, strict=True):
        assert placement.solve(inst).objective == pytest.approx(BOUNDS[n][0])


@pytest.mark.parametrize(
    "text, words",
    [
        ("2 3\n1 2 x\n", "integers only"),
        ("2 3\n1 2 3\n", "m*n costs"),
        ("", "m*n costs"),
    ],
)
def test_malformed_gap_files_are_reported(tmp_path: Path, text: str, words: str) -> None:
    p = tmp_path / "bad"
    p.write_text(text)
    with pytest.raises(InstanceError) as e:
        read_gap(p)
    assert words in str(e.value)
    assert str(p) in str(e.value)
