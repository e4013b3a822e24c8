"""``placement serve``: prints its address, serves, stops on Ctrl-C (exit 130); a port it
cannot listen on is exit 2 with the option named."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "placement.cli", "serve", *args], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serves_and_stops_on_ctrl_c() -> None:
    proc = _cli("instances/tiny-budget", "--port", "0")
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert "tiny-budget at http://127.0.0.1:" in line, line
        url = line.split(" at ")[1].split()[0]
        with httpx.Client(trust_env=False, timeout=30) as c:
            for _ in range(100):
                try:
                    got = c.post(url + "api/solve", json={"weights": {"scale": 2}})
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            assert got.status_code == 200 and got.json()["status"] == "optimal"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_port_in_use_is_exit_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = _cli("instances/tiny-budget", "--port", str(port))
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert f"--port {port}: cannot listen there" in err and "Traceback" not in err
