"""Approved texts -> Shoptet, per shop and language; the shop's languages and texts <- Shoptet.

``sync_shop`` (`hub translate sync --shop N`, the ``sync_translations`` job on queue
``translations``):

1. takes the shop's translation lock (a session advisory lock, runner/sql/translations.sql
   ``sync_lock``): a second sync of the same shop is refused with TranslationBusy, never run twice;
2. reads ``GET /api/eshop`` and stores the shop's languages (catalog.store_shop_languages);
3. asks catalog.translation_sync_plan(shop) what to push: the effective texts (overlay, else
   approved translation) not yet pushed with the same hash -- an unchanged text sends nothing --
   and rows that cannot be pushed, with the reason (no such product, the shop lacks the language);
4. sends one ``PATCH /api/products/{guid}?language=L`` with ``{"data": {field: text, ...}}`` per
   product and language, through the shop's ShoptetClient (its rate limits, 429/423 retries);
   more than ``batch_threshold`` of them (setting translations.batch_threshold; unset: never) go as
   ONE ``PATCH /api/products/batch`` job, its file published where Shoptet can download it
   (``database_publisher``: served by `hub serve` at HUB_PUBLIC_URL/translations/batch/<name>);
5. records the outcome in one transaction (catalog.translation_sync_record): pushes stored,
   refused translations ``failed`` with Shoptet's error (retried by the next sync), translations
   every target shop has now ``synced``.

No transaction is open during the HTTP requests.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from runner.logs import log
from runner.queries import query
from runner.shoptet import errors as shoptet_errors
from runner.shoptet.client import ShoptetClient
from runner.translations import TranslationError

logger = logging.getLogger("hub.translations")

_ROW_ERROR = re.compile(r"^\s*row\s+(\d+)\s*:\s*error\s*:?\s*(.*)$", re.IGNORECASE | re.MULTILINE)

# publish(shop_id, name, jsonl bytes) -> a URL Shoptet can download the file from
Publisher = Callable[[int, str, bytes], str]


class TranslationBusy(TranslationError):
    """Another translation sync of the shop is running."""


@dataclass
class SyncResult:
    shop_id: int
    languages: list[str] = field(default_factory=list)
    requests: int = 0  # PATCH requests sent (a batch counts one)
    pushed: int = 0  # texts Shoptet took
    failed: int = 0  # texts refused or impossible
    synced: int = 0  # translations now synced
    batch_job: str | None = None
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "shop_id": self.shop_id,
            "languages": self.languages,
            "requests": self.requests,
            "pushed": self.pushed,
            "failed": self.failed,
            "synced": self.synced,
            "batch_job": self.batch_job,
            "errors": self.errors[:20],
        }


def store_languages(conn: psycopg.Connection, shop_id: int, eshop: dict[str, Any]) -> list[str]:
    """The shop's languages from a GET /api/eshop answer (``data``), default first. A code that is
    not a language code is left out with a warning naming shop and code (the others are stored)."""
    for code, problem in conn.execute(query("translations.language_problems"), {"eshop": Jsonb(eshop)}):
        log(
            logger,
            logging.WARNING,
            "GET /api/eshop: a language left out",
            shop_id=shop_id,
            language=code,
            error=problem,
        )
    row = conn.execute(query("translations.store_languages"), {"shop_id": shop_id, "eshop": Jsonb(eshop)}).fetchone()
    return list(row[0]) if row and row[0] else []


def refresh_languages(conn: psycopg.Connection, client: ShoptetClient, shop_id: int) -> list[str]:
    """Read GET /api/eshop and store the shop's languages; default first."""
    eshop = client.get("/api/eshop") or {}
    with conn.transaction():
        return store_languages(conn, shop_id, eshop)


def read_texts(conn: psycopg.Connection, client: ShoptetClient, shop_id: int, language: str, guids: list[str]) -> int:
    """Read products' details in ``language`` (``GET /api/products/{guid}?language=``) now and store
    their texts in catalog.product_texts through the catalogue's own path (ingest.apply_products:
    texts only, the same checks and warnings); how many texts changed (an empty field read for the
    first time is not counted). The catalogue import reads
    every language of the shop by itself; this is for a few products or a language just activated
    (`hub translate pull`). A product Shoptet no longer has is skipped."""
    from runner.shoptet.ingest import Stager, log_warnings

    docs: list[tuple[int, bytes]] = []
    for n, guid in enumerate(guids, 1):
        try:
            doc = client.get(f"/api/products/{guid}", {"language": language})
        except shoptet_errors.NotFound:
            continue
        if isinstance(doc, dict) and doc:
            docs.append((n, orjson.dumps(doc)))
    with conn.transaction():
        result = Stager(conn, shop_id, "products", language=language).apply_chunk(docs)
    log_warnings(shop_id, "products", result)
    for failure in result.failures:
        log(
            logger,
            logging.WARNING,
            "a product detail could not be read into texts",
            shop_id=shop_id,
            language=language,
            entity_key=guids[failure.line_no - 1],
            error=failure.error,
        )
    # texts whose value changed; a field first seen empty is stored but is no change of a text
    return int(result.outcome.get("texts_changed") or 0)


