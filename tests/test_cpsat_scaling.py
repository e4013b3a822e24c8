"""CP-SAT's integer scaling: the precision it loses on fractional values, exact decimals,
rows it cannot scale, unbounded integers, continuous columns and 64-bit limits."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import pytest

import placement
from placement import solvers
from placement.errors import SolverError
from placement.milp import FormBuilder, build
from placement.model import Instance, Resource
from placement.solvers import SolveOptions, Status
from tests.builders import form_with_row, small_tiers
from tests.conftest import BACKENDS, brute_force

# -- CP-SAT: integer scaling ----------------------------------------------------------------

needs_cpsat = pytest.mark.skipif("cp-sat" not in BACKENDS, reason="ortools not installed")


def _valued(values: np.ndarray, sense: Literal["max", "min"] = "max",
            budget: float | None = None, staff: np.ndarray | None = None) -> Instance:
    F, T = values.shape
    ids = [f"f{f}" for f in range(F)]
    funcs = pd.DataFrame({"id": ids, "name": ids, "staff_fixed": np.zeros(F),
                          "staff_variable": np.linspace(1.0, 2.0, F) if staff is None
                          else staff})
    res = [Resource("staff", "Staff", budget=budget)]
    return placement.from_frames("valued", small_tiers(T), funcs, sense=sense, resources=res,
                                values=pd.DataFrame(values, index=ids,
                                                    columns=[f"t{t}" for t in range(T)]))


@needs_cpsat
@pytest.mark.parametrize("sense", ["max", "min"])
def test_cpsat_reports_the_precision_lost_on_fractional_values(
    sense: Literal["max", "min"],
) -> None:
    # thirds have no finite decimal expansion: every coefficient is rounded at 10**-9
    rng = np.random.default_rng(7)
    values = (3 * rng.integers(0, 20, size=(5, 3)) + 1) / 3
    inst = _valued(values, sense)
    best, _ = brute_force(inst)
    assert best is not None
    form = build(inst)
    raw = solvers.get("cp-sat").solve(form, SolveOptions(threads=1))
    assert raw.status is Status.OPTIMAL, raw.message
    assert raw.extra["objective_exact"] is False
    assert raw.extra["objective_scale"] == 1e9
    assert raw.precision_loss is not None
    worst = float(raw.extra["objective_error_bound"])  # type: ignore[arg-type]
    # at most half a unit of 10**-9 per column (15 of them), and some of it is lost
    assert 0.0 < raw.precision_loss <= worst <= 15 * 0.5e-9
    assert raw.objective == pytest.approx(best, abs=2 * worst + 1e-12)
    # valid with no tolerance at all: rounding the thirds down would put an unwidened
    # maximisation bound about 1.7e-9 below the true optimum
    assert raw.bound is not None
    assert raw.bound >= best if sense == "max" else raw.bound <= best
    r = placement.solve(inst, "cp-sat", threads=1)
    assert r.precision_loss == pytest.approx(raw.precision_loss)
    assert r.check is not None and r.check.ok


@needs_cpsat
def test_cpsat_scales_decimals_exactly() -> None:
    from placement.solvers.cpsat_scaling import scale_form

    values = np.array([[1.25, 2.5, 0.75], [3.05, 0.1, 0.2]])
    for staff, digits in (([1.0, 2.0], 0), ([0.25, 1.5], 2)):
        # integer coefficients keep scale 1 (the budget 3.25 becomes 3: activities are whole)
        inst = _valued(values, budget=3.25, staff=np.array(staff))
        s = scale_form(build(inst))
        assert s.obj_exact and s.obj_scale == 100.0 and s.obj_error_bound == 0.0
        assert s.rows_exact
        budget_row = build(inst).row_block("budget")
        assert budget_row is not None
        assert s.row_digits[budget_row.start] == digits
        r = placement.solve(inst, "cp-sat")
        assert r.status is Status.OPTIMAL and r.precision_loss == 0.0
        assert r.objective == pytest.approx(brute_force(inst)[0])


@needs_cpsat
def test_cpsat_tightens_rows_it_cannot_scale_exactly() -> None:
    # 1/3 + 1/3 + 1/3 = 1 fits the row only in exact arithmetic; rounded at 10**-9 the
    # tightened row must not admit a solution the true row forbids.
    third = 1.0 / 3.0
    form = form_with_row(np.array([third, third, third, 0.7]), -np.inf, 1.0)
    raw = solvers.get("cp-sat").solve(form, SolveOptions())
    assert raw.extra["rows_tightened"] == 1
    assert raw.status is Status.FEASIBLE  # optimal only for the tightened row
    assert raw.bound is None and "tightened" in raw.message
    assert raw.x is not None and form.max_violation(raw.x) == 0.0
    assert raw.objective is not None and raw.objective >= 2.0


@needs_cpsat
def test_cpsat_bounds_unbounded_integer_columns_and_says_so() -> None:
    b = FormBuilder("max", 1, 1, "unbounded")
    b.add_columns("x", np.ones(1), 0.0, 1.0, True, lambda i: ["x"])
    b.add_columns("count", np.array([0.5]), 0.0, np.inf, True, lambda i: ["n"])
    b.add_rows("limit", np.zeros(2, dtype=np.int64), np.arange(2), np.ones(2), -np.inf, 7.0,
               1, lambda i: ["limit"])
    raw = solvers.get("cp-sat").solve(b.build(), SolveOptions())
    assert raw.extra["columns_clipped"] == 1
    assert raw.status is Status.FEASIBLE and raw.bound is None
    assert raw.x is not None and raw.x.tolist() == [1.0, 6.0]
    assert raw.objective == pytest.approx(4.0)


@needs_cpsat
def test_cpsat_refuses_continuous_columns_and_names_them() -> None:
    form = form_with_row(np.ones(4), 1.0, 2.0, continuous=True)
    with pytest.raises(SolverError, match=r"2 of 6 columns are continuous.*slack \(2\)"):
        solvers.get("cp-sat").solve(form, SolveOptions())


@needs_cpsat
def test_cpsat_refuses_rows_beyond_64_bit_integers() -> None:
    form = form_with_row(np.array([1e17, 1.0, 1.0, 1.0]), -np.inf, 1e17)
    with pytest.raises(SolverError, match="too large for CP-SAT"):
        solvers.get("cp-sat").solve(form, SolveOptions())
