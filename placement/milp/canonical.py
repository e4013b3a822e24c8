"""The solver-neutral canonical form of a placement MILP, and a vectorised builder for it.

A canonical form is::

    optimise  c @ x + offset            (sense max or min: a :class:`Sense`)
    subject   row_lower <= A @ x <= row_upper
              col_lower <=     x <= col_upper
              x[j] integer where integrality[j]

with ``A`` a ``scipy.sparse.csr_matrix``, built on first use: a form the builder assembles holds
its matrix as plain CSR arrays (:class:`CsrArrays`), which a backend reads through
:meth:`CanonicalForm.csr` without importing scipy. Forms are built by
:class:`~placement.milp.builder.FormBuilder` and edited by copying: :meth:`CanonicalForm.with_rows`,
:meth:`~CanonicalForm.with_columns`, :meth:`~CanonicalForm.with_objective` and
:meth:`~CanonicalForm.with_col_bounds` return a new form sharing what they do not change.
Rows and columns come in named *blocks* (e.g. ``assign``, ``budget``, ``cap``); each block
knows how to label its members, so a label for every row and column is available on demand
without building millions of strings up front.

The first ``n_functions * n_units`` columns are always the placement binaries y[f, u] in
function-major order (column ``f * n_units + u``); ``layout`` says which tier each unit belongs
to and which areas it covers. In the single-area case (an instance without areas) the units are
the tiers and the columns are x[f, t] (column ``f * n_tiers + t``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.model.sense import Sense
from placement.model.units import UnitLayout
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["Block", "CanonicalForm", "CsrArrays", "Labeler", "list_labels", "constant_labels"]

Labeler = Callable[[np.ndarray], list[str]]


@dataclass(frozen=True)
class Block:
    """A contiguous range of rows or columns with one meaning."""

    name: str
    start: int
    stop: int
    labeler: Labeler
    description: str = ""

    def __len__(self) -> int:
        return self.stop - self.start

    def labels(self, local: np.ndarray | None = None) -> list[str]:
        idx = np.arange(len(self)) if local is None else np.asarray(local)
        return self.labeler(idx)


def _find_block(blocks: Sequence[Block], i: int) -> Block:
    for b in blocks:
        if b.start <= i < b.stop:
            return b
    raise IndexError(i)


@dataclass(frozen=True, eq=False)
class CsrArrays:
    """A matrix in canonical CSR form (sorted columns, no duplicates within a row) as its three
    arrays: what :class:`~placement.milp.builder.FormBuilder` assembles, before scipy is needed."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])

    def to_scipy(self) -> sp.csr_matrix:
        A = sp.csr_matrix((self.data, self.indices, self.indptr), shape=self.shape)
        A.has_canonical_format = True  # the builder checked it (``canonical_rows``)
        return A


def canonical_rows(indptr: np.ndarray, indices: np.ndarray) -> bool:
    """True when the column indices strictly increase within every row (sorted, no duplicates):
    the check scipy's ``has_canonical_format`` makes in C, in whole-array numpy."""
    nnz = int(indices.shape[0])
    if nnz < 2:
        return True
    rises = indices[1:] > indices[:-1]  # no integer difference array in between
    starts = indptr[1:-1]
    starts = starts[(starts > 0) & (starts < nnz)]
    rises[starts - 1] = True  # a row's first entry need not exceed the last row's last
    return bool(rises.all())


