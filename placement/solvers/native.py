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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

__all__ = ["native_stdout_silenced"]


@contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Send what native code prints to standard output to ``/dev/null`` meanwhile.

    HiGHS 1.12 prints a debug line (``HighsMipSolverData::transformNewIntegerFeasibleSolution
    tmpSolver.run();``) straight to the C ``stdout`` on some MIP solves, whatever its
    ``output_flag`` says; JSON or CSV written to standard output must not carry it. Python's
    own ``sys.stdout`` is flushed first and left alone.
    """
    with suppress(AttributeError, ValueError, OSError):
        sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1 at all: nothing to protect
        yield
        return
    libc = _libc()
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, 1)
        finally:
            os.close(devnull)
        yield
    finally:
        if libc is not None:
            libc.fflush(None)  # what native code buffered goes to /dev/null, not later to 1
        os.dup2(saved, 1)
        os.close(saved)


@functools.cache
def _libc() -> Any:
    try:
        import ctypes

        return ctypes.CDLL(None)
    except (OSError, AttributeError):
        return None
