"""The sandbox's foreign languages: ``language=`` on product reads and PATCH, and the batch update.

As the official spec describes it (shoptet-api.md; shoptet/developers openapi.yaml "Translations",
``productUpdate``, ``productBatchUpdate``): a shop with the Foreign languages module (more than one
language here) lists ``languages[]`` on ``GET /api/eshop``; without it ``settings.eshopLanguage`` is
the only language and ``language=`` naming another is refused (400, on every product read: detail,
by code, list, snapshot, changes). A product read in a language that is not the default (detail,
list, snapshot file) carries that language's texts (a field never translated is null); a PATCH with
``?language=`` writes them, and without it (or with the default) it writes the product itself. The
batch update takes ``{"batchFileUrlPath": url}``, answers 202 with a job id, downloads the JSON
Lines file, applies it row by row (each row a productUpdate with ``guid`` and an optional
``language``), skips a row that fails, and writes the job's ``log``: one line per row,
``Row N: product GUID updated.`` or ``Row N: error: MESSAGE`` (the real log's wording is not
documented; the hub reads only ``Row N: error``).

Each PATCH (single or batch row) is counted per shop: ``/_sandbox/patches?eshopId=``.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from typing import Any

import httpx
import orjson

from runner.sandbox.errors import ApiError
from runner.sandbox.formats import fmt_dt
from runner.sandbox.jobs import Job, new_job_id

# the sandbox's state and its shops (state.SandboxState, store.Shop) are passed in, typed Any: both
# modules import this one
SandboxState = Any
Shop = Any

logger = logging.getLogger("hub.sandbox")

# productUpdate text fields and their documented maximum lengths (None: no limit)
TEXT_FIELDS: dict[str, int | None] = {
    "name": 250,
    "shortDescription": None,
    "description": None,
    "metaTitle": 255,
    "metaDescription": None,
    "additionalName": 150,
}
# read-only texts served per language too
READ_ONLY_TEXTS = ("xmlFeedName",)
BATCH_ENDPOINT = "/api/products/batch"


class ShopLanguages:
    """One shop's languages (the first is the default), its translated texts and its PATCH count."""

    def __init__(self, languages: list[str] | None = None):
        self.languages = [c.lower() for c in (languages or ["cs"])]
        self.texts: dict[tuple[str, str], dict[str, Any]] = {}  # (guid lower, language) -> field -> value
        self.patches: list[dict[str, Any]] = []  # {guid, language, fields, via}
        self.lock = threading.Lock()

    @property
    def default(self) -> str:
        return self.languages[0]

    @property
    def module_active(self) -> bool:
        return len(self.languages) > 1

    def eshop_languages(self) -> list[dict[str, Any]]:
        """``languages[]`` of GET /api/eshop (only with the module)."""
        return [
            {
                "code": code,
                "currencyCode": "CZK" if code == "cs" else "EUR",
                "dateFormat": "j.n.Y",
                "timeFormat": "H:i",
                "isVisible": True,
                "isDefault": n == 0,
                "priority": n + 1,
            }
            for n, code in enumerate(self.languages)
        ]


def language_of(shop: Shop, params: dict[str, str]) -> str | None:
    """The non-default language a request asks for (None: the default); ApiError when the shop
    does not have it (or has no Foreign languages module)."""
    langs: ShopLanguages = shop.languages
    asked = (params.get("language") or "").strip().lower()
    if not asked or asked == langs.default:
        return None
    if not langs.module_active:
        raise ApiError(
            400,
            "invalid-request-data",
            f'Language "{asked}" cannot be used: the module Foreign languages is not active in this e-shop.',
            "language",
        )
    if asked not in langs.languages:
        raise ApiError(
            400,
            "invalid-request-data",
            f'Language "{asked}" is not available in this e-shop (languages: {", ".join(langs.languages)}).',
            "language",
        )
    return asked


def translated(shop: Shop, doc: dict[str, Any], language: str | None) -> dict[str, Any]:
    """The product document in ``language`` (None: as it is): its texts replaced by that
    language's (null where never translated)."""
    if language is None:
        return doc
    out = copy.copy(doc)
    texts = shop.languages.texts.get((str(doc.get("guid", "")).lower(), language), {})
    for f in (*TEXT_FIELDS, *READ_ONLY_TEXTS):
        out[f] = texts.get(f)
    return out


