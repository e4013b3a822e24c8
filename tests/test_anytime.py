"""Time-limited solves always answer (placement.solution.anytime): the construction never
claims a placement that is not feasible, the Lagrangian bound is a bound, and every backend
returns a checked placement with a bound and a gap when stopped at the limit on an instance
too large to prove."""

from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import placement
from placement.io.synthetic import generate
from placement.milp import build
from placement.milp.construct import construct
from placement.milp.lagrangian import lagrangian_bound
from placement.solution.anytime import current_pattern, prepare
from placement.solution.checker import check
from placement.solvers import Status
from placement.solvers.base import SolveOptions
from placement.solvers.cbc import CbcBackend
from tests.conftest import BACKENDS, GAP_DIR, brute_force
from tests.strategies import backend_instances, valued_instances

# an overflow in the bound's steps or the repair's reduced costs is a bug, not noise
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SETTINGS = settings(max_examples=80, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _assert_sound(inst: placement.Instance) -> None:
    """The construction's placement passes the checker (or it reports none; never when
    brute force finds none); the Lagrangian bound is never beaten by the optimum."""
    inst = inst.with_scenario(None)
    best, _ = brute_force(inst)
    form = build(inst)
    lb = lagrangian_bound(form, 0.2)
    c = construct(form, 0.5, multipliers=lb.multipliers, extra=current_pattern(inst))
    sign = inst.sense.sign
    if best is None:
        assert c.x is None or not placement.evaluate(inst, _tiers(form, c.x)).check.ok
    else:
        assert sign * lb.bound >= sign * best - 1e-6 * max(1.0, abs(best))
    if c.x is not None:
        prep = prepare(inst, form, 0.5)
        if prep.start is not None:  # the checked start: feasible, never better than optimal
            r = placement.evaluate(inst, _tiers(form, prep.start))
            assert r.check is not None and r.check.ok
            assert best is not None
            assert sign * r.objective <= sign * best + 1e-6 * max(1.0, abs(best))


def _tiers(form, x):  # type: ignore[no-untyped-def]
    return form.assignment_of(x) if not form.per_area else form.placement_of(x)


@SETTINGS
@given(backend_instances())
def test_construction_is_checked_feasible_or_absent_on_backend_instances(inst) -> None:  # type: ignore[no-untyped-def]
    _assert_sound(inst)


@SETTINGS
@given(valued_instances())
def test_construction_is_checked_feasible_or_absent_with_links(inst) -> None:  # type: ignore[no-untyped-def]
    _assert_sound(inst)


def test_construction_finds_a_placement_whenever_one_is_easy() -> None:
    # no budget, no link: the best tier of every function is feasible and optimal
    inst = placement.load(GAP_DIR / "c05100", input_format="orlib-gap")
    inst = inst.replace(resources=[])
    r = placement.solve(inst, "highs", time_limit=5)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok


def test_cbc_is_not_given_a_start_it_would_call_optimal() -> None:
    # CBC 2.10.3 with a MIP start on a maximisation reports the start as optimal (-1938 for
    # c05100 as a maximisation; the optimum is -1931): such a form is solved without it
    inst = placement.load(GAP_DIR / "c05100", input_format="orlib-gap")
    assert inst.values is not None
    inst = inst.replace(sense="max", values=-inst.values)
    form = build(inst)
    prep = prepare(inst, form, 0.5)
    assert prep.start is not None and prep.start_objective is not None
    raw = CbcBackend().solve(form, SolveOptions(threads=1, time_limit=60), start=prep.start)
    assert raw.status is Status.OPTIMAL and raw.objective == pytest.approx(-1931.0)


@pytest.fixture(scope="module")
def big_instance() -> placement.Instance:
    """20,000 functions x 5 tiers, a 0.9-tight budget and 2,000 links: no backend proves it
    within two seconds."""
    return generate(20_000, budget_tightness=0.9, link_density=0.1, seed=3)


@pytest.mark.parametrize("solver", BACKENDS)
def test_every_backend_stopped_at_the_limit_returns_a_checked_placement_bound_and_gap(
        solver: str, big_instance: placement.Instance) -> None:
    import time

    t0 = time.perf_counter()
    r = placement.solve(big_instance, solver, threads=1, time_limit=2)
    wall = time.perf_counter() - t0
    assert r.has_solution, r.message
    assert r.check is not None and r.check.ok, r.check
    assert r.status in (Status.TIME_LIMIT, Status.OPTIMAL), r.message
    assert r.objective is not None and r.bound is not None and r.gap is not None
    assert r.bound >= r.objective - 1e-6  # maximised
    assert r.gap < 0.2, r.gap  # about 1% on an idle machine (benchmarks/results/anytime/)
    details = r.extra["solver_details"]["anytime"]
    assert details["incumbent_from"] in ("solver", "construction")
    assert wall < 2 + 10, wall  # the limit, plus what a busy CI machine may add (benchmarks/)


def test_the_bound_and_start_need_no_backend_time() -> None:
    inst = placement.load("instances/tiny-budget")
    form = build(inst)
    prep = prepare(inst, form, 0.2)
    assert prep.start is not None and prep.bound is not None
    opt = placement.solve(inst).objective
    assert prep.bound.bound >= opt - 1e-9 >= prep.start_objective - 2e-9
    assert np.isfinite(prep.bound.bound)


def test_a_solver_process_past_its_limit_is_stopped() -> None:
    import subprocess
    import sys
    import time

    from placement.solvers.watchdog import overrun_guard

    marker = "placement-watchdog-test-marker"
    t0 = time.perf_counter()
    with overrun_guard(marker, 0.3) as overrun:
        proc = subprocess.run([sys.executable, "-c", "import time; time.sleep(30)", marker],
                              check=False)
    assert overrun.fired and proc.returncode != 0
    assert time.perf_counter() - t0 < 10
    t0 = time.perf_counter()
    with overrun_guard(marker, 0.1) as late:  # started after the limit (PuLP writes its file
        time.sleep(0.4)                       # first): stopped all the same
        proc = subprocess.run([sys.executable, "-c", "import time; time.sleep(30)", marker],
                              check=False)
    assert late.fired and proc.returncode != 0
    assert time.perf_counter() - t0 < 10
    with overrun_guard(marker, 5.0) as quiet:  # a child that ends in time is left alone
        subprocess.run([sys.executable, "-c", "pass", marker], check=True)
    assert not quiet.fired


def test_the_command_line_exits_0_with_a_time_limited_placement(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json
    import subprocess
    import sys

    from placement.io.instance_writer import write_instance

    src = tmp_path / "big"
    write_instance(generate(20_000, budget_tightness=0.9, link_density=0.1, seed=4), src)
    out = tmp_path / "o.json"
    p = subprocess.run([sys.executable, "-m", "placement.cli", "solve", str(src),
                        "--time-limit", "1", "--threads", "1", "-f", "json", "--output",
                        str(out)], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    res = json.loads(out.read_text())
    assert res["status"] in ("time_limit", "optimal")
    assert res["objective"] is not None and res["bound"] is not None and res["gap"] is not None
    assert len(res["placements"]) == 20_000
    # the command's limit counts from its start: the solve got what loading left, or a fifth
    assert 0.2 <= res["options"]["time_limit"] < 1.0


def test_a_commands_time_limit_is_shared_out_from_its_start() -> None:
    from placement.cli.common import solve_seconds

    assert solve_seconds(None, 0.0, 3.0, 0, 0.5) is None
    assert solve_seconds(10.0, 100.0, 102.0, 0, 0.5) == pytest.approx(7.5)
    assert solve_seconds(10.0, 100.0, 109.0, 0, 0.5) == pytest.approx(2.0)  # a fifth at least
    assert solve_seconds(10.0, 100.0, 112.0, 1, 0.5) == pytest.approx(7.5)  # the second slot


def test_time_limited_highs_goes_without_the_presolve_rules_that_ignore_the_clock(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("highspy")
    from placement.solvers import highs
    from placement.solvers.base import SolveOptions

    form = build(placement.load("instances/tiny-budget"))
    monkeypatch.setattr(highs, "UNTIMED_RULES_NNZ", 1)
    h = highs._load(form, SolveOptions(time_limit=5.0))
    assert h.getOptionValue("presolve_rule_off")[1] == highs.UNTIMED_RULES == 512 | 4096
    assert highs._load(form, SolveOptions()).getOptionValue("presolve_rule_off")[1] == 0
    monkeypatch.setattr(highs, "UNTIMED_RULES_NNZ", form.A.nnz + 1)  # a small form keeps them
    assert highs._load(form, SolveOptions(time_limit=5.0)).getOptionValue(
        "presolve_rule_off")[1] == 0
    assert highs._load(form, SolveOptions(time_limit=5.0)).getOptionValue("presolve")[1] == \
        "choose"
    monkeypatch.setattr(highs, "PRESOLVE_OFF_NNZ", 1)  # a large one goes without presolve
    assert highs._load(form, SolveOptions(time_limit=5.0)).getOptionValue("presolve")[1] == "off"
    assert highs._load(form, SolveOptions()).getOptionValue("presolve")[1] == "choose"


def test_a_start_that_meets_the_bound_needs_no_backend() -> None:
    """With a time limit, the whole-model path proves a constructed placement within the gap
    asked for of the Lagrangian bound without running the backend; with no gap allowed the
    backend still runs and finds the optimum."""
    inst = generate(300, 5, seed=3, budget_tightness=0.9)
    best = placement.solve(inst, structure=False)
    r = placement.solve(inst, structure=False, time_limit=30, rel_gap=0.05)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    assert "the backend was not run" in r.message
    assert r.gap is not None and r.gap <= 0.05
    assert r.bound is not None and r.bound >= best.objective - 1e-6 >= r.objective - 2e-6
    exact = placement.solve(inst, structure=False, time_limit=30)
    assert "the backend was not run" not in exact.message
    assert exact.objective == pytest.approx(best.objective, rel=1e-9)


def test_a_two_thread_solve_after_the_one_thread_price_search_works_in_a_fresh_process() -> None:
    """The search over several rows' prices runs HiGHS on one thread before the backend; HiGHS
    sizes its thread pool once per process, so a two-thread backend solve after it failed
    ("Not Set", status error) unless the pool was resized (placement/util/highs_pool.py)."""
    import subprocess
    import sys

    code = ("import placement\nfrom placement.io.synthetic import generate\n"
            "inst = generate(200, 5, seed=1, cap_tightness=0.2)\n"
            "r = placement.solve(inst, 'highs', threads=2, time_limit=10)\n"
            "print(r.status.value, r.check is not None and r.check.ok)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["optimal", "True"]


def test_prepare_past_its_deadline_still_answers_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``finish_by`` already passed. With the forest's bound: its search stops at the joint
    price and its checked placement is kept without a construction. Without it (here
    switched off): the Lagrangian bound stops after its first step (it would otherwise take
    its floor of a few dozen) and the construction still finds a checked placement. Both
    bounds hold against HiGHS's placement, and both starts against HiGHS's bound."""
    from placement.solution import anytime

    inst = generate(4000, 5, seed=3, budget_tightness=0.9, cap_tightness=0.2)
    form = build(inst)
    r = placement.solve(inst, "highs", time_limit=3)  # a bound and a placement to hold to
    assert r.bound is not None and r.objective is not None
    now = time.perf_counter()
    forest = prepare(inst, form, 5.0, search_until=now, finish_by=now)
    assert forest.forest is not None and not forest.forest.converged
    assert forest.bound is None and forest.construction is None
    monkeypatch.setattr(anytime, "forest_bound", lambda *args: None)
    now = time.perf_counter()
    lagrangian = prepare(inst, form, 5.0, search_until=now, finish_by=now)
    assert lagrangian.bound is not None and lagrangian.bound.iterations == 1
    assert lagrangian.construction is not None and lagrangian.construction.x is not None
    for prep in (forest, lagrangian):
        assert prep.start is not None and prep.start_objective is not None
        assert check(inst, form.assignment_of(prep.start)).ok
        assert prep.start_objective <= r.bound + 1e-6 * abs(r.bound)
        best = prep.best_bound(form)
        assert best is not None and best >= r.objective - 1e-6 * abs(r.objective)


def test_construction_improves_for_least_improve_past_its_seconds() -> None:
    inst = generate(4000, 5, seed=4, budget_tightness=0.9, cap_tightness=0.2)
    form = build(inst)
    lb = lagrangian_bound(form, 0.5)
    none = construct(form, 0.0, multipliers=lb.multipliers, repair_seconds=5.0)
    some = construct(form, 0.0, multipliers=lb.multipliers, repair_seconds=5.0,
                     least_improve=5.0)
    assert none.x is not None and some.x is not None
    value = form.c[: form.n_x]
    assert float(value @ some.x) > float(value @ none.x)


def test_docs_quote_the_time_limit_floors() -> None:
    """docs/results.md ("Time limits") quotes the reserves and the bound's, construction's
    and least improvement's floors as the code has them."""
    import re

    from placement.solution import anytime as at
    from tests.conftest import ROOT

    text = re.sub(r"\s+", " ", (ROOT / "docs" / "results.md").read_text())
    us = lambda v: f"{v * 1e6:g} µs per"  # noqa: E731
    assert f"(0.05 s plus {us(at._POST_PER_COLUMN)} placement column)" in text
    assert f"overrun past its limit (0.05 s plus {us(at._RESERVE_PER_COLUMN)} placement" in text
    assert f"(0.1 s plus {us(at._BOUND_PER_COLUMN).replace(' per', '')} per placement" in text
    assert f"(0.1 s plus {us(at._IMPROVE_PER_COLUMN)} column)" in text
    assert f"0.05 s plus {us(at._LEAST_IMPROVE_PER_COLUMN)} column at most" in text
    assert f"(about 0.25 s plus {us(at._REPAIR_PER_COLUMN)} placement column at most)" in text
    assert f"(0.02 s plus {us(at._SETUP_PER_COLUMN)} placement column)" in text
    steps = {20: "a score"}[at._USEFUL_STEPS]
    assert f"{steps} of steps, at {us(at._STEP_PER_NONZERO)} nonzero each" in text


def test_the_lagrangian_bound_beside_a_forest_is_left_out_when_it_has_no_time_for_steps(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Links closing cycles (4 of 24 left out of the forest): the Lagrangian bound is computed
    too, unless its time would not cover setting it up and a score of steps (one step, on
    20,000 x 50 with 20,000 links, 4.7% above the forest's bound after 7.5 s of a 60 s limit).
    Then the forest's multipliers build the placement, and the solve still proves the
    optimum."""
    from placement.solution import anytime

    inst = generate(20, 3, seed=11, budget_tightness=0.6, link_density=1.2, cap_tightness=0.3)
    form = build(inst)
    prep = prepare(inst, form, 0.5)
    fb = prep.forest
    assert fb is not None and fb.rows.shape[0] > 1 and not fb.near_lp and fb.meets
    assert prep.bound is not None and prep.bound.iterations >= 1
    monkeypatch.setattr(anytime, "_STEP_PER_NONZERO", 1.0)  # a step would take forever
    prep = prepare(inst, form, 0.5)
    assert prep.bound is None and prep.construction is not None and prep.start is not None
    assert prep.best_bound(form) == fb.bound and prep.bound_source(form) == "forest"
    plain = placement.solve(inst, structure=False)
    r = placement.solve(inst, structure=True)
    assert r.status is Status.OPTIMAL and r.check is not None and r.check.ok
    assert r.objective == pytest.approx(plain.objective, rel=1e-9)


def test_a_checked_start_in_hand_keeps_the_construction_within_finish_by(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The forest's placement is checked: a construction beside it runs only when more than
    construct_seconds is left before ``finish_by``, and then its repair and improvement end
    there (no least improvement past it). Without a start in hand it would improve past
    ``finish_by`` (test_prepare_past_its_deadline_still_answers_at_once)."""
    from placement.solution import anytime

    inst = generate(4000, 5, seed=3, budget_tightness=0.9, cap_tightness=0.2)
    form = build(inst)
    calls: list[dict[str, float]] = []
    real = anytime.construct

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append({"seconds": args[1], **kwargs})
        return real(*args, **kwargs)

    monkeypatch.setattr(anytime, "construct", spy)
    now = time.perf_counter()
    prep = prepare(inst, form, 5.0, search_until=now + 1.0, finish_by=now + 1.0)
    assert prep.forest is not None and prep.forest.meets and prep.start is not None
    (call,) = calls
    assert call["least_improve"] == 0.0
    assert call["repair_seconds"] <= 1.0 and call["seconds"] <= 1.0
    calls.clear()
    monkeypatch.setattr(anytime, "_SETUP_PER_COLUMN", 1e-4)  # 2 s to set up, 1 s left
    now = time.perf_counter()
    prep = prepare(inst, form, 5.0, search_until=now + 1.0, finish_by=now + 1.0)
    assert calls == [] and prep.construction is None and prep.start is not None
    assert check(inst, form.assignment_of(prep.start)).ok
