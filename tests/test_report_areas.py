"""The report of an instance with areas (issue 12): the structure per function, the maps, the
two prices, the options per area, and the analyses that compare one tier per function left
out with the reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import placement
from placement.report import Report, build_report
from placement.report.blocks import Chart, Paragraph, Table
from placement.util.numbers import pct
from tests.conftest import INSTANCES

AREA_SECTIONS = ["summary", "placement", "maps", "tiers", "baselines", "options", "margins",
                 "robustness", "frontier", "method"]
ONE_TIER_ANALYSES = {"margins", "stability", "robustness", "frontier"}


@pytest.fixture(scope="module")
def england() -> Report:
    return build_report(placement.load(INSTANCES / "england-2024"), created="2026-01-01")


@pytest.fixture(scope="module")
def tiny() -> Report:
    return build_report(placement.load(INSTANCES / "tiny-areas"), created="2026-01-01")


def _text(section: object) -> str:
    out = []
    for b in section.blocks:  # type: ignore[attr-defined]
        if isinstance(b, Paragraph):
            out.append(b.text + " " + " ".join(b.items))
    return " ".join(out)


def test_sections_and_why_the_one_tier_analyses_are_left_out(england: Report) -> None:
    assert [s.id for s in england.sections()] == AREA_SECTIONS
    assert set(england.skipped) == ONE_TIER_ANALYSES
    assert all("--area" in why for why in england.skipped.values())
    by_id = {s.id: s for s in england.sections()}
    for sid in ("margins", "robustness", "frontier"):
        assert "area by area" in _text(by_id[sid])


def test_england_report_shows_the_maps_and_the_structure(england: Report,
                                                        tmp_path: Path) -> None:
    figs = england.figures()
    assert {"structure", "maps-utla", "maps-icb", "tiers", "options"} <= set(figs)
    assert all(png[:4] == b"\x89PNG" for png in figs.values())
    structure = next(s for s in england.sections() if s.id == "placement")
    table = next(b for b in structure.blocks if isinstance(b, Table))
    shares = england.optimum.tier_shares
    mixed = int(((shares > 1e-9).sum(axis=1) > 1).sum())
    same = [row[table.headers.index("same everywhere")] for row in table.rows]
    assert same[:mixed] == ["no"] * mixed and set(same[mixed:]) <= {"yes"}
    files = england.write(tmp_path / "out")
    assert {p.name for p in files} >= {"report.html", "report.md", "report.json",
                                       "maps-utla.png", "maps-icb.png"}
    html = (tmp_path / "out" / "report.html").read_text()
    assert "data:image/png;base64" in html
    maps = next(s for s in england.sections() if s.id == "maps")
    assert "Open Innovations (MIT)" in _text(maps)


def test_summary_quotes_both_prices_from_the_baselines(england: Report) -> None:
    b = england.optimum.baselines or {}
    summary = _text(england.sections()[0])
    price = b["price_of_uniform_structure"]
    assert f"Price of uniform structure {pct(price)}" in summary
    assert f"{len(england.instance.functions.ids)} functions over 166 areas" in summary
    assert "Status quo" in summary


def test_report_json_has_the_areas(england: Report, tmp_path: Path) -> None:
    england.write(tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["skipped"].keys() == ONE_TIER_ANALYSES
    assert doc["forcing_costs"] is None and doc["monte_carlo"] is None
    assert doc["optimum"]["baselines"]["price_of_uniform_structure"] == pytest.approx(
        england.optimum.baselines["price_of_uniform_structure"])  # type: ignore[index]
    assert len(doc["comparison"]["options"]) == len(england.comparison.options)  # type: ignore[union-attr]


def test_areas_that_are_not_english_authorities_get_no_map_and_say_why(tiny: Report) -> None:
    maps = next(s for s in tiny.sections() if s.id == "maps")
    assert not any(isinstance(b, Chart) for b in maps.blocks)
    assert _text(maps).startswith("No maps:")
    base = next(s for s in tiny.sections() if s.id == "baselines")
    table = next(b for b in base.blocks if isinstance(b, Table))
    rows = {r[0]: r[1] for r in table.rows}
    assert rows["optimum"] == "21.4" and rows["one structure everywhere"] == "18"
