"""The synthetic instance generator (placement.io.synthetic) and ``placement generate``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import placement
from placement.errors import PlacementError
from placement.io.instance_writer import write_instance
from placement.io.synthetic import SyntheticSpec, generate
from placement.solvers import Status
from tests.conftest import BACKENDS, ROOT


def _same(a: placement.Instance, b: placement.Instance) -> None:
    fa, fb = a.functions, b.functions
    assert np.array_equal(fa.ids, fb.ids)
    for name in ("scores", "lo", "hi", "fixed", "variable", "allowed", "pinned"):
        assert np.array_equal(getattr(fa, name), getattr(fb, name), equal_nan=True), name
    assert a.tier_ids == b.tier_ids
    assert [t.units for t in a.tiers] == [t.units for t in b.tiers]
    assert [t.population for t in a.tiers] == [t.population for t in b.tiers]
    assert a.resources[0].budget == b.resources[0].budget
    assert dict(a.resources[0].caps) == dict(b.resources[0].caps)
    assert [(lk.id, lk.kind, lk.function, lk.other, lk.kappa_min, lk.penalty)
            for lk in a.links] == [(lk.id, lk.kind, lk.function, lk.other, lk.kappa_min,
                                    lk.penalty) for lk in b.links]
    assert np.array_equal(a.value_matrix, b.value_matrix)
    assert np.array_equal(a.cost_tensor, b.cost_tensor)
    assert np.array_equal(a.kappa, b.kappa, equal_nan=True)


def test_same_seed_same_instance() -> None:
    _same(generate(300, 6, seed=7, link_density=0.1), generate(300, 6, seed=7, link_density=0.1))


def test_other_seed_other_instance() -> None:
    a, b = generate(300, 5, seed=1), generate(300, 5, seed=2)
    assert not np.array_equal(a.functions.scores, b.functions.scores)


def test_spec_and_arguments_agree_and_name_says_what_it_is() -> None:
    spec = SyntheticSpec(100, 5, seed=3, budget_tightness=0.25, link_density=0.05)
    inst = generate(spec)
    assert inst.name == "synthetic-100x5-s3-b0.25-l0.05"
    _same(inst, generate(100, 5, seed=3, budget_tightness=0.25, link_density=0.05))


def test_shapes_links_and_budget_range() -> None:
    inst = generate(1000, 7, seed=0, link_density=0.03)
    assert (inst.n_functions, inst.n_tiers) == (1000, 7)
    assert len(inst.links) == 30
    assert {lk.kind for lk in inst.links} == {"together", "at_or_above", "coterminous"}
    assert any(lk.hard for lk in inst.links) and any(not lk.hard for lk in inst.links)
    assert all(lk.function != lk.other for lk in inst.links)
    staff = inst.cost_tensor[:, :, 0]
    national = staff[:, 0].sum()
    best = staff[np.arange(1000), inst.value_matrix.argmax(axis=1)].sum()
    assert national <= inst.resources[0].budget <= best


def test_large_instance_is_vectorised_and_has_the_right_shape() -> None:
    inst = generate(200_000, 5, seed=0)  # 10^6 binaries
    assert inst.value_matrix.shape == (200_000, 5)
    assert np.isfinite(inst.value_matrix).all()


@pytest.mark.parametrize("tightness", [0.0, 1.0])
def test_budget_tightness_ends(tightness: float) -> None:
    inst = generate(60, 5, seed=4, budget_tightness=tightness)
    r = placement.solve(inst)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    if tightness == 0.0:  # the budget does not bind: every function at its best tier
        assert r.objective == pytest.approx(inst.value_matrix.max(axis=1).sum())
    else:  # the tightest budget: every function at its cheapest (national) tier
        staff = inst.cost_tensor[:, :, 0]
        used = staff[np.arange(60), r.assignment].sum()
        assert used <= inst.resources[0].budget + 1e-9
        assert inst.resources[0].budget == staff[:, 0].sum()


def test_values_peak_at_more_than_the_extreme_tiers() -> None:
    best = generate(2000, 5, seed=0).value_matrix.argmax(axis=1)
    assert len(set(best.tolist()) - {0, 4}) >= 2  # middle tiers win for some functions


@pytest.mark.parametrize("solver", BACKENDS)
def test_every_backend_solves_a_small_instance_and_the_checker_agrees(solver: str) -> None:
    inst = generate(40, 4, seed=5, link_density=0.05)
    r = placement.solve(inst, solver, threads=1, time_limit=60)
    ref = placement.solve(inst, "highs")
    assert r.status is Status.OPTIMAL
    assert r.check is not None and r.check.ok
    assert r.objective == pytest.approx(ref.objective, rel=1e-6)


def test_written_instance_loads_back_identical_and_solves_the_same(tmp_path: Path) -> None:
    inst = generate(300, 6, seed=4, link_density=0.1)
    path = write_instance(inst, tmp_path / "syn")
    assert sorted(p.name for p in path.iterdir()) == [
        "coterminosity.csv", "functions.csv", "instance.toml", "links.csv", "model.toml"]
    back = placement.load(path)
    _same(inst, back)
    a, b = placement.solve(inst), placement.solve(back)
    assert a.status is Status.OPTIMAL and b.status is Status.OPTIMAL
    assert a.objective == b.objective
    assert b.check is not None and b.check.ok


def test_write_refuses_a_non_empty_directory_and_leaves_nothing_behind(tmp_path: Path) -> None:
    out = tmp_path / "syn"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(PlacementError, match="not empty"):
        write_instance(generate(10, 3), out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["syn"]
    write_instance(generate(10, 3), out, overwrite=True)
    assert (out / "keep.txt").read_text() == "mine" and (out / "instance.toml").is_file()


@pytest.mark.parametrize("kwargs, message", [
    ({"functions": 1, "tiers": 5}, "functions"),
    ({"functions": 10, "tiers": 1}, "tiers"),
    ({"functions": 10, "tiers": 5, "budget_tightness": 1.5}, "tightness"),
    ({"functions": 10, "tiers": 5, "link_density": -1}, "link density"),
    ({"functions": 10, "tiers": 5, "cap_tightness": 1.0}, "cap tightness"),
    ({"functions": 10, "tiers": 5, "cap_tightness": -0.1}, "cap tightness"),
])
def test_bad_parameters_are_clear_errors(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(PlacementError, match=message):
        SyntheticSpec(**kwargs)  # type: ignore[arg-type]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "placement.cli", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_cli_generate_writes_an_instance_that_solves(tmp_path: Path) -> None:
    out = tmp_path / "g"
    p = _cli("generate", str(out), "--functions", "80", "--tiers", "5", "--seed", "2",
             "--budget-tightness", "0.7", "--link-density", "0.05")
    assert p.returncode == 0, p.stderr
    inst = placement.load(out)
    _same(inst, generate(80, 5, seed=2, budget_tightness=0.7, link_density=0.05))
    s = _cli("solve", str(out))
    assert s.returncode == 0, s.stderr
    again = _cli("generate", str(out), "--functions", "80")
    assert again.returncode == 2 and "not empty" in again.stderr
    assert "Traceback" not in again.stderr


def test_cli_generate_rejects_bad_options(tmp_path: Path) -> None:
    p = _cli("generate", str(tmp_path / "g"), "--functions", "80", "--budget-tightness", "2")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert not (tmp_path / "g").exists()


# -- per-tier caps ----------------------------------------------------------------------------


def test_caps_cap_every_tier_below_the_national_one_and_all_national_still_fits() -> None:
    from placement.solution.checker import check

    inst = generate(2000, 5, seed=1, cap_tightness=0.2)
    assert inst.name == "synthetic-2000x5-s1-b0.5-l0-c0.2"
    caps = dict(inst.resources[0].caps)
    assert tuple(caps) == inst.tier_ids[1:]  # every tier below the national one is some
    staff = inst.cost_tensor[:, :, 0]        # function's best here
    best = inst.value_matrix.argmax(axis=1)
    use = np.bincount(best, weights=staff[np.arange(2000), best], minlength=5)
    assert [caps[t] for t in inst.tier_ids[1:]] == np.floor(0.8 * use[1:]).tolist()
    many = generate(2000, 50, seed=1, cap_tightness=0.2)  # 50 tiers: some nobody's best
    best50 = many.value_matrix.argmax(axis=1)
    assert set(many.resources[0].caps) == {many.tier_ids[t] for t in set(best50.tolist())} - \
        {many.tier_ids[0]}
    assert check(inst, np.zeros(2000, dtype=np.int64)).ok  # every function national
    assert generate(2000, 5, seed=1).resources[0].caps == {}


def test_caps_bind_and_every_solved_placement_keeps_them() -> None:
    capped = generate(2000, 5, seed=1, cap_tightness=0.2)
    free = placement.solve(generate(2000, 5, seed=1))
    r = placement.solve(capped)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    staff = capped.cost_tensor[:, :, 0]
    use = np.bincount(r.assignment, weights=staff[np.arange(2000), r.assignment], minlength=5)
    caps = np.array([capped.resources[0].caps[t] for t in capped.tier_ids[1:]])
    assert np.all(use[1:] <= caps + 1e-9)
    assert np.any(use[1:] == caps)  # some cap binds ...
    assert free.objective is not None and r.objective is not None
    assert r.objective < free.objective - 1e-6  # ... and costs value


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_capped_tiny_instances_solve_to_the_enumerated_optimum(seed: int) -> None:
    import itertools

    from placement.solution.checker import check

    inst = generate(6, 3, seed=seed, budget_tightness=0.3, cap_tightness=0.3)
    best = max(rep.objective for a in itertools.product(range(3), repeat=6)
               if (rep := check(inst, np.array(a))).ok)
    r = placement.solve(inst)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    assert r.objective == pytest.approx(best, abs=1e-9)


def test_written_capped_instance_loads_back_with_its_caps(tmp_path: Path) -> None:
    inst = generate(300, 5, seed=4, cap_tightness=0.25)
    back = placement.load(write_instance(inst, tmp_path / "syn"))
    _same(inst, back)
    assert back.resources[0].caps and placement.solve(back).objective == \
        placement.solve(inst).objective


def test_cli_generate_with_caps(tmp_path: Path) -> None:
    out = tmp_path / "g"
    p = _cli("generate", str(out), "--functions", "80", "--seed", "2", "--cap-tightness", "0.2")
    assert p.returncode == 0, p.stderr
    assert "caps on 4 tiers" in p.stdout
    _same(placement.load(out), generate(80, 5, seed=2, cap_tightness=0.2))
    bad = _cli("generate", str(tmp_path / "h"), "--functions", "80", "--cap-tightness", "1")
    assert bad.returncode == 2 and "cap tightness" in bad.stderr
    assert "Traceback" not in bad.stderr and not (tmp_path / "h").exists()
