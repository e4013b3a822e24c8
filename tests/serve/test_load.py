"""A bounded load test on loopback: 160 concurrent solves, each with its own weights, against
a real uvicorn server; every answer is the library's for those weights (nothing lost, nothing
mixed up), and the latency percentiles are reported."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402

import placement  # noqa: E402
from tests.serve.server import running  # noqa: E402

N = 160
INSTANCES = ["instances/tiny-budget", "instances/tiny-cap"]


def _weights(i: int) -> dict[str, float]:
    return {"scale": round(0.2 + 0.025 * i, 3)}


async def _fire(url: str, n: int) -> list[tuple[int, float, dict]]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=url, trust_env=False, limits=limits,
                                 timeout=120) as c:
        async def one(i: int) -> tuple[int, float, dict]:
            t0 = time.perf_counter()
            r = await c.post("/api/solve", json={"weights": _weights(i)})
            assert r.status_code == 200, r.text
            return i, time.perf_counter() - t0, r.json()

        return await asyncio.gather(*(one(i) for i in range(n)))


@pytest.mark.parametrize("path", INSTANCES)
def test_concurrent_solves(path: str, record_property: pytest.RecordProperty) -> None:
    inst = placement.load(path)
    assert {c.id for c in inst.model.criteria} >= {"scale"}
    with running(path, cache_size=0) as url:
        t0 = time.perf_counter()
        # a thread of its own: a session's browser may hold an event loop in this one
        with ThreadPoolExecutor(1) as pool:
            answers = pool.submit(lambda: asyncio.run(_fire(url, N))).result()
        wall = time.perf_counter() - t0
    assert sorted(i for i, _, _ in answers) == list(range(N))  # nothing lost
    for i, _, got in answers:  # nothing mixed up: each answer is its own request's
        lib = placement.solve(placement.apply_overrides(inst, _weights(i)), time_limit=60)
        assert got["overrides"]["weights"] == _weights(i)
        assert {p["function"]: p["tier"] for p in got["placements"]} == lib.tiers.to_dict()
        assert got["objective"] == pytest.approx(lib.objective)
    lat = np.array([s for _, s, _ in answers]) * 1000
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    stats = {"requests": N, "wall_s": round(wall, 2), "per_s": round(N / wall, 1),
             "p50_ms": round(p50, 1),
             "p95_ms": round(p95, 1), "p99_ms": round(p99, 1), "max_ms": round(lat.max(), 1)}
    record_property("latency", json.dumps(stats))
    print(f"\n{path}: {json.dumps(stats)}")
    assert len({json.dumps(a[2]["placements"]) for a in answers}) > 1  # the weights mattered
