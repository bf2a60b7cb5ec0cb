"""Customer analytics: refresh the metrics (full or only what changed) and summarise them.

The work is SQL (db/functions/analytics/, explained in docs/analytics.md): this module picks the
shops, runs one transaction per shop and passes the functions' NOTICEs ("analytics: shop N:
...") to a progress callback. Used by `hub analytics` (runner/commands/analytics.py) and the
workers (runner/tasks.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from runner.errors import HubError, as_hub_error
from runner.queries import query

Progress = Callable[[str], None]


# the segments list's name for customers without a segment (runner/sql/analytics.sql segments)
NO_SEGMENT = "(none)"


class AnalyticsError(HubError):
    """An analytics command cannot run as asked (e.g. an unknown shop)."""


@dataclass(frozen=True)
class ShopRefresh:
    """What one shop's refresh did: the SQL function's summary and the wall time."""

    shop_id: int
    summary: dict[str, Any]
    seconds: float


WRITTEN_ENTITIES = ("orders", "customers")
"""Entities whose writes change customer metrics."""
INVENTORY_ENTITIES = ("orders", "products")
"""Entities whose writes change inventory figures (as runner.tasks.ANALYTICS_OF_ENTITY)."""


def after_write(conn: psycopg.Connection, shop_id: int, entity: str) -> None:
    """A snapshot import or sync run wrote the shop's ``entity``: queue the workers' refresh of the
    customers it touched (analytics.defer_refresh; the changes themselves were queued in SQL with
    the data) and of the shop's inventory figures (analytics.defer_inventory_refresh), as the
    workers' own writes do. Runs in the caller's transaction."""
    if entity in WRITTEN_ENTITIES:
        conn.execute(query("analytics.defer_refresh"), {"shop_id": shop_id})
    if entity in INVENTORY_ENTITIES:
        conn.execute(query("analytics.defer_inventory_refresh"), {"shop_id": shop_id})


def refresh_shop(conn: psycopg.Connection, shop_id: int, *, full: bool = False) -> dict[str, Any]:
    """One shop, in one transaction: a full rebuild with a new model fit (``full``), else only the
    customers queued in analytics.customer_changes (analytics.refresh_changed_customers). After a
    full rebuild, the shop's BG/NBD model is fitted again where its backtest chose it
    (fit_live, a second short transaction)."""
    with conn.transaction():
        sql = query("analytics.rebuild") if full else query("analytics.refresh_changed")
        result = conn.execute(sql, {"shop_id": shop_id}).fetchone()
    summary = dict(result[0]) if result and result[0] else {}
    if full:
        summary["bgnbd"] = fit_live(conn, shop_id)
    return summary


def fit_live(conn: psycopg.Connection, shop_id: int) -> dict[str, Any]:
    """The live BG/NBD fit of a shop whose backtest chose it (runner.backtest.fit_live_model), in
    its own transaction: {"fitted": bool, "reason": why not}."""
    from runner.backtest import fit_live_model

    with conn.transaction():
        live = fit_live_model(conn, shop_id)
    return {"fitted": live.fitted, "reason": live.reason}


def refresh(
    conn: psycopg.Connection,
    *,
    shop_id: int | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> list[ShopRefresh]:
    """Refresh one shop (``shop_id``) or every shop; returns what each refresh did. ``progress``
    gets a line per step (the SQL functions' NOTICEs and one line per shop done)."""
    return refresh_each_shop(
        conn,
        shop_id,
        lambda shop: refresh_shop(conn, shop, full=full),
        describe,
        progress,
        step="full refresh" if full else "changed customers",
        forward_notices=True,
    )


def refresh_each_shop(
    conn: psycopg.Connection,
    shop_id: int | None,
    refresh_one: Callable[[int], dict[str, Any]],
    describe_one: Callable[[dict[str, Any]], str],
    progress: Progress | None,
    *,
    step: str,
    label: str = "",
    forward_notices: bool = False,
) -> list[ShopRefresh]:
    """Run ``refresh_one(shop)`` for one shop (``shop_id``) or every shop, timing each; raises
    AnalyticsError for an unknown shop. ``progress`` gets a line before (``step``) and after
    (``label`` + ``describe_one(summary)``) each shop, and with ``forward_notices`` the SQL
    functions' NOTICEs that start with "analytics:". Shared by the customer and inventory refreshes."""
    shops = [r[0] for r in conn.execute(query("analytics.shops"), {"shop_id": shop_id}).fetchall()]
    conn.commit()
    if shop_id is not None and not shops:
        raise AnalyticsError(f"no shop {shop_id} in core.shops (hub shop list)")

    def on_notice(diag: psycopg.errors.Diagnostic) -> None:
        if progress is not None and diag.message_primary and diag.message_primary.startswith("analytics:"):
            progress(diag.message_primary.removeprefix("analytics: "))

    if forward_notices:
        conn.add_notice_handler(on_notice)
    done: list[ShopRefresh] = []
    try:
        for n, shop in enumerate(shops, 1):
            if progress is not None:
                progress(f"shop {shop} ({n}/{len(shops)}): {step}")
            started = time.perf_counter()
            summary = refresh_one(shop)
            done.append(ShopRefresh(shop, summary, time.perf_counter() - started))
            if progress is not None:
                progress(f"shop {shop}: {label}{describe_one(summary)} in {done[-1].seconds:.2f} s")
    finally:
        if forward_notices:
            conn.remove_notice_handler(on_notice)
    return done


def describe(summary: dict[str, Any]) -> str:
    """One line for a refresh summary."""
    mode = summary.get("mode")
    if mode == "none":
        return "nothing changed"
    parts = [f"{summary.get('customers', 0):,} customers"]
    if mode == "keys":
        parts.insert(0, f"{summary.get('keys', 0):,} changed")
        parts.append(f"{summary.get('rescored', 0):,} rescored")
    else:
        fitted = "BG/NBD and rhythm-v1 fitted" if summary.get("bgnbd", {}).get("fitted") else "model fitted"
        parts.insert(0, "full" + (f" ({fitted})" if summary.get("refit") else ""))
    parts += [
        f"{summary.get('inserted', 0):,} new",
        f"{summary.get('updated', 0):,} updated",
        f"{summary.get('deleted', 0):,} gone",
    ]
    return ", ".join(parts)


def show(conn: psycopg.Connection, shop_id: int, *, segment: str | None = None, limit: int = 10) -> dict[str, Any]:
    """A shop's segment sizes, its (or the segment's) top customers by CLV, and its model."""
    row = conn.execute(query("analytics.shop_exists"), {"shop_id": shop_id}).fetchone()
    if not row or not row[0]:
        raise AnalyticsError(f"no shop {shop_id} in core.shops (hub shop list)")
    params = {"shop_id": shop_id, "segment": segment, "limit": limit}
    if segment is not None and segment != NO_SEGMENT:
        try:
            with conn.transaction():
                conn.execute(query("analytics.check_segment"), params)
        except psycopg.errors.InvalidParameterValue as exc:
            raise as_hub_error(exc, AnalyticsError, "--segment") from None
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        segments = cur.execute(query("analytics.segments"), params).fetchall()
        top = cur.execute(query("analytics.top_customers"), params).fetchall()
        model = cur.execute(query("analytics.model"), params).fetchone()
        pending = cur.execute(query("analytics.pending_changes"), params).fetchone()
    return {
        "shop_id": shop_id,
        "segment": segment,
        "model": model,
        "pending_changes": pending["count"] if pending else 0,
        "segments": segments,
        "top_customers": top,
    }
