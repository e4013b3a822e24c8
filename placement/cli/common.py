"""Shared pieces of the command line: the app, consoles, exit codes, error handling, output."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from placement.model import Instance

__all__ = [
    "app",
    "out",
    "err",
    "EXIT_OK",
    "EXIT_INVALID",
    "EXIT_NO_SOLUTION",
    "EXIT_CHECK_FAILED",
    "fail",
    "handle_errors",
    "write_atomic",
    "load_instance_or_exit",
    "OutputFormat",
    "InputFormat",
    "PathArg",
    "ModelOpt",
    "ScenarioOpt",
    "SolverOpt",
    "TimeLimitOpt",
    "CommandTimeLimitOpt",
    "solve_seconds",
    "ThreadsOpt",
    "SeedOpt",
    "GapOpt",
    "InputFormatOpt",
    "ProblemOpt",
    "OutputOpt",
    "WideOpt",
    "QuietOpt",
]

EXIT_OK = 0
EXIT_INVALID = 2
EXIT_NO_SOLUTION = 3
EXIT_CHECK_FAILED = 4

app = typer.Typer(
    name="placement",
    help=(
        "Decide at which tier of government each public function should sit.\n\n"
        "Exit codes: 0 solved; 2 invalid input or usage; 3 infeasible or no solution; "
        "4 a result failed the independent checker."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# markup off: names and values from the instance may hold [brackets]; styled text passes
# markup=True and escapes what it interpolates
out = Console(soft_wrap=False, markup=False)
err = Console(stderr=True, soft_wrap=True, markup=False)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class InputFormat(str, Enum):
    placement = "placement"
    orlib_gap = "orlib-gap"


def fail(message: str, code: int = EXIT_INVALID) -> NoReturn:
    """Print ``message`` to standard error and exit with ``code``."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    raise typer.Exit(code)


F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn the engine's own errors into a message and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from placement.errors import InstanceError, PlacementError

        try:
            return fn(*args, **kwargs)
        except InstanceError as e:
            for w in e.warnings:
                err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, markup=True)
            err.print(f"[bold red]error:[/] {escape(str(_as_flags(e)))}", highlight=False,
                      markup=True)
            raise typer.Exit(EXIT_INVALID) from None
        except (PlacementError, ValueError) as e:
            fail(str(e))
        except OSError as e:  # an output path that cannot be written: /proc, a directory, ...
            where = e.filename if e.filename is not None else ""
            fail(f"{where}: cannot write or read this path ({e.strerror or e})" if where
                 else f"a file operation failed ({e.strerror or e})")
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper  # type: ignore[return-value]


#: Library arguments the command line names as options: the library locates a bad argument
#: by its Python name (``scenario`` of ``placement.solve``), the command line by its option.
_FLAGS = {"scenario": "--scenario", "resource": "--resource", "resources": "--resource",
          "samples": "--samples", "solver": "--solver"}


def _as_flags(e: Any) -> Any:
    """An InstanceError with its argument problems named by their command-line options."""
    import dataclasses

    if not any(p.file is None and p.where in _FLAGS for p in e.problems):
        return e
    problems = [dataclasses.replace(p, where=_FLAGS[p.where])
                if p.file is None and p.where in _FLAGS else p for p in e.problems]
    return dataclasses.replace(e, problems=problems)


def check_output(path: Path, option: str = "--output") -> Path:
    """``path`` as an output file, or exit 2 saying why it cannot be one: an empty name, an
    existing directory, a directory that does not exist or cannot be written to."""
    raw = str(path)
    path = Path(path)
    if raw.strip() in ("", "."):
        fail(f"{option} '{raw}': expected a file name")
    if path.is_dir():
        fail(f"{option} {path}: this is a directory; expected a file name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        fail(f"{option} {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK) or parent.resolve().parts[1:2] in (
            ("proc",), ("sys",)):
        fail(f"{option} {path}: the directory {parent} cannot be written to")
    return path


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so no partial file is left."""
    from placement.util.files import write_text_atomic

    path = check_output(path)
    try:
        write_text_atomic(path, text)
    except OSError as e:
        fail(f"--output {path}: cannot write it ({e.strerror or e})")


def emit(text: str, output: Path | None) -> None:
    """Write to ``output`` atomically, or to standard output."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomic(output, text if text.endswith("\n") else text + "\n")
        err.print(f"wrote {output}", highlight=False)


def load_instance_or_exit(
    path: Path,
    model: str | None = None,
    input_format: InputFormat = InputFormat.placement,
    problem: int | None = None,
) -> Instance:
    """Load an instance; invalid input raises and is reported by :func:`handle_errors`."""
    from placement.io import load

    if input_format is InputFormat.orlib_gap and model is not None:
        fail("--model applies to placement instances, not OR-Library GAP files")
    inst = load(path, model=model, input_format=input_format.value, problem=problem)
    for w in inst.warnings:
        err.print(f"[yellow]warning:[/] {escape(w)}", highlight=False, markup=True)
    return inst


PathArg = Annotated[
    Path, typer.Argument(help="Instance directory (or OR-Library file with --input-format).")
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", "-m", help="Scoring model id or .toml file to use.")
]
ScenarioOpt = Annotated[
    str | None, typer.Option("--scenario", "-s", help="Scenario of the instance to apply.")
]
SolverOpt = Annotated[
    str, typer.Option("--solver", help="Backend: highs, cbc, cp-sat, scip or portfolio.")
]
TimeLimitOpt = Annotated[
    float | None, typer.Option("--time-limit", min=0.001, help="Time limit in seconds.")
]
CommandTimeLimitOpt = Annotated[
    float | None, typer.Option("--time-limit", min=0.001, help=(
        "Time limit in seconds for the whole command, loading the instance and writing the "
        "result included (per instance, when there are several)."))
]


def solve_seconds(limit: float | None, started: float, now: float, index: int,
                  reserve: float) -> float | None:
    """What is left of a command's time ``limit`` for the solve of its ``index``-th instance
    (each instance has ``limit`` seconds from ``started``, one after the other), less
    ``reserve`` for writing the result; a fifth of the limit at least, since a solve needs
    some time to answer at all."""
    if limit is None:
        return None
    left = started + (index + 1) * limit - now - reserve
    return max(left, 0.2 * limit)


#: More solver threads than this is a typo, not a machine (HiGHS aborts the process asked
#: for 100,000).
MAX_THREADS = 256
ThreadsOpt = Annotated[int | None, typer.Option("--threads", min=1, max=MAX_THREADS,
                                                help="Solver threads.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Solver random seed.")]
GapOpt = Annotated[
    float,
    typer.Option("--gap", min=0.0, max=0.999, help="Relative gap to stop at (0 = proven)."),
]
InputFormatOpt = Annotated[
    InputFormat, typer.Option("--input-format", help="Instance format.")
]
ProblemOpt = Annotated[
    int | None,
    typer.Option("--problem", min=1, help="Problem number in a multi-problem OR-Library file."),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
]
WideOpt = Annotated[
    bool,
    typer.Option("--wide", help="Tables up to 200 columns wide (default: the terminal's "
                                "width, or COLUMNS, or 80 when not a terminal)."),
]
QuietOpt = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="No progress display on standard error."),
]
