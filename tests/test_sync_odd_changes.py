"""Incremental sync with odd-but-valid change lists (issue 11, item 4), through `hub sync` and the
sync_entity task, against the sandbox over HTTP on a real database.

The sandbox shop is generated at the smallest scale (one order, one customer, one product, all
changed long ago), so the change list holds exactly the entries a test places with
``Sandbox.put`` / ``remove`` (``null_change_time=True`` lists ``"changeTime": null``) and
``Sandbox.add_changes`` (raw entries served verbatim).
"""

from __future__ import annotations

import copy
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from runner import cli, tasks
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.sandbox.formats import fmt_dt
from runner.shoptet.auth import PrivateToken
from runner.shoptet.client import ShoptetClient
from sandbox_helpers import NOWHERE, SHOP

GUIDS = uuid.UUID("6f1d2c3b-0000-4000-8000-000000000011")

pytestmark = [
    pytest.mark.sandbox(scale=0.000001, webhook_retry_delay=0.05),
    pytest.mark.shop(env={"HUB_LOG_FORMAT": "json", "HUB_PUBLIC_URL": NOWHERE}),
]  # webhooks go nowhere


def order_doc(sb: Sandbox, code: str, changed: int, total: str) -> dict[str, Any]:
    """An order as Shoptet's detail sends it (the generated order's shape), with this code, time and total."""
    doc = copy.deepcopy(sb.shop(SHOP).data.order(0))
    doc.update(
        code=code, guid=str(uuid.uuid5(GUIDS, code)), creationTime=fmt_dt(changed - 3600), changeTime=fmt_dt(changed)
    )
    doc["price"] = dict(doc["price"], withVat=total, toPay=total, currencyCode="CZK", exchangeRate="1.00000000")
    return doc


def customer_doc(sb: Sandbox, guid: str, email: str, changed: int) -> dict[str, Any]:
    doc = copy.deepcopy(sb.shop(SHOP).data.customer(0))
    doc.update(guid=guid, creationTime=fmt_dt(changed - 3600), changeTime=fmt_dt(changed))
    doc["accounts"] = [dict(doc["accounts"][0], guid=str(uuid.uuid5(GUIDS, email)), email=email)]
    return doc


def listed_changes(sb: Sandbox, entity: str, since: float) -> list[dict[str, Any]]:
    with ShoptetClient(sb.base_url(), PrivateToken(sb.private_token(SHOP), shop_id=SHOP), shop_id=SHOP) as client:
        return list(client.get(f"/api/{entity}/changes", {"from": fmt_dt(int(since))})["changes"])


