"""A real uvicorn server in a thread on a free loopback port, for the load and browser tests."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx


@contextlib.contextmanager
def running(path: str, cache_size: int = 32) -> Iterator[str]:
    """Serve the instance at ``path``; yields the base URL, stops the server afterwards."""
    import uvicorn

    import placement
    from placement.serve.app import create_app
    from placement.serve.workspace import Workspace

    ws = Workspace(placement.load(path), path, cache_size=cache_size)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(ws), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the server for {path} did not start")
        time.sleep(0.02)
    try:
        with httpx.Client(trust_env=False) as c:
            assert c.get(f"{url}/api/health").status_code == 200
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
