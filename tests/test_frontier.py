"""The budget frontier: exact breakpoints checked against enumeration (tiny instances and
random small ones, both senses, move costs, links, caps), monotone in the budget, the instance's
own optimum on it, the chart, and located errors."""

from __future__ import annotations

import dataclasses
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import placement
from placement.analysis.frontier import frontier
from placement.analysis.frontier_result import Frontier
from placement.errors import InstanceError
from placement.model import Instance
from tests.conftest import INSTANCES, brute_force
from tests.strategies import frontier_instances

# instances with a staff resource: budget, cap, max_moves, links of every kind
TINY = ["tiny-budget", "tiny-cap", "tiny-moves", "tiny-infeasible", "tiny-link-together",
        "tiny-link-together-soft", "tiny-link-above", "tiny-link-above-soft",
        "tiny-link-coterminous", "tiny-link-coterminous-soft"]


def with_budget(inst: Instance, resource: str, budget: float | None) -> Instance:
    res = tuple(dataclasses.replace(r, budget=budget) if r.id == resource else r
                for r in inst.resources)
    return inst.replace(resources=res)


def below(x: float) -> float:
    """A budget just under a breakpoint: below it, above any smaller use in these data."""
    return x - 1e-4 * max(1.0, abs(x))  # the checker forgives 1e-6 relative


def assert_matches_enumeration(inst: Instance, fr: Frontier, resource: str) -> None:
    """At every breakpoint the step's value is the enumerated optimum; just below it the next
    step's (or nothing, below the last); with no budget the first step's."""
    sign = 1.0 if inst.sense == "max" else -1.0
    steps = fr.steps  # descending budget
    top, _ = brute_force(with_budget(inst, resource, None))
    assert top == pytest.approx(steps[0].value, abs=1e-7)
    for k, s in enumerate(steps):
        at, best = brute_force(with_budget(inst, resource, s.budget_from))
        assert at == pytest.approx(s.value, abs=1e-7), (k, s.budget_from)
        if k > 0:  # what changes at the breakpoint above: the fewest functions that must
            fewest = min(int(np.count_nonzero(b != steps[k - 1].assignment)) for b in best)
            assert len(steps[k - 1].moves) == fewest, (k, s.budget_from)
        under, _ = brute_force(with_budget(inst, resource, below(s.budget_from)))
        if k + 1 < len(steps):
            assert under == pytest.approx(steps[k + 1].value, abs=1e-7), (k, s.budget_from)
            assert sign * steps[k + 1].value < sign * s.value
        else:
            assert fr.complete_below and under is None
        # the reported placement reaches the value with exactly that use
        rep = placement.evaluate(with_budget(inst, resource, s.budget_from), s.assignment)
        assert rep.check is not None and rep.check.ok, rep.check.summary()
        assert rep.objective == pytest.approx(s.value, abs=1e-9)


@pytest.mark.parametrize("name", TINY)
def test_tiny_frontier_matches_enumeration(name: str) -> None:
    inst = placement.load(INSTANCES / name)
    fr = frontier(inst, "staff")
    assert fr.steps and not fr.truncated
    assert_matches_enumeration(inst.with_scenario(None), fr, "staff")


def test_tiny_budget_by_hand() -> None:
    """README of tiny-budget: 18 without a budget (commissioning local needs 100 staff),
    17.5 from 13 staff (commissioning at region), the instance's budget is 50."""
    fr = frontier(placement.load(INSTANCES / "tiny-budget"), "staff")
    df = fr.frame()
    assert df["budget_from"].tolist() == pytest.approx([2.011, 2.11, 3.1, 12.01, 13.0, 112.0])
    assert df["value"].tolist() == pytest.approx([13.0, 15.0, 15.5, 17.0, 17.5, 18.0])
    assert math.isinf(df["budget_to"].iloc[-1])
    assert (df["budget_to"].iloc[:-1].to_numpy() == df["budget_from"].iloc[1:].to_numpy()).all()
    assert fr.value_at(50.0) == fr.optimum == pytest.approx(17.5)
    assert fr.value_at(2.0) is None and fr.value_at(112.0) == pytest.approx(18.0)
    ch = fr.changes()
    at112 = ch[ch["breakpoint"] == 112.0]
    assert at112[["function", "below", "at_or_above"]].values.tolist() == [
        ["commissioning", "region", "local"]]
    # at 12.01 two functions change together: the fewest moves that reach 17
    assert sorted(ch[ch["breakpoint"] == 12.01]["function"]) == ["commissioning", "prevention"]
    pl = fr.placements()
    assert pl.loc["commissioning"].tolist() == ["national", "national", "region", "national",
                                                "region", "local"]