def shop_products(conn: psycopg.Connection, shop_id: int) -> list[str]:
    """GUIDs of the shop's live products."""
    return [str(r[0]) for r in conn.execute(query("translations.shop_products"), {"shop_id": shop_id})]


def plan(conn: psycopg.Connection, shop_id: int | None) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query("translations.sync_plan"), {"shop_id": shop_id}).fetchall()


def sync_shop(
    conn: psycopg.Connection,
    client: ShoptetClient,
    shop_id: int,
    *,
    batch_threshold: int | None = None,
    publish: Publisher | None = None,
    batch_timeout: float = 600.0,
) -> SyncResult:
    """Push the shop's pending texts (see the module docstring). ``conn`` is autocommit."""
    locked = conn.execute(query("translations.sync_lock"), {"shop_id": shop_id}).fetchone()
    if not locked or not locked[0]:
        raise TranslationBusy(f"shop {shop_id}: another translation sync is running; try again when it ends")
    try:
        result = SyncResult(shop_id)
        result.languages = refresh_languages(conn, client, shop_id)
        rows = plan(conn, shop_id)
        outcomes: list[dict[str, Any]] = []
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for row in rows:
            if row["error"]:
                outcomes.append(_outcome(row, False, row["error"]))
            else:
                groups.setdefault((row["target_guid"], row["language"]), []).append(row)
        threshold = batch_threshold if batch_threshold is not None else configured_threshold(conn, shop_id)
        if publish is not None and threshold is not None and len(groups) > threshold:
            outcomes += batch_push(client, shop_id, groups, publish, result, timeout=batch_timeout)
        else:
            for (guid, language), fields in groups.items():
                outcomes += _patch_one(client, guid, language, fields, result)
        result.pushed = sum(1 for o in outcomes if o["ok"])
        result.failed = len(outcomes) - result.pushed
        result.errors = sorted({o["error"] for o in outcomes if not o["ok"]})
        if outcomes:
            with conn.transaction():
                recorded = conn.execute(
                    query("translations.sync_record"), {"shop_id": shop_id, "results": Jsonb(outcomes)}
                ).fetchone()
            result.synced = int(recorded[0].get("synced", 0)) if recorded else 0
        log(
            logger,
            logging.INFO if not result.failed else logging.WARNING,
            "translations synced",
            shop_id=shop_id,
            requests=result.requests,
            pushed=result.pushed,
            failed=result.failed,
            synced=result.synced,
        )
        return result
    finally:
        conn.execute(query("translations.sync_unlock"), {"shop_id": shop_id})


def _outcome(row: dict[str, Any], ok: bool, error: str | None = None) -> dict[str, Any]:
    return {
        "product_guid": row["product_guid"],
        "language": row["language"],
        "field": row["field"],
        "value_hash": row["value_hash"],
        "translation_id": row["translation_id"],
        "ok": ok,
        "error": error,
    }


def _patch_one(
    client: ShoptetClient, guid: str, language: str, fields: list[dict[str, Any]], result: SyncResult
) -> list[dict[str, Any]]:
    """One PATCH of a product's texts in one language; the outcome of each field."""
    body = {"data": {f["field"]: f["value"] for f in fields}}
    result.requests += 1
    try:
        client.request("PATCH", f"/api/products/{guid}", params={"language": language}, json=body)
    except shoptet_errors.ShoptetError as exc:
        return [_outcome(f, False, str(exc)) for f in fields]
    return [_outcome(f, True) for f in fields]


