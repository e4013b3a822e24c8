"""The figures typed in instances/england-2024/README.md and england-2024-uniform/README.md,
each with how it is computed from the tool and its data, or the source it is quoted from
(tests/test_readme_figures.py checks both ways). Add an entry with any figure you add."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

import placement
from placement.model import Tier
from placement.model.scoring import ramp
from tests.conftest import INSTANCES, ROOT

GEO = ROOT / "data" / "geography"


@dataclass(frozen=True)
class Figure:
    """A figure on the README line containing ``anchor``: computed by ``compute`` (from the
    tool or its data), or, with ``cited``, quoted from a source the repository does not hold."""

    anchor: str
    value: str
    compute: Callable[[], str] | None = None
    cited: str = ""


@cache
def uniform() -> placement.Instance:
    return placement.load(INSTANCES / "england-2024-uniform")


@cache
def england() -> placement.Instance:
    return placement.load(INSTANCES / "england-2024")


@cache
def csv(name: str) -> pd.DataFrame:
    return pd.read_csv(GEO / name)


def n(x: float) -> str:
    return f"{x:,.0f}"


def short(x: float) -> str:
    """50k, 3M, 57.1M: how the README writes a ramp end."""
    if x >= 1e6:
        return f"{x / 1e6:.1f}".removesuffix(".0") + "M"
    return f"{x / 1e3:.0f}k"


def tier(tid: str) -> Tier:
    return next(t for t in uniform().tiers if t.id == tid)


def england_people() -> float:
    return float(england().units.area_population.sum())


def cap(scenario: str | None = None) -> str:
    inst = uniform() if scenario is None else uniform().with_scenario(scenario)
    return n(inst.resources[0].caps["national"])


def staff_today(body: str) -> str:
    """Today's FTE of the functions of a body (tests/test_england.py: the seed's totals)."""
    inst = uniform()
    fn = inst.functions
    units = np.array([t.units for t in inst.tiers], dtype=float)
    today = fn.fixed[:, 0] * units[fn.current] + fn.variable[:, 0]
    assert fn.metadata is not None
    mine = np.char.startswith(fn.metadata["body_today"].astype(str), body)
    return n(today[mine].sum())


def score(function: str, criterion: str) -> str:
    inst = uniform()
    m = inst.model
    assert m is not None
    f, c = inst.functions.index[function], m.criterion_ids.index(criterion)
    return f"{inst.functions.scores[f, c]:g}"


def serves_age(function: str, part: int) -> str:
    fn = england().functions
    assert fn.serves is not None
    group = str(fn.serves[fn.index[function]])  # aged_65_plus, aged_0_17
    return group.split("_")[1 + part]


def areas_split(once: bool) -> str:
    c = csv("utla_icb_split.csv").groupby("utla_code").size()
    return str(int((c == 1).sum() if once else (c > 1).sum()))


def straddling(unit: str) -> str:
    """ICBs (or ONS regions) with areas both inside and outside a combined authority."""
    areas = csv("utla_icb_split.csv").merge(
        csv("utla.csv")[["utla_code", "combined_authority_code", "region_code"]], on="utla_code")
    areas["ca"] = areas["combined_authority_code"].fillna("")
    if unit == "icb":
        return str(int((areas.groupby("icb_code")["ca"].nunique() > 1).sum()))
    return str(int((areas.groupby("region_code")["ca"].apply(lambda s: (s != "").any())).sum()))


def ready_icbs() -> str:
    r = pd.read_csv(INSTANCES / "england-2024" / "ready_icbs.csv", comment="#")
    return str(int((r["allowed"].astype(str).str.lower() == "true").sum()))


def kappa(a: str, b: str) -> str:
    ix = uniform().tier_index
    return f"{uniform().kappa[ix[a], ix[b]]:.2f}"


def criterion(cid: str) -> tuple[float, float]:
    m = uniform().model
    assert m is not None
    c = m.criteria[m.criterion_ids.index(cid)]
    return c.lo, c.hi


def performance(cid: str, tid: str, digits: int) -> str:
    lo, hi = criterion(cid)
    p = float(ramp(np.array([tier(tid).population]), np.array([lo]), np.array([hi]))[0])
    return f"{1 - p if cid == 'local_knowledge' else p:.{digits}f}".removesuffix(".000")


def override(column: str, functions: list[str]) -> str:
    """The value every named function gives a ramp-override column (else a mismatch)."""
    df = pd.read_csv(INSTANCES / "england-2024" / "functions.csv").set_index("id")
    vals = {float(df.loc[f, column]) for f in functions}
    return n(vals.pop()) if len(vals) == 1 else f"mismatch {vals}"


CENTRE = ["regional_influencing_brokering"]  # the NHS region's national interface


def F(anchor: str, value: str, compute: Callable[[], str]) -> Figure:  # noqa: N802
    return Figure(anchor, value, compute=compute)


def C(anchor: str, value: str, source: str) -> Figure:  # noqa: N802
    return Figure(anchor, value, cited=source)


def _tier_row(tid: str, pop: str | None = None) -> list[Figure]:
    t = tier(tid)
    row = f"| `{tid}` "
    out = [F(row, n(t.units), lambda: n(tier(tid).units)),
           F(row, n(t.total_population), lambda: n(tier(tid).total_population))]
    if pop is not None:
        out.append(F(row, pop, lambda: n(tier(tid).population)))
    return out


_KF = "The King's Fund's count of place-based partnerships, cited by seed 002 s2.1.3"
_S41 = "seed 002 s4.1 (staff of NHS England and DHSC, March 2018 and October 2023)"
_S413 = "seed 002 s4.1.3 ('around 10,000 central staff')"
_MONEY = "seed 002 (programme budgets)"

ENGLAND: list[Figure] = [
    F("functions as the uniform variant", "58", lambda: str(england().n_functions)),
    F("**166 areas**", "166", lambda: str(england().n_areas)),
    F("The areas are the rows of", "143", lambda: areas_split(True)),
    F("authorities lie in one ICB", "10", lambda: areas_split(False)),
    F("authorities lie in one ICB", "166", lambda: str(england().n_areas)),
    F("pieces add up to England's", "57,106,398", lambda: n(england_people())),
    F("| `national` |", "1", lambda: n(tier("national").units)),
    F("| `nhs_region` |", "7", lambda: n(tier("nhs_region").units)),
    F("| `ons_region` (optional) |", "9", lambda: n(tier("ons_region").units)),
    F("| `combined_authority` |", "11", lambda: n(tier("combined_authority").units)),
    F("| `combined_authority` |", "18,824,460",
      lambda: n(tier("combined_authority").total_population)),
    F("| `combined_authority` |", "33.0%",
      lambda: f"{tier('combined_authority').total_population / england_people():.1%}"),
    F("| `ics` |", "42", lambda: n(tier("ics").units)),
    F("| `place` |", "153", lambda: n(tier("place").units)),
    F("| `neighbourhood` |", "1,264", lambda: n(tier("neighbourhood").units)),
    F("An area outside the 11", "11", lambda: n(tier("combined_authority").units)),
    F("ICBs straddle a combined authority", "9", lambda: straddling("icb")),
    F("ICBs straddle a combined authority", "42", lambda: n(tier("ics").units)),
    F("ICBs straddle a combined authority", "7", lambda: straddling("region")),
    F("ONS regions contain a combined authority", "9", lambda: n(tier("ons_region").units)),
    C("NHS England delegated 59 specialised", "59", "NHS England Board, 7 December 2023"),
    C("(NHS England Board, 7", "7", "the date of the board meeting (7 December 2023)"),
    C("70 services were delegated", "70", "NHS England Board paper, December 2024"),
    F("except for the 20 ICBs", "20", ready_icbs),
    F("| `reform-aco` (002 s4.3.1) |", "13,237", lambda: cap("reform-aco")),
    F("| `centre-10k` (002 s4.1.3) |", "13,237", lambda: cap("centre-10k")),
    F("| `most-local` (seed 004) |", "2",
      lambda: f"{uniform().scenarios['most-local'].weights['local_knowledge']:g}"),
    F("**The national cap**", "13,237", lambda: cap("reform-split")),
    C("10,000 central staff\" of the merged", "10,000", _S413),
    F("10,000 central staff\" of the merged", "3,237", lambda: staff_today("DHSC")),
    F("with standardisation 4 and national", "4",
      lambda: score("mandate_and_objectives", "standardisation")),
    F("interface 5; adult social care", "5",
      lambda: score("mandate_and_objectives", "national_interface")),
    F("interface 5; adult social care", "65", lambda: serves_age("adult_social_care", 0)),
    F("people aged 0-17", "0", lambda: serves_age("health_visiting_school_nursing", 0)),
    F("people aged 0-17", "17", lambda: serves_age("health_visiting_school_nursing", 1)),
    F("an ICB of 0.5M and one of 3M", "0.5M",
      lambda: f"{csv('icb.csv')['population'].min() / 1e6:.1f}M"),
    F("an ICB of 0.5M and one of 3M", "3M",
      lambda: f"{csv('icb.csv')['population'].max() / 1e6:.0f}M"),
    F("heterogeneity term eta is 0", "0", lambda: f"{uniform().model.heterogeneity:g}"),  # type: ignore[union-attr]
    F("reform options, as fixed placements, exceed a", "13,237", lambda: cap("reform-aco")),
]

UNIFORM: list[Figure] = [
    *_tier_row("national", "57,106,398"),
    *_tier_row("nhs_region", "8,158,057"),
    *_tier_row("ons_region", "6,345,155"),
    *_tier_row("combined_authority", "1,711,315"),
    F("| `combined_authority` (optional) |", "33.0%",
      lambda: f"{tier('combined_authority').total_population / england_people():.1%}"),
    *_tier_row("ics", "1,359,676"),
    *_tier_row("place", "373,244"),
    *_tier_row("neighbourhood", "45,179"),
    F("**Place = the 153", "153", lambda: n(tier("place").units)),
    C("\"about 175\" place partnerships", "175", _KF),
    C("Fund counts around 175", "175", _KF),
    C("With 175 units of equal total", "175", _KF),
    F("With 175 units of equal total", "326,000",
      lambda: n(round(tier("place").total_population / 175, -3))),
    F("With 175 units of equal total", "373,000", lambda: n(round(tier("place").population, -3))),
    C("To use 175 anyway", "175", _KF),
    F("**Neighbourhood = primary care networks**", "1,264", lambda: n(tier("neighbourhood").units)),
    F("= 45,179, inside the", "1,264", lambda: n(tier("neighbourhood").units)),
    F("= 45,179, inside the", "45,179",
      lambda: n(england_people() / tier("neighbourhood").units)),
    C("= 45,179, inside the", "30", "seeds 000, 002 s2.1.3 and 003 (neighbourhoods of 30-50,000)"),
    C("= 45,179, inside the", "50,000", "seeds 000, 002 s2.1.3 and 003"),
    F("**Combined authorities** (optional", "11", lambda: n(tier("combined_authority").units)),
    F("would count 1,994,284 people twice", "1,994,284", lambda: n(
        csv("combined_authorities.csv").set_index("ca_code").loc[
            ["E47000010", "E47000011"], "population_mid2022_sum_of_member_utlas"].sum())),
    F("would count 1,994,284 people twice", "11", lambda: n(tier("combined_authority").units)),
    F("cover **18,824,460 people", "18,824,460",
      lambda: n(tier("combined_authority").total_population)),
    F("cover **18,824,460 people", "33.0%",
      lambda: f"{tier('combined_authority').total_population / england_people():.1%}"),
    C("cover \"around 41 per cent\"", "41", "seed 002 s4.3.1"),
    F("mean combined-authority size (1.71M)", "1.71M",
      lambda: f"{tier('combined_authority').population / 1e6:.2f}M"),
    F("the 11 that exist", "11", lambda: n(tier("combined_authority").units)),
    F("(kappa 0.61, see", "0.61", lambda: kappa("ons_region", "nhs_region")),
    F("kappa(combined_authority, ics) = 0.16", "0.16",
      lambda: kappa("combined_authority", "ics")),
    F("five criteria, all weight 1", "1",
      lambda: "1" if set(uniform().model.weight_of.values()) == {1.0} else "not all 1"),  # type: ignore[union-attr]
    F("**Scores (0-5", "0", lambda: f"{uniform().functions.scores.min():g}"),
    F("**Scores (0-5", "5", lambda: f"{uniform().functions.scores.max():g}"),
    F("`standardisation` is 0 or 1", "0", lambda: _commissioning_std()[0]),
    F("`standardisation` is 0 or 1", "1", lambda: _commissioning_std()[-1]),
    F("Default ramps (model file)", "50k", lambda: short(criterion("economies_of_scale")[0])),
    F("Default ramps (model file)", "3M", lambda: short(criterion("economies_of_scale")[1])),
    F("Default ramps (model file)", "250k", lambda: short(criterion("specialism")[0])),
    F("Default ramps (model file)", "10M", lambda: short(criterion("specialism")[1])),
    F("standardisation 500k-57.1M", "500k", lambda: short(criterion("standardisation")[0])),
    F("standardisation 500k-57.1M", "57.1M", lambda: short(criterion("standardisation")[1])),
    F("standardisation 500k-57.1M", "30k", lambda: short(criterion("local_knowledge")[0])),
    F("standardisation 500k-57.1M", "10M", lambda: short(criterion("local_knowledge")[1])),
    F("standardisation 500k-57.1M", "5M", lambda: short(criterion("national_interface")[0])),
    C("places of 250-500k", "250", "seed 002 s2.1.3 and seed 003 (places of 250-500k)"),
    C("places of 250-500k", "500k", "seed 002 s2.1.3 and seed 003"),
    C("below a neighbourhood (50k)", "50k", "seeds 000, 002 and 003 (neighbourhoods of 30-50k)"),
    C("1-3M (seed 003)", "1", "seed 003 (system level 1-3M); seed 000 (more than 1 million)"),
    C("1-3M (seed 003)", "3M", "seed 003 (system level 1-3M)"),
    F("the largest ICB (3.0M", "3.0M", lambda: f"{csv('icb.csv')['population'].max() / 1e6:.1f}M"),
    F("a national interface reached at 5M", "5M", lambda: short(float(override(
        "national_interface_hi", CENTRE).replace(",", "")))),
    F("smallest NHS region (5.8M)", "5.8M",
      lambda: f"{csv('nhs_regions.csv')['population'].min() / 1e6:.1f}M"),
    F("an NHS region (8.2M)", "8.2M", lambda: f"{tier('nhs_region').population / 1e6:.1f}M"),
    F("performance 0.035 and national 0", "0.035",
      lambda: performance("local_knowledge", "nhs_region", 3)),
    F("performance 0.035 and national 0", "0",
      lambda: performance("local_knowledge", "national", 3)),
    F("performance 0.035 and national 0", "1",
      lambda: performance("standardisation", "national", 3)),
    F("performance 0.035 and national 0", "0.59",
      lambda: performance("standardisation", "nhs_region", 2)),
    F("and national interface (1 vs 0.20)", "1",
      lambda: performance("national_interface", "national", 3)),
    F("and national interface (1 vs 0.20)", "0.20",
      lambda: performance("national_interface", "nhs_region", 2)),
    C("from 5,776 to 15,630", "5,776", _S41),
    C("from 5,776 to 15,630", "15,630", _S41),
    C("from 1,462 to 3,237", "1,462", _S41),
    C("from 1,462 to 3,237", "3,237", _S41),
    C("around 10,000 central staff. To fulfil", "10,000", _S413),
    F("sum to exactly 15,630", "15,630", lambda: staff_today("NHS England")),
    F("those of DHSC (including OHID) to 3,237", "3,237", lambda: staff_today("DHSC")),
    F("minimum teams (`staff_fte_fixed`", "1", lambda: _min_team()[0]),
    F("minimum teams (`staff_fte_fixed`", "60", lambda: _min_team()[1]),
    F("caps the national tier at 18,867", "18,867", cap),
    F("caps the national tier at 18,867", "15,630", lambda: staff_today("NHS England")),
    F("caps the national tier at 18,867", "3,237", lambda: staff_today("DHSC")),
    F("national at 13,237: the", "13,237", lambda: cap("reform-aco")),
    C("national at 13,237: the", "10,000", _S413),
    F("s4.1.3) plus DHSC's 3,237", "3,237", lambda: staff_today("DHSC")),
    C("GBP 107.8bn passed to ICBs", "107.8bn", _MONEY),
    C("GBP 3.529bn public health grant", "3.529bn", _MONEY),
    C("GBP 3.529bn public health grant", "6bn", _MONEY),
    C("GBP 3.529bn public health grant", "7.2bn", _MONEY),
    F("| `reform-aco` (002 s4.3.1) |", "13,237", lambda: cap("reform-aco")),
    F("| `most-local` (seed 004) |", "2",
      lambda: f"{uniform().scenarios['most-local'].weights['local_knowledge']:g}"),
    F("| `centre-10k` (002 s4.1.3) |", "13,237", lambda: cap("centre-10k")),
    C("| `centre-10k` (002 s4.1.3) |", "10,000", _S413),
    F("| `centre-10k` (002 s4.1.3) |", "3,237", lambda: staff_today("DHSC")),
    F("The staff cap binds only under", "13,237", lambda: cap("centre-10k")),
    # any score above 0 pulls to national: only national reaches the top of both ramps
    F("any score above 0 on them", "0", lambda: "0" if all(
        (performance(c, "national", 3) == "1") and float(performance(c, t, 3)) < 1
        for c in ("standardisation", "national_interface")
        for t in uniform().tier_ids if t != "national") else "not only national"),
]


def _commissioning_std() -> list[str]:
    fn = uniform().functions
    m = uniform().model
    assert m is not None
    com = fn.categories == "commissioning"
    vals = sorted({float(x) for x in fn.scores[com, m.criterion_ids.index("standardisation")]})
    return [f"{x:g}" for x in vals]


def _min_team() -> tuple[str, str]:
    fixed = uniform().functions.fixed[:, 0]
    some = fixed[fixed > 0]
    return f"{some.min():g}", f"{some.max():g}"

