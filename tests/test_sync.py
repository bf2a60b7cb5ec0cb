"""Incremental sync and webhook reconciliation against the sandbox over real HTTP, on a real database.

The shop is connected the way `hub shop add` does it (private token, webhooks registered);
its webhooks point at a closed port, so every delivery fails and ends ``failed`` in
GET /api/webhooks/notifications -- what reconciliation is for.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest

from runner import cli, tasks
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.shoptet import errors, reconcile, snapshots, sync
from runner.shoptet.auth import PrivateToken
from runner.shoptet.client import RetryPolicy, ShoptetClient, parse_datetime
from sandbox_helpers import FAST, NOWHERE, SHOP, hub_totals, sandbox_totals

pytestmark = [
    pytest.mark.sandbox(webhook_retry_delay=0.05, shared_files=True),
    pytest.mark.shop(env={"HUB_PUBLIC_URL": NOWHERE}),
]


@pytest.fixture
def conn(db: Target) -> Iterator[psycopg.Connection]:
    with psycopg.connect(tasks.procrastinate_conninfo(db.app)) as c:
        yield c


def client_of(sb: Sandbox, **kwargs: Any) -> ShoptetClient:
    return ShoptetClient(sb.base_url(), PrivateToken(sb.private_token(SHOP), shop_id=SHOP), shop_id=SHOP, **kwargs)


def full_import(conn: psycopg.Connection, client: ShoptetClient) -> None:
    for entity in ("orders", "customers", "products"):
        snapshots.import_snapshot(conn, client, SHOP, entity, options=FAST)


def sync_all(conn: psycopg.Connection, client: ShoptetClient, **kwargs: Any) -> dict[str, dict[str, Any]]:
    return {e: sync.sync_entity(conn, client, SHOP, e, **kwargs) for e in ("orders", "customers", "products")}


def cursor_of(admin: psycopg.Connection, entity: str) -> tuple[Any, ...]:
    row = admin.execute(
        "select cursor_at, last_run_at, last_error from ingest.sync_cursors where shop_id = %s and entity = %s",
        (SHOP, entity),
    ).fetchone()
    assert row is not None
    return tuple(row)


def test_one_incremental_sync_after_random_changes_makes_database_equal_the_sandbox(
    sandbox: Sandbox, shop: Config, conn: psycopg.Connection, admin: psycopg.Connection
) -> None:
    sb = sandbox
    with client_of(sb) as client:
        full_import(conn, client)
        assert hub_totals(admin) == sandbox_totals(sb)
        first = sync_all(conn, client)
        assert {r["started_from"] for r in first.values()} == {"snapshot"}  # no cursor yet: the import's start
        events = sb.mutate(SHOP, 30, seed=11)["events"]
        assert hub_totals(admin) != sandbox_totals(sb)
        second = sync_all(conn, client)
    assert hub_totals(admin) == sandbox_totals(sb)
    assert all(r["started_from"] == "cursor" for r in second.values())
    assert sum(r["changes"] for r in second.values()) >= len(
        {(e["event"].split(":")[0], e["eventInstance"]) for e in events}
    )
    # deletes are applied: every entity deleted at the source is soft-deleted here
    deleted = [(e["event"].split(":")[0], e["eventInstance"]) for e in events if e["event"].endswith(":delete")]
    assert deleted, "seed 11 makes deletes"
    for kind, key in deleted:
        sql = {
            "order": "select deleted_at from sales.orders where shop_id = %s and code = %s",
            "customer": "select deleted_at from sales.customers where shop_id = %s and guid = %s::uuid",
            "product": "select deleted_at from catalog.products where shop_id = %s and guid = %s::uuid",
        }[kind]
        row = admin.execute(sql, (SHOP, key)).fetchone()
        assert row is not None and row[0] is not None, (kind, key)
    for entity in ("orders", "customers", "products"):
        cursor_at, last_run_at, last_error = cursor_of(admin, entity)
        assert last_error is None and last_run_at is not None
        assert cursor_at >= datetime.now(UTC) - timedelta(minutes=11)


def test_cursor_older_than_the_change_history_falls_back_to_a_snapshot(
    sandbox: Sandbox, shop: Config, conn: psycopg.Connection, admin: psycopg.Connection
) -> None:
    sb = sandbox
    sb.mutate(SHOP, 10, seed=3)
    admin.execute(
        "insert into ingest.sync_cursors (shop_id, entity, cursor_at) values (%s, 'orders', now() - "
        "interval '40 days')",
        (SHOP,),
    )
    with client_of(sb) as client:
        result = sync.sync_entity(conn, client, SHOP, "orders", snapshot_options=FAST)
    assert result["started_from"] == "fallback" and result["snapshot"]["job_id"] > 0
    assert hub_totals(admin)["orders"] == sandbox_totals(sb)["orders"]
    assert hub_totals(admin)["orders_total_with_vat"] == sandbox_totals(sb)["orders_total_with_vat"]
    started = admin.execute(
        "select started_at from ingest.snapshot_jobs where id = %s", (result["snapshot"]["job_id"],)
    ).fetchone()
    assert started is not None
    cursor_at, _, last_error = cursor_of(admin, "orders")
    assert last_error is None
    # the cursor is at the snapshot's start (or the end of the quiet stretch read after it)
    assert started[0] <= cursor_at <= datetime.now(UTC)


def order_state(client: ShoptetClient, code: str) -> datetime | None:
    """changeTime of an order at the source; None when it is deleted."""
    try:
        return parse_datetime(client.get(f"/api/orders/{code}")["order"]["changeTime"])
    except errors.NotFound:
        return None


def test_failure_mid_sync_leaves_the_cursor_at_the_last_committed_batch(
    sandbox: Sandbox, shop: Config, conn: psycopg.Connection, admin: psycopg.Connection
) -> None:
    sb = sandbox
    with client_of(sb) as client:
        full_import(conn, client)
        sync.sync_entity(conn, client, SHOP, "orders")
    before = cursor_of(admin, "orders")[0]
    for seed in (5, 6, 7):  # three distinct seconds of changes
        sb.mutate(SHOP, 15, seed=seed)
        time.sleep(1.05)
    with client_of(sb) as client:
        listed = [c for page, _ in sync.iter_changes(client, "orders", before - sync.OVERLAP) for c in page]
        source = {c.key: order_state(client, c.key) for c in listed}
    assert len(listed) >= 15
    third_batch_edit = next(c.key for c in listed[10:15] if c.type != "delete")

    def fail_in_third_batch(request: httpx.Request) -> None:
        if request.url.path == f"/api/orders/{third_batch_edit}":
            sb.set_faults(server_errors=1000)

    http = httpx.Client(event_hooks={"request": [fail_in_third_batch]})
    try:
        with client_of(sb, http=http, retry=RetryPolicy(attempts_5xx=1)) as client:
            with pytest.raises(errors.Unavailable):
                sync.sync_entity(conn, client, SHOP, "orders", batch_size=5)
    finally:
        http.close()
        sb.reset_faults()
    cursor_at, _, last_error = cursor_of(admin, "orders")
    assert last_error is not None and "HTTP 500" in last_error
    # two batches of five committed: the cursor is at the newest change of those ten, not further
    assert cursor_at == max(before, max(c.at for c in listed[:10]))
    assert cursor_at < max(c.at for c in listed)

    def stored(code: str) -> datetime | None:
        row = admin.execute(
            "select changed_at, deleted_at from sales.orders where shop_id = %s and code = %s", (SHOP, code)
        ).fetchone()
        return None if row is None or row[1] is not None else row[0]

    assert all(stored(c.key) == source[c.key] for c in listed[:10])
    assert any(stored(c.key) != source[c.key] for c in listed[15:])
    with client_of(sb) as client:
        again = sync.sync_entity(conn, client, SHOP, "orders")
    assert again["started_from"] == "cursor"
    assert cursor_of(admin, "orders")[2] is None
    assert all(stored(c.key) == source[c.key] for c in listed)
    assert {k: v for k, v in hub_totals(admin).items() if k.startswith("order")} == {
        k: v for k, v in sandbox_totals(sb).items() if k.startswith("order")
    }


def test_reconciliation_replays_a_missed_notification_exactly_once(
    sandbox: Sandbox, shop: Config, conn: psycopg.Connection, admin: psycopg.Connection
) -> None:
    sb = sandbox
    events = sb.mutate(SHOP, 6, seed=2)["events"]
    assert sb.wait_webhooks(20)
    failed = [n for n in sb.notifications(SHOP) if n["status"] == "failed" and n["event"] != "job:finished"]
    assert len(failed) == len(events)
    # one of them did reach the hub
    first = failed[0]["data"]
    admin.execute(
        "select ingest.webhook_accept(%s, %s, %s, %s::timestamptz, null)",
        (SHOP, first["event"], first["eventInstance"], first["eventCreated"]),
    )
    with client_of(sb) as client:
        outcome = reconcile.reconcile_shop(conn, client, SHOP)
        assert outcome["replayed"] == len(events) - 1
        assert reconcile.reconcile_shop(conn, client, SHOP)["replayed"] == 0
    rows = admin.execute(
        "select event, event_instance, cardinality(job_ids) from ingest.webhook_events "
        "where shop_id = %s and event <> 'job:finished'",
        (SHOP,),
    ).fetchall()
    assert sorted((e, i) for e, i, _ in rows) == sorted((e["event"], e["eventInstance"]) for e in events)
    assert all(n == 1 for _, _, n in rows)


def test_sync_task_and_hub_sync_command_use_the_shops_stored_credentials(
    db: Target, sandbox: Sandbox, shop: Config, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox
    bound = tasks.configure(db)
    with bound.open():
        tasks.defer_sync(SHOP, "customers")
        tasks.defer_sync(SHOP, "customers")  # already waiting: not queued twice
        waiting = admin.execute(
            "select count(*) from procrastinate.procrastinate_jobs where task_name = 'sync_entity' and status = 'todo'"
        ).fetchone()
        assert waiting == (1,)
        bound.run_worker(queues=["customers"], wait=False, install_signal_handlers=False)
    # (the worker's periodic deferrer may add the scheduled customers sync when the test runs
    # just after an even hour: every sync job must have succeeded under the shop's lock)
    rows = admin.execute(
        "select distinct status::text, lock from procrastinate.procrastinate_jobs where task_name = 'sync_entity'"
    ).fetchall()
    assert rows == [("succeeded", f"shop:{SHOP}:customers")]
    assert cursor_of(admin, "customers")[0] is not None
    sb.mutate(SHOP, 5, seed=1)
    assert cli.main(["sync", "--shop", str(SHOP), "--entity", "all"]) == 0
    out = capsys.readouterr().out
    for entity in ("orders", "customers", "products"):
        assert f"shop {SHOP} {entity}:" in out
    assert "upserted" in out and "cursor" in out
