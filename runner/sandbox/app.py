"""The sandbox's HTTP face: Shoptet's REST API, its OAuth server, result files, and /_sandbox control.

Every ``/api/*`` response is the Shoptet envelope ``{data, errors, metadata: {requestId}}``
with ``X-Request-ID`` and ``X-RateLimit-Bucket-Filling: n/200``. Before a handler runs:
authentication (``Shoptet-Private-API-Token`` or ``Shoptet-Access-Token``; 401
``missing-access-token`` / ``invalid-token`` / ``expired-token``), the 3-concurrent-requests
limit per token and the leaky bucket (429 with ``Retry-After`` as an HTTP date), and the
fault switches. Handlers are plain functions run in the thread pool (a filtered list may
scan many generated orders) and return ``(status, data)`` or raise ApiError.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from runner.sandbox import generator as g
from runner.sandbox import languages as lang
from runner.sandbox.errors import ApiError
from runner.sandbox.formats import http_date
from runner.sandbox.state import SandboxState
from runner.sandbox.store import BadRequest, Shop
from runner.sandbox.webhooks import WebhookError

JSON_TYPE = "application/json; charset=utf-8"
# (default, max) itemsPerPage per list
PAGING = {
    "orders": (50, 50),
    "customers": (20, 1000),
    "products": (20, 1000),
    "jobs": (100, 500),
    "webhooks": (20, 500),
    "notifications": (20, 500),
    "orders_changes": (20, 1000),
    "customers_changes": (20, 20),
    "products_changes": (1000, 1000),
}
CHANGES_WINDOW_S = 30 * 86400


def request_id() -> str:
    """A UUIDv7-like id (time-ordered), as Shoptet sends."""
    ms = int(time.time() * 1000)
    rnd = int.from_bytes(os.urandom(10), "big")
    h = f"{ms:012x}7{rnd >> 68 & 0xFFF:03x}{(rnd >> 4 & 0x3FFF) | 0x8000:04x}{rnd >> 18 & 0xFFFFFFFFFFFF:012x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def envelope(data: Any, errors: list[dict[str, str]] | None, rid: str) -> bytes:
    return orjson.dumps({"data": data, "errors": errors, "metadata": {"requestId": rid}})


def _paging(params: dict[str, str], which: str) -> tuple[int, int]:
    default, maximum = PAGING[which]
    try:
        page = int(params.get("page") or 1)
        per = int(params.get("itemsPerPage") or default)
    except ValueError:
        raise ApiError(
            400, "invalid-request-data", "Parameters `page` and `itemsPerPage` must be integers.", "page"
        ) from None
    return max(1, page), min(max(1, per), maximum)


def _paginator(total: int, page: int, per: int, on_page: int) -> dict[str, int]:
    return {
        "totalCount": total,
        "page": page,
        "pageCount": math.ceil(total / per),
        "itemsOnPage": on_page,
        "itemsPerPage": per,
    }


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


# -- handlers (run in the thread pool) ----------------------------------------------------------


def eshop_info(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    base = sb.base_url(request)
    return 200, {
        "contactInformation": {
            "eshopId": shop.eshop_id,
            "eshopName": shop.name,
            "eshopTitle": shop.name,
            "eshopCategory": None,
            "eshopSubtitle": None,
            # the storefront's address, as product URLs have it (not the API's: feeds link to it)
            "url": f"{shop.data.web}/",
            "contactPerson": "Sandbox Admin",
            "email": f"info@{shop.eshop_id}.example.com",
            "phone": "+420777000000",
            "mobilePhone": None,
            "skypeAccount": None,
            "contactPhotoUrl": None,
        },
        "billingInformation": {
            "name": f"{shop.name} s.r.o.",
            "street": "Národní",
            "houseNumber": "1",
            "city": "Praha 1",
            "zip": "110 00",
            "countryCode": "CZ",
            "companyId": "12345678",
            "vatId": "CZ12345678",
        },
        "settings": {
            "vatPayer": True,
            "cashDeskOnly": False,
            "eshopLanguage": shop.languages.default,
            **({"timezone": shop.timezone} if shop.timezone is not None else {}),
            "dateFormat": "d.m.Y",
            "timeFormat": "H:i:s",
            "defaultPricelist": 1,
        },
        "currencies": [
            {
                "code": "CZK",
                "title": "Koruna česká",
                "isDefault": True,
                "isDefaultAdmin": True,
                "isDefaultDocuments": True,
                "isVisible": True,
                "exchangeRate": "1.00000000",
                "priority": 1,
                "priceDecimalPlaces": 2,
                "rounding": "none",
            },
            {
                "code": "EUR",
                "title": "Euro",
                "isDefault": False,
                "isDefaultAdmin": False,
                "isDefaultDocuments": False,
                "isVisible": True,
                "exchangeRate": "25.00000000",
                "priority": 2,
                "priceDecimalPlaces": 2,
                "rounding": "none",
            },
        ],
        "taxClasses": [],
        "activeModules": [{"title": "API", "name": "api"}]
        + ([{"title": "Cizí jazyky", "name": "foreignLanguages"}] if shop.languages.module_active else []),
        "urls": [
            {"ident": "admin-orders-list", "url": f"{shop.data.admin}/prehled-objednavek"},
            {"ident": "admin-customers-list", "url": f"{shop.data.admin}/zakaznici"},
            {"ident": "oauth", "url": f"{base}/action/ApiOAuthServer/"},
        ],
        "socialNetworks": [],
        # only with the Foreign languages module (shoptet/developers openapi.yaml getEshopInfo)
        **({"languages": shop.languages.eshop_languages()} if shop.languages.module_active else {}),
        "orderStatuses": _statuses()
        if "orderstatuses" in (request.query_params.get("include") or "").lower()
        else None,
        "imageCuts": _image_cuts(shop) if "imagecuts" in (request.query_params.get("include") or "").lower() else None,
    }


def _image_cuts(shop: Shop) -> list[dict[str, Any]]:
    """include=imageCuts: the cuts with their URL paths (file names of images[] are appended)."""
    cuts = (("big", 1024, 768), ("detail", 360, 270), ("related", 150, 150), ("orig", None, None))
    return [
        {
            "name": name,
            "width": width,
            "height": height,
            "urlPath": f"{shop.data.web}/user/shop/{name}/",
            "cdnPath": f"https://cdn.myshoptet.com/usr/{shop.eshop_id}.myshoptet.com/user/shop/{name}/",
        }
        for name, width, height in cuts
    ]


def _statuses() -> dict[str, Any]:
    return {
        "defaultStatus": -1,
        "statuses": [
            {
                "id": sid,
                "name": name,
                "system": sid < 0,
                "order": n + 1,
                "markAsPaid": sid == -3,
                "color": None,
                "backgroundColor": None,
                "changeOrderItems": False,
                "stockClaimResolved": False,
            }
            for n, (sid, name, _a, _b) in enumerate(g.STATUSES)
        ],
    }


def order_statuses(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    return 200, _statuses()


def _list(
    shop: Shop, kind: str, request: Request, convert: Callable[[dict[str, Any]], dict[str, Any]], key: str
) -> tuple[int, Any]:
    params = _params(request)
    page, per = _paging(params, kind)
    try:
        refs = shop.refs(kind, params)
    except BadRequest as exc:
        raise ApiError(400, "invalid-request-data", str(exc), "query") from None
    total = len(refs)
    rows = []
    for i in refs.slice((page - 1) * per, per):
        e = shop.entity(kind, i)
        if e is not None:
            rows.append(convert(e))
    return 200, {key: rows, "paginator": _paginator(total, page, per, len(rows))}


def list_orders(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    return _list(shop, "orders", request, g.order_list_item, "orders")


def list_customers(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    return _list(shop, "customers", request, shop.data.customer_list_item, "customers")


def list_products(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    """GET /api/products[?language=]: list items carry the name in the language asked for."""
    language = lang.language_of(shop, _params(request))
    return _list(
        shop, "products", request, lambda p: shop.data.product_list_item(lang.translated(shop, p, language)), "products"
    )


def order_detail(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    code = request.path_params["code"]
    o = shop.order_by_code(code)
    if o is None:
        raise ApiError(404, "not-found", f'Order with code "{code}" not found.', "code")
    return 200, {"order": o}


def customer_detail(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    guid = request.path_params["guid"]
    c = shop.customer_by_guid(guid)
    if c is None:
        raise ApiError(404, "not-found", f'Customer with guid "{guid}" not found.', "guid")
    return 200, {"customer": c}


def product_detail(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    guid = request.path_params["guid"]
    language = lang.language_of(shop, _params(request))
    p = shop.product_by_guid(guid)
    if p is None:
        raise ApiError(404, "not-found", f'Product with guid "{guid}" not found.', "guid")
    return 200, lang.translated(shop, g.shape_product(p, request.query_params.get("include")), language)


def product_update(sb: SandboxState, shop: Shop, request: Request, body: bytes) -> tuple[int, Any]:
    """PATCH /api/products/{guid}[?language=]: body ``{"data": productUpdate}`` (texts only here).
    Fault ``locked_writes``: 423 as Shoptet answers while another request writes the product."""
    language = lang.language_of(shop, _params(request))
    if sb.faults.take("locked_writes"):
        guid = request.path_params["guid"]
        raise ApiError(
            423, "concurrent-update", f'Product "{guid}" is being updated by another request. Please retry.', guid
        )
    try:
        payload = orjson.loads(body or b"null")
    except orjson.JSONDecodeError:
        raise ApiError(422, "invalid-request-data", "Request body is not valid JSON.", "payload") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    return 200, lang.update_product(sb, shop, request.path_params["guid"], language, data)


def products_batch(sb: SandboxState, shop: Shop, request: Request, body: bytes) -> tuple[int, Any]:
    """PATCH /api/products/batch: ``{"batchFileUrlPath": url}`` -> 202 ``{jobId}``."""
    try:
        payload = orjson.loads(body or b"null")
    except orjson.JSONDecodeError:
        raise ApiError(422, "invalid-request-data", "Request body is not valid JSON.", "payload") from None
    job = lang.start_batch(sb, shop, payload)
    return 202, {"jobId": job.job_id}


def product_by_code(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    code = request.path_params["code"]
    language = lang.language_of(shop, _params(request))
    p = shop.product_by_code(code)
    if p is None:
        raise ApiError(404, "not-found", f'Product with code "{code}" not found.', "code")
    return 200, lang.translated(shop, g.shape_product(p, request.query_params.get("include")), language)


def _changes(shop: Shop, kind: str, request: Request, key: str) -> tuple[int, Any]:
    params = _params(request)
    from_text = params.get("from")
    if not from_text:
        raise ApiError(400, "invalid-request-data", "Parameter `from` is required.", "from")
    try:
        from runner.sandbox.formats import parse_dt

        since = parse_dt(from_text)
    except ValueError:
        raise ApiError(
            400,
            "invalid-request-data",
            f"Parameter `from` must be an ISO 8601 date and time like 2017-12-12T22:08:01+0100, got {from_text!r}.",
            "from",
        ) from None
    if since < time.time() - CHANGES_WINDOW_S:
        raise ApiError(
            400,
            "invalid-request-data",
            "Parameter `from` must not be older than 30 days (the change history covers the last 30 days).",
            "from",
        )
    change_type = params.get("changeType") or None
    if change_type not in (None, "add", "edit", "delete"):
        raise ApiError(400, "invalid-request-data", "Parameter `changeType` must be edit or delete.", "changeType")
    page, per = _paging(params, f"{kind}_changes")
    rows: Any = shop.changes(kind, since, change_type)
    col = shop.collection(kind)
    raw = [
        (ts, entry)
        for ts, entry in list(col.raw_changes)  # Sandbox.add_changes: served verbatim
        if ts >= since and (change_type is None or (isinstance(entry, dict) and entry.get("changeType") == change_type))
    ]
    if raw:
        rows = list(heapq.merge(rows, raw, key=lambda r: r[0]))
    chunk = rows[(page - 1) * per : page * per]
    out = []
    null_time = col.null_time
    from runner.sandbox.formats import fmt_dt

    for row in chunk:
        if len(row) == 2:
            out.append(row[1])
            continue
        ts, ctype, i = row
        out.append(
            {key: shop.key_of(kind, i), "changeTime": None if i in null_time else fmt_dt(ts), "changeType": ctype}
        )
    return 200, {"changes": out, "paginator": _paginator(len(rows), page, per, len(out))}


def order_changes(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    return _changes(shop, "orders", request, "code")


def customer_changes(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    return _changes(shop, "customers", request, "guid")


def product_changes(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    """GET /api/products/changes[?language=]: no texts in it, but a language the shop lacks is refused
    as on every product read."""
    lang.language_of(shop, _params(request))
    return _changes(shop, "products", request, "guid")


def _snapshot(sb: SandboxState, shop: Shop, kind: str, request: Request) -> tuple[int, Any]:
    if sb.deliverer.find(shop.eshop_id, "job:finished") is None:
        raise ApiError(
            403,
            "webhook-job-finished-not-registered",
            "Asynchronous requests need a registered `job:finished` webhook.",
            "webhook",
        )
    language = lang.language_of(shop, _params(request)) if kind == "products" else None
    params = {k: v for k, v in _params(request).items() if k not in ("include", "language", "page", "itemsPerPage")}
    try:
        job = sb.start_job(shop, kind, params, include=request.query_params.get("include"), language=language)
    except BadRequest as exc:
        raise ApiError(400, "invalid-request-data", str(exc), "query") from None
    return 202, {"jobId": job.job_id}


def orders_snapshot(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    return _snapshot(sb, shop, "orders", request)


def customers_snapshot(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    return _snapshot(sb, shop, "customers", request)


def products_snapshot(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    return _snapshot(sb, shop, "products", request)


def list_jobs(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    params = _params(request)
    page, per = _paging(params, "jobs")
    jobs = [j for j in sb.jobs_of(shop.eshop_id) if not params.get("status") or j.status == params["status"]]
    chunk = jobs[(page - 1) * per : page * per]
    base = sb.base_url(request)
    return 200, {
        "jobs": [j.as_json(base, detail=False) for j in chunk],
        "paginator": _paginator(len(jobs), page, per, len(chunk)),
    }


def job_detail(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    job_id = request.path_params["jobId"]
    job = sb.jobs.get(job_id)
    if job is None or job.eshop_id != shop.eshop_id:
        raise ApiError(404, "not-found", f'Job "{job_id}" not found.', "jobId")
    if job.status in ("pending", "running"):
        job.polls += 1
        if job.polls > 10:
            raise ApiError(
                403,
                "job-detail-limit-exceeded",
                "The detail of an unfinished job was requested more than 10 times; wait for the job:finished webhook.",
                "jobId",
            )
    return 200, {"job": job.as_json(sb.base_url(request))}


def list_webhooks(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    params = _params(request)
    page, per = _paging(params, "webhooks")
    hooks = sb.deliverer.of_shop(shop.eshop_id)
    chunk = hooks[(page - 1) * per : page * per]
    return 200, {"webhooks": [h.as_json() for h in chunk], "paginator": _paginator(len(hooks), page, per, len(chunk))}


def register_webhooks(sb: SandboxState, shop: Shop, request: Request, body: bytes) -> tuple[int, Any]:
    try:
        payload = orjson.loads(body or b"null")
    except orjson.JSONDecodeError:
        raise ApiError(422, "invalid-json", "Request body is not valid JSON.", "body") from None
    data = payload.get("data") if isinstance(payload, dict) else None
    try:
        made = sb.deliverer.register(shop.eshop_id, data)
    except WebhookError as exc:
        raise ApiError(exc.status, exc.code, exc.message, "data") from None
    return 201, {"webhooks": [h.as_json() for h in made]}


def webhook_detail(sb: SandboxState, shop: Shop, request: Request, body: bytes) -> tuple[int, Any]:
    try:
        hook_id = int(request.path_params["id"])
    except ValueError:
        raise ApiError(404, "not-found", "Webhook not found.", "id") from None
    if request.method == "DELETE":
        if not sb.deliverer.delete(shop.eshop_id, hook_id):
            raise ApiError(404, "not-found", f"Webhook {hook_id} not found.", "id")
        return 200, None
    if request.method == "PATCH":
        try:
            payload = orjson.loads(body or b"null")
        except orjson.JSONDecodeError:
            raise ApiError(422, "invalid-json", "Request body is not valid JSON.", "body") from None
        h = sb.deliverer.update(
            shop.eshop_id, hook_id, (payload or {}).get("data") if isinstance(payload, dict) else None
        )
    else:
        h = next((h for h in sb.deliverer.of_shop(shop.eshop_id) if h.id == hook_id), None)
    if h is None:
        raise ApiError(404, "not-found", f"Webhook {hook_id} not found.", "id")
    return 200, {"webhook": h.as_json()}


def renew_signature_key(sb: SandboxState, shop: Shop, request: Request, body: bytes) -> tuple[int, Any]:
    return 201, {"signatureKey": sb.renew_signature_key(shop.eshop_id)}


def webhook_notifications(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    params = _params(request)
    page, per = _paging(params, "notifications")
    rows = sb.deliverer.of_shop_notifications(shop.eshop_id)
    if params.get("status"):
        rows = [n for n in rows if n.status == params["status"]]
    if params.get("event"):
        rows = [n for n in rows if n.data["event"] == params["event"]]
    if params.get("active") in ("true", "false", "1", "0"):
        want = params["active"] in ("true", "1")
        rows = [n for n in rows if n.active == want]
    chunk = rows[(page - 1) * per : page * per]
    return 200, {
        "notifications": [n.as_json() for n in chunk],
        "paginator": _paginator(len(rows), page, per, len(chunk)),
    }


# -- the /api wrapper --------------------------------------------------------------------------


def api(
    handler: Callable[..., tuple[int, Any]], *, with_body: bool = False, detail: str | None = None
) -> Callable[[Request], Any]:
    """Auth, limits, faults and the envelope around one API handler. ``detail`` (orders, customers,
    products, variants): the handler serves one entity by the key in its path; the request is
    counted per key and answers ``detail_ms`` after it was admitted (the handler's own work
    included; a slower handler answers when done), holding its concurrency slot meanwhile."""

    async def endpoint(request: Request) -> Response:
        sb: SandboxState = request.app.state.sandbox
        rid = request_id()
        headers = {"X-Request-ID": rid}
        auth = None
        try:
            auth = sb.authenticate(request.headers)
            headers["X-RateLimit-Bucket-Filling"] = sb.bucket_filling(auth.bucket)
            if sb.inflight.get(auth.token, 0) >= sb.max_concurrent:
                sb.note_refused_concurrent(auth.token)
                raise ApiError(
                    429,
                    "too-many-concurrent-requests",
                    f"At most {sb.max_concurrent} concurrent requests per token are allowed.",
                    "token",
                )
            sb.inflight[auth.token] = sb.inflight.get(auth.token, 0) + 1
            sb.note_inflight(auth.token)
            try:
                fault = sb.faults.take_request_fault()
                if fault == "rate_limit":
                    raise ApiError(
                        429,
                        "rate-limit-exceeded",
                        "Too many requests (sandbox fault switch).",
                        "rate-limit",
                        {"Retry-After": http_date(time.time() + 1)},
                    )
                if fault == "server_error":
                    raise ApiError(500, "internal-server-error", "Internal server error (sandbox fault switch).")
                wait = sb.bucket_admit(auth.bucket)
                if wait is not None:
                    raise ApiError(
                        429,
                        "rate-limit-exceeded",
                        "The leaky bucket of this e-shop and application is full; slow down.",
                        "rate-limit",
                        {"Retry-After": http_date(time.time() + wait)},
                    )
                if sb.faults.slow_ms:
                    await asyncio.sleep(sb.faults.slow_ms / 1000)
                answer_at = time.monotonic()
                if detail is not None:
                    sb.count_detail(auth.shop.eshop_id, detail, next(iter(request.path_params.values()), ""))
                    answer_at += sb.faults.detail_ms / 1000
                try:
                    if with_body:
                        body = await request.body()
                        status, data = await run_in_threadpool(handler, sb, auth.shop, request, body)
                    else:
                        status, data = await run_in_threadpool(handler, sb, auth.shop, request)
                finally:
                    # a detail answers (found or not) detail_ms after it came, its own work included
                    if answer_at > time.monotonic():
                        await asyncio.sleep(answer_at - time.monotonic())
                headers["X-RateLimit-Bucket-Filling"] = sb.bucket_add(auth.bucket)
            finally:
                sb.inflight[auth.token] -= 1
        except ApiError as exc:
            headers.update(exc.headers)
            if auth is None:
                headers["X-RateLimit-Bucket-Filling"] = f"0/{sb.bucket_size}"
            elif "X-RateLimit-Bucket-Filling" not in headers:
                headers["X-RateLimit-Bucket-Filling"] = sb.bucket_filling(auth.bucket)
            body = envelope(None, [{"errorCode": exc.code, "message": exc.message, "instance": exc.instance}], rid)
            return Response(body, status_code=exc.status, headers=headers, media_type=JSON_TYPE)
        return Response(envelope(data, None, rid), status_code=status, headers=headers, media_type=JSON_TYPE)

    return endpoint


# -- OAuth (served on the e-shop domain; no envelope) ---------------------------------------------


async def oauth_token(request: Request) -> Response:
    sb: SandboxState = request.app.state.sandbox
    raw = await request.body()
    ctype = request.headers.get("content-type", "")
    fields: dict[str, Any] = {}
    try:
        if "json" in ctype or raw.strip().startswith(b"{"):
            parsed = orjson.loads(raw or b"{}")
            fields = parsed if isinstance(parsed, dict) else {}
        else:
            fields = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    except (orjson.JSONDecodeError, UnicodeDecodeError):
        return JSONResponse({"error": "invalid_request", "error_description": "unreadable body"}, status_code=400)
    if fields.get("grant_type", "authorization_code") != "authorization_code":
        return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
    code = fields.get("code")
    if not code or not isinstance(code, str):
        return JSONResponse({"error": "invalid_request", "error_description": "code is required"}, status_code=400)
    grant = sb.exchange_code(code)
    if grant is None:
        return JSONResponse({"error": "invalid_grant", "error_description": "unknown or used code"}, status_code=400)
    token, shop = grant
    base = sb.base_url(request)
    return JSONResponse(
        {
            "access_token": token,
            "expires_in": None,
            "token_type": "Bearer",
            "scope": "api",
            "eshopId": shop.eshop_id,
            "eshopUrl": f"{base}/",
            "contactEmail": f"info@{shop.eshop_id}.example.com",
        }
    )


async def oauth_access_token(request: Request) -> Response:
    sb: SandboxState = request.app.state.sandbox
    auth = request.headers.get("authorization", "")
    if not auth.lower().startswith("bearer "):
        return JSONResponse({"error": "Unauthorized"}, status_code=401)
    result = sb.mint_access_token(auth[7:].strip())
    if result == "unauthorized":
        return JSONResponse({"error": "Unauthorized"}, status_code=401)
    if isinstance(result, str):  # "maximum_tokens_reached"
        return JSONResponse({"error": result}, status_code=429)
    token, ttl = result
    return JSONResponse({"access_token": token, "expires_in": ttl})


# -- result files (no auth, like Shoptet's signed-looking URLs) ----------------------------------


async def result_file(request: Request) -> Response:
    sb: SandboxState = request.app.state.sandbox
    name = request.path_params["name"]
    job = sb.job_by_result(name)
    if job is None or job.path is None or job.status != "completed" or not job.path.exists():
        return Response(b"Not Found", status_code=404, media_type="text/plain")
    cut = sb.download_cut(name)
    if cut is not None:
        return _CutResponse(job.path, cut, sb.faults.truncate_fraction, sb.faults.truncate_tail_bytes)
    return FileResponse(job.path, media_type="application/octet-stream")


class _CutResponse(Response):
    """A result download hit by a fault switch: only the first part of the file is sent (a
    ``fraction`` of it, or all but its last ``tail_bytes``). ``truncate``: Content-Length says
    that shorter size, so the HTTP response is complete and the gzip stream truncated. ``drop``:
    Content-Length promises the whole file and the response stops unfinished, so the server
    closes the connection mid-body (uvicorn logs "ASGI callable returned without completing
    response")."""

    def __init__(self, path: Any, kind: str, fraction: float, tail_bytes: int):
        super().__init__(media_type="application/octet-stream")
        self.path, self.kind = path, kind
        self.size = path.stat().st_size
        keep = self.size - tail_bytes if tail_bytes > 0 else int(self.size * fraction)
        self.cut = min(max(16, keep), self.size - 1)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        length = self.cut if self.kind == "truncate" else self.size
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/octet-stream"), (b"content-length", str(length).encode())],
            }
        )
        with open(self.path, "rb") as fh:
            left = self.cut
            while left > 0:
                block = fh.read(min(left, 1 << 16))
                if not block:
                    break
                left -= len(block)
                await send({"type": "http.response.body", "body": block, "more_body": True})
        if self.kind == "truncate":
            await send({"type": "http.response.body", "body": b"", "more_body": False})


