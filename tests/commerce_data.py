"""Small, fast, deterministic commerce data for tests, made server-side with generate_series."""

from __future__ import annotations

import psycopg

FILL = """
insert into core.shops (shop_id, name, is_master) values (%(shop)s, 'Test shop ' || %(shop)s, false)
on conflict do nothing;

select ops.ensure_partitions(now() - interval '3 years', now());

insert into sales.customers (shop_id, guid, email, created_at, changed_at)
select %(shop)s, md5('c' || %(shop)s || '-' || g)::uuid, 'Customer' || g || '@Example.com',
       now() - (g % 1000) * interval '1 day', now()
from generate_series(1, %(customers)s) g;

insert into sales.orders (shop_id, code, created_at, changed_at, status_id, status_name, email,
                          customer_guid, total_with_vat, total_without_vat, currency, exchange_rate)
select %(shop)s, lpad(g::text, 10, '0'),
       -- whole days over ~2.5 years: many orders share a created_at (ties)
       date_trunc('day', now()) - ((g * 7919) % 900) * interval '1 day',
       now(), -1 - (g % 4), 'status ' || (g % 4),
       case when g % 3 = 0 then ' Guest' || g || '@example.com '
            else 'customer' || (g % %(customers)s + 1) || '@example.com' end,
       case when g % 3 = 0 then null else md5('c' || %(shop)s || '-' || (g % %(customers)s + 1))::uuid end,
       (g % 5000) + 0.99, ((g % 5000) + 0.99) / 1.21, case when g % 7 = 0 then 'EUR' else 'CZK' end,
       case when g % 7 = 0 then 25.0 else 1.0 end
from generate_series(1, %(orders)s) g;

insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type, code, name, amount,
                               unit_price_with_vat, total_with_vat)
select o.shop_id, o.code, i, o.created_at,
       (array['product', 'product', 'product', 'shipping', 'billing', 'discount-coupon'])[i],
       case when i <= 3 then 'SKU-' || ((o.code::bigint * i) % 500) end, 'line ' || i, 1, 10, 10
from sales.orders o, generate_series(1, 6) i
where o.shop_id = %(shop)s and (i <= 5 or o.code::bigint % 6 = 0);

analyze sales.customers;
analyze sales.orders;
analyze sales.order_items;
"""


def fill(conn: psycopg.Connection, *, shop: int = 1, orders: int = 3000, customers: int = 500) -> None:
    """A shop with customers, orders (a third guests, many tied timestamps) and 5-6 lines per order."""
    for statement in FILL.split(";\n"):
        if statement.strip():
            conn.execute(statement.replace(" % ", " %% "), {"shop": shop, "orders": orders, "customers": customers})
