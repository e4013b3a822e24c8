"""Keep what native solver code prints off the process's standard output.

HiGHS 1.12 prints a debug line (``HighsMipSolverData::transformNewIntegerFeasibleSolution
tmpSolver.run();``) straight to the C ``stdout`` on some MIP solves, whatever its
``output_flag`` says (dozens of lines on a 5,000 x 5 synthetic instance): JSON or CSV that
``placement`` writes to standard output must not carry it. The HiGHS backend runs every solve
inside :func:`native_stdout_silenced` unless the user asked for the solver's log.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

__all__ = ["native_stdout_silenced"]


_LOCK = threading.Lock()
_DEPTH = 0  # solves inside the guard now, in any thread
_SAVED: int | None = None  # the real file descriptor 1 while any is


@contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Send what native code prints to standard output to ``/dev/null`` meanwhile.

    HiGHS 1.12 prints a debug line (``HighsMipSolverData::transformNewIntegerFeasibleSolution
    tmpSolver.run();``) straight to the C ``stdout`` on some MIP solves, whatever its
    ``output_flag`` says; JSON or CSV written to standard output must not carry it. Python's
    own ``sys.stdout`` is flushed first and left alone.

    Safe across threads: file descriptor 1 belongs to the process, so the first solve in
    redirects it and the last one out restores it (two solves each saving and restoring it
    could leave standard output on ``/dev/null`` for good).
    """
    global _DEPTH, _SAVED
    with _LOCK:
        if _DEPTH == 0:
            with suppress(AttributeError, ValueError, OSError):
                sys.stdout.flush()
            try:
                saved = os.dup(1)
            except OSError:  # no file descriptor 1 at all: nothing to protect
                saved = None
            if saved is not None:
                devnull = os.open(os.devnull, os.O_WRONLY)
                try:
                    os.dup2(devnull, 1)
                finally:
                    os.close(devnull)
            _SAVED = saved
        _DEPTH += 1
    try:
        yield
    finally:
        with _LOCK:
            _DEPTH -= 1
            if _DEPTH == 0 and _SAVED is not None:
                libc = _libc()
                if libc is not None:
                    libc.fflush(None)  # what native code buffered goes to /dev/null
                os.dup2(_SAVED, 1)
                os.close(_SAVED)
                _SAVED = None


@functools.cache
def _libc() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None)
    except (OSError, AttributeError):
        return None
