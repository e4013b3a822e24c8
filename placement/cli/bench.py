"""``placement bench``, ``placement bench-plot`` and ``placement generate``.

The benchmark suites, runner, summary and plots live in the repository's ``benchmarks/``
package (a registry in the style of linopy's); these commands find it next to the working
directory or next to the installed source tree and call it. ``placement generate`` needs only
the package (:mod:`placement.io.synthetic`).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.markup import escape

from placement.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    QuietOpt,
    app,
    err,
    fail,
    handle_errors,
    out,
)

__all__ = ["bench_cmd", "bench_plot_cmd", "generate_cmd", "benchmarks_package"]


def benchmarks_package(module: str = "runner") -> ModuleType:
    """Import ``benchmarks.<module>`` from the source checkout this command belongs to.

    Looks in the working directory, then next to the ``placement`` package's source tree.
    """
    import placement

    roots = [Path.cwd(), Path(placement.__file__).resolve().parents[1]]
    for root in roots:
        if (root / "benchmarks" / "registry.py").is_file():
            if str(root) not in sys.path:
                sys.path.insert(0, str(root))
            return importlib.import_module(f"benchmarks.{module}")
    fail("placement bench needs the benchmarks/ directory of a source checkout of placement; "
         "run it from the repository root")


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    items = [s.strip() for s in text.split(",") if s.strip()]
    return items or None


def _sizes(text: str | None) -> tuple[tuple[int, int], ...] | None:
    if text is None:
        return None
    sizes = []
    for part in _split(text) or []:
        f, sep, t = part.lower().partition("x")
        if not sep or not f.strip().isdigit() or not t.strip().isdigit():
            fail(f"--sizes: {part!r} is not FUNCTIONSxTIERS (e.g. 20000x50)")
        if int(f) < 2 or int(t) < 2:
            fail(f"--sizes: {part!r} needs at least 2 functions and 2 tiers")
        sizes.append((int(f), int(t)))
    return tuple(sizes)


@app.command("bench")
@handle_errors
def bench_cmd(
    suite: Annotated[
        str, typer.Argument(help="Suite: orlib-gap, synthetic, england, scale, smoke.")],
    solvers: Annotated[
        str | None,
        typer.Option("--solvers", help="Comma-separated backends (default: every installed); "
                     "engine:NAME runs placement.solve with backend NAME (e.g. "
                     "highs,engine:highs)."),
    ] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.001, help="Seconds per solve, every backend.")
    ] = 60.0,
    repeats: Annotated[int, typer.Option("--repeats", min=1, help="Runs of each pair.")] = 1,
    threads: Annotated[int, typer.Option("--threads", min=1, max=256, help="Solver threads.")] = 1,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Solver random seed.")] = 0,
    rel_gap: Annotated[
        float, typer.Option("--rel-gap", min=0.0, max=1.0,
                            help="Relative gap every backend is asked to prove (0: optimal).")
    ] = 0.0,
    instance_seed: Annotated[
        int | None, typer.Option("--instance-seed", min=0,
                                 help="Seed of the generated instances (held-out runs; default: "
                                      "each suite's own).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o",
                     help="Results directory (default benchmarks/results/SUITE-DATE)."),
    ] = None,
    sizes: Annotated[
        str | None,
        typer.Option("--sizes", help="Synthetic sizes FUNCTIONSxTIERS,... (e.g. 50x5,20000x50)."),
    ] = None,
    families: Annotated[
        str | None, typer.Option("--families", help="Only these families (e.g. gap1,gap2,A).")
    ] = None,
    instances: Annotated[
        str | None,
        typer.Option("--instances", help="Only instances matching these globs (c0515_*,a05*)."),
    ] = None,
    list_only: Annotated[
        bool, typer.Option("--list", help="List the suite's instances and exit.")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show a progress bar.")
    ] = True,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1,
                          help="Runs at once on local processes (timings then not comparable).")
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="A Dask scheduler (tcp://HOST:8786) to spread the runs "
                     "over (default: $DASK_SCHEDULER_ADDRESS, else --workers).")
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Run a benchmark suite: every instance with every backend, checked and timed.

    Each (instance, backend, repeat) runs in a fresh process with the same time limit, threads
    and seed; results go to results.csv (one row per run, appended as runs finish), results.json,
    summary.md, machine.json, profile.png and time_vs_size.png in the output directory. A rerun
    with the same output directory skips the runs already there. Exit code 4 when a result
    failed the independent checker or contradicted a proven bound (a known one, or another
    run's checked placement beating its bound).

    With --workers N or --scheduler the runs are spread over local processes or a Dask
    cluster (each still a fresh, timed process where it lands; the worker column says where):
    the same statuses and objectives, but timings of runs that shared a machine are not
    comparable.
    """
    from placement import solvers as reg

    runner = benchmarks_package("runner")
    labels = benchmarks_package("labels")
    # unknown or not installed: exit 2 naming the installed ones
    names = labels.canonical_labels(_split(solvers) or reg.installed())
    settings = runner.RunSettings(suite=suite, solvers=names, time_limit=time_limit,
                                  threads=threads, repeats=repeats, seed=seed, rel_gap=rel_gap)
    size_t = _sizes(sizes)
    fam, pats = _split(families), _split(instances)
    if list_only:
        cases = runner.plan(settings, sizes=size_t, families=fam, instances=pats,
                            instance_seed=instance_seed)
        for c in cases:
            known = "" if c.known_optimum is None else f"  known optimum {c.known_optimum:g}"
            out.print(f"{c.name}  [{c.family}]  {c.functions}x{c.tiers}{known}",
                      highlight=False, markup=False)
        if not cases:
            err.print(f"suite {suite!r} has no instances here", highlight=False)
        raise typer.Exit(EXIT_OK)
    if output is None:
        output = runner.ROOT / "benchmarks" / "results" / f"{suite}-{time.strftime('%Y%m%d')}"
    from placement.util.executor import SerialExecutor, executor_for

    ex = executor_for(scheduler, workers)
    if not isinstance(ex, SerialExecutor):
        err.print(f"runs spread over {ex.label} ({ex.workers} workers): timings of runs that "
                  "share a machine are not comparable", highlight=False)
    try:
        rep = runner.run(settings, output, sizes=size_t, families=fam, instances=pats,
                         progress=progress and not quiet and sys.stderr.isatty(),
                         log=lambda m: err.print(m, highlight=False), executor=ex,
                         instance_seed=instance_seed)
    finally:
        close = getattr(ex, "close", None)
        if callable(close):
            close()
    for note in rep.notes:
        err.print(f"[yellow]note:[/] {escape(note)}", highlight=False, markup=True)
    err.print(f"{rep.ran} runs done, {rep.skipped} already in {rep.output / 'results.csv'}; "
              f"summary in {rep.output / 'summary.md'}", highlight=False)
    if rep.failures:
        for f in rep.failures:
            err.print(f"[bold red]failed:[/] {escape(str(f))}", highlight=False, markup=True)
        raise typer.Exit(EXIT_CHECK_FAILED)
    raise typer.Exit(EXIT_OK)


