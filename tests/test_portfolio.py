"""The portfolio backend (HiGHS + CP-SAT + local search in rounds) and its local search."""

from __future__ import annotations

import numpy as np
import pytest

import placement
from placement.io.orlib import gap_instance
from placement.milp import build
from placement.milp.construct import construct
from placement.milp.lagrangian import lagrangian_bound
from placement.milp.local_search import LocalSearch, applies
from placement.solvers import Status, get
from placement.solvers import portfolio as pf
from placement.solvers.base import SolveOptions
from tests.conftest import BACKENDS, GAP_DIR
from tests.test_orlib import BOUNDS

pytestmark = pytest.mark.skipif("portfolio" not in BACKENDS,
                                reason="highspy and ortools are both needed")


def _form(name: str):  # type: ignore[no-untyped-def]
    return build(placement.load(GAP_DIR / name, input_format="orlib-gap"))


@pytest.fixture
def tiny_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices so small that a gap1-12 problem takes several rounds (shared incumbents, local
    search between rounds) before a proof."""
    monkeypatch.setattr(pf, "HIGHS_NODES", 1)
    monkeypatch.setattr(pf, "CPSAT_DETERMINISTIC", 0.02)
    monkeypatch.setattr(pf, "MAX_DOUBLINGS", 12)


@pytest.mark.parametrize("name", ["c0515_1", "c0824_3", "c1040_5", "c1060_2"])
def test_proves_the_published_optimum_and_passes_the_checker(name: str) -> None:
    r = placement.solve(placement.load(GAP_DIR / name, input_format="orlib-gap"),
                        "portfolio", threads=2, seed=0)
    assert r.status is Status.OPTIMAL, r.message
    assert r.objective == pytest.approx(BOUNDS[name][0])
    assert r.bound is not None and r.bound <= r.objective + 1e-6
    assert r.check is not None and r.check.ok


@pytest.mark.parametrize("threads", [1, 2])
def test_same_seed_and_threads_give_the_same_run(tiny_slices: None, threads: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pf, "MAX_ROUNDS", 2)  # no time limit: rounds end at work limits only
    form = _form("c05100")  # not proven in one round of tiny slices: the second shares
    runs = [get("portfolio").solve(form, SolveOptions(threads=threads, seed=7))
            for _ in range(2)]
    assert runs[0].x is not None and form.max_violation(runs[0].x) <= 1e-6
    assert int(runs[0].extra["rounds"]) >= 2  # more than one round: sharing was exercised
    assert np.array_equal(runs[0].x, runs[1].x)
    trace = [[(c["component"], c.get("objective"), c.get("bound")) for c in r.extra[
        "components"]] for r in runs]  # type: ignore[attr-defined]
    assert trace[0] == trace[1]


def test_the_start_is_the_first_incumbent(tiny_slices: None,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    form = _form("c1040_5")
    start = construct(form, 1.0, multipliers=lagrangian_bound(form, 1.0).multipliers).x
    assert start is not None
    seen: list[np.ndarray | None] = []
    real = pf._highs_slice

    def spy(highs, form, options, start, nodes):  # type: ignore[no-untyped-def]
        seen.append(None if start is None else start.copy())
        return real(highs, form, options, start, nodes)

    monkeypatch.setattr(pf, "_highs_slice", spy)
    r = get("portfolio").solve(form, SolveOptions(threads=1, seed=0), start=start)
    assert seen[0] is not None and np.array_equal(seen[0], start)
    assert r.objective is not None and r.objective <= form.objective_of(start) + 1e-9


def test_an_infeasible_start_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    form = _form("c0515_1")
    bad = np.ones(form.n_cols)  # every function in every tier
    seen: list[np.ndarray | None] = []
    real = pf._highs_slice

    def spy(highs, form, options, start, nodes):  # type: ignore[no-untyped-def]
        seen.append(start)
        return real(highs, form, options, start, nodes)

    monkeypatch.setattr(pf, "_highs_slice", spy)
    r = get("portfolio").solve(form, SolveOptions(threads=1), start=bad)
    assert seen[0] is None
    assert r.status is Status.OPTIMAL and r.objective == pytest.approx(BOUNDS["c0515_1"][0])


def test_time_limit_answers_with_an_incumbent_and_a_bound() -> None:
    form = _form("c1060_2")
    r = get("portfolio").solve(form, SolveOptions(time_limit=0.5, threads=2))
    assert r.status in (Status.OPTIMAL, Status.TIME_LIMIT)
    if r.x is not None:
        assert form.max_violation(r.x) <= 1e-6
        assert r.bound is not None and r.bound <= r.objective + 1e-6


def test_local_search_never_worsens_and_repeats_for_a_seed() -> None:
    form = _form("c1040_5")
    assert applies(form)
    x0 = construct(form, 1.0, multipliers=lagrangian_bound(form, 1.0).multipliers).x
    assert x0 is not None
    ls = LocalSearch(form)
    a = ls.improve(x0, seed=3, kicks=10)
    b = ls.improve(x0, seed=3, kicks=10)
    assert a is not None and b is not None and np.array_equal(a, b)
    assert form.max_violation(a) <= 1e-9
    assert form.objective_of(a) <= form.objective_of(x0)  # GAP: minimise cost


def test_local_search_finds_an_improving_swap() -> None:
    # two jobs, two agents each holding one job: only a swap (no shift fits) gains
    inst = gap_instance(
        "swap", cost=np.array([[1.0, 10.0], [10.0, 1.0]]),
        use=np.array([[5.0, 5.0], [5.0, 5.0]]), capacity=np.array([5.0, 5.0]))
    form = build(inst)
    worst = np.zeros(form.n_cols)
    worst[[1, 2]] = 1.0  # job1 at agent2, job2 at agent1: cost 20
    assert form.max_violation(worst) == 0.0 and form.objective_of(worst) == 20.0
    x = LocalSearch(form).improve(worst, seed=0, kicks=0)
    assert x is not None and form.objective_of(x) == 2.0
