"""Small, solver-neutral edits of a built :class:`~placement.canonical.CanonicalForm`.

Subsidiarity adds a value-floor row to the form it already solved, and the infeasibility
diagnosis adds slack columns and pin rows: both copy the form with a few extra rows or
columns (the existing matrix is stacked, not rebuilt), keeping every label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from placement.canonical import Block, CanonicalForm

__all__ = ["with_rows", "with_columns", "with_objective"]


def _labeler(labels: Sequence[str]) -> Callable[[np.ndarray], list[str]]:
    lab = list(labels)

    def label(idx: np.ndarray) -> list[str]:
        return [lab[i] for i in np.asarray(idx).tolist()]

    return label


def with_rows(
    form: CanonicalForm,
    rows: sp.spmatrix | np.ndarray,
    lower: np.ndarray | float,
    upper: np.ndarray | float,
    name: str,
    labels: Sequence[str],
    description: str = "",
) -> CanonicalForm:
    """A copy of ``form`` with ``k`` rows appended (``rows``: k x n_cols).

    >>> import numpy as np, placement
    >>> from placement.formulation import build
    >>> form = build(placement.load("instances/tiny-budget"))
    >>> f2 = with_rows(form, np.ones((1, form.n_cols)), -np.inf, 4.0, "sum", ["sum"])
    >>> f2.n_rows == form.n_rows + 1, f2.row_label(form.n_rows)
    (True, 'sum')
    """
    R = sp.csr_matrix(rows)
    if R.shape[1] != form.n_cols:
        raise ValueError(f"rows have {R.shape[1]} columns; the form has {form.n_cols}")
    k = R.shape[0]
    lo = np.broadcast_to(np.asarray(lower, dtype=float), (k,))
    up = np.broadcast_to(np.asarray(upper, dtype=float), (k,))
    A = sp.vstack([form.A, R], format="csr")
    block = Block(name, form.n_rows, form.n_rows + k, _labeler(labels), description)
    return replace(form, A=A, row_lower=np.concatenate([form.row_lower, lo]),
                   row_upper=np.concatenate([form.row_upper, up]),
                   row_blocks=(*form.row_blocks, block))


def with_columns(
    form: CanonicalForm,
    cols: sp.spmatrix | np.ndarray,
    cost: np.ndarray,
    lower: np.ndarray | float,
    upper: np.ndarray | float,
    integer: bool,
    name: str,
    labels: Sequence[str],
    description: str = "",
) -> CanonicalForm:
    """A copy of ``form`` with ``k`` columns appended (``cols``: n_rows x k)."""
    C = sp.csr_matrix(cols)
    if C.shape[0] != form.n_rows:
        raise ValueError(f"columns have {C.shape[0]} rows; the form has {form.n_rows}")
    k = C.shape[1]
    lo = np.broadcast_to(np.asarray(lower, dtype=float), (k,))
    up = np.broadcast_to(np.asarray(upper, dtype=float), (k,))
    A = sp.hstack([form.A, C], format="csr")
    block = Block(name, form.n_cols, form.n_cols + k, _labeler(labels), description)
    return replace(form, A=A, c=np.concatenate([form.c, np.asarray(cost, dtype=float)]),
                   col_lower=np.concatenate([form.col_lower, lo]),
                   col_upper=np.concatenate([form.col_upper, up]),
                   integrality=np.concatenate([form.integrality, np.full(k, bool(integer))]),
                   col_blocks=(*form.col_blocks, block))


def with_objective(form: CanonicalForm, c: np.ndarray, sense: str,
                   offset: float = 0.0) -> CanonicalForm:
    """A copy with another objective and sense (the matrix is shared)."""
    return replace(form, c=np.asarray(c, dtype=float), sense=sense, offset=float(offset))
