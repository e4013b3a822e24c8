"""The form's matrix split at its placement columns, kept once per matrix
(placement/milp/blocks.py), and the row check every placement goes through
(CanonicalForm.max_violation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import placement
from placement.io.synthetic import generate
from placement.milp import CanonicalForm, build
from placement.milp.blocks import aux_block, nonzeros, x_block
from placement.model import Sense

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def linked() -> CanonicalForm:
    form = build(generate(40, 4, seed=3, link_density=0.2, cap_tightness=0.3))
    assert form.n_cols > form.n_x  # soft links' pair columns
    return form


def test_blocks_are_the_column_slices(linked: CanonicalForm) -> None:
    A = linked.A.toarray()
    assert np.array_equal(x_block(linked).toarray(), A[:, : linked.n_x])
    assert np.array_equal(aux_block(linked).toarray(), A[:, linked.n_x:])
    nz = nonzeros(linked)
    for rows, cols, part in ((nz.x_rows, nz.x_cols, A[:, : linked.n_x]),
                             (nz.aux_rows, nz.aux_cols, A[:, linked.n_x:])):
        assert np.array_equal(np.sort(rows * part.shape[1] + cols),
                              np.flatnonzero(part))  # every nonzero once, and only those


def test_blocks_are_kept_until_the_matrix_changes(linked: CanonicalForm) -> None:
    assert x_block(linked) is x_block(linked) and aux_block(linked) is aux_block(linked)
    A = linked.A.copy()
    A.data[:] *= 2.0
    doubled = linked._copy(A=A)  # a copy keeps the dict it was copied from
    assert np.array_equal(x_block(doubled).toarray(), 2.0 * x_block(linked).toarray())
    assert nonzeros(doubled) is not nonzeros(linked)
    A.data[: A.indptr[1]] = 0.0  # explicit zeros are no coefficient
    zeroed = linked._copy(A=A)
    assert nonzeros(zeroed).x_rows.shape[0] + nonzeros(zeroed).aux_rows.shape[0] == \
        linked.A.nnz - int(A.indptr[1])


@pytest.mark.parametrize("name", ["synthetic", "tiny-link-geography", "tiny-link-above-soft"])
def test_served_matches_its_definition(linked: CanonicalForm, name: str) -> None:
    """An auxiliary column is served when each of its rows holds a chosen placement column
    or none at all (CanonicalForm.served), checked against the dense matrix: soft links'
    pair columns and a geography link's tier columns."""
    form = linked if name == "synthetic" else build(placement.load(ROOT / "instances" / name))
    assert form.n_cols > form.n_x
    rng = np.random.default_rng(0)
    A = np.abs(form.A.toarray())
    Ax, Aa = A[:, : form.n_x], A[:, form.n_x:]
    for share in (0.0, 0.3, 0.6, 1.0):
        chosen = rng.random(form.n_x) < share
        row_ok = ~(Ax != 0).any(axis=1) | (Ax[:, chosen] != 0).any(axis=1)
        expect = np.array([row_ok[Aa[:, j] != 0].all() for j in range(Aa.shape[1])])
        assert np.array_equal(form.served(chosen), expect)
        assert np.array_equal(form.served(chosen.astype(float)), expect)  # a 0-1 vector


def _reference(form: CanonicalForm, x: np.ndarray) -> float:
    ax = form.A @ x
    v = np.concatenate([np.maximum(form.row_lower - ax, 0.0), np.maximum(ax - form.row_upper, 0.0),
                        np.maximum(form.col_lower - x, 0.0), np.maximum(x - form.col_upper, 0.0)])
    return float(v.max(initial=0.0))


_BOUND = st.one_of(st.floats(-3, 3), st.just(np.inf), st.just(-np.inf))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.data())
def test_max_violation_is_the_largest_breach(m: int, n: int, data: st.DataObject) -> None:
    """Rows and columns of either length, infinite sides, NaN in x: as the definition."""
    vals = st.floats(-2, 2, allow_nan=False)
    A = sp.csr_matrix(np.array(data.draw(st.lists(vals, min_size=m * n, max_size=m * n)))
                      .reshape(m, n))
    rl = np.array(data.draw(st.lists(_BOUND, min_size=m, max_size=m)))
    ru = np.array(data.draw(st.lists(_BOUND, min_size=m, max_size=m)))
    cl = np.array(data.draw(st.lists(_BOUND, min_size=n, max_size=n)))
    cu = np.array(data.draw(st.lists(_BOUND, min_size=n, max_size=n)))
    x = np.array(data.draw(st.lists(st.one_of(st.floats(-3, 3), st.just(np.nan)), min_size=n,
                                    max_size=n)))
    form = CanonicalForm(sense=Sense.MAX, c=np.zeros(n), A=A, row_lower=rl, row_upper=ru,
                         col_lower=cl, col_upper=cu, integrality=np.zeros(n, dtype=bool),
                         n_functions=0, n_tiers=0)
    got, want = form.max_violation(x), _reference(form, x)
    assert (np.isnan(got) and np.isnan(want)) or got == want


def test_max_violation_nan_in_a_column_no_row_holds() -> None:
    """NaN in a column no row holds shows only in the column bounds: still NaN, never met."""
    form = CanonicalForm(sense=Sense.MAX, c=np.zeros(2), A=sp.csr_matrix(np.array([[1.0, 0.0]])),
                         row_lower=np.array([0.0]), row_upper=np.array([1.0]),
                         col_lower=np.zeros(2), col_upper=np.ones(2),
                         integrality=np.zeros(2, dtype=bool), n_functions=0, n_tiers=0)
    assert form.max_violation(np.array([0.5, 0.5])) == 0.0
    assert form.max_violation(np.array([1.5, 0.5])) == 0.5
    assert np.isnan(form.max_violation(np.array([0.5, np.nan])))
