"""A solver process that overruns its time limit is stopped.

CBC runs as a child process and checks its ``-sec`` limit only between phases: on 50,000 x 5
(250,000 binaries) its root LP alone ran for 77 s against a 3.7 s limit
(benchmarks/results/anytime/). :func:`overrun_guard` stops such a child, found by a marker in
its command line (the solve's own temporary directory), once the limit and a grace period have
passed; the backend then reports the time limit with no placement of its own, and a
time-limited solve answers with its constructed placement (:mod:`placement.solution.anytime`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from placement.util.interrupt import descendants

__all__ = ["Overrun", "overrun_guard", "grace_seconds"]


def grace_seconds(limit: float) -> float:
    """How long past its limit a solver may run before it is stopped: a second, and a tenth
    of the limit, for writing its solution."""
    return 1.0 + 0.1 * limit


@dataclass
class Overrun:
    """Whether the guard fired."""

    fired: bool = False


def _stop_marked(marker: str, flag: Overrun) -> None:
    for pid in descendants(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                flag.fired = True


#: How often the guard looks again for a marked process that was not running yet (PuLP writes
#: the model file before it starts CBC, which on 100,000 columns can outlast a short limit).
POLL_SECONDS = 0.05


def _watch(marker: str, seconds: float, flag: Overrun, done: threading.Event) -> None:
    if done.wait(max(seconds, 0.0)):
        return
    while not flag.fired:
        _stop_marked(marker, flag)
        if done.wait(POLL_SECONDS):
            return


@contextlib.contextmanager
def overrun_guard(marker: str, seconds: float | None) -> Iterator[Overrun]:
    """Within the block, kill this process's descendants whose command line holds ``marker``
    once ``seconds`` have passed, and any that start later while the block runs (no guard for
    ``None``)."""
    flag = Overrun()
    if seconds is None:
        yield flag
        return
    done = threading.Event()
    watcher = threading.Thread(target=_watch, args=(marker, seconds, flag, done), daemon=True)
    watcher.start()
    try:
        yield flag
    finally:
        done.set()
        watcher.join()
