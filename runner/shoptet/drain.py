"""Webhook drains: a shop's waiting webhook keys, fetched in batches and applied set-based.

``ingest.webhook_accept()`` (POST /webhooks/shoptet) puts the entity keys a webhook names into
``ingest.webhook_pending`` (one row per shop, entity and key, however many events name it) and
hands them to the shop's open drain (``ingest.webhook_drains``), else queues one (task
``drain_webhooks``). A burst of 1,000 ``order:update`` events is then one or two jobs, not 1,000.
One drain:

1. takes the shop's entity write lock (runner/shoptet/entity_lock.py), which `hub sync` takes for
   each of its batches and a snapshot import for its run: a sync and a drain never fetch-and-write
   the same shop's entity at once. Drain jobs have no procrastinate lock (a drain queued while
   another ends is taken at once and waits here for a moment); if a sync keeps the write lock
   longer than ``LOCK_WAIT`` seconds, the drain defers the next drain ``BUSY_RETRY`` seconds later
   and ends, and while a snapshot import holds it the drain does not wait at all (the next one
   looks again ``IMPORT_RETRY`` seconds later). With the lock it becomes the shop's open drain.
2. takes up to ``BATCH_SIZE`` waiting keys, oldest first (``ingest.webhook_claim``), and fetches
   their details with ``FETCH_CONCURRENCY`` requests at a time (Shoptet allows 3 concurrent
   requests per token; the client's token slots hold that across processes), each fetching
   thread keeping its slot for its run of requests. While one batch is being applied, the next
   is already being fetched, so the token's 3 requests stay busy. Orders,
   customers and products are fetched by their detail endpoints: the list endpoints carry no
   order items, customer accounts (e-mail) or product variants (shoptet-api.md 4.2-4.4).
3. applies each batch in ONE transaction: the documents are staged and upserted with the
   snapshot import's set-based functions (runner/shoptet/ingest.py), 404s soft-deleted
   (``ingest.mark_deleted``; a variant code by itself), and the keys' rows removed with their
   events marked done (``ingest.webhook_done``) -- unless an event named a key again during its
   fetch: then it stays for one more fetch. A worker killed mid-batch leaves nothing of the
   batch; its keys wait for the next drain.
4. ends when a last look under ``ingest.webhook_drain_lock_key`` finds nothing waiting: in that
   transaction it stops being the open drain, so every webhook that handed it a key has committed
   and been seen, and later ones queue a new drain. After ``RUN_SECONDS`` it takes no more keys
   and hands the rest to a new drain job, so that one job does not run for ever.

A key whose fetch fails (5xx, 429 or a network error after the client's own retries) is counted
on its row and left for the next drain, which is deferred with a backoff; after
``MAX_KEY_ATTEMPTS``, or at once when Shoptet refuses the key (400 / 409 / 413 / 422) or its
document cannot be applied, the drain gives up on it (``failed_at``; its events are listed by
``ingest.webhook_events_failed``) until a new event names it. None of that fails the job. A job
fails only when the drain cannot go on at all (the database, the shop's credentials); its keys
then wait for the next event's drain or for ``ingest.webhook_pending_requeue`` (every minute).

``conn`` must be a connection with autocommit off and no transaction open; every step commits.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import psycopg

from runner.logs import log
from runner.queries import query
from runner.shoptet import entity_lock, errors
from runner.shoptet.client import ShoptetClient
from runner.shoptet.entity_lock import committed
from runner.shoptet.ingest import Stager, log_warnings, mark_deleted
from runner.shoptet.languages import other_languages
from runner.shoptet.sync import fetch_entity

logger = logging.getLogger("hub.drain")

BATCH_SIZE = 50  # keys per transaction (and per claim)
FETCH_CONCURRENCY = 3  # Shoptet: at most 3 concurrent requests per token
# a batch is fetched by FETCH_CONCURRENCY threads, each holding one of the token's slots for its
# run of requests; the next batch's threads wait for the slots meanwhile
FETCH_THREADS = 2 * FETCH_CONCURRENCY
RUN_SECONDS = 30.0  # a drain takes no new keys after this long; the next drain goes on
LOCK_WAIT = 10.0  # seconds a drain waits for a sync's batch to release the write lock
BUSY_RETRY = 5.0  # ... then the next drain starts this much later
IMPORT_RETRY = 30.0  # a snapshot import holds the write lock: the next drain looks again this much later
MAX_KEY_ATTEMPTS = 5  # failed fetches of a key before the drain gives up on it
ENTITIES = ("orders", "customers", "products")
# where a key kind's detail is: the entity fetch_entity knows, and a path when it is not the entity's own
DETAIL = {
    "order": ("orders", None),
    "customer": ("customers", None),
    "product": ("products", None),
    "variant": ("products", "/api/products/code/{}"),
}


class DrainAborted(errors.HubError):
    """The drain cannot go on (e.g. the shop's token is refused); its keys wait for a later drain."""


@dataclass(frozen=True)
class Pending:
    """A waiting key as claimed: its row's seq when the fetch started."""

    kind: str
    key: str
    seq: int


@dataclass
class Outcome:
    """What fetching one key gave: a document, a 404 (``gone``), or an error."""

    pending: Pending
    doc: bytes | None = None
    gone: bool = False
    error: str | None = None
    permanent: bool = False  # Shoptet refuses the key itself: asking again will not help


@dataclass
class DrainResult:
    shop_id: int
    entity: str
    taken: int = 0  # keys taken (fetched)
    applied: int = 0  # documents applied
    deleted: int = 0  # rows soft-deleted (404)
    events_done: int = 0
    batches: int = 0
    failed: int = 0  # keys that failed in this run (left waiting, or given up)
    gave_up: int = 0
    gave_way: int = 0  # times the drain let a sync batch or an import have the write lock
    warnings: int = 0
    stopped: str = "empty"  # empty | time (next drain deferred) | busy (a sync holds the lock)
    next_job: int | None = None
    seconds: float = 0.0
    failed_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "failed_keys"}
        out["seconds"] = round(self.seconds, 3)
        if self.failed_keys:
            out["failed_keys"] = self.failed_keys[:20]
        return out


