"""The sync lag the overview, `hub status` and /metrics show (newcomer finding 15a): counted from
what the data really is -- the start of the last sync run that read the change list to its end,
or of the newest full snapshot import -- not from the cursor, which trails by the 10-minute
overlap; and it says which. Customers and products, synced every 2 hours, show their snapshot's
time after a first import instead of "never"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from starlette.testclient import TestClient

from dashboard_helpers import set_password, sign_in
from runner import cli, status
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.web import create_app
from sandbox_helpers import NOWHERE, SHOP, import_entity

pytestmark = [pytest.mark.sandbox(scale=0.000001), pytest.mark.shop(env={"HUB_PUBLIC_URL": NOWHERE})]


def lag_of(admin: psycopg.Connection, entity: str) -> tuple[timedelta, str, datetime | None, bool, bool]:
    row = admin.execute(
        "select lag, lag_from, synced_until, never_synced, lagging from ops.sync_lag "
        "where shop_id = %s and entity = %s",
        (SHOP, entity),
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2], row[3], row[4]


def overview_row(db: Target, hub_env: dict[str, str], entity: str) -> str:
    """The overview's Sync row of the entity (HTML of one table row)."""
    set_password(db.app, hub_env["HUB_SECRET_KEY"])
    with TestClient(create_app(Config.from_env(), db)) as client:
        sign_in(client)
        page = client.get("/", headers={"accept": "text/html"}).text
    sync_table = page[page.index("Changes read up to") :]  # the Sync table comes before Last snapshot
    rows = [r for r in re.split(r"<tr", sync_table) if f"<td>{entity}</td>" in r]
    assert rows, page
    return rows[0]


def test_the_lag_counts_from_the_last_runs_start_not_from_the_cursor_and_says_so(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    # before anything: counted from when the shop was added, and said so
    lag, lag_from, until, never, _ = lag_of(admin, "orders")
    assert (lag_from, until, never) == ("shop added", None, True)
    assert "not synced yet" in overview_row(db, hub_env, "orders")

    before = datetime.now(UTC)
    assert cli.main(["sync", "--shop", str(SHOP), "--entity", "orders"]) == 0
    lag, lag_from, until, never, lagging = lag_of(admin, "orders")
    assert lag_from == "sync run" and not never and not lagging
    assert until is not None and before - timedelta(seconds=1) <= until <= datetime.now(UTC)
    assert lag < timedelta(minutes=1)  # the cursor's lag was 10 minutes at least: it trails by the overlap
    cursor = admin.execute(
        "select cursor_at from ingest.sync_cursors where shop_id = %s and entity = 'orders'", (SHOP,)
    ).fetchone()
    assert cursor is not None and until - cursor[0] >= timedelta(minutes=10) - timedelta(seconds=1)
    row = overview_row(db, hub_env, "orders")
    assert "start of the last sync run" in row and "never" not in row and "ok" in row

    # `hub status` and /metrics read the same view
    report = status.collect(db)
    (orders,) = [s for s in report["syncs"] if s["shop_id"] == SHOP and s["entity"] == "orders"]
    assert orders["lag_from"] == "sync run" and orders["lag_seconds"] < 60

    # a run that fails keeps the last good one's time
    admin.execute("select ingest.sync_cursor_finish(%s, 'orders', 'boom', null, null)", (SHOP,))
    assert lag_of(admin, "orders")[2] == until


def test_after_a_snapshot_import_customers_show_its_time_not_never(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    """Customers and products are synced every 2 hours: after `make demo`'s import they have no sync
    run yet, and the overview said "never" with state ok. Their data is the snapshot's."""
    before = datetime.now(UTC)
    import_entity(shop, db, "customers")
    lag, lag_from, until, never, lagging = lag_of(admin, "customers")
    assert (lag_from, never, lagging) == ("snapshot import", True, False)
    assert until is not None and until >= before - timedelta(seconds=1) and lag < timedelta(minutes=1)
    row = overview_row(db, hub_env, "customers")
    assert "start of the last snapshot import" in row and "never" not in row
    (customers,) = [s for s in status.collect(db)["syncs"] if s["shop_id"] == SHOP and s["entity"] == "customers"]
    assert status._sync_state(customers) == "ok (snapshot only)"
