"""CBC through PuLP: the canonical form rebuilt as a PuLP problem and solved by the CBC binary.

PuLP writes the model to an MPS file, runs CBC (the 2.10 binary bundled with PuLP) and reads
the solution back; every file lives in a private temporary directory, never the working one.
PuLP's own status is not enough: after CBC stops on its time limit ``prob.status`` still reads
"Optimal" (SOLVERS.md). The status, best bound and node count are therefore read from CBC's
log, whose closing summary looks like::

    Result - Stopped on time limit

    Objective value:                6410.00000000
    Lower bound:                    6346.980
    Enumerated nodes:               3687

("Upper bound" when maximising; values in the model's sense, without its constant offset).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from placement.errors import SolverError
from placement.model.sense import Sense
from placement.solvers.base import (
    MIN_SOLVER_SECONDS,
    Capabilities,
    RawSolution,
    RebuildSession,
    SolveOptions,
    Status,
    out_of_time,
    relative_gap,
    time_left,
)
from placement.solvers.watchdog import grace_seconds, overrun_guard
from placement.util.files import temporary_directory

if TYPE_CHECKING:
    from placement.milp import CanonicalForm

__all__ = ["CbcBackend", "CbcLog", "parse_log"]

#: CBC prints the bound with three decimals; widen it by half a unit of the last digit so that
#: the bound we report is never tighter than the one CBC proved.
_PRINTED_BOUND_SLACK = 5e-4

_RESULT = re.compile(r"^Result - (.+?)\s*$", re.M)
# Proven before branch and bound starts: CBC then prints no "Result - " summary.
_EARLY_ENDS = (
    (re.compile(r"^Problem is infeasible", re.M), "Problem proven infeasible (before branching)"),
    (re.compile(r"^Pre-processing says infeasible or unbounded", re.M),
     "Pre-processing says infeasible or unbounded"),
)
_BOUND = re.compile(r"^(Lower|Upper) bound:\s+(\S+)", re.M)
_NODES = re.compile(r"^Enumerated nodes:\s+(\d+)", re.M)
_VERSION = re.compile(r"^Version:\s+(\S+)", re.M)


def _pulp() -> Any:
    import pulp

    return pulp


def _cbc_path() -> str:
    """The CBC binary bundled with PuLP (``PULP_CBC_CMD`` itself is deprecated in PuLP 3.3)."""
    from pulp.apis.coin_api import PULP_CBC_CMD

    path = str(PULP_CBC_CMD.pulp_cbc_path)
    if not os.access(path, os.X_OK):
        raise SolverError(
            f"PuLP's bundled CBC binary is missing or not executable ({path}); reinstall pulp"
        )
    return path


class CbcLog:
    """What the CBC log says about how a solve ended."""

    def __init__(self, text: str) -> None:
        self.text = text
        m = _RESULT.findall(text)
        self.result: str | None = m[-1] if m else None
        for pattern, result in _EARLY_ENDS:
            if self.result is None and pattern.search(text):
                self.result = result
        b = _BOUND.findall(text)
        self.bound: float | None = float(b[-1][1]) if b else None
        n = _NODES.findall(text)
        self.nodes: int | None = int(n[-1]) if n else None
        v = _VERSION.search(text)
        self.version: str | None = v.group(1) if v else None

    @property
    def optimal(self) -> bool:
        return self.result is not None and self.result.startswith("Optimal solution found")

    @property
    def infeasible(self) -> bool:
        """Proven infeasible (or "infeasible or unbounded": see ``maybe_unbounded``)."""
        return self.result is not None and "infeasible" in self.result.lower()

    @property
    def maybe_unbounded(self) -> bool:
        return self.result is not None and "unbounded" in self.result.lower()

    @property
    def time_limit(self) -> bool:
        return self.result is not None and "time" in self.result.lower()


def parse_log(text: str) -> CbcLog:
    """Read the result line, best bound, node count and version from a CBC log.

    Examples
    --------
    >>> log = parse_log("Result - Stopped on time limit\\n\\nObjective value: 10\\n"
    ...                 "Lower bound:   8.500\\nEnumerated nodes:  42\\n")
    >>> log.time_limit, log.bound, log.nodes
    (True, 8.5, 42)
    """
    return CbcLog(text)


class _OutOfTime(Exception):
    """The time limit ran out while the PuLP problem was being built."""


def _problem(form: CanonicalForm, deadline: float = math.inf) -> tuple[Any, list[Any]]:
    """The PuLP problem for ``form`` and its variables in column order; building it stops
    with :class:`_OutOfTime` once ``deadline`` (a ``time.perf_counter()`` reading) passes
    (PuLP takes one Python object per variable and row: seconds at 10^5 columns)."""
    pulp = _pulp()
    sense = pulp.LpMaximize if form.sense is Sense.MAX else pulp.LpMinimize
    prob = pulp.LpProblem(form.name.replace(" ", "_") or "placement", sense)
    lo = [None if not math.isfinite(v) else v for v in form.col_lower.tolist()]
    up = [None if not math.isfinite(v) else v for v in form.col_upper.tolist()]
    cats = [pulp.LpInteger if i else pulp.LpContinuous for i in form.integrality.tolist()]
    # PuLP needs one Python object per variable; short names keep its MPS writer quick.
    # (prob.add_variable is PuLP 3.3's spelling; LpVariable itself warns of PuLP 4 there.)
    new_var = getattr(prob, "add_variable", pulp.LpVariable)
    xs: list[Any] = []
    for s in range(0, len(lo), 65536):  # in chunks, to notice the deadline
        if time.perf_counter() > deadline:
            raise _OutOfTime
        xs.extend(new_var(f"x{j}", a, b, cat) for j, a, b, cat in
                  zip(range(s, s + 65536), lo[s:s + 65536], up[s:s + 65536],
                      cats[s:s + 65536], strict=False))
    # Every column goes into the objective (zero costs included) so that PuLP registers it
    # and reads its value back even when no row mentions it. The constant offset stays out:
    # the objective is recomputed from the form, and the offset is added to CBC's bound.
    prob.setObjective(pulp.LpAffineExpression(zip(xs, form.c.tolist(), strict=True)))
    if time.perf_counter() > deadline:
        raise _OutOfTime
    A = form.A.tocsr()
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ
    add = prob.addConstraint
    for i, (a, b, rl, ru) in enumerate(
        zip(indptr[:-1], indptr[1:], form.row_lower.tolist(), form.row_upper.tolist(),
            strict=True)
    ):
        lo_ok, up_ok = math.isfinite(rl), math.isfinite(ru)
        if i % 4096 == 0 and time.perf_counter() > deadline:
            raise _OutOfTime
        if not (lo_ok or up_ok):
            continue
        expr = pulp.LpAffineExpression([(xs[j], v) for j, v in zip(indices[a:b], data[a:b],
                                                                   strict=True)])
        if lo_ok and up_ok and rl == ru:
            add(pulp.LpConstraint(expr, EQ, f"e{i}", rl))
            continue
        if up_ok:
            add(pulp.LpConstraint(expr, LE, f"u{i}", ru))
        if lo_ok:
            add(pulp.LpConstraint(expr, GE, f"l{i}", rl))
    return prob, xs


#: CBC 2.10.3 (the binary PuLP bundles) claims wrong optima with its defaults. Its integer
#: preprocessing (``-preprocess sos``) cut off the optimum of tests/data/cbc-preprocess (23
#: claimed optimal, the optimum is 22; every ``-preprocess`` setting but ``off`` does), and its
#: probing cuts, with preprocessing off, cut off the proven optimum of OR-Library c0824_4 (385
#: claimed, 384 proven; CglProbing, coin-or/Cbc#293). Both off, CBC finds every gap1-12
#: optimum; what that costs is measured in benchmarks/results/cbc-preprocess/.
SOUND_OPTIONS: tuple[str, ...] = ("preprocess off", "probing off")

#: CBC 2.10.3 takes a MIP start (``-mips``) soundly only when minimising: on a maximised
#: model it applies the start's objective as a cutoff on the wrong side, finds the root LP
#: "infeasible or too expensive" and reports the start as optimal (OR-Library c05100 as a
#: maximisation: -1938 "optimal", the optimum is -1931; tests/test_anytime.py). A maximised
#: form is therefore solved without the start (the engine still keeps it as the incumbent).
MIP_START_SENSES: tuple[Sense, ...] = (Sense.MIN,)


def _command(options: SolveOptions, log_path: str, tmp_dir: str,
             warm_start: bool = False) -> Any:
    pulp = _pulp()
    extra = [
        *SOUND_OPTIONS,
        # CBC's seed 0 means "seed from the clock"; shift by one so every seed repeats.
        f"randomCbcSeed {options.seed + 1 if options.seed >= 0 else options.seed}",
        f"randomSeed {options.seed + 1 if options.seed >= 0 else options.seed}",
    ]
    cmd = pulp.COIN_CMD(
        path=_cbc_path(),
        msg=False,  # the log goes to log_path (parsed below) and is echoed when asked for
        timeLimit=options.time_limit,
        threads=options.threads,
        gapRel=options.rel_gap,
        gapAbs=0.0 if options.rel_gap == 0.0 else None,
        options=extra,
        keepFiles=False,
        logPath=log_path,
        timeMode="elapsed",
        warmStart=warm_start,
    )
    cmd.tmpDir = tmp_dir
    return cmd


def _bound_from_log(form: CanonicalForm, log: CbcLog) -> float | None:
    if log.bound is None or not math.isfinite(log.bound):
        return None
    slack = form.sense.sign * _PRINTED_BOUND_SLACK
    return log.bound + form.offset + slack


class CbcBackend:
    """COIN-OR CBC through PuLP (the CBC binary that PuLP bundles)."""

    name: str = "cbc"
    label: str = "CBC (PuLP)"
    requires: tuple[str, ...] = ("pulp",)
    capabilities: Capabilities = Capabilities(incremental=False)

    def version(self) -> str:
        out = subprocess.run(
            [_cbc_path(), "-quit"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
        v = _VERSION.search(out)
        return f"CBC {v.group(1) if v else '?'} (PuLP {_pulp().__version__})"

    def open(self, form: CanonicalForm, options: SolveOptions) -> RebuildSession:
        return RebuildSession(self, form, options)

    def solve(self, form: CanonicalForm, options: SolveOptions,
              start: np.ndarray | None = None) -> RawSolution:
        pulp = _pulp()
        t0 = time.perf_counter()
        deadline = t0 + options.time_limit if options.time_limit is not None else math.inf
        try:
            prob, xs = _problem(form, deadline)
        except _OutOfTime:
            return out_of_time(time.perf_counter() - t0)
        if form.sense not in MIP_START_SENSES:
            start = None
        if start is not None:  # CBC's MIP start (-mips), written by PuLP from these values
            for v, value in zip(xs, np.round(start).tolist(), strict=True):
                v.setInitialValue(value)
        build_seconds = time.perf_counter() - t0
        left = time_left(options, t0)
        if left is not None:
            if left < MIN_SOLVER_SECONDS:
                return out_of_time(build_seconds)
            options = replace(options, time_limit=left)
        with temporary_directory("placement-cbc-") as tmp:
            log_path = os.path.join(tmp, "cbc.log")
            cmd = _command(options, log_path, tmp, warm_start=start is not None)
            t1 = time.perf_counter()
            guard = None if left is None else left + grace_seconds(left)
            with overrun_guard(tmp, guard) as overrun:
                try:
                    prob.solve(cmd)
                    error = ""
                except pulp.PulpSolverError as e:
                    error = str(e)
            seconds = time.perf_counter() - t1
            text = _read(log_path)
        if options.log:
            sys.stdout.write(text)
        log = parse_log(text)
        version = f"CBC {log.version or '?'} (PuLP {pulp.__version__})"
        if overrun.fired:
            return RawSolution(status=Status.TIME_LIMIT, seconds=seconds, solver_version=version,
                               message=f"CBC ran {seconds - (left or 0.0):.1f} s past its time "
                                       "limit and was stopped")
        if error:
            return RawSolution(status=Status.ERROR, message=f"CBC failed: {error}",
                               seconds=seconds, solver_version=version)
        raw = _result(form, options, prob, xs, log, seconds)
        raw.solver_version = version
        raw.extra["build_seconds"] = build_seconds
        return raw


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def _unbounded_possible(form: CanonicalForm) -> bool:
    return not (np.isfinite(form.col_lower).all() and np.isfinite(form.col_upper).all())


def _result(
    form: CanonicalForm,
    options: SolveOptions,
    prob: Any,
    xs: list[Any],
    log: CbcLog,
    seconds: float,
) -> RawSolution:
    pulp = _pulp()
    # sol_status tells whether CBC left a solution: 1 proven optimal, 2 feasible, not proven.
    has_x = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    x: np.ndarray | None = None
    if has_x:
        x = np.array([v.varValue if v.varValue is not None else np.nan for v in xs], dtype=float)
        if np.isnan(x).any():
            x = None
    if log.result is None:
        status = Status.ERROR
    elif log.optimal and x is not None:
        status = Status.OPTIMAL
    elif log.infeasible and not (log.maybe_unbounded and _unbounded_possible(form)):
        # With every column bounded the model cannot be unbounded: "infeasible or
        # unbounded" means infeasible.
        status = Status.INFEASIBLE
    elif log.time_limit:
        status = Status.TIME_LIMIT
    else:
        status = Status.FEASIBLE if x is not None else Status.ERROR
    if status is Status.INFEASIBLE:
        x = None
    objective = form.objective_of(x) if x is not None else None
    if status is Status.OPTIMAL and options.rel_gap == 0.0:
        bound = objective
    else:
        bound = _bound_from_log(form, log)
    return RawSolution(
        status=status,
        x=x,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        nodes=log.nodes,
        seconds=seconds,
        message=log.result or "CBC wrote no result line",
    )