def at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def hub_sync(capsys: pytest.CaptureFixture[str], entity: str) -> dict[str, Any]:
    """`hub sync --shop SHOP --entity E --json` with JSON logs: its summary, and its warnings
    (the log lines of level warning) under "logged"."""
    capsys.readouterr()
    assert cli.main(["sync", "--shop", str(SHOP), "--entity", entity, "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    summary["logged"] = [
        line
        for line in map(_json_or_none, captured.err.splitlines())
        if line and line.get("level") == "warning" and line.get("logger") == "hub.sync"
    ]
    return dict(summary)


def _json_or_none(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def logged(summary: dict[str, Any], **fields: Any) -> list[str]:
    """The events of the run's warnings that carry these fields."""
    return [w["event"] for w in summary["logged"] if all(w.get(k) == v for k, v in fields.items())]


def order_row(admin: psycopg.Connection, code: str) -> tuple[Any, ...] | None:
    return admin.execute(
        "select changed_at, total_with_vat, deleted_at is not null from sales.orders where shop_id = %s and code = %s",
        (SHOP, code),
    ).fetchone()


def cursor(admin: psycopg.Connection, entity: str) -> tuple[Any, ...]:
    row = admin.execute(
        "select cursor_at, last_error, last_warnings from ingest.sync_cursors where shop_id = %s and entity = %s",
        (SHOP, entity),
    ).fetchone()
    assert row is not None
    return tuple(row)


def warnings_naming(caplog: pytest.LogCaptureFixture, **ctx: Any) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
        and r.name == "hub.sync"
        and all(getattr(r, "ctx", {}).get(k) == v for k, v in ctx.items())
    ]


def test_hub_sync_applies_a_change_list_whose_middle_delete_has_no_change_time(
    sandbox: Sandbox, shop: Config, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    sb = sandbox
    codes = ["2026000101", "2026000102", "2026000103"]
    first = int(time.time()) - 300
    sb.put(SHOP, "orders", [order_doc(sb, c, first + n, "499.00") for n, c in enumerate(codes)], webhooks=False)
    assert hub_sync(capsys, "orders")["upserted"] == 3
    assert order_row(admin, "2026000102") == (at(first + 1), Decimal("499.00"), False)

    # the next change list: 101 edited, 102 deleted without a time, 103 edited
    t1 = int(time.time()) - 60
    sb.put(SHOP, "orders", [order_doc(sb, "2026000101", t1, "599.00")], webhooks=False)
    sb.remove(SHOP, "orders", ["2026000102"], webhooks=False, null_change_time=True)
    t3 = int(time.time())  # the delete was listed at or before this second (and before 103 in the list)
    sb.put(SHOP, "orders", [order_doc(sb, "2026000103", t3, "799.00")], webhooks=False)
    assert listed_changes(sb, "orders", t1) == [
        {"code": "2026000101", "changeTime": fmt_dt(t1), "changeType": "edit"},
        {"code": "2026000102", "changeTime": None, "changeType": "delete"},
        {"code": "2026000103", "changeTime": fmt_dt(t3), "changeType": "edit"},
    ]

    summary = hub_sync(capsys, "orders")
    assert (
        summary["changes"],
        summary["upserted"],
        summary["deleted"],
        summary["undated"],
        summary["failed"],
        summary["skipped"],
    ) == (3, 2, 1, 1, 0, 0)
    assert order_row(admin, "2026000101") == (at(t1), Decimal("599.00"), False)
    assert order_row(admin, "2026000102") == (at(first + 1), Decimal("499.00"), True)  # soft-deleted
    assert order_row(admin, "2026000103") == (at(t3), Decimal("799.00"), False)
    lines = admin.execute(
        "select count(*) filter (where deleted_at is not null), count(*) from sales.order_items_all "
        "where shop_id = %s and order_code = '2026000102'",
        (SHOP,),
    ).fetchone()
    assert lines is not None and lines[0] == lines[1] > 0  # its lines too
    cursor_at, last_error, last_warnings = cursor(admin, "orders")
    assert cursor_at == at(t3) and summary["cursor"] == at(t3).isoformat()  # the newest non-null time
    assert last_error is None and "2026000102" in last_warnings and "changeTime" in last_warnings
    assert logged(
        summary, shop_id=SHOP, entity="orders", entity_key="2026000102", change_time=None, change_type="delete"
    ) == ["sync applies a change without a usable changeTime; the cursor does not move for it"]

    # the next run does not fail again: it reads the overlap, changes nothing, keeps the cursor
    again = hub_sync(capsys, "orders")
    assert again["failed"] == 0 and again["deleted"] == 0
    assert order_row(admin, "2026000102")[2] is True  # type: ignore[index]
    assert cursor(admin, "orders")[0] == at(t3)


def test_sync_task_upserts_customers_whose_change_has_no_time(
    db: Target, sandbox: Sandbox, shop: Config, admin: psycopg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    sb = sandbox
    t1 = int(time.time()) - 120
    dated, undated = "0a6c1f9e-1d2e-4c3b-9a8f-000000000001", "0a6c1f9e-1d2e-4c3b-9a8f-000000000002"
    sb.put(SHOP, "customers", [customer_doc(sb, dated, "jana.nova@example.cz", t1)], webhooks=False)
    sb.put(
        SHOP,
        "customers",
        [customer_doc(sb, undated, "petr.maly@example.cz", t1 + 30)],
        webhooks=False,
        null_change_time=True,
    )
    assert [c["changeTime"] for c in listed_changes(sb, "customers", t1)] == [fmt_dt(t1), None]
    caplog.set_level(logging.WARNING, logger="hub.sync")
    bound = tasks.configure(db)
    with bound.open():
        tasks.defer_sync(SHOP, "customers")
        bound.run_worker(queues=["customers"], wait=False, install_signal_handlers=False)
    jobs = admin.execute(
        "select status::text from procrastinate.procrastinate_jobs where task_name = 'sync_entity'"
    ).fetchall()
    assert jobs and all(j == ("succeeded",) for j in jobs)
    rows = admin.execute(
        "select guid::text, email, changed_at, deleted_at from sales.customers where shop_id = %s "
        "and guid = any (%s::uuid[]) order by guid",
        (SHOP, [dated, undated]),
    ).fetchall()
    assert rows == [(dated, "jana.nova@example.cz", at(t1), None), (undated, "petr.maly@example.cz", at(t1 + 30), None)]
    cursor_at, last_error, last_warnings = cursor(admin, "customers")
    assert cursor_at == at(t1) and last_error is None and undated in last_warnings
    assert warnings_naming(caplog, shop_id=SHOP, entity="customers", entity_key=undated)


def test_odd_change_list_entries_are_each_skipped_or_handled_and_never_block_the_page(
    sandbox: Sandbox, shop: Config, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unknown changeType, missing / blank key, an entry that is no object, one key twice, an
    unreadable time, a detail answering 404, a document that cannot be applied: all in one page."""
    sb = sandbox
    hub_sync(capsys, "orders")  # a cursor: nothing to read yet
    generated = sb.shop(SHOP).data.order(0)["code"]  # exists at the source, changed long ago, not in the hub
    t0 = int(time.time()) - 100
    sb.put(
        SHOP,
        "orders",
        [
            order_doc(sb, "2026000201", t0, "100.00"),
            order_doc(sb, "2026000202", t0 + 1, "200.00"),
            dict(order_doc(sb, "2026000203", t0 + 2, "300.00"), items="not-a-list"),
        ],
        webhooks=False,
    )
    sb.add_changes(
        SHOP,
        "orders",
        [
            {"code": "2026000202", "changeTime": fmt_dt(t0 - 5), "changeType": "edit"},  # 202 listed twice
            {"code": "", "changeTime": fmt_dt(t0 + 3), "changeType": "edit"},  # blank key
            {"changeTime": fmt_dt(t0 + 3), "changeType": "edit"},  # no key
            "2026000299",  # not an object
            {"code": generated, "changeTime": fmt_dt(t0 + 4), "changeType": "archive"},  # unknown type
            {"code": "NO-SUCH-ORDER", "changeTime": fmt_dt(t0 + 5), "changeType": "edit"},  # detail 404
            {"code": "2026000204", "changeTime": "yesterday", "changeType": "delete"},  # unreadable time, unknown code
        ],
        at=t0 + 3,
    )
    listed = listed_changes(sb, "orders", t0 - 10)
    assert len(listed) == 10
    summary = hub_sync(capsys, "orders")
    assert (
        summary["changes"],
        summary["upserted"],
        summary["deleted"],
        summary["not_found"],
        summary["failed"],
        summary["skipped"],
        summary["undated"],
    ) == (7, 3, 0, 1, 1, 3, 1)
    assert summary["failed_keys"] == ["2026000203"]
    assert order_row(admin, "2026000201") == (at(t0), Decimal("100.00"), False)
    assert order_row(admin, "2026000202") == (at(t0 + 1), Decimal("200.00"), False)
    assert order_row(admin, "2026000203") is None  # skipped, named in last_error
    assert order_row(admin, generated) is not None and order_row(admin, generated)[2] is False  # type: ignore[index]
    assert order_row(admin, "NO-SUCH-ORDER") is None
    cursor_at, last_error, last_warnings = cursor(admin, "orders")
    assert cursor_at == at(t0 + 5)  # the newest readable changeTime
    assert last_error is not None and "2026000203" in last_error
    for text in ("changeType", "without code", "not an object", "more than once", "2026000204", "2026000203"):
        assert text in last_warnings, text
    assert len(summary["logged"]) == summary["warnings"] == 7
    assert all(w["shop_id"] == SHOP and w["entity"] == "orders" for w in summary["logged"])
    assert logged(summary, entity_key=generated, change_type="archive")
    assert logged(summary, entity_key="2026000202", entries=2)
    assert logged(summary, entity_key="2026000203")  # the document that cannot be applied
    assert logged(summary, entity_key="2026000204", change_time="yesterday")


def test_a_change_dated_in_the_future_is_applied_and_never_holds_back_later_changes(
    sandbox: Sandbox, shop: Config, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mistyped year (an order changed "2206-03-10") is applied, but as the cursor it would make
    every later change look old: the cursor stays at the newest real time, and the next change is
    picked up by the next run (found by a newcomer with `make demo`'s odd inputs)."""
    sb = sandbox
    now = int(time.time())
    future = order_doc(sb, "ODD-DATE-2206", now, "499.00")
    future.update(creationTime="2206-03-10T10:15:00+0100", changeTime="2206-03-10T10:15:00+0100")
    sb.put(SHOP, "orders", [order_doc(sb, "2026000201", now - 120, "100.00"), future], webhooks=False)
    summary = hub_sync(capsys, "orders")
    assert (summary["upserted"], summary["undated"], summary["failed"]) == (2, 1, 0)
    assert cursor(admin, "orders")[0] == at(now - 120)
    assert logged(summary, entity_key="ODD-DATE-2206") == [
        "sync applies a change dated in the future; the cursor does not move for it"
    ]

    later = int(time.time())
    sb.put(SHOP, "orders", [order_doc(sb, "2026000202", later, "200.00")], webhooks=False)
    assert hub_sync(capsys, "orders")["failed"] == 0
    assert order_row(admin, "2026000202") == (at(later), Decimal("200.00"), False)

    # a cursor an earlier version stored in the future is not used, and the next move repairs it
    admin.execute(
        "update ingest.sync_cursors set cursor_at = '2206-03-10 10:15+01' where shop_id = %s and entity = 'orders'",
        (SHOP,),
    )
    start = admin.execute("select cursor_at, origin from ingest.sync_cursor_start(%s, 'orders')", (SHOP,)).fetchone()
    assert start is not None and start[1] != "cursor" and start[0] <= datetime.now(UTC)
    last = int(time.time())
    sb.put(SHOP, "orders", [order_doc(sb, "2026000203", last, "300.00")], webhooks=False)
    assert hub_sync(capsys, "orders")["failed"] == 0
    assert order_row(admin, "2026000203") == (at(last), Decimal("300.00"), False)
    assert cursor(admin, "orders")[0] <= datetime.now(UTC)


def all_warnings(capsys: pytest.CaptureFixture[str], entity: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`hub sync` of the entity: its summary and the warnings the sync and the importer logged."""
    capsys.readouterr()
    assert cli.main(["sync", "--shop", str(SHOP), "--entity", entity, "--json"]) == 0
    captured = capsys.readouterr()
    lines = [
        line
        for line in map(_json_or_none, captured.err.splitlines())
        if line and line.get("level") == "warning" and line.get("logger") in ("hub.sync", "hub.ingest")
    ]
    return json.loads(captured.out), lines


def test_a_future_dated_order_the_hub_holds_is_not_applied_or_warned_again_on_later_runs(
    sandbox: Sandbox, shop: Config, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """Newcomer finding 15b: the demo's ODD-DATE-2206 (changed "2206-03-10") is in every run's
    change window (Shoptet lists changes at or after ``from``); it was fetched, applied and warned
    about on every 5-minute sync, filling `hub status`' recent warnings. Now a version the hub holds
    is skipped: no fetch, no write, no warning; a changed version is applied and warned about once."""
    sb = sandbox
    now = int(time.time())
    future = order_doc(sb, "ODD-DATE-2206", now, "499.00")
    future.update(creationTime="2206-03-10T10:15:00+0100", changeTime="2206-03-10T10:15:00+0100")
    sb.put(SHOP, "orders", [future], webhooks=False)
    summary, warned = all_warnings(capsys, "orders")
    assert (summary["upserted"], summary["undated"], summary.get("held", 0)) == (1, 1, 0)
    assert sorted(w["event"] for w in warned) == sorted(
        [
            "sync applies a change dated in the future; the cursor does not move for it",
            "orders dated before 2000 or more than a year ahead: kept as Shoptet has them, "
            "listed in ops.orders_date_outliers",
        ]
    )
    synced_at = admin.execute(
        "select synced_at from sales.orders where shop_id = %s and code = 'ODD-DATE-2206'", (SHOP,)
    ).fetchone()

    # later runs: the entry is listed again, but the hub holds its version
    sb.put(SHOP, "orders", [order_doc(sb, "2026000201", now - 60, "100.00")], webhooks=False)
    for _ in range(2):
        summary, warned = all_warnings(capsys, "orders")
        assert (summary.get("held", 0), summary["undated"], summary["warnings"]) == (1, 0, 0)
        assert warned == []
        assert cursor(admin, "orders")[2] is None  # ingest.sync_cursors.last_warnings
        assert summary["upserted"] == 1  # 2026000201 (read again within the overlap), not ODD-DATE-2206
    assert (
        admin.execute(
            "select synced_at from sales.orders where shop_id = %s and code = 'ODD-DATE-2206'", (SHOP,)
        ).fetchone()
        == synced_at
    )

    # changed at the source (still dated in the future): applied and warned about once
    future.update(changeTime="2206-03-11T10:15:00+0100")
    future["price"] = dict(future["price"], withVat="599.00", toPay="599.00")
    sb.put(SHOP, "orders", [future], webhooks=False)
    summary, warned = all_warnings(capsys, "orders")
    assert (summary["upserted"], summary["undated"], summary.get("held", 0)) == (2, 1, 0)  # with 2026000201 again
    assert len(warned) == 2 and all("ODD-DATE-2206" in json.dumps(w) for w in warned)
    assert order_row(admin, "ODD-DATE-2206") == (datetime(2206, 3, 11, 9, 15, tzinfo=UTC), Decimal("599.00"), False)
    summary, warned = all_warnings(capsys, "orders")
    assert (summary["upserted"], summary.get("held", 0), warned) == (1, 1, [])
