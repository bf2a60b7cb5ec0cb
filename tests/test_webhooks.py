"""POST /webhooks/shoptet, GET /healthz and the install callback, against the real database and queue."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from bench.processes import free_port, stop, wait_healthy
from runner.config import REPO_ROOT, Config
from runner.db import Target
from runner.shoptet import oauth_install, webhooks
from runner.web import create_app, signature, signature_ok

SHOP = 42
KEY = "61d1175f54c47dd67df14c17002a17b2"
HUB = str(REPO_ROOT / ".venv" / "bin" / "hub")


def body_of(
    event: str = "order:update",
    instance: str = "2017000092",
    created: str = "2019-01-08T15:13:39+0100",
    shop: int = SHOP,
) -> bytes:
    return json.dumps(
        {"eshopId": shop, "event": event, "eventCreated": created, "eventInstance": instance}, separators=(",", ":")
    ).encode()


def signed(body: bytes, key: str = KEY) -> dict[str, str]:
    return {"Shoptet-Webhook-Signature": signature(body, key), "Content-Type": "application/json"}


def add_shop(admin: psycopg.Connection, secret_key: str, shop: int = SHOP, key: str = KEY) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (%s, %s)", (shop, f"shop {shop}"))
    admin.execute("select core.setting_set_secret('shoptet.signature_key', %s, %s, %s)", (key, shop, secret_key))


def counts(admin: psycopg.Connection) -> tuple[int, int]:
    row = admin.execute(
        "select (select count(*) from ingest.webhook_events), (select count(*) from procrastinate.procrastinate_jobs)"
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


@pytest.fixture
def client(db: Target, admin: psycopg.Connection, hub_env: dict[str, str]) -> Iterator[TestClient]:
    add_shop(admin, hub_env["HUB_SECRET_KEY"])
    with TestClient(create_app(Config.from_env(), db)) as c:
        yield c


@pytest.fixture
def server(
    db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`hub serve` as a subprocess on a free port; yields (base URL, process)."""
    add_shop(admin, hub_env["HUB_SECRET_KEY"])
    port = free_port()
    proc = subprocess.Popen(
        [HUB, "serve", "--port", str(port)],
        env={**os.environ, **hub_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, timeout=20)
    except RuntimeError as exc:
        proc.kill()
        raise AssertionError(f"{exc}: {proc.stderr.read().decode() if proc.stderr else ''}") from None
    yield base, proc
    stop([proc], timeout=10)


def test_official_signature_test_vector_verifies() -> None:
    body = (
        b'{"eshopId":315185,"event":"addon:uninstall",'
        b'"eventCreated":"2019-09-23T22:01:36+0200","eventInstance":"315185"}'
    )
    assert signature(body, "61d1175f54c47dd67df14c17002a17b2") == "a0e0a3e7689bd4c80e4d6ffcccb05235b864e1d0"
    assert signature_ok(body, "a0e0a3e7689bd4c80e4d6ffcccb05235b864e1d0", "61d1175f54c47dd67df14c17002a17b2")
    assert not signature_ok(body + b" ", "a0e0a3e7689bd4c80e4d6ffcccb05235b864e1d0", "61d1175f54c47dd67df14c17002a17b2")


def test_signed_event_is_stored_with_its_key_waiting_for_the_shops_drain_job(
    client: TestClient, admin: psycopg.Connection
) -> None:
    body = body_of()
    r = client.post("/webhooks/shoptet", content=body, headers=signed(body))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    event = admin.execute(
        "select event_id, shop_id, event, event_instance, status, job_ids from ingest.webhook_events"
    ).fetchall()
    assert len(event) == 1 and event[0][1:4] == (SHOP, "order:update", "2017000092") and event[0][4] == "queued"
    job = admin.execute(
        "select id, queue_name, task_name, lock, queueing_lock, args, status from procrastinate.procrastinate_jobs"
    ).fetchall()
    assert len(job) == 1
    assert event[0][5] == [job[0][0]]
    # the drain of the shop's orders: no procrastinate lock (drains take turns on the write lock)
    assert job[0][1:] == (
        "webhooks",
        "drain_webhooks",
        None,
        "webhooks:42:orders",
        {"shop_id": 42, "entity": "orders"},
        "todo",
    )
    pending = admin.execute("select entity, key_kind, key, event_ids from ingest.webhook_pending").fetchall()
    assert pending == [("orders", "order", "2017000092", [event[0][0]])]


@pytest.mark.parametrize(
    "case, status, reason",
    [
        ("forged signature", 401, "bad_signature"),
        ("no signature", 401, "missing_signature"),
        ("unknown shop", 401, "unknown_shop"),
        ("oversized", 413, "too_large"),
        ("oversized without content-length", 413, "too_large"),
        ("not json", 400, "malformed"),
        ("missing field", 400, "malformed"),
        ("eshopId not an int", 400, "malformed"),
        ("bad eventCreated", 400, "malformed"),
        ("mass instance not a list", 400, "malformed"),
        ("eshopId out of range", 400, "malformed"),
        ("NUL in payload", 400, "malformed"),
    ],
)
def test_refused_delivery_gets_its_status_is_counted_and_not_processed(
    client: TestClient, admin: psycopg.Connection, case: str, status: int, reason: str
) -> None:
    body = body_of()
    headers = signed(body)
    content: Any = body
    if case == "forged signature":
        headers = signed(body, key="0" * 32)
    elif case == "no signature":
        headers = {"Content-Type": "application/json"}
    elif case == "unknown shop":
        body = body_of(shop=999)
        content, headers = body, signed(body)
    elif case == "oversized":
        content = b'{"eshopId":42,"pad":"' + b"x" * 70_000 + b'"}'
        headers = signed(content)
    elif case == "oversized without content-length":
        chunks = [b'{"eshopId":42,"pad":"'] + [b"x" * 8192] * 9 + [b'"}']
        content = iter(chunks)  # streamed: chunked transfer, no Content-Length
        headers = {"Content-Type": "application/json"}
    elif case == "not json":
        content = b"{not json"
        headers = signed(content)
    elif case == "missing field":
        content = json.dumps(
            {"eshopId": SHOP, "event": "order:update", "eventCreated": "2019-01-08T15:13:39+0100"}
        ).encode()
        headers = signed(content)
    elif case == "eshopId not an int":
        content = json.dumps(
            {"eshopId": "42", "event": "order:update", "eventCreated": "2019-01-08T15:13:39+0100", "eventInstance": "1"}
        ).encode()
        headers = signed(content)
    elif case == "bad eventCreated":
        content = body_of(created="2019-01-08T15:13:39+01:00")
        headers = signed(content)
    elif case == "eshopId out of range":
        content = body_of(shop=2**70)
        headers = signed(content)
    elif case == "NUL in payload":
        content = json.dumps(
            {
                "eshopId": SHOP,
                "event": "order:update",
                "eventCreated": "2019-01-08T15:13:39+0100",
                "eventInstance": "1",
                "payload": {"note": "a\u0000b"},
            }
        ).encode()
        headers = signed(content)
    elif case == "mass instance not a list":
        content = body_of(event="order:massUpdate", instance="2017000092")
        headers = signed(content)
    r = client.post("/webhooks/shoptet", content=content, headers=headers)
    assert r.status_code == status, r.text
    assert r.json()["error"] == reason
    assert counts(admin) == (0, 0)
    rows = admin.execute("select reason, shop_id, count from ingest.webhook_rejections").fetchall()
    expected_shop = SHOP if reason in ("bad_signature", "missing_signature") or case == "NUL in payload" else None
    assert rows == [(reason, expected_shop, 1)]


def test_mass_event_fans_out_to_keys_and_single_event_for_same_id_shares_its_key_and_job(
    client: TestClient, admin: psycopg.Connection
) -> None:
    mass = body_of(event="order:massUpdate", instance='["2017000092","2017000093",2017000094]')
    r = client.post("/webhooks/shoptet", content=mass, headers=signed(mass))
    assert r.status_code == 200 and r.json()["jobs"] == 1
    seqs = dict(admin.execute("select key, seq from ingest.webhook_pending").fetchall())
    assert sorted(seqs) == ["2017000092", "2017000093", "2017000094"]
    single = body_of(event="order:update", instance="2017000093", created="2019-01-08T15:13:40+0100")
    r = client.post("/webhooks/shoptet", content=single, headers=signed(single))
    assert r.status_code == 200 and r.json()["jobs"] == 1
    # one drain job for all of it
    jobs = admin.execute("select id, queueing_lock from procrastinate.procrastinate_jobs").fetchall()
    assert [j[1] for j in jobs] == ["webhooks:42:orders"]
    events = admin.execute("select event_id, job_ids from ingest.webhook_events order by event_id").fetchall()
    assert [ids for _, ids in events] == [[jobs[0][0]], [jobs[0][0]]]
    # order 2017000093 is one waiting key named by both events, its seq moved on (a fetch already
    # under way would not count for the second event); the others are named by the mass event only
    rows = admin.execute("select key, seq, event_ids from ingest.webhook_pending order by key").fetchall()
    mass_id, single_id = events[0][0], events[1][0]
    assert [(k, ids) for k, _, ids in rows] == [
        ("2017000092", [mass_id]),
        ("2017000093", [mass_id, single_id]),
        ("2017000094", [mass_id]),
    ]
    assert rows[1][1] > seqs["2017000093"] and rows[0][1] == seqs["2017000092"]


def test_customer_and_product_guids_wait_normalised_and_variant_codes_as_given(
    client: TestClient, admin: psycopg.Connection
) -> None:
    guid = "1B02CB8E-D7B5-11E0-9A5C-FEAB5ED617ED"
    for event, instance in (
        ("customer:update", guid),
        ("product:update", f" {guid}"),
        ("productVariant:update", "40/ZEL"),
        ("product:massUpdate", "[]"),
    ):
        body = body_of(event=event, instance=instance)
        assert client.post("/webhooks/shoptet", content=body, headers=signed(body)).status_code == 200
    rows = admin.execute("select entity, key_kind, key from ingest.webhook_pending order by 1, 2").fetchall()
    assert rows == [
        ("customers", "customer", guid.lower()),
        ("products", "product", guid.lower()),
        ("products", "variant", "40/ZEL"),
    ]
    jobs = admin.execute("select queueing_lock from procrastinate.procrastinate_jobs order by 1").fetchall()
    assert jobs == [("webhooks:42:customers",), ("webhooks:42:products",)]
    # a mass event without ids has nothing to wait for
    assert admin.execute("select status from ingest.webhook_events where event = 'product:massUpdate'").fetchone() == (
        "done",
    )


def test_unhandled_event_is_stored_as_ignored_without_job(client: TestClient, admin: psycopg.Connection) -> None:
    body = body_of(event="stock:movement", instance="7")
    assert client.post("/webhooks/shoptet", content=body, headers=signed(body)).status_code == 200
    assert admin.execute("select status, processed_at is not null from ingest.webhook_events").fetchall() == [
        ("ignored", True)
    ]
    assert counts(admin) == (1, 0)


def test_healthz_reports_database_and_migrations(client: TestClient, admin: psycopg.Connection, db: Target) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    # a deployment whose only login is hub_app can still tell
    from runner.migrate import pending_migrations

    assert pending_migrations(Target(admin=db.app, app=db.app, readonly=db.readonly, description="app only")) == []
    admin.execute("delete from _yoyo_migration where migration_id = '0041_webhook_inbox'")
    r = client.get("/healthz")
    assert r.status_code == 503 and "0041_webhook_inbox" in r.json()["reason"]


def test_1000_duplicate_deliveries_make_one_row_and_one_job(server: tuple[str, Any], admin: psycopg.Connection) -> None:
    base, _ = server
    body = body_of()

    async def send_all() -> list[int]:
        limits = httpx.Limits(max_connections=20)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as http:
            sem = asyncio.Semaphore(20)

            async def one() -> int:
                async with sem:
                    return (await http.post("/webhooks/shoptet", content=body, headers=signed(body))).status_code

            return list(await asyncio.gather(*(one() for _ in range(1000))))

    statuses = asyncio.run(send_all())
    assert statuses == [200] * 1000
    assert counts(admin) == (1, 1)


def test_sigkill_of_server_under_load_loses_no_acknowledged_event(
    server: tuple[str, Any], admin: psycopg.Connection
) -> None:
    base, proc = server
    acknowledged: list[str] = []

    async def load() -> None:
        async with httpx.AsyncClient(base_url=base, timeout=5) as http:

            async def sender(worker: int) -> None:
                for i in range(100_000):
                    instance = f"{worker}-{i}"
                    body = body_of(instance=instance)
                    try:
                        r = await http.post("/webhooks/shoptet", content=body, headers=signed(body))
                    except httpx.HTTPError:
                        return
                    if r.status_code == 200:
                        acknowledged.append(instance)

            await asyncio.gather(*(sender(w) for w in range(16)))

    def killer() -> None:
        while len(acknowledged) < 300:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)

    threading.Thread(target=killer, daemon=True).start()
    asyncio.run(load())
    proc.wait(5)
    assert len(acknowledged) >= 300
    stored = {r[0] for r in admin.execute("select event_instance from ingest.webhook_events")}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged events are not stored"
    # and each stored event has its job
    orphans = admin.execute("select count(*) from ingest.webhook_events e where cardinality(e.job_ids) <> 1").fetchone()
    assert orphans == (0,)


