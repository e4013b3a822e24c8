"""The time-limit benchmarks' committed runs (benchmarks/time_limits.py): the summary's
table, and every figure the results README and the project README quote from
benchmarks/results/time-limits*, links-cycles and links-strongest, computed from their
results.csv.

No timing assertions: performance goals live in benchmarks/, not in tests.
"""

from __future__ import annotations

import csv

from tests.conftest import ROOT


def test_time_limits_summary_pairs_old_and_new_and_says_when_the_checker_failed() -> None:
    from benchmarks.time_limits import summary

    def row(code: str, limit: float, gap: float | None, checked: bool = True) -> dict:
        return {"code": code, "limit": limit, "name": "synthetic-x", "status": "time_limit",
                "objective": 1.0, "bound": 1.1, "gap": gap, "checked": checked, "wall": 2.5}

    rows = [row("old", 2.0, 0.0134), row("new", 2.0, 0.0017), row("old", 4.0, None),
            row("new", 4.0, 0.0)]
    text = summary(rows, "abc1234", {"cpu": "X", "cores": 2})
    assert "| synthetic-x | 2 | 2.50 | time_limit | 1.340% | 2.50 | time_limit | 0.170% |" in text
    assert "| synthetic-x | 4 | 2.50 | time_limit | - | 2.50 | time_limit | 0.000% |" in text
    assert "Every placement passed the independent checker" in text
    rows[1]["checked"] = False
    assert "**Some placement failed the independent checker**" in summary(rows, "abc1234", {})


def test_the_time_limits_figures_are_the_committed_run() -> None:
    """benchmarks/results/README.md quotes benchmarks/results/time-limits: the ranges of the
    gaps and wall times of the two 10^6-column instances' rows, old and new."""
    out = ROOT / "benchmarks" / "results"
    with (out / "time-limits" / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["checked"] == "True" for r in rows)
    big = [r for r in rows if "50000x5" not in r["name"]]

    def span(code: str, limits: set[float], key: str, scale: float, digits: int) -> str:
        vals = [scale * float(r[key]) for r in big
                if r["code"] == code and float(r["limit"]) in limits]
        return f"{min(vals):.{digits}f}-{max(vals):.{digits}f}"

    text = " ".join((out / "README.md").read_text(encoding="utf-8").split())
    late = {4.0, 6.0, 8.0}
    assert (f"end {span('new', late, 'gap', 100, 3)[:5]}-"
            f"{span('new', late, 'gap', 100, 2).split('-')[1]}% from their bounds at 4-8 s "
            f"(were {span('old', late, 'gap', 100, 2)}%)") in text
    assert (f"at 2 s about as before, {span('new', {2.0}, 'gap', 100, 1)}% in "
            f"{span('new', {2.0}, 'wall', 1, 1)} s (was {span('old', {2.0}, 'gap', 100, 1)}% "
            f"in {span('old', {2.0}, 'wall', 1, 1)} s") in text


def test_the_links_cycles_figures_are_the_committed_run() -> None:
    out = ROOT / "benchmarks" / "results"
    with (out / "links-cycles" / "results.csv").open() as fh:
        rows = {(r["name"], r["code"]): r for r in csv.DictReader(fh)}
    assert all(r["checked"] == "True" for r in rows.values())
    text = " ".join((out / "README.md").read_text(encoding="utf-8").split())
    half, full = "synthetic-20000x50-s1-b0.9-l0.5-c0.2", "synthetic-20000x50-s1-b0.9-l1-c0.2"

    def pct(name: str, code: str, digits: int) -> str:
        return f"{100 * float(rows[(name, code)]['gap']):.{digits}f}%"

    assert f"{pct(half, 'old', 2)} -> {pct(half, 'new', 3)} and {pct(full, 'old', 2)} -> " \
        f"{pct(full, 'new', 2)} from the bound" in text


