"""The portfolio benchmark (benchmarks/portfolio.py): its summary, and the README's figures
against its committed runs."""

from __future__ import annotations

from pathlib import Path


def test_portfolio_summary_compares_with_the_best_single_backend() -> None:
    from benchmarks.portfolio import summary

    def row(name: str, solver: str, objective: float, found: str = "") -> dict:
        return {"instance": name, "solver": solver, "time_limit": 30.0, "threads": 2,
                "status": "time_limit", "objective": objective, "bound": 90.0,
                "checked": True, "best_known": 100.0,
                "gap_best_known_pct": round(objective - 100.0, 4),
                "gap_bound_pct": round(100 * (objective - 90.0) / objective, 4),
                "found_by": found, "exchanges": 3, "highs_waited": 0.5}

    rows = [row("a", "highs", 101.0), row("a", "cp-sat", 102.0),
            row("a", "portfolio", 100.05, "polish"),
            row("b", "highs", 100.0), row("b", "cp-sat", 103.0),
            row("b", "portfolio", 101.0, "highs-placement")]
    text = summary(rows, {"cpu": "test", "cores": 2}, Path("data/gap"))
    assert "| a | 100 |" in text and text.split("| a | 100 |")[1].split("\n")[0].endswith("yes |")
    assert text.split("| b | 100 |")[1].split("\n")[0].endswith("no |")
    assert "on 1 of 2 instances; under 0.1% of the best known on 1 of 2" in text
    assert "| a | polish | 3 | 0.5 |" in text and "| b | highs-placement | 3 | 0.5 |" in text


def _portfolio_rows(name: str) -> dict[tuple[str, str], dict[str, str]]:
    import csv

    from tests.conftest import ROOT

    rows = list(csv.DictReader((ROOT / "benchmarks/results" / name / "results.csv").open()))
    assert all(r["checked"] == "True" for r in rows)
    return {(r["instance"], r["solver"]): r for r in rows}


def _against_singles(by: dict[tuple[str, str], dict[str, str]]) -> tuple[list[str], int, int]:
    """The instances where the portfolio is worse than the better single backend, and how
    many of those where neither single backend proved the optimum it is strictly better on."""
    lost, strict, open_ = [], 0, 0
    for n in sorted({i for i, _ in by}):
        singles = [by[n, s] for s in ("highs", "cp-sat")]
        best = min(float(r["objective"]) for r in singles)
        mine = float(by[n, "portfolio"]["objective"])
        if mine > best:
            lost.append(n)
        if all(r["status"] != "optimal" for r in singles):
            open_ += 1
            strict += mine < best
    return lost, strict, open_


def test_the_readme_quotes_the_committed_portfolio_runs() -> None:
    """The README's sentences on OR-Library D/E are the rows of portfolio-core-sync (seeds 0
    and 1): wins against the better single backend, strict wins wherever neither single
    backend proved the optimum, the spread of the portfolio's gaps to the best known; and
    portfolio-core-seed1's one loss, before the first exchange moved."""
    from tests.conftest import ROOT

    text = " ".join((ROOT / "README.md").read_text().split())
    gaps_d, gaps_e, counts = [], [], []
    for seed, name in enumerate(("portfolio-core-sync", "portfolio-core-sync-seed1")):
        by = _portfolio_rows(name)
        assert {r["seed"] for r in by.values()} == {str(seed)}
        lost, strict, open_ = _against_singles(by)
        assert lost == [] and strict == open_
        counts.append(strict)
        for (n, solver), r in by.items():
            if solver == "portfolio":
                (gaps_d if n.startswith("d") else gaps_e).append(float(r["gap_best_known_pct"]))
        assert f"benchmarks/results/{name}/summary.md" in text
    assert "at least as good as the better of HiGHS and CP-SAT alone on 8 of 8 with either " \
           "seed and strictly better wherever neither proves the optimum " \
           f"({counts[0]} and {counts[1]} instances)" in text
    assert max(gaps_e) <= 0.0 and "reaches the best known value on the 4 E instances" in text
    assert f"is {min(gaps_d):.2f}-{max(gaps_d):.2f}% from it on the D instances" in text
    lost, _, _ = _against_singles(_portfolio_rows("portfolio-core-seed1"))
    assert lost == ["d20200"] and "with seed 1 HiGHS alone was better on d20200" in text
