"""The bound with the links kept: max-sum over a forest of links, exact against enumeration;
the one-row search over it a bound on every placement (against the MIP's optimum) and at least
as strong as the LP relaxation's; its placement meets the model; and the solve path that
proves large linked instances with it.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import placement
from placement.io.synthetic import generate
from placement.milp import build
from placement.milp.forest import MAX_DEPTH, Forest, _depths
from placement.milp.forest_messages import GENERAL, _patterns, message, shapes
from placement.milp.link_forest import forest_bound
from placement.model.sense import Sense
from placement.solution.anytime import _complete
from placement.solvers import Status
from tests.test_lagrangian import _lp_optimum


@st.composite
def _forests(draw: st.DrawFn) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray,
                                       np.ndarray]:
    """A random forest on up to 7 functions (links given both ways round, some twice),
    random values and link terms with forbidden pairs."""
    n = draw(st.integers(1, 7))
    K = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    f, h = [], []
    for v in range(1, n):
        if rng.random() < 0.75:
            p = int(rng.integers(0, v))
            a, b = (v, p) if rng.random() < 0.5 else (p, v)
            f.append(a)
            h.append(b)
            if rng.random() < 0.2:  # a second link between the same two functions
                f.append(b)
                h.append(a)
    L = len(f)
    psi = np.round(rng.normal(size=(L, K, K)), 1)
    psi[rng.random((L, K, K)) < 0.25] = -np.inf
    if K >= 2:  # some tables shaped as together's and at_or_above's: the O(K) messages
        for i in np.nonzero(rng.random(L) < 0.5)[0]:
            zero = _patterns(K)[int(rng.integers(1, 4))]
            psi[i] = np.where(zero, 0.0, rng.choice([-1.0, -0.5, -np.inf]))
    theta = np.round(rng.normal(size=(n, K)) * 3, 1)
    theta[rng.random((n, K)) < 0.15] = -np.inf
    return n, K, np.array(f, dtype=np.int64), np.array(h, dtype=np.int64), psi, theta


@settings(max_examples=150, deadline=None)
@given(_forests())
def test_forest_max_sum_is_the_enumerated_best(case: tuple) -> None:
    n, K, f, h, psi, theta = case
    forest = Forest.from_links(n, K, f, h, psi)
    assert forest is not None
    every = np.arange(n)
    tiers, roots = forest.solve(theta, every)

    def worth(t: tuple[int, ...] | np.ndarray) -> float:
        t = np.asarray(t)
        return float(theta[every, t].sum() + psi[np.arange(len(f)), t[f], t[h]].sum())

    labelings = list(itertools.product(range(K), repeat=n))
    worths = np.array([worth(t) for t in labelings])
    best = worths.max()
    assert roots.sum() == pytest.approx(best) if np.isfinite(best) else not np.isfinite(
        roots.sum())
    if np.isfinite(best):
        assert worth(tiers) == pytest.approx(best)  # the tiers it returns are worth it
        assert roots.shape[0] == forest.n_components
    # max-marginals: what forcing a function onto a tier costs its component, enumerated
    marg = forest.marginals(theta)
    lab = np.array(labelings)
    for v in range(n):
        for t in range(K):
            given = worths[lab[:, v] == t].max()
            if np.isfinite(best) and np.isfinite(given):
                assert marg[v, t] - marg[v].max() == pytest.approx(given - best)
            elif np.isfinite(best):
                assert marg[v, t] == -np.inf
    # solving some components alone gives what they gave among all
    keep = np.nonzero(forest.component % 2 == 0)[0]
    sub, sub_roots = forest.solve(theta[keep], keep)
    inside = np.isin(f, keep)

    def worth_kept(t_keep: np.ndarray) -> float:
        t = np.zeros(n, dtype=np.int64)
        t[keep] = t_keep
        return float(theta[keep, t_keep].sum()
                     + psi[np.nonzero(inside)[0], t[f[inside]], t[h[inside]]].sum())

    if np.isfinite(best):
        assert worth_kept(sub) == pytest.approx(worth_kept(tiers[keep]))
        assert sub_roots.sum() == pytest.approx(worth_kept(sub))


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 6), st.integers(1, 5), st.sampled_from([1, 2, 3]),
       st.integers(0, 2**32 - 1))
def test_shaped_messages_are_the_tables_own(K: int, g: int, kind: int, seed: int) -> None:
    """A together or at_or_above table's message in O(K): the same maxima as over the whole
    table, bit for bit, and the same tier as numpy's argmax where they are finite (ties
    included: the values are whole numbers, so they tie often)."""
    rng = np.random.default_rng(seed)
    off = rng.choice([-1.0, -2.0, -np.inf], size=g)
    psi = np.where(_patterns(K)[kind][None], 0.0, off[:, None, None])
    code, found = shapes(psi)
    assert code.tolist() == [kind] * g and np.array_equal(found, off)
    A = rng.integers(-3, 3, size=(g, K)).astype(float)
    A[rng.random((g, K)) < 0.2] = -np.inf
    table = A[:, None, :] + psi
    value, arg = message(A, kind, off)
    assert np.array_equal(value, table.max(axis=2))
    finite = np.isfinite(value)
    assert np.array_equal(arg[finite], table.argmax(axis=2)[finite])
    # any other table is left to the whole-table step: no zero at all, two values off the
    # pattern, no penalty
    assert shapes(-rng.uniform(1.0, 2.0, size=(3, K, K)))[0].tolist() == [GENERAL] * 3
    other = psi[:1].copy()
    p, c = np.nonzero(~_patterns(K)[kind])
    other[0, p[0], c[0]] = -0.5
    assert shapes(other)[0].tolist() == [GENERAL] or len(p) == 1
    assert shapes(np.zeros((1, K, K)))[0].tolist() == [GENERAL]  # no penalty: no pattern


def test_forest_refuses_cycles_self_links_and_depth() -> None:
    psi = np.zeros((3, 2, 2))
    assert Forest.from_links(3, 2, np.array([0, 1, 2]), np.array([1, 2, 0]), psi) is None
    assert Forest.from_links(3, 2, np.array([1]), np.array([1]), psi[:1]) is None
    chain = np.arange(MAX_DEPTH + 1)  # links i -- i + 1: the last function MAX_DEPTH + 1 deep
    long = Forest.from_links(MAX_DEPTH + 2, 2, chain, chain + 1, np.zeros((chain.size, 2, 2)))
    assert long is None
    ok = Forest.from_links(MAX_DEPTH + 1, 2, chain[:-1], chain[:-1] + 1,
                           np.zeros((MAX_DEPTH, 2, 2)))
    assert ok is not None and ok.depth.max() == MAX_DEPTH


def test_depths_by_pointer_jumping() -> None:
    parent = np.array([-1, 0, 1, 2, 3, -1, 5, 5, 7])
    assert _depths(parent).tolist() == [0, 1, 2, 3, 4, 0, 1, 1, 2]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), functions=st.integers(4, 40), tiers=st.integers(2, 5),
       tight=st.sampled_from([0.3, 0.5, 0.7, 0.9]),
       density=st.sampled_from([0.1, 0.25, 0.5]), minimise=st.booleans())
def test_forest_bound_bounds_the_optimum_and_beats_the_lp(seed: int, functions: int,
                                                          tiers: int, tight: float,
                                                          density: float,
                                                          minimise: bool) -> None:
    inst = generate(functions, tiers, seed=seed, budget_tightness=tight, link_density=density)
    if minimise:  # the same values minimised: the bound is then a lower one
        inst = inst.replace(sense=Sense.MIN)
    form = build(inst)
    fb = forest_bound(inst, form)
    assume(fb is not None)
    assert fb is not None
    sign = form.sense.sign
    plain = placement.solve(inst, structure=False)
    assert plain.status is Status.OPTIMAL  # the forest's placement is a feasible one
    tol = 1e-7 * max(1.0, abs(plain.objective))
    assert sign * (fb.bound - plain.objective) >= -tol  # a bound on the optimum
    lp = _lp_optimum(form)
    assert lp is not None
    if fb.left_out == 0:  # links left out (cycles) relax it: a bound, maybe below the LP's
        assert sign * (lp - fb.bound) >= -tol  # no weaker than the LP's
    x = _complete(form, fb.x)
    if fb.meets:  # a hard link left out may be broken by the tiers: then they say so
        assert x is not None and form.max_violation(x) <= 1e-6
        assert sign * (plain.objective - form.objective_of(x)) >= -tol
    else:
        assert fb.left_out > 0 and (x is None or form.max_violation(x) > 1e-6)


def test_forest_bound_steps_aside_where_the_links_are_not_a_forest_alone() -> None:
    inst = generate(30, 3, seed=4, budget_tightness=0.6, link_density=0.2)
    assert forest_bound(inst, build(inst)) is not None
    form = build(inst)
    row = np.zeros((1, form.n_cols))
    row[0, : form.n_x] = 1.0
    two = forest_bound(inst, form.with_rows(row, -np.inf, 20.0, "cap", ["cap"]))
    assert two is not None and two.rows.shape[0] == 2  # a second row: priced with the first
    assert form.n_cols > form.n_x  # soft links' pair columns
    row[0, form.n_x] = 1.0  # a row over a pair column: not the forest's
    assert forest_bound(inst, form.with_rows(row, -np.inf, 20.0, "cap", ["cap"])) is None
    moves = placement.load("instances/tiny-moves")  # one row, a move limit: it applies
    assert forest_bound(moves, build(moves)) is not None
    infeasible = placement.load("instances/tiny-infeasible")  # no multiplier meets the row
    assert forest_bound(infeasible, build(infeasible)) is None
    areas = placement.load("instances/tiny-areas")  # per area
    assert forest_bound(areas, build(areas)) is None
    geo = placement.load("instances/tiny-link-geography").with_scenario(None)
    assert forest_bound(geo, build(geo)) is None  # a link to a geography


def test_linked_instance_is_proven_by_the_forest_without_a_core() -> None:
    inst = generate(4_000, 5, seed=3, budget_tightness=0.7, link_density=0.1)
    r = placement.solve(inst, structure=True, rel_gap=1e-4)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    details = r.extra["solver_details"]["structure"]
    assert details["rounds"] == [] and details["forest_bound"]["links"] == 400
    assert r.bound == details["forest_bound"]["bound"] and r.gap is not None and r.gap <= 1e-4
    plain = placement.solve(inst, structure=False)
    assert plain.status is Status.OPTIMAL
    assert plain.objective <= r.bound + 1e-9  # the bound holds against the optimum
    assert r.objective >= plain.objective - 1e-4 * abs(plain.objective)
    timed = placement.solve(inst, structure=True, time_limit=30, rel_gap=1e-4)
    assert timed.status is Status.OPTIMAL and timed.bound == r.bound
    assert timed.extra["solver_details"]["structure"]["rounds"] == []
    whole = placement.solve(inst, structure=False, time_limit=30, rel_gap=1e-4)
    assert whole.status is Status.OPTIMAL and whole.bound == r.bound  # the backend not run
    assert whole.extra["solver_details"]["anytime"]["bound_from"] == "forest"
    assert "links kept: the backend was not run" in whole.message


def test_exact_solve_of_a_linked_instance_fixes_by_the_forests_penalties() -> None:
    # no gap allowed: the cores are priced by the forest's max-marginals, not the LP's
    inst = generate(3_000, 5, seed=5, budget_tightness=0.8, link_density=0.2)
    plain = placement.solve(inst, structure=False)
    r = placement.solve(inst, structure=True)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    assert r.objective == pytest.approx(plain.objective, rel=1e-9)
    details = r.extra["solver_details"]["structure"]
    assert details["lagrangian_bound"] == details["forest_bound"]["bound"]
    assert not any("sifting" in e for e in details["rounds"])
    assert details["rounds"][-1]["excluded"] > 0  # the proof left columns out


@pytest.mark.parametrize("seed", [0, 1, 2, 4, 5])
def test_forest_penalties_bound_every_placement_using_the_column(seed: int) -> None:
    from placement.milp.link_forest import forest_pricing
    from placement.solution.checker import check

    inst = generate(6, 3, seed=seed, budget_tightness=0.7, link_density=0.5)
    form = build(inst)
    fb = forest_bound(inst, form)
    assert fb is not None
    pricing = forest_pricing(form, fb)
    assert pricing.bound(form) == fb.bound
    F, T = inst.n_functions, inst.n_tiers
    for a in itertools.product(range(T), repeat=F):
        rep = check(inst, np.array(a))
        if not rep.ok:
            continue
        xp = np.zeros(form.n_x)
        xp[np.arange(F) * T + np.array(a)] = 1.0
        x = _complete(form, xp)
        assert x is not None
        worst = pricing.penalty[x > 0.5].max()
        slack = pricing.value - form.sense.sign * rep.objective - worst
        assert slack >= -1e-9  # L - penalty bounds this placement, pair columns too


@pytest.mark.parametrize("name", ["tiny-budget", "tiny-cap", "tiny-moves", "tiny-link-above",
                                  "tiny-link-above-soft", "tiny-link-coterminous",
                                  "tiny-link-coterminous-soft", "tiny-link-together",
                                  "tiny-link-together-soft"])
def test_forest_bound_on_the_bundled_tiny_instances(name: str) -> None:
    # their coterminosity tables are the instances' own (not the generator's): the link
    # terms must be those the model prices, or the bound could cut off the optimum
    inst = placement.load(f"instances/{name}").with_scenario(None)
    form = build(inst)
    fb = forest_bound(inst, form)
    assert fb is not None
    best = placement.solve(inst, structure=False)
    lp = _lp_optimum(form)
    assert lp is not None and best.objective is not None
    assert best.objective - 1e-9 <= fb.bound <= lp + 1e-9
    x = _complete(form, fb.x)
    assert x is not None and form.max_violation(x) <= 1e-9
    assert form.objective_of(x) <= best.objective + 1e-9


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_a_spanning_forest_keeps_a_tree_of_every_component_and_leaves_out_the_rest(
        n: int, seed: int) -> None:
    """Over links that close cycles, the kept links form a forest with the same components
    as all of them, one link closing each cycle left out (with every other link between the
    same two functions); over a forest, nothing is left out."""
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    m = int(rng.integers(0, 2 * n + 1))
    f, h = rng.integers(0, n, size=m), rng.integers(0, n, size=m)
    f, h = f[f != h], h[f != h]
    psi = np.zeros((f.shape[0], 2, 2))
    forest, out = Forest.spanning(n, 2, f, h, psi)
    assert forest is not None and out.shape == f.shape

    def components(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        g = sp.coo_matrix((np.ones(a.shape[0]), (a, b)), shape=(n, n))
        return connected_components(g, directed=False)[1]

    assert forest.n_components == len(np.unique(components(f, h)))
    assert np.array_equal(forest.component == forest.component[:, None],
                          components(f, h) == components(f, h)[:, None])
    pairs = np.unique(np.minimum(f, h) * n + np.maximum(f, h))
    kept = np.unique(np.minimum(f[~out], h[~out]) * n + np.maximum(f[~out], h[~out]))
    assert kept.shape[0] == n - forest.n_components  # a forest's edges
    assert out.sum() == 0 or not np.any(np.isin(np.minimum(f[out], h[out]) * n
                                                + np.maximum(f[out], h[out]), kept))
    assert (pairs.shape[0] - kept.shape[0] == 0) == (out.sum() == 0)
    again, none = Forest.spanning(n, 2, f[~out], h[~out], psi[~out])
    assert again is not None and not none.any()  # a forest keeps every link


def test_a_linked_instance_with_cycles_is_bounded_through_its_spanning_forest() -> None:
    """Links closing cycles (20 functions, 24 links): the forest leaves one link of each
    cycle out (4 links here: the weakest pairs, a pair's links together), its bound still
    bounds the optimum, and the structure-aware solve proves the optimum with it."""
    inst = generate(20, 3, seed=11, budget_tightness=0.6, link_density=1.2)
    form = build(inst)
    fb = forest_bound(inst, form)
    assert fb is not None and fb.links == 24 and fb.left_out == 4
    assert fb.details()["links_left_out"] == 4 and not fb.near_lp  # over a tenth left out
    plain = placement.solve(inst, structure=False)
    assert plain.status is Status.OPTIMAL
    assert fb.bound >= plain.objective - 1e-7 * abs(plain.objective)
    r = placement.solve(inst, structure=True)
    assert r.status is Status.OPTIMAL and r.check.ok
    assert r.objective == pytest.approx(plain.objective, rel=1e-9)


@settings(max_examples=80, deadline=None)
@given(st.integers(3, 7), st.integers(0, 2**32 - 1))
def test_the_spanning_forest_keeps_the_strongest_links(n: int, seed: int) -> None:
    """Of every spanning forest of the links, the one kept has the most hard links, and then
    the largest sum of the soft links' largest terms (the weakest are relaxed): checked
    against every subset of the distinct pairs with the components' edge count."""
    from scipy.sparse.csgraph import connected_components

    rng = np.random.default_rng(seed)
    m = int(rng.integers(n, 2 * n + 2))
    f, h = rng.integers(0, n, size=m), rng.integers(0, n, size=m)
    f, h = f[f != h], h[f != h]
    key = np.minimum(f, h) * n + np.maximum(f, h)
    pairs, first = np.unique(key, return_index=True)
    f, h, key = f[first], h[first], key[first]  # one link a pair: strengths are the links'
    hard = rng.random(f.shape[0]) < 0.3
    term = rng.choice([0.5, 1.0, 2.0, 3.0, 7.0], size=f.shape[0])
    psi = np.zeros((f.shape[0], 2, 2))
    psi[:, 0, 1] = np.where(hard, -np.inf, -term)
    forest, out = Forest.spanning(n, 2, f, h, psi)
    assert forest is not None

    def n_comp(sel: np.ndarray) -> int:
        g = sp.coo_matrix((np.ones(int(sel.sum())), (f[sel], h[sel])), shape=(n, n))
        return int(connected_components(g, directed=False)[0])

    edges = n - n_comp(np.ones(f.shape[0], dtype=bool))

    def score(sel: np.ndarray) -> tuple[int, float]:
        return int(hard[sel].sum()), float(term[sel & ~hard].sum())

    best = max(score(np.isin(np.arange(f.shape[0]), c))
               for c in itertools.combinations(range(f.shape[0]), edges)
               if n_comp(np.isin(np.arange(f.shape[0]), c)) == n - edges)
    assert score(~out) == best


def test_a_strongest_tree_too_deep_gives_way_to_a_shallow_one() -> None:
    """A chain of 300 strongly linked functions, each also weakly linked to the first: the
    strongest tree is the chain, deeper than MAX_DEPTH, so the search's shallow tree is kept
    and the chain's links are the ones relaxed."""
    n = 300
    chain = np.arange(n - 1)
    f = np.concatenate([chain, np.zeros(n - 2, dtype=np.int64)])
    h = np.concatenate([chain + 1, np.arange(2, n)])
    psi = np.zeros((f.shape[0], 2, 2))
    psi[:, 0, 1] = np.where(np.arange(f.shape[0]) < n - 1, -10.0, -0.1)
    assert n - 1 > MAX_DEPTH and Forest.from_links(n, 2, f, h, psi) is None
    forest, out = Forest.spanning(n, 2, f, h, psi)
    assert forest is not None and forest.n_components == 1
    assert out.sum() == f.shape[0] - (n - 1)
    assert forest.depth.max() <= 2 < MAX_DEPTH
