"""The structure-aware path: reduced-cost fixing is safe, the core's answer is the optimum.

Small instances with ``structure=True`` and a first core of a few rows
(``structured.FIRST_ROWS`` patched), so that columns are excluded and the rounds run: the
optimum must equal the plain backend's (and the published one for OR-Library), the bound must
be a bound, and ``L - penalty`` must bound every placement that uses the column.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import placement
from placement.io.synthetic import generate
from placement.milp import build
from placement.milp.core import core_of, price
from placement.milp.lagrangian import lagrangian_bound
from placement.solution import structured
from placement.solvers import Status
from tests.test_orlib import BOUNDS, GAP1_12, GAP_DIR


@pytest.fixture
def small_core(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(structured, "FIRST_ROWS", 3)


def _details(r: placement.Result) -> dict:
    return r.extra["solver_details"]["structure"]


@pytest.mark.usefixtures("small_core")
@pytest.mark.parametrize(("seed", "tight", "links"),
                         [(0, 0.5, 0.0), (1, 0.9, 0.0), (2, 0.9, 0.1), (3, 0.3, 0.2)])
def test_core_path_finds_the_plain_optimum(seed: int, tight: float, links: float) -> None:
    inst = generate(150, 5, seed=seed, budget_tightness=tight, link_density=links)
    plain = placement.solve(inst, structure=False)
    core = placement.solve(inst, structure=True)
    assert plain.status is Status.OPTIMAL and core.status is Status.OPTIMAL
    assert core.objective == pytest.approx(plain.objective, rel=1e-9, abs=1e-9)
    assert core.check is not None and core.check.ok
    assert core.bound is not None and core.bound >= plain.objective - 1e-6
    rounds = _details(core)["rounds"]
    assert any(r.get("excluded", 0) > 0 for r in rounds)  # the fixing did exclude columns


@pytest.mark.usefixtures("small_core")
@pytest.mark.parametrize("name", GAP1_12[::12])
def test_core_path_proves_published_gap_optima(name: str) -> None:
    inst = placement.load(GAP_DIR / name, input_format="orlib-gap")  # a minimisation
    r = placement.solve(inst, structure=True)
    assert r.status is Status.OPTIMAL
    assert r.objective == BOUNDS[name][0]
    assert r.check is not None and r.check.ok
    assert "structure" in r.extra["solver_details"]


def _enumerate(inst: placement.Instance) -> list[tuple[np.ndarray, float]]:
    """Every feasible placement of a tiny instance and its objective, by the checker."""
    from placement.solution.checker import check

    out = []
    for a in itertools.product(range(inst.n_tiers), repeat=inst.n_functions):
        rep = check(inst, np.array(a))
        if rep.ok:
            out.append((np.array(a), rep.objective))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_penalties_bound_every_placement_using_the_column(seed: int) -> None:
    inst = generate(6, 3, seed=seed, budget_tightness=0.8)
    form = build(inst)
    rng = np.random.default_rng(seed)
    lb = lagrangian_bound(form, 0.2)
    for lam in (lb.multipliers, lb.multipliers * rng.uniform(0, 3, lb.multipliers.shape)):
        pr = price(form, lam)
        pen = pr.penalty[: form.n_x].reshape(form.n_functions, form.n_tiers)
        for a, value in _enumerate(inst):
            assert value <= pr.bound(form) + 1e-9
            worst = pen[np.arange(form.n_functions), a].max()
            assert value <= pr.value - worst + 1e-9  # L - penalty bounds this placement


def test_core_fixes_sole_survivors_and_keeps_its_bound() -> None:
    inst = generate(40, 4, seed=5, budget_tightness=0.7)
    form = build(inst)
    lb = lagrangian_bound(form, 0.2)
    pr = price(form, lb.multipliers)
    core = core_of(form, pr, 0.0)  # only each row's best column survives
    assert core is None or core.form.n_cols < form.n_cols
    if core is not None and core.outside is not None:
        best = placement.solve(inst, structure=False).objective
        assert core.outside >= best - 1e-9 or core.excluded == 0


def test_structure_applies_only_to_forms_with_assignment_rows() -> None:
    form = build(generate(30, 3, seed=0))
    assert structured.applies(form, True)
    assert not structured.applies(form, False)
    assert not structured.applies(form, None)  # below MIN_COLUMNS


@pytest.mark.usefixtures("small_core")
def test_infeasible_instance_is_reported_infeasible_through_the_core() -> None:
    inst = generate(30, 3, seed=0, budget_tightness=1.0)
    res = inst.resources[0]
    inst = inst.replace(resources=(type(res)(res.id, res.name, unit=res.unit,
                                             budget=res.budget * 0.5),))
    plain = placement.solve(inst, structure=False)
    core = placement.solve(inst, structure=True)
    assert plain.status is Status.INFEASIBLE
    assert core.status is Status.INFEASIBLE
