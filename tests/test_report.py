"""``placement report`` and :mod:`placement.report`: every section present and filled on the
England instance, the HTML self-contained (every chart an embedded PNG, nothing fetched), the
Markdown's figures written beside it, report.json equal to the analyses it came from, sections
the instance cannot have explained, bad input located, no partial files."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import placement
from placement import charts
from placement.analysis import forcing_costs
from placement.errors import InfeasibleError, InstanceError
from placement.report import Report, build_report
from placement.report.blocks import number
from placement.util.numbers import fmt
from tests.conftest import GAP_DIR, INSTANCES, ROOT

SECTIONS = ["summary", "placement", "values", "tiers", "baselines", "options", "margins",
            "robustness", "frontier", "method"]
PNG = b"\x89PNG\r\n\x1a\n"


class _Page(HTMLParser):
    """What a reader's browser would see: sections, images, links, tables, text."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.images: list[str] = []
        self.external: list[str] = []
        self.stack: list[str] = []
        self.tables = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag not in ("meta", "img", "br"):
            self.stack.append(tag)
        if tag == "section":
            self.sections.append(a.get("id") or "")
        if tag == "img":
            self.images.append(a.get("src") or "")
        if tag == "table":
            self.tables += 1
        for key in ("src", "href"):
            v = a.get(key) or ""
            if re.match(r"^(https?:)?//", v):
                self.external.append(v)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-3:])
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _page(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    p.close()
    assert p.stack == [], p.stack  # every element closed: well-formed
    return p


def _embedded_pngs(page: _Page) -> list[bytes]:
    out = []
    for src in page.images:
        assert src.startswith("data:image/png;base64,"), src[:40]
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert data.startswith(PNG) and len(data) > 2000
        out.append(data)
    return out


@pytest.fixture(scope="module")
def england() -> Report:
    return build_report(placement.load(INSTANCES / "england-2024-uniform"), samples=200, seed=4,
                        created="2026-12-01 00:00 UTC", command="placement report test")


def test_england_report_has_every_section_filled(england: Report, tmp_path: Path) -> None:
    assert [s.id for s in england.sections()] == SECTIONS
    assert england.skipped == {}
    html = england.to_html()
    page = _page(html)
    assert page.sections == SECTIONS
    assert page.external == []  # self-contained: nothing to fetch
    pngs = _embedded_pngs(page)
    names = set(england.figures())
    assert names == {"values", "tiers", "baselines", "options", "robustness",
                     "frontier-staff_fte"}
    assert len(pngs) == len(names)
    text = " ".join(page.text)
    for needle in ("Not computed", "No options to compare", "not computed"):
        assert needle not in text
    # the placement table lists every function once, at the tier the optimum gives it
    inst = england.optimum.instance
    tiers = england.optimum.tiers
    table = next(b for b in england.sections()[1].blocks if isinstance(b, placement.report.Table))
    assert len(table.rows) == inst.n_functions
    at = table.headers.index("tier")
    assert {r[0]: r[at] for r in table.rows} == tiers.to_dict()
    # the scenarios of the instance are all compared, each fixed and optimised
    assert england.comparison is not None
    ids = {o.id for o in england.comparison.options}
    assert set(inst.scenarios) <= ids
    files = england.write(tmp_path / "out")
    assert {p.relative_to(tmp_path / "out").as_posix() for p in files} == {
        "report.html", "report.md", "report.json", *(f"figures/{n}.png" for n in names)}
    md = (tmp_path / "out" / "report.md").read_text()
    for ref in re.findall(r"\]\((figures/[^)]+\.png)\)", md):
        assert (tmp_path / "out" / ref).read_bytes().startswith(PNG)
    assert len(re.findall(r"\]\((figures/[^)]+\.png)\)", md)) == len(names)
    for sid in SECTIONS:
        assert f'<a id="{sid}"></a>' in md
    assert not [p for p in (tmp_path / "out").rglob(".*")]  # no temporary file left
    # the status quo on the frontier chart: a feasible placement is never above the frontier
    sq = england.optimum.baselines["status_quo"]  # type: ignore[index]
    fr = england.frontiers[0]
    best = fr.value_at(sq["resources"]["staff_fte"])
    assert best is not None and best >= sq["value"] - 1e-9
    assert f"the best placement within that budget reaches {number(best, 'objective')}" in html
    legend = [t.get_text() for t in fr.figure({"status quo": (sq["resources"]["staff_fte"],
                                                              sq["value"])}).axes[0]
              .get_legend().get_texts()]
    use = sq["resources"]["staff_fte"]
    assert any(t.startswith(f"status quo: uses {use:,.6g}") for t in legend), legend


def test_report_json_is_the_analyses(england: Report, tmp_path: Path) -> None:
    england.write(tmp_path)
    doc = json.loads((tmp_path / "report.json").read_text())
    assert doc["format"] == "placement-report/1"
    ref = placement.solve(placement.load(INSTANCES / "england-2024-uniform"))
    assert doc["optimum"]["objective"] == pytest.approx(ref.objective)
    assert doc["optimum"]["checks"]["ok"] is True
    fc = forcing_costs(placement.load(INSTANCES / "england-2024-uniform"))
    got = {r["function"]: r["margin"] for r in doc["forcing_costs"]["functions"]}
    want = fc.summary()["margin"]
    for fid, m in got.items():
        assert (m is None and np.isnan(want[fid])) or m == pytest.approx(want[fid])
    assert doc["monte_carlo"]["samples"] == 200 and doc["monte_carlo"]["seed"] == 4
    steps = doc["frontiers"][0]["steps"]
    values = [s["value"] for s in steps]
    assert values == sorted(values)  # the frontier never decreases as the budget grows
    assert doc["weight_stability"]["criteria"]
    assert len(doc["comparison"]["options"]) == len(england.comparison.options)  # type: ignore[union-attr]


def _untimed(d: dict) -> dict:
    d.pop("timings")
    for k in ("optimum", "forcing_costs", "weight_stability", "monte_carlo"):
        for key in ("seconds", "build_seconds", "solve_seconds", "draws_per_second"):
            d[k].pop(key, None)
    for f in d["frontiers"]:
        f.pop("seconds")
    d["parameters"].pop("workers", None)
    d["monte_carlo"].pop("workers", None)
    return d


def test_a_report_on_two_processes_is_the_serial_one() -> None:
    """Forcing costs, stability searches and draws on the executor seam: the same report."""
    from placement.util.executor import ProcessExecutor

    inst = placement.load(INSTANCES / "tiny-link-together-soft")
    serial = build_report(inst, samples=40, seed=3, created="t", forcing=True).to_dict()
    pooled = build_report(inst, samples=40, seed=3, created="t", forcing=True,
                          executor=ProcessExecutor(2)).to_dict()
    assert pooled["monte_carlo"]["workers"] == 2  # the draws did go to two processes
    assert _untimed(serial) == _untimed(pooled)


def test_same_seed_same_report() -> None:
    inst = placement.load(INSTANCES / "tiny-link-together-soft")
    a, b = (build_report(inst, samples=60, seed=9, created="t").to_dict() for _ in range(2))
    for d in (a, b):
        d.pop("timings")
        for k in ("optimum", "forcing_costs", "weight_stability", "monte_carlo"):
            for key in ("seconds", "build_seconds", "solve_seconds", "draws_per_second"):
                d[k].pop(key, None)
        for f in d["frontiers"]:
            f.pop("seconds")
    assert a == b


def test_tiny_report_says_why_a_section_is_empty() -> None:
    rep = build_report(placement.load(INSTANCES / "tiny-budget"), samples=30)
    assert rep.comparison is None
    html = rep.to_html()
    assert "No options to compare: the instance defines no scenarios." in html
    rep = build_report(placement.load(INSTANCES / "tiny-budget"), samples=0, resources=[],
                       stability=False, forcing=False)
    text = " ".join(_page(rep.to_html()).text)
    assert "Monte Carlo robustness not computed: switched off (0 samples)." in text
    assert "Not computed: no resource was asked for." in text
    assert rep.figures().keys() == {"values", "tiers", "baselines"}


def test_orlib_instance_has_no_weights_to_vary() -> None:
    rep = build_report(placement.load(GAP_DIR / "c0515_1", input_format="orlib-gap"),
                       samples=10, resources=[])
    assert rep.stability is None and rep.monte_carlo is None
    assert "no weights to vary" in rep.skipped["stability"]
    assert "no weights to vary" in rep.skipped["robustness"]
    assert rep.forcing is not None
    _page(rep.to_html())


def test_bad_input_is_located_before_any_solve(tmp_path: Path) -> None:
    inst = placement.load(INSTANCES / "england-2024-uniform")
    with pytest.raises(InstanceError) as e:
        build_report(inst, ["status-quo", "nope"], resources=["staff", "money"], samples=-1)
    msg = str(e.value)
    for word in ("scenario: found 'nope'", "resources: found 'staff'", "'money'",
                 "samples: found -1"):
        assert word in msg, (word, msg)
    assert "--" not in msg  # the library names its arguments, not the command line's options
    with pytest.raises(InfeasibleError):
        build_report(placement.load(INSTANCES / "tiny-infeasible"))
    rep = build_report(placement.load(INSTANCES / "tiny-budget"), samples=0, resources=[])
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(InstanceError, match="is a file"):
        rep.write(file)
    with pytest.raises(InstanceError, match="is a file"):
        rep.write(file / "deeper")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]
    rep.write(tmp_path / "missing" / "deeper")  # parents are created, like mkdir -p
    assert (tmp_path / "missing" / "deeper" / "report.html").exists()


