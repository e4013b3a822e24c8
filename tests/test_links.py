"""Links between functions (docs/model.md section 4): hand-solved instances for every kind, hard
and soft, on every installed backend; enumeration agrees; scenarios add and remove links;
mistakes in links are located."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import placement
from placement.errors import InstanceError
from placement.model import Link
from placement.solution.checker import check
from placement.solution.link_check import link_penalties
from placement.solvers import Status
from tests.conftest import BACKENDS, INSTANCES, ROOT, brute_force

FREE = {"procurement": "national", "prevention": "local", "commissioning": "local",
        "workforce": "national"}  # the optimum of every link instance without its links: 18

HAND = {
    # (instance, scenario): (optimum, unique optimal placement) -- worked in each README
    ("tiny-link-together", None): (17.0, {**FREE, "commissioning": "national"}),
    ("tiny-link-together-soft", None): (15.5, {**FREE, "workforce": "local"}),
    ("tiny-link-above", None): (16.0, {**FREE, "workforce": "local"}),
    ("tiny-link-above-soft", None): (15.75, {**FREE, "commissioning": "national"}),
    ("tiny-link-coterminous", None): (17.0, {**FREE, "commissioning": "national"}),
    ("tiny-link-coterminous", "loose"): (17.5, {**FREE, "commissioning": "region"}),
    ("tiny-link-coterminous-soft", None): (17.1, {**FREE, "commissioning": "region"}),
    ("tiny-link-coterminous-soft", "dearer"): (17.0, {**FREE, "commissioning": "national"}),
    ("tiny-link-geography", None): (8.9, {"adult_social_care": "place",
                                          "public_health": "place"}),
    ("tiny-link-geography", "combined-authorities"): (
        9.5, {"adult_social_care": "combined_authority",
              "public_health": "combined_authority"}),
}
CASES = sorted(HAND, key=lambda k: (k[0], k[1] or ""))


def _id(case: tuple[str, str | None]) -> str:
    return case[0] + (f"@{case[1]}" if case[1] else "")


@pytest.mark.parametrize("solver", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_link_instances_match_hand(case: tuple[str, str | None], solver: str) -> None:
    name, scenario = case
    optimum, where = HAND[case]
    r = placement.solve(placement.load(INSTANCES / name), solver, scenario=scenario)
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(optimum, abs=1e-6)
    assert r.check is not None and r.check.ok, r.check.summary()
    assert r.check.objective == pytest.approx(optimum, abs=1e-6)
    assert r.tiers.to_dict() == where


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_link_instances_agree_with_enumeration(case: tuple[str, str | None]) -> None:
    name, scenario = case
    inst = placement.load(INSTANCES / name).with_scenario(scenario)
    best, args = brute_force(inst)
    assert best == pytest.approx(HAND[case][0])
    assert len(args) == 1, "the hand-worked optimum is unique"


@pytest.mark.parametrize("name", ["tiny-link-together", "tiny-link-above",
                                  "tiny-link-coterminous", "tiny-link-together-soft",
                                  "tiny-link-above-soft", "tiny-link-coterminous-soft"])
def test_every_link_changes_the_optimum(name: str) -> None:
    """Without its links each instance's optimum is different (18, or 17.5 under the budget)."""
    inst = placement.load(INSTANCES / name)
    free = placement.solve(inst.replace(links=()))
    linked = placement.solve(inst)
    assert free.objective > linked.objective + 0.05


def test_soft_penalty_is_exact_for_every_pair_of_tiers() -> None:
    """Fix each pair of tiers for a soft coterminous link: the solver's objective equals the
    checker's, i.e. the y-variables charge exactly penalty * (1 - kappa)."""
    inst = placement.load(INSTANCES / "tiny-link-coterminous-soft")
    inst = inst.replace(resources=())  # no budget: every pair is possible
    fix = inst.functions.index
    K = inst.kappa
    for t in range(3):
        for u in range(3):
            allowed = inst.functions.allowed.copy()
            allowed[fix["prevention"]] = np.arange(3) == t
            allowed[fix["commissioning"]] = np.arange(3) == u
            sub = inst.replace(functions=inst.functions.replace(allowed=allowed))
            r = placement.solve(sub)
            assert r.check is not None and r.check.ok
            pen = link_penalties(sub, r.assignment)
            assert pen.sum() == pytest.approx(1.0 * (1.0 - K[t, u]))
            assert r.objective == pytest.approx(r.check.objective)


def test_soft_link_columns_are_binary_with_integer_bounds() -> None:
    from placement.milp import build

    for name in ("tiny-link-together-soft", "tiny-link-coterminous-soft",
                 "tiny-link-geography"):
        form = build(placement.load(INSTANCES / name))
        assert form.integrality.all()
        assert np.array_equal(form.col_upper, np.round(form.col_upper))
        assert np.array_equal(form.col_lower, np.round(form.col_lower))


def test_link_report_in_result_and_json() -> None:
    r = placement.solve(placement.load(INSTANCES / "tiny-link-together-soft"))
    df = r.links
    assert df.loc["together:workforce:prevention", "kept"]
    assert not df.loc["together:procurement:commissioning", "kept"]
    assert df["penalty"].sum() == pytest.approx(0.5)
    d = r.to_dict()
    paid = {x["id"]: x["penalty"] for x in d["links"]}
    assert paid == {"together:workforce:prevention": 0.0,
                    "together:procurement:commissioning": 0.5}