def drain(
    conn: psycopg.Connection,
    client: ShoptetClient,
    shop_id: int,
    entity: str,
    *,
    batch_size: int = BATCH_SIZE,
    run_seconds: float = RUN_SECONDS,
    lock_wait: float = LOCK_WAIT,
    job_id: int | None = None,
) -> DrainResult:
    """Fetch and apply the waiting webhook keys of a shop's entity (see the module docstring).
    ``job_id``: the drain job, which is the shop's open drain while it runs (None: a drain run by
    hand takes what waits, and webhooks meanwhile queue their own drain)."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}: expected one of {', '.join(ENTITIES)}")
    if conn.autocommit:
        raise ValueError("drain needs a connection with autocommit off (it commits per batch)")
    conn.commit()  # nothing of the caller's may stay open during HTTP
    started = time.monotonic()
    result = DrainResult(shop_id, entity)
    importing = entity_lock.importing(conn, shop_id, entity)
    if importing or not entity_lock.take(conn, shop_id, entity, wait=lock_wait):
        with committed(conn):
            result.next_job = _defer(conn, shop_id, entity, IMPORT_RETRY if importing else BUSY_RETRY)
        result.stopped = "busy"
        log(
            logger,
            logging.INFO,
            "drain deferred: " + ("a snapshot import" if importing else "a sync") + " holds the write lock",
            shop_id=shop_id,
            entity=entity,
        )
        return result
    run = _Run(conn, client, result, batch_size, started + run_seconds, job_id, lock_wait)
    try:
        run.open()
        with ThreadPoolExecutor(max_workers=FETCH_THREADS, thread_name_prefix="drain-fetch") as pool:
            run.run(pool)
    finally:
        try:
            run.close()  # an error: webhooks queue a new drain (the keys wait for it)
        finally:
            if run.holding:
                entity_lock.release(conn, shop_id, entity)
    result.seconds = time.monotonic() - started
    if result.taken or result.next_job:
        log(logger, logging.INFO, "drain done", **{k: v for k, v in result.as_dict().items() if k != "failed_keys"})
    return result


def _defer(conn: psycopg.Connection, shop_id: int, entity: str, delay: float) -> int | None:
    row = conn.execute(query("drain.defer"), {"shop_id": shop_id, "entity": entity, "delay": delay}).fetchone()
    return int(row[0]) if row and row[0] is not None else None


class _Run:
    """One drain's loop: claim, fetch (pipelined, one batch ahead), apply."""

    def __init__(
        self,
        conn: psycopg.Connection,
        client: ShoptetClient,
        result: DrainResult,
        batch_size: int,
        deadline: float,
        job_id: int | None,
        lock_wait: float,
    ):
        self.conn, self.client, self.result = conn, client, result
        self.shop_id, self.entity = result.shop_id, result.entity
        self.batch_size, self.deadline, self.job_id, self.lock_wait = batch_size, deadline, job_id, lock_wait
        self.holding = True  # the write lock (taken by drain() before the run)
        self.failed: dict[tuple[str, str], int] = {}  # keys that failed in this run -> their attempts
        self.is_open = False
        self.pool: ThreadPoolExecutor | None = None
        self.languages: list[str] | None = None  # products: the shop's other languages (read on open)

    def open(self) -> None:
        """Become the shop's open drain: webhooks from now on hand their keys to this job."""
        if self.entity == "products" and self.languages is None:
            with committed(self.conn):
                self.languages = other_languages(self.conn, self.shop_id)
        if self.job_id is None:
            return
        with committed(self.conn):
            self.conn.execute(query("drain.open"), self._ids())
        self.is_open = True

    def close(self) -> None:
        """No longer the open drain (in the caller's transaction when one is open, else in its own)."""
        if not self.is_open:
            return
        if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
            self.conn.execute(query("drain.close"), self._ids())
        else:
            try:
                with committed(self.conn):
                    self.conn.execute(query("drain.close"), self._ids())
            except psycopg.Error:  # the connection is gone: the row names a job no longer doing
                pass
        self.is_open = False

    def _ids(self) -> dict[str, Any]:
        return {"shop_id": self.shop_id, "entity": self.entity, "job_id": self.job_id}

    def run(self, pool: ThreadPoolExecutor) -> None:
        self.pool = pool
        current: list[Pending] = []
        futures: list[Future[Outcome]] = []
        while True:
            if not current:
                if time.monotonic() >= self.deadline:
                    self._hand_over()
                    return
                if not self._give_way():
                    return
                current = self._last_look()
                if not current:
                    return
                futures = self._submit(current)
            nxt: list[Pending] = []
            # the next batch is fetched while this one is applied -- unless a sync batch or an import
            # waits for the write lock: then it gets it once this batch is in (see _give_way)
            if time.monotonic() < self.deadline and not entity_lock.wanted(self.conn, self.shop_id, self.entity):
                nxt = self._claim(exclude=current)
            next_futures = self._submit(nxt)
            self._apply(current, [f.result() for f in futures])
            current, futures = nxt, next_futures

    def _give_way(self) -> bool:
        """Nothing in flight: if a sync batch or a snapshot import waits for the write lock, let it
        have it and take it back after. False when it was not back within ``lock_wait`` seconds:
        the next drain takes over (deferred ``BUSY_RETRY`` seconds later) and this one ends."""
        if not entity_lock.wanted(self.conn, self.shop_id, self.entity):
            return True
        entity_lock.release(self.conn, self.shop_id, self.entity)
        self.holding = False
        self.result.gave_way += 1
        importing = entity_lock.importing(self.conn, self.shop_id, self.entity)
        if not importing and entity_lock.take(self.conn, self.shop_id, self.entity, wait=self.lock_wait):
            self.holding = True
            return True
        with committed(self.conn):
            self.result.next_job = _defer(
                self.conn, self.shop_id, self.entity, IMPORT_RETRY if importing else BUSY_RETRY
            )
            self.close()
        self.result.stopped = "busy"
        return False

    # -- claims ----------------------------------------------------------------------------------

    def _params(self, exclude: list[Pending], limit: int, final: bool) -> dict[str, Any]:
        skip = [(p.kind, p.key) for p in exclude] + list(self.failed)
        return {
            "shop_id": self.shop_id,
            "entity": self.entity,
            "limit": limit,
            "exclude_kinds": [k for k, _ in skip],
            "exclude_keys": [k for _, k in skip],
            "final": final,
        }

    def _claim(self, exclude: list[Pending]) -> list[Pending]:
        with committed(self.conn):
            rows = self.conn.execute(query("drain.claim"), self._params(exclude, self.batch_size, False)).fetchall()
        return [Pending(*row) for row in rows]

    def _last_look(self) -> list[Pending]:
        """Nothing in flight: the last claim, after every accept that may count on this job has
        committed. Nothing found: the run ends in this transaction (no longer the open drain) --
        with a later drain for keys that failed now."""
        with committed(self.conn):
            rows = self.conn.execute(query("drain.claim"), self._params([], self.batch_size, True)).fetchall()
            if not rows:
                self.close()
                if self.failed:
                    attempts = max(self.failed.values())
                    self.result.next_job = _defer(self.conn, self.shop_id, self.entity, 2.0**attempts)
        return [Pending(*row) for row in rows]

    def _hand_over(self) -> None:
        """Out of time: the next drain takes what is still waiting (failed keys included)."""
        self.failed.clear()
        with committed(self.conn):
            if self.conn.execute(query("drain.claim"), self._params([], 1, True)).fetchone() is not None:
                self.result.next_job = _defer(self.conn, self.shop_id, self.entity, 0.0)
                self.result.stopped = "time"
            self.close()

    # -- fetching --------------------------------------------------------------------------------

    def _submit(self, batch: list[Pending]) -> list[Future[Outcome]]:
        """Fetch a batch with FETCH_CONCURRENCY threads, each taking keys one after another while it
        holds one of the token's request slots (ShoptetClient.slot: no slot given back and taken
        again between two requests); the outcomes in the batch's order."""
        assert self.pool is not None
        futures: list[Future[Outcome]] = [Future() for _ in batch]
        todo = iter(list(zip(batch, futures, strict=True)))
        lock = threading.Lock()

        def fetch_some() -> None:
            with self.client.slot():
                while True:
                    with lock:
                        item = next(todo, None)
                    if item is None:
                        return
                    pending, future = item
                    if not future.set_running_or_notify_cancel():
                        continue
                    try:
                        future.set_result(self._fetch(pending))
                    except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                        future.set_exception(exc)

        for _ in range(min(FETCH_CONCURRENCY, len(batch))):
            self.pool.submit(fetch_some)
        return futures

    def _fetch(self, pending: Pending) -> Outcome:
        entity, path = DETAIL[pending.kind]
        try:
            doc = fetch_entity(
                self.client,
                entity,
                pending.key,
                path=path.format(quote(pending.key, safe="")) if path else None,
                languages=self.languages or (),
            )
        except errors.BadRequest as exc:
            return Outcome(pending, error=str(exc), permanent=True)
        except (errors.Unavailable, errors.RateLimited) as exc:
            return Outcome(pending, error=str(exc))
        except (errors.AuthError, errors.Forbidden, errors.MintError) as exc:
            raise DrainAborted(f"shop {self.shop_id}: {exc}") from exc
        return Outcome(pending, doc=doc, gone=doc is None)

    # -- applying --------------------------------------------------------------------------------

    def _apply(self, batch: list[Pending], outcomes: list[Outcome]) -> None:
        """One transaction: documents upserted, 404s soft-deleted, failures counted, keys done."""
        result = self.result
        result.taken += len(batch)
        result.batches += 1
        docs = [o for o in outcomes if o.doc is not None]
        done = [o.pending for o in outcomes if o.gone]
        with committed(self.conn):
            if docs:
                applied = Stager(self.conn, self.shop_id, self.entity).apply_chunk(
                    (n, o.doc) for n, o in enumerate(docs, 1) if o.doc is not None
                )
                log_warnings(self.shop_id, self.entity, applied)
                result.warnings += applied.warning_count
                refused = {f.line_no: f.error for f in applied.failures}
                for n, o in enumerate(docs, 1):
                    if n in refused:
                        o.error, o.permanent = f"the document cannot be applied: {refused[n]}", True
                    else:
                        done.append(o.pending)
                result.applied += applied.applied
            gone = [o.pending for o in outcomes if o.gone]
            variants = [p.key for p in gone if p.kind == "variant"]
            others = [p.key for p in gone if p.kind != "variant"]
            if others:
                result.deleted += mark_deleted(self.conn, self.shop_id, self.entity, others)
            if variants:
                result.deleted += mark_deleted(self.conn, self.shop_id, "variants", variants)
            for o in outcomes:
                if o.error is not None:
                    self._failed(o)
            if done:
                row = self.conn.execute(
                    query("drain.done"),
                    {
                        "shop_id": self.shop_id,
                        "entity": self.entity,
                        "kinds": [p.kind for p in done],
                        "keys": [p.key for p in done],
                        "seqs": [p.seq for p in done],
                    },
                ).fetchone()
                result.events_done += int(row[0]) if row else 0

    def _failed(self, outcome: Outcome) -> None:
        """Count the failure on the key's row (in the batch's transaction); the SQL gives up on the
        key when it is hopeless or out of attempts. A key an event named again is not counted."""
        p = outcome.pending
        row = self.conn.execute(
            query("drain.key_failed"),
            {
                "shop_id": self.shop_id,
                "entity": self.entity,
                "kind": p.kind,
                "key": p.key,
                "seq": p.seq,
                "error": outcome.error,
                "give_up": outcome.permanent,
                "max_attempts": MAX_KEY_ATTEMPTS,
            },
        ).fetchone()
        attempts, gave_up = (int(row[0]), bool(row[1])) if row else (0, False)
        self.result.failed += 1
        self.result.gave_up += int(gave_up)
        self.result.failed_keys.append(p.key)
        if not gave_up:
            self.failed[(p.kind, p.key)] = max(1, attempts)
        log(
            logger,
            logging.WARNING,
            "drain gave up on a webhook key" if gave_up else "drain left a webhook key for a later attempt",
            shop_id=self.shop_id,
            entity=self.entity,
            key_kind=p.kind,
            entity_key=p.key,
            attempts=attempts,
            error=(outcome.error or "")[:500],
        )


__all__ = ["drain", "DrainResult", "DrainAborted", "BATCH_SIZE", "FETCH_CONCURRENCY", "RUN_SECONDS"]
