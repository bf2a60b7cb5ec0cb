"""Frequently bought together: recompute the per-shop product pair statistics that
analytics.frequently_bought_together and analytics.customer_recommendations read
(analytics.refresh_product_pairs, docs/analytics.md). Used by `hub analytics pairs` and the daily
worker job (runner/tasks.py). Queries in runner/sql/recommendations.sql.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg

from runner.errors import HubError, as_hub_error
from runner.queries import query


class RecommendationsError(HubError):
    """The pair statistics cannot be refreshed as asked (an unknown shop, a bad threshold)."""


def refresh_pairs(
    conn: psycopg.Connection,
    *,
    shop_id: int | None = None,
    min_support: Decimal | None = None,
    min_orders: int | None = None,
    days: int | None = None,
) -> list[dict[str, Any]]:
    """Refresh one shop or every shop, one transaction per shop; the runs' rows (baskets, products,
    pairs kept, thresholds, duration). Thresholds left None come from the shop's settings."""
    shops = [r[0] for r in conn.execute(query("recommendations.shops"), {"shop_id": shop_id}).fetchall()]
    conn.commit()
    if shop_id is not None and not shops:
        raise RecommendationsError(f"no shop {shop_id} in core.shops (hub shop list)")
    runs: list[dict[str, Any]] = []
    for shop in shops:
        params = {"shop_id": shop, "min_support": min_support, "min_orders": min_orders, "days": days}
        try:
            with conn.transaction():
                cur = conn.execute(query("recommendations.refresh_pairs"), params)
                row = cur.fetchone()
        except psycopg.errors.InvalidParameterValue as exc:
            raise as_hub_error(exc, RecommendationsError, f"shop {shop}") from None
        columns = [c.name for c in cur.description or ()]
        runs.append(dict(zip(columns, row or (), strict=True)))
    return runs