# -- install callback ---------------------------------------------------------------------------


class OAuthServer:
    """A local HTTP server standing in for the Shoptet OAuth server (until the sandbox lands)."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

        async def token(request: Request) -> JSONResponse:
            body = await request.json()
            self.requests.append(body)
            if body.get("code") != "good-code" or body.get("client_secret") != "s3cret":
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            return JSONResponse(
                {
                    "access_token": "oauth-token-" + "x" * 40,
                    "expires_in": None,
                    "token_type": "Bearer",
                    "scope": "api",
                    "eshopId": 222651,
                    "eshopUrl": "https://12345.myshoptet.com/",
                    "contactEmail": "customer@example.com",
                }
            )

        app = Starlette(routes=[Route("/action/ApiOAuthServer/token", token, methods=["POST"])])
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> OAuthServer:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def configure_addon(admin: psycopg.Connection, secret_key: str, oauth_url: str) -> None:
    admin.execute("select core.setting_set('shoptet.addon.client_id', to_jsonb('client-1'::text))")
    admin.execute(
        "select core.setting_set('shoptet.addon.redirect_uri', to_jsonb('https://hub.example/shoptet/install'::text))"
    )
    admin.execute("select core.setting_set('shoptet.addon.oauth_url', to_jsonb(%s::text))", (oauth_url,))
    admin.execute("select core.setting_set_secret('shoptet.addon.client_secret', 's3cret', null, %s)", (secret_key,))


def test_install_exchanges_code_creates_shop_stores_token_and_registers_webhooks(
    db: Target, admin: psycopg.Connection, hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[int] = []

    def registrar(settings: Any, shop_id: int, public_url: str, api_url: str) -> list[str]:
        registered.append(shop_id)
        return list(webhooks.WEBHOOK_EVENTS)

    monkeypatch.setattr(oauth_install, "register_webhooks", registrar)
    with OAuthServer() as oauth, TestClient(create_app(Config.from_env(), db)) as client:
        configure_addon(admin, hub_env["HUB_SECRET_KEY"], oauth.url)
        r = client.get("/shoptet/install", params={"code": "good-code"})
        assert r.status_code == 200, r.text
        assert oauth.requests[0] == {
            "client_id": "client-1",
            "client_secret": "s3cret",
            "code": "good-code",
            "redirect_uri": "https://hub.example/shoptet/install",
            "grant_type": "authorization_code",
            "scope": "api",
        }
        assert registered == [222651]
        shop = admin.execute("select name, status from core.shops where shop_id = 222651").fetchone()
        assert shop == ("12345.myshoptet.com", "active")
        token = admin.execute(
            "select core.setting_get_secret('shoptet.oauth_token', 222651, %s)", (hub_env["HUB_SECRET_KEY"],)
        ).fetchone()
        assert token == ("oauth-token-" + "x" * 40,)

        r = client.get("/shoptet/install", params={"code": "bad-code"})
        assert r.status_code == 400 and "invalid_grant" in r.json()["detail"]
        assert client.get("/shoptet/install").status_code == 400


def test_install_fails_with_502_when_oauth_server_is_down_or_webhooks_cannot_be_registered(
    db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    with TestClient(create_app(Config.from_env(), db)) as client:
        configure_addon(admin, hub_env["HUB_SECRET_KEY"], f"http://127.0.0.1:{free_port()}")
        r = client.get("/shoptet/install", params={"code": "good-code"})
        assert r.status_code == 502 and "ApiOAuthServer/token" in r.json()["detail"]
    with OAuthServer() as oauth, TestClient(create_app(Config.from_env(), db)) as client:
        admin.execute("select core.setting_set('shoptet.addon.oauth_url', to_jsonb(%s::text))", (oauth.url,))
        r = client.get("/shoptet/install", params={"code": "good-code"})
        # the token was granted, but no Shoptet API answers here: registration fails, not a success
        assert r.status_code == 502 and "webhook registration failed" in r.json()["detail"]


def test_renewed_signature_key_is_used_at_once_without_restart(
    client: TestClient, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    first = body_of(instance="1")
    assert client.post("/webhooks/shoptet", content=first, headers=signed(first)).status_code == 200  # key cached
    new_key = "8a5e881b19ad6cc0bc986587b22e30be"
    admin.execute(
        "select core.setting_set_secret('shoptet.signature_key', %s, %s, %s)",
        (new_key, SHOP, hub_env["HUB_SECRET_KEY"]),
    )
    second = body_of(instance="2")
    deadline = time.monotonic() + 2
    while client.post("/webhooks/shoptet", content=second, headers=signed(second, new_key)).status_code != 200:
        assert time.monotonic() < deadline, "the renewed key was not picked up within 2 s"
        time.sleep(0.01)
    third = body_of(instance="3")
    assert client.post("/webhooks/shoptet", content=third, headers=signed(third)).status_code == 401


def test_unknown_shops_do_not_grow_the_key_cache(client: TestClient, admin: psycopg.Connection) -> None:
    hub = client.app.state.hub  # type: ignore[attr-defined]
    before = len(hub.settings._cache)
    for shop in range(1000, 1050):
        body = body_of(shop=shop)
        assert client.post("/webhooks/shoptet", content=body, headers=signed(body)).status_code == 401
    assert len(hub.settings._cache) == before
    assert admin.execute("select count from ingest.webhook_rejections where reason = 'unknown_shop'").fetchone() == (
        50,
    )
