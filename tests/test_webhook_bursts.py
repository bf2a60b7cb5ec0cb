"""Bursts of webhooks (issue 18): keys wait in ingest.webhook_pending and one drain job per shop and
entity fetches them in batches and applies each batch in one transaction (runner/shoptet/drain.py).

The acceptance tests run real `hub serve` and `hub worker` processes against the sandbox Shoptet
(real HTTP, its webhooks delivered to `hub serve`); the others drive a drain in this process.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from bench.processes import free_port, wait_healthy
from runner import tasks
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.sandbox import generator as g
from runner.shoptet import drain, entity_lock
from runner.shoptet.client import format_datetime
from runner.shoptet.shops import add_shop
from sandbox_helpers import HUB, SHOP, client_for, hub_totals, import_entity, sandbox_totals

# about 420 orders, 200 customers, 20 products: small and quick
# the leaky bucket leaks fast: Shoptet's 10 requests per second would make these tests wait, not test more
# (the drains run in this process add events themselves: the `shop` fixture's webhooks go nowhere)
pytestmark = [
    pytest.mark.sandbox(scale=0.0003, seed=11, job_seconds=0.2, webhook_retry_delay=0.2, leak_per_second=1000),
    pytest.mark.shop(env={"HUB_PUBLIC_URL": "http://127.0.0.1:9"}),
]


def wait_for(what: str, check: Any, timeout: float = 60, every: float = 0.1) -> Any:
    """Poll check() until it returns something true; AssertionError naming what otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(every)


def one(admin: psycopg.Connection, sql: str, params: Any = None) -> Any:
    row = admin.execute(sql, params).fetchone()
    assert row is not None
    return row[0]


def changed_orders(sb: Sandbox, codes: list[str], status: int) -> list[dict[str, Any]]:
    """The orders as the sandbox serves them, with another status (on the order and its lines) and
    a changeTime of now."""
    name = g.STATUS_NAMES[status]
    now = format_datetime(datetime.now(UTC).astimezone())
    docs = []
    for code in codes:
        doc = copy.deepcopy(sb.shop(SHOP).order_by_code(code))
        assert doc is not None
        doc["status"] = {"id": status, "name": name}
        for item in doc["items"]:
            item["status"] = {"id": status, "name": name}
        doc["changeTime"] = now
        docs.append(doc)
    return docs


def live_codes(admin: psycopg.Connection, n: int, offset: int = 0) -> list[str]:
    return [
        r[0]
        for r in admin.execute(
            "select code from sales.orders where shop_id = %s and deleted_at is null order by code limit %s offset %s",
            (SHOP, n, offset),
        )
    ]


ORDER_TOTALS = ("orders", "order_items", "order_items_of_live_orders", "orders_total_with_vat", "repeated_lines")


def order_totals(totals: dict[str, Any]) -> dict[str, Any]:
    """The order figures of hub_totals / sandbox_totals (only orders are imported here)."""
    return {k: totals[k] for k in ORDER_TOTALS}


def queue_settled(admin: psycopg.Connection) -> bool:
    """No key waits, no drain job waits or runs, every entity event is done."""
    return bool(
        one(
            admin,
            """select not exists (select from ingest.webhook_pending)
                  and not exists (select from procrastinate.procrastinate_jobs
                                  where task_name = 'drain_webhooks' and status in ('todo', 'doing'))
                  and not exists (select from ingest.webhook_events where status = 'queued')""",
        )
    )