@app.command("bench-plot")
@handle_errors
def bench_plot_cmd(
    directory: Annotated[Path, typer.Argument(help="A bench output directory (results.csv).")],
) -> None:
    """Redraw profile.png and time_vs_size.png and rewrite summary.md and results.json from a
    bench directory's results.csv."""
    runner = benchmarks_package("runner")
    csv_path = directory / "results.csv"
    if not csv_path.is_file():
        fail(f"{directory}: no results.csv here (run placement bench first)")
    rows = runner.read_results(csv_path)
    if not rows:
        fail(f"{csv_path}: no complete result rows")
    runner.check_output_dir(directory)
    for p in runner.write_reports(directory, rows, None, None):
        err.print(f"wrote {p}", highlight=False)


@app.command("generate")
@handle_errors
def generate_cmd(
    outdir: Annotated[Path, typer.Argument(help="Instance directory to create.")],
    functions: Annotated[int, typer.Option("--functions", min=2, help="Number of functions.")],
    tiers: Annotated[int, typer.Option("--tiers", min=2, help="Number of tiers.")] = 5,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 0,
    budget_tightness: Annotated[
        float,
        typer.Option("--budget-tightness", min=0.0, max=1.0,
                     help="0: the budget does not bind .. 1: the tightest feasible budget."),
    ] = 0.5,
    link_density: Annotated[
        float, typer.Option("--link-density", min=0.0, max=10.0, help="Links per function.")
    ] = 0.0,
    cap_tightness: Annotated[
        float,
        typer.Option("--cap-tightness", min=0.0,
                     help="0: no per-tier caps .. below 1: each tier below the national one "
                          "capped at (1 - this) of the staff it uses with every function at "
                          "its best tier."),
    ] = 0.0,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the instance files of OUTDIR.")
    ] = False,
) -> None:
    """Write a seeded synthetic placement instance (placement.io.synthetic) as a directory that
    placement solve and placement.load read."""
    from placement.io.instance_writer import write_instance
    from placement.io.synthetic import SyntheticSpec, generate

    spec = SyntheticSpec(functions, tiers, seed, budget_tightness, link_density, cap_tightness)
    inst = generate(spec)
    path = write_instance(inst, outdir, overwrite=overwrite)
    caps = inst.resources[0].caps
    out.print(f"wrote {path}: {inst.n_functions} functions x {inst.n_tiers} tiers, "
              f"{len(inst.links)} links, staff budget {inst.resources[0].budget:g}"
              + (f", staff caps on {len(caps)} tiers" if caps else ""), highlight=False)