def test_infeasible_at_its_own_budget_shows_where_placements_begin() -> None:
    """tiny-infeasible: the pins need 112 staff and the budget is 50."""
    fr = frontier(placement.load(INSTANCES / "tiny-infeasible"), "staff")
    assert fr.optimum is None and fr.budget == 50
    assert fr.breakpoints[0] == pytest.approx(112.0) and fr.complete_below
    assert fr.value_at(50.0) is None


def test_range_lower_and_upper() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    fr = frontier(inst, "staff", lower=12.5, upper=100.0)
    df = fr.frame()
    # from the step covering 12.5 (starts at 12.01) up to 100 (inside the 17.5 step)
    assert df["budget_from"].tolist() == pytest.approx([12.01, 13.0])
    assert df["budget_to"].iloc[-1] == 100.0 and not fr.complete_below
    with pytest.raises(InstanceError, match="--to"):
        frontier(inst, "staff", upper=1.0)
    with pytest.raises(InstanceError, match="--from"):
        frontier(inst, "staff", lower=20.0, upper=10.0)


def test_unknown_resource_and_rounding_backend_are_located() -> None:
    inst = placement.load(INSTANCES / "tiny-budget")
    with pytest.raises(InstanceError, match=r"resource: found 'money'.*\(staff\)"):
        frontier(inst, "money")
    with pytest.raises(InstanceError, match="solver: found"):
        frontier(inst, "staff", solver="cp-sat")


