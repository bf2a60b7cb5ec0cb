"""The web app (`hub serve`): Shoptet webhooks, the addon install callback, a health check,
Prometheus metrics (GET /metrics: runner/metrics.py), and the dashboard (runner/dashboard/:
/, /login, /shops ...; signed in with the password of `hub web passwd`).

POST /webhooks/shoptet is on Shoptet's clock (an answer within 4 s or the delivery is
retried), so its path is short: read at most 64 KiB, parse, look up the shop's signature
key (cached in memory by runner.settings.Settings, dropped on change via NOTIFY), verify
the HMAC-SHA1 in constant time, and run ONE statement, ingest.webhook_accept(), on an
autocommit connection from a small pool: the event row and its job(s) commit together,
and 200 is sent only after that commit. Refused deliveries are counted in
ingest.webhook_rejections and nothing of them is stored. Accepted, duplicate and unstored (503)
deliveries are counted in memory and written every few seconds (runner/telemetry.py:
ops.webhook_delivery_totals); warnings and errors of the app go to ops.events the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runner import logs, telemetry
from runner.config import Config
from runner.db import Target, target_for
from runner.errors import HubError, as_hub_error, summarize
from runner.feeds import web as feeds_web
from runner.logs import log
from runner.metrics import CONTENT_TYPE, MetricsCache
from runner.queries import query
from runner.settings import SettingError
from runner.shoptet.webhooks import SIGNATURE_KEY_SETTING, WEBHOOK_PATH

logger = logging.getLogger("hub.web")

MAX_WEBHOOK_BYTES = 64 * 1024
SIGNATURE_HEADER = "shoptet-webhook-signature"
SHOPTET_DATETIME = re.compile(r"^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d[+-]\d{4}$")


class KeyUnavailable(HubError):
    """The signature key could not be read (database down, wrong HUB_SECRET_KEY): answer 503."""


class WebhookRejected(HubError):
    """A delivery the hub refuses: HTTP status, counted reason, message for the sender."""

    def __init__(self, status: int, reason: str, message: str, shop_id: int | None = None):
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
        self.shop_id = shop_id


@dataclass(frozen=True)
class WebhookEvent:
    shop_id: int
    event: str
    event_instance: str
    event_created: datetime
    payload: Any


def signature(body: bytes, key: str) -> str:
    """Shoptet's signature of a body: lower-case hex HMAC-SHA1 with the shop's signature key."""
    return hmac.new(key.encode(), body, hashlib.sha1).hexdigest()


def signature_ok(body: bytes, given: str | None, key: str) -> bool:
    return given is not None and hmac.compare_digest(signature(body, key), given.strip().lower())


def parse_event(body: bytes) -> WebhookEvent:
    """The delivery's fields, checked; WebhookRejected(400) names what is wrong."""

    def bad(message: str) -> WebhookRejected:
        return WebhookRejected(400, "malformed", message)

    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad(f"body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad("body must be a JSON object")
    for name, kind in (("eshopId", int), ("event", str), ("eventCreated", str), ("eventInstance", str)):
        if name not in data:
            raise bad(f"field {name} is missing")
        value = data[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            raise bad(f"field {name} must be a {'integer' if kind is int else 'string'}, got {type(value).__name__}")
    if not 0 < data["eshopId"] < 2**63:
        raise bad("field eshopId must be a positive 64-bit integer")
    if any("\x00" in data[name] for name in ("event", "eventCreated", "eventInstance")):
        raise bad("text fields must not contain NUL characters")
    if not data["event"] or len(data["event"]) > 100:
        raise bad("field event must be 1-100 characters")
    if not data["eventInstance"]:
        raise bad("field eventInstance must not be empty")
    created = data["eventCreated"]
    if not SHOPTET_DATETIME.match(created):
        raise bad(f"field eventCreated must look like 2019-01-08T15:13:39+0100, got {created[:40]!r}")
    try:
        event_created = datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise bad(f"field eventCreated is not a valid date and time: {created!r}") from None
    if ":mass" in data["event"]:
        try:
            ids = json.loads(data["eventInstance"])
        except ValueError:
            ids = None
        if not isinstance(ids, list) or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in ids):
            raise bad("field eventInstance of a mass event must be a JSON list of ids")
    return WebhookEvent(data["eshopId"], data["event"], data["eventInstance"], event_created, data.get("payload"))


async def read_body(request: Request, limit: int = MAX_WEBHOOK_BYTES) -> bytes:
    """The raw body, refusing (413) anything over limit without reading the rest."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            too_big = int(declared) > limit
        except ValueError:
            raise WebhookRejected(400, "malformed", "Content-Length is not a number") from None
        if too_big:
            raise WebhookRejected(413, "too_large", f"body of {declared} bytes is over the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise WebhookRejected(413, "too_large", f"body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


class Hub:
    """What the request handlers share in one process: config, database pool, settings cache."""

    def __init__(self, cfg: Config, target: Target, *, pool_size: int = 8):
        from runner.secret_key import load_secret_key
        from runner.settings import Settings

        self.cfg = cfg
        self.target = target
        self.pool = AsyncConnectionPool(
            target.app,
            min_size=2,
            max_size=pool_size,
            open=False,
            timeout=3.0,
            kwargs={"autocommit": True},
            name="hub-web",
        )
        self.settings = Settings(target.app, secret_key=load_secret_key(cfg), ttl=cfg.settings_ttl, listen=True)
        self.metrics = MetricsCache()
        self.telemetry: telemetry.Telemetry | None = None

    async def open(self) -> None:
        await self.pool.open(wait=False)
        self.telemetry = telemetry.start(self.target.app, process="web")
        logs.attach(self.telemetry, process="web")

    async def close(self) -> None:
        logs.detach()
        await run_in_threadpool(telemetry.stop)
        await self.pool.close()
        self.settings.close()

    def count_delivery(self, outcome: str) -> None:
        """An answered delivery (accepted, duplicate, unavailable) for ops.webhook_delivery_totals."""
        if self.telemetry is not None:
            self.telemetry.webhook(outcome)

    async def signature_key(self, shop_id: int) -> str | None:
        # a cache hit is a dict lookup; a miss queries and decrypts: keep it off the event loop
        found, key = self.settings.cached_secret(SIGNATURE_KEY_SETTING, shop_id=shop_id)
        if found:
            return key
        try:
            # unknown eshopIds are not cached: anyone can send them, the cache must not grow with them
            return await run_in_threadpool(
                self.settings.get_secret, SIGNATURE_KEY_SETTING, None, shop_id=shop_id, cache_missing=False
            )
        except (SettingError, psycopg.Error) as exc:
            raise as_hub_error(exc, KeyUnavailable) from None

    async def count_rejection(self, reason: str, shop_id: int | None) -> None:
        try:
            async with self.pool.connection() as conn:
                await conn.execute(query("webhooks.webhook_reject"), {"reason": reason, "shop_id": shop_id})
        except psycopg.Error as exc:  # counting must never turn a 4xx into a 500
            log(logger, logging.WARNING, "could not count a webhook rejection", reason=reason, error=_first_line(exc))


def _first_line(exc: BaseException) -> str:
    return summarize(exc, one_line=True, label=False)


async def webhook(request: Request) -> JSONResponse:
    hub: Hub = request.app.state.hub
    try:
        body = await read_body(request)
        event = parse_event(body)
        key = await hub.signature_key(event.shop_id)
        if key is None:
            raise WebhookRejected(401, "unknown_shop", f"no signature key for eshopId {event.shop_id}")
        given = request.headers.get(SIGNATURE_HEADER)
        if not given:
            raise WebhookRejected(
                401, "missing_signature", "header Shoptet-Webhook-Signature is missing", event.shop_id
            )
        if not signature_ok(body, given, key):
            raise WebhookRejected(401, "bad_signature", "signature does not match", event.shop_id)
    except KeyUnavailable as exc:
        log(logger, logging.ERROR, "webhook signature key unavailable", error=summarize(exc, one_line=True))
        hub.count_delivery("unavailable")
        return JSONResponse(
            {"error": "unavailable", "detail": "the signature key cannot be read; retry"}, status_code=503
        )
    except WebhookRejected as rej:
        await hub.count_rejection(rej.reason, rej.shop_id)
        log(logger, logging.INFO, "webhook rejected", status=rej.status, reason=rej.reason, shop_id=rej.shop_id)
        return JSONResponse({"error": rej.reason, "detail": rej.message}, status_code=rej.status)
    payload = Jsonb(event.payload) if event.payload is not None else None
    try:
        async with hub.pool.connection() as conn:
            cur = await conn.execute(
                query("webhooks.webhook_accept"),
                {
                    "shop_id": event.shop_id,
                    "event": event.event,
                    "event_instance": event.event_instance,
                    "event_created": event.event_created,
                    "payload": payload,
                },
            )
            row = await cur.fetchone()
    except (psycopg.errors.InvalidParameterValue, psycopg.DataError) as exc:
        # e.g. a mass event's instance that is no list, a NUL character in the payload
        await hub.count_rejection("malformed", event.shop_id)
        return JSONResponse(
            {"error": "malformed", "detail": summarize(exc, one_line=True, label=False)}, status_code=400
        )
    except (psycopg.Error, TimeoutError) as exc:
        # not committed: Shoptet delivers it again
        log(
            logger,
            logging.ERROR,
            "webhook not stored",
            shop_id=event.shop_id,
            webhook_event=event.event,
            error=_first_line(exc),
        )
        hub.count_delivery("unavailable")
        return JSONResponse({"error": "unavailable", "detail": "the event could not be stored; retry"}, status_code=503)
    assert row is not None
    hub.count_delivery("accepted" if row[1] else "duplicate")
    return JSONResponse({"status": "accepted" if row[1] else "duplicate", "event_id": row[0], "jobs": len(row[2])})


async def healthz(request: Request) -> JSONResponse:
    hub: Hub = request.app.state.hub
    from runner.migrate import pending_migrations

    try:
        async with hub.pool.connection(timeout=3.0) as conn:
            await conn.execute(query("webhooks.healthz_ping"))
    except (psycopg.Error, TimeoutError) as exc:
        return JSONResponse(
            {"status": "unhealthy", "reason": f"database unreachable: {_first_line(exc)}"}, status_code=503
        )
    try:
        pending = await run_in_threadpool(pending_migrations, hub.target)
    except Exception as exc:  # noqa: BLE001 - any failure to tell is a failed check
        return JSONResponse(
            {"status": "unhealthy", "reason": f"cannot read migrations: {_first_line(exc)}"}, status_code=503
        )
    if pending:
        return JSONResponse(
            {
                "status": "unhealthy",
                "reason": f"{len(pending)} pending migration(s), next {pending[0]}",
                "pending_migrations": pending,
            },
            status_code=503,
        )
    return JSONResponse({"status": "ok", "database": "reachable", "pending_migrations": 0})


async def metrics(request: Request) -> Response:
    """Prometheus text format of ops.metrics(), cached a few seconds (runner/metrics.py)."""
    hub: Hub = request.app.state.hub
    return Response(await hub.metrics.text(hub.pool), media_type=CONTENT_TYPE)


async def shoptet_install(request: Request) -> JSONResponse:
    hub: Hub = request.app.state.hub
    from runner.shoptet import oauth_install

    code = request.query_params.get("code")
    if not code:
        return JSONResponse({"error": "missing_code", "detail": "query parameter code is required"}, status_code=400)
    try:
        result = await run_in_threadpool(
            oauth_install.install,
            hub.settings,
            hub.target.app,
            code,
            public_url=hub.cfg.public_url,
            api_url=hub.cfg.shoptet_api_url,
        )
    except oauth_install.InstallError as exc:
        log(logger, logging.WARNING, "addon install failed", status=exc.status, error=str(exc))
        return JSONResponse({"error": "install_failed", "detail": str(exc)}, status_code=exc.status)
    log(logger, logging.INFO, "addon installed", shop_id=result.shop_id, webhooks=len(result.webhooks))
    return JSONResponse({"status": "installed", "eshop_id": result.shop_id, "webhooks": result.webhooks})


async def translation_batch_file(request: Request) -> Response:
    """A translation batch file for Shoptet's PATCH /api/products/batch job (runner/translations/sync.py)."""
    hub: Hub = request.app.state.hub
    async with hub.pool.connection() as conn:
        cur = await conn.execute(query("translations.batch_file_get"), {"name": request.path_params["name"]})
        row = await cur.fetchone()
    if row is None:
        return JSONResponse({"error": "not_found", "detail": "no such batch file (or it expired)"}, status_code=404)
    return Response(bytes(row[0]), media_type="application/jsonl")


def create_app(cfg: Config | None = None, target: Target | None = None) -> Starlette:
    """The ASGI app (uvicorn factory: `runner.web:create_app`)."""
    cfg = cfg or Config.from_env()
    target = target or target_for(cfg)

    from runner import dashboard

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from runner.secret_key import load_secret_key

        hub = Hub(cfg, target)
        await hub.open()
        app.state.hub = hub
        app.state.dashboard = await dashboard.open_dashboard(target.app, load_secret_key(cfg))
        log(logger, logging.INFO, "web app started", database=target.description)
        try:
            yield
        finally:
            await dashboard.close_dashboard(app.state.dashboard)
            await hub.close()

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, webhook, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/shoptet/install", shoptet_install, methods=["GET"]),
            Route("/translations/batch/{name}", translation_batch_file, methods=["GET"]),
            *feeds_web.ROUTES,
            *dashboard.routes(),
        ],
        lifespan=lifespan,
    )


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseHttpProtocol
except ImportError:  # httptools missing: uvicorn's pure-Python parser
    from uvicorn.protocols.http.h11_impl import H11Protocol as _BaseHttpProtocol  # type: ignore[assignment]


class NoDelayHttpProtocol(_BaseHttpProtocol):
    """uvicorn's HTTP protocol with TCP_NODELAY on every connection.

    With --workers > 1, uvicorn hands the listening socket to its worker processes by file
    descriptor; sockets rebuilt that way report proto 0, so asyncio skips TCP_NODELAY on the
    accepted connections, and every response (headers and body are two writes) waits ~40 ms
    for the client's delayed ACK (measured: 44 ms p50 with 2 workers, 2 ms with 1).
    """

    def connection_made(self, transport: Any) -> None:
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)


def serve(cfg: Config, *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Run the app with uvicorn (blocking). Several workers are separate processes."""
    import uvicorn

    from runner import logs

    logs.configure(cfg)
    uvicorn.run(
        "runner.web:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=NoDelayHttpProtocol,
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
