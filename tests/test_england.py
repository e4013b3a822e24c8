"""The bundled England 2024 instance (issue 4): tiers from the geography tables, every function
the issue names, the seeds' staff figures, the reform scenarios, and the acceptance checks.

Geography sums are recomputed here from the CSVs with the standard library, independently of
the engine's table reader.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import placement
from placement.model import NO_TIER, Scenario
from tests.conftest import ROOT

ENG = ROOT / "instances" / "england-2024-uniform"
GEO = ROOT / "data" / "geography"
ENGLAND = 57_106_398  # mid-2022, data/geography/SOURCES.md

# Every function issue 4 names, by the id it has in functions.csv.
REQUIRED = {
    "medicines_devices_regulation": "medicines and devices regulation",
    "health_technology_assessment": "health technology assessment",
    "professional_regulation": "professional regulation and accreditation",
    "provider_inspection": "provider inspection",
    "fertility_tissue_regulation": "regulation of fertility and human tissue",
    "medicines_procurement": "medicines procurement",
    "data_architecture_procurement": "national data architecture and patient record procurement",
    "capital_budgets": "capital budgets",
    "highly_specialised_commissioning": "highly specialised commissioning",
    "specialised_commissioning": "specialised commissioning (154 services)",
    "national_health_data_infrastructure": "national health data infrastructure",
    "interoperable_electronic_records": "interoperable electronic records",
    "infectious_disease_surveillance": "infectious disease surveillance and response",
    "cbrn_threats": "chemical, biological, radiological and nuclear threats",
    "population_health_datasets": "population health datasets",
    "national_public_health_campaigns": "national public health campaigns",
    "local_prevention": "local behaviour change and prevention",
    "core_service_entitlements": "core service entitlements",
    "monitoring_high_level_outcomes": "monitoring high-level outcomes",
    "resource_allocation": "resource allocation",
    "strategic_improvement_support": "strategic improvement support (GIRFT)",
    "complex_care_coordination": "coordination of complex care across areas",
    "payment_and_tariffs": "payment and tariffs",
    "strategic_workforce_planning": "strategic workforce planning",
    "training_placements": "training placements",
    "pay_negotiation": "pay negotiation",
    "provider_performance_management": "provider performance management",
    "operational_guidance": "operational guidance",
    "procurement_frameworks": "procurement frameworks",
    "acute_commissioning": "acute and secondary care commissioning",
    "primary_care_commissioning": "primary care commissioning",
    "community_care_commissioning": "community care commissioning",
    "adult_social_care": "adult social care",
    "public_health_services": "public health services (sexual health, drugs and alcohol)",
    "health_visiting_school_nursing": "health visiting and school nursing",
    "integrated_care_strategy": "integrated care strategy",
    "joint_strategic_needs_assessment": "joint strategic needs assessment",
    "neighbourhood_mdt": "neighbourhood multidisciplinary teams",
    "regional_hosting_dialogue": "hosting dialogue (seed 000)",
    "regional_influencing_brokering": "influencing and brokering (seed 000)",
    "regional_hosting_expertise": "hosting expertise (seed 000)",
    "regional_incentivising": "incentivising and stimulating (seed 000)",
    "regional_monitoring_evaluating": "monitoring and evaluating (seed 000)",
    "long_term_strategic_planning": "long-term strategic planning (seed 003)",
    "dispute_resolution": "dispute resolution (seed 003)",
}
SCENARIOS = ["status-quo", "reform-aco", "reform-split", "most-local", "regions-as-connectors"]
NATIONAL_REGULATION = ["medicines_devices_regulation", "health_technology_assessment",
                       "professional_regulation"]
BELOW_SYSTEM = ["local_prevention", "neighbourhood_mdt"]
CRITERIA = ["economies_of_scale", "specialism", "standardisation", "local_knowledge",
            "national_interface"]


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r for r in rows if not next(iter(r.values()), "").startswith("#")]


def _pop_sum(rows: list[dict[str, str]], col: str = "population") -> int:
    return sum(int(r[col]) for r in rows)


@pytest.fixture(scope="module")
def inst() -> placement.Instance:
    return placement.load(ENG)


@pytest.fixture(scope="module")
def optimum(inst: placement.Instance) -> placement.Result:
    return placement.solve(inst, "highs")


@pytest.fixture(scope="module")
def functions_csv() -> list[dict[str, str]]:
    return _rows(ROOT / "instances" / "england-2024" / "functions.csv")


# -- the instance validates --------------------------------------------------------------------


def test_validate_passes() -> None:
    r = subprocess.run([sys.executable, "-m", "placement.cli", "validate", str(ENG)],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "valid" in r.stdout


def test_at_least_forty_functions_and_every_one_the_issue_names(inst: placement.Instance) -> None:
    ids = set(inst.functions.ids.tolist())
    assert len(ids) >= 40
    missing = sorted(set(REQUIRED) - ids)
    assert not missing, f"functions named in issue 4 but absent: {missing}"


# -- tiers read from the geography tables --------------------------------------------------------


def test_tier_units_and_totals_equal_the_geography_tables(inst: placement.Instance) -> None:
    icb = _rows(GEO / "icb.csv")
    utla = _rows(GEO / "utla.csv")
    nhs = _rows(GEO / "nhs_regions.csv")
    ons = _rows(GEO / "regions.csv")
    for rows in (icb, utla, nhs, ons):
        assert _pop_sum(rows) == ENGLAND
    n_pcn = sum(int(r["n_pcn_active_jan2023"]) for r in icb)
    expected = {  # tier: (units, total population)
        "national": (1, _pop_sum(nhs)),
        "nhs_region": (len(nhs), _pop_sum(nhs)),
        "ons_region": (len(ons), _pop_sum(ons)),
        "ics": (len(icb), _pop_sum(icb)),
        "place": (len(utla), _pop_sum(utla)),
        "neighbourhood": (n_pcn, _pop_sum(icb)),
    }
    tiers = {t.id: t for t in inst.tiers}
    for tid, (units, total) in expected.items():
        t = tiers[tid]
        assert t.units == units, tid
        assert t.total_population == total, tid
    assert (tiers["nhs_region"].units, tiers["ons_region"].units, tiers["ics"].units,
            tiers["place"].units, tiers["neighbourhood"].units) == (7, 9, 42, 153, 1264)
    assert tiers["national"].population == ENGLAND
    # a neighbourhood is England / 1,264 PCNs, inside seed 000's 30-50,000
    assert tiers["neighbourhood"].population == pytest.approx(ENGLAND / 1264)
    assert 30_000 <= tiers["neighbourhood"].population <= 50_000


def test_combined_authority_tier_is_the_real_may_2024_authorities(inst: placement.Instance) -> None:
    rows = _rows(GEO / "combined_authorities.csv")
    kept = [r for r in rows if r["in_ons_cauth_may2024"] == "Y"]
    assert all("NOT a combined authority" not in r["ca_type"] for r in kept)  # no GLA
    assert not any(r["abolished"] for r in kept)
    members = [m for r in kept for m in r["member_utla_codes"].split(";")]
    assert len(members) == len(set(members)), "a council counted in two combined authorities"
    # each kept authority's population is the sum of its member councils (utla.csv)
    utla_pop = {r["utla_code"]: int(r["population"]) for r in _rows(GEO / "utla.csv")}
    for r in kept:
        own = sum(utla_pop[m] for m in r["member_utla_codes"].split(";"))
        assert own == int(r["population_mid2022_sum_of_member_utlas"]), r["ca_code"]
    total = _pop_sum(kept, "population_mid2022_sum_of_member_utlas")
    ca = next(t for t in inst.tiers if t.id == "combined_authority")
    assert ca.optional
    assert ca.units == len(kept) == 11
    assert ca.total_population == total == 18_824_460
    assert 0.32 < total / ENGLAND < 0.34  # part of England only: a third


def test_optional_tiers_are_the_combined_authority_and_ons_region(
        inst: placement.Instance) -> None:
    assert sorted(t.id for t in inst.tiers if t.optional) == ["combined_authority", "ons_region"]


# -- functions.csv: every number sourced or argued -------------------------------------------------


def test_every_row_has_a_source_and_a_rationale(functions_csv: list[dict[str, str]]) -> None:
    for r in functions_csv:
        assert r["source"].strip() or r["rationale"].strip(), f"{r['id']}: neither given"
        # scores are judgements: every row says why
        assert r["source"].strip(), f"{r['id']}: no source"
        assert r["rationale"].strip(), f"{r['id']}: no rationale"
        if r["staff_fte_fixed"].strip() or r["staff_fte_variable"].strip():
            assert r["staff_basis"].strip(), f"{r['id']}: staff figures without a basis"
        for c in CRITERIA:
            assert r[c].strip() != "", f"{r['id']}: blank score {c}"


def test_sources_cite_the_seed_files(functions_csv: list[dict[str, str]]) -> None:
    for r in functions_csv:
        cited = {s for s in ("000", "001", "002", "003", "004") if s in r["source"]}
        assert cited, f"{r['id']}: source cites no seed: {r['source']!r}"


def test_no_placeholders_in_the_instance() -> None:
    for p in ENG.rglob("*"):
        if p.is_file():
            text = p.read_text(encoding="utf-8").lower()
            for word in ("todo", "tbd", "xxx", "placeholder", "lorem"):
                assert word not in text, f"{p.name}: '{word}'"


def test_staff_figures_add_up_to_the_seed_totals(inst: placement.Instance) -> None:
    """Seed 002 s4.1: NHS England 15,630 and DHSC 3,237 FTE in October 2023."""
    fn = inst.functions
    units = np.array([t.units for t in inst.tiers], dtype=float)
    r = [x.id for x in inst.resources].index("staff_fte")
    assert (fn.current != NO_TIER).all()
    today = fn.fixed[:, r] * units[fn.current] + fn.variable[:, r]
    assert fn.metadata is not None
    body = fn.metadata["body_today"]
    nhse = sum(v for v, b in zip(today, body, strict=True) if b.startswith("NHS England"))
    dhsc = sum(v for v, b in zip(today, body, strict=True) if b.startswith("DHSC"))
    assert nhse == pytest.approx(15_630)
    assert dhsc == pytest.approx(3_237)
    staff = inst.resources[r]
    assert staff.estimate
    assert staff.caps == {"national": 18_867}  # 15,630 + 3,237


# -- the optimum (HiGHS) ------------------------------------------------------------------------


def test_optimum_is_proven_and_checked(optimum: placement.Result) -> None:
    assert optimum.status.value == "optimal"
    assert optimum.check is not None and optimum.check.ok


def test_optimum_uses_at_least_four_tiers(optimum: placement.Result) -> None:
    assert len(set(optimum.tiers.to_dict().values())) >= 4


def test_regulation_sits_at_national(optimum: placement.Result) -> None:
    tiers = optimum.tiers.to_dict()
    for f in NATIONAL_REGULATION:
        assert tiers[f] == "national", f


def test_regulation_sits_at_national_on_its_scores_alone(inst: placement.Instance) -> None:
    """The pins only record the law: without them the scores still place these nationally."""
    free = Scenario(id="unpinned", name="unpinned",
                    pins={f: None for f in inst.functions.ids[inst.functions.pinned != NO_TIER]})
    r = placement.solve(inst, "highs", scenario=free)
    tiers = r.tiers.to_dict()
    for f in NATIONAL_REGULATION:
        assert tiers[f] == "national", f


def test_local_prevention_and_neighbourhood_teams_sit_below_system(
        optimum: placement.Result) -> None:
    tiers = optimum.tiers.to_dict()
    for f in BELOW_SYSTEM:
        assert tiers[f] in ("place", "neighbourhood"), (f, tiers[f])


def test_optimum_beats_the_status_quo(inst: placement.Instance,
                                      optimum: placement.Result) -> None:
    sq = placement.evaluate(inst, "status-quo")
    assert sq.status.value == "feasible"
    assert optimum.objective is not None and sq.objective is not None
    assert optimum.objective >= sq.objective


# -- scenarios ----------------------------------------------------------------------------------


def test_the_five_scenarios_exist(inst: placement.Instance) -> None:
    assert set(SCENARIOS) <= set(inst.scenarios)


@pytest.mark.parametrize("sid", [*SCENARIOS, "centre-10k"])
def test_every_scenario_applies_evaluates_and_optimises(inst: placement.Instance,
                                                        sid: str) -> None:
    sc = inst.scenarios[sid]
    assert sc.placement is not None, f"{sid} fixes no placement"
    scoped = inst.with_scenario(sid)
    assert scoped.n_functions == inst.n_functions
    ev = placement.evaluate(inst, sid)
    assert ev.objective is not None and math.isfinite(ev.objective)
    assert ev.assignment is not None
    assert bool(np.all(ev.assignment != NO_TIER))
    r = placement.solve(inst, "highs", scenario=sid)
    assert r.status.value == "optimal"
    assert r.check is not None and r.check.ok
    assert r.objective is not None
    if ev.status.value == "feasible":  # the fixed placement is one candidate of the optimisation
        assert r.objective >= ev.objective - 1e-6


def test_reform_scenarios_use_the_combined_authority_tier(inst: placement.Instance) -> None:
    for sid in ("reform-aco", "reform-split"):
        ev = placement.evaluate(inst, sid)
        tiers = dict(zip(ev.instance.functions.ids, np.array(ev.instance.tier_ids)[ev.assignment],
                         strict=True))
        assert tiers["acute_commissioning"] == "combined_authority"
        assert tiers["highly_specialised_commissioning"] == "national"
    split = placement.evaluate(inst, "reform-split")
    tiers = dict(zip(split.instance.functions.ids,
                     np.array(split.instance.tier_ids)[split.assignment], strict=True))
    for f in ("primary_care_commissioning", "community_care_commissioning", "adult_social_care"):
        assert tiers[f] == "place"
    assert tiers["strategic_workforce_planning"] == "combined_authority"


def test_regions_as_connectors_puts_the_five_roles_at_nhs_region(
        inst: placement.Instance) -> None:
    ev = placement.evaluate(inst, "regions-as-connectors")
    tiers = dict(zip(ev.instance.functions.ids, np.array(ev.instance.tier_ids)[ev.assignment],
                     strict=True))
    roles = [f for f in REQUIRED if f.startswith("regional_")]
    assert len(roles) == 5
    assert all(tiers[f] == "nhs_region" for f in roles)


def test_most_local_is_the_most_local_allowed_tier(inst: placement.Instance) -> None:
    """scenarios/most-local.csv must follow functions.csv (allowed, pinned) when either changes."""
    ev = placement.evaluate(inst, "most-local")
    assert ev.assignment is not None
    scoped = ev.instance
    fn = scoped.functions
    for i, fid in enumerate(fn.ids):
        if fn.pinned[i] != NO_TIER:
            want = int(fn.pinned[i])
        else:
            want = int(np.nonzero(fn.allowed[i])[0].max())  # tiers run most central first
        assert ev.assignment[i] == want, (fid, scoped.tier_ids[ev.assignment[i]],
                                          scoped.tier_ids[want])


def test_scenario_csvs_cite_a_basis_for_every_row() -> None:
    for p in (ENG / "scenarios").glob("*.csv"):
        for r in _rows(p):
            assert r["basis"].strip(), f"{p.name}: {r['function']} has no basis"
