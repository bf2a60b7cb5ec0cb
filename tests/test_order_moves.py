"""Shoptet changes an order's creation time: its lines move with it and keep their state.

Through the public path: the order is served by the sandbox Shoptet (``Sandbox.put``), listed in
its change list, and `hub sync` fetches and applies it. Lines of orders older than the two hot
years live in archive.order_items (no foreign key), newer ones in sales.order_items.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from runner import cli
from runner.config import Config
from runner.sandbox import Sandbox
from runner.shoptet.client import format_datetime
from sandbox_helpers import SHOP

CODE = "E-2023-00107"

pytestmark = [
    pytest.mark.sandbox(scale=0.0002, seed=3, webhook_retry_delay=0.5),
    pytest.mark.shop(register_webhooks=False),
]


def order(created: str, item_ids: list[int]) -> dict[str, Any]:
    """An order as GET /api/orders/{code} serves it (data.order), changed now."""
    items = [
        {
            "itemId": i,
            "itemType": "product",
            "name": f"Tričko {i}",
            "amount": "1.000",
            "itemPrice": {"withVat": "499.00", "withoutVat": "412.40", "vat": "86.60", "vatRate": "21.00"},
            "unitPrice": {"withVat": "499.00", "withoutVat": "412.40", "vat": "86.60", "vatRate": "21.00"},
        }
        for i in item_ids
    ]
    total = 499 * len(item_ids)
    return {
        "code": CODE,
        "guid": None,
        "creationTime": created,
        "changeTime": format_datetime(datetime.now(UTC).astimezone()),
        "email": "petr@example.cz",
        "status": {"id": -1, "name": "Nevyřízená"},
        "cashDeskOrder": False,
        "price": {
            "withVat": f"{total}.00",
            "withoutVat": "0.00",
            "vat": "0.00",
            "toPay": f"{total}.00",
            "currencyCode": "CZK",
            "exchangeRate": "1.00000000",
        },
        "items": items,
    }


def put_and_sync(sb: Sandbox, created: str, item_ids: list[int]) -> None:
    time.sleep(1.05)  # each version has its own changeTime second
    sb.put(SHOP, "orders", [order(created, item_ids)], webhooks=False)
    assert cli.main(["sync", "--shop", str(SHOP), "--entity", "orders"]) == 0


def lines(admin: psycopg.Connection) -> list[tuple[Any, ...]]:
    """(item_id, created_at, deleted_at, 'hot' | 'archive') of the order's lines."""
    return admin.execute(
        """
        select item_id, created_at, deleted_at, 'hot' from sales.order_items
        where shop_id = %(s)s and order_code = %(c)s
        union all
        select item_id, created_at, deleted_at, 'archive' from archive.order_items
        where shop_id = %(s)s and order_code = %(c)s
        order by 1, 2""",
        {"s": SHOP, "c": CODE},
    ).fetchall()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_moved_archived_order_keeps_its_soft_deleted_line_in_archive_and_in_hot_quarters(
    sandbox: Sandbox, shop: Config, admin: psycopg.Connection
) -> None:
    assert cli.main(["sync", "--shop", str(SHOP), "--entity", "orders"]) == 0  # the cursor starts now
    put_and_sync(sandbox, "2023-01-10T08:00:00+0100", [1, 2, 3])
    put_and_sync(sandbox, "2023-01-10T08:00:00+0100", [1, 2])  # line 3 removed at the source
    got = lines(admin)
    gone_at = got[2][2]
    assert gone_at is not None
    assert got == [
        (1, at("2023-01-10T08:00:00+01:00"), None, "archive"),
        (2, at("2023-01-10T08:00:00+01:00"), None, "archive"),
        (3, at("2023-01-10T08:00:00+01:00"), gone_at, "archive"),
    ]

    # Shoptet changes the creation time: the lines move to another archived quarter, line 3
    # still soft-deleted at the same moment
    put_and_sync(sandbox, "2023-02-15T09:30:00+0100", [1, 2])
    assert lines(admin) == [
        (1, at("2023-02-15T09:30:00+01:00"), None, "archive"),
        (2, at("2023-02-15T09:30:00+01:00"), None, "archive"),
        (3, at("2023-02-15T09:30:00+01:00"), gone_at, "archive"),
    ]

    # into a hot quarter: the lines leave the archive for sales.order_items, state kept
    put_and_sync(sandbox, "2026-04-01T00:30:00+0200", [1, 2])
    assert lines(admin) == [
        (1, at("2026-04-01T00:30:00+02:00"), None, "hot"),
        (2, at("2026-04-01T00:30:00+02:00"), None, "hot"),
        (3, at("2026-04-01T00:30:00+02:00"), gone_at, "hot"),
    ]

    # and back into the archive, where line 1 is now removed too and line 3 comes back
    put_and_sync(sandbox, "2023-03-01T12:00:00+0100", [2, 3])
    got = lines(admin)
    assert [(i, c, d is not None, w) for i, c, d, w in got] == [
        (1, at("2023-03-01T12:00:00+01:00"), True, "archive"),
        (2, at("2023-03-01T12:00:00+01:00"), False, "archive"),
        (3, at("2023-03-01T12:00:00+01:00"), False, "archive"),
    ]
    assert admin.execute("select count(*) from sales.order_items_default").fetchone() == (0,)
    order_row = admin.execute(
        "select created_at, total_with_vat from sales.orders where shop_id = %s and code = %s", (SHOP, CODE)
    ).fetchone()
    assert order_row is not None and order_row[0] == at("2023-03-01T12:00:00+01:00")
