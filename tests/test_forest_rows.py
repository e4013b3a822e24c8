"""The Lagrangian bound with the links kept when several rows are priced (a budget with
per-tier caps, a row with a lower side): placement.milp.forest_rows against the LP, the
enumerated optimum and a re-derivation from its multipliers alone."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

import placement
from placement.io.synthetic import generate
from placement.milp import build
from placement.milp.forest import Forest, _differing
from placement.milp.forest_rows import rows_search
from placement.milp.link_forest import forest_bound, forest_pricing
from placement.solution.anytime import _complete
from placement.solution.checker import check
from placement.solvers import Status
from tests.test_lagrangian import _lp_optimum


def _rederived(form: placement.milp.CanonicalForm, fb: object) -> float:
    """L at the bound's multipliers, from nothing but the form and those multipliers."""
    y = fb.multipliers  # type: ignore[attr-defined]
    rows = fb.rows  # type: ignore[attr-defined]
    F, T = form.n_functions, form.n_tiers
    sign = float(form.sense.sign)
    c = np.where(form.allowed_grid(), (sign * form.c[: form.n_x]).reshape(F, T), -np.inf)
    R = form.A[rows][:, : form.n_x]
    theta = c - (R.T @ y).reshape(F, T)
    _, values = fb.forest.solve(theta, np.arange(F))  # type: ignore[attr-defined]
    side = np.where(y > 0, form.row_upper[rows], np.where(y < 0, form.row_lower[rows], 0.0))
    return sign * (float(values.sum()) + float(y[y != 0] @ side[y != 0]) + sign * form.offset)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), functions=st.integers(4, 60), tiers=st.integers(2, 5),
       tight=st.sampled_from([0.3, 0.6, 0.9]), caps=st.sampled_from([0.1, 0.3]),
       density=st.sampled_from([0.0, 0.2]))
@example(seed=277, functions=48, tiers=3, tight=0.3, caps=0.1, density=0.2)  # a cycle
def test_caps_bound_is_the_lp_s_or_stronger_and_re_derives(seed: int, functions: int,
                                                           tiers: int, tight: float,
                                                           caps: float, density: float) -> None:
    inst = generate(functions, tiers, seed=seed, budget_tightness=tight, link_density=density,
                    cap_tightness=caps)
    form = build(inst)
    fb = forest_bound(inst, form)
    assume(fb is not None)
    caps_n = len(inst.resources[0].caps)  # a cap on each tier below the national one that
    assume(caps_n >= 1)                   # some function is best at
    assert fb is not None and fb.rows.shape[0] == 1 + caps_n  # and the budget
    assert fb.converged
    plain = placement.solve(inst, structure=False)
    assert plain.status is Status.OPTIMAL and plain.objective is not None
    tol = 1e-7 * max(1.0, abs(plain.objective))
    assert fb.bound >= plain.objective - tol  # a bound on the optimum
    lp = _lp_optimum(form)
    assert lp is not None
    if fb.left_out == 0:  # every link kept: no weaker than the LP's (a link a random cycle
        assert fb.bound <= lp + tol  # leaves out relaxes it: seed 277, 48 x 3, 1 of 10 out,
    #                                   0.007% above the LP's)
    unrounded = form.sense.sign * fb.value  # the bound before an integral objective rounds it
    assert fb.bound == form.round_bound(unrounded)
    if density == 0.0:
        assert unrounded == pytest.approx(lp, abs=tol)  # no links: the LP bound itself
    assert _rederived(form, fb) == pytest.approx(unrounded, abs=1e-9 * max(1.0, abs(unrounded)))
    assert np.all(fb.multipliers >= 0)  # every row here has only its upper side
    if fb.meets:  # tiers raised along the prices until they keep every row, filled back
        x = _complete(form, fb.x)  # (when no multiple of the prices does, the caller builds
        assert x is not None and form.max_violation(x) <= 1e-6  # a placement instead)
        assert check(inst, form.assignment_of(x)).ok


