"""One seam for every set of independent solves: in this process, on local worker processes,
or on a Dask cluster, with the same tasks and the same answers.

A job is a module-level function ``task(shared, item)`` applied to every item of a list, with
one large read-only ``shared`` object (the instance, usually) that every task needs.
:meth:`Executor.run` yields ``(index, result)`` pairs in the order the tasks finish; callers
put results back by index, so the answer does not depend on that order. ``shared`` travels to
each worker once, not once per task: local processes receive it in their initialiser; on Dask
it is scattered to every worker (``broadcast=True``) and tasks refer to it by key. Items are
sent in runs (:func:`chunks`), so scheduling costs per run rather than per item. A task
that wants to keep something between calls on one worker (a built model, a loaded solver
session) asks :func:`per_worker` for it.

Dask is imported only when a scheduler address (or a ``LocalCluster``) is given; on a cluster
every task may be retried when its worker dies (``retries``), and the caller keys results by
index, so a lost worker loses no item and duplicates none.

>>> list(SerialExecutor().run(_square_plus, 10, [1, 2, 3]))
[(0, 11), (1, 14), (2, 19)]
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol

__all__ = ["DaskExecutor", "Executor", "ProcessExecutor", "SerialExecutor", "chunks",
           "executor_for", "per_worker", "SCHEDULER_ENV"]

#: The environment variable Dask itself reads for a scheduler address.
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"

Task = Callable[[Any, Any], Any]


class Executor(Protocol):
    """Where a job's tasks run."""

    @property
    def workers(self) -> int: ...

    label: str

    def run(self, task: Task, shared: Any, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        ...


def _square_plus(shared: int, item: int) -> int:  # the doctest's task
    return item * item + shared


# -- what a worker keeps between tasks ------------------------------------------------------

_KEPT: dict[tuple[int, str], tuple[Any, Any]] = {}


def per_worker(shared: Any, name: str, make: Callable[[], Any]) -> Any:
    """``make()`` once per worker process and ``shared`` object, then the same value again.

    The cache holds ``shared`` itself beside the value, so its ``id`` stays unique while the
    entry lives; it keeps the last four entries.
    """
    key = (id(shared), name)
    hit = _KEPT.get(key)
    if hit is not None and hit[0] is shared:
        return hit[1]
    value = make()
    while len(_KEPT) >= 4:
        _KEPT.pop(next(iter(_KEPT)))
    _KEPT[key] = (shared, value)
    return value


def chunks(n: int, workers: int, size: int | None = None) -> list[range]:
    """Indices ``0..n-1`` cut into runs of ``size`` (default: about eight per worker, at most
    64 items each): one submission per run, so scheduling costs per run, not per item."""
    k = size or max(1, min(64, -(-n // (8 * max(1, workers)))))
    return [range(a, min(n, a + k)) for a in range(0, n, k)]


def _run_chunk(task: Task, shared: Any, items: Sequence[Any], idx: range
               ) -> list[tuple[int, Any]]:
    return [(i, task(shared, items[j])) for j, i in enumerate(idx)]


# -- in this process ------------------------------------------------------------------------

class SerialExecutor:
    """Every task in this process, in order (the default)."""

    workers = 1
    label = "this process"

    def run(self, task: Task, shared: Any, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for i, item in enumerate(items):
            yield i, task(shared, item)


# -- local worker processes -----------------------------------------------------------------

_SHARED: Any = None


def _set_shared(shared: Any) -> None:
    global _SHARED
    _SHARED = shared


def _call_local(task: Task, items: Sequence[Any], idx: range) -> list[tuple[int, Any]]:
    return _run_chunk(task, _SHARED, items, idx)


class ProcessExecutor:
    """Tasks on ``workers`` local processes (``spawn``: HiGHS's thread pool does not survive
    ``fork``); ``shared`` is pickled once per process, by the pool's initialiser."""

    label = "local processes"

    def __init__(self, workers: int) -> None:
        self.workers = int(workers)

    def run(self, task: Task, shared: Any, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        used = max(1, min(self.workers, len(items)))
        with ProcessPoolExecutor(max_workers=used,
                                 mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_set_shared, initargs=(shared,)) as pool:
            futures = [pool.submit(_call_local, task, [items[i] for i in r], r)
                       for r in chunks(len(items), used)]
            try:
                for fut in as_completed(futures):
                    yield from fut.result()
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                raise


# -- a Dask cluster -------------------------------------------------------------------------

def _call_dask(task: Task, shared: Any, items: Sequence[Any], idx: range
               ) -> list[tuple[int, Any]]:
    return _run_chunk(task, shared, items, idx)


class DaskExecutor:
    """Tasks on a ``dask.distributed`` cluster: ``address`` (``tcp://host:8786``) or an
    existing ``Client`` or ``LocalCluster``. Each task may be retried ``retries`` times when
    its worker dies."""

    label = "Dask"

    def __init__(self, address: Any, retries: int = 3) -> None:
        from distributed import Client, LocalCluster

        if isinstance(address, Client):
            self.client, self._own = address, False
        elif isinstance(address, LocalCluster):
            self.client, self._own = Client(address), True
        else:
            self.client, self._own = Client(str(address), timeout="20s"), True
        self.retries = int(retries)
        self.label = f"Dask at {self.client.scheduler.address}"

    @property
    def workers(self) -> int:
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def run(self, task: Task, shared: Any, items: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        from distributed import as_completed as dask_completed

        token = uuid.uuid4().hex[:12]
        scattered = self.client.scatter(shared, broadcast=True, hash=False)
        futures = [self.client.submit(_call_dask, task, scattered, [items[i] for i in r], r,
                                      pure=False, retries=self.retries,
                                      key=f"placement-{token}-{r.start}")
                   for r in chunks(len(items), self.workers)]
        try:
            for fut in dask_completed(futures):
                yield from fut.result()
        finally:
            self.client.cancel(futures)

    def close(self) -> None:
        if self._own:
            self.client.close()


def executor_for(scheduler: Any = None, workers: int = 1) -> Executor:
    """The executor the options ask for: a Dask scheduler (``scheduler``, else the
    ``DASK_SCHEDULER_ADDRESS`` environment variable), else ``workers`` local processes, else
    this process."""
    scheduler = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV) or None
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if int(workers) > 1:
        return ProcessExecutor(int(workers))
    return SerialExecutor()