def _validate(data: Any, where: str) -> dict[str, Any]:
    """The text fields of a productUpdate body; ApiError 400/422 naming what is wrong."""
    if not isinstance(data, dict) or not data:
        raise ApiError(422, "invalid-request-data", f"{where}: expected a non-empty object of product fields.", "data")
    fields = {k: v for k, v in data.items() if k not in ("guid", "language")}
    for key, value in fields.items():
        if key not in TEXT_FIELDS:
            raise ApiError(
                422,
                "invalid-request-data",
                f"{where}: the sandbox updates product texts only ({', '.join(TEXT_FIELDS)}); got {key!r}.",
                key,
            )
        if value is not None and not isinstance(value, str):
            raise ApiError(400, "invalid-request-data", f"{where}: {key} must be a string or null.", key)
        limit = TEXT_FIELDS[key]
        if key in ("name", "metaTitle") and value is not None and len(value) < 1:
            raise ApiError(400, "invalid-request-data", f"{where}: {key} must not be empty.", key)
        if limit is not None and value is not None and len(value) > limit:
            raise ApiError(
                400,
                "invalid-request-data",
                f"{where}: {key} is {len(value)} characters long; the maximum is {limit}.",
                key,
            )
    return fields


def update_product(
    sb: SandboxState, shop: Shop, guid: str, language: str | None, data: Any, *, via: str = "patch"
) -> dict[str, Any]:
    """Apply one productUpdate's texts in ``language`` (None: the default, the product itself);
    the product as read back in that language. ApiError 404 for an unknown product."""
    fields = _validate(data, f"product {guid}")
    doc = shop.product_by_guid(guid)
    if doc is None:
        raise ApiError(404, "product-not-found", f'Product with guid "{guid}" not found.', "guid")
    langs: ShopLanguages = shop.languages
    with langs.lock:
        langs.patches.append(
            {"guid": guid.lower(), "language": language or langs.default, "fields": fields, "via": via}
        )
    if language is None:
        changed = {**copy.deepcopy(doc), **fields, "changeTime": fmt_dt(time.time())}
        sb.put(shop.eshop_id, "products", [changed])
        return changed
    with langs.lock:
        langs.texts.setdefault((guid.lower(), language), {}).update(fields)
    return translated(shop, doc, language)


def patch_counts(shop: Shop) -> dict[str, Any]:
    """PATCHes served to a shop (single and batch rows), per language, and the last ones."""
    langs: ShopLanguages = shop.languages
    with langs.lock:
        per: dict[str, int] = {}
        for p in langs.patches:
            per[p["language"]] = per.get(p["language"], 0) + 1
        return {"total": len(langs.patches), "perLanguage": per, "last": langs.patches[-50:]}


def start_batch(sb: SandboxState, shop: Shop, body: Any) -> Job:
    """PATCH /api/products/batch: a job that downloads ``batchFileUrlPath`` and applies its rows."""
    url = body.get("batchFileUrlPath") if isinstance(body, dict) else None
    if not isinstance(url, str) or not url.strip():
        raise ApiError(422, "invalid-request-data", "Property batchFileUrlPath is required.", "batchFileUrlPath")
    job = Job(new_job_id(), shop.eshop_id, "products", BATCH_ENDPOINT, time.time())
    with sb._lock:
        sb.jobs[job.job_id] = job
    thread = threading.Thread(
        target=_run_batch, args=(sb, shop, job, url), name=f"sandbox-batch-{job.job_id}", daemon=True
    )
    sb._threads.append(thread)
    thread.start()
    return job


def _run_batch(sb: SandboxState, shop: Shop, job: Job, url: str) -> None:
    log: list[str] = []
    try:
        time.sleep(sb.job_seconds * 0.3)
        job.status = "running"
        response = httpx.get(url, timeout=30.0)
        if response.status_code != 200:
            raise RuntimeError(f'File "{url}" not found (HTTP {response.status_code}).')
        rows = [line for line in response.content.splitlines() if line.strip()]
        for n, raw in enumerate(rows, 1):
            try:
                row = orjson.loads(raw)
                if not isinstance(row, dict) or not isinstance(row.get("guid"), str):
                    raise ApiError(422, "invalid-request-data", "each row needs the product's guid")
                language = language_of(shop, {"language": str(row.get("language") or "")})
                update_product(sb, shop, row["guid"], language, row, via="batch")
                log.append(f"Row {n}: product {row['guid']} updated.")
            except (ApiError, orjson.JSONDecodeError) as exc:
                message = exc.message if isinstance(exc, ApiError) else f"malformed JSON: {exc}"
                log.append(f"Row {n}: error: {message}")
        job.lines = len(rows)
        job.status, job.completed = "completed", time.time()
    except Exception as exc:  # noqa: BLE001 - a broken job is a failed job, as at Shoptet
        logger.warning("sandbox batch job %s failed: %s", job.job_id, exc)
        log.append(f"Job failed: {exc}")
        job.status, job.completed = "failed", time.time()
    job.log = "\n".join(log)
    if not sb._closed:
        sb._emit(job.eshop_id, [("job:finished", job.job_id)])
