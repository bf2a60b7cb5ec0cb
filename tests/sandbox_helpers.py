"""What the tests that run the hub against the sandbox share: the shop, fast snapshot options, the
shop's client, imports, and the totals that compare the hub with the sandbox.

The fixtures that start the sandbox and connect its shop (``sandbox``, ``sandbox_cfg``, ``shop``)
are in conftest.py; this module holds the plain functions and constants they and the tests import.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import psycopg

from runner.config import Config
from runner.db import Target
from runner.sandbox import DEFAULT_SHOP, Sandbox
from runner.shoptet import snapshots
from runner.shoptet.client import RetryPolicy, ShoptetClient
from runner.shoptet.shop_client import client_for_shop

SHOP = DEFAULT_SHOP
# the `hub` command of the interpreter running the tests (the checkout's .venv)
HUB = str(Path(sys.executable).parent / "hub")
# a public URL nobody listens on: webhook deliveries to the hub fail (snapshots poll the job list)
NOWHERE = "http://127.0.0.1:9"
# snapshot imports without the production pauses: poll the job at once and often, resume at once
FAST = snapshots.Options(first_poll_seconds=0.2, watch_interval=0.05, deadline_seconds=60, resume_pause_seconds=0.05)
# retries without the production backoff
QUICK_RETRY = RetryPolicy(base_delay=0.05, max_delay=0.5)


def client_for(cfg: Config, shop: int = SHOP, **kwargs: Any) -> ShoptetClient:
    """The shop's client from its stored credentials (as workers build it), retrying quickly."""
    return client_for_shop(shop, cfg=cfg, retry=QUICK_RETRY, **kwargs)


def import_entities(
    cfg: Config, db: Target, entities: Iterable[str], shop: int = SHOP, **options: Any
) -> list[dict[str, Any]]:
    """Import the entities' snapshots one after another with one client and connection; FAST
    options, changed by ``options`` (``compare_all=True``...). The outcome of each."""
    opts = dataclasses.replace(FAST, **options)
    with client_for(cfg, shop) as client, psycopg.connect(db.app) as conn:
        return [snapshots.import_snapshot(conn, client, shop, entity, options=opts) for entity in entities]


def import_entity(cfg: Config, db: Target, entity: str, shop: int = SHOP, **options: Any) -> dict[str, Any]:
    """Import one entity's snapshot (see import_entities); its outcome."""
    return import_entities(cfg, db, [entity], shop, **options)[0]


TOTALS = (
    "orders",
    "order_items",
    "order_items_of_live_orders",
    "orders_total_with_vat",
    "customers",
    "products",
    "variants",
    "repeated_lines",
)


def hub_totals(admin: psycopg.Connection, shop: int = SHOP) -> dict[str, Any]:
    """What the hub holds of a shop (deleted rows left out), keyed as sandbox_totals: compare the two
    with ==. Order lines are counted on their own and as lines of orders not deleted (both must be
    what the sandbox holds); the sum of the orders is text (numeric, two decimals) as the sandbox
    writes it; repeated_lines counts (order, line) pairs held more than once, deleted or not."""
    # the CTEs are materialized so that lines and orders meet in a hash join: right after an import
    # the statistics are stale and a nested loop over every partition takes seconds
    row = admin.execute(
        """
        with live_orders as materialized (
                 select code from sales.orders where shop_id = %(s)s and deleted_at is null),
             live_lines as materialized (
                 select order_code from sales.order_items_all where shop_id = %(s)s and deleted_at is null)
        select (select count(*) from live_orders),
               (select count(*) from live_lines),
               (select count(*) from live_lines l join live_orders o on o.code = l.order_code),
               (select coalesce(sum(total_with_vat), 0.00)::text from sales.orders
                 where shop_id = %(s)s and deleted_at is null),
               (select count(*) from sales.customers where shop_id = %(s)s and deleted_at is null),
               (select count(*) from catalog.products where shop_id = %(s)s and deleted_at is null),
               (select count(*) from catalog.variants where shop_id = %(s)s and deleted_at is null),
               (select count(*) from (select 1 from sales.order_items_all where shop_id = %(s)s
                                      group by order_code, item_id having count(*) > 1) d)
        """,
        {"s": shop},
    ).fetchone()
    assert row is not None
    return dict(zip(TOTALS, row, strict=True))


def sandbox_totals(box: Sandbox, shop: int = SHOP) -> dict[str, Any]:
    """What the sandbox holds of a shop now (deleted entities left out), keyed as hub_totals."""
    t = box.totals(shop)
    return {
        "orders": t["orders"],
        "order_items": t["order_items"],
        "order_items_of_live_orders": t["order_items"],
        "orders_total_with_vat": t["orders_total_with_vat"],
        "customers": t["customers"],
        "products": t["products"],
        "variants": t["variants"],
        "repeated_lines": 0,
    }
