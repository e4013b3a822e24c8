"""``placement solve``, ``placement validate`` and ``placement solvers``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from placement.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_NO_SOLUTION,
    EXIT_OK,
    CommandTimeLimitOpt,
    GapOpt,
    InputFormat,
    InputFormatOpt,
    ModelOpt,
    OutputFormat,
    OutputOpt,
    PathArg,
    ProblemOpt,
    QuietOpt,
    ScenarioOpt,
    SeedOpt,
    SolverOpt,
    ThreadsOpt,
    WideOpt,
    app,
    emit,
    err,
    fail,
    handle_errors,
    load_instance_or_exit,
    out,
    solve_seconds,
)
from placement.cli.overrides import SetOpt, WeightOpt, with_overrides
from placement.cli.workbook import SheetFormat, SheetFormatOpt, plain_format, write_sheets

if TYPE_CHECKING:
    from rich.console import Console

    from placement.model import Instance
    from placement.solution.result import Result

__all__ = ["solve_cmd", "validate_cmd", "solvers_cmd", "exit_code"]


def exit_code(r: Result) -> int:
    """0 solved and checked; 3 no solution; 4 the checker found a violation."""
    if not r.has_solution:
        return EXIT_NO_SOLUTION
    if r.check is not None and not r.check.ok:
        return EXIT_CHECK_FAILED
    return EXIT_OK


def _render(results: list[Result], fmt: OutputFormat, output: Path | None,
            by_area: bool = False, wide: bool = False) -> None:
    if fmt is OutputFormat.json:
        if len(results) == 1:
            text = results[0].to_json()
        else:
            text = json.dumps([json.loads(r.to_json()) for r in results], indent=2)
        emit(text, output)
    elif fmt is OutputFormat.csv:
        import pandas as pd

        frames = []
        for r in results:
            if r.has_solution:
                df = (r.by_area if by_area else r.placements).reset_index()
                if len(results) > 1:
                    df.insert(0, "instance", r.instance.name)
                frames.append(df)
        if frames:
            emit(pd.concat(frames).to_csv(index=False), output)
    else:
        from placement.cli.render import by_area_table, render_result
        from placement.cli.tables import file_console, widened

        if output is not None:
            con, buf = file_console(wide)
            for r in results:
                render_result(r, con)
                if by_area and r.has_solution:
                    con.print(by_area_table(r, con.width))
            emit(buf.getvalue(), output)
        elif len(results) == 1:
            con = widened(out, wide)
            render_result(results[0], con)
            if by_area and results[0].has_solution:
                con.print(by_area_table(results[0], con.width))
        else:
            _summary_table(results, widened(out, wide))


def _summary_table(results: list[Result], con: Console) -> None:
    from placement.cli.tables import Col, fitted
    from placement.util.numbers import fmt, pct

    cols = [Col("instance"), Col("status"), Col("objective", numeric=True),
            Col("bound", numeric=True), Col("gap", numeric=True),
            Col("seconds", numeric=True), Col("checker")]
    rows = [[r.instance.name, str(r.status), fmt(r.objective, "objective"),
             fmt(r.bound, "objective"), pct(r.gap), fmt(r.solve_seconds, "seconds"),
             "-" if r.check is None else ("ok" if r.check.ok else "VIOLATED")]
            for r in results]
    con.print(fitted(cols, rows, con.width, title="Problems in the file", force=True))


def _instances(path: Path, model: str | None, input_format: InputFormat, problem: int | None,
               scenario: str | None) -> list[Instance]:
    """The instance to solve, or every problem of an OR-Library file (or the one asked)."""
    if input_format is InputFormat.orlib_gap:
        if scenario is not None:
            fail("--scenario applies to placement instances, not OR-Library GAP files")
        from placement.io.orlib import read_gap

        insts = read_gap(path)
        if problem is not None:
            if problem > len(insts):
                fail(f"{path}: --problem {problem} is out of range; the file holds "
                     f"{len(insts)} problem(s)")
            insts = [insts[problem - 1]]
        return insts
    return [load_instance_or_exit(path, model, input_format, problem)]


@app.command("solve")
@handle_errors
def solve_cmd(
    path: PathArg,
    model: ModelOpt = None,
    scenario: ScenarioOpt = None,
    solver: SolverOpt = "highs",
    time_limit: CommandTimeLimitOpt = None,
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    gap: GapOpt = 0.0,
    format: SheetFormatOpt = SheetFormat.table,
    output: OutputOpt = None,
    input_format: InputFormatOpt = InputFormat.placement,
    problem: ProblemOpt = None,
    log: Annotated[bool, typer.Option("--log", help="Show the solver's own log.")] = False,
    subsidiarity: Annotated[
        float | None,
        typer.Option("--subsidiarity", min=0.0, max=1.0, metavar="EPS",
                     help="Then find the most local placement whose value is within EPS "
                          "(a fraction, e.g. 0.05) of the optimum; both stages are reported."),
    ] = None,
    structure: Annotated[
        bool | None,
        typer.Option("--structure/--no-structure",
                     help="The structure-aware path: a Lagrangian bound, reduced-cost fixing "
                          "and only the core to the solver. Default: from 20,000 placement "
                          "columns, and alike areas merged (exact) at any size; "
                          "--no-structure hands the whole model to the solver."),
    ] = None,
    by_area: Annotated[
        bool, typer.Option("--by-area", help="Per area: also list every function in every "
                                             "area (table), or write those rows (csv).")
    ] = False,
    weight: WeightOpt = None,
    set_: SetOpt = None,
    wide: WideOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Solve an instance: place every function at its best tier.

    Every solve also reports the one-size baselines and the price of uniformity; an
    infeasible instance gets a diagnosis (an elastic re-solve with HiGHS) and exit code 3.
    """
    from placement import solvers
    from placement.solution.solving import solve

    solvers.get(solver)  # an unknown or missing backend is a usage error: fail before loading
    plain = plain_format(format, output)
    from placement.cli.progress import progress

    results = []
    with progress(f"loading {path}", quiet=quiet or log) as work:
        insts = [with_overrides(inst, weight, set_)
                 for inst in _instances(path, model, input_format, problem, scenario)]
        if plain is OutputFormat.table and output is None and insts[0].overrides:
            out.print("judgements changed for this run: "
                      + " ".join(insts[0].overrides.options()), highlight=False)
        from placement.cli import STARTED

        for i, inst in enumerate(insts):
            work.describe(f"solving {inst.name} with {solver}")
            limit = solve_seconds(time_limit, STARTED, time.perf_counter(), i,
                                  _writing_seconds(inst))
            results.append(solve(inst, solver, scenario=scenario, time_limit=limit,
                                 threads=threads, seed=seed, rel_gap=gap, log=log,
                                 subsidiarity=subsidiarity, structure=structure))
    if plain is None:
        from placement.solution.result_sheets import results_sheets

        write_sheets(output, lambda: results_sheets(results))
    else:
        _render(results, plain, output, by_area, wide)
    code = max(exit_code(r) for r in results)
    if code == EXIT_NO_SOLUTION:
        for r in results:
            if not r.has_solution:
                msg = f"{r.instance.name}: no placement (status {r.status})"
                if r.diagnosis is not None:
                    msg += f"\n{r.diagnosis}"
                err.print(f"[bold red]error:[/] {escape(msg)}", highlight=False, markup=True)
    elif code == EXIT_CHECK_FAILED:
        err.print("[bold red]error:[/] a result failed the independent checker; please "
                  "report this with the instance", highlight=False, markup=True)
    raise typer.Exit(code)


