"""Hex maps of a per-area placement (placement/charts/maps.py, placement map): every one of the
153 upper-tier authorities and 42 ICBs is drawn, the four authorities without a hex of their
own are half hexes in their own colours, the colours are what the result's by-area table says,
and the command writes a PNG or exits 2 with a message.

The instance covers England's 166 UTLA x ICB areas (data/geography/utla_icb_split.csv), written
to a temporary directory so the test does not depend on instances/england-2024. Availability
rules make two functions differ by area: commissioning is closed to the North East and North
Cumbria and Greater Manchester ICBs and to Cumberland (so Cumbria's two halves and both of its
authorities' pieces differ), public health to West Northamptonshire and the City of London (so
Northamptonshire's halves differ); screening sits at the national tier everywhere.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import placement
from placement.charts import (
    ATTRIBUTION,
    area_codes,
    area_maps,
    codes_from_ids,
    differing_functions,
    function_map,
    hex_layout,
    map_shading,
    png_bytes,
    tier_colours,
)
from placement.charts.hexes import hex_polygons
from placement.charts.maps import MIXED_LABEL, NO_AREA_COLOUR
from tests.conftest import DATA, INSTANCES, ROOT

GEO = DATA / "geography"
SPLIT = {"E06000061": 1, "E06000062": 2, "E06000063": 1, "E06000064": 2}

INSTANCE_TOML = """\
format = "placement/2"
name = "england-areas-test"
sense = "max"
values = "values.csv"

[areas]
file = "{areas}"
id = ["utla_code", "icb_code"]
name = ["utla_name", "icb_name"]
population = "utla_population_mid2022"
share = {{ column = "share_of_utla_census2021", within = "utla_code" }}
availability = "availability.csv"

[[tiers]]
id = "national"
membership = "*"

[[tiers]]
id = "ics"
membership = {{ column = "icb_code", names = "icb_name" }}

[[tiers]]
id = "place"
membership = {{ column = "utla_code", names = "utla_name" }}

