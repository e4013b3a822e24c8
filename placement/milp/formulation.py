"""Instance -> canonical form (docs/model.md section 3), built with whole-array numpy/scipy code.

Constraint families are small functions that each add one block of rows (and, if they need
them, auxiliary columns) to a :class:`~placement.milp.builder.FormBuilder`
(:mod:`placement.milp.families`, :mod:`placement.milp.links`). ``FAMILIES`` lists
them in order; later features add their own families there rather than special-casing
``build``.

    maximise    sum v[f,t] x[f,t]
    subject to  sum_t x[f,t] = 1                                  assign[f]
                x[f,t] = 0 for t not allowed; x[f,pinned] = 1     column bounds
                sum_{f,t} (cost[f,t,r] + move[f,r][t != current_f]) x[f,t] <= budget_r
                sum_f cost[f,t,r] x[f,t] <= cap[t,r]               cap[t,r]
                sum_{f with a current tier} x[f,current_f] >= n_current - max_moves
                sum_f x[f,t] <= share * F                          max_share (functions)
                sum_f cost[f,t,r] x[f,t] <= share * sum_{f,t'} cost[f,t',r] x[f,t']
                                                                   max_share (a resource)
                hard links (docs/model.md section 4), one row per link and tier t:
                x[f,t] <= sum_{t' : ok(t,t')} x[g,t']                link
                soft links: y[l,t,t'] = 1 when f is at t and g at t' (transport rows
                sum_t' y[l,t,t'] = x[f,t] and sum_t y[l,t,t'] = x[g,t']), each y paying
                penalty * d(t,t') in the objective; exact because x is binary
                links to a geography: sum_{t : kappa_G(t) < kappa_min} x[f,t] <= 0 (hard) or a
                copy z[l,t] = x[f,t] of each such tier paying penalty * (1 - kappa_G(t))

with ok/d per kind: together ok = (t == t'), d = 1 off the diagonal; at_or_above ok =
(t <= t'), d = 1 where f is more local than g; coterminous ok = (kappa(t,t') >= kappa_min),
d = 1 - kappa(t,t') where not ok. Every auxiliary column is binary, so backends that take only
integer variables (CP-SAT) solve the same form.

Families record the rows an infeasibility diagnosis may relax in ``form.info["relaxable"]``
(a list of :class:`RelaxableRows`).
"""

from __future__ import annotations

import time

import numpy as np

from placement.milp import families, links
from placement.milp.builder import FormBuilder
from placement.milp.canonical import CanonicalForm
from placement.milp.context import BuildContext, Family, x_labeler
from placement.model.instance import Instance
from placement.model.units import UnitLayout

__all__ = ["build", "FAMILIES", "centrality_ranks", "centrality_weights"]


def centrality_weights(layout: UnitLayout) -> np.ndarray:
    """(U,) rank(tier of u) * (u's share of the people): subsidiarity's centrality of placing
    a function at unit u (rank(t) in the single-area case)."""
    share = layout.unit_people / layout.area_population.sum()
    out: np.ndarray = centrality_ranks(layout.n_tiers)[layout.unit_tier] * share
    return out


def centrality_ranks(n_tiers: int) -> np.ndarray:
    """rank(t) for subsidiarity: the number of tiers more local than t (national highest,
    the most local tier 0).

    >>> centrality_ranks(3).tolist()
    [2.0, 1.0, 0.0]
    """
    return np.arange(n_tiers - 1, -1, -1, dtype=float)


#: Constraint families in the order their rows appear.
FAMILIES: list[Family] = [families.assignment, families.budgets, families.caps,
                          families.unit_caps, families.max_moves, families.max_share,
                          links.links]


def build(
    inst: Instance,
    *,
    values: np.ndarray | None = None,
    families: list[Family] | None = None,
) -> CanonicalForm:
    """The canonical form of ``inst``.

    Parameters
    ----------
    inst
        The instance (with any scenario already applied).
    values
        An (F, U) value table to use instead of the instance's own (sensitivity analyses);
        (F, T) in the single-area case.
    families
        Constraint families to use instead of :data:`FAMILIES`.

    Examples
    --------
    >>> import placement
    >>> inst = placement.load("instances/tiny-budget")
    >>> form = build(inst)
    >>> form.n_cols == inst.n_functions * inst.n_tiers
    True
    """
    t0 = time.perf_counter()
    F, T = inst.n_functions, inst.n_tiers
    v = inst.value_matrix if values is None else np.asarray(values, dtype=float)
    costs = inst.cost_tensor
    b = FormBuilder(inst.sense, F, T, inst.name, inst.units)
    b.add_columns(
        "x",
        v.ravel(),
        inst.unit_pins.ravel(),
        inst.unit_allowed.astype(float).ravel(),
        True,
        x_labeler(inst),
        "y[f,u] = 1 when unit u does function f (x[f,t]: f placed at tier t)",
    )
    ctx = BuildContext(inst, b, v, costs)
    for family in FAMILIES if families is None else families:
        family(ctx)
    b.info["relaxable"] = ctx.relaxable
    form = b.build()
    form.info["build_seconds"] = time.perf_counter() - t0
    return form
