"""Webhooks at Shoptet: the names the hub and Shoptet share (the events the hub subscribes to,
the endpoint's path, the setting holding the signature key) and their registration, pointing
at HUB_PUBLIC_URL. The endpoint itself is runner/web.py.

Shoptet keeps one URL per event and installation (a duplicate is 422), takes up to 50
registrations per call, and signs deliveries with a key from
``POST /api/webhooks/renew-signature-key`` (every call makes a new key): the hub stores
it as the shop's secret ``shoptet.signature_key``, which the web app verifies against.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from runner.logs import log
from runner.shoptet.client import ShoptetClient
from runner.shoptet.shop_client import client_for_shop

logger = logging.getLogger("hub.webhooks")

# the per-shop secret that signs deliveries (web.py verifies against it)
SIGNATURE_KEY_SETTING = "shoptet.signature_key"
# where Shoptet delivers: HUB_PUBLIC_URL + WEBHOOK_PATH (web.py's route)
WEBHOOK_PATH = "/webhooks/shoptet"
# the events the hub subscribes to (hub shop add, the addon installation)
WEBHOOK_EVENTS = (
    "order:create",
    "order:update",
    "order:delete",
    "order:massUpdate",
    "customer:create",
    "customer:update",
    "customer:delete",
    "product:create",
    "product:update",
    "product:delete",
    "product:massUpdate",
    "job:finished",
)
MAX_PER_CALL = 50


def ensure(client: ShoptetClient, url: str, events: Iterable[str]) -> dict[str, list[str]]:
    """Make every event point at url: keep what already does, re-point others, register the rest."""
    wanted = list(dict.fromkeys(events))
    existing: dict[str, dict[str, Any]] = {}
    for page in client.iter_pages("/api/webhooks", "webhooks", items_per_page=500):
        for hook in page:
            if isinstance(hook, dict) and hook.get("event"):
                existing[str(hook["event"])] = hook
    kept: list[str] = []
    moved: list[str] = []
    created: list[str] = []
    missing: list[str] = []
    for event in wanted:
        current = existing.get(event)
        if current is None:
            missing.append(event)
        elif current.get("url") == url:
            kept.append(event)
        else:
            client.request("PATCH", f"/api/webhooks/{current['id']}", json={"data": {"url": url, "sendPayload": None}})
            moved.append(event)
    for start in range(0, len(missing), MAX_PER_CALL):
        batch = missing[start : start + MAX_PER_CALL]
        client.request(
            "POST", "/api/webhooks", json={"data": [{"event": e, "url": url, "sendPayload": None} for e in batch]}
        )
        created.extend(batch)
    return {"kept": kept, "moved": moved, "created": created}


def renew_signature_key(client: ShoptetClient) -> str:
    data = client.request("POST", "/api/webhooks/renew-signature-key").get("data") or {}
    key = data.get("signatureKey") if isinstance(data, dict) else None
    if not key:
        raise ValueError("POST /api/webhooks/renew-signature-key: Shoptet sent no signatureKey")
    return str(key)


def register(
    settings: Any,
    shop_id: int,
    *,
    url: str,
    events: Iterable[str],
    api_url: str | None = None,
    client: ShoptetClient | None = None,
) -> list[str]:
    """Register the events for a shop and store a fresh signature key; the events now pointing at url."""
    own = client is None
    api = client or client_for_shop(shop_id, settings=settings, api_url=api_url)
    try:
        outcome = ensure(api, url, events)
        settings.set_secret(SIGNATURE_KEY_SETTING, renew_signature_key(api), shop_id=shop_id)
    finally:
        if own:
            api.close()
    log(
        logger,
        logging.INFO,
        "webhooks registered",
        shop_id=shop_id,
        url=url,
        created=len(outcome["created"]),
        moved=len(outcome["moved"]),
        kept=len(outcome["kept"]),
    )
    return outcome["kept"] + outcome["moved"] + outcome["created"]