def test_a_row_priced_on_its_lower_side() -> None:
    # at least so much staff at the most local tier: the search must price the row's lower
    # side (a negative multiplier) and still meet the LP's bound
    inst = generate(40, 4, seed=1, budget_tightness=0.6, cap_tightness=0.2)
    form = build(inst)
    staff = inst.cost_tensor[:, :, 0]
    row = np.zeros((1, form.n_cols))
    row[0, np.arange(40) * 4 + 3] = staff[:, 3]
    need = 0.5 * inst.resources[0].caps["t03"]  # half what the most local tier may hold
    form = form.with_rows(row, need, np.inf, "local", ["local"])
    fb = forest_bound(inst, form)
    assert fb is not None and fb.converged
    assert fb.rows.shape[0] == 2 + len(inst.resources[0].caps)  # budget, caps, this row
    assert fb.multipliers[-1] < 0  # the lower side binds
    lp = _lp_optimum(form)
    assert lp is not None and fb.bound == pytest.approx(lp, abs=1e-7 * abs(lp))
    assert _rederived(form, fb) == pytest.approx(fb.bound, abs=1e-9 * abs(fb.bound))


def test_multipliers_stay_zero_when_the_best_tiers_meet_every_row() -> None:
    n, K = 5, 3
    c = np.arange(n * K, dtype=float).reshape(n, K)
    R = sp.csr_matrix(np.ones((2, n * K)))
    found = rows_search(Forest.singletons(n, K), c, R, np.full(2, -np.inf), np.full(2, 10.0))
    assert found is not None and found.converged and found.meets
    assert found.evaluations == 1 and np.all(found.multipliers == 0)
    assert found.value == float(c.max(axis=1).sum())
    blocked = np.where(np.arange(K) == 0, -np.inf, c)
    blocked[0] = -np.inf  # a function with no tier at all: nothing to bound
    assert rows_search(Forest.singletons(n, K), blocked, R, np.full(2, -np.inf),
                       np.full(2, 10.0)) is None


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_caps_penalties_bound_every_placement_using_the_column(seed: int) -> None:
    inst = generate(6, 3, seed=seed, budget_tightness=0.5, link_density=0.3,
                    cap_tightness=0.3)
    form = build(inst)
    fb = forest_bound(inst, form)
    assert fb is not None and fb.rows.shape[0] == 1 + len(inst.resources[0].caps) >= 2
    pricing = forest_pricing(form, fb)
    assert pricing.bound(form) == fb.bound
    F, T = inst.n_functions, inst.n_tiers
    seen = 0
    for a in itertools.product(range(T), repeat=F):
        rep = check(inst, np.array(a))
        if not rep.ok:
            continue
        seen += 1
        xp = np.zeros(form.n_x)
        xp[np.arange(F) * T + np.array(a)] = 1.0
        x = _complete(form, xp)
        assert x is not None
        worst = pricing.penalty[x > 0.5].max()
        assert pricing.value - form.sense.sign * rep.objective - worst >= -1e-9
    assert seen > 0


def test_capped_linked_instance_is_proven_within_the_gap_through_the_forest() -> None:
    # caps make the proof to the last 1e-9 a multi-row knapsack's (HiGHS does not close
    # it in a minute on either path): asked for 1e-5, the forest's bound and tiers filled
    # to meet every row give it without the LP
    inst = generate(3_000, 5, seed=2, budget_tightness=0.6, link_density=0.1,
                    cap_tightness=0.2)
    r = placement.solve(inst, structure=True, rel_gap=1e-5)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    assert r.gap is not None and r.gap <= 1e-5
    details = r.extra["solver_details"]["structure"]
    fb = details["forest_bound"]
    assert fb["rows"] == 5 and fb["links"] == 300 and fb["converged"] and fb["meets_rows"]
    assert fb["bound"] == pytest.approx(31798.4957, abs=1e-3)
    assert r.bound is not None and r.bound <= fb["bound"]  # the core may tighten it
    assert not any("sifting" in e for e in details["rounds"])
    plain = placement.solve(inst, structure=False, time_limit=20, rel_gap=1e-5)
    assert plain.objective is not None and plain.objective <= r.bound + 1e-9


