"""The bundled England instance per area (issue 12): 166 areas from the geography tables,
combined authorities only where they exist, the 2024-25 delegation of specialised
commissioning, the reform options per area, and an optimum that differs by place.

Every expectation about the geography is recomputed here from the CSVs with the standard
library, independently of the engine's readers.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

import placement
from placement.model import apply_scenario
from tests.conftest import ROOT

ENG = ROOT / "instances" / "england-2024"
UNIFORM = ROOT / "instances" / "england-2024-uniform"
GEO = ROOT / "data" / "geography"
ENGLAND = 57_106_398  # mid-2022, data/geography/SOURCES.md
DELEGATED_2024 = {"E40000010", "E40000011", "E40000007"}  # North West, Midlands, East of England


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if not next(iter(r.values()), "").startswith("#")]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return list(csv.DictReader(lines))


@pytest.fixture(scope="module")
def pieces() -> list[dict[str, str]]:
    """The 166 areas with their NHS region and combined authority, from the tables."""
    utla = {r["utla_code"]: r for r in _rows(GEO / "utla.csv")}
    icb = {r["icb_code"]: r for r in _rows(GEO / "icb.csv")}
    out = []
    for r in _rows(GEO / "utla_icb_split.csv"):
        out.append({
            "area": f"{r['utla_code']}/{r['icb_code']}",
            "utla": r["utla_code"],
            "icb": r["icb_code"],
            "nhs_region": icb[r["icb_code"]]["nhs_region_code"],
            "ons_region": utla[r["utla_code"]]["region_code"],
            "ca": utla[r["utla_code"]]["combined_authority_code"],
        })
    return out


@pytest.fixture(scope="module")
def inst() -> placement.Instance:
    return placement.load(ENG)


@pytest.fixture(scope="module")
def optimum(inst: placement.Instance) -> placement.Result:
    return placement.solve(inst, "highs")


@pytest.fixture(scope="module")
def status_quo(inst: placement.Instance) -> placement.Result:
    return placement.evaluate(inst, "status-quo")


def _tier_by_area(res: placement.Result, function: str) -> dict[str, str]:
    df = res.by_area.xs(function, level="function")
    return dict(zip(df.index, df["tier"], strict=True))


# -- areas and units ---------------------------------------------------------------------------

def test_the_areas_are_the_166_pieces_and_add_up_to_england(
        inst: placement.Instance, pieces: list[dict[str, str]]) -> None:
    u = inst.units
    assert u.n_areas == len(pieces) == 166
    assert list(u.area_ids) == [p["area"] for p in pieces]
    assert u.area_population.sum() == pytest.approx(ENGLAND, abs=1e-3)
    assert len({p["utla"] for p in pieces}) == 153
    assert len({p["icb"] for p in pieces}) == 42


def test_units_per_tier_are_the_real_bodies(inst: placement.Instance) -> None:
    u = inst.units
    counts = Counter(np.asarray(u.tier_ids)[u.unit_tier])
    assert counts == {"national": 1, "nhs_region": 7, "ons_region": 9,
                      "combined_authority": 11, "ics": 42, "place": 153, "neighbourhood": 166}
    hoods = u.unit_bodies[np.asarray(u.tier_ids)[u.unit_tier] == "neighbourhood"].sum()
    pcns = sum(int(r["n_pcn_active_jan2023"]) for r in _rows(GEO / "icb.csv"))
    assert hoods == pcns == 1264


def test_combined_authorities_only_where_the_may_2024_lookup_has_one(
        inst: placement.Instance, pieces: list[dict[str, str]]) -> None:
    may2024 = {r["ca_code"] for r in _rows(GEO / "combined_authorities.csv")
               if r["in_ons_cauth_may2024"] == "Y"}
    assert len(may2024) == 11
    u = inst.units
    t = list(u.tier_ids).index("combined_authority")
    ca_units = [k for k in range(u.n_units) if u.unit_tier[k] == t]
    assert {str(u.unit_code[k]) for k in ca_units} == may2024
    covered = u.covers()[:, t]
    expected = np.array([bool(p["ca"]) for p in pieces])
    assert np.array_equal(covered, expected)
    codes = np.asarray(u.unit_code)[u.unit_of[expected, t]]
    assert list(codes) == [p["ca"] for p in pieces if p["ca"]]
    share = u.area_population[expected].sum() / ENGLAND
    assert 0.32 < share < 0.34


# -- populations served ------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["optimum", "status_quo"])
def test_every_function_serves_all_of_england_once(which: str, request: pytest.FixtureRequest,
                                                  inst: placement.Instance) -> None:
    res: placement.Result = request.getfixturevalue(which)
    df = res.by_area.reset_index()
    assert not df.duplicated(["function", "area"]).any()
    served = df.groupby("function")["population"].sum()
    assert len(served) == len(inst.functions.ids)
    assert np.allclose(served.to_numpy(), ENGLAND, rtol=0, atol=1e-3)


def test_functions_serving_a_group_are_weighted_by_it(inst: placement.Instance) -> None:
    serves = dict(zip(inst.functions.ids, inst.functions.serves, strict=True))
    assert serves["adult_social_care"] == "aged_65_plus"
    assert serves["health_visiting_school_nursing"] == "aged_0_17"
    assert sum(1 for s in serves.values() if s) == 2


# -- the status quo and the scenarios ----------------------------------------------------------

def test_status_quo_reproduces_the_2024_25_delegation(
        status_quo: placement.Result, pieces: list[dict[str, str]],
        inst: placement.Instance) -> None:
    tiers = _tier_by_area(status_quo, "specialised_commissioning")
    for p in pieces:
        assert tiers[p["area"]] == ("ics" if p["nhs_region"] in DELEGATED_2024 else "nhs_region")
    assert sum(p["nhs_region"] in DELEGATED_2024 for p in pieces) > 0
    current = dict(zip(inst.functions.ids,
                       (inst.tiers[c].id for c in inst.functions.current), strict=True))
    df = status_quo.by_area.reset_index()
    others = df[df["function"] != "specialised_commissioning"]
    assert (others["tier"] == others["function"].map(current)).all()
    assert status_quo.check.ok


def test_delegation_2025_puts_specialised_commissioning_at_every_icb(
        inst: placement.Instance) -> None:
    res = placement.evaluate(inst, "delegation-2025")
    assert set(_tier_by_area(res, "specialised_commissioning").values()) == {"ics"}


def test_ready_icbs_opens_specialised_commissioning_to_the_20_delegated_icbs_only(
        inst: placement.Instance, pieces: list[dict[str, str]]) -> None:
    ready = {p["icb"] for p in pieces if p["nhs_region"] in DELEGATED_2024}
    assert len(ready) == 20
    s = apply_scenario(inst, "ready-icbs")
    u = s.units
    f = list(s.functions.ids).index("specialised_commissioning")
    t = list(u.tier_ids).index("ics")
    icbs = [k for k in range(u.n_units) if u.unit_tier[k] == t]
    assert {str(u.unit_code[k]) for k in icbs if s.unit_allowed[f, k]} == ready
    res = placement.solve(inst, scenario="ready-icbs")
    assert res.check.ok
    for area, tier in _tier_by_area(res, "specialised_commissioning").items():
        if tier == "ics":
            assert area.split("/")[1] in ready


@pytest.mark.parametrize("scenario", ["reform-aco", "reform-split"])
def test_reform_options_per_area_follow_their_csv(
        inst: placement.Instance, pieces: list[dict[str, str]], scenario: str) -> None:
    rows = _csv_rows(ENG / "scenarios" / f"{scenario}.csv")
    res = placement.evaluate(inst, scenario)
    has_ca = {p["area"]: bool(p["ca"]) for p in pieces}
    split = 0
    for r in rows:
        first, _, rest = r["tier"].partition("|")
        got = _tier_by_area(res, r["function"])
        for area, tier in got.items():
            assert tier == (first if has_ca[area] or not rest else rest), (r["function"], area)
        if rest:
            split += 1
            assert "002 Recommendation 2" in r["basis"]
            assert len(set(got.values())) == 2
    assert split >= 6
    assert "combined_authority" in set(_tier_by_area(res, "acute_commissioning").values())


def test_reform_basis_counts_are_the_geography(pieces: list[dict[str, str]]) -> None:
    by_icb: dict[str, set[str]] = defaultdict(set)
    by_region: dict[str, set[str]] = defaultdict(set)
    for p in pieces:
        by_icb[p["icb"]].add(p["ca"])
        by_region[p["ons_region"]].add(p["ca"])
    straddle = sum(len(v) > 1 for v in by_icb.values())
    with_ca = sum(any(v) for v in by_region.values())
    text = "".join((ENG / "scenarios" / f"{s}.csv").read_text()
                   for s in ("reform-aco", "reform-split"))
    quoted = set(re.findall(r"(\d+) of the 42 ICBs straddle", text))
    assert quoted == {str(straddle)}
    assert set(re.findall(r"(\d+) of the 9 ONS regions contain", text)) == {str(with_ca)}


def test_reform_caps_count_dhsc_beside_the_10000() -> None:
    text = (ENG / "instance.toml").read_text()
    for sid in ("reform-aco", "reform-split", "centre-10k"):
        block = text.split(f"[scenarios.{sid}]")[1].split("[scenarios.")[0]
        assert "national = 13_237" in block
        assert "10,000" in block and "3,237" in block  # both parts, with their sources


def test_the_mandate_is_set_nationally(inst: placement.Instance,
                                       optimum: placement.Result) -> None:
    f = list(inst.functions.ids).index("mandate_and_objectives")
    assert inst.tiers[inst.functions.pinned[f]].id == "national"
    assert set(_tier_by_area(optimum, "mandate_and_objectives").values()) == {"national"}


def test_every_scenario_evaluates_and_optimises(inst: placement.Instance) -> None:
    for sid, sc in inst.scenarios.items():
        if sc.placement is not None:
            res = placement.evaluate(inst, sid)
            assert res.check is not None
        if sc.optimises:
            opt = placement.solve(inst, scenario=sid)
            assert opt.status == "optimal" and opt.check.ok, sid


def test_scenario_csvs_cite_a_basis_for_every_row(inst: placement.Instance) -> None:
    for p in sorted((ENG / "scenarios").glob("*.csv")):
        rows = _csv_rows(p)
        assert rows, p
        for r in rows:
            assert r.get("basis", "").strip(), (p.name, r)


# -- the optimum ---------------------------------------------------------------------------------

def test_optimum_is_proven_checked_and_differs_by_area(optimum: placement.Result) -> None:
    assert optimum.status == "optimal" and optimum.check.ok
    shares = optimum.tier_shares
    mixed = shares[(shares > 1e-9).sum(axis=1) > 1]
    assert len(mixed) >= 3
    assert np.allclose(shares.sum(axis=1), 1.0)


def test_price_of_uniform_structure_is_reported(optimum: placement.Result) -> None:
    b = optimum.baselines
    assert b is not None
    uni = b["uniform_structure"]
    assert uni["status"] == "optimal" and uni["checks"]["ok"]
    assert uni["value"] <= optimum.objective + 1e-6
    price = b["price_of_uniform_structure"]
    assert price == pytest.approx((optimum.objective - uni["value"]) / abs(optimum.objective))
    assert 0 < price < 1


def test_the_uniform_variant_shares_the_functions() -> None:
    uni = placement.load(UNIFORM)
    per_area = placement.load(ENG)
    assert list(uni.functions.ids) == list(per_area.functions.ids)
    assert uni.geography is None and per_area.geography is not None


def test_cli_solve_summarises_by_tier_share_and_by_area_on_request(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(ENG)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "uniform structure" in run.stdout
    out = tmp_path / "by_area.csv"
    run = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(ENG), "--by-area",
                          "-f", "csv", "-o", str(out)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    rows = _rows(out)
    assert len(rows) == 166 * 58


def test_a_tier_keeps_its_colour_when_a_scenario_drops_tiers(inst: placement.Instance) -> None:
    from placement.charts.figures import palette

    base = palette(apply_scenario(inst, None))
    reform = palette(apply_scenario(inst, "reform-aco"))
    assert "nhs_region" not in apply_scenario(inst, "reform-aco").tier_ids
    for t in ("national", "combined_authority", "ics", "place", "neighbourhood"):
        assert reform[t] == base[t]
    assert len(set(base.values())) == len(base)


def test_cli_compare_writes_a_map_per_option(tmp_path: Path) -> None:
    d = tmp_path / "maps"
    run = subprocess.run([sys.executable, "-m", "placement.cli", "compare", str(ENG),
                          "-s", "reform-split", "-s", "status-quo", "--maps", str(d),
                          "-f", "csv", "-o", str(tmp_path / "c.csv")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in d.iterdir()) == ["optimum.png", "reform-split.png",
                                                   "status-quo.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in d.iterdir())
    run = subprocess.run([sys.executable, "-m", "placement.cli", "compare",
                          str(ROOT / "instances" / "tiny-budget"), "--maps",
                          str(tmp_path / "none")], capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "--maps needs an instance with areas" in run.stderr
    assert "Traceback" not in run.stderr and not (tmp_path / "none").exists()


def test_the_readme_quotes_the_geography(pieces: list[dict[str, str]]) -> None:
    text = " ".join((ENG / "README.md").read_text(encoding="utf-8").split())
    per_utla = Counter(p["utla"] for p in pieces)
    by_icb: dict[str, set[str]] = defaultdict(set)
    by_region: dict[str, set[str]] = defaultdict(set)
    for p in pieces:
        by_icb[p["icb"]].add(p["ca"])
        by_region[p["ons_region"]].add(p["ca"])
    ca_people = sum(int(r["population"]) for r in _rows(GEO / "utla.csv")
                    if r["combined_authority_code"])
    ready = {p["icb"] for p in pieces if p["nhs_region"] in DELEGATED_2024}
    pcns = sum(int(r["n_pcn_active_jan2023"]) for r in _rows(GEO / "icb.csv"))
    n_functions = len(_rows(ENG / "functions.csv"))
    for quoted in (
        f"The same {n_functions} functions",
        f"**{len(pieces)} areas**",
        f"{sum(n == 1 for n in per_utla.values())} authorities lie in one ICB, and "
        f"{sum(n > 1 for n in per_utla.values())} are split",
        f"{ca_people:,} people, {ca_people / ENGLAND:.1%} of England",
        f"| `neighbourhood` | {pcns:,} |",
        f"{sum(len(v) > 1 for v in by_icb.values())} of the {len(by_icb)} ICBs straddle",
        f"{sum(any(v) for v in by_region.values())} of the {len(by_region)} ONS regions contain",
        f"except for the {len(ready)} ICBs",
        f"England's {ENGLAND:,}",
    ):
        assert quoted in text, quoted
