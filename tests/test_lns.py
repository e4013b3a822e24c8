"""The large-neighbourhood search (placement.solvers.lns): HiGHS on a few freed functions, the
others held at the incumbent."""

from __future__ import annotations

import numpy as np
import pytest

import placement
from placement.io.orlib import gap_instance
from placement.milp import build
from placement.milp.construct import construct
from placement.milp.lagrangian import lagrangian_bound
from placement.milp.local_search import LocalSearch
from placement.solvers import lns
from placement.solvers.base import SolveOptions
from placement.solvers.lns import Neighbourhoods
from tests.conftest import BACKENDS, GAP_DIR

pytestmark = pytest.mark.skipif("highs" not in BACKENDS, reason="highspy is needed")


def _cycle_form():  # type: ignore[no-untyped-def]
    """Three jobs, three agents that hold one job each: every placement is a permutation.
    Job i costs 20 at agent i, 10 at agent i+1 and 1 at agent i-1 (mod 3): the shifted cycle
    costs 30, each of its swap neighbours (a transposition) 31, and the other cycle 3."""
    i = np.arange(3)
    cost = np.empty((3, 3))
    cost[i, i], cost[(i + 1) % 3, i], cost[(i - 1) % 3, i] = 20.0, 10.0, 1.0  # (agents, jobs)
    return build(gap_instance("cycle", cost=cost, use=np.full((3, 3), 5.0),
                              capacity=np.full(3, 5.0)))


def _placement(form, agent_of_job: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    x = np.zeros(form.n_cols)
    x[np.arange(form.n_functions) * form.n_units + agent_of_job] = 1.0
    return x


def test_leaves_a_local_optimum_of_shifts_and_swaps() -> None:
    form = _cycle_form()
    x = _placement(form, (np.arange(3) + 1) % 3)
    assert form.max_violation(x) == 0.0 and form.objective_of(x) == 30.0
    stuck = LocalSearch(form).improve(x, seed=0, kicks=20)
    assert stuck is not None and form.objective_of(stuck) == 30.0  # no shift fits, swaps cost
    out, improved = Neighbourhoods(form, SolveOptions()).improve(x, seed=0, steps=1)
    assert improved == 1 and form.objective_of(out) == 3.0
    assert form.max_violation(out) <= 1e-9


def test_holds_the_functions_it_does_not_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """With two of three jobs free, the cycle cannot turn (it moves all three): no step
    improves, and the placement is returned unchanged."""
    monkeypatch.setattr(lns, "FREE", 2)
    form = _cycle_form()
    x = _placement(form, (np.arange(3) + 1) % 3)
    out, improved = Neighbourhoods(form, SolveOptions()).improve(x, seed=0, steps=10)
    assert improved == 0 and np.array_equal(out, x)


@pytest.mark.parametrize("name", ["c1040_5", "b10100"])
def test_never_worsens_and_repeats_for_a_seed(name: str) -> None:
    form = build(placement.load(GAP_DIR / name, input_format="orlib-gap"))
    x0 = construct(form, 1.0, multipliers=lagrangian_bound(form, 1.0).multipliers).x
    assert x0 is not None
    runs = [Neighbourhoods(form, SolveOptions()).improve(x0, seed=5, steps=6)
            for _ in range(2)]
    (a, improved), (b, _) = runs
    assert np.array_equal(a, b)
    assert form.max_violation(a) <= 1e-6
    assert form.objective_of(a) <= form.objective_of(x0)  # GAP: minimise cost
    assert (improved > 0) == (form.objective_of(a) < form.objective_of(x0))


def test_a_stop_and_a_past_deadline_end_it_at_once() -> None:
    form = _cycle_form()
    x = _placement(form, (np.arange(3) + 1) % 3)
    nb = Neighbourhoods(form, SolveOptions())
    for kw in ({"stopped": lambda: True}, {"deadline": 0.0}):
        out, improved = nb.improve(x, seed=0, steps=5, **kw)  # type: ignore[arg-type]
        assert improved == 0 and np.array_equal(out, x)


def test_the_readme_states_the_freed_count_the_search_uses() -> None:
    from tests.conftest import ROOT

    text = " ".join((ROOT / "README.md").read_text().split())
    assert f"HiGHS on {lns.FREE} freed functions" in text