# -- /_sandbox control ---------------------------------------------------------------------------


def _shop_param(sb: SandboxState, value: Any) -> int:
    if value in (None, ""):
        return next(iter(sb.shops))
    return int(value)


async def control(request: Request) -> Response:
    sb: SandboxState = request.app.state.sandbox
    what = request.path_params["what"]
    body: dict[str, Any] = {}
    if request.method in ("POST", "PUT"):
        raw = await request.body()
        body = orjson.loads(raw) if raw.strip() else {}
    q = request.query_params
    try:
        if what == "shops":
            return JSONResponse(sb.describe(sb.base_url(request)))
        if what == "totals":
            eshop = _shop_param(sb, q.get("eshopId") or body.get("eshopId"))
            return JSONResponse(await run_in_threadpool(sb.totals, eshop))
        if what == "mutate" and request.method == "POST":
            eshop = _shop_param(sb, body.get("eshopId"))
            return JSONResponse(
                await run_in_threadpool(sb.mutate, eshop, int(body.get("n", 10)), int(body.get("seed", 0)))
            )
        if what in ("put", "remove") and request.method == "POST":
            eshop = _shop_param(sb, body.get("eshopId"))
            options = {
                "webhooks": bool(body.get("webhooks", True)),
                "null_change_time": bool(body.get("nullChangeTime", False)),
            }
            if what == "put":
                return JSONResponse(
                    await run_in_threadpool(sb.put, eshop, body["entity"], body["documents"], **options)
                )
            return JSONResponse(await run_in_threadpool(sb.remove, eshop, body["entity"], body["keys"], **options))
        if what == "patches":
            return JSONResponse(lang.patch_counts(sb.shop(_shop_param(sb, q.get("eshopId")))))
        if what == "languages" and request.method == "POST":
            shop = sb.shop(_shop_param(sb, body.get("eshopId")))
            shop.languages = lang.ShopLanguages([str(c) for c in body.get("languages") or ["cs"]])
            return JSONResponse({"eshopId": shop.eshop_id, "languages": shop.languages.languages})
        if what == "changes" and request.method == "POST":
            eshop = _shop_param(sb, body.get("eshopId"))
            count = sb.add_changes(eshop, body["entity"], list(body.get("entries") or []), at=body.get("at"))
            return JSONResponse({"eshopId": eshop, "rawChanges": count})
        if what == "odd-inputs" and request.method == "POST":
            eshop = _shop_param(sb, body.get("eshopId"))
            return JSONResponse(
                await run_in_threadpool(sb.put_odd_inputs, eshop, webhooks=bool(body.get("webhooks", False)))
            )
        if what == "timezone" and request.method == "POST":
            return JSONResponse(sb.set_timezone(_shop_param(sb, body.get("eshopId")), body.get("timezone")))
        if what == "faults":
            if request.method == "DELETE":
                return JSONResponse(sb.reset_faults())
            if request.method == "POST":
                return JSONResponse(sb.set_faults(**body))
            return JSONResponse(sb.faults.as_dict())
        if what == "concurrency":
            if request.method == "DELETE":
                sb.reset_concurrency()
            return JSONResponse(sb.concurrency(sb.private_token(_shop_param(sb, q.get("eshopId")))))
        if what == "detail-requests":
            if request.method == "DELETE":
                sb.reset_detail_requests()
                return JSONResponse({})
            eshop = _shop_param(sb, q.get("eshopId"))
            return JSONResponse(sb.detail_requests(eshop, q.get("entity") or "orders"))
        if what == "oauth-code" and request.method == "POST":
            return JSONResponse({"code": sb.oauth_code(_shop_param(sb, body.get("eshopId")))})
        if what == "notifications":
            return JSONResponse(sb.notifications(_shop_param(sb, q.get("eshopId"))))
        if what == "jobs":
            return JSONResponse([sb.job_info(j.job_id) for j in sb.jobs_of(_shop_param(sb, q.get("eshopId")))])
        if what == "signature-key":
            return JSONResponse({"signatureKey": sb.signature_key(_shop_param(sb, q.get("eshopId")))})
    except (KeyError, TypeError, ValueError) as exc:
        return JSONResponse({"error": "bad_request", "detail": str(exc)}, status_code=400)
    return JSONResponse({"error": "not_found"}, status_code=404)


