"""England per area at LSOA resolution (instances/england-2024-lsoa): its data add up, it is
solved (through the merge of alike areas) to the optimum of the 166-piece instance with the
same neighbourhood rule, checked on all 33,755 areas; and the three format additions it needs
refuse what they cannot use, located."""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import placement
from placement.errors import InstanceError
from tests.builders import invoke

ROOT = Path(__file__).resolve().parents[1]
LSOA = ROOT / "instances" / "england-2024-lsoa"
ENGLAND_PEOPLE = 57_106_398  # data/geography/SOURCES.md: the sum of the 153 UTLAs


@pytest.fixture(scope="module")
def lsoa() -> placement.Instance:
    return placement.load(LSOA)


@pytest.fixture(scope="module")
def solved(lsoa: placement.Instance) -> placement.Result:
    return placement.solve(lsoa)


def test_every_lsoa_is_an_area_and_every_authority_keeps_its_people(
        lsoa: placement.Instance) -> None:
    geo = lsoa.geography
    assert geo is not None
    table = pd.read_csv(ROOT / "data" / "geography" / "lsoa.csv")
    utla = pd.read_csv(ROOT / "data" / "geography" / "utla.csv").set_index("utla_code")
    assert len(geo.areas) == len(table) == 33_755
    assert geo.areas.population.sum() == pytest.approx(ENGLAND_PEOPLE, rel=1e-12)
    by_utla = pd.Series(geo.areas.population).groupby(table["utla23_code"].to_numpy()).sum()
    assert np.allclose(by_utla.to_numpy(), utla.loc[by_utla.index, "population"], rtol=1e-12)
    # an ICB's 1,264 networks in all: an LSOA holds its share of its ICB's by population
    nb = geo.tiers["neighbourhood"]
    assert nb.finer and nb.bodies.sum() == pytest.approx(1264, rel=1e-12)
    assert (nb.bodies > 0).all() and (nb.bodies < 1).all()


def test_lsoa_england_is_solved_as_its_pieces_and_checked_on_every_lsoa(
        solved: placement.Result) -> None:
    assert solved.status.value == "optimal"
    assert solved.extra["merged_areas"] == {"areas": 33_755, "solved_as": 166}
    assert solved.assignment is not None and solved.assignment.shape == (58, 33_755)
    assert solved.check is not None and solved.check.ok
    assert solved.gap is not None and solved.gap <= 1e-4


def test_lsoa_optimum_is_the_pieces_optimum_with_the_same_neighbourhoods(
        solved: placement.Result) -> None:
    """The 166-piece instance with each ICB's networks shared by population (not rounded):
    the same model from other tables (published piece shares instead of LSOA counts)."""
    e = placement.load(ROOT / "instances" / "england-2024")
    geo = e.geography
    assert geo is not None
    pcns = pd.read_csv(ROOT / "data" / "geography" / "icb.csv").set_index("icb_code")
    ics = geo.tiers["ics"]
    counts = pcns.loc[list(ics.codes[ics.unit]), "n_pcn_active_jan2023"].to_numpy(float)
    p = geo.areas.population
    people = np.bincount(ics.unit, weights=p)[ics.unit]
    tiers = dict(geo.tiers)
    tiers["neighbourhood"] = dataclasses.replace(tiers["neighbourhood"],
                                                 bodies=counts * p / people)
    pieces = placement.solve(e.replace(geography=dataclasses.replace(geo, tiers=tiers)))
    assert solved.objective == pytest.approx(pieces.objective, rel=1e-8)


# -- the format additions: counts as shares, a join key named otherwise, fractional bodies ----

def _copy(tmp_path: Path, old: str, new: str) -> Path:
    d = tmp_path / "lsoa"
    shutil.copytree(LSOA, d)
    toml = d / "instance.toml"
    text = toml.read_text(encoding="utf-8")
    assert old in text
    toml.write_text(text.replace(old, new, 1), encoding="utf-8")
    return d


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('share = { column = "census2021_residents", within = "utla23_code", kind = "count" }',
     'share = { column = "census2021_residents", kind = "count" }',
     r"needs 'within'"),
    ('within = "icb_code", whole = false }', 'whole = false }', r"'whole = false' goes with"),
    ('on = "utla23_code", key = "utla_code", columns = ["utla_name"',
     'on = "utla23_code", key = "utla_cod", columns = ["utla_name"',
     r"areas\.join\[1\]\.key.*utla_cod.*a column of"),
    ('on = "utla23_code", key = "utla_code", columns = ["utla_name"',
     'on = "utla23_code", key = 5, columns = ["utla_name"', r"areas"),
])
def test_format_additions_refuse_what_they_cannot_use(tmp_path: Path, old: str, new: str,
                                                     expected: str) -> None:
    d = _copy(tmp_path, old, new)
    with pytest.raises(InstanceError) as err:
        placement.load(d)
    assert re.search(expected, str(err.value)), str(err.value)
    assert "instance.toml" in str(err.value)
    code, _, stderr = invoke("validate", str(d))
    assert code == 2 and "Traceback" not in stderr


def test_a_count_share_that_is_not_a_count_is_located(tmp_path: Path) -> None:
    d = _copy(tmp_path, 'file = "bundled:data/geography/lsoa.csv"', 'file = "lsoa.csv"')
    src = (ROOT / "data" / "geography" / "lsoa.csv").read_text(encoding="utf-8").splitlines()
    src[3] = src[3].rsplit(",", 1)[0] + ",-4"
    (d / "lsoa.csv").write_text("\n".join(src) + "\n", encoding="utf-8")
    with pytest.raises(InstanceError) as err:
        placement.load(d)
    msg = str(err.value)
    assert "lsoa.csv" in msg and "line 4" in msg and "census2021_residents" in msg
    assert "a count of people greater than 0" in msg


def test_a_join_key_named_otherwise_ignores_a_column_of_the_left_name(tmp_path: Path) -> None:
    """utla.csv joined by ``key = "utla_code"``: a column that happens to be called
    ``utla23_code`` there is not the key, and the areas get the same people."""
    d = _copy(tmp_path, 'file = "bundled:data/geography/utla.csv", on = "utla23_code"',
              'file = "utla.csv", on = "utla23_code"')
    utla = pd.read_csv(ROOT / "data" / "geography" / "utla.csv", dtype=str)
    utla["utla23_code"] = "not a key"
    utla.to_csv(d / "utla.csv", index=False)
    inst = placement.load(d)
    assert inst.geography is not None
    assert inst.geography.areas.population.sum() == pytest.approx(ENGLAND_PEOPLE, rel=1e-12)