class _Matrix:
    """``CanonicalForm.A``: a scipy CSR matrix, made from :class:`CsrArrays` on first read.

    A dataclass field with this descriptor as its class attribute; reading it on the class
    raises ``AttributeError``, so the field has no default (the dataclass convention)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> sp.csr_matrix:
        if obj is None:
            raise AttributeError("A")
        value = obj.__dict__[self.slot]
        if isinstance(value, CsrArrays):
            value = value.to_scipy()
            obj.__dict__[self.slot] = value
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.slot] = value


@dataclass(eq=False)
class CanonicalForm:
    """One MILP in arrays, ready for any backend. See the module docstring."""

    sense: Sense
    c: np.ndarray
    if TYPE_CHECKING:
        A: sp.csr_matrix
    else:
        A: Any = _Matrix()
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray  # bool
    n_functions: int
    n_tiers: int
    offset: float = 0.0
    layout: UnitLayout | None = None
    row_blocks: tuple[Block, ...] = ()
    col_blocks: tuple[Block, ...] = ()
    name: str = ""
    info: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sense = Sense(self.sense)

    @property
    def n_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def nnz(self) -> int:
        """Nonzeros of ``A`` (without building it from its arrays)."""
        return int(self.__dict__["_A"].nnz)

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``A``'s CSR arrays (indptr, indices, data), without importing scipy when the form
        holds them as :class:`CsrArrays`."""
        m = self.__dict__["_A"]
        return m.indptr, m.indices, m.data

    def _copy(self, **changes: Any) -> CanonicalForm:
        """``dataclasses.replace`` for fields other than ``A``, keeping ``A`` as it is held
        (``replace`` would read it, and so build the scipy matrix)."""
        new = copy.copy(self)
        for name, value in changes.items():
            setattr(new, name, value)
        new.__post_init__()
        return new

    @property
    def n_rows(self) -> int:
        return int(self.row_lower.shape[0])

    @property
    def n_units(self) -> int:
        """Placement columns per function: the units (the tiers, in the single-area case)."""
        return self.n_tiers if self.layout is None else self.layout.n_units

    @property
    def per_area(self) -> bool:
        return self.layout is not None and self.layout.per_area

    @property
    def n_x(self) -> int:
        """Number of placement columns y[f, u] (x[f, t] in the single-area case)."""
        return self.n_functions * self.n_units

    def row_block(self, name: str) -> Block | None:
        return next((b for b in self.row_blocks if b.name == name), None)

    def col_block(self, name: str) -> Block | None:
        return next((b for b in self.col_blocks if b.name == name), None)

    def row_label(self, i: int) -> str:
        b = _find_block(self.row_blocks, i)
        return b.labels(np.array([i - b.start]))[0]

    def col_label(self, j: int) -> str:
        b = _find_block(self.col_blocks, j)
        return b.labels(np.array([j - b.start]))[0]

    @property
    def integral_objective(self) -> bool:
        """True when every placement's objective is a whole number: every objective
        coefficient and the offset are whole and only integer columns carry a cost."""
        c, integer = self.c, self.integrality.astype(bool)
        return bool(np.all(c[~integer] == 0) and np.all(c == np.round(c))
                    and float(self.offset).is_integer() and np.abs(c).sum() < 2.0**52)

    def objective_of(self, x: np.ndarray) -> float:
        """The objective of ``x``, its integer columns snapped to whole numbers first (a
        solver's 0.9999999 is the 1 its placement means); a whole number when the objective
        is integral, so OR-Library optima print as 23307, not 23306.999999999."""
        x = np.asarray(x, dtype=float)
        x = np.where(self.integrality.astype(bool), np.round(x), x)
        z = float(self.c @ x + self.offset)
        return float(round(z)) if self.integral_objective else z

    def round_bound(self, bound: float | None) -> float | None:
        """A proven bound tightened to the nearest whole number on the right side when the
        objective is integral (no whole-number objective lies strictly between)."""
        if bound is None or not np.isfinite(bound) or not self.integral_objective:
            return bound
        tol = 1e-6 * max(1.0, abs(bound))
        if self.sense is Sense.MAX:
            return float(np.floor(bound + tol))
        return float(np.ceil(bound - tol))

    def assignment_of(self, x: np.ndarray) -> np.ndarray:
        """Tier index per function from a full solution vector (largest x[f, :]); for a
        single-area form. Per area, see :meth:`placement_of`."""
        if self.per_area:
            raise ValueError("a per-area form has a tier per function and area: placement_of")
        X = np.asarray(x[: self.n_x], dtype=float).reshape(self.n_functions, self.n_tiers)
        return np.argmax(X, axis=1)

    def placement_of(self, x: np.ndarray) -> np.ndarray:
        """(F, A) the tier serving each function in each area (the unit of that tier covering
        the area is the one with the largest y); (F, 1) in the single-area case."""
        if not self.per_area:
            return self.assignment_of(x)[:, None]
        assert self.layout is not None
        Y = np.asarray(x[: self.n_x], dtype=float).reshape(self.n_functions, self.n_units)
        Yx = np.hstack([Y, np.full((self.n_functions, 1), -np.inf)])  # -1: no unit there
        best = np.zeros((self.n_functions, self.layout.n_areas), dtype=np.int64)
        top = np.full((self.n_functions, self.layout.n_areas), -np.inf)
        for t in range(self.n_tiers):  # tiers are few; each step is whole-array
            v = Yx[:, self.layout.unit_of[:, t]]
            better = v > top
            best[better] = t
            top = np.maximum(top, v)
        return best

    def allowed_grid(self) -> np.ndarray:
        """(F, U): the placement columns each function may take: those its column bounds
        allow, and only its pinned ones where a pin fixes one."""
        F, U = self.n_functions, self.n_units
        allowed = np.asarray(self.col_upper[: self.n_x].reshape(F, U) >= 0.5)
        pinned = np.asarray(self.col_lower[: self.n_x].reshape(F, U) >= 0.5)
        has_pin = np.asarray(pinned.any(axis=1))
        return allowed & ~(has_pin[:, None] & ~pinned)

    def served(self, chosen: np.ndarray) -> np.ndarray:
        """Which auxiliary columns the placement columns ``chosen`` (a mask or 0-1 vector over
        them) can use: those whose every row holds a chosen placement column or none at all
        (a soft link's pair column w[l,t,t'] when both z[f,t] and z[h,t'] are chosen; a
        geography copy when its unit's column is). For a whole placement these are the
        auxiliary columns it decides."""
        if self.n_cols == self.n_x:
            return np.zeros(0, dtype=bool)
        from placement.milp.blocks import nonzeros

        nz = nonzeros(self)  # made once per matrix
        chosen = np.asarray(chosen) > 0.5
        bad_row = np.zeros(self.n_rows, dtype=bool)
        bad_row[nz.x_rows] = True  # a row holding placement columns ...
        bad_row[nz.x_rows[chosen[nz.x_cols]]] = False  # ... none of them chosen
        out = np.ones(self.n_cols - self.n_x, dtype=bool)
        out[nz.aux_cols[bad_row[nz.aux_rows]]] = False
        return out

    def max_violation(self, x: np.ndarray) -> float:
        """Largest absolute violation of any row or column bound (a solver sanity check)."""
        ax = self.A @ x
        x = np.asarray(x, dtype=float)
        buf = np.empty(max(ax.shape[0], x.shape[0]))  # one scratch array, not four and a join
        worst = [np.max(np.subtract(a, b, out=buf[: a.shape[0]]), initial=0.0)
                 for a, b in ((self.row_lower, ax), (ax, self.row_upper),
                              (self.col_lower, x), (x, self.col_upper))]
        return float(np.max(worst))  # NaN anywhere is NaN: no row is met

    def with_objective(self, c: np.ndarray, sense: Sense | str | None = None,
                       offset: float = 0.0) -> CanonicalForm:
        """A copy optimising ``c @ x + offset`` (the matrix is shared, not copied).

        ``sense`` defaults to the form's own. The offset belongs to the objective it comes
        with, so a new objective starts from ``offset`` (0 unless given), not from the old one.
        """
        return self._copy(c=np.asarray(c, dtype=float),
                          sense=self.sense if sense is None else Sense(sense),
                          offset=float(offset))

    def with_col_bounds(self, lower: np.ndarray, upper: np.ndarray) -> CanonicalForm:
        """A copy with other column bounds (pins, forced tiers, fixings)."""
        return self._copy(col_lower=np.asarray(lower, float),
                          col_upper=np.asarray(upper, float))

    def with_rows(
        self,
        rows: sp.spmatrix | np.ndarray,
        lower: np.ndarray | float,
        upper: np.ndarray | float,
        name: str,
        labels: Sequence[str],
        description: str = "",
    ) -> CanonicalForm:
        """A copy with ``k`` rows appended (``rows``: k x n_cols); the existing matrix is
        stacked, not rebuilt, and every label is kept.

        >>> import numpy as np, placement
        >>> from placement.milp import build
        >>> form = build(placement.load("instances/tiny-budget"))
        >>> f2 = form.with_rows(np.ones((1, form.n_cols)), -np.inf, 4.0, "sum", ["sum"])
        >>> f2.n_rows == form.n_rows + 1, f2.row_label(form.n_rows)
        (True, 'sum')
        """
        R = sp.csr_matrix(rows)
        if R.shape[1] != self.n_cols:
            raise ValueError(f"rows have {R.shape[1]} columns; the form has {self.n_cols}")
        k = R.shape[0]
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (k,))
        up = np.broadcast_to(np.asarray(upper, dtype=float), (k,))
        A = sp.vstack([self.A, R], format="csr")
        block = Block(name, self.n_rows, self.n_rows + k, list_labels(labels), description)
        return replace(self, A=A, row_lower=np.concatenate([self.row_lower, lo]),
                       row_upper=np.concatenate([self.row_upper, up]),
                       row_blocks=(*self.row_blocks, block))

    def with_columns(
        self,
        cols: sp.spmatrix | np.ndarray,
        cost: np.ndarray,
        lower: np.ndarray | float,
        upper: np.ndarray | float,
        integer: bool,
        name: str,
        labels: Sequence[str],
        description: str = "",
    ) -> CanonicalForm:
        """A copy with ``k`` columns appended (``cols``: n_rows x k)."""
        C = sp.csr_matrix(cols)
        if C.shape[0] != self.n_rows:
            raise ValueError(f"columns have {C.shape[0]} rows; the form has {self.n_rows}")
        k = C.shape[1]
        lo = np.broadcast_to(np.asarray(lower, dtype=float), (k,))
        up = np.broadcast_to(np.asarray(upper, dtype=float), (k,))
        A = sp.hstack([self.A, C], format="csr")
        block = Block(name, self.n_cols, self.n_cols + k, list_labels(labels), description)
        return replace(self, A=A, c=np.concatenate([self.c, np.asarray(cost, dtype=float)]),
                       col_lower=np.concatenate([self.col_lower, lo]),
                       col_upper=np.concatenate([self.col_upper, up]),
                       integrality=np.concatenate([self.integrality, np.full(k, bool(integer))]),
                       col_blocks=(*self.col_blocks, block))


def list_labels(names: Sequence[str]) -> Labeler:
    """A labeler naming member ``i`` of a block ``names[i]``."""
    lab = list(names)

    def labels(idx: np.ndarray) -> list[str]:
        return [lab[i] for i in np.asarray(idx).tolist()]

    return labels


def constant_labels(label: str) -> Labeler:
    """A labeler giving every member of a block the same name."""

    def labels(idx: np.ndarray) -> list[str]:
        return [label] * len(idx)

    return labels
