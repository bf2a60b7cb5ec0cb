"""`hub serve` / `hub worker` as child processes: free ports, health waits, clean stops.

Shared by the benchmarks that drive the web app and by the tests that do the same.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Wait until `hub serve` at base answers /healthz with 200; RuntimeError with the reason."""
    deadline = time.monotonic() + timeout
    health = "no answer"
    while True:
        try:
            answer = httpx.get(f"{base}/healthz", timeout=2)
            if answer.status_code == 200:
                return
            health = answer.text
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"hub serve did not come up: /healthz: {health} (run `hub db migrate`?)")
        time.sleep(0.1)


def stop(procs: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """SIGTERM every process still running, then wait; kill what does not end in time."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
