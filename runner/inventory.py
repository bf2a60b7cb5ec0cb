"""Inventory analytics: bring the stored demand of a shop's variants up to date and read what to
order. The work is SQL (db/functions/analytics/refresh_variant_metrics.sql and the view
analytics.variant_metrics, explained in docs/analytics.md); this module picks the shops, runs one
transaction per shop and reports. Used by `hub analytics refresh` and `hub analytics reorder`
(runner/commands/analytics.py); the workers call the same SQL (runner/tasks.py).
"""

from __future__ import annotations

from typing import Any

import psycopg

from runner.analytics import AnalyticsError, Progress, ShopRefresh, refresh_each_shop
from runner.queries import query


def refresh_shop(conn: psycopg.Connection, shop_id: int, *, full: bool = False) -> dict[str, Any]:
    """One shop, in one transaction: every variant (``full``), else the variants of the orders
    written since the last refresh (a full pass anyway on a new local day)."""
    with conn.transaction():
        row = conn.execute(query("inventory.refresh"), {"shop_id": shop_id, "full": full}).fetchone()
    return dict(row[0]) if row and row[0] else {}


def refresh(
    conn: psycopg.Connection,
    *,
    shop_id: int | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> list[ShopRefresh]:
    """Refresh the inventory demand of one shop (``shop_id``) or of every shop; ``progress`` gets
    a line before and after each shop."""
    return refresh_each_shop(
        conn,
        shop_id,
        lambda shop: refresh_shop(conn, shop, full=full),
        describe,
        progress,
        step=f"inventory, {'every variant' if full else 'changed variants'}",
        label="inventory ",
    )


def describe(summary: dict[str, Any]) -> str:
    """One line for what analytics.refresh_variant_metrics returned."""
    mode = str(summary.get("mode", "?"))
    if summary.get("reason"):
        mode += f" ({summary['reason']})"
    return (
        f"{mode} as of {summary.get('as_of')}: {summary.get('variants', 0):,} variants, "
        f"{summary.get('recomputed', 0):,} recomputed, {summary.get('written', 0):,} changed, "
        f"{summary.get('deleted', 0):,} gone"
    )


def reorder(conn: psycopg.Connection, shop_id: int, *, limit: int = 20) -> dict[str, Any]:
    """A shop's purchase recommendations (most urgent first), counts, and its anomalies."""
    row = conn.execute(query("analytics.shop_exists"), {"shop_id": shop_id}).fetchone()
    if not row or not row[0]:
        raise AnalyticsError(f"no shop {shop_id} in core.shops (hub shop list)")
    params = {"shop_id": shop_id, "limit": limit}
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        state = cur.execute(query("inventory.state"), params).fetchone()
        summary = cur.execute(query("inventory.summary"), params).fetchone()
        recommendations = cur.execute(query("inventory.recommendations"), params).fetchall()
        anomalies = cur.execute(query("inventory.anomalies"), params).fetchall()
    return {
        "shop_id": shop_id,
        "state": state,
        "summary": summary,
        "recommendations": recommendations,
        "anomalies": anomalies,
    }
