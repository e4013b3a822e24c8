"""Ctrl-C during a solve: every backend's command ends within about a second, exit 130, with no
partial output file, no temporary file or directory and no child process left behind.

The solver holds the process for up to its time limit (120 s here); placement.util.interrupt
runs the command in a worker thread so that the main thread can end the process at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from placement.io.instance_writer import write_instance
from placement.io.synthetic import generate
from placement.milp.forest import MAX_DEPTH
from placement.model import Link
from placement.util.interrupt import _children
from tests.conftest import BACKENDS, ROOT


@pytest.fixture(scope="module")
def slow_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # 20,000 x 5 with a tight budget and a chain of links deeper than the forest's levels
    # (MAX_DEPTH): no backend proves it within a minute (links forming a forest, or closing
    # a few cycles, would be proven in seconds, through the bound that keeps them:
    # placement.milp.link_forest)
    out = tmp_path_factory.mktemp("interrupt") / "slow"
    inst = generate(20_000, 5, seed=0, budget_tightness=0.9, link_density=0.1)
    ids = inst.function_ids
    chain = tuple(Link(f"chain{i}", "together", ids[i], ids[i + 1], penalty=1.0)
                  for i in range(MAX_DEPTH + 1))
    write_instance(inst.replace(links=inst.links + chain), out)
    return out


@pytest.mark.parametrize("solver", BACKENDS)
def test_ctrl_c_ends_a_solve_within_a_second(solver: str, slow_instance: Path,
                                             tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    private_tmp = tmp_path / "tmp"  # CBC's temporary directory goes here, and nobody else's
    private_tmp.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "placement.cli", "solve", str(slow_instance), "--solver", solver,
         "--time-limit", "120", "--threads", "1", "-f", "json", "--output", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(private_tmp)},
        # a shell runs background jobs with SIGINT ignored; a terminal's Ctrl-C is not
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        time.sleep(4)  # loaded, built, and (on most machines) inside the solver
        assert proc.poll() is None, proc.communicate()
        kids = _children(proc.pid)
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert elapsed < 2.0, f"{solver} took {elapsed:.1f} s to stop"
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == [private_tmp]  # neither the result nor a temporary file
    assert list(private_tmp.iterdir()) == []  # CBC's directory removed too
    for k in kids:  # CBC's process ends with ours
        assert not Path(f"/proc/{k}").exists() or "Z" in Path(f"/proc/{k}/stat").read_text()


def test_children_lists_descendants() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert proc.pid in _children(os.getpid())
    finally:
        proc.kill()
        proc.wait()


def test_once_an_interrupt_has_begun_no_temporary_path_is_made_or_moved_into_place(
        tmp_path: Path) -> None:
    """The race behind a directory CBC's run left after Ctrl-C: the command, still running in
    its thread, made a new temporary directory after the interrupt had removed the pending
    ones. After :func:`close_pending` it cannot, nor finish a result file."""
    import tempfile

    from placement.util import files

    target = tmp_path / "result.json"
    before = set(Path(tempfile.gettempdir()).glob("placement-test-*"))
    try:
        with files.atomic_path(target) as tmp:
            tmp.write_text("{}")
            files.close_pending()
        raise AssertionError("the result was moved into place")  # pragma: no cover
    except KeyboardInterrupt:
        pass
    try:
        with pytest.raises(KeyboardInterrupt), files.temporary_directory("placement-test-"):
            pass  # pragma: no cover
        with pytest.raises(KeyboardInterrupt):
            files.write_text_atomic(tmp_path / "other.txt", "x")
    finally:
        files._CLOSED.clear()  # this test's process goes on
    assert not target.exists() and list(tmp_path.iterdir()) == []
    assert set(Path(tempfile.gettempdir()).glob("placement-test-*")) == before
    with files.temporary_directory("placement-test-") as d:  # open again
        assert Path(d).is_dir()
    files.write_text_atomic(target, "{}")
    assert target.read_text() == "{}"
