"""Sweeps: the same instance solved at every point of a grid of judgements (criterion weights,
budgets, caps) or at seeded random points in their ranges, on any executor.

A grid axis reads ``weights.CRITERION``, ``budget.RESOURCE`` or ``cap.RESOURCE.TIER``, then
``=LO:HI:N`` (N evenly spaced values from LO to HI) or ``=A,B,C``. Points are the Cartesian
product of the axes, numbered in order; with ``samples`` they are instead that many points
drawn uniformly in each axis's range, point ``i`` from a generator seeded with
``(seed, i)``. A point's answer depends on the point alone, never on which worker solved it
or when, so a sweep gives identical tables serially, on N processes and on a Dask cluster.

Every point is solved and checked (:func:`placement.solve`) and gives one row: the point's
number and inputs, status, objective, bound, gap, whether the checker passed, and per
function its tier (one area) or its tier shares of the people served (``tier:share;...``, per
area). A point that fails (infeasible, time limit, an input out of range) is a row with its
status and message, not a gap in the table. :mod:`placement.analysis.sweep_store` keeps the
rows on disk as they finish, so a sweep resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from placement.errors import InstanceError, PlacementError, Problem
from placement.model import Instance, Scenario
from placement.model.limits import MAX_AMOUNT, MAX_WEIGHT

__all__ = ["Axis", "parse_axis", "grid_points", "sample_points", "solve_point", "SweepTask"]

_KINDS = {"weights": 1, "budget": 1, "cap": 2}
_MAX_POINTS = 1_000_000


@dataclass(frozen=True)
class Axis:
    """One judgement varied by the sweep: ``kind`` (weights, budget, cap), ``key`` (criterion,
    resource, or resource and tier), and the values it takes."""

    kind: str
    key: tuple[str, ...]
    values: tuple[float, ...]

    @property
    def name(self) -> str:
        return ".".join((self.kind, *self.key))


def parse_axis(text: str, inst: Instance, option: str = "--grid") -> Axis:
    """``weights.local_knowledge=0.5:2:7`` (or ``=0.5,1,2``) checked against ``inst``."""
    def bad(expected: str) -> InstanceError:
        return InstanceError.single(None, f"{option} {text}", None, text, expected,
                                    subject="sweep")

    name, eq, spec = text.partition("=")
    parts = name.strip().split(".")
    if not eq or parts[0] not in _KINDS or len(parts) != 1 + _KINDS[parts[0]]:
        raise bad("weights.CRITERION=..., budget.RESOURCE=... or cap.RESOURCE.TIER=..., "
                  "then LO:HI:N or A,B,C")
    kind, key = parts[0], tuple(parts[1:])
    known = {"weights": inst.model.criterion_ids if inst.model is not None else (),
             "budget": tuple(r.id for r in inst.resources),
             "cap": tuple(r.id for r in inst.resources)}[kind]
    if key[0] not in known:
        raise bad(f"a {'criterion' if kind == 'weights' else 'resource'} of the instance "
                  f"({', '.join(known) or 'none'})")
    if kind == "cap" and key[1] not in {t.id for t in inst.tiers}:
        raise bad(f"a tier of the instance ({', '.join(t.id for t in inst.tiers)})")
    values = _values(spec.strip(), bad)
    top = MAX_WEIGHT if kind == "weights" else MAX_AMOUNT
    if any(not (math.isfinite(v) and 0 <= v <= top) for v in values):
        raise bad(f"values from 0 to {top:g}")
    return Axis(kind, key, values)


def _values(spec: str, bad: Any) -> tuple[float, ...]:
    try:
        if ":" in spec:
            lo, hi, n = spec.split(":")
            count = int(n)
            if not 1 <= count <= 10_000:
                raise bad("LO:HI:N with N from 1 to 10,000")
            return tuple(float(v) for v in np.linspace(float(lo), float(hi), count))
        return tuple(float(v) for v in spec.split(",") if v.strip())
    except ValueError:
        raise bad("LO:HI:N (numbers, N a whole number) or A,B,C") from None


def grid_points(axes: Sequence[Axis]) -> list[dict[str, float]]:
    """Every combination of the axes' values, the last axis varying fastest."""
    size = math.prod(len(a.values) for a in axes)
    if size > _MAX_POINTS:
        raise InstanceError.single(None, "--grid", None, size,
                                   f"at most {_MAX_POINTS:,} points", subject="sweep")
    return [dict(zip((a.name for a in axes), combo, strict=True))
            for combo in itertools.product(*(a.values for a in axes))]


