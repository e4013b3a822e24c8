"""The page in a real browser (Debian's chromium driven by Playwright): a slider move places
every function as :func:`placement.solve` does with that weight; an infeasible budget shows
the diagnosis; a function's map shows the tier of ``result.by_area``; a click explains. The
England test takes a screenshot; with ``PLACEMENT_REFRESH_SCREENSHOT=1`` it refreshes the
README's, ``docs/img/serve-england.png`` (otherwise it goes to a temporary directory).

The session installs chromium with apt-get when it is missing (CI runs as root); the tests
are skipped, saying why, only when that is impossible.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
sync_api = pytest.importorskip("playwright.sync_api")

import placement  # noqa: E402
from placement.charts.figures import palette  # noqa: E402
from placement.charts.hexes import area_codes  # noqa: E402
from placement.charts.maps import map_shading  # noqa: E402
from tests.serve.server import running  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "serve-england.png"
WAIT_MS = 60_000


def _chromium() -> str:
    """Debian's chromium, installed now if missing (apt-get as root)."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        pytest.skip("no chromium and no apt-get to install it")
    for cmd in ([apt, "update"], [apt, "install", "-y", "--no-install-recommends", "chromium"]):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"cannot install chromium ({' '.join(cmd[1:])}: "
                        f"{done.stderr.strip()[-300:]})")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One browser for every test of the session (they are all in this module); closed at
    the module's end, so that Playwright's event loop leaves the main thread to the rest."""
    path = _chromium()
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=path)
        yield b
        b.close()


@pytest.fixture()
def page(browser):  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    yield pg
    ctx.close()
    assert not errors, errors


def _open(pg, url: str) -> None:  # type: ignore[no-untyped-def]
    pg.goto(url + "/")
    pg.wait_for_selector("#status[data-state=ok]", timeout=WAIT_MS)


def _shown(pg, request: dict) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The table once it answers ``request`` (what the page sent for its inputs)."""
    sent = json.dumps(request, separators=(",", ":"))  # as JSON.stringify writes it
    pg.wait_for_function("r => document.body.dataset.request === r", arg=sent,
                         timeout=WAIT_MS)
    pg.wait_for_selector("#status:not([data-state=solving])", timeout=WAIT_MS)
    return {r.get_attribute("data-function"): r.get_attribute("data-tier")
            for r in pg.query_selector_all("#placement tbody tr")}


def test_slider_moves_the_placement_as_the_library_does(page) -> None:  # type: ignore[no-untyped-def]
    path = "instances/tiny-budget"
    inst = placement.load(path)
    with running(path) as url:
        _open(page, url)
        assert _shown(page, {}) == placement.solve(inst).tiers.to_dict()
        page.focus("#w-scale")
        for _ in range(10):  # step 0.1: from 1 to 2, as a user's arrow keys would
            page.keyboard.press("ArrowRight")
        got = _shown(page, {"weights": {"scale": 2}})
        lib = placement.solve(placement.apply_overrides(inst, {"scale": 2})).tiers.to_dict()
        assert got == lib and got["commissioning"] == "national"
        page.click("#placement tbody tr[data-function=commissioning]")
        page.wait_for_selector("#explain[data-function=commissioning] #explain-summary",
                               timeout=WAIT_MS)
        assert "runner-up" in page.inner_text("#explain-summary")


def test_infeasible_budget_shows_the_diagnosis(page) -> None:  # type: ignore[no-untyped-def]
    with running("instances/tiny-budget") as url:
        _open(page, url)
        page.fill("#b-staff", "1")
        page.press("#b-staff", "Enter")
        page.wait_for_selector("#diagnosis:not([hidden])", timeout=WAIT_MS)
        text = page.inner_text("#diagnosis")
        assert "staff budget 1 FTE is" in text and "short" in text
        assert page.get_attribute("#status", "data-state") == "error"


def test_england_map_matches_by_area(page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = "instances/england-2024"
    inst = placement.load(path)
    f = "public_health_services"  # at three tiers in different places
    with running(path) as url:
        _open(page, url)
        page.select_option("#map-function", f)
        page.wait_for_selector(f"#map[data-function={f}] svg path", timeout=WAIT_MS)
        shown = {p.get_attribute("data-code"): p.get_attribute("fill")
                 for p in page.query_selector_all("#map svg path")}
        r = placement.solve(inst)
        row = r.assignment[r.instance.functions.index[f]]
        want = map_shading(r.instance, row, "utla", codes=area_codes(inst),
                           palette=list(inst.palette_tiers or inst.tier_ids))["colour"]
        assert shown == want.to_dict()
        assert set(shown.values()) & set(palette(inst).values())
        b = r.baselines
        for sel, x in (("#price-uniformity", b["price_of_uniformity"]),
                       ("#price-structure", b["price_of_uniform_structure"]),
                       ("#price-free", b["price_of_uniformity_free"])):
            assert page.inner_text(sel) == ("–" if x is None else f"{100 * x:.1f}%")
        page.click('#map path[data-code="E06000052"]')  # Cornwall
        page.wait_for_selector(f"#explain[data-function={f}] #explain-summary",
                               timeout=WAIT_MS)
        assert "in Cornwall sits at" in page.inner_text("#explain-summary")
        # The README's picture, refreshed on request (a plain run leaves the checkout clean)
        shot = SCREENSHOT if os.environ.get("PLACEMENT_REFRESH_SCREENSHOT") else (
            tmp_path / SCREENSHOT.name)
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 10_000


def test_scenario_picker(page) -> None:  # type: ignore[no-untyped-def]
    """Picking a scenario shows its budget in the input and places as the library does under
    it (per area: the tier serving most people)."""
    path = "instances/tiny-areas"
    inst = placement.load(path)
    with running(path) as url:
        _open(page, url)
        page.select_option("#scenario", "budget")
        got = _shown(page, {"scenario": "budget"})
        assert page.input_value("#b-staff") == "6"
        lib = placement.solve(inst, scenario="budget")
        assert got == lib.placements["tier"].to_dict()
        assert page.inner_text("#result-status") == lib.status.value
