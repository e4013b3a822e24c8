"""The core search (placement.solvers.core_search): HiGHS on each function's few columns of
least reduced cost, and the bound on the whole form that it proves."""

from __future__ import annotations

import numpy as np
import pytest

import placement
from placement.io.orlib import gap_instance
from placement.milp import build
from placement.solvers import core_search as cs
from placement.solvers import portfolio as pf
from placement.solvers import portfolio_side as sides
from placement.solvers.base import SolveOptions, Status
from placement.solvers.highs import HighsBackend
from tests.conftest import BACKENDS, GAP_DIR

pytestmark = pytest.mark.skipif("portfolio" not in BACKENDS,
                                reason="highspy and ortools are both needed")


def _gap(seed: int, room: float):  # type: ignore[no-untyped-def]
    """Ten jobs, six agents; costs fall as a job's use of the agent rises (as in OR-Library's
    D type); each agent holds ``room`` times its share of the jobs' mean use."""
    rng = np.random.default_rng(seed)
    use = rng.integers(5, 26, size=(6, 10)).astype(float)
    cost = 60.0 - 2.0 * use + rng.integers(0, 20, size=(6, 10))
    capacity = np.floor(room * use.sum(axis=1) / 6)
    return build(gap_instance(f"g{seed}", cost=cost, use=use, capacity=capacity))


def test_its_bound_holds_whether_the_core_holds_the_optimum_or_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two columns per job: with tight agents the core misses every optimum (or holds no
    placement at all), and its bound is then the excluded columns'; with roomy agents it
    proves the optimum. Either way no bound cuts off the optimum, and every placement is
    feasible."""
    monkeypatch.setattr(cs, "CORE_COLUMNS", 2)
    missed = proved = infeasible = 0
    for seed in range(12):
        for room in (0.8, 3.0):
            form = _gap(seed, room)
            exact = HighsBackend().solve(form, SolveOptions(threads=1, rel_gap=0.0))
            assert exact.status is Status.OPTIMAL and exact.objective is not None
            r = cs.CoreSearch(form, SolveOptions(threads=1)).search(None, nodes=10**6)
            assert r.bound is not None and r.bound <= exact.objective + 1e-9  # min: below
            value = None if r.x is None else form.objective_of(r.x)
            if r.x is not None:
                assert form.max_violation(r.x) <= 1e-6
                assert value is not None and value >= exact.objective - 1e-9
            infeasible += r.status == "infeasible"
            missed += value is None or value > exact.objective + 1e-9
            proved += value is not None and r.bound >= value - 1e-9
    assert infeasible >= 1 and missed >= 6 and proved >= 6, (infeasible, missed, proved)


def test_a_stop_or_a_past_deadline_ends_it_before_highs_starts() -> None:
    form = _gap(0, 3.0)
    search = cs.CoreSearch(form, SolveOptions(threads=1))
    for kw in ({"stopped": lambda: True}, {"deadline": 0.0}):
        r = search.search(None, nodes=10**6, **kw)  # type: ignore[arg-type]
        assert r.status == "skipped" and r.x is None and r.bound is None


def test_it_starts_from_a_placement_only_where_its_core_holds_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS is handed the start restricted to the core's columns, or no start where the
    start uses a column the core leaves out."""
    from placement.solvers.highs import HighsSession

    starts: list[np.ndarray | None] = []
    real = HighsSession.set_start
    monkeypatch.setattr(HighsSession, "set_start", lambda self, x: (
        starts.append(None if x is None else np.array(x)), real(self, x))[1])
    monkeypatch.setattr(cs, "CORE_COLUMNS", 2)
    form = _gap(3, 3.0)
    search = cs.CoreSearch(form, SolveOptions(threads=1))
    exact = HighsBackend().solve(form, SolveOptions(threads=1, rel_gap=0.0))
    assert exact.x is not None
    inside = search.search(exact.x, nodes=1)
    assert starts[-1] is not None and starts[-1].sum() == form.n_functions
    assert inside.columns == 2 * form.n_functions
    assert inside.x is not None and form.objective_of(inside.x) == exact.objective
    worst = np.asarray(search.pricing.penalty[: form.n_x]).reshape(  # type: ignore[union-attr]
        form.n_functions, form.n_units).argmax(axis=1)
    out = np.zeros(form.n_cols)
    out[np.arange(form.n_functions) * form.n_units + worst] = 1.0  # every job's dearest
    search.search(out, nodes=1)
    assert starts[-1] is None