def test_charts_draw_what_they_are_given() -> None:
    r = placement.solve(placement.load(INSTANCES / "tiny-cap"))
    assert r.assignment is not None
    fig = charts.value_heatmap(r.instance, r.assignment)
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if p.get_edgecolor()[:3] == pytest.approx(
        (0xC0 / 255, 0x39 / 255, 0x2B / 255), abs=1e-3) and not p.get_fill()]
    assert len(boxes) == r.instance.n_functions  # one chosen tier outlined per function
    texts = {t.get_text() for t in ax.texts}
    assert {fmt(float(v)) for v in r.instance.value_matrix.ravel()} <= texts
    counts = {"optimum": {"national": 2, "local": 1}, "other": {"region": 3}}
    bars = charts.functions_per_tier(r.instance, counts).axes[0].patches
    assert sorted(b.get_width() for b in bars if b.get_width()) == [1, 2, 3]
    for fig in (charts.baselines_chart(r), charts.functions_per_tier(r.instance, counts)):
        assert charts.png_bytes(fig).startswith(PNG)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "placement.cli", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_cli_writes_the_report_and_refuses_bad_input(tmp_path: Path) -> None:
    tiny = str(INSTANCES / "tiny-budget")
    out = tmp_path / "rep"
    p = _cli("report", tiny, "-o", str(out), "--samples", "40")
    assert p.returncode == 0, p.stderr
    assert (out / "report.html").exists() and (out / "figures" / "values.png").exists()
    assert "wrote 8 files" in p.stderr and "no scenarios" in p.stderr
    assert "placement report" in (out / "report.html").read_text()  # how to reproduce it
    for args, word in ((["--scenario", "nope"], "--scenario"), (["-r", "money"], "--resource"),
                       (["--no-frontier", "-r", "staff"], "contradict"),
                       (["--samples", "-3"], "--samples")):
        p = _cli("report", tiny, "-o", str(tmp_path / "bad"), *args)
        assert p.returncode == 2 and "Traceback" not in p.stderr and word in p.stderr, p.stderr
    assert not (tmp_path / "bad").exists()
    p = _cli("report", str(INSTANCES / "tiny-infeasible"), "-o", str(tmp_path / "inf"))
    assert p.returncode == 3 and "no placement" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "inf").exists()
    (tmp_path / "a-file").write_text("x")
    p = _cli("report", tiny, "-o", str(tmp_path / "a-file" / "rep"), "--samples", "0")
    assert p.returncode == 2 and "is a file" in p.stderr and "Traceback" not in p.stderr


