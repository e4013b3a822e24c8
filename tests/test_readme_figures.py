"""Every figure typed in instances/england-2024*/README.md outside the generated results block
is registered here (issue 14 item 7): computed from the tool and its data and compared, or,
where the README quotes a source the repository does not hold (a seed, an NHS England board
paper), listed with that source. A number added to those READMEs without an entry here fails
``test_every_typed_figure_is_registered``; an entry whose figure left the README fails too.

The results block itself is rebuilt by tests/test_instance_readmes.py.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import pytest

import placement
from placement.model import NO_TIER
from placement.model.scoring import ramp
from tests.conftest import INSTANCES
from tests.readme_figures import ENGLAND, UNIFORM, Figure

BEGIN = "<!-- BEGIN GENERATED"
END = "<!-- END GENERATED -->"

#: What is not a figure: citations (seed 002 s4.1.3, Fig 4, Recommendation 2, section 9,
#: issue 12), years and dates, code and links, headings and list numbers, area codes.
_NOT_FIGURES = [
    r"`[^`]*`", r"\[[^\]]*\]\([^)]*\)", r"^#+ \d+\.", r"^\d+\. ",
    r"(?i)\bseeds? 0\d\d\b", r"\b0\d\d(?= s\d| Fig| Rec)", r"\bs\d+(\.\d+)+(-\d+(\.\d+)*)?",
    r"\bFig(ure)? \d+", r"\bRecommendations? \d+( and \d+)?", r"\bsections? \d+(\.\d+)*",
    r"\bissue \d+", r"\b(19|20)\d\d(-\d\d|/\d\d)?\b", r"\b[A-Z]\d{8}\b", r"\bP\d+\b",
    r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|October|"
    r"November|December)\b",
]
_NUMBER = re.compile(r"(?<![\w.])\d(?:[\d,]*\d)?(?:\.\d+)?(?:%|M|k|bn)?(?![\w])")


def typed_figures(text: str) -> list[tuple[int, str, str]]:
    """(line number, figure, line) of every figure outside the generated block and code."""
    while BEGIN in text:  # every generated block, kept as blank lines
        a = text.index(BEGIN)
        b = text.index(END, a) + len(END)
        text = text[:a] + "\n" * text[a:b].count("\n") + text[b:]
    out = []
    fenced = False
    for n, line in enumerate(text.split("\n"), 1):
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        bare = line
        for pat in _NOT_FIGURES:
            bare = re.sub(pat, " ", bare)
        out += [(n, m.group(0), line) for m in _NUMBER.finditer(bare)]
    return out


def _check(readme: str, figures: list[Figure]) -> None:
    text = (INSTANCES / readme / "README.md").read_text(encoding="utf-8")
    found = typed_figures(text)
    unregistered = [(n, v, line) for n, v, line in found
                    if not any(f.value == v and f.anchor in line for f in figures)]
    assert not unregistered, (
        f"{readme}/README.md: figures typed in without a check in tests/readme_figures.py: "
        + "; ".join(f"line {n}: {v!r} in {line.strip()[:80]!r}" for n, v, line in unregistered))
    stale = [f for f in figures if not any(f.value == v and f.anchor in line
                                           for _, v, line in found)]
    assert not stale, f"{readme}/README.md no longer says: {stale}"
    for f in figures:
        assert (f.compute is None) != (not f.cited), f  # exactly one of the two
        if f.compute is not None:
            assert f.compute() == f.value, (f.anchor, f.value, f.compute())


def test_every_typed_figure_in_the_england_readme_is_the_tools() -> None:
    _check("england-2024", ENGLAND)


def test_every_typed_figure_in_the_uniform_readme_is_the_tools() -> None:
    _check("england-2024-uniform", UNIFORM)


def test_the_figure_finder_sees_figures_and_skips_citations() -> None:
    line = ("The 11 cover 18,824,460 people, 33.0% (seed 002 s4.3.1, Fig 4, 7 May 2024, "
            "`units = 175`), GBP 107.8bn and 1.71M")
    assert [v for _, v, _ in typed_figures(line)] == ["11", "18,824,460", "33.0%", "107.8bn",
                                                     "1.71M"]


def test_columns_the_readmes_name_exist() -> None:
    """A backquoted ``<criterion>_lo``-style or ``staff_fte_*`` column the READMEs name is a
    column of functions.csv (the README once described local_knowledge_lo/hi, which it has
    not)."""
    columns = set(pd.read_csv(INSTANCES / "england-2024" / "functions.csv", nrows=0).columns)
    pattern = re.compile(r"`([a-z_]+_(?:lo|hi|fixed|variable)|body_today|staff_basis|serves|"
                         r"rationale|allowed|pinned|current)`")
    for readme in ("england-2024", "england-2024-uniform"):
        text = (INSTANCES / readme / "README.md").read_text(encoding="utf-8")
        named = set(pattern.findall(text))
        assert named and named <= columns, (readme, named - columns)


def test_the_pins_the_uniform_readme_names_are_the_pins() -> None:
    inst = _uniform()
    fn = inst.functions
    pinned = set(fn.ids[fn.pinned != NO_TIER].tolist())
    text = (INSTANCES / "england-2024-uniform" / "README.md").read_text(encoding="utf-8")
    para = text[text.index("**`pinned`**"):text.index("**`current`**")]
    named = set(re.findall(r"`([a-z_]+)`", para)) - {"pinned"}
    assert named == pinned, (named, pinned)
    england = (INSTANCES / "england-2024" / "README.md").read_text(encoding="utf-8")
    assert "`mandate_and_objectives` is now pinned national" in england
    assert "mandate_and_objectives" in pinned


@cache
def _uniform() -> placement.Instance:
    return placement.load(INSTANCES / "england-2024-uniform")


def test_performance_helper_matches_the_scoring() -> None:
    """The README's '0.035' is 1 - ramp (local knowledge falls with size)."""
    m = _uniform().model
    assert m is not None
    c = m.criteria[m.criterion_ids.index("local_knowledge")]
    got = 1 - ramp(np.array([8_158_057.0]), np.array([c.lo]), np.array([c.hi]))[0]
    assert f"{got:.3f}" == "0.035"
    with pytest.raises(AssertionError):
        _check("england-2024", [])


