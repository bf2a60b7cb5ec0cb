"""Incremental sync of one shop's orders, customers or products from Shoptet's change lists.

``GET /api/{entity}/changes?from=…`` lists the last change of every entity changed since
``from`` (orders by ``code``, customers and products by ``guid``; ``changeType`` add, edit or
delete -- a creation is reported as ``edit``), 30 days back at most. One run:

1. Where to start: the shop's cursor in ``ingest.sync_cursors``; without one, the newest
   ``changed_at`` of its rows (a snapshot import brought them); without rows, now -- history
   comes from a snapshot import, not from the change list. Reading starts ``OVERLAP`` before
   it, so a change Shoptet recorded a little late is not missed (re-applying is a no-op).
2. A start older than ``HISTORY_LIMIT`` (29 days; Shoptet keeps 30) cannot be served by the
   change list: the run imports a full snapshot instead (runner/shoptet/snapshots.py), sets the
   cursor to when that import started, and then reads the changes since.
3. The change list is read page by page. When it is ordered by changeTime (as Shoptet serves
   it) the next request starts ``from`` the newest changeTime seen, page 1 again, instead of
   asking for page n+1: an entity changed again while we page moves to the end of the list,
   which would shift an unread entry onto a page already read. Entries seen twice are skipped.
   One odd entry never stops the others (each is logged as a warning naming shop, entity and
   key, counted in the summary and kept in ``ingest.sync_cursors.last_warnings``):
   * ``changeTime`` null (the spec allows it) or unreadable: the change is applied like any
     other, but the cursor only ever moves to the newest time actually listed;
   * ``changeTime`` in the future (a mistyped year, kept as Shoptet has it): the same, once; as
     such an entry is listed by every later run, it is then skipped without a fetch or a warning
     while the hub holds that version (its stored changed_at is that time:
     ``ingest.sync_versions_held``; counted as ``held``);
   * an unknown (or missing) ``changeType``: the detail is fetched, as for an edit (a 404
     soft-deletes), so the source decides;
   * a missing or blank key (``code`` / ``guid``), or an entry that is not an object: nothing
     can be fetched, it is skipped;
   * the same key more than once in a batch: fetched once (if any of its entries is not a
     delete, the detail decides; all deletes: soft-deleted);
   * a detail that answers 404: soft-deleted; 400 / 422 (Shoptet refuses the key): skipped;
     a document that cannot be applied (``BadDocument``, a value PostgreSQL refuses): skipped,
     and named in ``last_error``; a delete whose key is not a GUID (customers, products)
     cannot match a stored row: skipped.
4. Every ``batch_size`` changes: the details of edited entities are fetched (at most 3 at a
   time, Shoptet's per-token limit; no database transaction is open during HTTP), then ONE
   transaction upserts them (runner/shoptet/ingest.py), soft-deletes the deleted ones and those
   whose detail answered 404, and moves the cursor to the newest changeTime applied. A failure
   leaves the cursor at the last committed batch; the next run continues from there.
5. At the end the cursor moves to ``max(newest change seen, run start - OVERLAP)``, so a quiet
   shop's cursor does not age out of the 30-day window; ``last_run_at`` / ``last_error`` record
   the run, and ``synced_until`` its start: every change listed before it has been read (the lag
   ops.sync_lag shows counts from it, not from the cursor, which trails by the overlap). When the
   run wrote rows, the tables it wrote get statistics (ingest.analyze_written).

``conn`` must be a connection with autocommit off and no transaction open; every step commits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import orjson
import psycopg

from runner.errors import HubError, summarize
from runner.logs import log
from runner.queries import query
from runner.shoptet import documents, entity_lock, errors
from runner.shoptet.client import ShoptetClient, format_datetime, parse_datetime
from runner.shoptet.entity_lock import committed as _committed
from runner.shoptet.ingest import ENTITIES, Stager, analyze_written, log_warnings, mark_deleted
from runner.shoptet.languages import language_texts, other_languages
from runner.shoptet.normalize import normalize_guid

logger = logging.getLogger("hub.sync")

OVERLAP = timedelta(minutes=10)
HISTORY_LIMIT = timedelta(days=29)  # Shoptet guarantees 30 days of change history
FUTURE_TOLERANCE = timedelta(hours=1)  # a changeTime later than now + this is a typo, not a clock skew
BATCH_SIZE = 50
FETCH_CONCURRENCY = 3  # Shoptet: at most 3 concurrent requests per token
# the documented maximum page size of each change list
PAGE_SIZE = {"orders": 1000, "customers": 20, "products": 1000}
KEY_FIELD = {"orders": "code", "customers": "guid", "products": "guid"}
WEBHOOK_KIND = {"orders": "order", "customers": "customer", "products": "product"}  # ingest.webhook_pending.key_kind
CHANGE_TYPES = frozenset(("add", "edit", "delete"))  # shoptet-api.md 4.2: creation is reported as edit
WARNINGS_KEPT = 20  # warnings a run keeps in its summary and in ingest.sync_cursors.last_warnings
# detail endpoint and the key of the entity in its data (products: data is the product)
DETAIL = {
    "orders": ("/api/orders/{}", "order"),
    "customers": ("/api/customers/{}", "customer"),
    "products": ("/api/products/{}", None),
}


_WARN_LOCK = threading.Lock()


class SyncBusy(HubError):
    """Another sync of the same shop and entity is running."""


@dataclass(frozen=True)
class Change:
    key: str
    at: datetime | None  # None: listed without a (readable) changeTime; applied, never moves the cursor
    type: str  # add | edit | delete (an unknown type is read as edit: the detail decides)
    # a changeTime in the future (a mistyped year): ``at`` is None, this is the time listed; such an
    # entry is in every run's window, so a version the hub holds is skipped (_skip_held_future)
    future_at: datetime | None = None
    listed_time: str | None = None  # the changeTime as listed (for the warning)


@dataclass
class SyncResult:
    shop_id: int
    entity: str
    started_from: str  # cursor | snapshot | data | none | undated; "fallback" when it imported a snapshot
    read_from: datetime | None = None
    changes: int = 0
    upserted: int = 0
    deleted: int = 0
    not_found: int = 0
    failed: list[str] = field(default_factory=list)
    undated: int = 0  # changes listed without a (readable) changeTime
    held: int = 0  # changes dated in the future whose version the hub holds: skipped, not fetched
    skipped: int = 0  # entries without a key, deletes of impossible keys, details Shoptet refused
    warnings: list[str] = field(default_factory=list)  # the first WARNINGS_KEPT, in words
    warning_count: int = 0
    batches: int = 0
    requests: int = 0
    snapshot: dict[str, Any] | None = None
    cursor: datetime | None = None
    seconds: float = 0.0
    run_start: datetime | None = None  # when the run began (ingest.sync_cursors.synced_until after it)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "shop_id": self.shop_id,
            "entity": self.entity,
            "started_from": self.started_from,
            "read_from": self.read_from.isoformat() if self.read_from else None,
            "changes": self.changes,
            "upserted": self.upserted,
            "deleted": self.deleted,
            "not_found": self.not_found,
            "failed": len(self.failed),
            "undated": self.undated,
            "held": self.held,
            "skipped": self.skipped,
            "warnings": self.warning_count,
            "batches": self.batches,
            "requests": self.requests,
            "cursor": self.cursor.isoformat() if self.cursor else None,
            "seconds": round(self.seconds, 2),
        }
        if self.snapshot is not None:
            out["snapshot"] = self.snapshot
        if self.failed:
            out["failed_keys"] = self.failed[:20]
        if self.warnings:
            out["warning_texts"] = list(self.warnings)
        return out

    def warn(self, event: str, key: str | None = None, **fields: Any) -> None:
        """Log an odd change-list entry (a structured warning naming shop_id, entity and, when the
        entry has one, entity_key, as ingest.log_warnings does) and keep it. Thread-safe (details are
        fetched in a pool)."""
        log(logger, logging.WARNING, event, shop_id=self.shop_id, entity=self.entity, entity_key=key, **fields)
        named = {KEY_FIELD[self.entity]: key, **fields} if key is not None else fields
        detail = ", ".join(f"{k} {v}" for k, v in named.items() if v is not None)
        with _WARN_LOCK:
            self.warning_count += 1
            if len(self.warnings) < WARNINGS_KEPT:
                self.warnings.append(f"{event}" + (f" ({detail})" if detail else ""))

    def warnings_text(self) -> str | None:
        """What ingest.sync_cursors.last_warnings keeps of this run; None when nothing was odd."""
        if not self.warning_count:
            return None
        more = self.warning_count - len(self.warnings)
        return "; ".join(self.warnings) + (f"; and {more} more" if more else "")


def _now() -> datetime:
    return datetime.now(UTC)


def sync_entity(
    conn: psycopg.Connection,
    client: ShoptetClient,
    shop_id: int,
    entity: str,
    *,
    batch_size: int = BATCH_SIZE,
    snapshot_options: Any = None,
) -> dict[str, Any]:
    """One incremental sync of a shop's entity (see the module docstring); a summary dict.

    Raises SyncBusy when another sync of it runs; any other failure is recorded in
    ``ingest.sync_cursors.last_error`` and re-raised (the cursor stays at the last committed batch)."""
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}: expected one of {', '.join(ENTITIES)}")
    if conn.autocommit:
        raise ValueError("sync_entity needs a connection with autocommit off (it commits per batch)")
    conn.commit()  # nothing of the caller's may stay open during HTTP
    with _committed(conn):
        locked = conn.execute(query("sync.sync_try_lock"), {"shop_id": shop_id, "entity": entity}).fetchone()
    if not (locked and locked[0]):
        raise SyncBusy(f"a sync of shop {shop_id}'s {entity} is already running")
    started = time.monotonic()
    try:
        try:
            result = _run(conn, client, shop_id, entity, batch_size, snapshot_options)
        except Exception as exc:
            log(logger, logging.WARNING, "sync failed", shop_id=shop_id, entity=entity, error=summarize(exc))
            try:
                conn.rollback()
                with _committed(conn):
                    conn.execute(
                        query("sync.sync_cursor_finish"),
                        {
                            "shop_id": shop_id,
                            "entity": entity,
                            "error": summarize(exc)[:2000],
                            "warnings": None,
                            "synced_until": None,
                        },
                    )
            except psycopg.Error:  # the database itself is the trouble: the original error says more
                pass
            raise
        result.seconds = time.monotonic() - started
        error = None
        if result.failed:
            error = f"{len(result.failed)} {entity} document(s) could not be applied and were skipped: " + ", ".join(
                result.failed[:10]
            )
        with _committed(conn):
            conn.execute(
                query("sync.sync_cursor_finish"),
                {
                    "shop_id": shop_id,
                    "entity": entity,
                    "error": error,
                    "warnings": result.warnings_text(),
                    # the change list was read to its end: every change listed before the run began is in
                    "synced_until": result.run_start,
                },
            )
        if result.upserted or result.deleted:  # many rows written: statistics now, not within autovacuum's minute
            analyze_written(conn, shop_id, entity)
        summary = result.as_dict()
        log(logger, logging.INFO, "sync done", **{k: v for k, v in summary.items() if not isinstance(v, (dict, list))})
        return summary
    finally:
        try:
            with _committed(conn):
                conn.execute(query("sync.sync_unlock"), {"shop_id": shop_id, "entity": entity})
        except psycopg.Error:  # a broken connection: its session, and so the lock, ends with it
            pass


def _run(
    conn: psycopg.Connection, client: ShoptetClient, shop_id: int, entity: str, batch_size: int, snapshot_options: Any
) -> SyncResult:
    run_start = _now()
    with _committed(conn):
        row = conn.execute(query("sync.sync_cursor_start"), {"shop_id": shop_id, "entity": entity}).fetchone()
    start: datetime | None = row[0] if row else None
    origin: str = row[1] if row else "none"
    result = SyncResult(shop_id, entity, origin, run_start=run_start)
    if origin == "none":
        # nothing to catch up on: the change list is followed from now on
        start = run_start
    # 'undated' (rows, none with a changed_at) has no start: only a snapshot is safe
    if origin == "undated" or start is None or start - OVERLAP < run_start - HISTORY_LIMIT:
        start = _snapshot(conn, client, shop_id, entity, result, snapshot_options)
    result.read_from = start - OVERLAP
    _apply_changes(conn, client, shop_id, entity, result.read_from, run_start, batch_size, result)
    return result


def _move_cursor(conn: psycopg.Connection, shop_id: int, entity: str, at: datetime) -> datetime:
    """ingest.sync_cursor_move in the caller's transaction; returns the cursor stored (it stays at
    most now())."""
    row = conn.execute(
        query("sync.sync_cursor_move"), {"shop_id": shop_id, "entity": entity, "cursor_at": at}
    ).fetchone()
    assert row is not None  # a select of a function returns one row
    cursor: datetime = row[0]
    return cursor


def _snapshot(
    conn: psycopg.Connection, client: ShoptetClient, shop_id: int, entity: str, result: SyncResult, options: Any
) -> datetime:
    """The change list cannot reach back far enough: a full snapshot, then the cursor at its start."""
    from runner.shoptet import snapshots

    log(
        logger,
        logging.INFO,
        "sync falls back to a snapshot import",
        shop_id=shop_id,
        entity=entity,
        reason=result.started_from,
    )
    with entity_lock.held(conn, shop_id, entity, long=True):  # webhook drains of the entity wait meanwhile
        outcome = snapshots.import_snapshot(conn, client, shop_id, entity, options=options)
        conn.commit()
    with _committed(conn):
        row = conn.execute(query("sync.sync_snapshot_started"), {"job_id": outcome["job_id"]}).fetchone()
        started = row[0] if row and row[0] is not None else _now()
        result.cursor = _move_cursor(conn, shop_id, entity, started)
    result.snapshot = {k: v for k, v in outcome.items() if isinstance(v, (int, float, str))}
    result.started_from = "fallback"
    return started


def iter_changes(
    client: ShoptetClient,
    entity: str,
    since: datetime,
    result: SyncResult | None = None,
) -> Iterator[tuple[list[Change], bool]]:
    """(new changes of a page, whether the list has been in changeTime order so far), page by page.

    Ordered lists are read as a keyset on changeTime (next request ``from`` the newest time
    seen, page 1), so entries moving to the end while we read cannot make us skip one. Odd
    entries are read as the module docstring says (warnings go to ``result``); changes
    without a time take no part in the order or the keyset."""
    path = f"/api/{entity}/changes"
    report = result or SyncResult(client.shop_id or 0, entity, "none")
    seen: set[tuple[str, datetime | None, str]] = set()
    ordered = True
    newest: datetime | None = None
    since_now, page = since, 1
    while True:
        report.requests += 1
        data = client.get(path, {"from": since_now, "page": page, "itemsPerPage": PAGE_SIZE[entity]}) or {}
        items = data.get("changes") if isinstance(data, dict) else None
        items = items if isinstance(items, list) else []
        fresh: list[Change] = []
        for item in items:
            change = read_change(entity, item, report)
            if change is None:
                continue
            if change.at is not None:
                if newest is not None and change.at < newest:
                    ordered = False
                newest = change.at if newest is None or change.at > newest else newest
            ident = (change.key, change.at, change.type)
            if ident in seen:
                continue
            seen.add(ident)
            fresh.append(change)
        if fresh:
            yield fresh, ordered
        page_count = int((data.get("paginator") or {}).get("pageCount") or 0) if isinstance(data, dict) else 0
        if not items or page >= page_count:
            return
        if ordered and newest is not None and newest > since_now:
            since_now, page = newest, 1
        else:
            page += 1


def read_change(entity: str, item: Any, result: SyncResult) -> Change | None:
    """One entry of a change list as a Change; None (with a warning) when it names no entity.

    A null or unreadable changeTime gives ``at`` None, an unknown changeType the type ``edit``
    (both with a warning): the entry is still applied."""
    key_field = KEY_FIELD[entity]
    if not isinstance(item, dict):
        result.skipped += 1
        result.warn("sync skipped a change-list entry that is not an object", entry=repr(item)[:200])
        return None
    raw_key = item.get(key_field)
    key = str(raw_key) if isinstance(raw_key, (str, int)) and not isinstance(raw_key, bool) else ""
    if not key.strip():
        result.skipped += 1
        result.warn(f"sync skipped a change without {key_field}: nothing to fetch", entry=repr(item)[:200])
        return None
    raw_time = item.get("changeTime")
    try:
        at = parse_datetime(raw_time) if isinstance(raw_time, str) else None
    except ValueError:
        at = None
    if at is not None and at.tzinfo is None:  # no offset: not a point in time the cursor can use
        at = None
    future_at: datetime | None = None
    if at is not None and at > datetime.now(UTC) + FUTURE_TOLERANCE:
        # a mistyped year (2206): applied, but as the cursor it would make every later change look old;
        # counted and warned about by _skip_held_future, unless the hub holds that version already
        future_at, at = at, None
    elif at is None:
        result.undated += 1
        result.warn(
            "sync applies a change without a usable changeTime; the cursor does not move for it",
            key=key,
            change_time=raw_time,
            change_type=item.get("changeType"),
        )
    change_type = item.get("changeType")
    if change_type not in CHANGE_TYPES:
        result.warn("sync reads an unknown changeType as an edit: the detail decides", key=key, change_type=change_type)
        change_type = "edit"
    return Change(key, at, str(change_type), future_at, raw_time if future_at is not None else None)


def _skip_held_future(
    conn: psycopg.Connection, shop_id: int, entity: str, changes: list[Change], result: SyncResult
) -> list[Change]:
    """The changes without those dated in the future whose version the hub holds already
    (ingest.sync_versions_held: the stored row has exactly that changed_at). Shoptet lists every
    change at or after ``from``, so such an entry (the demo's order ODD-DATE-2206) is in every run:
    without this it was fetched, applied and warned about every 5 minutes. The others dated in the
    future are applied, counted as undated and warned about (once per version)."""
    future = [c for c in changes if c.future_at is not None and c.type != "delete"]
    held: set[str] = set()
    if future:
        with _committed(conn):
            row = conn.execute(
                query("sync.sync_versions_held"),
                {
                    "shop_id": shop_id,
                    "entity": entity,
                    "keys": [c.key for c in future],
                    "times": [c.future_at for c in future],
                },
            ).fetchone()
        held = set(row[0]) if row and row[0] else set()
    kept = []
    for change in changes:
        if change.future_at is not None and change.type != "delete" and change.key in held:
            result.held += 1
            continue
        if change.future_at is not None:
            result.undated += 1
            result.warn(
                "sync applies a change dated in the future; the cursor does not move for it",
                key=change.key,
                change_time=change.listed_time,
                change_type=change.type,
            )
        kept.append(change)
    return kept


def _apply_changes(
    conn: psycopg.Connection,
    client: ShoptetClient,
    shop_id: int,
    entity: str,
    since: datetime,
    run_start: datetime,
    batch_size: int,
    result: SyncResult,
) -> None:
    pending: list[Change] = []
    ordered = True
    newest: datetime | None = None
    with _committed(conn):
        languages = other_languages(conn, shop_id) if entity == "products" else []
    with ThreadPoolExecutor(max_workers=FETCH_CONCURRENCY, thread_name_prefix="sync-fetch") as pool:
        for page, ordered in iter_changes(client, entity, since, result):
            result.changes += len(page)
            page = _skip_held_future(conn, shop_id, entity, page, result)
            for change in page:
                pending.append(change)
                if len(pending) >= batch_size:
                    newest = _apply_batch(
                        conn, client, pool, shop_id, entity, pending, ordered, newest, result, languages=languages
                    )
                    pending = []
        # the last batch also moves the cursor past a quiet stretch: every change recorded before
        # (run start - OVERLAP) was in the list just read
        _apply_batch(
            conn,
            client,
            pool,
            shop_id,
            entity,
            pending,
            ordered,
            newest,
            result,
            floor=max(since, run_start - OVERLAP),
            languages=languages,
        )


def _apply_batch(
    conn: psycopg.Connection,
    client: ShoptetClient,
    pool: ThreadPoolExecutor,
    shop_id: int,
    entity: str,
    changes: list[Change],
    ordered: bool,
    newest: datetime | None,
    result: SyncResult,
    floor: datetime | None = None,
    languages: Sequence[str] = (),
) -> datetime | None:
    """Fetch the batch's edited entities, then apply edits, deletes and the cursor in one transaction,
    all under the shop's entity write lock (a webhook drain of the entity waits meanwhile). Webhook
    keys waiting for the entities the batch applied are done with it: the drain does not fetch them
    again. Returns the newest changeTime applied so far."""
    edits, deletes = _plan(entity, changes, result)
    # the last call may bring no change, only the cursor's move: no need to stop a drain for that
    with entity_lock.held(conn, shop_id, entity) if changes else nullcontext():
        with _committed(conn):
            waiting = conn.execute(
                query("sync.webhook_pending_of"),
                {"shop_id": shop_id, "entity": entity, "kind": WEBHOOK_KIND[entity], "keys": edits + deletes},
            ).fetchall()
        fetched = list(pool.map(lambda key: _fetch_or_skip(client, entity, key, result, languages), edits))
        result.requests += len(edits) * (1 + len(languages))
        documents = [
            (n, doc) for n, (key, doc) in enumerate(zip(edits, fetched, strict=True), 1) if isinstance(doc, bytes)
        ]
        gone = [key for key, doc in zip(edits, fetched, strict=True) if doc is None]
        gone = _deletable(entity, gone, result, "answered 404")
        batch_newest = max((c.at for c in changes if c.at is not None), default=None)
        if batch_newest is not None:
            newest = batch_newest if newest is None or batch_newest > newest else newest
        # the cursor moves with a batch only when every earlier change has been applied (ordered list);
        # the last batch (floor given) has applied everything read
        if floor is not None:
            move_to: datetime | None = max(newest, floor) if newest is not None else floor
        else:
            move_to = newest if ordered else None
        with _committed(conn):
            refused: set[str] = set()
            if documents:
                applied = Stager(conn, shop_id, entity).apply_chunk(documents)
                result.upserted += applied.applied
                log_warnings(shop_id, entity, applied)
                for failure in applied.failures:
                    key = edits[failure.line_no - 1]
                    refused.add(key)
                    result.failed.append(key)
                    result.warn(
                        "sync skipped a document Shoptet sent that cannot be applied", key=key, error=failure.error
                    )
            if deletes or gone:
                result.deleted += mark_deleted(conn, shop_id, entity, deletes + gone)
            if move_to is not None:
                result.cursor = _move_cursor(conn, shop_id, entity, move_to)
            if waiting:
                done_keys = [
                    k for k, doc in zip(edits, fetched, strict=True) if isinstance(doc, bytes) and k not in refused
                ]
                _webhooks_done(conn, shop_id, entity, waiting, done_keys + gone + deletes)
    result.not_found += sum(1 for doc in fetched if doc is None)
    if changes:
        result.batches += 1
    return newest


def _webhooks_done(
    conn: psycopg.Connection, shop_id: int, entity: str, waiting: list[tuple[str, str, int]], applied: list[str]
) -> None:
    """Waiting webhook keys (key_kind, key, seq as read before the fetch) of entities this batch
    applied: their rows go and their events are done (ingest.webhook_done), unless an event named
    them again meanwhile."""
    norm = (lambda k: k) if entity == "orders" else (lambda k: normalize_guid(k) or k)
    applied_keys = {norm(k) for k in applied}
    done = [w for w in waiting if w[1] in applied_keys]
    if done:
        conn.execute(
            query("sync.webhook_done"),
            {
                "shop_id": shop_id,
                "entity": entity,
                "kinds": [w[0] for w in done],
                "keys": [w[1] for w in done],
                "seqs": [w[2] for w in done],
            },
        )


def _plan(entity: str, changes: list[Change], result: SyncResult) -> tuple[list[str], list[str]]:
    """(keys to fetch, keys to soft-delete) of a batch: one entry per entity (GUIDs compared in any
    case); an entity with any change other than delete is fetched, so its detail decides."""
    by_key: dict[str, list[Change]] = {}
    for change in changes:
        by_key.setdefault(change.key if entity == "orders" else (normalize_guid(change.key) or change.key), []).append(
            change
        )
    edits: list[str] = []
    deletes: list[str] = []
    for group in by_key.values():
        if len(group) > 1:
            result.warn(
                "sync: the change list names one entity more than once; it is applied once",
                key=group[0].key,
                entries=len(group),
            )
        if all(c.type == "delete" for c in group):
            deletes.append(group[0].key)
        else:
            edits.append(group[0].key)
    return edits, _deletable(entity, deletes, result, "delete")


def _deletable(entity: str, keys: list[str], result: SyncResult, why: str) -> list[str]:
    """The keys worth giving ingest.mark_deleted: a customer or product key that is not a GUID
    (normalize_guid, the twin of core.normalize_guid, says None) matches no stored row; it is
    left out with a warning."""
    if entity == "orders":
        return keys
    usable = []
    for key in keys:
        if normalize_guid(key) is None:
            result.skipped += 1
            result.warn(
                "sync skipped a deletion: the guid is not a GUID, no stored row can have it", key=key, reason=why
            )
        else:
            usable.append(key)
    return usable


def _fetch_or_skip(
    client: ShoptetClient, entity: str, key: str, result: SyncResult, languages: Sequence[str] = ()
) -> bytes | None | bool:
    """The detail as fetch_entity gives it (with the texts of ``languages``); False (skipped, with a
    warning) when Shoptet refuses the request itself (400 / 409 / 413 / 422: asking again will not
    help). Other errors raise."""
    try:
        return fetch_entity(client, entity, key, languages=languages)
    except errors.BadRequest as exc:
        result.failed.append(key)
        result.warn("sync skipped a change whose detail Shoptet refuses", key=key, error=str(exc))
        return False


def fetch_entity(
    client: ShoptetClient, entity: str, key: str, *, path: str | None = None, languages: Sequence[str] = ()
) -> bytes | None:
    """The entity's current document (detail endpoint, envelope unwrapped) as JSON bytes for
    ingest; None when Shoptet answers 404 (deleted). ``path`` overrides the detail URL
    (a product by variant code). ``languages`` (products): the shop's other languages; the detail
    is read once more in each (``?language=``) and their texts ride along in the document
    (documents.LANGUAGE_TEXTS_KEY). No language given (a one-language shop): one request."""
    detail, wrapper = DETAIL[entity]
    try:
        params = {"include": documents.PRODUCT_INCLUDE} if entity == "products" else None
        data = client.get(path or detail.format(quote(key, safe="")), params)
    except errors.NotFound:
        return None
    doc = data.get(wrapper) if wrapper and isinstance(data, dict) else data
    if not doc:
        return None
    if entity == "products" and languages and isinstance(doc, dict):
        texts = language_texts(client, str(doc.get("guid") or key), languages)
        if texts:
            doc[documents.LANGUAGE_TEXTS_KEY] = texts
    return orjson.dumps(doc)


def describe(summary: dict[str, Any]) -> str:
    """One line for `hub sync`."""
    parts = [f"shop {summary['shop_id']} {summary['entity']}:"]
    if summary.get("snapshot"):
        snap = summary["snapshot"]
        parts.append(f"snapshot imported (job {snap.get('job_id')}, {snap.get('lines', '?')} lines);")
    parts.append(f"{summary['changes']} change(s) read from {summary['read_from']} ({summary['started_from']}),")
    done = f"{summary['upserted']} upserted, {summary['deleted']} deleted"
    if summary.get("not_found"):
        done += f" ({summary['not_found']} answered 404)"
    if summary.get("failed"):
        done += f", {summary['failed']} skipped as unusable"
    if summary.get("undated"):
        done += f", {summary['undated']} without changeTime (applied)"
    if summary.get("held"):
        done += f", {summary['held']} dated in the future and held already (not fetched)"
    if summary.get("skipped"):
        done += f", {summary['skipped']} odd entries skipped"
    if summary.get("warnings"):
        done += f" ({summary['warnings']} warning(s): ingest.sync_cursors.last_warnings)"
    parts.append(done + ";")
    parts.append(f"cursor {summary['cursor']} ({summary['seconds']} s)")
    return " ".join(parts)


__all__ = [
    "sync_entity",
    "iter_changes",
    "SyncBusy",
    "OVERLAP",
    "HISTORY_LIMIT",
    "BATCH_SIZE",
    "describe",
    "format_datetime",
]