def not_found(sb: SandboxState, shop: Shop, request: Request) -> tuple[int, Any]:
    raise ApiError(404, "not-found", f"Endpoint {request.url.path} not found.", "url")


def create_app(sb: SandboxState) -> Starlette:
    routes = [
        Route("/api/eshop", api(eshop_info)),
        Route("/api/orders", api(list_orders)),
        Route("/api/orders/changes", api(order_changes)),
        Route("/api/orders/snapshot", api(orders_snapshot)),
        Route("/api/orders/statuses", api(order_statuses)),
        Route("/api/orders/{code}", api(order_detail, detail="orders")),
        Route("/api/customers", api(list_customers)),
        Route("/api/customers/changes", api(customer_changes)),
        Route("/api/customers/snapshot", api(customers_snapshot)),
        Route("/api/customers/{guid}", api(customer_detail, detail="customers")),
        Route("/api/products", api(list_products)),
        Route("/api/products/changes", api(product_changes)),
        Route("/api/products/snapshot", api(products_snapshot)),
        Route("/api/products/code/{code}", api(product_by_code, detail="variants")),
        Route("/api/products/batch", api(products_batch, with_body=True), methods=["PATCH"]),
        Route("/api/products/{guid}", api(product_detail, detail="products"), methods=["GET"]),
        Route("/api/products/{guid}", api(product_update, with_body=True), methods=["PATCH"]),
        Route("/api/system/jobs", api(list_jobs)),
        Route("/api/system/jobs/{jobId}", api(job_detail)),
        Route("/api/webhooks", api(list_webhooks), methods=["GET"]),
        Route("/api/webhooks", api(register_webhooks, with_body=True), methods=["POST"]),
        Route("/api/webhooks/notifications", api(webhook_notifications)),
        Route("/api/webhooks/renew-signature-key", api(renew_signature_key, with_body=True), methods=["POST"]),
        Route("/api/webhooks/{id}", api(webhook_detail, with_body=True), methods=["GET", "PATCH", "DELETE"]),
        Route("/action/ApiOAuthServer/token", oauth_token, methods=["POST"]),
        Route("/action/ApiOAuthServer/getAccessToken", oauth_access_token, methods=["GET"]),
        Route("/api-results/{name}", result_file, methods=["GET"]),
        Route("/_sandbox/{what}", control, methods=["GET", "POST", "DELETE"]),
        Route("/api/{rest:path}", api(not_found), methods=["GET", "POST", "PATCH", "PUT", "DELETE"]),
    ]
    app = Starlette(routes=routes)
    app.state.sandbox = sb
    return app
