"""The elastic form behind the infeasibility diagnosis, and the solves that minimise its slack.

Every budget, cap, max_moves, max_share and hard-link row gets a slack column (one per budget,
cap, share limit or link), and every pin moves from a column bound into a row
``x[f, pinned] + s_f >= 1``. Functions keep their allowed tiers and "exactly one tier". Slacks
cost nothing in the form's own objective; :func:`lexicographic` prices them stage by stage,
each slack divided by the size of its limit (a budget of 50 short by 62 counts 62 / 50), so
limits of different sizes are relaxed in proportion to themselves.

The solves always use HiGHS (:data:`ELASTIC_SOLVER`), whatever backend was asked for: the
slacks are continuous, which CP-SAT cannot take. What the slacks mean in the instance's own
words is :mod:`placement.solution.diagnosis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import numpy as np

from placement import solvers
from placement.milp import CanonicalForm, RelaxableRows
from placement.model import NO_TIER, Instance
from placement.solvers.base import SolveOptions
from placement.util.lazy import lazy_module

if TYPE_CHECKING:
    import scipy.sparse as sp
else:
    sp = lazy_module("scipy.sparse")

__all__ = ["ELASTIC_SOLVER", "QUANTITIES", "Slack", "elastic_form", "lexicographic",
           "slack_values"]

#: The backend every elastic re-solve uses (continuous slacks).
ELASTIC_SOLVER = "highs"

#: Slack kinds that relax a limit by an amount (links and pins are dropped whole instead).
QUANTITIES = ("budget", "cap", "unit_cap", "max_moves", "max_share")


@dataclass
class Slack:
    """One slack column: what it relaxes (``kind``, ``subject``), the limit as given, the scale
    its value is divided by when priced, and its upper bound (1 for links and pins)."""

    kind: str
    subject: str
    limit: float
    scale: float
    upper: float


def elastic_form(form: CanonicalForm, inst: Instance) -> tuple[CanonicalForm, list[Slack]]:
    """The form with a slack column per relaxable group and pins moved into rows (slacks
    cost nothing in the form's own objective); the slacks are its last columns, in order."""
    form, slacks = _slack_columns(form)
    form, pins = _pin_rows(form, inst)
    return form, slacks + pins


def _slack_columns(form: CanonicalForm) -> tuple[CanonicalForm, list[Slack]]:
    """One slack column per budget, cap, share limit or link the formulation marked relaxable."""
    relaxable = cast(list[RelaxableRows], form.info.get("relaxable", []))
    slacks: list[Slack] = []
    rr: list[np.ndarray] = []
    cc: list[np.ndarray] = []
    vv: list[np.ndarray] = []
    for R in relaxable:
        base = len(slacks)
        for g, subj in enumerate(R.subjects):
            slacks.append(Slack(R.kind, subj, float(R.limits[g]), float(R.scales[g]),
                                1.0 if R.kind == "link" else np.inf))
        rr.append(R.rows)
        cc.append(base + R.group)
        vv.append(np.full(R.rows.shape[0], -float(R.sense)))
    k = len(slacks)
    if k:
        S = sp.csr_matrix((np.concatenate(vv), (np.concatenate(rr), np.concatenate(cc))),
                          shape=(form.n_rows, k))
        form = form.with_columns(S, np.zeros(k), 0.0,
                                 np.array([s.upper for s in slacks]), False, "slack",
                                 [f"slack[{s.kind}:{s.subject}]" for s in slacks])
    return form, slacks


def _pin_rows(form: CanonicalForm, inst: Instance) -> tuple[CanonicalForm, list[Slack]]:
    """Each pin as rows ``y[f, u] + s_f >= 1`` (one per unit the pin fixes; x[f, pinned] in the
    single-area case) sharing the function's own 0-1 slack, instead of column bounds (a bound
    cannot be relaxed by a slack)."""
    fn = inst.functions
    pinned = np.nonzero(fn.pinned != NO_TIER)[0]
    if not pinned.size:
        return form, []
    slot = np.full(len(fn), -1, dtype=np.int64)
    slot[pinned] = np.arange(pinned.size)
    f, u = np.nonzero(inst.unit_pins > 0)
    pcols = f * inst.n_units + u
    n0 = form.n_cols
    form = form.with_columns(sp.csr_matrix((form.n_rows, pinned.size)),
                             np.zeros(pinned.size), 0.0, 1.0, False, "pin_slack",
                             [f"slack[pin:{fn.ids[g]}]" for g in pinned.tolist()])
    k = pcols.shape[0]
    rows = sp.csr_matrix(
        (np.ones(2 * k), (np.tile(np.arange(k), 2), np.concatenate([pcols, n0 + slot[f]]))),
        shape=(k, form.n_cols))
    form = form.with_rows(rows, 1.0, np.inf, "pin",
                          [f"pin[{fn.ids[g]}]" for g in f.tolist()])
    lo = form.col_lower.copy()
    lo[pcols] = 0.0
    form = form.with_col_bounds(lo, form.col_upper)
    return form, [Slack("pin", str(fn.ids[f]), 1.0, 1.0, 1.0) for f in pinned.tolist()]


def lexicographic(form: CanonicalForm, slacks: list[Slack], stages: list[tuple[str, ...]],
                  options: SolveOptions, fixed_zero: tuple[str, ...] = ()) -> np.ndarray | None:
    """The elastic solution that minimises the slacks of each stage's kinds in turn, each
    optimum held as a row for the stages after it (None when a stage has no solution).

    ``fixed_zero`` kinds get no slack at all (their upper bound is 0).
    """
    backend = solvers.get(ELASTIC_SOLVER)
    k = len(slacks)
    start = form.n_cols - k
    if fixed_zero:
        up = form.col_upper.copy()
        idx = [start + i for i, s in enumerate(slacks) if s.kind in fixed_zero]
        up[idx] = 0.0
        form = form.with_col_bounds(form.col_lower, up)
    x = None
    for kinds in stages:
        w = np.array([1.0 / s.scale if s.kind in kinds else 0.0 for s in slacks])
        if not w.any():
            continue
        c = np.zeros(form.n_cols)
        c[start:] = w
        raw = backend.solve(form.with_objective(c, "min"), options)
        if raw.x is None or raw.objective is None:
            return None
        x = raw.x
        best = float(raw.objective)
        form = form.with_rows(c[None, :], -np.inf, best + 1e-9 * max(1.0, abs(best)),
                              f"elastic_{kinds[0]}", [f"elastic[{','.join(kinds)}]"])
    # among the smallest relaxations, the placement with the best value (the form's own
    # objective, on the x and link columns)
    raw = backend.solve(form, options)
    if raw.x is not None:
        x = raw.x
    return x


def slack_values(elastic: CanonicalForm, slacks: list[Slack], x: np.ndarray) -> np.ndarray:
    """The slacks' values in a solution ``x`` of the elastic form, in the order of ``slacks``."""
    return np.asarray(x[elastic.n_cols - len(slacks):], dtype=float)
