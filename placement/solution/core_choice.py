"""Which columns each round of the structure-aware solve (:mod:`placement.solution.structured`)
hands the backend: the incumbent and bound a solve carries from round to round (:class:`State`),
the threshold that is safe at the gap asked for, and the core of each round.

The first core keeps the rows closest to changing their choice. When that core is large (ties
at exact prices of several rows; link rows its fixings break), the same threshold with the
incumbent's columns comes first, then each row's :data:`CHOSEN_PER_ROW` cheapest columns and
the incumbent's, once: a better placement makes the safe threshold, and so every later core,
smaller. Later thresholds are the safe one, ``L - incumbent`` less the gap asked for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from placement.milp import CanonicalForm
from placement.milp.core import Core, Pricing, cheapest_core, core_of, thresholds

__all__ = ["State", "next_core", "large", "wider", "core_seconds", "no_time_for_core",
           "SIFT_PER_ROW",
           "CHOSEN_PER_ROW", "SIFT_FIRST_GAP", "CORE_PER_NONZERO"]

#: Sift for the LP bound before any core when the incumbent is further than this (relative)
#: from the Lagrangian bound; otherwise only once a first core has not proved the optimum.
SIFT_FIRST_GAP = 1e-3
#: Sifting starts from at most this many columns per row when a threshold would take more.
SIFT_PER_ROW = 4
#: A first core too large for its threshold holds this many columns per row instead.
CHOSEN_PER_ROW = 2
#: Seconds per nonzero of the form one core takes to choose (its fixings, redone while they
#: break a row): up to 4.5 s on the 63 million of 20,000 x 50 with 20,000 links, most
#: columns kept; 0.07-0.45 s on the 8.8 million of 20,000 x 50 with 2,000 links.
CORE_PER_NONZERO = 7e-8


def core_seconds(form: CanonicalForm) -> float:
    """About the time one core of ``form`` takes to choose, at most."""
    return CORE_PER_NONZERO * form.nnz


def no_time_for_core(form: CanonicalForm, deadline: float | None) -> bool:
    """Whether less is left before ``deadline`` (``time.perf_counter()``; None: no limit)
    than choosing a core of ``form`` (or another pass over the whole form) may take."""
    return deadline is not None and deadline - time.perf_counter() < core_seconds(form)


@dataclass
class State:
    form: CanonicalForm
    pricing: Pricing
    x: np.ndarray | None = None
    objective: float | None = None
    nodes: int = 0
    rel_gap: float = 0.0  # the gap asked for

    def offer(self, x: np.ndarray | None, objective: float | None) -> bool:
        if x is None or objective is None:
            return False
        if self.objective is not None and not self.form.sense.better(objective,
                                                                       self.objective):
            return False
        self.x, self.objective = x, objective
        return True

    def far(self) -> bool:
        """Whether the incumbent is more than :data:`SIFT_FIRST_GAP` from ``L``: the
        multipliers or the construction are too weak for a first core to be worth solving."""
        assert self.objective is not None
        gap = self.pricing.value - self.pricing.sign * self.objective
        return gap > SIFT_FIRST_GAP * max(1.0, abs(self.objective))

    def safe_threshold(self) -> float:
        """``L - incumbent`` (maximised) less the gap asked for: no column with a larger
        penalty is in a placement better than the incumbent by more than that gap (on
        5,000 x 20 with caps and links at 1e-4, a threshold of 0.86 instead of 6.2: a core of
        a tenth of the columns)."""
        assert self.objective is not None
        gap = self.pricing.value - self.pricing.sign * self.objective
        gap -= 0.999 * self.rel_gap * abs(self.objective)
        return max(gap, 0.0) * (1 + 1e-9) + 1e-9


def next_core(st: State, threshold: float, first: bool, chosen: bool,
              deadline: float | None = None) -> tuple[Core | None, float]:
    """The round's core and its threshold (-1 for a core chosen column by column, tried once
    at most: ``chosen`` says it has not been). Past ``deadline`` (``time.perf_counter()``)
    less :func:`core_seconds`, a large core is returned as it is rather than chosen again
    (on 20,000 x 50 with 20,000 links the two more took 5.8 s past a 60 s limit)."""
    form = st.form
    # the first core is the rows closest to changing their choice, without the incumbent's
    # (on 200,000 x 5 those made it half as large again and 5x slower to prove); later
    # cores hold it anyway (its columns' penalties are at most L - its value)
    core = core_of(form, st.pricing, threshold, include=None if first else st.x)
    if (st.x is None or not chosen or not large(core, st.pricing)
            or no_time_for_core(form, deadline)):
        return core, threshold
    if first:
        # the link rows its fixings break brought back (20,000 x 50 with caps and links:
        # 464,050 columns): with the incumbent's columns in, none breaks (39,173 columns,
        # 0.6 s to 4e-5 of the bound there; ties are equal only to rounding, 1e-10 there)
        tied = min(max(threshold, 1e-9 * max(1.0, abs(st.pricing.value))), st.safe_threshold())
        core = core_of(form, st.pricing, tied, include=st.x)
        if not large(core, st.pricing) or no_time_for_core(form, deadline):
            return core, tied
    # many tiers tied at the threshold (exact prices of several rows), or a later core this
    # large (5,000 x 20 with caps and links: 53,707 columns, 13 s): each row's few cheapest
    # columns and the incumbent's, for a better placement and so a smaller safe threshold
    core = core_of(form, st.pricing, -1.0,
                   include=cheapest_core(form, st.pricing, CHOSEN_PER_ROW, st.x))
    return core, -1.0


def large(core: Core | None, pricing: Pricing) -> bool:
    return core is not None and core.columns.shape[0] > SIFT_PER_ROW * pricing.kept.shape[0]


def wider(st: State, threshold: float, second: np.ndarray, size: int,
           improved: bool) -> float:
    """The next round's threshold: the safe one (``L - incumbent`` less the gap asked for)
    once a core has given the incumbent, else one keeping ``size`` rows (and the safe one
    when that is smaller); the whole form when every row is in already."""
    if st.objective is not None and (improved or size >= second.shape[0]):
        return max(st.safe_threshold(), threshold)
    if size >= second.shape[0]:
        return np.inf  # no placement yet: the whole form, less the fixings that are exact
    grown = max(thresholds(second, [size])[0], threshold)
    if st.objective is not None:
        grown = min(grown, max(st.safe_threshold(), threshold))
    return grown
