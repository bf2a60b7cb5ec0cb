"""Search a shop's customers, orders and products (issue 16): one call of the SQL search function
of the kind (sales.search_customers, sales.search_orders, catalog.search_products; ranking and
matching are theirs, see docs/search.md). Used by `hub search`."""

from __future__ import annotations

from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row

from runner.errors import HubError
from runner.queries import query

Kind = Literal["customers", "orders", "products"]
KINDS: tuple[Kind, ...] = ("customers", "orders", "products")


def _query(kind: Kind) -> str:
    """The named query of a kind (literal names, so tests/test_named_queries.py sees each use)."""
    if kind == "customers":
        return query("search.customers")
    if kind == "orders":
        return query("search.orders")
    return query("search.products")


MAX_LIMIT = 1000


class SearchError(HubError):
    """A search cannot run as asked: an unknown shop, a blank query, a limit out of range."""


def search(conn: psycopg.Connection, kind: Kind, shop_id: int, q: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """The rows of ``kind`` in shop ``shop_id`` matching ``q``, best first, at most ``limit``."""
    if kind not in KINDS:
        raise SearchError(f"unknown search kind {kind!r} (expected one of {', '.join(KINDS)})")
    if not q.strip():
        raise SearchError(f"search {kind} in shop {shop_id}: the query is empty")
    bad = next((i for i, ch in enumerate(q) if "\udc80" <= ch <= "\udcff"), None)
    if bad is not None:
        # bytes of the command line that are not UTF-8 reach Python as lone surrogates, which the
        # database driver cannot send
        raise SearchError(
            f"search {kind} in shop {shop_id}: the query is not UTF-8 text (byte 0x{ord(q[bad]) - 0xDC00:02x} "
            f"at character {bad + 1}); set the terminal to UTF-8 (LANG=C.UTF-8)"
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise SearchError(f"search {kind} in shop {shop_id}: --limit must be 1 .. {MAX_LIMIT}, got {limit}")
    row = conn.execute(query("search.shop_exists"), {"shop_id": shop_id}).fetchone()
    if not row or not row[0]:
        raise SearchError(f"no shop {shop_id} in core.shops (hub shop list)")
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(_query(kind), {"shop_id": shop_id, "q": q, "limit": limit}).fetchall()
