"""Re-solving one canonical form many times: the helpers the exact analyses share
(:mod:`~placement.analysis.explain`, :mod:`~placement.analysis.forcing`,
:mod:`~placement.analysis.stability`).

* :class:`Solver`: one backend bound to its options; counts solves and refuses unproven answers;
* solutions read as placements: :func:`rounded` (integer columns rounded),
  :func:`assignment_of` (tier index per function);
* objectives and extra rows: :func:`x_objective` (new values for the ``x`` columns),
  :func:`value_row` ("at least as good as"), :func:`closest` (the placement moving the fewest
  functions from a reference);
* requests and failures: :func:`criterion_indices`, :func:`infeasible_error`.

All work on any canonical form: only the first ``n_functions * n_tiers`` columns are the
assignment binaries ``x[f, t]`` (function-major); further columns (soft-link pair variables,
geography copies, ...) keep the costs the formulation gave them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from placement import solvers
from placement.analysis.common import require_model
from placement.errors import AnalysisError, InfeasibleError, InstanceError, Problem
from placement.model.sense import Sense
from placement.solvers.base import Status

if TYPE_CHECKING:
    from placement.milp import CanonicalForm
    from placement.model import Instance
    from placement.solvers.base import Backend, RawSolution, Session, SolveOptions

__all__ = ["criterion_indices", "Solver", "rounded", "assignment_of", "x_objective",
           "value_row", "closest", "infeasible_error"]


def criterion_indices(inst: Instance, criteria: Sequence[str] | None, what: str,
                      where: str = "--criterion") -> list[int]:
    """Positions of the named criteria in the scoring model (all of them for ``None``); a
    located error naming the model's criteria for an unknown one."""
    model = require_model(inst, what)
    ids = list(model.criterion_ids)
    if criteria is None:
        return list(range(len(ids)))
    unknown = [c for c in criteria if c not in ids]
    if unknown:
        raise InstanceError([Problem(None, where, None, c,
                                     f"a criterion of model '{model.id}' ({', '.join(ids)})")
                             for c in unknown], subject=what)
    return [ids.index(c) for c in dict.fromkeys(criteria)]


def infeasible_error(inst: Instance, raw: RawSolution, what: str) -> InfeasibleError:
    """The error an analysis raises when the instance itself has no placement."""
    scen = f" (scenario '{inst.scenario}')" if inst.scenario else ""
    return InfeasibleError(
        f"{what}: instance '{inst.name}'{scen} has no placement to analyse (status "
        f"'{raw.status}'); `placement solve` on it gives a diagnosis")


class Solver:
    """A backend bound to its options: solves forms, opens sessions, counts solves, and
    insists on proven answers. Backends are imported only when the first one is made."""

    def __init__(self, name: str, options: SolveOptions) -> None:
        self.backend: Backend = solvers.get(name)
        self.options = options
        self.solves = 0
        self.seconds = 0.0

    @property
    def name(self) -> str:
        return self.backend.name

    def count(self, raw: RawSolution) -> RawSolution:
        """Count a solve (made here or through a session opened with :meth:`open`)."""
        self.solves += 1
        self.seconds += raw.seconds
        return raw

    def solve(self, form: CanonicalForm) -> RawSolution:
        """Solve ``form`` and count the solve."""
        return self.count(self.backend.solve(form, self.options))

    def open(self, form: CanonicalForm) -> Session:
        return self.backend.open(form, self.options)

    def run(self, session: Session) -> RawSolution:
        """Re-solve a session opened with :meth:`open` and count the solve."""
        return self.count(session.solve())

    def proven(self, raw: RawSolution, what: str) -> RawSolution:
        """``raw`` when it is proven optimal or proven infeasible; :class:`AnalysisError`
        otherwise (an exact analysis cannot stand on an incumbent)."""
        if raw.status in (Status.OPTIMAL, Status.INFEASIBLE):
            return raw
        raise AnalysisError(
            f"{what}: the {self.name} solve ended with status '{raw.status}' "
            f"({raw.message}); the analysis needs proven optima (raise --time-limit)")


def rounded(form: CanonicalForm, x: np.ndarray) -> np.ndarray:
    """``x`` with its integer columns rounded (solvers return 0.9999999 for 1)."""
    out = np.asarray(x, dtype=float).copy()
    out[form.integrality] = np.round(out[form.integrality])
    return out


def assignment_of(form: CanonicalForm, x: np.ndarray) -> np.ndarray:
    """Tier index per function from a full solution vector."""
    return np.asarray(form.assignment_of(x), dtype=np.int64)


def x_objective(form: CanonicalForm, values: np.ndarray) -> np.ndarray:
    """The form's objective with its ``x[f, t]`` part replaced by ``values`` (F x T); any
    further columns (link penalties) keep the costs the formulation gave them."""
    c = np.array(form.c, dtype=float, copy=True)
    c[: form.n_x] = np.asarray(values, dtype=float).ravel()
    return c


def value_row(form: CanonicalForm, level: float, tol: float) -> tuple[np.ndarray, float, float]:
    """The row "objective as good as ``level``": ``c @ x + offset >= level - tol`` when
    maximising, ``<= level + tol`` when minimising, as ``(coefficients, lower, upper)``."""
    row = np.asarray(form.c, dtype=float)[None, :]
    if form.sense is Sense.MAX:
        return row, level - tol - form.offset, np.inf
    return row, -np.inf, level + tol - form.offset


def closest(solver: Solver, form: CanonicalForm, reference: np.ndarray,
            rows: Sequence[tuple[np.ndarray, float, float]]) -> RawSolution:
    """Among the points of ``form`` that also satisfy ``rows`` (``(coefficients, lower,
    upper)``), one that moves the fewest functions away from ``reference`` (tier index per
    function): the smallest set of changes among alternative optima."""

    F, T = form.n_functions, form.n_tiers
    out = form
    for i, (coef, lo, up) in enumerate(rows):
        out = out.with_rows(np.atleast_2d(coef), lo, up, f"analysis_{i}", [f"analysis_{i}"])
    stay = np.zeros(form.n_cols)
    stay[np.arange(F) * T + np.asarray(reference, dtype=np.int64)] = 1.0
    return solver.solve(out.with_objective(stay, "max"))
