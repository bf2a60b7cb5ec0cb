"""What the cross-process request slots cost: Shoptet client requests/s against the sandbox with
the token's slots in the hub database (runner/shoptet/slots.py: two short statements per request)
and with the in-process semaphore only.

Set-up: a sandbox Shoptet in this process (real HTTP on localhost, its leaky bucket made large
enough not to pace, each answer delayed by `latency_ms` when given), one ShoptetClient per run,
`threads` threads sending `requests` GET /api/eshop in all. The two variants alternate `rounds`
times; the best round of each is reported (the machine is shared: the best is the least
disturbed). Run with `hub bench client`.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.stats import record
from runner.config import Config
from runner.db import target_for

SHOP = 990201


def _one_round(base_url: str, token: str, conninfo: str | None, requests: int, threads: int) -> float:
    """Requests per second of one client sending `requests` GETs from `threads` threads."""
    from runner.shoptet.auth import PrivateToken
    from runner.shoptet.client import ShoptetClient
    from runner.shoptet.slots import TokenSlots

    credentials = PrivateToken(token, shop_id=SHOP)
    slots = TokenSlots(credentials.key, conninfo=conninfo)
    with ShoptetClient(base_url, credentials, shop_id=SHOP, slots=slots) as client:
        client.get("/api/eshop")  # connections open (HTTP keep-alive, the slots' session)
        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda _: client.get("/api/eshop"), range(requests)))
        elapsed = time.perf_counter() - started
        if client.stats.rate_limited:
            raise RuntimeError(f"{client.stats.rate_limited} requests were refused (429): the figures would lie")
    return requests / elapsed


def measure(
    cfg: Config, *, requests: int = 400, threads: int = 3, rounds: int = 3, latency_ms: int = 0
) -> dict[str, Any]:
    from runner.sandbox import Sandbox

    conninfo = target_for(cfg).conninfo("app")
    with tempfile.TemporaryDirectory(prefix="hub-client-bench-") as data_dir:
        sandbox = Sandbox(scale=0.0001, seed=1, shops=(SHOP,), data_dir=data_dir, bucket_size=1_000_000)
        with sandbox.run_in_thread() as base_url:
            token = sandbox.private_token(SHOP)
            sandbox.set_faults(slow_ms=latency_ms)
            local: list[float] = []
            shared: list[float] = []
            for _ in range(rounds):
                local.append(_one_round(base_url, token, None, requests, threads))
                shared.append(_one_round(base_url, token, conninfo, requests, threads))
            peak = sandbox.concurrency(token)
    return {
        "local": max(local),
        "shared": max(shared),
        "peak": peak["peak"],
        "refused": peak["refused"],
        "requests": requests,
        "threads": threads,
        "rounds": rounds,
        "latency_ms": latency_ms,
    }


def run(
    cfg: Config,
    *,
    requests: int = 400,
    threads: int = 3,
    rounds: int = 3,
    latency_ms: int = 0,
    record_results: bool = True,
) -> int:
    r = measure(cfg, requests=requests, threads=threads, rounds=rounds, latency_ms=latency_ms)
    # each thread sends one request after the other: its latency is threads / throughput
    per_request_ms = (1 / r["shared"] - 1 / r["local"]) * 1000 * threads
    lines = [
        "| client | requests/s (best of rounds) |",
        "|---|---|",
        f"| in-process semaphore only | {r['local']:,.0f} |",
        f"| slots in the hub database (across processes) | {r['shared']:,.0f} |",
        f"| cost | {1 - r['shared'] / r['local']:.1%} fewer requests/s, "
        f"{per_request_ms:.2f} ms more per request (a thread's latency) |",
        f"| most in flight at the sandbox / refused | {r['peak']} / {r['refused']} |",
    ]
    print("\n".join(lines))
    if record_results:
        record(
            "Shoptet client slots",
            f"hub bench client --requests {requests} --threads {threads} --rounds {rounds} --latency-ms {latency_ms}",
            lines,
        )
    return 0 if r["refused"] == 0 else 1