def test_cheapest_per_row_keeps_k_columns_a_row_and_every_column_outside_them() -> None:
    from placement.milp.core import cheapest_core, cheapest_per_row

    inst = generate(30, 4, seed=2, link_density=0.3, cap_tightness=0.2)
    form = build(inst)
    fb = forest_bound(inst, form)
    assert fb is not None
    pricing = forest_pricing(form, fb)
    mask = cheapest_per_row(form, pricing, 2)
    x = mask[: form.n_x].reshape(30, 4)
    assert np.all(x.sum(axis=1) == 2) and mask[form.n_x:].all()
    pen = pricing.penalty[: form.n_x].reshape(30, 4)
    assert np.all(np.where(x, pen, -np.inf).max(axis=1)
                  <= np.where(~x, pen, np.inf).min(axis=1))  # the two least
    start = fb.x.copy()
    chosen = cheapest_core(form, pricing, 1, _complete(form, start))
    assert np.all(chosen[: form.n_x][start > 0.5])  # the incumbent's columns stay
    assert chosen[form.n_x:].sum() < form.n_cols - form.n_x  # not every pair column


def test_a_time_limited_round_never_hands_the_backend_a_core_this_large() -> None:
    from types import SimpleNamespace

    from placement.solution import structured

    big = SimpleNamespace(form=SimpleNamespace(nnz=structured.WHOLE_FORM_NNZ))
    small = SimpleNamespace(form=SimpleNamespace(nnz=structured.WHOLE_FORM_NNZ - 1))
    st = SimpleNamespace(x=np.zeros(1))
    assert structured._overruns(big, 1.0, st)  # type: ignore[arg-type]
    assert not structured._overruns(small, 1.0, st)  # type: ignore[arg-type]
    assert not structured._overruns(big, None, st)  # type: ignore[arg-type]  # no limit
    assert not structured._overruns(big, 1.0, SimpleNamespace(x=None))  # type: ignore[arg-type]


def test_a_passed_deadline_ends_the_search_at_the_joint_price_of_the_broken_rows() -> None:
    """Past its deadline before it starts, the search still prices the rows the zero prices
    break together at their exact joint multiplier (one row's bisection) and stops there: a
    bound below the unpriced one, above the search's own; its tiers filled to meet every
    row."""
    import time

    from placement.milp.forest import one_row_search

    past = time.perf_counter() - 1.0
    inst, form, fb, forest, c, R, lo, up = _budget_and_caps()
    F, T = c.shape
    cut = rows_search(forest, c, R, lo, up, deadline=past)
    assert cut is not None and not cut.converged
    free = c.max(axis=1)
    tiers0 = np.argmax(c, axis=1)
    use0 = R @ _onehot(tiers0, T)
    broken = (use0 > up + 1e-9) | (use0 < lo - 1e-9)
    assert broken.any() and np.all(np.isinf(lo[broken]))  # upper sides here: budget, caps
    a = np.asarray(R[np.nonzero(broken)[0]].sum(axis=0)).reshape(F, T)
    joint = one_row_search(forest, c, a, -np.inf, float(up[broken].sum()))
    assert joint is not None
    assert cut.value == pytest.approx(joint.value, rel=1e-9)  # the broken rows' joint price
    assert fb.value - 1e-9 <= cut.value < float(free.sum()) - 1e-6  # below the unpriced
    assert cut.filled is not None
    assert np.all(R @ _onehot(cut.filled, T) <= up + 1e-9)
    timed = forest_bound(inst, form, past)
    assert timed is not None and timed.meets and not timed.converged
    assert timed.bound >= fb.bound - 1e-9 and check(inst, form.assignment_of(timed.x)).ok


