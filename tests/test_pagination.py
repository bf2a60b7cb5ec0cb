"""Keyset pagination: every row exactly once across pages, even with tied timestamps."""

from __future__ import annotations

import psycopg
import pytest

from commerce_data import fill


@pytest.fixture
def shop(admin: psycopg.Connection) -> int:
    fill(admin, shop=1, orders=3000, customers=200)
    return 1


def _walk(conn: psycopg.Connection, sql: str, args: tuple, key: slice, limit: int) -> list[tuple]:
    """Call a page function until it returns a short page; the cursor is the last row's key columns."""
    seen: list[tuple] = []
    cursor: tuple = (None,) * (key.stop - key.start)
    while True:
        page = conn.execute(sql, (*args, *cursor, limit)).fetchall()
        seen.extend(page)
        if len(page) < limit:
            return seen
        cursor = page[-1][key]


def test_customer_history_pages_return_every_order_once_despite_ties(app: psycopg.Connection, shop: int) -> None:
    guid = app.execute(
        "select customer_guid from sales.orders where customer_guid is not null "
        "group by 1 order by count(*) desc limit 1"
    ).fetchone()[0]
    expected = app.execute(
        "select code from sales.orders where shop_id = 1 and customer_guid = %s order by created_at desc, code desc",
        (guid,),
    ).fetchall()
    ties = app.execute(
        "select count(*) - count(distinct created_at) from sales.orders where customer_guid = %s", (guid,)
    ).fetchone()[0]
    assert ties > 0, "the data must have tied timestamps to prove anything"
    rows = _walk(
        app,
        "select created_at, code from sales.customer_orders_page(%s, %s, %s, %s, %s)",
        (shop, guid),
        slice(0, 2),
        limit=3,
    )
    assert [(r[1],) for r in rows] == expected


def test_orders_by_status_pages_cover_the_range_exactly(app: psycopg.Connection, shop: int) -> None:
    rng = ("2020-01-01", "2100-01-01")
    expected = app.execute(
        "select code from sales.orders where shop_id = 1 and status_id = -2 "
        "and created_at >= %s and created_at < %s order by created_at desc, code desc",
        rng,
    ).fetchall()
    rows = _walk(
        app,
        "select created_at, code from sales.orders_by_status_page(%s, %s, %s, %s, %s, %s, %s)",
        (shop, -2, *rng),
        slice(0, 2),
        limit=50,
    )
    assert [(r[1],) for r in rows] == expected and len(expected) > 500


def test_email_history_includes_guest_orders_case_and_space_insensitive(app: psycopg.Connection, shop: int) -> None:
    rows = app.execute("select code, email from sales.email_orders_page(1, %s)", ("  GUEST3@EXAMPLE.COM",)).fetchall()
    assert rows == [("0000000003", " Guest3@example.com ")]


def test_customer_lookup_by_email_ignores_case_and_spaces(app: psycopg.Connection, shop: int) -> None:
    rows = app.execute(
        "select guid, email from sales.customer_by_email(1, %s)", (" customer17@EXAMPLE.com ",)
    ).fetchall()
    assert len(rows) == 1 and rows[0][1] == "Customer17@Example.com"
    assert app.execute("select * from sales.customer_by_email(1, 'nobody@example.com')").fetchall() == []


def test_customer_email_is_unique_per_shop_case_insensitively(app: psycopg.Connection, shop: int) -> None:
    with pytest.raises(psycopg.errors.UniqueViolation):
        app.execute(
            "insert into sales.customers (shop_id, guid, email) "
            "values (1, gen_random_uuid(), ' CUSTOMER17@example.COM')"
        )


def test_customers_and_items_pages(app: psycopg.Connection, shop: int) -> None:
    rows = _walk(app, "select guid from sales.customers_page(%s, %s, %s)", (shop,), slice(0, 1), limit=7)
    assert len(rows) == 200 and len({r[0] for r in rows}) == 200
    created = _walk(
        app,
        "select created_at, guid from sales.customers_created_page(%s, %s, %s, %s, %s, %s)",
        (shop, "2000-01-01", "2100-01-01"),
        slice(0, 2),
        limit=9,
    )
    assert len(created) == 200 and len({r[1] for r in created}) == 200
    items = app.execute("select item_id, item_type from sales.order_items_of(1, '0000000006')").fetchall()
    assert [i[0] for i in items] == [1, 2, 3, 4, 5, 6] and items[5][1] == "discount-coupon"


def test_order_items_by_type_pages_every_line_once(app: psycopg.Connection, shop: int) -> None:
    expected = app.execute("select count(*) from sales.order_items where item_type = 'shipping'").fetchone()[0]
    seen: list[tuple] = []
    cursor: tuple = (None, None, None)
    while True:
        page = app.execute(
            "select created_at, order_code, item_id from sales.order_items_by_type(1, 'shipping', "
            "'2000-01-01', '2100-01-01', 250, %s, %s, %s)",
            cursor,
        ).fetchall()
        seen.extend(page)
        if len(page) < 250:
            break
        cursor = page[-1]
    assert len(seen) == expected == 3000 and len(set(seen)) == expected
