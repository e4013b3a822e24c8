"""The canonical form's matrix held as plain CSR arrays until scipy is needed, and the lazy
module that keeps scipy unimported until then (placement/util/lazy.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import placement
from placement.milp import FormBuilder, build
from placement.milp.canonical import CsrArrays, canonical_rows
from placement.util.lazy import LazyModule, lazy_module

ROOT = Path(__file__).resolve().parents[1]


@st.composite
def _csr(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """indptr and indices of a small CSR matrix, sorted or not, duplicates or not."""
    counts = draw(st.lists(st.integers(0, 4), min_size=1, max_size=6))
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    indices = np.array(draw(st.lists(st.integers(0, 5), min_size=int(indptr[-1]),
                                     max_size=int(indptr[-1]))), dtype=np.int32)
    if draw(st.booleans()):  # often sort within rows, so both answers come up
        for r in range(len(counts)):
            indices[indptr[r]: indptr[r + 1]].sort()
    return indptr, indices


@settings(max_examples=300, deadline=None)
@given(_csr())
def test_canonical_rows_agrees_with_scipy(m: tuple[np.ndarray, np.ndarray]) -> None:
    indptr, indices = m
    A = sp.csr_matrix((np.ones(indices.shape[0]), indices, indptr),
                      shape=(indptr.shape[0] - 1, 6))
    assert canonical_rows(indptr, indices) == bool(A.has_canonical_format)


def test_canonical_rows_by_hand() -> None:
    p = np.array([0, 2, 4])
    assert canonical_rows(p, np.array([0, 3, 1, 2]))  # row 2 may start below row 1's end
    assert not canonical_rows(p, np.array([3, 0, 1, 2]))  # unsorted in row 1
    assert not canonical_rows(p, np.array([0, 3, 2, 2]))  # duplicate in row 2
    assert not canonical_rows(np.array([0, 0, 2]), np.array([1, 1]))  # after an empty row


def test_the_builder_holds_arrays_and_the_matrix_is_the_same() -> None:
    """A built form holds CsrArrays; ``A`` read from them is the matrix scipy would build from
    the same triplets, canonical, and is made once."""
    inst = placement.load(ROOT / "instances" / "tiny-budget")
    form = build(inst)
    held = form.__dict__["_A"]
    assert isinstance(held, CsrArrays)
    indptr, indices, data = form.csr()
    assert form.nnz == held.nnz == indices.shape[0] == data.shape[0]
    copy = form.with_objective(-form.c)
    bounds = form.with_col_bounds(form.col_lower, form.col_upper)
    assert copy.__dict__["_A"] is held and bounds.__dict__["_A"] is held  # still unbuilt
    A = form.A
    assert isinstance(A, sp.csr_matrix) and A.has_canonical_format and A.nnz == form.nnz
    rows = np.repeat(np.arange(form.n_rows), np.diff(indptr))
    coo = sp.csr_matrix((data, (rows, indices)), shape=A.shape)
    assert abs(A - coo).max() == 0
    assert form.A is A and form.__dict__["_A"] is A  # built once, then kept
    assert copy.A is not A and (copy.A != A).nnz == 0


def test_duplicates_out_of_the_fast_path_are_summed() -> None:
    """Triplets in row order with a repeated column are not canonical: scipy sums them."""
    b = FormBuilder("max", 1, 3, "dup")
    b.add_columns("x", np.ones(3), 0.0, 1.0, True, lambda i: [f"x{k}" for k in i.tolist()])
    b.add_rows("r", np.array([0, 0, 0]), np.array([0, 2, 2]), np.array([1.0, 2.0, 3.0]),
               -np.inf, 4.0, 1, lambda i: ["r" for _ in i.tolist()])
    form = b.build()
    assert not isinstance(form.__dict__["_A"], CsrArrays)
    assert form.A.toarray().tolist() == [[1.0, 0.0, 5.0]] and form.nnz == 2
    assert [a.tolist() for a in form.csr()] == [[0, 2], [0, 2], [1.0, 5.0]]


def test_a_lazy_module_imports_on_first_read() -> None:
    code = ("import sys\n"
            "from placement.util.lazy import lazy_module\n"
            "m = lazy_module('json.decoder')\n"
            "print('BEFORE=' + str('json.decoder' in sys.modules))\n"
            "cls = m.JSONDecoder\n"
            "import json.decoder\n"
            "print('AFTER=' + str(cls is json.decoder.JSONDecoder))\n"
            "print('COPIED=' + str('JSONDecodeError' in vars(m)))\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert "BEFORE=False" in p.stdout and "AFTER=True" in p.stdout, p.stdout + p.stderr
    assert "COPIED=True" in p.stdout
    lazy = lazy_module("scipy.sparse")
    assert isinstance(lazy, LazyModule) and "scipy.sparse" in repr(lazy)
    assert lazy.csr_matrix is sp.csr_matrix and isinstance(sp.eye(2, format="csr"), lazy.spmatrix)


@pytest.mark.parametrize("links", [0.1, 0.5])
def test_hard_link_rows_come_sorted_so_no_sort_is_needed(links: float) -> None:
    """Hard-link rows list their columns ascending whichever of f and h comes first, so a form
    with links takes the builder's fast path (plain arrays, no sort of the whole matrix)."""
    from placement.io.synthetic import generate

    inst = generate(300, 6, seed=3, link_density=links, cap_tightness=0.2)
    form = build(inst)
    block = form.row_block("link")
    assert block is not None and len(block) > 0
    at = {fid: i for i, fid in enumerate(inst.function_ids.tolist())}
    ahead = {at[lk.function] < at[lk.other] for lk in inst.links if lk.hard}
    assert ahead == {True, False}  # f before h and h before f both occur
    assert isinstance(form.__dict__["_A"], CsrArrays)
    indptr, indices, _ = form.csr()
    assert canonical_rows(indptr, indices)
