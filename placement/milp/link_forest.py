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
Links to a geography, caps, move limits, shares or a second budget: the bound does not apply
(None) and the callers use the LP-based one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from placement.milp.canonical import CanonicalForm
from placement.milp.core import Pricing
from placement.milp.forest import Forest, fill, one_row_search
from placement.milp.lagrangian import kept_rows
from placement.milp.links import link_pair_tables
from placement.model.instance import Instance

__all__ = ["ForestBound", "forest_bound", "forest_pricing"]

#: Row blocks the forest keeps (besides the one budget row it relaxes).
_KEPT_BLOCKS = ("assign", "link", "link_pair")


@dataclass(frozen=True, eq=False)
class ForestBound:
    """The bound (the form's sense, offset included), the placement columns of the filled
    tiers (they meet the budget and every link), what the search took, and what
    :func:`forest_pricing` needs: the forest, each tier's value and use of the budget, the
    budget's row (None: no budget) and ``L`` maximised."""

    bound: float
    x: np.ndarray
    multiplier: float
    evaluations: int
    components: int
    links: int
    seconds: float
    forest: Forest
    c: np.ndarray
    a: np.ndarray
    row: int | None
    value: float

    def details(self) -> dict[str, object]:
        return {"bound": self.bound, "multiplier": self.multiplier,
                "evaluations": self.evaluations, "components": self.components,
                "links": self.links, "seconds": round(self.seconds, 4)}


def forest_bound(inst: Instance, form: CanonicalForm) -> ForestBound | None:
    """The bound and placement of the module docstring, or None where they do not apply."""
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
    if rest.shape[0] > 1 or (rest.shape[0] and form.A[rest][:, form.n_x:].nnz):
        return None
    sign = float(form.sense.sign)
    c = np.where(form.allowed_grid(), (sign * form.c[: form.n_x]).reshape(F, T), -np.inf)
    if rest.shape[0]:
        a = form.A[rest][:, : form.n_x].toarray().reshape(F, T)
        lower, upper = float(form.row_lower[rest[0]]), float(form.row_upper[rest[0]])
    else:
        a, lower, upper = np.zeros((F, T)), -np.inf, np.inf
    forest = _forest(inst, links, F, T)
    if forest is None:
        return None
    found = one_row_search(forest, c, a, lower, upper)
    if found is None:
        return None
    tiers = fill(forest, c, a, lower, upper, found)
    x = np.zeros(form.n_x)
    x[np.arange(F) * T + tiers] = 1.0
    value = found.value + sign * form.offset
    bound = form.round_bound(sign * value)
    assert bound is not None
    return ForestBound(bound, x, found.lam, found.evaluations, forest.n_components,
                       len(links), time.perf_counter() - t0, forest, c, a,
                       int(rest[0]) if rest.shape[0] else None, value)


def forest_pricing(form: CanonicalForm, fb: ForestBound) -> Pricing:
    """The forest's ``L`` and every column's penalty, as :func:`placement.milp.core.price`
    gives them for the LP-based bound, for reduced-cost fixing with the links kept.

    A placement with function f at tier t is worth at most ``L - penalty[f, t]``, the
    penalty being what forcing f onto t costs its component at the budget's price (the
    forest's max-marginals): the budget's term only lowers a placement that meets it, and the
    other components are worth at most their best. A soft link's pair column w[t, t'] is 1
    only where both its functions' columns are, so it takes the larger of their penalties
    (:func:`_aux_penalties`). ``inf`` where no placement keeping to the hard links uses the
    column."""
    theta = fb.c - fb.multiplier * fb.a
    marg = fb.forest.marginals(theta)
    best = marg.max(axis=1, keepdims=True)
    pen_x = np.where(np.isfinite(marg), np.maximum(best - marg, 0.0), np.inf).ravel()
    penalty = np.zeros(form.n_cols)
    penalty[: form.n_x] = pen_x
    if form.n_cols > form.n_x:
        penalty[form.n_x:] = _aux_penalties(form, pen_x)
    multipliers = np.zeros(form.n_rows)
    if fb.row is not None:
        multipliers[fb.row] = fb.multiplier
    return Pricing(fb.value, penalty, kept_rows(form), float(form.sense.sign), multipliers)


def _aux_penalties(form: CanonicalForm, pen_x: np.ndarray) -> np.ndarray:
    """Each auxiliary column's penalty: the largest penalty of a placement column it forces
    to 1 through a row ``sum of aux columns (positive coefficients) - x = 0`` (a soft link's
    transport row); 0 where no such row holds it."""
    n_x = form.n_x
    A = form.A.tocsr()
    Ax, Aa = A[:, :n_x].tocsr(), A[:, n_x:].tocsr()
    one = np.diff(Ax.indptr) == 1
    first = np.minimum(Ax.indptr[:-1], max(Ax.nnz - 1, 0))
    xcol = Ax.indices[first] if Ax.nnz else np.zeros(A.shape[0], dtype=np.int64)
    xneg = (Ax.data[first] < 0) if Ax.nnz else np.zeros(A.shape[0], dtype=bool)
    has_aux = np.diff(Aa.indptr) > 0
    lowest = np.full(A.shape[0], -np.inf)
    if Aa.nnz:
        lowest[has_aux] = np.minimum.reduceat(Aa.data, Aa.indptr[:-1][has_aux])
    forcing = ((form.row_lower == 0) & (form.row_upper == 0) & one & xneg & has_aux
               & (lowest > 0))
    row_pen = np.where(forcing, pen_x[xcol], 0.0)
    C = Aa.tocsc()
    out = np.zeros(C.shape[1])
    filled = np.diff(C.indptr) > 0
    if C.nnz:
        out[filled] = np.maximum.reduceat(row_pen[C.indices], C.indptr[:-1][filled])
    return out


def _forest(inst: Instance, links: list, F: int, T: int) -> Forest | None:
    """The forest of the links between functions with each link's ``psi``."""
    if not links:
        return Forest.singletons(F, T)
    fix = inst.functions.index
    f = np.array([fix[lk.function] for lk in links], dtype=np.int64)
    h = np.array([fix[str(lk.other)] for lk in links], dtype=np.int64)
    ok, d = link_pair_tables(inst, links)
    hard = np.array([lk.hard for lk in links])
    pen = np.array([float(lk.penalty or 0.0) for lk in links])
    psi = np.where(ok, 0.0, np.where(hard[:, None, None], -np.inf, -pen[:, None, None] * d))
    return Forest.from_links(F, T, f, h, psi)
