"""HiGHS's process-wide thread pool, sized once for every HiGHS model the package runs.

HiGHS keeps one pool of worker threads per process, sized by the first model it runs; a model
asking for another ``threads`` count afterwards fails (status "Not Set", no error raised)
unless the pool is reset first. Every place that runs HiGHS (the backend, sifting's LPs, the
search over several rows' prices) calls :func:`size_thread_pool` before it does: a cutting-
plane LP on one thread ahead of a two-thread solve made ``placement.solve(..., threads=2)``
fail at once in a fresh process (OR-Library d10100, with its ten capacity rows).
"""

from __future__ import annotations

__all__ = ["size_thread_pool"]

_pool_threads: list[int] = []  # the thread count the pool was last sized for


def size_thread_pool(threads: int) -> None:
    """Make HiGHS's pool right for a model with ``threads`` (0: HiGHS's default), resetting
    it when it was sized for another count."""
    if _pool_threads and _pool_threads[0] != threads:
        import highspy

        highspy.Highs.resetGlobalScheduler(True)
    _pool_threads[:] = [threads]
