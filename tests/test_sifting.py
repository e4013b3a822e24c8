"""Sifting reaches the LP bound; cores keep the incumbent and mend the link rows fixing broke.

The LP optimum each test compares with is the whole form's LP relaxation solved by HiGHS in
one piece; the MIP optimum is the plain backend's on the whole form.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import placement
from placement import solvers
from placement.io.synthetic import generate
from placement.milp import build
from placement.milp.core import Pricing, core_of, price
from placement.model import Link
from placement.solution import core_choice, structured
from placement.solution.anytime import Prepared, prepare
from placement.solution.sifting import rounding_core, sift
from placement.solvers import SolveOptions, Status
from tests.test_orlib import GAP_DIR


def _lp_optimum(form: placement.milp.CanonicalForm) -> float:
    relaxed = replace(form, integrality=np.zeros(form.n_cols, dtype=form.integrality.dtype))
    raw = solvers.get("highs").solve(relaxed, SolveOptions())
    assert raw.status is Status.OPTIMAL and raw.objective is not None
    return float(raw.objective)


def _cyclic(F: int, T: int, seed: int, tight: float, links: float) -> placement.Instance:
    """A synthetic instance whose links close many cycles (fifteen rings of three soft
    ``together`` links): the bound with the links kept leaves out more than a tenth of them
    (one a ring), so the LP-based bound is computed too, and sifting and the cores are what
    solve it."""
    inst = generate(F, T, seed=seed, budget_tightness=tight, link_density=links)
    ids = inst.function_ids
    rings = tuple(Link(f"ring{k}.{i}", "together", ids[3 * k + i], ids[3 * k + (i + 1) % 3],
                       penalty=1.0) for k in range(15) for i in range(3))
    return inst.replace(links=inst.links + rings)


def _prepared(inst: placement.Instance) -> tuple[placement.milp.CanonicalForm, Prepared, Pricing]:
    """The form of ``inst``, its bound and start, and the pricing of the Lagrangian
    multipliers (the subgradient search's: on the GAP form the start comes with the forest's
    exact ones, which would leave sifting nothing to do)."""
    from placement.milp.lagrangian import lagrangian_bound

    form = build(inst)
    prep = prepare(inst, form, 0.5)
    assert prep.start is not None
    bound = prep.bound if prep.bound is not None else lagrangian_bound(form, 0.3)
    return form, prep, price(form, bound.multipliers)


def _cases() -> list[placement.Instance]:
    return [_cyclic(300, 5, 4, 0.8, 0.2),
            _cyclic(200, 6, 9, 0.6, 0.1),
            placement.load(GAP_DIR / "c1030_2", input_format="orlib-gap")]  # minimised


@pytest.mark.parametrize("case", range(3))
def test_sifting_reaches_the_whole_lp_optimum(case: int) -> None:
    inst = _cases()[case]
    form, prep, pricing = _prepared(inst)
    assert prep.start is not None
    member = (prep.start > 0.5) | (pricing.penalty <= 0.0)
    out = sift(form, pricing, member, None, tol=0.0)
    lp = _lp_optimum(form)
    assert out.converged
    assert out.pricing.bound(form) == pytest.approx(lp, rel=1e-7, abs=1e-6)
    assert out.lp_value == pytest.approx(lp, rel=1e-7, abs=1e-6)
    mip = placement.solve(inst, structure=False).objective
    assert form.sense.sign * (out.pricing.bound(form) - mip) >= -1e-6  # still a bound


@pytest.mark.parametrize("case", range(3))
def test_rounding_the_lp_gives_a_feasible_placement_within_the_bound(case: int) -> None:
    inst = _cases()[case]
    form, prep, pricing = _prepared(inst)
    assert prep.start is not None
    out = sift(form, pricing, prep.start > 0.5, None, tol=0.0)
    core = rounding_core(form, out)
    assert core is not None and core.form.n_cols < form.n_cols
    raw = solvers.get("highs").solve(core.form, SolveOptions())
    if raw.status is Status.INFEASIBLE:  # the LP's rounding alone can be (GAP capacities)
        core = rounding_core(form, out, prep.start)
        assert core is not None
        raw = solvers.get("highs").solve(core.form, SolveOptions(), start=core.restrict(
            prep.start))
        assert raw.objective is not None
        assert form.sense.sign * (raw.objective - prep.start_objective) >= -1e-9
    assert raw.status is Status.OPTIMAL and raw.x is not None
    x = core.lift(np.asarray(raw.x))
    assert form.max_violation(x) <= 1e-6
    mip = placement.solve(inst, structure=False).objective
    assert form.sense.sign * (mip - form.objective_of(x)) >= -1e-6


def test_a_core_keeps_the_incumbent_and_mends_the_links_fixing_breaks() -> None:
    inst = _cyclic(300, 5, 4, 0.8, 0.3)
    form, prep, pricing = _prepared(inst)
    assert prep.start is not None
    core = core_of(form, pricing, 0.0, include=prep.start)  # each row's best, and the start
    assert core is not None and core.excluded > 0
    assert core.restrict(prep.start) is not None  # the start is a placement of the core
    raw = solvers.get("highs").solve(core.form, SolveOptions(), start=core.restrict(prep.start))
    assert raw.status is Status.OPTIMAL
    best = placement.solve(inst, structure=False).objective
    z = float(raw.objective)
    assert z <= best + 1e-6  # the core's optimum is a placement of the whole form
    assert max(z, core.outside if core.outside is not None else z) >= best - 1e-6


@pytest.mark.parametrize(("seed", "links"), [(4, 0.2), (6, 0.3)])
def test_the_core_path_sifts_after_an_unproven_first_round_and_finds_the_optimum(
        monkeypatch: pytest.MonkeyPatch, seed: int, links: float) -> None:
    from placement.milp.link_forest import forest_bound

    monkeypatch.setattr(structured, "FIRST_ROWS", 3)
    inst = _cyclic(300, 5, seed, 0.8, links)
    fb = forest_bound(inst, build(inst))
    assert fb is not None and not fb.near_lp  # the premise: over a tenth left out
    plain = placement.solve(inst, structure=False)
    core = placement.solve(inst, structure=True)
    assert core.status is Status.OPTIMAL and core.check is not None and core.check.ok
    assert core.objective == pytest.approx(plain.objective, rel=1e-9, abs=1e-9)
    rounds = core.extra["solver_details"]["structure"]["rounds"]
    sifting = [r["sifting"] for r in rounds if "sifting" in r]
    assert sifting and sifting[0]["lp_bound"] >= plain.objective - 1e-6


def test_a_time_limited_core_path_never_hands_the_backend_the_whole_large_form(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(structured, "FIRST_ROWS", 3)
    monkeypatch.setattr(structured, "WHOLE_FORM_NNZ", 0)  # every form counts as large
    real = core_choice.core_of

    def whole_after_the_first(form, pricing, threshold, include=None):  # type: ignore[no-untyped-def]
        return real(form, pricing, np.inf if include is not None else threshold, include)

    monkeypatch.setattr(core_choice, "core_of", whole_after_the_first)
    inst = _cyclic(200, 5, 1, 0.9, 0.3)
    plain = placement.solve(inst, structure=False)
    r = placement.solve(inst, structure=True, time_limit=30)
    assert r.check is not None and r.check.ok
    rounds = r.extra["solver_details"]["structure"]["rounds"]
    assert not any(e.get("excluded") == 0 for e in rounds)
    # sifting and rounding leave a gap on this instance, so the next round is the whole form
    assert any("skipped" in e for e in rounds)
    assert r.status is Status.TIME_LIMIT and r.bound is not None
    assert r.bound >= plain.objective - 1e-6 >= r.objective - 2e-6
    r = placement.solve(inst, structure=True)  # without a limit the whole form is solved
    assert r.status is Status.OPTIMAL
    assert r.objective == pytest.approx(plain.objective, rel=1e-9)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_fixing_that_breaks_a_link_row_brings_its_columns_back(seed: int) -> None:
    inst = _cyclic(300, 5, seed, 0.8, 0.3)
    form, prep, pricing = _prepared(inst)
    core = core_of(form, pricing, 0.0)  # each row's best column only: links break
    assert core is not None
    # no row is left with nothing to decide and out of its bounds
    used = form.A @ core.fixed
    dead = np.ones(form.n_rows, dtype=bool)
    dead[core.rows] = False
    tol = 1e-9 * np.maximum(1.0, np.abs(used))
    assert not np.any(dead & ((form.row_lower - used > tol) | (form.row_upper - used < -tol)))
    raw = solvers.get("highs").solve(core.form, SolveOptions())
    best = placement.solve(inst, structure=False).objective
    if raw.status is Status.OPTIMAL:
        z = float(raw.objective)
        assert z <= best + 1e-6
        assert max(z, core.outside if core.outside is not None else z) >= best - 1e-6
    else:  # the budget can still rule the core out; then only outside can be better
        assert raw.status is Status.INFEASIBLE and core.outside is not None
        assert core.outside >= best - 1e-6


@pytest.mark.parametrize("case", range(2))
def test_warm_and_cold_restricted_lps_reach_the_same_optimum(
        monkeypatch: pytest.MonkeyPatch, case: int) -> None:
    from placement.solvers import highs_lp

    inst = _cases()[case]
    form, prep, pricing = _prepared(inst)
    assert prep.start is not None
    member = prep.start > 0.5
    values = []
    for warm in (highs_lp.WARM_COLUMNS, 0):  # 0: every pass from scratch with presolve
        monkeypatch.setattr(highs_lp, "WARM_COLUMNS", warm)
        out = sift(form, pricing, member.copy(), None, tol=0.0)
        assert out.converged and len(out.trace) >= 3  # the later passes start warm
        values.append((out.lp_value, out.pricing.bound(form)))
    lp = _lp_optimum(form)
    for value, bound in values:
        assert value == pytest.approx(lp, rel=1e-7, abs=1e-6)
        assert bound == pytest.approx(lp, rel=1e-7, abs=1e-6)


@pytest.mark.parametrize("case", range(3))
def test_sifting_stops_once_its_bound_meets_the_incumbent(case: int) -> None:
    inst = _cases()[case]
    form, prep, pricing = _prepared(inst)
    assert prep.start is not None
    mip = placement.solve(inst, structure=False).objective
    calls: list[float | None] = []

    def incumbent(partial):  # type: ignore[no-untyped-def]
        # called only once the restricted LP has settled: two passes with one value
        assert abs(partial.trace[-1]["lp"] - partial.trace[-2]["lp"]) <= 1e-9 * abs(mip)
        calls.append(partial.lp_value)
        return mip

    member = prep.start > 0.5
    full = sift(form, pricing, member.copy(), None, tol=0.0)
    gap = 0.05
    out = sift(form, pricing, member.copy(), None, tol=0.0, incumbent=incumbent, rel_gap=gap)
    bound = out.pricing.bound(form)
    assert form.sense.sign * (bound - mip) >= -1e-6  # a bound still
    if out.stopped == "proven":
        assert calls and abs(bound - mip) <= gap * abs(mip) + 1e-9
        assert len(out.trace) <= len(full.trace)
    else:  # the LP never settled before it converged: nothing to round
        def passes(t):  # type: ignore[no-untyped-def]
            return [{k: v for k, v in p.items() if k != "seconds"} for p in t]

        assert out.converged and passes(out.trace) == passes(full.trace)


def test_a_construction_that_meets_the_bound_is_proven_without_a_core() -> None:
    inst = generate(300, 5, seed=3, budget_tightness=0.9)
    plain = placement.solve(inst, structure=False)
    r = placement.solve(inst, structure=True, rel_gap=0.05)
    details = r.extra["solver_details"]["structure"]
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    assert details["rounds"] == []  # the construction and L already meet
    assert r.bound is not None and r.gap is not None and r.gap <= 0.05
    assert r.bound >= plain.objective - 1e-6 >= r.objective - 2e-6
    tight = placement.solve(inst, structure=True)  # no gap allowed: a core proves it
    assert tight.extra["solver_details"]["structure"]["rounds"]
    assert tight.objective == pytest.approx(plain.objective, rel=1e-9)


def test_sifting_keeps_each_pass_pricing_inside_its_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass prices every column after its LP (3 s on 20,000 x 50 with 20,000 links): the
    next pass starts only when that much is left before the deadline, so sifting ends by it."""
    import time

    from placement.solution import sifting

    inst = _cyclic(300, 5, 4, 0.8, 0.2)
    form, prep, pricing = _prepared(inst)
    slow = 0.4
    real = sifting.price

    def slow_price(*args, **kwargs):  # type: ignore[no-untyped-def]
        time.sleep(slow)
        return real(*args, **kwargs)

    monkeypatch.setattr(sifting, "price", slow_price)
    member = (pricing.penalty <= 0.0) | (prep.start > 0.5)
    t0 = time.perf_counter()
    out = sift(form, pricing, member, t0 + 1.5 * slow)
    assert out.stopped == "time" and len(out.trace) == 1  # a second pass would end past it
    assert time.perf_counter() - t0 < 1.5 * slow + 0.3