[[tiers]]
id = "neighbourhood"
membership = {{ count = "n_lsoa" }}
"""

FILES = {
    "functions.csv": "id,name,category\n"
                     "commissioning,Specialised commissioning,nhs\n"
                     "public_health,Public health,local\n"
                     "screening,Screening programmes,nhs\n",
    "values.csv": "id,national,ics,place,neighbourhood\n"
                  "commissioning,2,10,6,1\n"
                  "public_health,1,5,8,7\n"
                  "screening,9,1,1,1\n",
    "availability.csv": "tier,unit,function,category,allowed,reason\n"
                        "ics,E54000050,commissioning,,false,closed in NENC\n"
                        "place,E06000063,commissioning,,false,closed in Cumberland\n"
                        "ics,E54000057,commissioning,,false,closed in Greater Manchester\n"
                        "place,E06000062,public_health,,false,closed in West Northamptonshire\n"
                        "place,E09000001,public_health,,false,closed in the City of London\n",
}


@pytest.fixture(scope="module")
def england(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("england-areas")
    areas = (GEO / "utla_icb_split.csv").resolve().as_posix()
    (d / "instance.toml").write_text(INSTANCE_TOML.format(areas=areas), encoding="utf-8")
    for name, text in FILES.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def result(england: Path) -> placement.Result:
    r = placement.solve(placement.load(england))
    assert r.ok and r.instance.n_areas == 166
    return r


def _expected(r: placement.Result, function: str, part: int) -> pd.DataFrame:
    """From r.by_area alone: per UTLA (part 0 of the area id) or ICB (part 1), the tier
    serving most people, its colour, and whether the pieces differ."""
    df = r.by_area.loc[function].reset_index()
    df["key"] = df["area"].str.split("/").str[part]
    people = df.groupby(["key", "tier"])["population"].sum().unstack(fill_value=0.0)
    colours = tier_colours(r.instance.tier_ids)
    return pd.DataFrame({"tier": people.idxmax(axis=1),
                         "colour": people.idxmax(axis=1).map(colours),
                         "mixed": df.groupby("key")["tier"].nunique() > 1})


def _utla_codes() -> list[str]:
    with (GEO / "utla.csv").open(encoding="utf-8", newline="") as fh:
        return [row["utla_code"] for row in csv.DictReader(fh)]


def test_every_utla_is_drawn_once(result: placement.Result) -> None:
    lay = hex_layout("utla")
    assert sorted(lay.codes.tolist()) == sorted(_utla_codes()) and len(lay) == 153
    fig = function_map(result.instance, result.assignment, "commissioning")
    fills = fig.axes[0].collections[0]
    assert len(fills.get_paths()) == 153
    shade = map_shading(result.instance, result.assignment[0])
    assert len(shade) == 153 and (shade["areas"] > 0).all()
    assert (shade["colour"] != NO_AREA_COLOUR).all()


@pytest.mark.parametrize("function", ["commissioning", "public_health", "screening"])
@pytest.mark.parametrize("level,part", [("utla", 0), ("icb", 1)])
def test_colours_are_what_by_area_says(result: placement.Result, function: str, level: str,
                                       part: int) -> None:
    f = list(result.instance.function_ids).index(function)
    shade = map_shading(result.instance, result.assignment[f], level)  # type: ignore[arg-type]
    want = _expected(result, function, part)
    assert len(shade) == (153 if level == "utla" else 42)
    assert set(shade.index) == set(want.index)
    got = shade.loc[want.index]
    assert (got["tier"] == want["tier"]).all()
    assert (got["colour"] == want["colour"]).all()
    assert (got["mixed"] == want["mixed"]).all()


def test_split_authorities_are_half_hexes_in_their_own_colours(
        result: placement.Result) -> None:
    lay = hex_layout("utla")
    polys = hex_polygons(lay)
    halves = {str(c): int(h) for c, h in zip(lay.codes, lay.half, strict=True) if h}
    assert halves == SPLIT
    for code in SPLIT:
        assert polys[lay.index(np.array([code]))[0]].shape == (5, 2)  # half a hex
    assert lay.splits() == {"E10000021": ("E06000061", "E06000062"),
                            "E10000006": ("E06000063", "E06000064")}
    colours = tier_colours(result.instance.tier_ids)
    health = map_shading(result.instance, result.assignment[1])
    assert health.loc["E06000061", "colour"] == colours["place"]
    assert health.loc["E06000062", "colour"] == colours["neighbourhood"]
    comm = map_shading(result.instance, result.assignment[0])
    assert comm.loc["E06000063", ["tier", "mixed"]].tolist() == ["neighbourhood", True]
    assert comm.loc["E06000064", ["tier", "mixed"]].tolist() == ["ics", True]
    fig = function_map(result.instance, result.assignment, "commissioning")
    assert "Northamptonshire's into North Northamptonshire (top)" in \
        fig._supxlabel.get_text().replace("\n", " ")  # type: ignore[union-attr]


def test_icb_map_covers_the_42_icbs(result: placement.Result) -> None:
    shade = map_shading(result.instance, result.assignment[1], "icb")
    assert len(shade) == 42 and (shade["areas"] > 0).all()
    assert shade.loc["E54000059", "mixed"]  # Northamptonshire: place and neighbourhood
    fig = function_map(result.instance, result.assignment, "public_health", level="icb")
    assert len(fig.axes[0].collections[0].get_paths()) == 42
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {"NOR", "NENC", "COR"} <= labels


def test_figures_are_pngs_with_legend_and_attribution(result: placement.Result) -> None:
    inst, a = result.instance, result.assignment
    assert differing_functions(inst, a).tolist() == [0, 1]
    figs = [function_map(inst, a, "commissioning"), function_map(inst, a, "commissioning",
                                                                  level="icb"),
            area_maps(inst, a)]
    for fig in figs:
        assert png_bytes(fig)[:4] == b"\x89PNG"
        assert ATTRIBUTION in fig._supxlabel.get_text()  # type: ignore[union-attr]
        legend = [t.get_text() for t in fig.legends[0].get_texts()]
        assert "ics" in legend and MIXED_LABEL in legend
    multiples = figs[2]
    titles = [ax.get_title() for ax in multiples.axes if ax.get_title()]
    assert titles == ["Specialised commissioning", "Public health"]


def test_area_codes_from_ids_and_from_a_tier(result: placement.Result,
                                              tmp_path: Path) -> None:
    codes = area_codes(result.instance)
    ids = result.instance.units.area_ids
    assert codes.utla.tolist() == [str(i).split("/")[0] for i in ids]  # type: ignore[union-attr]
    assert codes.icb.tolist() == [str(i).split("/")[1] for i in ids]  # type: ignore[union-attr]
    assert codes_from_ids(["a", "b"]).utla is None
    # areas that are the UTLAs of London only: UTLA from the ids, ICB from a tier's units;
    # every other authority is still drawn, in the no-area grey
    rows = [r for r in csv.DictReader((GEO / "utla.csv").open(encoding="utf-8"))
            if r["utla_code"].startswith("E09")]
    with (tmp_path / "london.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["utla_code", "utla_name", "population",
                                           "icb_primary"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    (tmp_path / "instance.toml").write_text(
        'format = "placement/2"\nname = "london"\nvalues = "values.csv"\n'
        '[areas]\nfile = "london.csv"\nid = "utla_code"\nname = "utla_name"\n'
        'population = "population"\n'
        '[[tiers]]\nid = "national"\nmembership = "*"\n'
        '[[tiers]]\nid = "ics"\nmembership = { column = "icb_primary" }\n', encoding="utf-8")
    (tmp_path / "functions.csv").write_text("id,name\nx,X\n", encoding="utf-8")
    (tmp_path / "values.csv").write_text("id,national,ics\nx,1,2\n", encoding="utf-8")
    inst = placement.load(tmp_path)
    london = area_codes(inst)
    assert london.utla.tolist() == [r["utla_code"] for r in rows]  # type: ignore[union-attr]
    assert london.icb.tolist() == [r["icb_primary"] for r in rows]  # type: ignore[union-attr]
    assert "tier 'ics'" in london.how
    shade = map_shading(inst, np.zeros(inst.n_areas, dtype=np.int64))
    assert len(shade) == 153 and (shade["areas"] > 0).sum() == 33
    assert (shade.loc[shade["areas"] == 0, "colour"] == NO_AREA_COLOUR).all()


def test_instances_that_cannot_be_mapped_raise() -> None:
    tiny = placement.load(INSTANCES / "tiny-areas")
    with pytest.raises(ValueError, match=r"4 of 4 areas \('a', 'b', 'c', 'd'\)"):
        area_codes(tiny)
    with pytest.raises(ValueError, match="has no areas"):
        area_codes(placement.load(INSTANCES / "tiny-budget"))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "placement.cli", "map", *args],
                          capture_output=True, text=True, cwd=ROOT)


def test_cli_writes_the_png(england: Path, tmp_path: Path) -> None:
    out = tmp_path / "map.png"
    p = cli(str(england), "commissioning", "-o", str(out))
    assert p.returncode == 0, p.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"
    p = cli(str(england), "-o", str(tmp_path / "all.png"), "--level", "icb")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "all.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args,words", [
    (["{england}", "nope"], ["'nope' is not a function", "expected one of commissioning"]),
    (["{tiny_areas}", "commissioning"], ["cannot be placed on the map", "'a'", "hex_utla.csv"]),
    (["{tiny_budget}", "commissioning"], ["has no areas", "[areas]"]),
    (["{england}", "commissioning", "--level", "lsoa"], ["--level"]),
])
def test_cli_bad_input_exits_2_without_traceback(england: Path, tmp_path: Path,
                                                 args: list[str], words: list[str]) -> None:
    out = tmp_path / "map.png"
    paths = {"england": str(england), "tiny_areas": str(INSTANCES / "tiny-areas"),
             "tiny_budget": str(INSTANCES / "tiny-budget")}
    p = cli(*[a.format(**paths) for a in args], "-o", str(out))
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stderr
    text = " ".join(p.stderr.split())
    for w in words:
        assert w in text, text
    assert not out.exists()
