"""Webhook endpoint benchmark: signed Shoptet events against `hub serve` on localhost.

The load generator is plain asyncio streams speaking HTTP/1.1 over keep-alive connections,
split over a few processes (an HTTP client library cost more CPU than the server itself).
Every event is distinct (its own eventInstance), so each one is a real insert into
ingest.webhook_events plus its order code in ingest.webhook_pending (the shop's one drain job
is deferred or reused). After the run the rows of this run are counted: every 200 must be a
committed row. The bench shop's events and jobs are deleted afterwards.

Run with `make bench` or `hub bench webhooks [--events N] [--connections C] [--server-workers W]`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

from bench.processes import free_port, stop, wait_healthy
from bench.stats import fmt_seconds, record, summary
from runner.config import Config
from runner.db import connect, target_for
from runner.secret_key import load_secret_key

BENCH_SHOP = 990001
HUB = str(Path(sys.executable).with_name("hub"))


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One HTTP/1.1 request on a kept-alive connection; the response status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


def _generator(
    port: int,
    key: str,
    run_id: str,
    part: int,
    events: int,
    connections: int,
    out: multiprocessing.Queue[tuple[list[float], int, int]],
) -> None:
    """One generator process: `events` signed deliveries over `connections` keep-alive connections.
    Raw asyncio streams, not an HTTP client library: the generator shares the 2 cores with the
    server and PostgreSQL, and httpx alone used more CPU per request than the server."""

    async def main() -> tuple[list[float], int, int]:
        latencies: list[float] = []
        ok = failed = 0
        counter = iter(range(events))

        async def conn_loop() -> None:
            nonlocal ok, failed
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                for i in counter:
                    body = json.dumps(
                        {
                            "eshopId": BENCH_SHOP,
                            "event": "order:update",
                            "eventCreated": "2026-01-08T15:13:39+0100",
                            "eventInstance": f"{run_id}-{part}-{i}",
                        },
                        separators=(",", ":"),
                    ).encode()
                    sig = hmac.new(key.encode(), body, hashlib.sha1).hexdigest()
                    request = (
                        f"POST /webhooks/shoptet HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                        f"Content-Type: application/json\r\nShoptet-Webhook-Signature: {sig}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode() + body
                    t0 = time.perf_counter()
                    try:
                        status = await _post(reader, writer, request)
                    except (OSError, asyncio.IncompleteReadError, ValueError):
                        status = 0
                        writer.close()
                        reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    latencies.append(time.perf_counter() - t0)
                    if status == 200:
                        ok += 1
                    else:
                        failed += 1
            finally:
                writer.close()

        await asyncio.gather(*(conn_loop() for _ in range(connections)))
        return latencies, ok, failed

    out.put(asyncio.run(main()))


def run(
    cfg: Config,
    *,
    events: int = 20000,
    connections: int = 8,
    generator_procs: int = 1,
    server_workers: int = 1,
    busy_workers: int = 0,
    record_results: bool = True,
) -> int:
    target = target_for(cfg)
    key = secrets.token_hex(16)
    secret_key = load_secret_key(cfg)
    with connect(target, "admin", autocommit=True) as conn:
        conn.execute(
            "insert into core.shops (shop_id, name) values (%s, 'webhook benchmark') on conflict (shop_id) do nothing",
            (BENCH_SHOP,),
        )
        conn.execute(
            "select core.setting_set_secret('shoptet.signature_key', %s, %s, %s)", (key, BENCH_SHOP, secret_key)
        )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HUB_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([HUB, "serve", "--port", str(port), "--workers", str(server_workers)], env=env)
    run_id = secrets.token_hex(4)
    # `hub worker` processes working the queue meanwhile: the endpoint must not wait for them
    workers = [
        subprocess.Popen([HUB, "worker", "--concurrency", "4", "--polling-interval", "0.5"], env=env)
        for _ in range(busy_workers)
    ]
    try:
        wait_healthy(base, server)
        ctx = multiprocessing.get_context("spawn")
        out: multiprocessing.Queue[tuple[list[float], int, int]] = ctx.Queue()
        share = events // generator_procs
        per_conn = max(1, connections // generator_procs)
        started = time.perf_counter()
        procs = [
            ctx.Process(target=_generator, args=(port, key, run_id, p, share, per_conn, out))
            for p in range(generator_procs)
        ]
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        elapsed = time.perf_counter() - started
        for p in procs:
            p.join()
    finally:
        stop(workers)
        stop([server])
    latencies = [x for r in results for x in r[0]]
    ok = sum(r[1] for r in results)
    failed = sum(r[2] for r in results)
    with connect(target, "admin", autocommit=True) as conn:
        row = conn.execute(
            "select count(*) from ingest.webhook_events where shop_id = %s and event_instance like %s",
            (BENCH_SHOP, f"{run_id}-%"),
        ).fetchone()
        stored = int(row[0]) if row else 0
        conn.execute("set search_path = procrastinate, public")  # its delete trigger needs it
        conn.execute(
            "delete from procrastinate.procrastinate_jobs where lock = %s or queueing_lock = %s",
            (f"shop:{BENCH_SHOP}:orders", f"webhooks:{BENCH_SHOP}:orders"),
        )
        conn.execute("delete from ingest.webhook_drains where shop_id = %s", (BENCH_SHOP,))
        conn.execute("delete from ingest.webhook_pending where shop_id = %s", (BENCH_SHOP,))
        conn.execute("delete from ingest.webhook_events where shop_id = %s", (BENCH_SHOP,))
        conn.execute(
            "delete from procrastinate.procrastinate_jobs where status <> 'doing' and task_name like 'schedule_%%'"
        )
    stats = summary(latencies)
    rate = ok / elapsed
    print(
        f"webhooks: {ok} accepted, {failed} not, in {elapsed:.2f} s = {rate:.0f} accepted events/s; "
        f"latency p50 {fmt_seconds(stats['p50'])} p95 {fmt_seconds(stats['p95'])} p99 {fmt_seconds(stats['p99'])}; "
        f"committed rows {stored} (must equal accepted)"
    )
    if record_results:
        record(
            "Webhook endpoint (POST /webhooks/shoptet)",
            f"hub bench webhooks --events {events} --connections {connections} --generator-procs {generator_procs} "
            f"--server-workers {server_workers}" + (f" --busy-workers {busy_workers}" if busy_workers else ""),
            [
                "Load generator: bench/webhook_bench.py (raw asyncio HTTP/1.1, keep-alive, "
                f"{generator_procs} processes, {connections} connections in all), on the same 2-core machine as "
                "`hub serve` and PostgreSQL (shared with other developers: pessimistic). Distinct signed "
                "order:update events: each is an insert, its key in ingest.webhook_pending and the shop's "
                "drain job (one, reused), committed before the 200."
                + (
                    f" {busy_workers} `hub worker` processes (concurrency 4) worked the queue during the load "
                    "(without the Shoptet client their fetch jobs fail and are retried with backoff)."
                    if busy_workers
                    else ""
                ),
                "",
                "| events | accepted | not accepted | seconds | accepted/s | p50 | p95 | p99 | rows committed |",
                "|---|---|---|---|---|---|---|---|---|",
                f"| {events} | {ok} | {failed} | {elapsed:.2f} | {rate:.0f} | {fmt_seconds(stats['p50'])} | "
                f"{fmt_seconds(stats['p95'])} | {fmt_seconds(stats['p99'])} | {stored} |",
            ],
        )
    return 0 if stored == ok and failed == 0 else 1
