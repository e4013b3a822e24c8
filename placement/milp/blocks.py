"""A form's matrix seen at its placement columns and its auxiliary columns, made once per
matrix.

The construction, the completion of a placement's auxiliary columns (soft links' pair
columns, geography copies), sifting, the core's penalties and :meth:`CanonicalForm.served` read
one side of ``form.A`` split at ``n_x``, several times in one time-limited solve. Slicing
columns out of a CSR matrix copies it whole, and on a large form the time is mostly the
kernel zeroing the fresh memory: on the 10^6 placement columns (3.5 million columns, 8.8
million nonzeros) of 20,000 x 50 with caps and links, one slice took 0.04-0.11 s, and
``served`` (two slices, their absolute values and a transpose) 0.2-0.3 s, of a 1-2 s limit.

:func:`nonzeros` keeps the coordinates of the nonzeros on each side (rows and columns, in
the index type of ``A``); ``served`` reads only those. :func:`x_block` and :func:`aux_block`
keep the slices themselves for the code that needs matrices. Each is kept in the form's
``__dict__`` beside the matrix it was made from, and made again if the form's matrix is
another (a copy given a new ``A``) or its placement columns are counted differently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

    from placement.milp.canonical import CanonicalForm

__all__ = ["Nonzeros", "nonzeros", "x_block", "aux_block"]


def _kept(form: CanonicalForm, key: str, make: Callable[[sp.csr_matrix], Any]) -> Any:
    """``make(form.A)``, kept in the form for as long as its matrix and ``n_x`` are the same."""
    A, n_x = form.A, form.n_x
    slot = "_block_" + key
    hit = form.__dict__.get(slot)
    if hit is not None and hit[0] is A and hit[1] == n_x:
        return hit[2]
    value = make(A)
    form.__dict__[slot] = (A, n_x, value)
    return value


@dataclass(frozen=True)
class Nonzeros:
    """The nonzero coefficients' coordinates: ``x_rows[k], x_cols[k]`` for the placement
    columns, ``aux_rows[k], aux_cols[k]`` for the auxiliary ones (``aux_cols`` counted from
    the first auxiliary column); explicit zeros left out."""

    x_rows: np.ndarray
    x_cols: np.ndarray
    aux_rows: np.ndarray
    aux_cols: np.ndarray


def nonzeros(form: CanonicalForm) -> Nonzeros:
    """The coordinates of ``form.A``'s nonzeros on either side of ``n_x`` (see the module
    docstring)."""

    def make(A: sp.csr_matrix) -> Nonzeros:
        indptr, cols = A.indptr, A.indices
        rows = np.repeat(np.arange(A.shape[0], dtype=cols.dtype), np.diff(indptr))
        nz = A.data != 0
        x = nz & (cols < form.n_x)
        aux = nz & ~x
        return Nonzeros(rows[x], cols[x], rows[aux], cols[aux] - cols.dtype.type(form.n_x))

    return _kept(form, "nonzeros", make)


def x_block(form: CanonicalForm) -> sp.csr_matrix:
    """``form.A[:, :n_x]`` as CSR: the placement columns' coefficients in every row."""
    return _kept(form, "x", lambda A: A[:, : form.n_x].tocsr())


def aux_block(form: CanonicalForm) -> sp.csr_matrix:
    """``form.A[:, n_x:]`` as CSR: the auxiliary columns' coefficients in every row."""
    return _kept(form, "aux", lambda A: A[:, form.n_x:].tocsr())