def test_a_core_is_searched_where_it_keeps_a_fifth_of_the_columns_or_less() -> None:
    """20 agents (OR-Library's d20100): four columns of 20 per job; 10 agents (e10100): four
    of 10, where HiGHS alone proves the optimum in the time a core search would keep it
    waiting."""
    big = build(placement.load(GAP_DIR / "d20100", input_format="orlib-gap"))
    small = build(placement.load(GAP_DIR / "e10100", input_format="orlib-gap"))
    assert cs.CORE_COLUMNS * big.n_functions <= cs.CORE_SHARE * big.n_x
    assert cs.applies(big) and not cs.applies(small)
    assert cs.core_search(big, SolveOptions(threads=1), max_columns=big.n_cols) is not None
    assert cs.core_search(big, SolveOptions(threads=1), max_columns=big.n_cols - 1) is None
    relaxed = big._copy(integrality=np.zeros(big.n_cols, dtype=bool))
    assert not cs.applies(relaxed)


@pytest.mark.parametrize("threads", [1, 2])
def test_the_portfolio_takes_the_core_search_and_repeats_for_a_seed(
        monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    """b05100 with a core of two columns of five (the share allowed to any): the first
    round searches the core, its placement and bound are taken at the first exchange, and
    two runs are the same."""
    monkeypatch.setattr(cs, "CORE_COLUMNS", 2)
    monkeypatch.setattr(cs, "CORE_SHARE", 1.0)
    monkeypatch.setattr(sides, "CORE_NODES", 50)
    monkeypatch.setattr(sides, "CPSAT_DETERMINISTIC", 0.02)
    monkeypatch.setattr(sides, "LNS_STEPS", 2)
    monkeypatch.setattr(pf, "SYNC_NODES", 1)
    monkeypatch.setattr(pf, "CORE_SYNC_NODES", 5)
    monkeypatch.setattr(pf, "MAX_ROUNDS", 2)
    form = build(placement.load(GAP_DIR / "b05100", input_format="orlib-gap"))
    from placement.solvers import get

    runs = [get("portfolio").solve(form, SolveOptions(threads=threads, seed=3))
            for _ in range(2)]
    log = runs[0].extra["components"]
    core = [c for c in log if c["component"] == "core"]  # type: ignore[union-attr]
    assert len(core) == 1 and core[0]["round"] == 0 and core[0]["nodes"] <= 50
    assert core[0]["columns"] == 2 * form.n_functions
    assert runs[0].x is not None and form.max_violation(runs[0].x) <= 1e-6
    assert runs[0].bound is not None and runs[0].bound <= runs[0].objective + 1e-9
    trace = [[(c["component"], c.get("objective"), c.get("bound")) for c in r.extra[
        "components"]] for r in runs]  # type: ignore[attr-defined]
    assert trace[0] == trace[1]


def test_the_readme_states_the_core_the_portfolio_searches() -> None:
    from tests.conftest import ROOT

    text = " ".join((ROOT / "README.md").read_text().split())
    assert cs.CORE_SHARE == 0.2 and "keeps a fifth of the columns or fewer" in text
    assert f"HiGHS on each function's {cs.CORE_COLUMNS} columns of least reduced cost" in text


def test_a_form_it_cannot_price_is_not_searched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pricing needs assignment rows to keep: where it fails, every search is skipped."""
    import placement.milp.core as core

    def refuse(form, multipliers):  # type: ignore[no-untyped-def]
        raise ValueError("the form has no assignment rows to keep: no core to find")

    monkeypatch.setattr(core, "price", refuse)
    search = cs.CoreSearch(_gap(0, 3.0), SolveOptions(threads=1))
    assert search.pricing is None
    assert search.search(None, nodes=10).status == "skipped"


def test_the_first_exchange_waits_for_core_sync_nodes_beside_a_core_search() -> None:
    """Beside a side on its own thread that begins with a core search, HiGHS's first exchange
    is at CORE_SYNC_NODES; without a core search, or with the side in HiGHS's callback (one
    thread), at SYNC_NODES."""
    from types import SimpleNamespace

    from placement.solvers.portfolio_side import State

    form = _gap(0, 3.0)
    for core, inline, first in ((object(), False, pf.CORE_SYNC_NODES),
                                (object(), True, pf.SYNC_NODES), (None, False, pf.SYNC_NODES)):
        side = SimpleNamespace(core=core, inline=inline)
        exchange = pf._Exchange(form, SolveOptions(), State(sign=-1.0),
                                side=side)  # type: ignore[arg-type]
        assert exchange.next_sync == first
    assert pf.CORE_SYNC_NODES > pf.SYNC_NODES
