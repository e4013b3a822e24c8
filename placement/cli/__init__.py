"""The ``placement`` command line: thin wrappers that parse, call the library and print.

Each command group lives in its own module and registers itself on :data:`app`. Solver
libraries and pandas are imported inside the commands, so ``placement --help`` is instant.

Exit codes: 0 solved; 2 invalid input or usage; 3 infeasible or no solution; 4 a result failed
the independent checker (a solver bug, never the user's fault); 130 interrupted by Ctrl-C.
"""

from __future__ import annotations

import importlib
import time

#: When the command started (as near as the package can tell): ``placement solve
#: --time-limit`` counts from here, so that loading and writing come out of the limit.
STARTED = time.perf_counter()

from placement.cli.common import app  # noqa: E402

#: Modules that add commands to ``app`` (each owns its commands).
COMMAND_MODULES = (
    "placement.cli.solve",
    "placement.cli.coterminosity",
    "placement.cli.compare",
    "placement.cli.bench",
    "placement.cli.explain",
    "placement.cli.sensitivity",
    "placement.cli.frontier",
    "placement.cli.report",
    "placement.cli.map",
    "placement.cli.sweep",
    "placement.cli.diff",
    "placement.cli.new",
    "placement.cli.serve",
)

for _m in COMMAND_MODULES:
    importlib.import_module(_m)


def main() -> None:
    """Entry point of the ``placement`` script: the command runs in a worker thread so that
    Ctrl-C ends it within a moment, even inside a solver (exit 130, no partial file)."""
    from placement.util.interrupt import run_interruptibly

    run_interruptibly(app)


__all__ = ["app", "main"]
