"""What the merchant-page tests share (tests/test_dashboard_merchant.py and
tests/test_dashboard_browser_merchant.py): a registered customer with a long order history, part
of it on one created_at (ties the keyset must break by code), each order with one line."""

from __future__ import annotations

import psycopg

HISTORY_GUID = "00000000-0000-4000-8000-00000000beef"
HISTORY_EMAIL = "long.history@example.com"
HISTORY_NAME = "Zdeňka Dlouhá"
HISTORY_ORDERS = 123  # more than two pages of 50; 40 of them share one created_at


def add_long_history(conn: psycopg.Connection, shop_id: int) -> list[str]:
    """Add the customer and their orders to the shop; their order codes newest first (created_at
    desc, code desc: the order of the dashboard's order history)."""
    params = {"shop": shop_id, "guid": HISTORY_GUID, "email": HISTORY_EMAIL, "name": HISTORY_NAME}
    conn.execute(
        "insert into sales.customers (shop_id, guid, email, full_name, created_at, changed_at) "
        "values (%(shop)s, %(guid)s, %(email)s, %(name)s, now(), now())",
        params,
    )
    conn.execute(
        "insert into sales.orders (shop_id, code, created_at, changed_at, status_id, status_name, email,"
        " customer_guid, total_with_vat, currency, exchange_rate) "
        "select %(shop)s, 'H-' || lpad(g::text, 4, '0'),"
        " case when g <= 40 then date_trunc('day', now()) - interval '30 days'"
        "      else date_trunc('day', now()) - interval '30 days' - g * interval '1 day' end,"
        " now(), -1, 'new', %(email)s, %(guid)s, 100 + g, 'CZK', 1 "
        "from generate_series(1, %(n)s) g",
        {**params, "n": HISTORY_ORDERS},
    )
    conn.execute(
        "insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type, code, name,"
        " amount, unit_price_with_vat, total_with_vat) "
        "select shop_id, code, 1, created_at, 'product', 'HIST-SKU', 'A long-history product', 2, 50, 100 "
        "from sales.orders where shop_id = %(shop)s and customer_guid = %(guid)s",
        params,
    )
    return [
        code
        for (code,) in conn.execute(
            "select code from sales.orders where shop_id = %(shop)s and customer_guid = %(guid)s "
            "order by created_at desc, code desc",
            params,
        )
    ]
