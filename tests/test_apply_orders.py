"""ingest.apply_orders through runner.shoptet.ingest: new, unchanged, updated, moved and shrunk orders."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import orjson
import psycopg

from runner.db import Target
from runner.shoptet import ingest

SHOP = 31


def order(code: str, created: str, changed: str, lines: list[tuple[int, str, str]]) -> dict[str, Any]:
    items = [
        {
            "itemId": item_id,
            "itemType": kind,
            "name": f"line {item_id}",
            "amount": "1.000",
            "itemPrice": {"withVat": price, "withoutVat": price, "vat": "0.00", "vatRate": "0.00"},
            "unitPrice": {"withVat": price, "withoutVat": price, "vat": "0.00", "vatRate": "0.00"},
        }
        for item_id, kind, price in lines
    ]
    total = sum((Decimal(p) for _, _, p in lines), Decimal("0"))
    return {
        "code": code,
        "guid": None,
        "creationTime": created,
        "changeTime": changed,
        "email": "a@b.cz",
        "status": {"id": -1, "name": "Nevyřízená"},
        "cashDeskOrder": False,
        "price": {
            "withVat": f"{total:.2f}",
            "withoutVat": f"{total:.2f}",
            "vat": "0.00",
            "toPay": f"{total:.2f}",
            "currencyCode": "CZK",
            "exchangeRate": "1.00000000",
        },
        "items": items,
    }


def apply(db: Target, *docs: dict[str, Any]) -> dict[str, Any]:
    with psycopg.connect(db.app) as conn:
        outcome = ingest.apply_documents(conn, SHOP, "orders", [orjson.dumps(d) for d in docs])
        conn.commit()
    return outcome


def lines(admin: psycopg.Connection, code: str) -> list[tuple[Any, ...]]:
    return admin.execute(
        """
        select item_id, created_at::date, total_with_vat, deleted_at is not null, archived from (
            select *, false as archived from sales.order_items
            union all
            select *, true from archive.order_items) l
        where shop_id = %s and order_code = %s order by item_id, created_at""",
        (SHOP, code),
    ).fetchall()


def test_updates_replace_lines_soft_delete_vanished_ones_and_follow_a_moved_creation_time(
    db: Target, admin: psycopg.Connection
) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'apply')", (SHOP,))
    first = order(
        "A1",
        "2026-05-29T09:02:27+0200",
        "2026-05-29T09:12:27+0200",
        [(1, "product", "100.00"), (2, "shipping", "69.00"), (3, "billing", "20.00")],
    )
    assert apply(db, first)["orders_written"] == 1
    assert apply(db, first)["orders_written"] == 0  # the same version again: nothing written

    second = copy.deepcopy(first)
    second["changeTime"] = "2026-05-30T10:00:00+0200"
    second["items"] = second["items"][:2]
    second["items"][0]["itemPrice"]["withVat"] = "120.00"
    out = apply(db, second)
    assert (out["orders_written"], out["items_written"], out["items_removed"]) == (1, 2, 1)
    assert lines(admin, "A1") == [
        (1, lines(admin, "A1")[0][1], Decimal("120.00"), False, False),
        (2, lines(admin, "A1")[0][1], Decimal("69.00"), False, False),
        (3, lines(admin, "A1")[0][1], Decimal("20.00"), True, False),
    ]

    older = copy.deepcopy(first)  # an older version arriving late changes nothing
    assert apply(db, older)["orders_written"] == 0

    # Shoptet moved the order's creation time three years back: its lines follow into the archive
    moved = copy.deepcopy(second)
    moved["creationTime"] = "2023-01-10T08:00:00+0100"
    moved["changeTime"] = "2026-06-01T10:00:00+0200"
    apply(db, moved)
    got = lines(admin, "A1")
    # every line moved with its order (the foreign key cascades the new created_at), the
    # soft-deleted line 3 too; nothing is left in the hot table or its default partition
    assert [(r[0], str(r[1]), r[3], r[4]) for r in got] == [
        (1, "2023-01-10", False, True),
        (2, "2023-01-10", False, True),
        (3, "2023-01-10", True, True),
    ]
    assert admin.execute("select count(*) from sales.order_items where shop_id = %s", (SHOP,)).fetchone() == (0,)
    assert admin.execute("select count(*) from sales.order_items_default").fetchone() == (0,)


def test_a_repeated_order_in_one_batch_counts_once_and_the_newer_wins(db: Target, admin: psycopg.Connection) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'apply')", (SHOP,))
    old = order("B1", "2026-05-29T09:02:27+0200", "2026-05-29T09:12:27+0200", [(1, "product", "10.00")])
    new = order("B1", "2026-05-29T09:02:27+0200", "2026-05-29T10:12:27+0200", [(1, "product", "15.00")])
    assert apply(db, new, old)["orders_written"] == 1
    assert admin.execute("select total_with_vat from sales.orders where code = 'B1'").fetchone() == (Decimal("15.00"),)


def test_gunzip_lines_handles_bom_crlf_blank_lines_members_and_truncation() -> None:
    import gzip

    import pytest

    from runner.shoptet.snapshots import SnapshotStreamError, gunzip_lines

    data = gzip.compress(b'\xef\xbb\xbf{"a":1}\r\n\n{"b":2}\n') + gzip.compress(b'{"c":3}')
    pieces = [data[i : i + 7] for i in range(0, len(data), 7)]
    got = list(gunzip_lines(iter(pieces), [0]))
    assert [(n, orjson.loads(line)) for n, line in got] == [(1, {"a": 1}), (3, {"b": 2}), (4, {"c": 3})]
    with pytest.raises(SnapshotStreamError, match="truncated"):
        list(gunzip_lines(iter([data[: len(data) // 2]]), [0]))