def test_the_time_limits_deadline_figures_are_the_committed_run() -> None:
    """benchmarks/results/README.md quotes benchmarks/results/time-limits-deadline: the two
    10^6-column instances' wall times and gaps, old and new, at 4-8 s, 2 s and 1 s."""
    out = ROOT / "benchmarks" / "results"
    rows = _time_limit_rows("time-limits-deadline")
    big = [r for r in rows if "50000x5" not in r["name"]]
    assert len(big) == 30

    def span(code: str, limits: set[float], key: str, scale: float = 1.0) -> str:
        return _span(big, code, limits, key, scale)

    text = " ".join((out / "README.md").read_text(encoding="utf-8").split())
    late, short = {4.0, 6.0, 8.0}, {1.0, 2.0}
    assert (f"ends in {span('new', late, 'wall')} s at 4-8 s (was {span('old', late, 'wall')} "
            f"s), {span('new', late, 'gap', 100)}% from the bound (was "
            f"{span('old', late, 'gap', 100)}%); in {span('new', {2.0}, 'wall')} s at 2 s (was "
            f"{span('old', {2.0}, 'wall')} s) and in {span('new', {1.0}, 'wall')} s at 1 s (was "
            f"{span('old', {1.0}, 'wall')} s") in text
    assert (f"at 1-2 s the answers are {span('new', short, 'gap', 100)}% from the bound (were "
            f"{span('old', short, 'gap', 100)}%, in {span('old', short, 'wall')} s)") in text
    small = [r for r in rows if "50000x5" in r["name"]]
    assert len(small) == 10 and all(float(r["gap"]) <= 1e-5 for r in small)
    new = [r for r in big if r["code"] == "new"]
    assert all(float(r["wall"]) <= float(r["limit"]) for r in new if float(r["limit"]) >= 4)
    assert 0.01 <= max(float(r["gap"]) for r in new if float(r["limit"]) in short) < 0.1
    assert "50,000 x 5 as before, within 1e-5 of its bound at every limit" in text


def _span(rows: list[dict[str, str]], code: str, limits: set[float], key: str,
          scale: float = 1.0) -> str:
    """"lo-hi" of ``key`` (times ``scale``) over ``code``'s rows at ``limits``."""
    vals = [scale * float(r[key]) for r in rows
            if r["code"] == code and float(r["limit"]) in limits]
    return f"{min(vals):.2f}-{max(vals):.2f}"


