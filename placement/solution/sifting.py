"""The LP bound by sifting, and a placement rounded from the LP: for forms with many coupling rows.

The Lagrangian multipliers of :mod:`placement.milp.lagrangian` come from a subgradient search
in a time box. With thousands of link rows it stops well short of the LP bound (50,000 x 5
with 5,000 links: 531,137 against an LP optimum of 530,376), so the penalties it prices are
too weak to exclude anything and no core proves a gap. :func:`sift` finds the LP optimum
itself, column generation style:

1. The LP relaxation over a subset of the columns (every row; the columns of the last core,
   the incumbent's and every auxiliary column, so that it is feasible), in HiGHS
   (:class:`placement.solvers.highs_lp.RestrictedLP`).
2. Its row duals are multipliers: :func:`placement.milp.core.price` re-derives ``L`` from them
   over every column (a valid bound whatever they are) and names each assignment row's best
   column. Columns that are best in their row and not in the subset are added, and the
   auxiliary columns (soft links) whose reduced cost is positive.
3. Until none is added (the subset's LP optimum is then the whole LP's, and ``L`` equals it) or
   ``L`` is within ``tol`` of the subset's LP value.

The LP optimum of these forms is nearly integral (17 of 50,000 functions fractional on the
instance above). :func:`round_lp` fixes every assignment row the LP settles and hands the
backend the small MIP over the rest: a placement within a few units of the LP bound.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from placement.milp import CanonicalForm
from placement.milp.blocks import aux_block
from placement.milp.core import Core, Pricing, core_of, price
from placement.solvers.highs_lp import RestrictedLP
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["Sifted", "sift", "rounding_core"]

#: Passes of pricing and re-solving at most.
MAX_PASSES = 40
_INTEGRAL = 1e-6


@dataclass
class Sifted:
    """What :func:`sift` found: the pricing with the lowest ``L`` (the best bound), the last
    restricted LP's value (form's sense) and solution, how many passes and columns it took."""

    pricing: Pricing
    lp_value: float | None
    x: np.ndarray | None
    member: np.ndarray
    seconds: float
    stopped: str  # "converged" when the bound is the LP bound (within tol)
    trace: list[dict[str, float]]  # per pass: LP value, its L, columns added, seconds

    @property
    def converged(self) -> bool:
        return self.stopped == "converged"

    def details(self, form: CanonicalForm) -> dict[str, object]:
        return {"lp_bound": self.pricing.bound(form), "lp_value": self.lp_value,
                "passes": len(self.trace), "columns": int(self.member.sum()),
                "stopped": self.stopped, "seconds": round(self.seconds, 4),
                "trace": self.trace}


def sift(form: CanonicalForm, pricing: Pricing, member: np.ndarray, deadline: float | None,
         threads: int | None = None, tol: float = 1e-7, *,
         incumbent: Callable[[Sifted], float | None] | None = None,
         rel_gap: float = 0.0) -> Sifted:
    """Sift from the columns ``member`` (a mask over the form's columns; it must hold a
    feasible placement) until ``L`` is within ``tol`` (relative) of the restricted LP's
    optimum or nothing prices in; ``pricing`` is the best known so far.

    Once the restricted LP's value stops moving (a pass changes it by at most ``tol``), the
    passes that follow only tighten ``L``: ``incumbent`` is then called with what sifting has
    so far (to round it) and returns the best placement's value known (the form's sense).
    Sifting stops ("proven") as soon as ``L`` is within ``rel_gap`` of it: on 200,000 x 5
    with links, that is the pass after the LP settles rather than three or four later."""
    t0 = time.perf_counter()
    allowed = form.col_upper >= 0.5
    member = member & allowed
    aux = aux_block(form).T.tocsr() if form.n_cols > form.n_x else None
    if aux is not None:
        member[form.n_x:] |= _pays(form, aux, pricing.multipliers) & allowed[form.n_x:]
    best, lp_value, x = pricing, None, None
    lp = RestrictedLP(form, np.nonzero(member)[0], threads)
    sign = form.sense.sign
    stopped = f"{MAX_PASSES} passes"
    trace: list[dict[str, float]] = []
    known: float | None = None  # the incumbent's value, maximised (sign * objective)
    rounded_at: float | None = None  # the LP value last rounded
    after = 0.0  # what the last pass took after its LP (pricing every column)
    for _ in range(MAX_PASSES):
        # the pass's pricing after its LP is kept inside the deadline too (on 20,000 x 50
        # with 20,000 links it takes 3 s: sifting ran 4 s past its time)
        left = None if deadline is None else deadline - time.perf_counter() - after
        if left is not None and left <= 0.05:
            stopped = "time"
            break
        t = time.perf_counter()
        sol = lp.solve(left)
        seconds = round(time.perf_counter() - t, 3)
        priced_from = time.perf_counter()
        if sol is None:
            stopped = "no LP optimum (time or numerics)"
            break
        lp_value, x = sol.value, sol.x
        try:
            p = price(form, sol.multipliers)
        except ValueError:
            stopped = "the duals priced no column in some row"
            break
        if p.value < best.value:
            best = p
        new = _entering(form, aux, p, sol.multipliers) & ~member & allowed
        trace.append({"lp": sol.value, "bound": p.bound(form), "added": int(new.sum()),
                      "seconds": seconds})
        after = time.perf_counter() - priced_from
        if not new.any() or best.value - sign * sol.value <= tol * max(1.0, abs(sol.value)):
            stopped = "converged"
            break
        if incumbent is not None and len(trace) >= 2 and rounded_at != sol.value and \
                abs(trace[-2]["lp"] - sol.value) <= tol * max(1.0, abs(sol.value)):
            rounded_at = sol.value
            value = incumbent(Sifted(best, lp_value, x, member.copy(),
                                     time.perf_counter() - t0, "settled", trace))
            known = None if value is None else sign * value
        if known is not None and best.value - known <= rel_gap * max(1.0, abs(known)):
            stopped = "proven"
            break
        member |= new
        lp.add(np.nonzero(new)[0])
    return Sifted(best, lp_value, x, member, time.perf_counter() - t0, stopped, trace)


def _entering(form: CanonicalForm, aux: sp.csr_matrix | None, p: Pricing,
              multipliers: np.ndarray) -> np.ndarray:
    """The columns best in their assignment row at ``multipliers`` and the auxiliary columns
    that pay there."""
    new = p.penalty <= 1e-9
    if aux is not None:
        new[form.n_x:] = _pays(form, aux, multipliers)
    return new


def _pays(form: CanonicalForm, aux_rows: sp.csr_matrix, multipliers: np.ndarray) -> np.ndarray:
    """Which auxiliary columns have a positive reduced cost at ``multipliers`` (those the
    restricted LP would take up)."""
    d = form.sense.sign * form.c[form.n_x:] - aux_rows @ multipliers
    return np.asarray(d > 1e-9)


def rounding_core(form: CanonicalForm, sifted: Sifted,
                  incumbent: np.ndarray | None = None) -> Core | None:
    """The MIP left when every assignment row the LP solution settles (one column at 1) is
    fixed there: each other row keeps the columns sifting brought in. Fixing can leave it
    infeasible (a capacity the LP shares out fractionally); with ``incumbent`` its columns
    are kept too, so that it has a placement."""
    if sifted.x is None:
        return None
    kept = sifted.pricing.kept
    K = form.A[kept]
    cols = K.indices
    row = np.repeat(np.arange(kept.shape[0]), np.diff(K.indptr))
    v = sifted.x[cols]
    fractional = (v > _INTEGRAL) & (v < 1 - _INTEGRAL)
    open_row = np.zeros(kept.shape[0], dtype=bool)
    open_row[row[fractional]] = True
    include = np.zeros(form.n_cols)
    include[cols] = np.where(open_row[row], sifted.member[cols], v >= 1 - _INTEGRAL)
    if incumbent is not None:
        include[: form.n_x][np.asarray(incumbent)[: form.n_x] > 0.5] = 1.0
    # all the pair columns would be T^2 per soft link: 2.5 million on 20,000 x 50, a MIP
    # that overran its time by 13 s; only those the kept placement columns can use
    include[form.n_x:] = form.served(include[: form.n_x] > 0.5)
    return core_of(form, sifted.pricing, -1.0, include=include)
