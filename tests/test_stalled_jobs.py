"""Stalled-job recovery (ops.recover_stalled_jobs via the workers' retry_stalled_jobs).

A worker that dies mid-job leaves its job `doing`. When a webhook of the same shop's orders arrives
meanwhile, a second drain job with the same queueing_lock waits; putting the dead one back would
violate procrastinate's unique index (procrastinate issue #1446). The recovery ends such a job
(cancelled, with its reason in ops.job_recoveries) so the waiting one runs, and handles every
stalled job on its own. A drain killed mid-batch that is still the shop's open drain keeps the
webhooks that came meanwhile: it is put back and drains them when it runs again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from bench.processes import free_port, wait_healthy
from runner import tasks
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.shoptet.client import format_datetime
from runner.shoptet.shops import add_shop
from sandbox_helpers import HUB, SHOP

pytestmark = pytest.mark.sandbox(scale=0.0002, seed=5, job_seconds=0.5, webhook_retry_delay=0.2)


def recover(db: Target, seconds: float = 1) -> dict[str, int]:
    """One run of the recovery the workers run every minute, with a short heartbeat timeout."""
    bound = tasks.configure(db)

    async def run() -> dict[str, int]:
        async with bound.open_async():
            return await tasks.recover_stalled_jobs(bound, seconds_since_heartbeat=seconds)

    return asyncio.run(run())


def wait_for(admin: psycopg.Connection, sql: str, expected: object, params: Any = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        row = admin.execute(sql, params).fetchone()
        if row is not None and row[0] == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{sql} gave {row}, waited for {expected!r}")
        time.sleep(0.1)


# -- each stalled job on its own, in SQL ------------------------------------------------------------

DEAD_WORKER = (
    "insert into procrastinate.procrastinate_workers (last_heartbeat) values (now() - interval '1 hour') returning id"
)


def accept(admin: psycopg.Connection, code: str, created: str, shop: int = 42) -> int:
    row = admin.execute(
        "select job_ids[1] from ingest.webhook_accept(%s, 'order:update', %s, %s::timestamptz, null)",
        (shop, code, created),
    ).fetchone()
    assert row is not None
    return int(row[0])


def test_each_stalled_job_is_handled_on_its_own_and_a_requeued_one_is_cancelled(
    db: Target, admin: psycopg.Connection
) -> None:
    admin.execute("insert into core.shops (shop_id, name) select s, 'shop ' || s from generate_series(42, 45) s")
    admin.execute("set search_path = procrastinate, public")  # procrastinate's triggers need it
    dead = admin.execute(DEAD_WORKER).fetchone()[0]
    # A: a dead worker's drain of shop 42's orders, and the order's next webhook's drain waiting
    a = accept(admin, "2026000101", "2026-03-10T10:15:00+01:00")
    admin.execute("update procrastinate_jobs set status = 'doing', worker_id = %s where id = %s", (dead, a))
    waiting = accept(admin, "2026000101", "2026-03-10T10:16:00+01:00")
    assert waiting != a
    # other shops' orders: B at its first attempt, C at its last, D one that cannot be touched
    b, c, d = (accept(admin, "2026000102", "2026-03-10T10:15:00+01:00", shop) for shop in (43, 44, 45))
    admin.execute(
        "update procrastinate_jobs set status = 'doing', worker_id = %s where id = any(%s)", (dead, [b, c, d])
    )
    admin.execute("update procrastinate_jobs set attempts = %s where id = %s", (tasks.MAX_ATTEMPTS - 1, c))
    admin.execute(f"""
        create function public.refuse_job() returns trigger language plpgsql as $$
        begin raise exception 'job % is refused by a test trigger', old.id; end $$;
        create trigger refuse before update on procrastinate.procrastinate_jobs
        for each row when (old.id = {d}) execute function public.refuse_job()""")

    assert recover(db) == {"retried": 1, "failed": 1, "cancelled": 1, "errors": 1}

    jobs = dict(admin.execute("select id, status::text from procrastinate_jobs").fetchall())
    assert jobs == {a: "cancelled", waiting: "todo", b: "todo", c: "failed", d: "doing"}
    done = {
        r[0]: r[1:]
        for r in admin.execute(
            "select job_id, action, superseded_by, attempts, retry_at is not null from ops.job_recoveries"
        )
    }
    assert done == {
        a: ("cancelled", waiting, 1, False),
        b: ("retried", None, 1, True),
        c: ("failed", None, tasks.MAX_ATTEMPTS, False),
        d: ("error", None, 1, False),
    }
    reason_a, reason_d = (
        admin.execute("select reason from ops.job_recoveries where job_id = %s", (j,)).fetchone()[0] for j in (a, d)
    )
    assert f"job {waiting} with the same queueing_lock webhooks:42:orders is waiting" in reason_a
    assert f"job {d} is refused by a test trigger" in reason_d
    # procrastinate's own record says so too
    assert admin.execute(
        "select array_agg(type::text order by id) from procrastinate_events where job_id = %s", (a,)
    ).fetchone()[0] == ["deferred", "started", "cancelled"]
    # both webhook events of the order are now carried by the waiting job
    events = admin.execute(
        "select event_created, job_ids from ingest.webhook_events "
        "where event_instance = '2026000101' order by event_created"
    ).fetchall()
    assert [ids for _, ids in events] == [[waiting], [waiting]]

    # the refusal lifted, the next run puts D back; nothing else is touched again
    admin.execute("drop trigger refuse on procrastinate.procrastinate_jobs")
    assert recover(db) == {"retried": 1, "failed": 0, "cancelled": 0, "errors": 0}
    assert admin.execute("select status::text from procrastinate_jobs where id = %s", (d,)).fetchone() == ("todo",)


def test_stalled_job_without_a_waiting_copy_is_retried_and_a_copy_queued_later_is_reused(
    db: Target, admin: psycopg.Connection
) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (42, 'shop 42')")
    admin.execute("set search_path = procrastinate, public")
    dead = admin.execute(DEAD_WORKER).fetchone()[0]
    a = accept(admin, "E-2025-00488", "2026-03-10T10:15:00+01:00")
    admin.execute("update procrastinate_jobs set status = 'doing', worker_id = %s where id = %s", (dead, a))
    # the worker row was pruned by another worker: the job has no worker at all
    admin.execute("delete from procrastinate_workers where id = %s", (dead,))
    assert recover(db) == {"retried": 1, "failed": 0, "cancelled": 0, "errors": 0}
    assert admin.execute("select status::text from procrastinate_jobs where id = %s", (a,)).fetchone() == ("todo",)
    assert "its worker is gone" in admin.execute("select reason from ops.job_recoveries").fetchone()[0]
    # the retried job holds the queueing lock again: a new webhook of the order reuses it
    assert accept(admin, "E-2025-00488", "2026-03-10T10:20:00+01:00") == a


# -- a real worker killed mid-job, the order's next webhook arriving meanwhile ------------------------


def order(code: str, status: tuple[int, str], changed: datetime) -> dict[str, Any]:
    """An order as GET /api/orders/{code} serves it (data.order)."""
    price = {"withVat": "499.00", "withoutVat": "412.40", "vat": "86.60", "vatRate": "21.00"}
    return {
        "code": code,
        "guid": None,
        "creationTime": "2026-11-02T10:15:00+0100",
        "changeTime": format_datetime(changed.astimezone()),
        "email": "petr.novak@example.cz",
        "status": {"id": status[0], "name": status[1]},
        "cashDeskOrder": False,
        "price": {
            "withVat": "499.00",
            "withoutVat": "412.40",
            "vat": "86.60",
            "toPay": "499.00",
            "currencyCode": "CZK",
            "exchangeRate": "1.00000000",
        },
        "items": [
            {
                "itemId": 1,
                "itemType": "product",
                "name": "Tričko",
                "amount": "1.000",
                "itemPrice": price,
                "unitPrice": price,
            }
        ],
    }


def test_worker_killed_mid_drain_with_the_next_webhook_handed_to_it_lets_the_shops_orders_flow(
    db: Target,
    admin: psycopg.Connection,
    hub_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    sandbox: Sandbox,
    processes: list[subprocess.Popen[bytes]],
) -> None:
    sb, api_url = sandbox, sandbox.base_url()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, **hub_env, "HUB_PUBLIC_URL": base, "HUB_SHOPTET_API_URL": api_url}
    monkeypatch.setenv("HUB_PUBLIC_URL", base)
    add_shop(Config.from_env(), sb.private_token(SHOP), api_url=api_url)  # webhooks to `hub serve`
    processes.append(
        subprocess.Popen(
            [HUB, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    )
    wait_healthy(base, processes[-1])

    def worker(*extra: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [HUB, "worker", "--queues", "webhooks", "--polling-interval", "0.1", *extra],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(proc)
        return proc

    code = "2026000488"
    lock = f"webhooks:{SHOP}:orders"
    status_of = "select status::text from procrastinate.procrastinate_jobs where queueing_lock = %s order by id"
    # the detail fetch hangs: the worker is mid-drain, its HTTP request in flight at the sandbox
    sb.set_faults(detail_ms=60_000)
    victim = worker("--stalled-after", "1")
    first = datetime.now(UTC)
    sb.put(SHOP, "orders", [order(code, (-1, "Nevyřízená"), first)])
    wait_for(admin, status_of, "doing", (lock,))
    deadline = time.monotonic() + 20
    while sb.inflight.get(sb.private_token(SHOP), 0) < 1:
        assert time.monotonic() < deadline, "the worker never asked for the order"
        time.sleep(0.05)
    # the order changes again at the source: its webhook goes to the open drain (no second job);
    # the key's seq moves on, so the fetch under way will not count for it
    sb.put(SHOP, "orders", [order(code, (-2, "Vyřízená"), datetime.now(UTC))])
    wait_for(admin, "select count(*) from ingest.webhook_events where event_instance = %s", 2, (code,))
    assert admin.execute(
        "select count(*) from procrastinate.procrastinate_jobs where task_name = 'drain_webhooks'"
    ).fetchone() == (1,)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(5)
    sb.reset_faults()
    time.sleep(1.5)  # the dead worker's heartbeat is now older than 1 s
    assert admin.execute("select count(*) from ingest.webhook_pending").fetchone() == (1,)

    assert recover(db) == {"retried": 1, "failed": 0, "cancelled": 0, "errors": 0}
    worker()
    wait_for(admin, "select status_name from sales.orders where shop_id = %s and code = %s", "Vyřízená", (SHOP, code))
    wait_for(admin, status_of, "succeeded", (lock,))
    wait_for(
        admin,
        "select array_agg(status order by event_created) from ingest.webhook_events where event_instance = %s",
        ["done", "done"],
        (code,),
    )
    assert admin.execute("select count(*) from ingest.webhook_pending").fetchone() == (0,)
    recovery = admin.execute("select action, reason from ops.job_recoveries").fetchall()
    assert len(recovery) == 1 and recovery[0][0] == "retried" and "attempt 2 of 5" in recovery[0][1]

    # the shop's other orders keep flowing
    sb.put(SHOP, "orders", [order("E-2025-00489", (-1, "Nevyřízená"), datetime.now(UTC))])
    wait_for(
        admin,
        "select status_name from sales.orders where shop_id = %s and code = %s",
        "Nevyřízená",
        (SHOP, "E-2025-00489"),
    )
    assert recover(db) == {"retried": 0, "failed": 0, "cancelled": 0, "errors": 0}