def test_links_are_shown_with_what_they_cost() -> None:
    inst = placement.load(INSTANCES / "tiny-link-together-soft")
    rep = build_report(inst, samples=0, resources=[])
    placement_section = rep.sections()[1]
    links = [b for b in placement_section.blocks if isinstance(b, placement.report.Table)][-1]
    assert links.headers[0] == "link" and len(links.rows) == len(inst.links)
    ref = placement.solve(inst).links
    for row in links.rows:
        assert row[7] == ("kept" if ref.loc[row[0], "kept"] else "broken")
        assert float(row[8]) == pytest.approx(ref.loc[row[0], "penalty"])
    assert "broken" in rep.to_html()


def test_forcing_table_is_left_out_when_too_large_unless_asked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import placement.report.build as report

    monkeypatch.setattr(report, "MAX_AUTO_FORCING_SOLVES", 7)  # tiny-budget needs 4 x 2 = 8
    inst = placement.load(INSTANCES / "tiny-budget")
    rep = build_report(inst, samples=0, resources=[], stability=False)
    assert rep.forcing is None and "8 re-solves" in rep.skipped["margins"]
    assert "--forcing" in " ".join(_page(rep.to_html()).text)
    assert build_report(inst, samples=0, resources=[], stability=False,
                        forcing=True).forcing is not None
    monkeypatch.setattr(report, "MAX_AUTO_FORCING_SOLVES", 8)
    assert build_report(inst, samples=0, resources=[], stability=False).forcing is not None


