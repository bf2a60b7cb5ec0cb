"""Statistics after imports (newcomer finding 14): a snapshot import and a sync that wrote many rows
leave the tables they wrote analyzed (ingest.analyze_written), the first load's direct COPY
included, and the Database page shows a partitioned table's estimate as the sum of its partitions."""

from __future__ import annotations

import copy
import time
import uuid

import psycopg
import pytest
from starlette.testclient import TestClient

from dashboard_helpers import set_password, sign_in
from runner import cli
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.sandbox.formats import fmt_dt
from runner.web import create_app
from sandbox_helpers import NOWHERE, SHOP, import_entity

pytestmark = pytest.mark.shop(env={"HUB_PUBLIC_URL": NOWHERE})


def leaf_estimates(admin: psycopg.Connection) -> list[tuple[str, float, int]]:
    """(partition, reltuples, rows) of every order-item partition that holds rows."""
    rows = []
    for parent in ("sales.order_items", "archive.order_items"):
        for (leaf,) in admin.execute(
            "select relid::regclass::text from pg_partition_tree(%s::regclass) where isleaf", (parent,)
        ).fetchall():
            count = admin.execute(f"select count(*) from {leaf}").fetchone()
            reltuples = admin.execute("select reltuples from pg_class where oid = %s::regclass", (leaf,)).fetchone()
            assert count is not None and reltuples is not None
            if count[0]:
                rows.append((leaf, float(reltuples[0]), int(count[0])))
    return rows


def estimate(admin: psycopg.Connection, schema: str, table: str) -> tuple[int, str]:
    row = admin.execute(
        "select estimated_rows, estimate_from from ops.table_sizes where schema_name = %s and table_name = %s",
        (schema, table),
    ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


@pytest.mark.sandbox(scale=0.002)
def test_a_first_snapshot_import_leaves_orders_and_every_written_partition_analyzed(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    outcome = import_entity(shop, db, "orders")
    assert outcome["status"] == "completed"
    lines = admin.execute("select count(*) from sales.order_items").fetchone()
    archived = admin.execute("select count(*) from archive.order_items").fetchone()
    orders = admin.execute("select count(*) from sales.orders").fetchone()
    assert lines and archived and orders and lines[0] > 0 and archived[0] > 0
    # the direct COPY of a first load went past the apply functions: still, every partition written
    # is analyzed (small ones read whole: the estimate is the count)
    partitions = leaf_estimates(admin)
    assert partitions and all(reltuples == count for _, reltuples, count in partitions), partitions
    assert estimate(admin, "sales", "orders") == (orders[0], "statistics")
    # a partitioned table: the sum of its partitions, and said so
    assert estimate(admin, "sales", "order_items") == (lines[0], "sum of partitions")
    assert estimate(admin, "archive", "order_items") == (archived[0], "sum of partitions")
    # the parent itself was analyzed once (autovacuum never does): the planner's inherited statistics
    parent = admin.execute("select reltuples from pg_class where oid = 'sales.order_items'::regclass").fetchone()
    assert parent is not None and parent[0] == lines[0]
    assert outcome["analyzed"] > 0

    set_password(db.app, hub_env["HUB_SECRET_KEY"])
    with TestClient(create_app(Config.from_env(), db)) as client:
        sign_in(client)
        page = client.get("/database", headers={"accept": "text/html"}).text
    row = next(r for r in page.split("<tr>") if "<td>sales.order_items</td>" in r)
    assert f"{lines[0]:,}".replace(",", "\u00a0") in row or f"{lines[0]:,}" in row or str(lines[0]) in row, row
    assert "estimate: sum of partitions" in row and "Rows (estimate)" in page

    # importing the same file again writes nothing: nothing is analyzed again
    assert import_entity(shop, db, "orders").get("analyzed") == 0


@pytest.mark.sandbox(scale=0.000001)
def test_a_sync_that_wrote_many_orders_leaves_them_analyzed(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    import_entity(shop, db, "orders")  # one order
    admin.execute("analyze sales.orders, sales.order_items")  # the sync is what this test is about
    assert estimate(admin, "sales", "orders") == (1, "statistics")
    now = int(time.time())
    template = sandbox.shop(SHOP).data.order(0)
    docs = []
    for n in range(60):
        doc = copy.deepcopy(template)
        code = f"2026{n:06d}"
        doc.update(
            code=code,
            guid=str(uuid.uuid5(uuid.NAMESPACE_URL, code)),
            creationTime=fmt_dt(now - 60),
            changeTime=fmt_dt(now - 60),
        )
        docs.append(doc)
    sandbox.put(SHOP, "orders", docs, webhooks=False)
    assert cli.main(["sync", "--shop", str(SHOP), "--entity", "orders"]) == 0
    assert estimate(admin, "sales", "orders") == (61, "statistics")
    written = admin.execute(
        "select sum(reltuples)::bigint, count(*) from pg_class where oid in "
        "(select relid from pg_partition_tree('sales.order_items') where isleaf) and reltuples > 0"
    ).fetchone()
    lines = admin.execute("select count(*) from sales.order_items").fetchone()
    assert written is not None and lines is not None and written[0] == lines[0]
