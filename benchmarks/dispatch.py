"""Where a benchmark run happens: one timed child process, started by whichever process the
executor seam (:mod:`placement.util.executor`) hands the run to.

Every (instance, backend, repeat) is one task, :func:`timed_run`. Wherever the task runs (in
the ``placement bench`` process, on a local worker process with ``--workers N``, or on a Dask
worker with ``--scheduler``), it starts ``python -m benchmarks.worker`` on that machine and
times it there, so each run still gets a fresh process, its own peak memory (``ru_maxrss`` of
that process tree) and a hard kill if it overstays. The row records which host and process
started it (``worker``).

Honest timing: the wall clock is read around the child alone, not around the scheduling, so a
run's seconds do not include queueing. But runs that share a machine share its cores, memory
bandwidth and caches: timings from ``--workers N > 1``, or from a shared cluster whose workers
differ, are not comparable with each other or with a serial run. Use the seam for coverage
(statuses, objectives, checks), and a serial run on one quiet machine for timings.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["hard_limit", "run_child", "timed_run", "worker_label"]


def hard_limit(time_limit: float | None) -> float:
    """Seconds after which a worker is killed: generous, the solver's own limit comes first
    (translation to PuLP or CP-SAT at 10^6 variables takes a while outside the solver)."""
    return 3 * (time_limit or 600.0) + 300.0


def worker_label() -> str:
    """The host and process that start this run's child: a Dask worker's address when the run
    is a Dask task, else ``host pid N``."""
    if "distributed" in sys.modules:
        try:
            from distributed import get_worker

            return f"dask {get_worker().address} on {socket.gethostname()}"
        except ValueError:  # not inside a Dask task
            pass
    return f"{socket.gethostname()} pid {os.getpid()}"


def timed_run(root: str, req: dict[str, Any]) -> tuple[dict[str, Any], float, float, str]:
    """The executor task: (result, wall seconds, peak RSS in MB, worker) of one run."""
    res, wall, peak = run_child(req, Path(root))
    return res, wall, peak, worker_label()


def run_child(req: dict[str, Any], root: Path) -> tuple[dict[str, Any], float, float]:
    """(result, wall seconds, peak RSS in MB) of one worker process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errf:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.worker"], stdin=subprocess.PIPE,
                                stdout=out, stderr=errf, cwd=str(root), env=env,
                                start_new_session=True)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(req).encode())
        proc.stdin.close()
        deadline = t0 + hard_limit(req.get("time_limit"))
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid != 0:
                break
            if time.perf_counter() > deadline and not killed:
                os.killpg(proc.pid, signal.SIGKILL)  # the worker and any solver it started
                killed = True
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        peak_mb = usage.ru_maxrss / 1024.0  # kilobytes on Linux
        out.seek(0)
        lines = [ln for ln in out.read().decode(errors="replace").splitlines() if ln.strip()]
        result: dict[str, Any] | None = None
        if lines:
            try:
                result = json.loads(lines[-1])
            except json.JSONDecodeError:
                result = None
        if result is None:
            errf.seek(0)
            tail = errf.read().decode(errors="replace").strip().splitlines()[-3:]
            why = ("killed after the hard limit of "
                   f"{hard_limit(req.get('time_limit')):.0f} s" if killed
                   else f"worker exited with code {proc.returncode}")
            result = {"status": "error", "error": f"{why}: {' | '.join(tail)}"[:500]}
    # the 1-minute load average of the machine the run was on, as it ended (a shared machine)
    result["load1"] = round(os.getloadavg()[0], 2)
    return result, wall, peak_mb