def test_no_report_on_an_optimum_the_checker_rejects(monkeypatch: pytest.MonkeyPatch) -> None:
    import placement.solution.checker as checker
    import placement.solution.solving as api
    from placement.analysis import CheckerError

    def rejecting(*args: object, **kwargs: object) -> checker.CheckReport:
        rep = checker.check(*args, **kwargs)  # type: ignore[arg-type]
        rep.violations.append(checker.Violation("cap", "staff at national", 9.0, 8.0,
                                                "staff at national 9 exceeds its cap 8"))
        return rep

    monkeypatch.setattr(api, "check", rejecting)
    with pytest.raises(CheckerError, match="exceeds its cap 8"):
        build_report(placement.load(INSTANCES / "tiny-budget"), samples=0)
    monkeypatch.undo()
    rep = build_report(placement.load(INSTANCES / "tiny-budget"), samples=0, resources=[])
    assert "the independent checker accepted it" in rep.to_html()


def test_docs_quote_the_uniform_englands_counts(england: Report) -> None:
    """docs/analysis.md quotes how many re-solves the forcing table and the staff frontier of
    the uniform England instance take; they are these (timings beside them are measured)."""
    text = " ".join((ROOT / "docs" / "analysis.md").read_text(encoding="utf-8").split())
    assert england.forcing is not None and england.frontiers
    fr = england.frontiers[0]
    assert f"{england.forcing.solves} re-solves in" in text
    assert f"staff frontier has {len(fr.frame())} steps ({fr.solves} solves" in text


def test_report_json_text_is_its_dict() -> None:
    """report.json is written with the optimum's JSON spliced in as text: the same data."""
    import json

    for name in ("tiny-areas", "tiny-budget"):
        rep = build_report(placement.load(INSTANCES / name), samples=10, created="t")
        assert json.loads(rep.to_json()) == json.loads(json.dumps(rep.to_dict()))
