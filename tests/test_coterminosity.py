"""Coterminosity kappa between tiers (docs/model.md section 4): computed from the shared geography
tables, checked against counts made here by hand with plain Python; given values; the
``placement coterminosity`` command; located errors."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import placement
from placement.errors import InstanceError
from placement.model.coterminosity import TierMembership, from_membership, nesting
from tests.conftest import DATA, INSTANCES, ROOT

GEO = DATA / "geography"
GEO_INSTANCE = INSTANCES / "tiny-link-geography"

#: kappa(ics, place), counted by hand below: 143 of the 153 upper-tier authorities lie wholly
#: inside one integrated care board, holding 48,557,179 of England's 57,106,398 people.
KAPPA_ICS_PLACE = 48_557_179 / 57_106_398  # = 0.850293...


def _rows(name: str) -> list[dict[str, str]]:
    with open(GEO / name, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_hand_count_ics_place_from_the_csv_files() -> None:
    """The hand count, from the raw CSVs with the csv module only (no engine code)."""
    pieces = _rows("utla_icb_split.csv")
    boards_of: dict[str, set[str]] = {}
    for p in pieces:
        boards_of.setdefault(p["utla_code"], set()).add(p["icb_code"])
    utlas = _rows("utla.csv")
    assert len(utlas) == 153
    split = {u for u, boards in boards_of.items() if len(boards) > 1}
    assert len(split) == 10  # SOURCES.md: 10 of 153 upper-tier authorities are split
    # the table's own flag agrees with the pieces
    assert split == {u["utla_code"] for u in utlas if u["icb_split"] == "True"}
    total = sum(int(u["population"]) for u in utlas)
    inside = sum(int(u["population"]) for u in utlas if u["utla_code"] not in split)
    assert total == 57_106_398
    assert inside == 48_557_179
    assert inside / total == pytest.approx(KAPPA_ICS_PLACE, abs=1e-12)
    assert round(inside / total, 6) == 0.850293


def test_engine_kappa_matches_the_hand_count() -> None:
    inst = placement.load(GEO_INSTANCE)
    cot = inst.coterminosity
    assert cot is not None
    # pieces weigh population x Census share, and the shares add up to 1 only to ~1e-6
    assert cot.value("ics", "place") == pytest.approx(KAPPA_ICS_PLACE, abs=1e-6)
    assert cot.value("place", "ics") == cot.value("ics", "place")
    how = cot.explain("ics", "place")
    assert "143 of 153 place units" in how and "Essex" in how


def test_nhs_regions_against_places_and_ons_regions_hand_count() -> None:
    """ONS regions and NHS regions do not nest (SOURCES.md caveat 2)."""
    icb_region = {r["icb_code"]: r["nhs_region_code"] for r in _rows("icb.csv")}
    regions_of: dict[str, set[str]] = {}
    for p in _rows("utla_icb_split.csv"):
        regions_of.setdefault(p["utla_code"], set()).add(icb_region[p["icb_code"]])
    utlas = _rows("utla.csv")
    pop = {u["utla_code"]: int(u["population"]) for u in utlas}
    inside = sum(pop[u] for u, rs in regions_of.items() if len(rs) == 1)
    cot = placement.load(GEO_INSTANCE).coterminosity
    assert cot is not None
    assert cot.value("nhs_region", "place") == pytest.approx(inside / sum(pop.values()),
                                                             abs=1e-6)
    # ONS regions wholly inside one NHS region, by population
    nhs_of_ons: dict[str, set[str]] = {}
    ons_pop: dict[str, int] = {}
    for u in utlas:
        nhs_of_ons.setdefault(u["region_code"], set()).update(regions_of[u["utla_code"]])
        ons_pop[u["region_code"]] = ons_pop.get(u["region_code"], 0) + pop[u["utla_code"]]
    ons_inside = sum(ons_pop[r] for r, s in nhs_of_ons.items() if len(s) == 1)
    assert len([r for r, s in nhs_of_ons.items() if len(s) == 1]) == 6
    assert cot.value("nhs_region", "ons_region") == pytest.approx(
        ons_inside / sum(ons_pop.values()), abs=1e-6)


def test_combined_authorities_against_boards_hand_count() -> None:
    utlas = _rows("utla.csv")
    boards_of: dict[str, set[str]] = {}
    for p in _rows("utla_icb_split.csv"):
        boards_of.setdefault(p["utla_code"], set()).add(p["icb_code"])
    members: dict[str, list[str]] = {}
    for u in utlas:
        if u["combined_authority_code"]:
            members.setdefault(u["combined_authority_code"], []).append(u["utla_code"])
    pop = {u["utla_code"]: int(u["population"]) for u in utlas}
    assert len(members) == 11
    inside = [ca for ca, us in members.items()
              if len(set().union(*(boards_of[u] for u in us))) == 1]
    assert len(inside) == 7
    ca_pop = {ca: sum(pop[u] for u in us) for ca, us in members.items()}
    expected = sum(ca_pop[c] for c in inside) / sum(ca_pop.values())
    cot = placement.load(GEO_INSTANCE).coterminosity
    assert cot is not None
    assert cot.value("ics", "combined_authority") == pytest.approx(expected, abs=1e-6)
    # every combined authority lies inside England: clean nesting
    assert cot.value("national", "combined_authority") == 1.0


def test_nesting_kernel_small_cases() -> None:
    # three pieces; inner units {0: pieces 0,1}, {1: piece 2}; outer covers piece 0 and 2 only
    c = nesting(np.array([0, 0, 1]), np.array([0, -1, 0]), np.array([1.0, 1.0, 2.0]))
    assert c.inside == 1 and c.units == 2 and c.kappa == pytest.approx(0.5)
    # a tier with itself is a clean nesting
    codes = np.array([0, 1, 1, 2])
    assert nesting(codes, codes, np.ones(4)).kappa == 1.0
    # no population covered: unknown
    assert np.isnan(nesting(np.array([-1, -1]), np.array([0, 0]), np.ones(2)).kappa)


def test_given_values_win_and_say_what_the_table_would_give() -> None:
    m = {"a": TierMembership.everything("a", 2),
         "b": TierMembership.from_column("b", ["x", "y"], "b")}
    from placement.model.coterminosity import GivenKappa

    c = from_membership(["a", "b"], m, np.ones(2), "t.csv",
                        {("a", "b"): GivenKappa(0.5, "here", "a judgement")})
    assert c.value("a", "b") == 0.5
    assert c.explain("a", "b") == ("given in here (a judgement); the membership table would "
                                   "give 1.0000")


def test_kappa_matrix_follows_scenarios() -> None:
    inst = placement.load(GEO_INSTANCE)
    assert inst.tier_ids == ("national", "nhs_region", "ons_region", "ics",
                             "combined_authority", "place")
    active = inst.with_scenario(None)
    assert active.tier_ids == ("national", "nhs_region", "ics", "place")
    K = active.kappa
    assert K.shape == (4, 4) and np.allclose(np.diag(K), 1.0)
    assert K[2, 3] == pytest.approx(KAPPA_ICS_PLACE, abs=1e-6)
    # the geography keeps its dropped tier: combined authorities still count
    assert active.geography_tiers("local-government") == ("combined_authority", "place")


# -- the command --------------------------------------------------------------------------------

def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "placement.cli", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_cli_coterminosity_table() -> None:
    p = cli("coterminosity", str(GEO_INSTANCE))
    assert p.returncode == 0, p.stderr
    assert "0.8503" in p.stdout and "How each entry was obtained" in p.stdout
    # the last column wraps at 80 columns, between words
    assert "143 of 153 place units" in " ".join(p.stdout.split())


def test_cli_coterminosity_json_and_csv(tmp_path: Path) -> None:
    out = tmp_path / "k.json"
    p = cli("coterminosity", str(GEO_INSTANCE), "-f", "json", "-o", str(out))
    assert p.returncode == 0, p.stderr
    d = json.loads(out.read_text())
    i, j = d["tiers"].index("ics"), d["tiers"].index("place")
    assert d["kappa"][i][j] == pytest.approx(KAPPA_ICS_PLACE, abs=1e-6)
    assert d["how"]["ics|place"].startswith("computed from")
    p = cli("coterminosity", str(INSTANCES / "tiny-link-coterminous-soft"), "-f", "csv")
    rows = list(csv.DictReader(p.stdout.splitlines()))
    assert [(r["tier_a"], r["tier_b"], float(r["kappa"])) for r in rows] == [
        ("national", "region", 1.0), ("national", "local", 1.0), ("region", "local", 0.6)]
    assert "coterminosity.csv line 4" in rows[2]["how"]


def test_cli_coterminosity_unknown_pairs_show_as_question_marks() -> None:
    p = cli("coterminosity", str(INSTANCES / "tiny-budget"))
    assert p.returncode == 0, p.stderr
    assert "?" in p.stdout and "unknown" in p.stdout


# -- located errors ------------------------------------------------------------------------------

@pytest.fixture
def geo_dir(tmp_path: Path) -> Path:
    d = tmp_path / "inst"
    shutil.copytree(GEO_INSTANCE, d)
    p = d / "instance.toml"
    p.write_text(p.read_text().replace("bundled:data/", str(DATA) + "/"))
    return d


def _problems(d: Path) -> list[str]:
    with pytest.raises(InstanceError) as e:
        placement.load(d)
    return [str(p) for p in e.value.problems]


def test_membership_column_must_exist(geo_dir: Path) -> None:
    p = geo_dir / "instance.toml"
    p.write_text(p.read_text().replace('column = "icb_code"', 'column = "icb_cod"'))
    (msg,) = _problems(geo_dir)
    assert "tiers[4].membership" in msg and "'icb_cod'" in msg and "id 'ics'" in msg


def test_membership_join_key_must_exist(geo_dir: Path) -> None:
    p = geo_dir / "instance.toml"
    p.write_text(p.read_text().replace('on = "icb_code"', 'on = "board"'))
    msgs = _problems(geo_dir)
    assert any("membership.join[2].on" in m and "'board'" in m for m in msgs), msgs


def test_membership_needs_the_table(geo_dir: Path) -> None:
    p = geo_dir / "instance.toml"
    text = p.read_text()
    start = text.index("[membership]")
    end = text.index("[[tiers]]")
    p.write_text(text[:start] + text[end:])
    msgs = _problems(geo_dir)
    assert any("tiers[1].membership" in m and "[membership]" in m for m in msgs), msgs


def test_given_pairs_are_checked(tmp_path: Path) -> None:
    d = tmp_path / "inst"
    shutil.copytree(INSTANCES / "tiny-link-coterminous-soft", d)
    shutil.copy(ROOT / "models" / "tiny-ramp.toml", tmp_path / "tiny-ramp.toml")
    p = d / "instance.toml"
    p.write_text(p.read_text().replace('model = "tiny-ramp"', 'model = "../tiny-ramp.toml"'))
    (d / "coterminosity.csv").write_text(
        "tier_a,tier_b,kappa\nnational,regoin,1\nregion,local,1.5\nlocal,region,0.6\n"
        "national,local,1\nlocal,national,0.9\n")
    msgs = _problems(d)
    assert any("line 2" in m and "'regoin'" in m for m in msgs), msgs
    assert any("line 3" in m and "'1.5'" in m and "from 0 to 1" in m for m in msgs), msgs
    assert any("line 6" in m and "each pair of tiers once" in m for m in msgs), msgs


def test_a_count_membership_without_areas_is_located(geo_dir: Path) -> None:
    """A tier whose membership counts bodies (for areas) names no piece's unit: without
    [areas] it is a located problem, not a crash."""
    p = geo_dir / "instance.toml"
    p.write_text(p.read_text().replace(
        'membership = { column = "icb_code", names = "icb_name" }',
        'membership = { count = "icb_code" }'))
    msgs = _problems(geo_dir)
    assert any("tiers[4].membership" in m and "count" in m and "[areas]" in m
               for m in msgs), msgs
