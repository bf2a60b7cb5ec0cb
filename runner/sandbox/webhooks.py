"""Webhook registrations per shop and their delivery: signed POSTs from a background thread.

A delivery is the compact JSON ``{"eshopId","event","eventCreated","eventInstance"}``
signed with ``Shoptet-Webhook-Signature`` = hex HMAC-SHA1(body, the shop's signature
key). A receiver must answer 2xx within 4 s; otherwise the delivery is tried again
after ``retry_delay`` seconds, 3 attempts in total (Shoptet waits 15 minutes), then the
notification becomes inactive and ``failed``. Every delivery is logged as a
notification (``GET /api/webhooks/notifications``).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import logging
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from runner.sandbox.formats import fmt_dt

logger = logging.getLogger("hub.sandbox")

MAX_ATTEMPTS = 3
DELIVERY_TIMEOUT = 4.0

KNOWN_EVENTS = frozenset(
    """
order:create order:update order:delete order:cancel order:paid order:massCreate order:massUpdate order:massPaid
orderHistoryRemarks:change orderStatusesList:change
customer:create customer:update customer:delete customer:disableOrders customer:enableOrders customer:import
customerGroup:create customerGroup:update customerGroup:delete
product:create product:update product:delete product:massCreate product:massUpdate product:massDelete
productVariant:create productVariant:update productVariant:delete productVariantPrice:update
productVariantPrice:massUpdate stock:movement stock:inStock stock:soldOut stock:minStockSupplyReached job:finished
invoice:create invoice:update invoice:delete creditNote:create creditNote:update creditNote:delete
""".split()
)
# registering both of a pair is a 409 Conflict
CONFLICTS = [
    ("order:update", "order:cancel"),
    ("customer:update", "customer:disableOrders"),
    ("customer:update", "customer:enableOrders"),
]


def sign(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha1).hexdigest()


@dataclass
class Webhook:
    id: int
    eshop_id: int
    event: str
    url: str
    created: int
    updated: int | None = None
    send_payload: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "url": self.url,
            "created": fmt_dt(self.created),
            "updated": fmt_dt(self.updated),
            "sendPayload": self.send_payload,
        }


@dataclass
class Notification:
    id: int
    webhook: Webhook
    body: bytes
    data: dict[str, Any]
    created: float
    attempted: float | None = None
    attempts: int = 0
    status: str = "new"  # new | success | failed
    last_error: str | None = None
    delivered_status: int | None = None

    @property
    def active(self) -> bool:
        return self.status == "new" and self.attempts < MAX_ATTEMPTS

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "webhookId": self.webhook.id,
            "webhookUrl": self.webhook.url,
            "event": self.data["event"],
            "eventCreated": self.data["eventCreated"],
            "created": fmt_dt(self.created),
            "attempted": fmt_dt(self.attempted),
            "attempts": self.attempts,
            "status": self.status,
            "active": self.active,
            "data": self.data,
        }


class WebhookError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Deliverer:
    """The registry (all shops) and the delivery thread."""

    retry_delay: float = 0.5
    _ids: itertools.count = field(default_factory=lambda: itertools.count(992801))
    _nids: itertools.count = field(default_factory=lambda: itertools.count(1))
    hooks: dict[int, Webhook] = field(default_factory=dict)
    notifications: list[Notification] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Condition()
        self._queue: list[tuple[float, int, Notification]] = []
        self._seq = itertools.count()
        self._stop = False
        self._busy = 0
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None

    # -- registry ----------------------------------------------------------------------------

    def of_shop(self, eshop_id: int) -> list[Webhook]:
        with self._lock:
            return sorted((h for h in self.hooks.values() if h.eshop_id == eshop_id), key=lambda h: h.id)

    def find(self, eshop_id: int, event: str) -> Webhook | None:
        with self._lock:
            for h in self.hooks.values():
                if h.eshop_id == eshop_id and h.event == event:
                    return h
        return None

    def register(self, eshop_id: int, entries: Any) -> list[Webhook]:
        """Validate and add registrations (all or nothing); WebhookError carries the API answer."""
        if not isinstance(entries, list) or not entries:
            raise WebhookError(422, "invalid-request-data", 'Body must be {"data": [{"event": …, "url": …}]}.')
        if len(entries) > 50:
            raise WebhookError(413, "too-many-entities", "At most 50 webhooks can be registered in one request.")
        with self._lock:
            existing = {h.event for h in self.hooks.values() if h.eshop_id == eshop_id}
            seen: set[str] = set()
            for n, e in enumerate(entries):
                if not isinstance(e, dict) or not isinstance(e.get("event"), str) or not isinstance(e.get("url"), str):
                    raise WebhookError(422, "invalid-request-data", f"data[{n}] needs string fields event and url.")
                if e["event"] not in KNOWN_EVENTS:
                    raise WebhookError(422, "invalid-request-data", f"data[{n}].event: unknown event {e['event']!r}.")
                if not e["url"].startswith(("http://", "https://")) or len(e["url"]) > 2000:
                    raise WebhookError(
                        422, "invalid-request-data", f"data[{n}].url must be an http(s) URL of at most 2000 characters."
                    )
                if e.get("sendPayload") not in (None, "full"):
                    raise WebhookError(422, "invalid-request-data", f'data[{n}].sendPayload must be null or "full".')
                if e["event"] in existing or e["event"] in seen:
                    raise WebhookError(422, "webhook-exists", f"Webhook already exists for this event ({e['event']}).")
                seen.add(e["event"])
            for a, b in CONFLICTS:
                if {a, b} <= (existing | seen):
                    raise WebhookError(409, "webhook-conflict", f"Events {a} and {b} cannot be registered together.")
            now = int(time.time())
            made = []
            for e in entries:
                h = Webhook(next(self._ids), eshop_id, e["event"], e["url"], now, None, e.get("sendPayload"))
                self.hooks[h.id] = h
                made.append(h)
            return made

    def delete(self, eshop_id: int, hook_id: int) -> bool:
        with self._lock:
            h = self.hooks.get(hook_id)
            if h is None or h.eshop_id != eshop_id:
                return False
            del self.hooks[hook_id]
            return True

    def update(self, eshop_id: int, hook_id: int, data: Any) -> Webhook | None:
        with self._lock:
            h = self.hooks.get(hook_id)
            if h is None or h.eshop_id != eshop_id:
                return None
            if isinstance(data, dict):
                if isinstance(data.get("url"), str):
                    h.url = data["url"]
                if "sendPayload" in data:
                    h.send_payload = data["sendPayload"]
            h.updated = int(time.time())
            return h

    def of_shop_notifications(self, eshop_id: int) -> list[Notification]:
        with self._lock:
            return [n for n in self.notifications if n.webhook.eshop_id == eshop_id]

    # -- delivery --------------------------------------------------------------------------------

    def emit(
        self,
        eshop_id: int,
        events: list[tuple[str, str]],
        key_of: Any,
        *,
        duplicate: bool = False,
        shuffle_seed: int | None = None,
    ) -> list[Notification]:
        """Queue one delivery per event that has a registered webhook (in order unless shuffled)."""
        made = []
        now = time.time()
        for event, instance in events:
            h = self.find(eshop_id, event)
            if h is None:
                continue
            data = {"eshopId": eshop_id, "event": event, "eventCreated": fmt_dt(now), "eventInstance": str(instance)}
            body = orjson.dumps(data)
            for _ in range(2 if duplicate else 1):
                made.append(Notification(next(self._nids), h, body, data, now))
        if shuffle_seed is not None:
            random.Random(shuffle_seed).shuffle(made)
        with self._lock:
            for n in made:
                self.notifications.append(n)
                heapq.heappush(self._queue, (now, next(self._seq), n))
            del self.notifications[:-10000]
            self._lock.notify_all()
        self._key_of = key_of
        self._ensure_thread()
        return made

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop = False
                self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        client = httpx.Client(timeout=DELIVERY_TIMEOUT)
        try:
            while True:
                with self._lock:
                    while not self._stop and (not self._queue or self._queue[0][0] > time.time()):
                        wait = None if not self._queue else max(0.0, self._queue[0][0] - time.time())
                        self._lock.wait(wait)
                    if self._stop:
                        return
                    _, _, n = heapq.heappop(self._queue)
                    self._busy += 1
                try:
                    self._attempt(client, n)
                finally:
                    with self._lock:
                        self._busy -= 1
        finally:
            client.close()

    def _attempt(self, client: httpx.Client, n: Notification) -> None:
        key = self._key_of(n.webhook.eshop_id)
        headers = {"Content-Type": "application/json", "Shoptet-Webhook-Signature": sign(n.body, key)}
        n.attempts += 1
        n.attempted = time.time()
        try:
            r = client.post(n.webhook.url, content=n.body, headers=headers)
            n.delivered_status = r.status_code
            ok = 200 <= r.status_code < 300
            n.last_error = None if ok else f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            ok = False
            n.last_error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            if ok:
                n.status = "success"
            elif n.attempts >= MAX_ATTEMPTS:
                n.status = "failed"
            else:
                heapq.heappush(self._queue, (time.time() + self.retry_delay, next(self._seq), n))
                self._lock.notify_all()
        if not ok:
            logger.info(
                "sandbox webhook delivery failed: %s %s attempt %d: %s",
                n.data["event"],
                n.webhook.url,
                n.attempts,
                n.last_error,
            )

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + self._busy

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=DELIVERY_TIMEOUT + 1)