def test_the_instance_index_quotes_the_tools_optima() -> None:
    """instances/README.md: each optimum (and each scenario's in parentheses) is the solve's;
    every figure of the table is covered."""
    text = (INSTANCES / "README.md").read_text(encoding="utf-8")
    checked: set[tuple[int, str]] = set()
    for n, line in enumerate(text.split("\n"), 1):
        m = re.match(r"\| `([a-z0-9-]+)/` \|(.*)\|(.*)\|$", line)
        if not m or m.group(1).startswith("england"):
            continue
        inst = placement.load(INSTANCES / m.group(1))
        cell = m.group(3)
        if "infeasible" in cell:
            r = placement.solve(inst)
            assert r.status.value == "infeasible"
            fn = inst.functions
            cost = inst.cost_tensor[:, :, 0]
            need = np.where(fn.pinned != NO_TIER, cost[np.arange(len(fn.ids)),
                                                          np.maximum(fn.pinned, 0)],
                            np.where(fn.allowed, cost, np.inf).min(axis=1)).sum()
            assert cell.strip() == (f"infeasible ({need:g} staff needed, "
                                    f"{inst.resources[0].budget:g} available)")
            checked |= {(n, f"{need:g}"), (n, f"{inst.resources[0].budget:g}")}
            continue
        opt = placement.solve(inst).objective
        quoted = re.findall(r"`([a-z-]+)`:? ([\d.]+)", cell)
        first = re.match(r"\s*([\d.]+)", cell)
        assert first is not None and float(first.group(1)) == pytest.approx(opt, abs=1e-9), (
            m.group(1), first, opt)
        checked.add((n, first.group(1)))
        for sid, v in quoted:
            got = placement.solve(inst, scenario=sid).objective
            assert float(v) == pytest.approx(got, abs=1e-9), (m.group(1), sid, v, got)
            checked.add((n, v))
        for sid, k in re.findall(r"scenario `([a-z-]+)` \(kappa_min ([\d.]+)\)", m.group(2)):
            sc = inst.scenarios[sid]
            assert [f"{lk.kappa_min:g}" for lk in sc.add_links] == [k]
            checked.add((n, k))
    england = placement.load(INSTANCES / "england-2024")
    checked |= {(n, str(england.n_functions)) for n, _, line in typed_figures(text)
                if "`england-2024/`" in line} | {
        (n, str(england.n_areas)) for n, _, line in typed_figures(text)
        if "`england-2024/`" in line}
    # the LSOA row: lsoa.csv's rows, merged into England's pieces (tests/test_england_lsoa.py)
    table = INSTANCES.parent / "data" / "geography" / "lsoa.csv"
    lsoas = sum(1 for _ in table.open(encoding="utf-8")) - 1
    checked |= {(n, v) for n, v, line in typed_figures(text) if "`england-2024-lsoa/`" in line
                and v in (f"{lsoas:,}", str(england.n_areas))}
    left = [(n, v) for n, v, _ in typed_figures(text) if (n, v) not in checked]
    assert not left, left