def sample_points(axes: Sequence[Axis], samples: int, seed: int) -> list[dict[str, float]]:
    """``samples`` points uniform in each axis's range; point ``i`` from seed ``(seed, i)``."""
    if not 1 <= samples <= _MAX_POINTS:
        raise InstanceError.single(None, "--samples", None, samples,
                                   f"a number of points from 1 to {_MAX_POINTS:,}",
                                   subject="sweep")
    out = []
    for i in range(samples):
        u = np.random.default_rng([int(seed), i]).random(len(axes))
        out.append({a.name: float(min(a.values) + ui * (max(a.values) - min(a.values)))
                    for a, ui in zip(axes, u, strict=True)})
    return out


def _apply(inst: Instance, point: dict[str, float]) -> Instance:
    weights = {k.split(".", 1)[1]: v for k, v in point.items() if k.startswith("weights.")}
    if weights:
        assert inst.model is not None
        inst = inst.replace(model=inst.model.with_weights(weights))
    resources = []
    for r in inst.resources:
        budget = point.get(f"budget.{r.id}", r.budget)
        caps = dict(r.caps)
        caps.update({k.split(".")[2]: v for k, v in point.items()
                     if k.startswith(f"cap.{r.id}.")})
        resources.append(dataclasses.replace(r, budget=budget, caps=caps))
    return inst.replace(resources=tuple(resources))


@dataclass(frozen=True)
class SweepTask:
    """What every point shares: the instance (scenario applied) and the solve options."""

    instance: Instance
    solver: str = "highs"
    time_limit: float | None = None


def _structure(result: Any) -> dict[str, str]:
    inst = result.instance
    if inst.geography is None:
        return {f"tier:{f}": t for f, t in result.tiers.items()}
    shares = result.tier_shares()
    out = {}
    for f, row in shares.iterrows():
        kept = row[row > 5e-7].sort_values(ascending=False)
        out[f"tier:{f}"] = ";".join(f"{t}:{v:.6f}" for t, v in kept.items())
    return out


def solve_point(task: SweepTask, item: tuple[int, dict[str, float]]) -> dict[str, Any]:
    """One row of the sweep table: the point solved and checked (a module-level function, so
    any executor can ship it)."""
    from placement.solution import solve

    index, point = item
    row: dict[str, Any] = {"point": index, **point}
    try:
        r = solve(_apply(task.instance, point), task.solver, threads=1,
                  time_limit=task.time_limit)
    except PlacementError as e:
        return {**row, "status": "error", "message": str(e).splitlines()[0][:300]}
    row.update(status=r.status.value, objective=r.objective, bound=r.bound, gap=r.gap,
               checked=bool(r.check is not None and r.check.ok), message="")
    if r.has_solution:
        row.update(_structure(r))
    return row


def prepare(inst: Instance, scenario: str | Scenario | None, grids: Sequence[str],
            samples: int | None, seed: int) -> tuple[Instance, list[Axis],
                                                     list[dict[str, float]]]:
    """The instance with its scenario, the axes and the points of a sweep."""
    inst = inst.with_scenario(scenario)
    problems: list[Problem] = []
    axes = []
    for g in grids:
        try:
            axes.append(parse_axis(g, inst))
        except InstanceError as e:
            problems += e.problems
    if not grids:
        problems.append(Problem(None, "--grid", None, None, "at least one axis to sweep",
                                missing=True))
    names = [a.name for a in axes]
    if len(set(names)) < len(names):
        problems.append(Problem(None, "--grid", None, ", ".join(names), "each axis once"))
    if problems:
        raise InstanceError(problems, subject="sweep")
    points = sample_points(axes, samples, seed) if samples else grid_points(axes)
    return inst, axes, points
