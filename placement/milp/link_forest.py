"""A bound with the links kept, and a placement that meets it within a component's step.

The LP relaxation, and every Lagrangian bound that relaxes the link rows, reads a hard link
``x[f,t] <= sum of x[h,t']`` over the tiers it accepts as a constraint on fractions: on 20,000
x 50 with 2,000 links its bound stayed 0.2-0.3% above the best placement found in 60 s. When a
single-area form's only other row is one budget (or none) and its links between functions form
a forest (no cycle: random sparse links almost never close one), relaxing the budget alone
leaves a problem :class:`placement.milp.forest.Forest` solves exactly, links and all, and the
exact search over the budget's multiplier (:func:`placement.milp.forest.one_row_search`) gives
a bound at least as strong as the LP's. The tiers where the search ends meet the budget and
every link; :func:`placement.milp.forest.fill` spends what is left of the budget, component by
component, best value per unit first. The placement is then within about one component's step
of the bound: a proof, on these forms, without any branching.

The link terms are those the form prices: per link ``psi[t_f, t_h]`` is 0 where the pair of
tiers keeps to it (:func:`placement.milp.links.link_pair_tables`), ``-inf`` elsewhere for a
hard link and ``-penalty * d[t_f, t_h]`` for a soft one (its pair columns' cost, maximised).
With several such rows (per-tier caps, a move limit or a share beside the budget) the
multipliers are found together by :func:`placement.milp.forest_rows.rows_search`; its tiers
may break a row (ties at the multipliers), and the caller then builds a placement from them
(:func:`placement.milp.construct.construct`). Links to a geography, or rows that hold a soft
link's auxiliary columns besides the links' own: the bound does not apply (None) and the
callers use the LP-based one.

Links that close cycles: the forest keeps a breadth-first search's tree of them and leaves
out one link closing each cycle (:meth:`placement.milp.forest.Forest.spanning`). Leaving a
link out relaxes it (its penalty or its rule is dropped), so the bound is still a bound, but
no longer always at least the LP's (:attr:`ForestBound.near_lp`), and the tiers may break a
hard link left out (``meets`` is then False). benchmarks/results/links-cycles compares it with
the LP-based path on 20,000 x 50 with caps and links closing cycles.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.milp.canonical import CanonicalForm
from placement.milp.core import Pricing, aux_penalties
from placement.milp.forest import Forest, fill, one_row_search
from placement.milp.lagrangian import kept_rows
from placement.milp.links import link_pair_tables
from placement.model.instance import Instance
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["ForestBound", "forest_bound", "forest_pricing", "forest_of"]

#: Row blocks the forest keeps (besides the one budget row it relaxes).
_KEPT_BLOCKS = ("assign", "link", "link_pair")


@dataclass(frozen=True, eq=False)
class ForestBound:
    """The bound (the form's sense, offset included), the placement columns of the tiers
    found (``meets``: they keep to every row; with one row always, filled), what the search
    took, and what :func:`forest_pricing` needs: the forest, each tier's value, the priced
    ``rows`` of the form, their coefficients ``R`` over the placement columns and their
    ``multipliers`` (signed as :mod:`placement.milp.lagrangian` prices a row), and ``L``
    maximised. ``converged``: the multipliers are the minimum's (one row: always)."""

    bound: float
    x: np.ndarray
    evaluations: int
    components: int
    links: int
    seconds: float
    forest: Forest
    c: np.ndarray
    rows: np.ndarray
    R: sp.csr_matrix
    multipliers: np.ndarray
    value: float
    meets: bool = True
    converged: bool = True
    left_out: int = 0

    @property
    def near_lp(self) -> bool:
        """Whether the bound is taken to be the LP's or stronger: every link kept, or at most
        a tenth of them left out (one closing each cycle: 1 of 10,000 on 20,000 x 50 at link
        density 0.5). Even one left out may leave the bound below the LP relaxation's (a
        small instance with 1 of 9 left out: 0.2% below; 48 x 3 with 1 of 10: 0.007%); with
        more left out the callers compute the LP-based one too, where their time allows
        (:func:`placement.solution.anytime.prepare`)."""
        return self.left_out * 10 <= self.links

    @property
    def multiplier(self) -> float:
        """The one row's multiplier (0 with no row; the first with several)."""
        return float(self.multipliers[0]) if self.multipliers.shape[0] else 0.0

    def full_multipliers(self, form: CanonicalForm) -> np.ndarray:
        """One multiplier per row of ``form`` (0 on the rows the forest keeps)."""
        out = np.zeros(form.n_rows)
        out[self.rows] = self.multipliers
        return out

    def theta(self) -> np.ndarray:
        """Each tier's value less the priced rows' use of it, (F, T)."""
        return self.c - (self.R.T @ self.multipliers).reshape(self.c.shape)

    def details(self) -> dict[str, object]:
        return {"bound": self.bound, "multiplier": self.multiplier,
                "multipliers": [float(v) for v in self.multipliers],
                "rows": int(self.rows.shape[0]), "converged": self.converged,
                "meets_rows": self.meets, "evaluations": self.evaluations,
                "components": self.components, "links": self.links,
                "links_left_out": self.left_out,
                "seconds": round(self.seconds, 4)}


def forest_bound(inst: Instance, form: CanonicalForm,
                 deadline: float | None = None) -> ForestBound | None:
    """The bound and placement of the module docstring, or None where they do not apply.
    ``deadline`` (``time.perf_counter()``) ends the search over several rows' multipliers
    early, with the best bound found by then (at least the rows broken unpriced priced
    together at their exact joint multiplier, even when it has passed before the search)."""
    t0 = time.perf_counter()
    F, T = form.n_functions, form.n_tiers
    if form.per_area or form.n_units != T or F == 0:
        return None
    kept = kept_rows(form)
    if kept.shape[0] != F or not np.array_equal(form.A[kept].indices, np.arange(F * T)):
        return None  # not the single-area grid: row f holds columns f*T .. f*T+T-1
    links = [lk for lk in inst.links if lk.other is not None]
    if len(links) != len(inst.links):
        return None  # a link to a geography: its rows are not a forest's
    inside = np.zeros(form.n_rows, dtype=bool)
    for name in _KEPT_BLOCKS:
        block = form.row_block(name)
        if block is not None:
            inside[block.start:block.stop] = True
    rest = np.nonzero(~inside)[0]
    if rest.shape[0] and form.A[rest][:, form.n_x:].nnz:
        return None
    sign = float(form.sense.sign)
    c = np.where(form.allowed_grid(), (sign * form.c[: form.n_x]).reshape(F, T), -np.inf)
    R = sp.csr_matrix(form.A[rest][:, : form.n_x])
    forest, left_out = _forest(inst, links, F, T)
    if forest is None:
        return None
    lower, upper = form.row_lower[rest], form.row_upper[rest]
    if rest.shape[0] <= 1:
        a = R.toarray().reshape(F, T) if rest.shape[0] else np.zeros((F, T))
        lo, up = (float(lower[0]), float(upper[0])) if rest.shape[0] else (-np.inf, np.inf)
        found = one_row_search(forest, c, a, lo, up)
        if found is None:
            return None
        tiers, value, evaluations = fill(forest, c, a, lo, up, found), found.value, \
            found.evaluations
        multipliers, meets, converged = np.array([found.lam])[: rest.shape[0]], True, True
    else:
        from placement.milp.forest_rows import rows_search  # scipy at import: see util.lazy

        rows = rows_search(forest, c, R, lower, upper, deadline=deadline)
        if rows is None:
            return None
        tiers = rows.tiers if rows.filled is None else rows.filled
        value, evaluations, meets = rows.value, rows.evaluations, rows.filled is not None
        multipliers, converged = rows.multipliers, rows.converged
    x = np.zeros(form.n_x)
    x[np.arange(F) * T + tiers] = 1.0
    value += sign * form.offset
    bound = form.round_bound(sign * value)
    assert bound is not None
    return ForestBound(bound, x, evaluations, forest.n_components, len(links),
                       time.perf_counter() - t0, forest, c, rest, R, multipliers, value,
                       meets and left_out.kept_by(tiers), converged, left_out.count)


def forest_pricing(form: CanonicalForm, fb: ForestBound) -> Pricing:
    """The forest's ``L`` and every column's penalty, as :func:`placement.milp.core.price`
    gives them for the LP-based bound, for reduced-cost fixing with the links kept.

    A placement with function f at tier t is worth at most ``L - penalty[f, t]``, the
    penalty being what forcing f onto t costs its component at the budget's price (the
    forest's max-marginals): the budget's term only lowers a placement that meets it, and the
    other components are worth at most their best. A soft link's pair column w[t, t'] is 1
    only where both its functions' columns are, so it takes the larger of their penalties
    (:func:`placement.milp.core.aux_penalties`). ``inf`` where no placement keeping to the
    hard links uses the column."""
    theta = fb.theta()
    marg = fb.forest.marginals(theta)
    best = marg.max(axis=1, keepdims=True)
    pen_x = np.where(np.isfinite(marg), np.maximum(best - marg, 0.0), np.inf).ravel()
    penalty = np.zeros(form.n_cols)
    penalty[: form.n_x] = pen_x
    if form.n_cols > form.n_x:
        penalty[form.n_x:] = aux_penalties(form, pen_x)
    return Pricing(fb.value, penalty, kept_rows(form), float(form.sense.sign),
                   fb.full_multipliers(form), kind="forest")


def forest_of(inst: Instance, form: CanonicalForm) -> Forest | None:
    """The forest of ``inst``'s links between functions over ``form``'s grid (singletons
    without links; the spanning forest where they close cycles; None where a link leads to a
    geography or the forest is deeper than the levels allow): what the bound solves, for
    anyone re-deriving it from its multipliers."""
    links = [lk for lk in inst.links if lk.other is not None]
    if len(links) != len(inst.links):
        return None
    return _forest(inst, links, form.n_functions, form.n_tiers)[0]


@dataclass(frozen=True)
class _LeftOut:
    """The links the forest leaves out (one closing each cycle): how many, and the hard
    ones' ends and the pairs of tiers each accepts."""

    count: int
    f: np.ndarray
    h: np.ndarray
    ok: np.ndarray

    def kept_by(self, tiers: np.ndarray) -> bool:
        """Whether ``tiers`` keep to every hard link left out."""
        return bool(np.all(self.ok[np.arange(self.f.shape[0]), tiers[self.f], tiers[self.h]]))


_NONE_LEFT_OUT = _LeftOut(0, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64),
                          np.zeros((0, 1, 1), dtype=bool))


def _forest(inst: Instance, links: list, F: int, T: int) -> tuple[Forest | None, _LeftOut]:
    """The forest of the links between functions with each link's ``psi``; where they close
    cycles, a spanning forest (:meth:`Forest.spanning`) and the links it leaves out (their
    terms relaxed: the bound is still one)."""
    if not links:
        return Forest.singletons(F, T), _NONE_LEFT_OUT
    fix = inst.functions.index
    f = np.array([fix[lk.function] for lk in links], dtype=np.int64)
    h = np.array([fix[str(lk.other)] for lk in links], dtype=np.int64)
    ok, d = link_pair_tables(inst, links)
    hard = np.array([lk.hard for lk in links])
    pen = np.array([float(lk.penalty or 0.0) for lk in links])
    psi = np.where(ok, 0.0, np.where(hard[:, None, None], -np.inf, -pen[:, None, None] * d))
    forest, out = Forest.spanning(F, T, f, h, psi)
    if not out.any():
        return forest, _NONE_LEFT_OUT
    gone = out & hard
    return forest, _LeftOut(int(out.sum()), f[gone], h[gone], ok[gone])