def test_plot_writes_a_png(tmp_path: Path) -> None:
    fr = frontier(placement.load(INSTANCES / "tiny-budget"), "staff")
    out = fr.plot(tmp_path / "frontier.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_json_has_every_step() -> None:
    import json

    fr = frontier(placement.load(INSTANCES / "tiny-budget"), "staff")
    d = json.loads(fr.to_json())
    assert [s["budget_from"] for s in d["steps"]] == pytest.approx(fr.breakpoints)
    assert d["steps"][-1]["budget_to"] is None  # unbounded
    assert d["steps"][-1]["placement"]["commissioning"] == "local"


# -- random small instances ---------------------------------------------------------------



@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(frontier_instances())
def test_random_frontier_is_monotone_and_exact(inst: Instance) -> None:
    try:
        fr = frontier(inst, "staff")
    except placement.InfeasibleError:
        # infeasible at every budget: then enumeration finds nothing without a budget either
        assert brute_force(with_budget(inst, "staff", None))[0] is None
        return
    sign = 1.0 if inst.sense == "max" else -1.0
    df = fr.frame()
    # the optimum never gets worse as the budget grows, and every step is a real change
    assert (np.diff(sign * df["value"].to_numpy()) > 0).all()
    assert (np.diff(df["budget_from"].to_numpy()) > 0).all()
    assert_matches_enumeration(inst, fr, "staff")
    own = inst.resources[0].budget
    assert own is not None
    expected, _ = brute_force(inst)
    got = fr.value_at(own)
    assert (got is None) == (expected is None)
    if got is not None:
        assert got == pytest.approx(expected, abs=1e-7)


def test_breakpoint_lists_only_the_moves_that_must_happen() -> None:
    """Found by hypothesis when the fewest-moves solve was skipped: below the breakpoint at 1
    the value 0 is reached with f1 moved back alone, not with f0 moved as well."""
    import pandas as pd

    from tests.strategies import _tier_frame

    funcs = pd.DataFrame({"id": ["f0", "f1"], "name": ["f0", "f1"],
                          "current": ["centre", "centre"], "staff_fixed": [0, 0],
                          "staff_variable": [0, 0], "staff_move": [0.0, 1.0]})
    values = pd.DataFrame([[0.0, 0.0], [0.0, 0.5]], columns=["centre", "middle"],
                          index=["f0", "f1"])
    inst = placement.from_frames(
        "ties", _tier_frame(("centre", "middle")), funcs, values=values, sense="max",
        resources=[placement.model.Resource("staff", "Staff", budget=0.0)], max_moves=1)
    fr = frontier(inst, "staff")
    assert [(s.budget_from, s.value) for s in fr.steps] == [(1.0, 0.5), (0.0, 0.0)]
    assert [str(m) for m in fr.steps[0].moves] == ["f1: centre -> middle"]
    assert_matches_enumeration(inst, fr, "staff")


@pytest.mark.parametrize("name", ["tiny-budget", "tiny-cap", "tiny-moves",
                                  "tiny-link-together", "england-2024-uniform"])
def test_a_value_querys_start_is_the_best_single_move_that_fits(name: str) -> None:
    """The start each value query is offered (:meth:`BudgetSearch.start_below`) fits every
    row, bound and pin at the query's budget and is worth the most of any one move, by
    enumeration of the moves; None exactly when no move fits."""
    from placement.analysis.frontier_search import BudgetSearch

    # the instance the frontier searches: the solve's (tiers no function may take dropped)
    inst = placement.solve(placement.load(INSTANCES / name)).instance
    search = BudgetSearch(inst, 0, "highs", None)  # staff in each of these
    steps = frontier(inst, inst.resources[0].id).steps
    F, T = inst.n_functions, inst.n_tiers
    for step, share in itertools.product(steps[:: max(1, len(steps) // 12)],
                                         (1 - 1e-6, 0.99, 0.9)):
        a = step.assignment
        budget = share * search.use(a)
        up = search.form.row_upper.copy()
        up[search.budget_row] = budget
        form = dataclasses.replace(search.form, row_upper=up)
        best = None
        for f in range(F):
            for t in range(T):
                if t == a[f]:
                    continue
                b = a.copy()
                b[f] = t
                x = np.zeros(form.n_cols)
                x[np.arange(F) * T + b] = 1.0
                if form.n_cols == search.nx and form.max_violation(x) <= 1e-9:
                    v = float(search.obj_value @ x)
                    best = v if best is None else max(best, v)
        got = search.start_below(a, budget)
        if best is None:
            assert got is None
            continue
        assert got is not None and int(np.count_nonzero(got != a)) == 1
        x = np.zeros(form.n_cols)
        x[np.arange(F) * T + got] = 1.0
        assert form.max_violation(x) <= 1e-9
        assert float(search.obj_value @ x) == pytest.approx(best, rel=1e-12, abs=1e-12)


def test_steps_settled_on_their_own_thread_match_one_after_the_other(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The fewest-moves queries run beside the value queries; run in line instead (each step
    settled as soon as it is final), the frontier is the same, step for step."""
    from concurrent.futures import Future

    from placement.analysis import frontier_search as fs

    inst = placement.load(INSTANCES / "england-2024-uniform")
    beside = frontier(inst, "staff_fte", max_steps=40)

    settled_in_line: list[int] = []

    class Inline:
        def __init__(self, max_workers: int, thread_name_prefix: str) -> None:
            pass

        def submit(self, fn, *args):  # type: ignore[no-untyped-def]
            settled_in_line.append(1)
            f: Future[None] = Future()
            f.set_result(fn(*args))
            return f

        def shutdown(self, wait: bool) -> None:
            pass

    monkeypatch.setattr(fs, "ThreadPoolExecutor", Inline)
    inline = frontier(inst, "staff_fte", max_steps=40)
    assert len(settled_in_line) == len(inline.steps)  # every step settled in line
    assert len(beside.steps) == len(inline.steps) > 10
    for s, t in zip(beside.steps, inline.steps, strict=True):
        assert (s.budget_from, s.budget_to, s.value) == (t.budget_from, t.budget_to, t.value)
        assert np.array_equal(s.assignment, t.assignment)
    assert beside.solves == inline.solves


def test_an_error_while_settling_a_step_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    from placement.analysis import frontier_search as fs
    from placement.errors import AnalysisError

    def fail(self, a, prev):  # type: ignore[no-untyped-def]
        raise AnalysisError("settle failed")

    monkeypatch.setattr(fs.BudgetSearch, "settle", fail)
    with pytest.raises(AnalysisError, match="settle failed"):
        frontier(placement.load(INSTANCES / "tiny-budget"), "staff")


# -- the Pareto table of the value queries --------------------------------------------------


@settings(max_examples=120, deadline=None)
@given(st.integers(1, 5), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_pareto_table_answers_as_enumeration_does(F: int, T: int, seed: int) -> None:
    from placement.analysis.frontier_table import ParetoTable

    rng = np.random.default_rng(seed)
    value = rng.integers(0, 6, size=(F, T)).astype(float)  # small integers: ties abound
    use = rng.integers(0, 6, size=(F, T)).astype(float)
    allowed = rng.random((F, T)) < 0.8
    allowed[np.arange(F), rng.integers(0, T, size=F)] = True
    table = ParetoTable.build(value, use, allowed)
    assert table is not None
    every = [np.array(a) for a in itertools.product(range(T), repeat=F)
             if allowed[np.arange(F), list(a)].all()]
    worth = np.array([value[np.arange(F), a].sum() for a in every])
    used = np.array([use[np.arange(F), a].sum() for a in every])
    for budget in np.arange(-1.0, 6.0 * F + 1.0, 0.5):
        got = table.best(budget)
        fits = used <= budget
        if not fits.any():
            assert got is None
            continue
        assert got is not None and allowed[np.arange(F), got].all()
        best = worth[fits].max()
        least = used[fits & (worth == best)].min()
        assert value[np.arange(F), got].sum() == best  # the most valuable within the budget
        assert use[np.arange(F), got].sum() == least  # and the least use of that value


def test_pareto_table_steps_aside_when_it_would_grow_too_large(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from placement.analysis import frontier_table as ft

    rng = np.random.default_rng(0)
    value, use = rng.random((12, 4)), rng.random((12, 4))
    allowed = np.ones((12, 4), dtype=bool)
    assert ft.ParetoTable.build(value, use, allowed) is not None
    monkeypatch.setattr(ft, "MAX_ENTRIES", 5)
    assert ft.ParetoTable.build(value, use, allowed) is None
    none = allowed.copy()
    none[3] = False  # a function with no tier allowed
    assert ft.ParetoTable.build(value, use, none) is None


def test_frontier_from_the_table_is_the_frontier_solved(monkeypatch: pytest.MonkeyPatch) -> None:
    """England's staff frontier with the table (most value queries answered from it, the
    rest solved where its answer breaks the national staff cap) and without (every value
    query solved): the same steps, values, placements' moves."""
    from placement.analysis import frontier_search as fs

    inst = placement.load(INSTANCES / "england-2024-uniform")
    searches: list[fs.BudgetSearch] = []
    real_descend = fs.descend

    def keep(search, *args, **kwargs):  # type: ignore[no-untyped-def]
        searches.append(search)
        return real_descend(search, *args, **kwargs)

    import sys

    monkeypatch.setattr(sys.modules["placement.analysis.frontier"], "descend", keep)
    with_table = frontier(inst, "staff_fte", max_steps=60)
    assert searches[-1].tabled > 0 and with_table.solves > 0  # both kinds of answer
    monkeypatch.setattr(fs.ParetoTable, "build", classmethod(lambda cls, *a: None))
    solved = frontier(inst, "staff_fte", max_steps=60)
    assert searches[-1].tabled == 0 and solved.solves > with_table.solves
    assert len(with_table.steps) == len(solved.steps) == 60
    for s, t in zip(with_table.steps, solved.steps, strict=True):
        assert s.budget_from == pytest.approx(t.budget_from, rel=1e-12)
        assert s.value == pytest.approx(t.value, rel=1e-12)
        assert len(s.moves) == len(t.moves)
