"""``placement sweep``: one instance solved at every point of a grid of judgements (or at seeded
random points), in this process, on local worker processes or on a Dask cluster, with every
finished point kept on disk (a wrapper over :mod:`placement.analysis.sweep`; docs/distributed.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from placement.cli.common import (
    ModelOpt,
    PathArg,
    ScenarioOpt,
    SolverOpt,
    TimeLimitOpt,
    app,
    err,
    fail,
    handle_errors,
    load_instance_or_exit,
    out,
)

__all__ = ["sweep_cmd"]

SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="A Dask scheduler (tcp://HOST:8786) to run the solves on "
                 "(default: $DASK_SCHEDULER_ADDRESS, else local).")]
WorkersOpt = Annotated[
    int, typer.Option("--workers", "-w", min=1, max=256,
                      help="Local worker processes when no scheduler is given.")]


@app.command("sweep")
@handle_errors
def sweep_cmd(
    path: PathArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the sweep "
                                         "(resumed when it holds the same sweep).")],
    grid: Annotated[list[str], typer.Option(
        "--grid", "-g", help="An axis: weights.CRITERION, budget.RESOURCE or "
        "cap.RESOURCE.TIER, =LO:HI:N or =A,B,C (repeatable).")],
    samples: Annotated[int | None, typer.Option(
        "--samples", min=1, help="Random points in the axes' ranges instead of the grid.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random points.")] = 0,
    model: ModelOpt = None,
    scenario: ScenarioOpt = None,
    solver: SolverOpt = "highs",
    time_limit: TimeLimitOpt = None,
    workers: WorkersOpt = 1,
    scheduler: SchedulerOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Solve the instance at every point of a grid of weights, budgets and caps."""
    from placement import solvers
    from placement.analysis.sweep import SweepTask, prepare
    from placement.analysis.sweep_store import run_sweep
    from placement.charts.sweep import changed_functions, plot_changes
    from placement.cli.progress import progress
    from placement.util.executor import executor_for
    from placement.util.numbers import fmt

    solvers.get(solver)
    if output.exists() and not output.is_dir():
        fail(f"--output {output}: exists and is not a directory")
    inst = load_instance_or_exit(path, model)
    inst, axes, points = prepare(inst, scenario, grid, samples, seed)
    ex = executor_for(scheduler, workers)
    task = SweepTask(inst, solver, time_limit)
    err.print(f"{len(points)} points on {ex.label} ({ex.workers} worker"
              f"{'s' if ex.workers != 1 else ''})", highlight=False)
    try:
        with progress("sweep points", len(points), quiet) as work:
            table = run_sweep(task, axes, points, output, executor=ex, samples=samples,
                              seed=seed, scenario=scenario, progress=work.advance)
    finally:
        close = getattr(ex, "close", None)
        if callable(close):
            close()
    plot_changes(table, [a.name for a in axes], output / "changes.png")
    moved = changed_functions(table)
    counts = table["status"].value_counts().to_dict()
    out.print(f"{len(table)} points: " + ", ".join(f"{v} {k}" for k, v in counts.items())
              + f"; up to {fmt(moved.max(), 'count')} functions placed differently from "
              "point 0",
              highlight=False)
    err.print(f"wrote {output}/results.csv, results.parquet, changes.png", highlight=False)
