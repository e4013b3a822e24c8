"""Pictures from a results table (matplotlib, Agg backend, PNG).

``profile.png``
    Dolan-More performance profile: for each backend, the share of instances it solved within
    a factor tau of the fastest backend on that instance (tau on a log2 axis). An instance a
    backend did not solve (not proven optimal, rejected by the checker, or contradicting a
    proven bound) counts as never solved by it. Instances no backend solved are left out.
``time_vs_size.png``
    Solve seconds against the number of assignment binaries, per backend (log-log); hollow
    markers are runs that did not prove optimality.

Both read only the rows of ``results.csv`` (:func:`benchmarks.runner.read_results`), so
``placement bench-plot DIR`` redraws them for any finished or partial run.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from benchmarks.report import Aggregate, aggregate
from placement.util import write_bytes_atomic

__all__ = ["performance_profile", "time_vs_size", "plot_all", "profile_curves"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    """Render to PNG in memory, then write atomically: no half-written PNG remains."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    return write_bytes_atomic(path, buf.getvalue())


def profile_curves(aggs: list[Aggregate]) -> tuple[list[float], dict[str, list[float]]]:
    """(tau grid, backend -> fraction of instances solved within tau of the best).

    >>> from benchmarks.report import Aggregate
    >>> def a(i, b, s, ok=True):
    ...     return Aggregate(i, "f", b, 10, 1, ok, ["optimal"], s, None, None, None,
    ...                      False, False, None, None, 60.0)
    >>> taus, fr = profile_curves([a("p", "x", 1.0), a("p", "y", 2.0), a("q", "x", 3.0),
    ...                            a("q", "y", 1.0, ok=False)])
    >>> fr["x"][0], fr["y"][-1]
    (1.0, 0.5)
    """
    instances = sorted({a.instance for a in aggs})
    backends = sorted({a.backend for a in aggs})
    t: dict[tuple[str, str], float] = {}
    for a in aggs:
        t[(a.instance, a.backend)] = (max(a.seconds, 1e-3) if a.solved and a.seconds is not None
                                      else math.inf)
    ratios: dict[str, list[float]] = {b: [] for b in backends}
    used = 0
    for i in instances:
        best = min(t.get((i, b), math.inf) for b in backends)
        if not math.isfinite(best):
            continue
        used += 1
        for b in backends:
            ratios[b].append(t.get((i, b), math.inf) / best)
    finite = [r for rs in ratios.values() for r in rs if math.isfinite(r)]
    top = max(finite + [2.0])
    n = 200
    taus = [2 ** (math.log2(top) * 1.05 * k / (n - 1)) for k in range(n)]
    frac = {b: [sum(r <= tau * (1 + 1e-12) for r in rs) / max(used, 1) for tau in taus]
            for b, rs in ratios.items()}
    return taus, frac


def performance_profile(rows: list[dict[str, Any]], path: Path, title: str = "") -> Path:
    """Draw the Dolan-More performance profile of ``rows`` into ``path`` (PNG)."""
    plt = _pyplot()
    aggs = aggregate(rows)
    taus, frac = profile_curves(aggs)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for b, ys in frac.items():
        ax.step(taus, ys, where="post", label=b, linewidth=1.8)
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(1, taus[-1])
    ax.set_xlabel("tau: within this factor of the fastest backend on the instance")
    ax.set_ylabel("share of instances solved")
    n = len({a.instance for a in aggs})
    ax.set_title(title or f"Performance profile ({n} instances, solve seconds)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    try:
        return _save(fig, Path(path))
    finally:
        plt.close(fig)


def time_vs_size(rows: list[dict[str, Any]], path: Path, title: str = "") -> Path:
    """Draw solve seconds against binaries per backend into ``path`` (PNG)."""
    plt = _pyplot()
    aggs = [a for a in aggregate(rows) if a.seconds is not None]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    backends = sorted({a.backend for a in aggs})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, b in enumerate(backends):
        xs = [a for a in aggs if a.backend == b]
        c = colors[k % len(colors)]
        ok = [a for a in xs if a.solved]
        bad = [a for a in xs if not a.solved]
        ax.scatter([a.binaries for a in ok], [max(a.seconds or 0, 1e-3) for a in ok], color=c,
                   label=b, s=22, alpha=0.8)
        if bad:
            ax.scatter([a.binaries for a in bad], [max(a.seconds or 0, 1e-3) for a in bad],
                       facecolors="none", edgecolors=c, s=30, label=f"{b} (not proven)")
    limits = {a.time_limit for a in aggs if a.time_limit}
    for lim in limits:
        ax.axhline(lim, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("assignment binaries (functions x tiers)")
    ax.set_ylabel("solve seconds")
    ax.set_title(title or "Solve time against size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    try:
        return _save(fig, Path(path))
    finally:
        plt.close(fig)


def plot_all(rows: list[dict[str, Any]], output: Path) -> list[Path]:
    """profile.png and time_vs_size.png in ``output``."""
    output = Path(output)
    return [performance_profile(rows, output / "profile.png"),
            time_vs_size(rows, output / "time_vs_size.png")]
