"""``placement report``: the analyses of an instance on one HTML page (and Markdown)."""

from __future__ import annotations

import shlex
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from placement.cli.common import (
    ModelOpt,
    PathArg,
    QuietOpt,
    SolverOpt,
    TimeLimitOpt,
    app,
    err,
    fail,
    handle_errors,
    load_instance_or_exit,
)
from placement.cli.overrides import SetOpt, WeightOpt, with_overrides
from placement.cli.workbook import SheetFormat, plain_format, write_sheets

__all__ = ["report_cmd", "ReportFormat"]


class ReportFormat(str, Enum):
    html = "html"
    xlsx = "xlsx"


@app.command("report")
@handle_errors
def report_cmd(
    path: PathArg,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Directory to write the report into "
                                                  "(created if missing).")
    ],
    scenario: Annotated[
        list[str] | None,
        typer.Option("--scenario", "-s", help="Scenario to compare (repeat; default: all).")
    ] = None,
    no_scenarios: Annotated[
        bool, typer.Option("--no-scenarios", help="Compare no scenarios.")
    ] = False,
    no_optimise: Annotated[
        bool, typer.Option("--no-optimise", help="Evaluate scenarios' fixed placements only "
                                                 "(do not also optimise under them).")
    ] = False,
    samples: Annotated[
        int, typer.Option("--samples", "-n", min=0,
                          help="Monte Carlo weight draws (0: no robustness section).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Monte Carlo: seed of the draws.")] = 0,
    concentration: Annotated[
        float | None,
        typer.Option("--concentration", "-k", min=1e-9,
                     help="Monte Carlo: Dirichlet concentration (default 50)."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1,
                          help="Worker processes for the forcing costs, stability searches "
                               "and Monte Carlo draws.")
    ] = 1,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="A Dask scheduler (tcp://HOST:8786) "
                                 "to run the forcing costs, stability searches and draws on "
                                 "(default: $DASK_SCHEDULER_ADDRESS, else --workers local "
                                 "processes).")
    ] = None,
    resource: Annotated[
        list[str] | None,
        typer.Option("--resource", "-r",
                     help="Resource for a budget frontier (repeat; default: the first)."),
    ] = None,
    no_frontier: Annotated[
        bool, typer.Option("--no-frontier", help="No budget frontier.")
    ] = False,
    no_stability: Annotated[
        bool, typer.Option("--no-stability", help="No exact weight stability.")
    ] = False,
    forcing: Annotated[
        bool | None,
        typer.Option("--forcing/--no-forcing",
                     help="The forcing-cost table (runner-ups, margins); default: when it "
                          "takes at most 5,000 re-solves."),
    ] = None,
    model: ModelOpt = None,
    solver: SolverOpt = "highs",
    time_limit: TimeLimitOpt = None,
    weight: WeightOpt = None,
    set_: SetOpt = None,
    format: Annotated[
        ReportFormat,
        typer.Option("--format", "-f",
                     help="html: the directory of report.html, report.md, report.json and "
                          "figures; xlsx: one Excel workbook, a sheet per table, and --output "
                          "is the file."),
    ] = ReportFormat.html,
    quiet: QuietOpt = False,
) -> None:
    """Write a report: placement, value heatmap, tiers, one-size baselines, reform options,
    margins, robustness and the budget frontier, as report.html (self-contained), report.md
    with figures/, and report.json."""
    from placement import solvers
    from placement.cli.analysis import analyse
    from placement.report import build_report

    if no_scenarios and scenario:
        fail("--no-scenarios and --scenario contradict each other")
    if no_frontier and resource:
        fail("--no-frontier and --resource contradict each other")
    if format is ReportFormat.xlsx:
        plain_format(SheetFormat.xlsx, output)
    solvers.get(solver)
    inst = with_overrides(load_instance_or_exit(path, model), weight, set_)
    command = "placement " + " ".join(shlex.quote(a) for a in sys.argv[1:])

    from placement.cli.progress import progress
    from placement.util.executor import executor_for

    ex = executor_for(scheduler, workers)
    with progress("starting", quiet=quiet) as status:
        try:
            rep = analyse(lambda: build_report(
                inst, [] if no_scenarios else scenario, optimise=not no_optimise,
                samples=samples, seed=seed, concentration=concentration, workers=workers,
                resources=[] if no_frontier else resource, stability=not no_stability,
                forcing=forcing, solver=solver, time_limit=time_limit, command=command,
                on_stage=status.describe, executor=ex))
        finally:
            close = getattr(ex, "close", None)
            if callable(close):
                close()
        if format is ReportFormat.xlsx:
            status.describe("writing the workbook")
            from placement.report.workbook import report_sheets

            write_sheets(output, lambda: report_sheets(rep))
        else:
            status.describe("drawing the charts and writing the files")
            files = rep.write(output)
    for why in (f"{k}: {v}" for k, v in rep.skipped.items()):
        err.print(f"[yellow]note:[/] {escape(why)}", highlight=False, markup=True)
    if format is ReportFormat.xlsx:
        return
    err.print(f"wrote {len(files)} files to {output}: {', '.join(p.name for p in files[:3])}"
              f" and {len(files) - 3} figures", highlight=False)
