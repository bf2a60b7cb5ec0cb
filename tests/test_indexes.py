"""Each named lookup uses its index (plans of the functions' own queries, via auto_explain)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from commerce_data import fill


@pytest.fixture(scope="module")
def planned(postgresql_noproc: Any) -> Iterator[psycopg.Connection]:
    """One database for the module, filled once with enough rows for the planner to prefer indexes."""
    import psycopg.conninfo
    from pytest_postgresql.janitor import DatabaseJanitor

    proc = postgresql_noproc
    janitor = DatabaseJanitor(
        user=proc.user,
        host=proc.host,
        port=proc.port,
        dbname="hub_test_plans",
        template_dbname=proc.template_dbname,
        password=proc.password,
    )
    with janitor:
        conninfo = psycopg.conninfo.make_conninfo(
            host=proc.host, port=str(proc.port), user=proc.user, dbname="hub_test_plans"
        )
        with psycopg.connect(conninfo, autocommit=True) as conn:
            fill(conn, shop=1, orders=40000, customers=4000)
            fill(conn, shop=2, orders=4000, customers=400)
            conn.execute(
                "insert into catalog.products (shop_id, guid, name) select s, md5('p' || g)::uuid, 'P' || g "
                "from generate_series(1, 2) s, generate_series(1, 3000) g"
            )
            conn.execute(
                "insert into catalog.variants (shop_id, code, product_guid) select s, 'SKU-' || g || '-' || v, "
                "md5('p' || g)::uuid from generate_series(1, 2) s, generate_series(1, 3000) g, generate_series(1, 3) v"
            )
            conn.execute("select analytics.refresh_customer_metrics()")
            conn.execute("analyze")
            conn.execute("load 'auto_explain'")
            conn.execute("set auto_explain.log_min_duration = 0")
            conn.execute("set auto_explain.log_nested_statements = on")
            conn.execute("set auto_explain.log_format = 'json'")
            conn.execute("set auto_explain.log_analyze = on")
            conn.execute("set auto_explain.log_level = 'notice'")
            conn.execute("set client_min_messages = 'notice'")
            yield conn


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def plans_of(conn: psycopg.Connection, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    """The plan nodes of every statement run by `sql`, nested ones (inside functions) included."""
    notices: list[str] = []
    handler = lambda diag: notices.append(diag.message_primary or "")  # noqa: E731
    conn.add_notice_handler(handler)
    try:
        conn.execute(sql, params).fetchall()
    finally:
        conn.remove_notice_handler(handler)
    nodes: list[dict[str, Any]] = []
    for text in notices:
        if "{" in text:
            doc = json.loads(text[text.index("{") :])
            nodes.extend(_nodes(doc["Plan"]))
    return nodes


def _indexes_used(nodes: list[dict[str, Any]]) -> set[str]:
    return {n["Index Name"] for n in nodes if "Index Name" in n}


def _customer(conn: psycopg.Connection) -> str:
    return conn.execute(
        "select customer_guid from sales.orders where shop_id = 1 and customer_guid is not null limit 1"
    ).fetchone()[0]


@pytest.mark.parametrize(
    "sql, params, index",
    [
        ("select * from sales.customer_orders_page(1, %s)", "customer", "orders_customer_history"),
        ("select * from sales.email_orders_page(1, ' GUEST3@example.com')", (), "orders_email_history"),
        ("select * from sales.customer_by_email(1, 'CUSTOMER17@example.com ')", (), "customers_shop_email"),
        (
            "select * from sales.orders_by_status_page(1, -2, now() - interval '30 days', now())",
            (),
            "orders_shop_status_created",
        ),
        (
            "select * from sales.customers_created_page(1, now() - interval '3 days', now())",
            (),
            "customers_shop_created",
        ),
        ("select * from catalog.product_variants(1, md5('p17')::uuid)", (), "variants_product_code"),
        ("select * from catalog.variants_by_code('SKU-17-2')", (), "variants_code"),
        ("select * from analytics.top_customers(1, 50)", (), "customer_metrics_shop_spent"),
        ("select * from analytics.top_customers(1, 50, 'orders')", (), "customer_metrics_shop_orders"),
    ],
)
def test_lookup_uses_its_index(planned: psycopg.Connection, sql: str, params: Any, index: str) -> None:
    args = (_customer(planned),) if params == "customer" else params
    used = _indexes_used(plans_of(planned, sql, args))
    assert index in used, f"{sql} used {used or 'no index'}"


def test_items_by_type_in_a_quarter_prunes_partitions_and_uses_the_type_index(planned: psycopg.Connection) -> None:
    nodes = plans_of(
        planned,
        "select * from sales.order_items_by_type(1, 'discount-coupon', "
        "date_trunc('quarter', now()) - interval '3 months', date_trunc('quarter', now()))",
    )
    scanned = {n.get("Relation Name") for n in nodes if n.get("Relation Name", "").startswith("order_items_p")}
    assert len(scanned) == 1, scanned  # one quarter of the hot table
    assert any(
        name.startswith("order_items_p") and "shop_id_item_type" in name or "type_created" in name
        for name in _indexes_used(nodes)
    ), _indexes_used(nodes)


def test_items_of_an_order_read_one_partition(planned: psycopg.Connection) -> None:
    nodes = plans_of(planned, "select * from sales.order_items_of(1, '0000000006')")
    scans = [
        n
        for n in nodes
        if n.get("Node Type") in ("Index Scan", "Index Only Scan", "Seq Scan", "Bitmap Heap Scan")
        and n.get("Relation Name", "").startswith("order_items_p")
        and not n.get("Subplans Removed")
    ]
    executed = [n for n in scans if n["Actual Loops"] > 0]
    assert len(executed) == 1 and executed[0]["Node Type"] != "Seq Scan", [
        (n["Node Type"], n.get("Relation Name")) for n in executed
    ]
