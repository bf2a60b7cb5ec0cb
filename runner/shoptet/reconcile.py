"""Reconciliation of webhook deliveries against Shoptet's delivery log (hourly).

Shoptet tries a webhook 3 times (15 minutes apart) and then gives up: the notification ends
``failed`` in ``GET /api/webhooks/notifications`` (kept 7 days). An hour when `hub serve` was
down, or a delivery whose 200 never reached Shoptet, would otherwise be lost. For each active
shop this reads the failed notifications and every recent one (``RECENT``), and passes each
delivery the hub has not recorded through the same path the web endpoint uses,
``ingest.webhook_accept()``: the event row and its job commit together, and a delivery the hub
already has (same shop, event, instance, eventCreated) changes nothing -- so a replay happens
exactly once, however often reconciliation runs or Shoptet retries later.

HTTP first, then one short transaction per shop.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from runner.errors import summarize
from runner.logs import log
from runner.queries import query
from runner.shoptet.client import ShoptetClient, parse_datetime

logger = logging.getLogger("hub.reconcile")

NOTIFICATIONS = "/api/webhooks/notifications"
RECENT = timedelta(hours=3)  # every notification this recent is checked, whatever its status
PAGE_SIZE = 500  # the documented maximum


def missed_deliveries(
    client: ShoptetClient, shop_id: int, *, recent: timedelta = RECENT, now: datetime | None = None
) -> list[tuple[str, str, datetime]]:
    """(event, eventInstance, eventCreated) of the shop's failed and recent notifications, distinct."""
    since = (now or datetime.now(UTC)) - recent
    found: dict[tuple[str, str, datetime], None] = {}
    seen_ids: set[Any] = set()
    for params in ({"status": "failed"}, {"from": since}):
        for page in client.iter_pages(NOTIFICATIONS, "notifications", params, items_per_page=PAGE_SIZE):
            for note in page:
                if note.get("id") in seen_ids:
                    continue
                seen_ids.add(note.get("id"))
                data = note.get("data") or {}
                if data.get("eshopId") not in (None, shop_id):
                    continue
                event, instance = data.get("event") or note.get("event"), data.get("eventInstance")
                created = parse_datetime(data.get("eventCreated") or note.get("eventCreated"))
                if not event or instance is None or created is None:
                    log(
                        logger,
                        logging.WARNING,
                        "notification without event data skipped",
                        shop_id=shop_id,
                        notification=note.get("id"),
                    )
                    continue
                found[(str(event), str(instance), created)] = None
    return list(found)


def reconcile_shop(
    conn: psycopg.Connection, client: ShoptetClient, shop_id: int, *, recent: timedelta = RECENT
) -> dict[str, Any]:
    """Replay the shop's deliveries the hub never recorded; ``conn``: autocommit off, nothing open."""
    deliveries = missed_deliveries(client, shop_id, recent=recent)
    replayed = 0
    events: dict[str, int] = {}
    skipped = 0
    conn.commit()
    with conn.transaction():
        for event, instance, created in deliveries:
            try:
                with conn.transaction():  # a savepoint: one unusable delivery does not stop the others
                    row = conn.execute(
                        query("webhooks.webhook_accept"),
                        {
                            "shop_id": shop_id,
                            "event": event,
                            "event_instance": instance,
                            "event_created": created,
                            "payload": None,
                        },
                    ).fetchone()
            except (psycopg.errors.InvalidParameterValue, psycopg.DataError) as exc:
                skipped += 1
                log(
                    logger,
                    logging.WARNING,
                    "notification cannot be replayed",
                    shop_id=shop_id,
                    webhook_event=event,
                    error=summarize(exc, one_line=True, label=False),
                )
                continue
            if row is not None and row[1]:
                replayed += 1
                events[event] = events.get(event, 0) + 1
    outcome = {
        "shop_id": shop_id,
        "checked": len(deliveries),
        "replayed": replayed,
        "skipped": skipped,
        "events": events,
    }
    log(
        logger,
        logging.WARNING if replayed else logging.INFO,
        "webhook deliveries reconciled",
        shop_id=shop_id,
        checked=len(deliveries),
        replayed=replayed,
    )
    return outcome
