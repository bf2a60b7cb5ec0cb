"""Issue 11's odd-but-valid inputs, all at once, as an operator meets them: a sandbox started with
``hub sandbox serve --odd-inputs``, the shop connected with ``hub shop add`` and imported with
``hub snapshot import`` (subprocesses, over HTTP), then every expected value of the issue
checked in the database. The item-by-item tests (tests/test_normalization.py,
test_date_outliers.py, test_shop_timezone.py, test_sync_odd_changes.py, ...) hold the variations."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg
import pytest

from runner.db import Target

HUB = str(Path(sys.executable).parent / "hub")
SHOP = 900101


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    """`hub sandbox serve --odd-inputs --port 0` as an operator starts it; yields its base URL."""
    proc = subprocess.Popen(
        [
            HUB,
            "sandbox",
            "serve",
            "--port",
            "0",
            "--scale",
            "0.001",
            "--job-seconds",
            "0.2",
            "--data-dir",
            str(tmp_path / "sandbox"),
            "--odd-inputs",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"Shoptet sandbox on (http://\S+)", first)
        assert found and "odd inputs" in first, first
        yield found.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def hub(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([HUB, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"hub {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def test_the_issue_examples_import_with_the_expected_values(
    sandbox_url: str, hub_env: dict[str, str], db: Target, admin: psycopg.Connection
) -> None:
    env = {**hub_env, "HUB_SHOPTET_API_URL": sandbox_url}
    hub(env, "shop", "add", "--token", f"sandbox-private-{SHOP}", "--master")
    partitions_before = admin.execute(
        "select count(*) from pg_inherits where inhparent = 'sales.order_items'::regclass"
    ).fetchone()
    hub(env, "snapshot", "import", "--shop", str(SHOP))
    jobs = admin.execute("select entity, status from ingest.snapshot_jobs order by entity").fetchall()
    assert jobs == [("customers", "completed"), ("orders", "completed"), ("products", "completed")]

    # 1. three spellings of one guest's e-mail: 3 orders found, one customer key, 1497.00
    found = admin.execute("select code from sales.email_orders_page(%s, 'petr.novak@example.cz')", (SHOP,)).fetchall()
    assert sorted(c for (c,) in found) == ["ODD-EMAIL-1", "ODD-EMAIL-2", "ODD-EMAIL-3"]
    admin.execute("select analytics.refresh_customer_metrics(%s)", (SHOP,))
    assert admin.execute(
        "select orders_count, total_spent from analytics.customer_metrics "
        "where shop_id = %s and customer_key = 'petr.novak@example.cz'",
        (SHOP,),
    ).fetchone() == (3, Decimal("1497.00"))

    # 2. an empty customerGuid is a guest order; productGuid "12345" costs only that field (with a warning)
    assert admin.execute(
        "select customer_guid from sales.orders where shop_id = %s and code = 'ODD-GUID-1'", (SHOP,)
    ).fetchone() == (None,)
    assert admin.execute(
        "select product_guid, total_with_vat from sales.order_items where shop_id = %s and order_code = 'ODD-GUID-2'",
        (SHOP,),
    ).fetchall() == [(None, Decimal("499.00"))]
    warnings = admin.execute(
        "select f.field from ingest.snapshot_failures f join ingest.snapshot_jobs j "
        "on j.id = f.job_id where j.entity = 'orders' and f.severity = 'warning'"
    ).fetchall()
    assert ("items[1].productGuid",) in warnings
    #    the upper-case customer GUID survives its own import and a re-import
    hub(env, "snapshot", "import", "--shop", str(SHOP), "--entity", "customers")
    assert admin.execute(
        "select deleted_at from sales.customers where shop_id = %s and guid = 'a1b2c3d4-5b7d-11ee-8c99-0242ac120002'",
        (SHOP,),
    ).fetchone() == (None,)

    # 3. the year 2206 costs one partition and is listed as an outlier
    partitions_after = admin.execute(
        "select count(*) from pg_inherits where inhparent = 'sales.order_items'::regclass"
    ).fetchone()
    assert partitions_before is not None and partitions_after is not None
    assert partitions_after[0] - partitions_before[0] <= 2
    assert admin.execute("select code from ops.orders_date_outliers where shop_id = %s", (SHOP,)).fetchall() == [
        ("ODD-DATE-2206",)
    ]

    # 6. 00:30 on 1 April in Prague is in Q2 for date-only bounds, not in Q1
    q2 = admin.execute(
        "select order_code, total_with_vat from sales.order_items_by_type("
        "%s, 'discount-coupon', '2026-04-01', '2026-07-01')",
        (SHOP,),
    ).fetchall()
    assert ("ODD-TZ-1", Decimal("-49.90")) in q2
    q1 = admin.execute(
        "select order_code from sales.order_items_by_type(%s, 'discount-coupon', '2026-01-01', '2026-04-01')", (SHOP,)
    ).fetchall()
    assert ("ODD-TZ-1",) not in q1

    # 8. an order code that is not a number
    assert admin.execute(
        "select total_with_vat from sales.orders where shop_id = %s and code = 'E-2025-00488'", (SHOP,)
    ).fetchone() == (Decimal("499.00"),)
    listed = hub(env, "snapshot", "list", "--shop", str(SHOP))
    assert "orders" in listed
    assert (
        httpx.get(f"{sandbox_url}/_sandbox/totals").json()["orders"]
        == admin.execute(
            "select count(*) from sales.orders where shop_id = %s and deleted_at is null", (SHOP,)
        ).fetchone()[0]
    )