_SUM = re.compile(r"(\d[\d.,]*(?: ?[-+×*·] ?\d[\d.,]*)+) ?= ?(\d[\d,]*(?:\.\d+)?)")


def test_the_arithmetic_of_every_instance_readme_holds() -> None:
    """Every worked sum in instances/*/README.md ('5 + 5 + 3.5 + 4 = 17.5', '0.5 × 2 + 2 × 0.4
    = 1.8') is right to the digits it prints; the optima the tiny ones reach are checked
    against the solvers by tests/test_tiny.py, test_links.py and test_areas.py."""
    seen = 0
    for path in sorted(INSTANCES.glob("*/README.md")):
        for m in _SUM.finditer(path.read_text(encoding="utf-8")):
            expr = m.group(1).replace(",", "").replace("×", "*").replace("·", "*")
            want = m.group(2).replace(",", "")
            got = eval(expr, {"__builtins__": {}})  # digits and + - * only (the pattern)
            places = len(want.partition(".")[2])
            assert round(got, places) == pytest.approx(float(want)), (path.parent.name,
                                                                      m.group(0))
            seen += 1
    assert seen >= 30


def _cells(line: str) -> list[str]:
    return [c.strip().strip("*").strip() for c in line.strip().strip("|").split("|")]


def test_function_by_tier_tables_of_the_tiny_readmes_are_the_instances() -> None:
    """Each 'function x tier' table of a tiny README (values, or staff when the line before
    says so, and the scores column) is the instance's: value_matrix (or values.csv), cost."""
    seen = 0
    for path in sorted(INSTANCES.glob("tiny-*/README.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        inst = placement.load(path.parent)
        fn = inst.functions
        for i, line in enumerate(lines):
            head = _cells(line) if line.startswith("| function |") else []
            cols = {j: inst.tier_index[c] for j, c in enumerate(head) if c in inst.tier_index}
            if not cols:
                continue
            before = next(x for x in reversed(lines[:i]) if x.strip())
            staff = before.startswith("Staff")
            matrix = (inst.cost_tensor[:, :, 0] if staff else
                      inst.values if inst.values is not None else inst.value_matrix)
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                cells = _cells(row)
                f = fn.index[cells[0].split()[0]]
                for j, t in cols.items():
                    assert float(cells[j]) == pytest.approx(matrix[f, t]), (path, row, head[j])
                    seen += 1
                if head[1].startswith("scores"):
                    assert [float(x) for x in cells[1].split(",")] == fn.scores[f].tolist()
    assert seen >= 40


def test_the_kappa_table_of_tiny_link_geography_is_computed() -> None:
    inst = placement.load(INSTANCES / "tiny-link-geography")
    ix = inst.tier_index
    lines = (INSTANCES / "tiny-link-geography" / "README.md").read_text().split("\n")
    rows = [_cells(x) for x in lines if re.match(r"\| [a-z_]+ / [a-z_]+ \| [\d.]+ \|", x)]
    assert len(rows) >= 4
    for a, _, b in (r[0].partition(" / ") for r in rows if "anything" not in r[0]):
        k = next(r[1] for r in rows if r[0] == f"{a} / {b}")
        assert k == f"{inst.kappa[ix[a], ix[b]]:.6f}", (a, b, k)