def _writing_seconds(inst: Instance) -> float:
    """Time kept back from a command's limit for rendering and writing its result: 50,000
    functions took 1.4 s to JSON; per area, about two million records 10 s."""
    records = inst.n_functions * max(1, inst.units.n_areas if inst.per_area else 1)
    return 0.05 + 3e-5 * inst.n_functions + 5e-6 * records


@app.command("validate")
@handle_errors
def validate_cmd(
    path: PathArg,
    model: ModelOpt = None,
    input_format: InputFormatOpt = InputFormat.placement,
    problem: ProblemOpt = None,
) -> None:
    """Check an instance (and every scenario) without solving; list every problem found."""
    from placement.errors import InstanceError, Problem

    if input_format is InputFormat.orlib_gap:
        from placement.io.orlib import read_gap

        insts = read_gap(path)
    else:
        insts = [load_instance_or_exit(path, model, input_format, problem)]
    problems: list[Problem] = []
    for inst in insts:
        for sid in inst.scenarios:
            try:
                inst.with_scenario(sid)
            except InstanceError as e:
                problems.extend(e.problems)
    if problems:
        raise InstanceError(problems, subject=f"scenarios of {path}")
    for inst in insts:
        res = ", ".join(inst.resource_ids) or "none"
        out.print(
            "[green]valid[/]: " + escape(
                f"{inst.name}: {inst.n_functions} functions, {inst.n_tiers} tiers "
                f"({', '.join(inst.tier_ids)}), resources: {res}, "
                f"model: {inst.model_id or 'values table'}, links: {len(inst.links)}, "
                f"scenarios: {', '.join(inst.scenarios) or 'none'}"),
            highlight=False, markup=True,
        )


@app.command("solvers")
def solvers_cmd() -> None:
    """List the solver backends, whether each is installed, and what each can do."""
    from importlib.metadata import PackageNotFoundError, version

    from rich.table import Table

    from placement import solvers

    caps = {
        "highs": "default; incremental re-solves",
        "cbc": "bound and nodes read from the CBC log",
        "cp-sat": "integer coefficients only: scales and reports precision lost",
        "scip": "",
        "portfolio": "HiGHS and CP-SAT in rounds sharing the incumbent, plus a local search",
    }
    inst = set(solvers.installed())
    t = Table(title="Solver backends")
    for c in ("name", "backend", "installed", "package version", "notes"):
        t.add_column(c)
    for e in solvers.REGISTRY:
        pkg = e.requires[0]
        try:
            ver = version(pkg)
        except PackageNotFoundError:
            ver = "-"
        t.add_row(e.name, e.label, "yes" if e.name in inst else "no", ver, caps.get(e.name, ""))
    out.print(t)