@pytest.fixture
def hub(
    db: Target,
    hub_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    sandbox: Sandbox,
    processes: list[subprocess.Popen[bytes]],
) -> Iterator[dict[str, Any]]:
    """The sandbox's shop connected with its webhooks pointing at a running `hub serve`, its orders
    imported; yields the environment of the hub's processes and a function starting a worker."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, **hub_env, "HUB_PUBLIC_URL": base, "HUB_SHOPTET_API_URL": sandbox.base_url()}
    monkeypatch.setenv("HUB_PUBLIC_URL", base)
    monkeypatch.setenv("HUB_SHOPTET_API_URL", sandbox.base_url())
    cfg = Config.from_env()
    add_shop(cfg, sandbox.private_token(SHOP))
    import_entity(cfg, db, "orders")
    processes.append(
        subprocess.Popen(
            [HUB, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    )
    wait_healthy(base, processes[-1])

    def worker(*extra: str) -> subprocess.Popen[bytes]:
        # the default polling interval (5 s): a waiting drain must be announced, not polled for
        proc = subprocess.Popen(
            [HUB, "worker", "--queues", "webhooks", *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        processes.append(proc)
        return proc

    yield {"env": env, "cfg": cfg, "worker": worker}


# -- acceptance ----------------------------------------------------------------------------------


def test_burst_of_updates_and_deletes_during_hub_sync_ends_equal_to_the_sandbox_with_at_most_two_fetches(
    hub: dict[str, Any], sandbox: Sandbox, admin: psycopg.Connection
) -> None:
    sb = sandbox
    updated = live_codes(admin, 200)
    deleted = live_codes(admin, 20, offset=200)
    sb.reset_detail_requests()
    sb.set_faults(detail_ms=5)  # a little latency, so that the sync and the drains overlap
    hub["worker"]()
    time.sleep(1.0)  # the worker listens
    sb.put(SHOP, "orders", changed_orders(sb, updated, -2))  # order:update webhooks to `hub serve`
    sb.remove(SHOP, "orders", deleted)  # order:delete webhooks
    # `hub sync` of the same shop while the webhooks arrive (the sandbox sends them one by one)
    sync = subprocess.Popen(
        [HUB, "sync", "--shop", str(SHOP), "--entity", "orders", "--json"],
        env=hub["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = sync.communicate(timeout=120)
    assert sync.returncode == 0, err.decode()
    summary = json.loads(out.decode().strip().splitlines()[-1])
    assert summary["changes"] >= 220 and summary["failed"] == 0, summary
    assert sb.wait_webhooks(60)
    assert all(n["status"] == "success" for n in sb.notifications(SHOP) if n["event"].startswith("order:"))
    wait_for("the drains to finish", lambda: queue_settled(admin))

    # the hub equals the sandbox: totals, the new status of every updated order, every deletion
    assert order_totals(hub_totals(admin)) == order_totals(sandbox_totals(sb))
    rows = {
        code: (status, gone)
        for code, status, gone in admin.execute(
            "select code, status_id, deleted_at is not null from sales.orders where shop_id = %s and code = any(%s)",
            (SHOP, updated + deleted),
        )
    }
    assert {c: rows[c] for c in updated} == {c: (-2, False) for c in updated}
    assert {c: rows[c][1] for c in deleted} == {c: True for c in deleted}
    lines = one(
        admin,
        "select count(*) from sales.order_items_all where shop_id = %s and order_code = any(%s)"
        " and deleted_at is null and status_id <> -2",
        (SHOP, updated),
    )
    assert lines == 0
    # each order fetched at most twice (the sync once, a drain once); every event done, no job failed
    fetches = sb.detail_requests(SHOP, "orders")
    assert set(updated) <= set(fetches)
    assert max(fetches.values()) <= 2, {c: n for c, n in fetches.items() if n > 2}
    assert one(admin, "select count(*) from ingest.webhook_events where shop_id = %s", (SHOP,)) == 220
    assert one(admin, "select count(*) from procrastinate.procrastinate_jobs where status = 'failed'") == 0
    # a burst is a few drain jobs, not one job per event
    drains = one(admin, "select count(*) from procrastinate.procrastinate_jobs where task_name = 'drain_webhooks'")
    assert 1 <= drains <= 20


def test_worker_killed_mid_batch_leaves_nothing_half_written_and_a_restart_converges(
    db: Target, hub: dict[str, Any], sandbox: Sandbox, admin: psycopg.Connection
) -> None:
    sb = sandbox
    codes = live_codes(admin, 120)
    old_changed = dict(
        admin.execute(
            "select code, changed_at from sales.orders where shop_id = %s and code = any(%s)", (SHOP, codes)
        ).fetchall()
    )
    sb.set_faults(detail_ms=150)  # a batch of 50 takes about 2.5 s, its apply a tenth of that
    # every webhook accepted first: the drain starts with all 120 keys waiting
    sb.put(SHOP, "orders", changed_orders(sb, codes, -3))
    assert sb.wait_webhooks(60)
    assert one(admin, "select count(*) from ingest.webhook_pending") == 120
    victim = hub["worker"]("--stalled-after", "1")
    token = sb.private_token(SHOP)
    # at least one batch committed, the next one's requests in flight
    wait_for(
        "a batch applied and the next in flight",
        lambda: (
            sb.inflight.get(token, 0) > 0
            and one(admin, "select count(*) from ingest.webhook_events where status = 'done'") >= 50
        ),
        timeout=120,
        every=0.02,
    )
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(5)
    sb.reset_faults()

    # nothing half-written: an order is new with all its lines, its key gone and its event done --
    # or old, its key waiting and its event queued
    state = admin.execute(
        """select o.code, o.changed_at, o.status_id,
                  (select count(*) from sales.order_items_all i where i.shop_id = o.shop_id
                    and i.order_code = o.code and i.deleted_at is null and i.status_id is distinct from o.status_id),
                  exists (select from ingest.webhook_pending p where p.shop_id = o.shop_id and p.key = o.code),
                  (select e.status from ingest.webhook_events e
                    where e.shop_id = o.shop_id and e.event_instance = o.code)
           from sales.orders o where o.shop_id = %s and o.code = any(%s)""",
        (SHOP, codes),
    ).fetchall()
    new = [r for r in state if r[1] != old_changed[r[0]]]
    old = [r for r in state if r[1] == old_changed[r[0]]]
    assert 50 <= len(new) < 120 and len(new) + len(old) == 120
    assert all(r[2] == -3 and r[3] == 0 and not r[4] and r[5] == "done" for r in new), new[:3]
    assert all(r[3] == 0 and r[4] and r[5] == "queued" for r in old), old[:3]

    time.sleep(1.5)  # the dead worker's heartbeat is older than --stalled-after
    bound = tasks.configure(db)

    async def recover() -> dict[str, int]:
        async with bound.open_async():
            return await tasks.recover_stalled_jobs(bound, seconds_since_heartbeat=1)

    # the killed drain is put back (or, if a drain was queued before it opened, ends for that one)
    recovered = asyncio.run(recover())
    assert recovered["retried"] + recovered["cancelled"] == 1 and recovered["failed"] == 0, recovered
    hub["worker"]()
    wait_for("the restarted drain to finish", lambda: queue_settled(admin))
    assert order_totals(hub_totals(admin)) == order_totals(sandbox_totals(sb))
    assert (
        one(
            admin,
            "select count(*) from sales.orders where shop_id = %s and code = any(%s) and status_id = -3",
            (SHOP, codes),
        )
        == 120
    )
    assert one(admin, "select count(*) from procrastinate.procrastinate_jobs where status = 'failed'") == 0


# -- a drain in this process ---------------------------------------------------------------------


@pytest.fixture
def orders_of(shop: Config, db: Target, admin: psycopg.Connection) -> Config:
    """The sandbox's shop connected and its orders imported; ``admin`` can call procrastinate's functions."""
    import_entity(shop, db, "orders")
    admin.execute("set search_path = procrastinate, public")
    return shop


@pytest.fixture
def conn(db: Target) -> Iterator[psycopg.Connection]:
    with psycopg.connect(tasks.procrastinate_conninfo(db.app)) as c:
        yield c


def accept(admin: psycopg.Connection, event: str, instance: str, created: datetime | None = None) -> None:
    admin.execute(
        "select ingest.webhook_accept(%s, %s, %s, %s, null)", (SHOP, event, instance, created or datetime.now(UTC))
    )


def test_a_drain_fetches_each_waiting_key_once_and_applies_customers_products_and_deletions(
    shop: Config, db: Target, sandbox: Sandbox, admin: psycopg.Connection, conn: psycopg.Connection
) -> None:
    sb = sandbox
    for entity in ("orders", "customers", "products"):
        import_entity(shop, db, entity)
    admin.execute("set search_path = procrastinate, public")
    codes = live_codes(admin, 30)
    sb.put(SHOP, "orders", changed_orders(sb, codes, -2), webhooks=False)
    sb.remove(SHOP, "orders", codes[:5], webhooks=False)
    # every order named three times (update, mass update, a repeat a second later) before the drain
    start = datetime.now(UTC)
    for code in codes:
        accept(admin, "order:update", code, start)
        accept(admin, "order:update", code, start + timedelta(seconds=1))
    accept(admin, "order:massUpdate", '["' + '","'.join(codes) + '"]', start)
    customer = one(admin, "select guid::text from sales.customers where shop_id = %s order by guid limit 1", (SHOP,))
    product, variant = admin.execute(
        "select product_guid::text, code from catalog.variants where shop_id = %s order by code limit 1", (SHOP,)
    ).fetchone()
    gone_product = one(
        admin, "select guid::text from catalog.products where shop_id = %s and guid <> %s limit 1", (SHOP, product)
    )
    sb.remove(SHOP, "products", [gone_product], webhooks=False)
    accept(admin, "customer:update", customer.upper())
    accept(admin, "productVariant:update", variant)
    accept(admin, "product:delete", gone_product)
    sb.reset_detail_requests()

    with client_for(shop) as client:
        results = {e: drain.drain(conn, client, SHOP, e, batch_size=8) for e in ("orders", "customers", "products")}

    orders = results["orders"]
    assert (orders.taken, orders.applied, orders.deleted, orders.events_done) == (30, 25, 5, 61)
    assert orders.batches == 4 and orders.stopped == "empty" and orders.failed == 0
    assert sb.detail_requests(SHOP, "orders") == {c: 1 for c in codes}
    assert sb.detail_requests(SHOP, "customers") == {customer: 1}
    assert sb.detail_requests(SHOP, "variants") == {variant: 1}
    assert sb.detail_requests(SHOP, "products") == {gone_product: 1}
    assert results["products"].deleted == 1 and results["products"].applied == 1
    assert one(admin, "select deleted_at is not null from catalog.products where guid = %s", (gone_product,))
    assert one(admin, "select count(*) from sales.orders where code = any(%s) and status_id = -2", (codes[5:],)) == 25
    assert (
        one(admin, "select count(*) from sales.orders where code = any(%s) and deleted_at is not null", (codes[:5],))
        == 5
    )
    assert one(admin, "select count(*) from ingest.webhook_events where status <> 'done'") == 0
    assert one(admin, "select count(*) from ingest.webhook_pending") == 0


def test_an_event_during_the_fetch_keeps_the_key_for_one_more_fetch(
    orders_of: Config, sandbox: Sandbox, admin: psycopg.Connection, conn: psycopg.Connection
) -> None:
    code = live_codes(admin, 1)[0]
    accept(admin, "order:update", code)
    seq = one(admin, "select seq from ingest.webhook_pending")
    # the key as a drain claimed it, then a second event before its apply commits
    claimed = drain.Pending("order", code, seq)
    accept(admin, "order:update", code, datetime.now(UTC) + timedelta(seconds=1))
    assert one(admin, "select ingest.webhook_done(%s, 'orders', '{order}', %s, %s)", (SHOP, [code], [claimed.seq])) == 0
    assert one(admin, "select count(*) from ingest.webhook_pending") == 1
    sandbox.reset_detail_requests()
    with client_for(orders_of) as client:
        result = drain.drain(conn, client, SHOP, "orders")
    assert (result.taken, result.events_done) == (1, 2)
    assert sandbox.detail_requests(SHOP, "orders") == {code: 1}


def test_failing_fetches_are_counted_retried_later_and_given_up_after_five_attempts(
    orders_of: Config, sandbox: Sandbox, admin: psycopg.Connection, conn: psycopg.Connection
) -> None:
    code = live_codes(admin, 1)[0]
    accept(admin, "order:update", code)
    # this test's drain plays the job the accept queued
    admin.execute("delete from procrastinate.procrastinate_jobs")
    sandbox.set_faults(server_errors=1000)
    with client_for(orders_of) as client:
        first = drain.drain(conn, client, SHOP, "orders")
        assert (first.failed, first.gave_up, first.events_done) == (1, 0, 0)
        # a later drain is queued, after a backoff
        assert one(
            admin,
            "select scheduled_at > now() from procrastinate.procrastinate_jobs where id = %s",
            (first.next_job,),
        )
        assert admin.execute("select attempts, failed_at from ingest.webhook_pending").fetchone() == (1, None)
        for _ in range(4):
            drain.drain(conn, client, SHOP, "orders")
    attempts, failed_at, error = admin.execute(
        "select attempts, failed_at, last_error from ingest.webhook_pending"
    ).fetchone()
    assert attempts == 5 and failed_at is not None and "500" in error
    assert one(admin, "select failed_keys from ingest.webhook_events_failed") == [code]
    # given up: drains skip it, until a new event names the key again
    sandbox.reset_faults()
    with client_for(orders_of) as client:
        assert drain.drain(conn, client, SHOP, "orders").taken == 0
        accept(admin, "order:update", code, datetime.now(UTC) + timedelta(seconds=5))
        assert drain.drain(conn, client, SHOP, "orders").events_done == 2
    assert one(admin, "select count(*) from ingest.webhook_events_failed") == 0


def test_a_drain_waits_for_a_sync_batch_and_a_sync_completes_the_keys_it_applied(
    orders_of: Config, db: Target, sandbox: Sandbox, admin: psycopg.Connection, conn: psycopg.Connection
) -> None:
    from runner.shoptet import sync

    codes = live_codes(admin, 3)
    sandbox.put(SHOP, "orders", changed_orders(sandbox, codes, -2), webhooks=False)
    for code in codes:
        accept(admin, "order:update", code)
    admin.execute("delete from procrastinate.procrastinate_jobs")  # this test's drain plays that job
    # a sync batch holds the shop's orders write lock: the drain gives up waiting and comes back later
    with psycopg.connect(db.app) as other:
        assert entity_lock.take(other, SHOP, "orders")
        with client_for(orders_of) as client:
            busy = drain.drain(conn, client, SHOP, "orders", lock_wait=0.2)
        entity_lock.release(other, SHOP, "orders")
    assert busy.stopped == "busy" and busy.taken == 0
    assert one(
        admin, "select scheduled_at > now() from procrastinate.procrastinate_jobs where id = %s", (busy.next_job,)
    )
    # the sync applies the changed orders: their waiting keys go with the batch, the drain has nothing to fetch
    sandbox.reset_detail_requests()
    with client_for(orders_of) as client:
        summary = sync.sync_entity(conn, client, SHOP, "orders")
        assert summary["upserted"] >= 3
        assert one(admin, "select count(*) from ingest.webhook_pending") == 0
        assert one(admin, "select count(*) from ingest.webhook_events where status = 'done'") == 3
        assert drain.drain(conn, client, SHOP, "orders").taken == 0
    assert all(sandbox.detail_requests(SHOP, "orders")[c] == 1 for c in codes)


def test_a_job_waiting_for_a_lock_starts_when_the_lock_is_released_not_at_the_next_poll(
    db: Target, admin: psycopg.Connection, hub_env: dict[str, str], processes: list[subprocess.Popen[bytes]]
) -> None:
    from test_workers import DEFER, PROBE

    admin.execute("insert into core.shops (shop_id, name) values (42, 'shop 42')")
    admin.execute(PROBE)
    admin.execute("update public.probe_config set slow_seconds = 1.5")
    admin.execute("set search_path = procrastinate, public")
    # a worker that polls every 60 s, two jobs at once: the second job of the lock is only taken
    # early if someone announces it
    processes += [
        subprocess.Popen(
            [HUB, "worker", "--queues", "analytics", "--polling-interval", "60", "--concurrency", "2"],
            env={**os.environ, **hub_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    time.sleep(1.5)
    lock = tasks.shop_lock(42, "customer_metrics")
    admin.execute(DEFER, (lock, 1))
    wait_for("the first job", lambda: one(admin, "select count(*) from public.probe_runs where step = 'start'"))
    admin.execute(DEFER, (lock, 1))  # its worker looks, finds it locked, waits
    wait_for("both jobs", lambda: one(admin, "select count(*) from public.probe_runs where step = 'end'") == 2, 20)
    # the lock is released when the first job ends in procrastinate (its work may go on after the
    # probe's step, e.g. the daily job's model fit): from that moment to the second job's start
    gap = one(
        admin,
        """select extract(epoch from
                  (select max(at) from procrastinate.procrastinate_events e
                   join procrastinate.procrastinate_jobs j on j.id = e.job_id
                   where j.lock = %(lock)s and e.type = 'started')
                - (select min(at) from procrastinate.procrastinate_events e
                   join procrastinate.procrastinate_jobs j on j.id = e.job_id
                   where j.lock = %(lock)s and e.type = 'succeeded'))""",
        {"lock": lock},
    )
    assert 0 <= gap < 1.0, f"the second job started {gap} s after the first ended"