def test_filled_tiers_use_the_room_a_priced_row_has_where_tiers_tie() -> None:
    # two functions worth 1 at tier 0 and 2 at tier 1, room for one at tier 1: at the exact
    # price of that room (1) both tiers tie; the solve breaks the tie to tier 0 for both
    # (value 2, the row's room unused), the other end of the tie fills the room (value 3 = L)
    c = np.array([[1.0, 2.0], [1.0, 2.0]])
    R = sp.csr_matrix(np.array([[0.0, 1.0, 0.0, 1.0]]))
    found = rows_search(Forest.singletons(2, 2), c, R, np.array([-np.inf]), np.array([1.0]))
    assert found is not None and found.filled is not None
    assert found.value == pytest.approx(3.0)
    tiers = found.filled
    assert sorted(tiers.tolist()) == [0, 1]  # one in the room, one not: worth 3, the bound
    assert float(c[np.arange(2), tiers].sum()) == pytest.approx(found.value)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 20), K=st.integers(2, 5),
       rows=st.integers(1, 4), room=st.floats(0.2, 0.9))
def test_improving_filled_tiers_keeps_every_row_and_never_loses_value(
        seed: int, n: int, K: int, rows: int, room: float) -> None:
    from placement.milp.forest_rows import _improve, _Sides

    rng = np.random.default_rng(seed)
    c = np.round(rng.uniform(0, 4, (n, K)), 1)  # rounded: ties are common
    A = np.round(rng.uniform(0, 2, (rows, n * K)), 1)
    b = room * A.reshape(rows, n, K).max(axis=2).sum(axis=1)
    forest = Forest.singletons(n, K)
    sides = _Sides(forest, c, sp.csr_matrix(A), np.full(rows, -np.inf), b)
    found = rows_search(forest, c, sp.csr_matrix(A), np.full(rows, -np.inf), b)
    assume(found is not None and found.filled is not None)
    y = np.maximum(found.multipliers, 0.0)
    start = np.argmin(A.reshape(rows, n, K).sum(axis=0), axis=1)  # the lightest tier each
    assume(np.all(A @ _onehot(start, K) <= b + 1e-9))
    better = _improve(sides, y, start)
    assert np.all(A @ _onehot(better, K) <= b + 1e-9)
    assert c[np.arange(n), better].sum() >= c[np.arange(n), start].sum() - 1e-12
    assert np.all(A @ _onehot(found.filled, K) <= b + 1e-9)  # what the search returns holds


def _onehot(tiers: np.ndarray, K: int) -> np.ndarray:
    x = np.zeros(tiers.shape[0] * K)
    x[np.arange(tiers.shape[0]) * K + tiers] = 1.0
    return x


