"""The Lagrangian bound: a bound whatever the multipliers, and exactly the LP bound when one
row is relaxed (the multiple-choice knapsack of every single-budget instance).

The one-row search bisects on the budget's multiplier; it must land on the LP relaxation's
optimum (scipy's HiGHS on the whole form), for a row read on its upper side and the same row
mirrored onto its lower side, and its maximiser must meet the row: the construction starts
from it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from placement.io.synthetic import generate
from placement.milp import CanonicalForm, build
from placement.milp import lagrangian as lg
from placement.milp.construct import construct


def _lp_optimum(form: CanonicalForm) -> float | None:
    """The LP relaxation's optimum in the form's sense, offset included."""
    sign = float(form.sense.sign)
    eq = form.row_lower == form.row_upper
    ub_rows = ~eq
    A = sp.csr_matrix(form.A)
    up = np.isfinite(form.row_upper) & ub_rows
    lo = np.isfinite(form.row_lower) & ub_rows
    A_ub = sp.vstack([A[up], -A[lo]]).tocsr()
    b_ub = np.concatenate([form.row_upper[up], -form.row_lower[lo]])
    res = linprog(-sign * form.c, A_ub=A_ub, b_ub=b_ub, A_eq=A[eq], b_eq=form.row_upper[eq],
                  bounds=np.column_stack([form.col_lower, form.col_upper]), method="highs")
    if res.status == 2:
        return None  # infeasible
    assert res.status == 0, res.message
    return float(sign * -res.fun + form.offset)


def _mirrored(form: CanonicalForm, row: int) -> CanonicalForm:
    """The same form with ``row`` (``a x <= b``) written as ``-a x >= -b``."""
    flip = np.ones(form.n_rows)
    flip[row] = -1.0
    lo = np.where(flip < 0, -form.row_upper, form.row_lower)
    up = np.where(flip < 0, -form.row_lower, form.row_upper)
    A = sp.csr_matrix(sp.diags(flip) @ form.A)
    A.sort_indices()  # canonical, as the builder writes it
    return dataclasses.replace(form, A=A, row_lower=lo, row_upper=up)


def _budget_row(form: CanonicalForm) -> int:
    (row,) = np.setdiff1d(np.arange(form.n_rows), lg.kept_rows(form))
    return int(row)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), functions=st.integers(2, 60), tiers=st.integers(2, 8),
       tight=st.sampled_from([0.1, 0.3, 0.5, 0.7, 0.9]), mirror=st.booleans(),
       pins=st.integers(0, 3))
def test_one_row_bound_is_the_lp_optimum(seed: int, functions: int, tiers: int, tight: float,
                                         mirror: bool, pins: int) -> None:
    form = build(generate(functions, tiers, seed=seed, budget_tightness=tight))
    row = _budget_row(form)
    if mirror:
        form = _mirrored(form, row)
    if pins:  # the first functions pinned to a tier each
        lower = form.col_lower.copy()
        at = np.arange(min(pins, functions)) * tiers + seed % tiers
        lower[at] = 1.0
        form = dataclasses.replace(form, col_lower=lower)
    lp = _lp_optimum(form)
    assume(lp is not None)
    lb = lg.lagrangian_bound(form, 1.0)
    assert lb.bound >= lp - 1e-9 * max(1.0, abs(lp))  # a bound, whatever else
    assert lb.bound == pytest.approx(lp, rel=1e-8, abs=1e-8)  # and the LP's, exactly
    activity = float((form.A[row] @ lb.x)[0])
    assert form.row_lower[row] - 1e-9 <= activity <= form.row_upper[row] + 1e-9 * max(
        1.0, abs(form.row_upper[row]))


@pytest.mark.parametrize("mirror", [False, True])
def test_one_row_search_is_what_runs_and_prices_the_side_it_must(mirror: bool) -> None:
    form = build(generate(500, 5, seed=4, budget_tightness=0.6))
    row = _budget_row(form)
    if mirror:
        form = _mirrored(form, row)
    rel = lg._Relaxation(form, lg.kept_rows(form))
    found = lg._one_row(form, rel)
    assert found is not None
    value, lam, x, evaluations = found
    assert (lam[0] < 0) if mirror else (lam[0] > 0)  # the side the row is priced on
    assert evaluations < 120
    assert value == pytest.approx(_lp_optimum(form), rel=1e-9)


def test_one_row_search_at_zero_and_where_it_does_not_apply() -> None:
    form = build(generate(200, 4, seed=2, budget_tightness=0.5))
    up = form.row_upper.copy()
    up[_budget_row(form)] = float(form.A[_budget_row(form)].sum())  # every placement fits
    loose = dataclasses.replace(form, row_upper=up)
    rel = lg._Relaxation(loose, lg.kept_rows(loose))
    found = lg._one_row(loose, rel)
    assert found is not None and found[1][0] == 0.0  # every function's best fits: 0 is it
    lb = lg.lagrangian_bound(loose, 0.5)
    assert lb.bound == pytest.approx(_lp_optimum(loose), rel=1e-9)
    linked = build(generate(200, 4, seed=2, budget_tightness=0.5, link_density=0.1))
    assert lg._Relaxation(linked, lg.kept_rows(linked)).relaxed.shape[0] > 1


def test_construction_from_the_one_row_multiplier_is_within_one_function_of_the_bound() -> None:
    # the greedy from the exact multiplier loses at most about one function's step: on
    # 50,000 x 5 with a tight budget it proves the optimum without any core
    form = build(generate(20_000, 5, seed=1, budget_tightness=0.9))
    lb = lg.lagrangian_bound(form, 2.0)
    c = construct(form, 5.0, multipliers=lb.multipliers)
    assert c.x is not None
    x = np.concatenate([c.x, np.zeros(form.n_cols - form.n_x)])
    assert form.max_violation(x) <= 1e-6
    value = form.objective_of(x)
    F, K = form.n_functions, form.n_tiers
    step = np.ptp(form.c[: form.n_x].reshape(F, K), axis=1).max()
    assert lb.bound - step <= value <= lb.bound + 1e-9


@pytest.mark.parametrize("links", [0.0, 0.5])
def test_the_relaxed_rows_read_in_place_are_scipys_rows_scaled(links: float) -> None:
    """The relaxed rows run on to the last row (the assign block comes first): they are read
    from the form's arrays in place; the same matrix and scales as scipy's row indexing and
    scaling product, to the last bit, also where a row's largest coefficient is negative.
    Rows that do not run on to the last take scipy's path."""
    inst = generate(300, 6, seed=2, budget_tightness=0.8, link_density=links, cap_tightness=0.3)
    plain = build(inst)
    rows = np.setdiff1d(np.arange(plain.n_rows), lg.kept_rows(plain))
    assert rows[-1] == plain.n_rows - 1 and rows.shape[0] > 1
    flip = np.where(np.arange(plain.n_rows) % 2 == 1, -2.0, 1.0)  # rows led by a negative
    flipped = dataclasses.replace(plain, A=sp.csr_matrix(sp.diags(flip) @ plain.A))
    for form, pick in ((plain, rows), (flipped, rows), (plain, rows[:-1])):
        R, scale = lg._scaled_rows(form, pick)
        sub = form.A[pick]
        want = np.maximum(abs(sub).max(axis=1).toarray().ravel(), 1e-12)
        assert np.array_equal(scale, want)
        diff = R - sp.diags(1.0 / want) @ sub
        assert R.shape == sub.shape and diff.count_nonzero() == 0