def batch_push(
    client: ShoptetClient,
    shop_id: int,
    groups: dict[tuple[str, str], list[dict[str, Any]]],
    publish: Publisher,
    result: SyncResult,
    *,
    timeout: float = 600.0,
    poll: float = 0.5,
) -> list[dict[str, Any]]:
    """All updates as ONE ``PATCH /api/products/batch`` job (shoptet/developers openapi.yaml
    productBatchUpdate): a JSON Lines file, one productUpdate row with ``guid`` and ``language``
    per product and language, published where Shoptet can download it (``publish`` returns its
    URL), sent as ``{"batchFileUrlPath": url}``; then the job is polled to its end. Rows the job's
    ``log`` reports as ``Row N: error ...`` failed (rows count from 1); a failed job fails all."""
    keys = list(groups)
    lines = [
        orjson.dumps({"guid": guid, "language": language, **{f["field"]: f["value"] for f in groups[(guid, language)]}})
        for guid, language in keys
    ]
    url = publish(shop_id, f"translations-{shop_id}-{int(time.time() * 1000)}.jsonl", b"\n".join(lines) + b"\n")
    result.requests += 1
    try:
        answer = client.request("PATCH", "/api/products/batch", json={"batchFileUrlPath": url})
        job_id = str((answer.get("data") or {}).get("jobId") or "")
        if not job_id:
            raise TranslationError(f"shop {shop_id}: PATCH /api/products/batch answered without a jobId")
        result.batch_job = job_id
        deadline = time.monotonic() + timeout
        while True:
            time.sleep(poll)
            job = (client.get(f"/api/system/jobs/{job_id}") or {}).get("job") or {}
            status = job.get("status")
            if status in ("completed", "failed", "expired", "killed"):
                break
            if time.monotonic() > deadline:
                raise TranslationError(f"shop {shop_id}: batch job {job_id} did not end within {timeout:.0f} s")
    except (shoptet_errors.ShoptetError, TranslationError) as exc:
        return [_outcome(f, False, str(exc)) for key in keys for f in groups[key]]
    if status != "completed":
        why = f"batch job {job_id} ended {status}: {(job.get('log') or '').strip()[:500]}"
        return [_outcome(f, False, why) for key in keys for f in groups[key]]
    refused = {int(n): msg.strip() for n, msg in _ROW_ERROR.findall(job.get("log") or "")}
    out: list[dict[str, Any]] = []
    for n, key in enumerate(keys, 1):
        error = refused.get(n)
        out += [
            _outcome(f, error is None, None if error is None else f"batch job {job_id} row {n}: {error}")
            for f in groups[key]
        ]
    return out


BATCH_PATH = "/translations/batch/"
BATCH_THRESHOLD_SETTING = "translations.batch_threshold"


def database_publisher(conninfo: str, public_url: str) -> Publisher:
    """Keep a batch file in catalog.translation_batch_files, served by `hub serve` at
    ``public_url/translations/batch/<name>`` (the name carries a random token)."""
    import secrets

    from runner.connection import open_connection

    def publish(shop_id: int, name: str, body: bytes) -> str:
        unguessable = f"{name.removesuffix('.jsonl')}-{secrets.token_urlsafe(24)}.jsonl"
        with open_connection(conninfo, autocommit=True) as conn:
            conn.execute(query("translations.batch_file_put"), {"name": unguessable, "shop_id": shop_id, "body": body})
        return public_url.rstrip("/") + BATCH_PATH + unguessable

    return publish


def configured_threshold(conn: psycopg.Connection, shop_id: int) -> int | None:
    """The setting translations.batch_threshold (a shop's own value wins): more product-language
    updates than this go as one batch job; unset (the default): never, single PATCHes only."""
    row = conn.execute(query("translations.batch_threshold"), {"shop_id": shop_id}).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def publisher_for(cfg: Any) -> Publisher:
    """The publisher of `hub serve` for this configuration (HUB_PUBLIC_URL, the hub database)."""
    from runner.db import target_for

    return database_publisher(target_for(cfg).app, cfg.public_url)


def defer(conn: psycopg.Connection, shop_id: int) -> int:
    """The shop's waiting sync_translations job (deferred when none waits); its id."""
    row = conn.execute(query("translations.sync_defer"), {"shop_id": shop_id}).fetchone()
    assert row is not None
    return int(row[0])


def describe(result: SyncResult) -> str:
    """One line for the terminal."""
    text = (
        f"shop {result.shop_id} ({', '.join(result.languages)}): {result.requests} request(s), "
        f"{result.pushed} text(s) pushed, {result.failed} failed, {result.synced} translation(s) synced"
    )
    if result.batch_job:
        text += f" (batch job {result.batch_job})"
    for error in result.errors[:10]:
        text += f"\n  failed: {error}"
    return text