def test_checker_names_a_broken_hard_link() -> None:
    inst = placement.load(INSTANCES / "tiny-link-above")
    a = np.array([inst.tier_index[t] for t in ("national", "local", "local", "national")])
    rep = check(inst, a)
    (v,) = rep.violations
    assert v.kind == "link" and v.subject == "prevention-over-workforce"
    assert "'prevention' at local is more local than 'workforce' at national" in v.message


def test_min_sense_soft_link_adds_its_penalty() -> None:
    """In a cost-minimising instance a broken soft link adds its penalty to the cost."""
    tiers = pd.DataFrame({"id": ["a", "b"], "units": [1, 2], "population": [2.0, 1.0]})
    funcs = pd.DataFrame({"id": ["f", "g"], "name": ["F", "G"]})
    values = pd.DataFrame({"a": [1.0, 5.0], "b": [4.0, 2.0]}, index=["f", "g"])
    link = Link("fg", "together", "f", "g", penalty=2.5)
    inst = placement.from_frames("min", tiers, funcs, values=values, sense="min", links=[link])
    r = placement.solve(inst)
    # apart: 1 + 2 + 2.5 = 5.5; together at a: 6, at b: 6
    assert r.objective == pytest.approx(5.5)
    assert brute_force(inst)[0] == pytest.approx(5.5)


# -- instance format ---------------------------------------------------------------------------

@pytest.fixture
def link_dir(tmp_path: Path) -> Path:
    d = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny-link-above-soft", d)
    shutil.copy(ROOT / "models" / "tiny-ramp.toml", tmp_path / "tiny-ramp.toml")
    p = d / "instance.toml"
    p.write_text(p.read_text().replace('model = "tiny-ramp"', 'model = "../tiny-ramp.toml"'))
    return d


def _problems(d: Path) -> list[str]:
    with pytest.raises(InstanceError) as e:
        placement.load(d)
    return [str(p) for p in e.value.problems]


def test_links_csv_unknown_function_and_kind_are_located(link_dir: Path) -> None:
    (link_dir / "links.csv").write_text(
        "id,kind,function,other,penalty\n"
        "a,at_or_above,prevention,workfroce,1\n"
        "b,next_to,prevention,workforce,\n")
    msgs = _problems(link_dir)
    assert any("links.csv" in m and "line 2" in m and "'other'" in m and "'workfroce'" in m
               for m in msgs), msgs
    assert any("links.csv" in m and "line 3" in m and "'kind'" in m and "'next_to'" in m
               for m in msgs), msgs


def test_links_csv_bad_penalty_and_target(link_dir: Path) -> None:
    (link_dir / "links.csv").write_text(
        "kind,function,other,geography,penalty\n"
        "together,prevention,workforce,,-1\n"
        "together,prevention,,nhs,\n"
        "together,prevention,prevention,,\n")
    msgs = _problems(link_dir)
    assert any("line 2" in m and "penalty" in m and "greater than 0" in m for m in msgs), msgs
    assert any("line 3" in m and "must be 'coterminous'" in m for m in msgs), msgs
    assert any("line 4" in m and "other than the link's own" in m for m in msgs), msgs


def test_toml_links_geography_must_exist(link_dir: Path) -> None:
    p = link_dir / "instance.toml"
    p.write_text(p.read_text().replace('links = "links.csv"\n', "") + (
        '\n[[links]]\nkind = "coterminous"\nfunction = "prevention"\ngeography = "nhs"\n'))
    (msg,) = _problems(link_dir)
    assert "links[1]" in msg and "'nhs'" in msg and "no tier declares a geography" in msg


def test_coterminous_link_needs_kappa(link_dir: Path) -> None:
    (link_dir / "links.csv").write_text("kind,function,other\ncoterminous,prevention,workforce\n")
    (msg,) = _problems(link_dir)
    assert "links.csv" in msg and "line 2" in msg
    assert "kappa(national, region)" in msg and "[coterminosity]" in msg


def test_scenario_link_changes_are_validated(link_dir: Path) -> None:
    p = link_dir / "instance.toml"
    p.write_text(p.read_text() + (
        '\n[scenarios.s]\nremove_links = ["nope"]\n'
        'add_links = [{ kind = "together", function = "prevention", other = "ghost" }]\n'))
    msgs = _problems(link_dir)
    assert any("scenarios.s.remove_links" in m and "'nope'" in m
               and "prevention-over-workforce" in m for m in msgs), msgs
    assert any("scenarios.s.add_links[1]" in m and "'ghost'" in m for m in msgs), msgs


def test_duplicate_link_ids(link_dir: Path) -> None:
    (link_dir / "links.csv").write_text(
        "kind,function,other\ntogether,prevention,workforce\ntogether,prevention,workforce\n")
    (msg,) = _problems(link_dir)
    assert "line 3" in msg and "unique link id" in msg


def test_links_key_must_be_a_file_or_tables(link_dir: Path) -> None:
    p = link_dir / "instance.toml"
    p.write_text(p.read_text().replace('links = "links.csv"', "links = 5"))
    (msg,) = _problems(link_dir)
    assert "links" in msg and "text in quotes or a list" in msg


def test_cli_validate_reports_link_problems_without_traceback(link_dir: Path) -> None:
    import subprocess
    import sys

    (link_dir / "links.csv").write_text("kind,function,other\ntogether,prevention,ghost\n")
    p = subprocess.run([sys.executable, "-m", "placement.cli", "validate", str(link_dir)],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and "'ghost'" in p.stderr and "line 2" in p.stderr