def _time_limit_rows(run: str) -> list[dict[str, str]]:
    with (ROOT / "benchmarks" / "results" / run / "results.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["checked"] == "True" for r in rows)
    return rows


def test_the_time_limits_lazy_figures_are_the_committed_run() -> None:
    """benchmarks/results/README.md quotes benchmarks/results/time-limits-lazy."""
    rows = _time_limit_rows("time-limits-lazy")
    big = [r for r in rows if "50000x5" not in r["name"]]
    assert len(big) == 30

    def span(code: str, limits: set[float], key: str, scale: float = 1.0) -> str:
        return _span(big, code, limits, key, scale)

    text = " ".join((ROOT / "benchmarks" / "results" / "README.md").read_text().split())
    late = {4.0, 6.0, 8.0}
    assert (f"ends in {span('new', late, 'wall')} s at 4-8 s ({span('old', late, 'wall')} s "
            f"before, in the same run; both 0.12 s past 6 s on 200,000 x 5), "
            f"{span('new', late, 'gap', 100)}% from the bound ({span('old', late, 'gap', 100)}"
            f"%); in {span('new', {2.0}, 'wall')} s at 2 s ({span('old', {2.0}, 'wall')} s) "
            f"and in {span('new', {1.0}, 'wall')} s at 1 s ({span('old', {1.0}, 'wall')} s); "
            f"at 2 s the answers are {span('new', {2.0}, 'gap', 100)}% from the bound (were "
            f"{span('old', {2.0}, 'gap', 100)}%") in text
    for code in ("old", "new"):
        past = max(float(r["wall"]) - float(r["limit"]) for r in big
                   if r["code"] == code and float(r["limit"]) in late)
        assert f"{past:.2f}" == "0.12"
    small = [r for r in rows if "50000x5" in r["name"] and r["code"] == "new"]
    assert len(small) == 5 and max(float(r["gap"]) for r in small) < 6e-5


def test_the_links_strongest_figures_are_the_committed_run() -> None:
    """benchmarks/results/README.md quotes benchmarks/results/links-strongest: the bound, and
    each limit's gaps and walls, old and new."""
    rows = {(r["code"], float(r["limit"])): r for r in _time_limit_rows("links-strongest")}
    assert len(rows) == 6
    text = " ".join((ROOT / "benchmarks" / "results" / "README.md").read_text().split())
    old, new = rows["old", 120.0], rows["new", 120.0]
    assert (f"the bound {float(old['bound']):,.0f} -> {float(new['bound']):,.0f}; from the "
            "bound, ") in text
    assert float(new["bound"]) < float(old["bound"])  # maximised: the tighter bound
    for limit in (30.0, 60.0, 120.0):
        o, n = rows["old", limit], rows["new", limit]
        assert (f"{100 * float(o['gap']):.2f}% -> {100 * float(n['gap']):.2f}% at {limit:g} s "
                f"(walls {float(o['wall']):.1f} -> {float(n['wall']):.1f} s)") in text
        better = float(n["gap"]) < float(o["gap"])
        assert better == (limit < 120)  # "better at 30 and 60 s, worse at 120 s"


def test_the_links_deadline_and_time_limits_cores_figures_are_the_committed_runs() -> None:
    """benchmarks/results/README.md quotes benchmarks/results/links-deadline (each limit's
    walls and gaps) and time-limits-cores (the 10^6-column rows' walls and gaps, old and
    new); the project README the largest overrun of links-deadline's new rows."""
    text = " ".join((ROOT / "benchmarks" / "results" / "README.md").read_text().split())
    rows = {(r["code"], float(r["limit"])): r for r in _time_limit_rows("links-deadline")}
    assert len(rows) == 6
    walls = ", ".join(f"{float(rows['old', lim]['wall']):.2f} -> "
                      f"{float(rows['new', lim]['wall']):.2f} s at {lim:g} s"
                      for lim in (30.0, 60.0, 120.0))
    assert f"walls {walls};" in text
    gap = {k: f"{100 * float(r['gap']):.2f}%" for k, r in rows.items()}
    assert (f"from the bound {gap['old', 30.0]} -> {gap['new', 30.0]} at 30 s and as before "
            f"at 60 and 120 s ({gap['new', 60.0]}, {gap['new', 120.0]})") in text
    assert all(gap["old", lim] == gap["new", lim] for lim in (60.0, 120.0))
    assert all(float(r["wall"]) <= float(r["limit"]) for (code, _), r in rows.items()
               if code == "new")
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "20,000 links (26 million columns with their pairs) within limits of 30-120 s" in readme
    assert all(float(r["wall"]) > float(r["limit"]) for (code, _), r in rows.items()
               if code == "old")  # docs/results.md: "before, each call ran past its limit"
    docs = " ".join((ROOT / "docs" / "results.md").read_text(encoding="utf-8").split())
    assert "at limits of 30-120 s before and after these rules: before, each call ran past " \
        "its limit" in docs

    big = [r for r in _time_limit_rows("time-limits-cores") if "50000x5" not in r["name"]]
    assert len(big) == 24

    def span(code: str, limits: set[float], key: str, scale: float = 1.0) -> str:
        return _span(big, code, limits, key, scale)

    late = {4.0, 8.0}
    assert (f"ends in {span('new', late, 'wall')} s at 4-8 s ({span('old', late, 'wall')} s), "
            f"{span('new', late, 'gap', 100)}% from the bound ({span('old', late, 'gap', 100)}"
            f"%); in {span('new', {2.0}, 'wall')} s at 2 s ({span('old', {2.0}, 'wall')} s), "
            f"{span('new', {2.0}, 'gap', 100)}% from the bound ({span('old', {2.0}, 'gap', 100)}"
            f"%); in {span('new', {1.0}, 'wall')} s at 1 s ({span('old', {1.0}, 'wall')} s)"
            ) in text


def test_the_time_limits_blocks_figures_are_the_committed_run() -> None:
    """benchmarks/results/README.md quotes benchmarks/results/time-limits-blocks, and the
    project README's time-limit sentence is its new rows and the held-out run's: within the
    limit from 2 s."""
    rows = _time_limit_rows("time-limits-blocks")
    big = [r for r in rows if "50000x5" not in r["name"]]
    assert len(big) == 30

    def span(code: str, limits: set[float], key: str, scale: float = 1.0) -> str:
        return _span(big, code, limits, key, scale)

    def past(code: str) -> list[float]:  # how far each row from 2 s ran past its limit
        over = (float(r["wall"]) - float(r["limit"]) for r in big
                if r["code"] == code and float(r["limit"]) >= 2)
        return [p for p in over if p > 0]

    text = " ".join((ROOT / "benchmarks" / "results" / "README.md").read_text().split())
    late = {4.0, 6.0, 8.0}
    one = {1.0}
    assert (f"the call ends in {span('new', {2.0}, 'wall')} s at 2 s ({span('old', {2.0}, 'wall')}"
            f" s before, in the same run), {span('new', {2.0}, 'gap', 100)}% from the bound "
            f"({span('old', {2.0}, 'gap', 100)}%); in {span('new', one, 'wall')} s at 1 s "
            f"({span('old', one, 'wall')} s), {span('new', one, 'gap', 100)}% from the bound as "
            f"before; in {span('new', late, 'wall')} s at 4-8 s ({span('old', late, 'wall')} s), "
            f"{span('new', late, 'gap', 100)}% from the bound ({span('old', late, 'gap', 100)}%)"
            ) in text
    assert span("new", one, "gap", 100) == span("old", one, "gap", 100)
    old_past = past("old")
    assert not past("new")
    assert (f"every new row from 2 s within its limit ({len(old_past)} old rows past it, by up "
            f"to {max(old_past):.2f} s)") in text
    small = [r for r in rows if "50000x5" in r["name"] and r["code"] == "new"]
    assert len(small) == 5 and max(float(r["gap"]) for r in small) < 4e-6
    # the project README: the new rows of this run and of the held-out one (seed 2)
    both = big + [r for r in _time_limit_rows("time-limits-blocks-s2")
                  if "50000x5" not in r["name"]]
    short = [r for r in both if r["code"] == "new" and float(r["limit"]) == 1.0]
    assert 0.01 <= min(float(r["gap"]) for r in short) < 0.1  # "a few percent"
    assert all(float(r["wall"]) <= float(r["limit"]) for r in both
               if r["code"] == "new" and float(r["limit"]) >= 2)
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert (f"ends within limits of 2-8 s, its answer {_span(both, 'new', {2.0}, 'gap', 100)}% "
            f"from its bound at 2 s, and in {_span(both, 'new', one, 'wall')} s at a limit of "
            "1 s, a few percent from its bound") in readme


def test_the_time_limits_blocks_heldout_figures_are_the_committed_run() -> None:
    """benchmarks/results/README.md quotes benchmarks/results/time-limits-blocks-s2 (seed 2):
    within the limit from 2 s, with its walls and gaps, old and new."""
    rows = _time_limit_rows("time-limits-blocks-s2")
    assert {r["name"].split("-")[2] for r in rows} == {"s2"}
    big = [r for r in rows if "50000x5" not in r["name"]]
    assert len(big) == 18

    def span(code: str, limits: set[float], key: str, scale: float = 1.0) -> str:
        return _span(big, code, limits, key, scale)

    text = " ".join((ROOT / "benchmarks" / "results" / "README.md").read_text().split())
    assert (f"ends in {span('new', {2.0}, 'wall')} s at 2 s ({span('old', {2.0}, 'wall')} s "
            f"before, in the same run), {span('new', {2.0}, 'gap', 100)}% from the bound "
            f"({span('old', {2.0}, 'gap', 100)}%: ") in text
    assert (f"in {span('new', {1.0}, 'wall')} s at 1 s ({span('old', {1.0}, 'wall')} s), "
            f"{span('new', {1.0}, 'gap', 100)}% from the bound as before; in "
            f"{span('new', {4.0}, 'wall')} s at 4 s ({span('old', {4.0}, 'wall')} s), "
            f"{span('new', {4.0}, 'gap', 100)}% from the bound ({span('old', {4.0}, 'gap', 100)}"
            "%); every new row from 2 s within its limit") in text
    assert span("new", {1.0}, "gap", 100) == span("old", {1.0}, "gap", 100)
    late = [r for r in big if float(r["limit"]) >= 2]
    assert all(float(r["wall"]) <= float(r["limit"]) for r in late if r["code"] == "new")
    assert sum(float(r["wall"]) > float(r["limit"]) for r in late if r["code"] == "old") == 2
    assert "and two old runs ended past the limit" in text
