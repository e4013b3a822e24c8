"""Ctrl-C that works while a solver runs: the command in a worker thread, the main thread
waiting for it, and an interrupt that ends the process within a moment.

A solver library (HiGHS, CP-SAT, SCIP) runs in C++ and returns to Python only when it stops,
so Python's own ``KeyboardInterrupt`` would wait for the time limit. Here the command runs in a
worker thread while the main thread waits in short, interruptible joins. On SIGINT the main
thread stops every child process (CBC, benchmark workers), removes every temporary file still
being written (:data:`placement.util.files.PENDING`: no partial file is left, and none is begun
from then on), says so on standard error and ends the process with exit code 130 at once,
without waiting for the solver.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from placement.util.files import close_pending, remove_pending

__all__ = ["EXIT_INTERRUPTED", "active", "run_interruptibly", "stop_children", "descendants"]

#: The shell's convention for a process ended by SIGINT (128 + 2).
EXIT_INTERRUPTED = 130

_ACTIVE = threading.Event()


def active() -> bool:
    """True while a command runs under :func:`run_interruptibly`. A backend whose solver holds
    Python's interpreter lock while it runs (HiGHS) then calls back into Python now and then,
    so that the main thread can act on Ctrl-C; and no backend lets its solver catch SIGINT
    itself (CP-SAT would abort the process from a worker thread, SCIP would stop and report
    a time limit). Library calls outside the CLI pay nothing for this."""
    return _ACTIVE.is_set()


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` (Linux /proc; empty elsewhere)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids = [int(k) for k in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
        for k in kids:
            out += [k, *_children(k)]
    return out


def descendants(pid: int) -> list[int]:
    """Every descendant process of ``pid`` (Linux; empty elsewhere)."""
    return _children(pid)


def stop_children(grace: float = 0.3) -> None:
    """Terminate this process's descendants; kill those still running after ``grace``."""
    kids = _children(os.getpid())
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for k in kids:
            with contextlib.suppress(OSError):
                os.kill(k, sig)
        deadline = time.monotonic() + grace
        while sig == signal.SIGTERM and time.monotonic() < deadline:
            if not any(Path(f"/proc/{k}").exists() for k in kids):
                return
            time.sleep(0.02)


def _interrupted() -> None:
    close_pending()  # the command, still running, makes no new temporary path from here
    stop_children()
    remove_pending()
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    try:
        sys.stderr.write("\ninterrupted (exit 130); no partial file was left\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(EXIT_INTERRUPTED)


def run_interruptibly(command: Callable[[], Any]) -> None:
    """Run ``command`` (a CLI entry point that ends with ``SystemExit``) so that Ctrl-C ends
    the process within about a second, exit code 130; other outcomes pass through."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            command()
            box["code"] = 0
        except SystemExit as e:
            box["code"] = e.code
        except BaseException as e:  # re-raised in the main thread
            box["error"] = e

    worker = threading.Thread(target=target, name="placement-command", daemon=True)
    _ACTIVE.set()
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        _interrupted()
    if "error" in box:
        if isinstance(box["error"], KeyboardInterrupt):
            _interrupted()
        raise box["error"]
    sys.exit(box.get("code", 0))