def test_a_search_cut_short_still_fills_and_a_time_limited_solve_builds_on_its_prices(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut short (here eight solves before its end), the search's tiers are still filled to
    meet every row; a time-limited solve then builds its placement from the forest's
    multipliers and runs no subgradient (the forest's bound is kept), an untimed one runs
    the subgradient."""
    import time

    from placement.milp import forest_rows
    from placement.solution.anytime import prepare
    from placement.solution.checker import check

    inst = generate(300, 6, seed=7, budget_tightness=0.8, link_density=0.1, cap_tightness=0.2)
    form = build(inst)
    exact = forest_bound(inst, form)
    assert exact is not None and exact.converged and exact.evaluations > 20
    monkeypatch.setattr(forest_rows, "MAX_EVALUATIONS", exact.evaluations - 8)
    cut = forest_bound(inst, form)
    assert cut is not None and not cut.converged and cut.meets
    assert cut.bound >= exact.bound - 1e-9  # a bound all the same, the weaker
    assert check(inst, form.assignment_of(cut.x)).ok
    timed = prepare(inst, form, 1.0, search_until=time.perf_counter() + 60.0)
    assert timed.forest is not None and not timed.forest.converged
    assert timed.bound is None and timed.start is not None  # no subgradient
    assert timed.best_bound(form) == cut.bound
    untimed = prepare(inst, form, 1.0)
    assert untimed.bound is not None  # not converged and no clock: the subgradient's too
    monkeypatch.setattr(forest_rows, "MAX_EVALUATIONS", 1)  # no step of its own: it ends
    joint = prepare(inst, form, 1.0, search_until=time.perf_counter() + 60.0)
    assert joint.forest is not None and np.any(joint.forest.multipliers)  # at the joint price
    assert joint.bound is None and joint.start is not None  # built on, no subgradient
    real = forest_rows._scale
    monkeypatch.setattr(forest_rows, "_scale", lambda *a: (real(*a)[0], None))  # none found
    still = prepare(inst, form, 1.0, search_until=time.perf_counter() + 60.0)
    assert still.forest is not None and not np.any(still.forest.multipliers)
    assert still.bound is not None  # the subgradient's bound, which moved


def test_a_search_cut_short_ends_at_the_least_l_it_saw_or_at_the_joint_price(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Cut after k steps of its own, the search's bound is the least L evaluated so far or
    the broken rows' joint price's, whichever is lower: never above the joint price's, never
    rising with k (the steps are the same whatever the cap), never below the minimum."""
    import time

    from placement.milp import forest_rows

    inst, form, fb, forest, c, R, lo, up = _budget_and_caps()
    at_joint = rows_search(forest, c, R, lo, up, deadline=time.perf_counter() - 1.0)
    assert at_joint is not None
    real, seen = forest_rows._scale, {}

    def spy(sides: Any, y: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, Any]:
        out = real(sides, y, g)
        seen["base"] = sides.evaluations  # the solves before the search's own steps
        return out

    monkeypatch.setattr(forest_rows, "_scale", spy)
    monkeypatch.setattr(forest_rows, "MAX_EVALUATIONS", 1)  # no step: at the joint price
    none = rows_search(forest, c, R, lo, up)
    assert none is not None and not none.converged
    assert none.value == pytest.approx(at_joint.value, rel=1e-12)
    values = [none.value]
    for k in (1, 2, 4, 8):
        monkeypatch.setattr(forest_rows, "MAX_EVALUATIONS", seen["base"] + k)
        cut = rows_search(forest, c, R, lo, up)
        assert cut is not None and cut.filled is not None
        assert fb.value - 1e-9 <= cut.value <= at_joint.value + 1e-9
        if cut.converged:
            assert cut.value == pytest.approx(fb.value, rel=1e-12)
        values.append(cut.value)
    assert values == sorted(values, reverse=True) and values[-1] < at_joint.value - 1e-9


def _budget_and_caps() -> tuple[Any, Any, Any, Forest, np.ndarray, sp.csr_matrix, np.ndarray,
                                np.ndarray]:
    """200 x 5 with a budget and per-tier caps: the instance, its form, its converged forest
    bound, and the search's inputs (forest, values, rows, their sides)."""
    inst = generate(200, 5, seed=4, budget_tightness=0.6, cap_tightness=0.2)
    form = build(inst)
    fb = forest_bound(inst, form)
    assert fb is not None and fb.converged
    F, T = 200, 5
    c = np.where(form.allowed_grid(), form.c[: form.n_x].reshape(F, T), -np.inf)
    R = sp.csr_matrix(form.A[fb.rows][:, : form.n_x])
    return (inst, form, fb, Forest.singletons(F, T), c, R, form.row_lower[fb.rows],
            form.row_upper[fb.rows])


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), links=st.integers(0, 29))
def test_differing_is_the_components_where_the_tiers_differ(seed: int, n: int,
                                                            links: int) -> None:
    """one_row_search's bisection keeps the functions of the components whose tiers differ
    at its two ends: as a set comprehension over whole components, in increasing order."""
    rng = np.random.default_rng(seed)
    child = rng.permutation(n)[: min(links, n - 1)]
    child = child[child > 0]
    parent = np.array([rng.integers(0, c) for c in child], dtype=np.int64)  # a tree: no cycle
    forest = Forest.from_links(n, 3, child, parent, np.zeros((child.size, 3, 3)))
    assume(forest is not None)
    assert forest is not None
    comp = forest.component
    kept = rng.random(forest.n_components) < 0.6  # nodes: whole components
    nodes = np.flatnonzero(kept[comp])
    t_lo = rng.integers(0, 3, n)
    t_hi = np.where(rng.random(n) < 0.7, t_lo, rng.integers(0, 3, n))  # mostly the same
    moved = {int(comp[v]) for v in nodes if t_lo[v] != t_hi[v]}
    want = [v for v in range(n) if int(comp[v]) in moved]
    assert _differing(forest, t_lo, t_hi, nodes).tolist() == want
