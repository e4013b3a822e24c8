"""Writing files so that no partial file is ever left behind: a temporary file in the same
directory, then an atomic rename.

Every temporary path in use is recorded in :data:`PENDING`, so that an interrupted command
(:mod:`placement.util.interrupt`) can remove them before it exits. Once the interrupt has
begun (:func:`close_pending`), no temporary path is made and no result is moved into place:
the thread that tries gets ``KeyboardInterrupt`` (a solve still running could otherwise start
CBC in a new temporary directory, or finish its result file, in the moment before the process
ends).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PENDING", "atomic_path", "close_pending", "pending", "remove_pending",
           "temporary_directory", "write_bytes_atomic", "write_text_atomic"]

#: Temporary files and directories being written now (removed on an interrupt).
PENDING: set[Path] = set()
_LOCK = threading.Lock()
_CLOSED = threading.Event()


def pending(make: Callable[[], Path]) -> Path:
    """The temporary path ``make`` creates, recorded in :data:`PENDING` in the same step
    (``KeyboardInterrupt`` once :func:`close_pending` has run: the process is ending)."""
    with _LOCK:
        if _CLOSED.is_set():
            raise KeyboardInterrupt
        path = make()
        PENDING.add(path)
        return path


def close_pending() -> None:
    """No temporary path is made, and no result moved into place, from now on (an interrupt
    is ending the process)."""
    with _LOCK:
        _CLOSED.set()


def _replace(src: Path, dst: Path) -> None:
    """``os.replace``, refused once :func:`close_pending` has run."""
    with _LOCK:
        if _CLOSED.is_set():
            raise KeyboardInterrupt
        os.replace(src, dst)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


@contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; moved onto ``path`` when the block ends
    without an error, removed otherwise. The file gets the permissions a plain ``open`` would
    give it (``mkstemp`` makes 0600)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")

    def make() -> Path:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=parent)
        os.close(fd)
        return Path(name)

    tmp = pending(make)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        _replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        PENDING.discard(tmp)


@contextmanager
def temporary_directory(prefix: str) -> Iterator[str]:
    """A private temporary directory, removed afterwards (and on an interrupt)."""
    tmp = pending(lambda: Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        yield str(tmp)
    finally:
        _remove(tmp)
        PENDING.discard(tmp)


def remove_pending() -> None:
    """Remove every temporary path still being written (an interrupted command's)."""
    for p in list(PENDING):
        _remove(p)
        PENDING.discard(p)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (see :func:`write_bytes_atomic`)."""
    return write_bytes_atomic(path, text.encode("utf-8"))
