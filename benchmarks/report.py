"""The Markdown summary of a results table: winners per family, counts, targets, memory.

Conventions (stated in the summary too):

* A run is *solved* when the backend proved optimality, the independent checker accepted the
  placement and nothing contradicts a proven bound. With repeats, an (instance, backend) pair is
  solved when every repeat is, and its time is the median over repeats.
* Backends are ranked within a family by instances solved, then by the shifted geometric mean
  of solve seconds (shift 1 s) with unsolved instances counted at the time limit (PAR1); "by
  how much" is the runner-up's shifted geometric mean over the winner's.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from benchmarks.scale_report import scale_targets

__all__ = ["Aggregate", "aggregate", "family_ranking", "summary_markdown", "shifted_geomean"]

SHIFT = 1.0


@dataclass
class Aggregate:
    """One (instance, backend) over its repeats."""

    instance: str
    family: str
    backend: str
    binaries: int
    repeats: int
    solved: bool
    statuses: list[str]
    seconds: float | None  # median solve seconds
    objective: float | None
    gap: float | None
    matches_known: bool | None
    check_failed: bool
    bounds_failed: bool
    peak_rss_mb: float | None
    build_seconds: float | None
    time_limit: float | None


def _solved(r: dict[str, Any]) -> bool:
    return (r.get("status") == "optimal" and r.get("check_ok") is not False
            and r.get("bounds_ok") is not False)


def aggregate(rows: Iterable[dict[str, Any]]) -> list[Aggregate]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[(r["instance"], r["backend"])].append(r)
    out = []
    for (inst, backend), rs in groups.items():
        secs = [r["solve_seconds"] for r in rs if r.get("solve_seconds") is not None]
        mem = [r["peak_rss_mb"] for r in rs if r.get("peak_rss_mb") is not None]
        builds = [r["build_seconds"] for r in rs if r.get("build_seconds") is not None]
        mk = [r.get("matches_known") for r in rs]
        out.append(Aggregate(
            instance=inst, family=rs[0]["family"], backend=backend,
            binaries=int(rs[0]["binaries"]), repeats=len(rs),
            solved=all(_solved(r) for r in rs), statuses=[str(r.get("status")) for r in rs],
            seconds=statistics.median(secs) if secs else None,
            objective=rs[0].get("objective"), gap=rs[0].get("gap"),
            matches_known=None if all(m is None for m in mk) else all(m is True for m in mk),
            check_failed=any(r.get("check_ok") is False for r in rs),
            bounds_failed=any(r.get("bounds_ok") is False for r in rs),
            peak_rss_mb=max(mem) if mem else None,
            build_seconds=statistics.median(builds) if builds else None,
            time_limit=rs[0].get("time_limit"),
        ))
    return out


def shifted_geomean(values: Iterable[float], shift: float = SHIFT) -> float:
    """exp(mean(log(v + shift))) - shift.

    >>> round(shifted_geomean([1.0, 3.0]), 6)
    1.828427
    """
    vs = list(values)
    if not vs:
        return math.nan
    return math.exp(sum(math.log(v + shift) for v in vs) / len(vs)) - shift


def _par1(a: Aggregate) -> float:
    if a.solved and a.seconds is not None:
        return a.seconds
    if a.time_limit is not None:
        return float(a.time_limit)
    return a.seconds if a.seconds is not None else math.inf


@dataclass
class Standing:
    backend: str
    instances: int
    solved: int
    matched: int
    known: int
    sgm: float


def median_speedup(aggs: list[Aggregate], family: str, winner: str, other: str) -> float | None:
    """Median over the family's instances both solved of other's seconds / winner's seconds
    (each at least 1 ms)."""
    fam = [a for a in aggs if a.family == family]
    t = {(a.instance, a.backend): max(a.seconds, 1e-3) for a in fam
         if a.solved and a.seconds is not None}
    ratios = [t[(i, other)] / t[(i, winner)] for i in {a.instance for a in fam}
              if (i, other) in t and (i, winner) in t]
    return statistics.median(ratios) if ratios else None


def family_ranking(aggs: list[Aggregate], family: str) -> list[Standing]:
    """Backends of one family, best first (solved desc, then shifted geometric mean)."""
    fam = [a for a in aggs if a.family == family]
    backends = sorted({a.backend for a in fam})
    out = []
    for b in backends:
        xs = [a for a in fam if a.backend == b]
        out.append(Standing(
            backend=b, instances=len(xs), solved=sum(a.solved for a in xs),
            matched=sum(a.matches_known is True for a in xs),
            known=sum(a.matches_known is not None for a in xs),
            sgm=shifted_geomean(_par1(a) for a in xs)))
    out.sort(key=lambda s: (-s.solved, s.sgm, s.backend))
    return out


def _t(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"


def _family_order(f: str) -> tuple[int, int, str]:
    if f.startswith("gap") and f[3:].isdigit():
        return (0, int(f[3:]), "")
    if len(f) == 1:
        return (1, 0, f)
    return (2, 0, f)


def summary_markdown(rows: list[dict[str, Any]], settings: dict[str, Any] | None,
                     machine: dict[str, Any] | None) -> str:
    """The whole summary.md."""
    aggs = aggregate(rows)
    lines = _preamble(rows, aggs, settings, machine)
    lines += _failures(aggs)
    lines += _winners(aggs)
    lines += _per_backend(aggs)
    lines += _targets(aggs)
    lines += scale_targets(aggs, rows, settings)
    lines += _every_instance(aggs)
    return "\n".join(lines)


def _spread(rows: list[dict[str, Any]]) -> list[str]:
    """A warning when the runs were spread over several workers (``placement bench --workers``
    or ``--scheduler``): their timings are not comparable."""
    workers = {r.get("worker") for r in rows if r.get("worker")}
    if len(workers) <= 1:
        return []
    return [f"**Runs spread over {len(workers)} workers** (the `worker` column of results.csv "
            "says which): statuses and objectives stand, but seconds and memory of runs that "
            "shared a machine, or ran on different machines, are not comparable; the machine "
            "above is the one that ran `placement bench`.", ""]


def _preamble(rows: list[dict[str, Any]], aggs: list[Aggregate],
              settings: dict[str, Any] | None, machine: dict[str, Any] | None) -> list[str]:
    """Title, settings, machine, counts and the conventions the tables follow."""
    lines: list[str] = ["# Benchmark summary", ""]
    if settings:
        lines.append(f"Suite `{settings.get('suite')}`; time limit {settings.get('time_limit')} s, "
                     f"threads {settings.get('threads')}, seed {settings.get('seed')}, relative "
                     f"gap {settings.get('rel_gap') or 0:g} for every backend; every run in a "
                     "fresh process; `engine:NAME` is `placement.solve` with backend NAME (its "
                     "solve seconds the whole call: build, bound, core, checker, baselines), a "
                     "bare NAME the backend alone on the whole model.")
    if machine:
        lines.append(f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, "
                     f"{machine.get('memory_gb')} GB, {machine.get('os')}, Python "
                     f"{machine.get('python')}; solvers: "
                     + ", ".join(f"{k} {v}" for k, v in (machine.get("solver_versions") or {}
                                                        ).items()) + ".")
    lines += [
        "",
        f"{len(rows)} runs, {len({a.instance for a in aggs})} instances, backends: "
        f"{', '.join(sorted({a.backend for a in aggs}))}.",
        "",
        *_spread(rows),
        "*Solved* = proven optimal, accepted by the independent checker and consistent with the "
        "proven bounds (all repeats). Backends are ranked per family by instances solved, then "
        "by the shifted geometric mean (shift 1 s) of solve seconds with unsolved instances "
        "counted at the time limit; *factor* = runner-up's mean / winner's.",
        "",
    ]
    return lines


def _failures(aggs: list[Aggregate]) -> list[str]:
    """Results the checker rejected or that contradict a proven bound (none: no section)."""
    failures = [a for a in aggs if a.check_failed or a.bounds_failed]
    if not failures:
        return []
    lines = ["## Failures", ""]
    for a in failures:
        why = "checker rejected the result" if a.check_failed else \
            "contradicts a proven bound, or a checked placement of the run beats its bound"
        lines.append(f"- {a.instance} / {a.backend}: {why}")
    lines.append("")
    return lines


def _winners(aggs: list[Aggregate]) -> list[str]:
    """Per family: the winner, the runner-up and by how much."""
    families = sorted({a.family for a in aggs}, key=_family_order)
    lines = ["## Winner per family", "",
             "| family | instances | winner | solved | s.g.m. s | runner-up | solved | s.g.m. s "
             "| factor | median speed-up |",
             "|---|---:|---|---:|---:|---|---:|---:|---:|---:|"]
    for fam in families:
        ranking = family_ranking(aggs, fam)
        w = ranking[0]
        if len(ranking) > 1:
            r = ranking[1]
            factor = (r.sgm + SHIFT) / (w.sgm + SHIFT) if w.sgm >= 0 else math.nan
            sp = median_speedup(aggs, fam, w.backend, r.backend)
            lines.append(f"| {fam} | {w.instances} | **{w.backend}** | {w.solved} | {_t(w.sgm)} "
                         f"| {r.backend} | {r.solved} | {_t(r.sgm)} | {factor:.2f}x "
                         f"| {'-' if sp is None else f'{sp:.2f}x'} |")
        else:
            lines.append(f"| {fam} | {w.instances} | **{w.backend}** | {w.solved} | {_t(w.sgm)} "
                         "| - | - | - | - | - |")
    lines += ["", "*factor* compares shifted means, (runner-up + 1 s) / (winner + 1 s); *median "
              "speed-up* is the median over instances both solved of runner-up seconds / winner "
              "seconds (no shift, so it shows differences between sub-second times).", ""]
    return lines


def _per_backend(aggs: list[Aggregate]) -> list[str]:
    """Per backend: optimal and matched counts, checker failures, time and memory."""
    lines = ["## Per backend", "",
             "| backend | instances | proved optimal | matched known optimum | checker failures "
             "| median solve s | median peak MB | max peak MB |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for b in sorted({a.backend for a in aggs}):
        xs = [a for a in aggs if a.backend == b]
        known = [a for a in xs if a.matches_known is not None]
        secs = [a.seconds for a in xs if a.seconds is not None]
        mem = [a.peak_rss_mb for a in xs if a.peak_rss_mb is not None]
        lines.append(
            f"| {b} | {len(xs)} | {sum(a.solved for a in xs)} "
            f"| {sum(a.matches_known is True for a in known)} of {len(known)} "
            f"| {sum(a.check_failed for a in xs)} "
            f"| {_t(statistics.median(secs) if secs else None)} "
            f"| {_t(statistics.median(mem) if mem else None)} | {_t(max(mem) if mem else None)} |")
    lines.append("")
    return lines


def _every_instance(aggs: list[Aggregate]) -> list[str]:
    """One row per instance (by family, then size), one cell per backend."""
    lines = ["## Every instance", "",
             "Solve seconds (median over repeats) and status; `*` marks the fastest solver of "
             "the instance.", ""]
    backends = sorted({a.backend for a in aggs})
    lines += ["| instance | family | binaries | " + " | ".join(backends) + " |",
              "|---|---|---:|" + "---:|" * len(backends)]
    by_inst: dict[str, dict[str, Aggregate]] = defaultdict(dict)
    for a in aggs:
        by_inst[a.instance][a.backend] = a
    order = sorted(by_inst, key=lambda i: (_family_order(next(iter(by_inst[i].values())).family),
                                           next(iter(by_inst[i].values())).binaries, i))
    for inst in order:
        lines.append(_instance_row(inst, by_inst[inst], backends))
    lines.append("")
    return lines


def _instance_row(inst: str, cells: dict[str, Aggregate], backends: list[str]) -> str:
    """Seconds per backend, the fastest that solved it starred, the status where unsolved."""
    solved = {b: a.seconds for b, a in cells.items() if a.solved and a.seconds is not None}
    best = min(solved, key=lambda b: solved[b]) if solved else None
    any_a = next(iter(cells.values()))
    row = f"| {inst} | {any_a.family} | {any_a.binaries:,} |"
    for b in backends:
        a = cells.get(b)
        if a is None:
            row += " |"
            continue
        st = a.statuses[0] if len(set(a.statuses)) == 1 else "/".join(a.statuses)
        mark = "*" if b == best else ""
        tag = "" if a.solved else f" {st}"
        if a.gap is not None and not a.solved and st != "error":
            tag += f" gap {a.gap:.2%}"
        row += f" {_t(a.seconds)}{mark}{tag} |"
    return row


def _targets(aggs: list[Aggregate]) -> list[str]:
    """The issue's solve targets, where the rows cover them."""
    out: list[str] = []
    gap = [a for a in aggs if a.family.startswith("gap") and a.backend == "highs"]
    large = [a for a in aggs if a.family in ("A", "B", "C")]
    if not gap and not large:
        return out
    out += ["## Solve targets", ""]
    if gap:
        under = [a for a in gap if a.solved and a.seconds is not None and a.seconds < 1.0]
        worst = max(gap, key=lambda a: a.seconds if a.seconds is not None else math.inf)
        out.append(f"- gap1-gap12 with HiGHS, proven optimal in under 1 s each: "
                   f"**{len(under)} of {len(gap)}** (slowest: {worst.instance}, "
                   f"{_t(worst.seconds)} s).")
    if large:
        names = sorted({a.instance for a in large})
        met = []
        lines = []
        for n in names:
            xs = [a for a in large if a.instance == n and a.solved and a.seconds is not None]
            xs = [a for a in xs if a.seconds is not None and a.seconds <= 60.0]
            if xs:
                best = min(xs, key=lambda a: a.seconds or 0.0)
                met.append(n)
                lines.append(f"  - {n}: {best.backend} {_t(best.seconds)} s")
            else:
                lines.append(f"  - {n}: **not proven within 60 s by any backend**")
        out.append(f"- A, B and C instances of 100-200 jobs proven optimal within 60 s by at "
                   f"least one backend: **{len(met)} of {len(names)}**")
        out += lines
    out.append("")
    return out
