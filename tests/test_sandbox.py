"""The sandbox (runner/sandbox/) against the Shoptet API contract (../shared/docs/shoptet-api.md).

No database: these tests start the sandbox in a thread and talk to it over real HTTP.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import http.server
import re
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from runner.sandbox import Sandbox
from runner.sandbox.formats import fmt_dt, parse_dt
from runner.sandbox.generator import ShopData

SHOP = 900101
DT = re.compile(r"^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-5]\d:[0-5]\d\+0[12]00$")
MONEY = re.compile(r"^-?\d+\.\d{2}$")
AMOUNT = re.compile(r"^-?\d+\.\d{3}$")
RATE = re.compile(r"^\d+\.\d{8}$")
GUID = re.compile(r"^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$")


class Receiver:
    """A tiny local webhook receiver: records (headers, raw body); answers `status` (list = per call)."""

    def __init__(self, statuses: list[int] | None = None):
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.calls.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/shoptet"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        out = [orjson.loads(b) for _, b in self.calls]
        return [e for e in out if name is None or e["event"] == name]

    def wait(self, n: int, name: str | None = None, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.time() + timeout
        while len(self.events(name)) < n and time.time() < deadline:
            time.sleep(0.02)
        return self.events(name)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def module_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, str]]:
    """One sandbox server for this module's tests (conftest's `sandbox` starts one per test)."""
    sb = Sandbox(
        scale=0.001,
        seed=7,
        data_dir=tmp_path_factory.mktemp("sandbox"),
        job_seconds=0.3,
        webhook_retry_delay=0.1,
        leak_per_second=1000,
    )  # the bucket has its own test
    with sb.run_in_thread() as url:
        yield sb, url


@pytest.fixture
def sb(module_sandbox: tuple[Sandbox, str]) -> Iterator[Sandbox]:
    module_sandbox[0].reset_faults()
    yield module_sandbox[0]
    module_sandbox[0].reset_faults()


@pytest.fixture
def client(module_sandbox: tuple[Sandbox, str]) -> Iterator[httpx.Client]:
    sb, url = module_sandbox
    with httpx.Client(base_url=url, headers={"Shoptet-Private-API-Token": sb.private_token(SHOP)}, timeout=30) as c:
        yield c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def _register(client: httpx.Client, url: str, *events: str) -> None:
    existing = {h["event"]: h["id"] for h in client.get("/api/webhooks").json()["data"]["webhooks"]}
    for event in events:
        if event in existing:
            client.delete(f"/api/webhooks/{existing[event]}")
    r = client.post("/api/webhooks", json={"data": [{"event": e, "url": url, "sendPayload": None} for e in events]})
    assert r.status_code == 201, r.text


def _finish_job(client: httpx.Client, job_id: str, timeout: float = 20) -> dict[str, Any]:
    # Shoptet answers 403 to the 11th detail request of an unprocessed job (shoptet-api.md "Job
    # detail"): poll with a growing pause (0.08 s .. 2 s) so ten polls span ~10 s on a loaded machine
    deadline = time.time() + timeout
    seen = []
    pause = 0.08
    while time.time() < deadline:
        r = client.get(f"/api/system/jobs/{job_id}")
        if r.status_code == 429:  # a loaded machine can bunch the polls: wait as a client must
            seen.append("429")
            time.sleep(0.2)
            continue
        assert r.status_code == 200, f"polling job {job_id}: HTTP {r.status_code} {r.text}"
        job = r.json()["data"]["job"]
        seen.append(job["status"])
        if job["status"] not in ("pending", "running"):
            job["seen"] = seen
            return job
        time.sleep(pause)
        pause = min(pause * 1.6, 2.0)
    raise AssertionError(f"job {job_id} did not finish: {seen}")


def _snapshot_lines(client: httpx.Client, entity: str) -> tuple[dict[str, Any], list[bytes]]:
    r = client.get(f"/api/{entity}/snapshot")
    assert r.status_code == 202, r.text
    job = _finish_job(client, r.json()["data"]["jobId"])
    assert job["status"] == "completed", job
    raw = httpx.get(job["resultUrl"]).content  # no auth headers, like the SDK's gzopen
    return job, [line for line in gzip.decompress(raw).split(b"\n") if line.strip()]


# -- shapes ----------------------------------------------------------------------------------------


def test_every_api_response_has_envelope_request_id_and_bucket_header(client: httpx.Client) -> None:
    for path in ("/api/eshop", "/api/orders", "/api/orders/0000000000", "/api/nothing-here"):
        r = client.get(path)
        body = r.json()
        assert set(body) == {"data", "errors", "metadata"}
        assert body["metadata"]["requestId"] == r.headers["X-Request-ID"]
        assert re.match(
            r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", r.headers["X-Request-ID"]
        )
        assert re.match(r"^\d+/200$", r.headers["X-RateLimit-Bucket-Filling"])
        assert r.headers["content-type"] == "application/json; charset=utf-8"
    assert client.get("/api/orders/0000000000").status_code == 404
    err = client.get("/api/orders/0000000000").json()
    assert err["data"] is None and set(err["errors"][0]) == {"errorCode", "message", "instance"}
    info = client.get("/api/eshop").json()["data"]
    assert info["contactInformation"]["eshopId"] == SHOP and info["contactInformation"]["eshopName"] == "Sandbox shop"
    assert info["settings"]["timezone"] == "Europe/Prague"


@pytest.mark.parametrize(
    "path, key, maximum",
    [
        ("/api/orders", "orders", 50),
        ("/api/customers", "customers", 1000),
        ("/api/products", "products", 1000),
        ("/api/system/jobs", "jobs", 500),
        ("/api/webhooks", "webhooks", 500),
        ("/api/webhooks/notifications", "notifications", 500),
    ],
)
def test_items_per_page_is_clamped_to_the_endpoint_maximum(
    client: httpx.Client, path: str, key: str, maximum: int
) -> None:
    body = client.get(path, params={"itemsPerPage": 100000}).json()["data"]
    pag = body["paginator"]
    assert set(pag) == {"totalCount", "page", "pageCount", "itemsOnPage", "itemsPerPage"}
    assert pag["itemsPerPage"] == maximum
    assert pag["itemsOnPage"] == len(body[key]) == min(maximum, pag["totalCount"])


def test_paging_walks_every_order_once_and_list_items_have_no_items_or_addresses(
    sb: Sandbox, client: httpx.Client
) -> None:
    first = client.get("/api/orders").json()["data"]
    assert first["paginator"]["itemsPerPage"] == 50
    codes = []
    for page in range(1, first["paginator"]["pageCount"] + 1):
        data = client.get("/api/orders", params={"page": page}).json()["data"]
        for o in data["orders"]:
            assert "items" not in o and "billingAddress" not in o and "deliveryAddress" not in o
        codes += [o["code"] for o in data["orders"]]
    assert len(codes) == len(set(codes)) == first["paginator"]["totalCount"] == sb.totals(SHOP)["orders"]


def test_datetimes_are_prague_time_without_colon_and_money_is_strings(client: httpx.Client) -> None:
    assert fmt_dt(datetime(2018, 5, 29, 7, 2, 27, tzinfo=UTC).timestamp()) == "2018-05-29T09:02:27+0200"
    assert fmt_dt(datetime(2019, 1, 8, 14, 13, 39, tzinfo=UTC).timestamp()) == "2019-01-08T15:13:39+0100"
    assert (
        parse_dt("2017-12-12T22:08:01+0100") == parse_dt("2017-12-12T22:08:01 0100") == parse_dt("2017-12-12T21:08:01Z")
    )
    offsets = set()
    data = client.get("/api/orders", params={"page": 3}).json()["data"]["orders"]
    data += client.get("/api/orders", params={"page": 20}).json()["data"]["orders"]
    for listed in data:
        o = client.get(f"/api/orders/{listed['code']}").json()["data"]["order"]
        assert DT.match(o["creationTime"]) and DT.match(o["changeTime"])
        offsets.add(o["creationTime"][-5:])
        price = o["price"]
        assert MONEY.match(price["withVat"]) and MONEY.match(price["withoutVat"]) and MONEY.match(price["vat"])
        assert RATE.match(price["exchangeRate"])
        assert price["currencyCode"] in ("CZK", "EUR")
        assert (price["exchangeRate"] == "1.00000000") == (price["currencyCode"] == "CZK")
        # order price = sum of items' itemPrice; itemPrice = unitPrice x amount
        assert Decimal(price["withVat"]) == sum(Decimal(i["itemPrice"]["withVat"]) for i in o["items"])
        for item in o["items"]:
            assert AMOUNT.match(item["amount"]) and AMOUNT.match(item["weight"])
            assert Decimal(item["itemPrice"]["withVat"]) == Decimal(item["unitPrice"]["withVat"]) * Decimal(
                item["amount"]
            )
            assert MONEY.match(item["itemPrice"]["vat"]) and item["itemPrice"]["vatRate"].endswith(".00")
            if item["itemType"] == "product":
                assert client.get(f"/api/products/code/{item['code']}").status_code == 200
    assert offsets == {"+0100", "+0200"}  # winter and summer orders


def test_generated_data_is_production_shaped_and_nullable_fields_are_sometimes_null() -> None:
    d = ShopData(SHOP, 3, 0.002, anchor=1767222000)
    orders = [d.order(i) for i in range(d.n_orders)]
    items = sum(len(o["items"]) for o in orders)
    assert 5.3 < items / len(orders) < 6.5
    guests = sum(o["customerGuid"] is None for o in orders) / len(orders)
    assert 0.28 < guests < 0.39
    types = {i["itemType"] for o in orders for i in o["items"]}
    assert {"product", "shipping", "billing", "discount-coupon"} <= types
    assert types & {"gift", "volume-discount", "service"}
    assert any(o["guid"] is None for o in orders) and any(o["deliveryAddress"] is None for o in orders)
    assert any(o["deliveryAddress"] is not None for o in orders)
    assert any(o["status"]["id"] == -4 for o in orders)  # cancelled
    assert {o["price"]["currencyCode"] for o in orders} == {"CZK", "EUR"}
    codes = {v.code for v in d.variants}
    assert all(i["code"] in codes for o in orders for i in o["items"] if i["itemType"] == "product")
    by_month = [0] * 12
    for o in orders:
        by_month[int(o["creationTime"][5:7]) - 1] += 1
    assert by_month[11] == max(by_month)  # December peak
    per_customer: dict[str, int] = {}
    for o in orders:
        if o["customerGuid"]:
            per_customer[o["customerGuid"]] = per_customer.get(o["customerGuid"], 0) + 1
    assert max(per_customer.values()) >= 5 * (sum(per_customer.values()) / len(per_customer))  # heavy tail
    assert all(GUID.match(c) for c in per_customer)
    products = [d.product(p) for p in range(d.n_products)]
    assert any(p["supplier"] is None for p in products) and any(len(p["variants"]) > 1 for p in products)
    # the same seed gives the same data; another seed other data
    assert ShopData(SHOP, 3, 0.002, anchor=1767222000).order(17) == orders[17]
    assert ShopData(SHOP, 4, 0.002, anchor=1767222000).order(17) != orders[17]


def test_scale_one_is_derived_not_held() -> None:
    t0 = time.time()
    d = ShopData(SHOP, 1, 1.0, anchor=1767222000)
    assert time.time() - t0 < 10
    assert (d.n_orders, d.n_customers) == (1_400_000, 661_000) and 13_000 <= len(d.variants) < 13_010
    last = d.order(d.n_orders - 1)
    assert d.order_index(last["code"]) == d.n_orders - 1
    assert (
        parse_dt(last["creationTime"]) < 1767222000
        and parse_dt(d.order(0)["creationTime"]) >= 1767222000 - 3 * 366 * 86400
    )


def test_customer_email_lives_in_main_account_and_product_detail_has_no_wrapper(client: httpx.Client) -> None:
    guid = client.get("/api/customers").json()["data"]["customers"][0]["guid"]
    c = client.get(f"/api/customers/{guid}").json()["data"]["customer"]
    assert "email" not in c and [a for a in c["accounts"] if a["mainAccount"]][0]["email"]
    email = [a for a in c["accounts"] if a["mainAccount"]][0]["email"]
    found = client.get("/api/customers", params={"email": email.upper()}).json()["data"]["customers"]
    assert [x["guid"] for x in found] == [guid]
    pguid = client.get("/api/products").json()["data"]["products"][0]["guid"]
    p = client.get(f"/api/products/{pguid}").json()["data"]
    assert p["guid"] == pguid and p["variants"] and "product" not in p
    assert client.get(f"/api/products/code/{p['variants'][0]['code']}").json()["data"]["guid"] == pguid


def test_order_list_filters(client: httpx.Client) -> None:
    o = client.get("/api/orders", params={"page": 5}).json()["data"]["orders"][0]
    by_email = client.get("/api/orders", params={"email": o["email"].upper()}).json()["data"]["orders"]
    assert o["code"] in [x["code"] for x in by_email] and all(
        x["email"].lower() == o["email"].lower() for x in by_email
    )
    cancelled = client.get("/api/orders", params={"statusId": -4}).json()["data"]
    assert cancelled["paginator"]["totalCount"] > 0 and all(x["status"]["id"] == -4 for x in cancelled["orders"])
    frm = o["creationTime"]
    since = client.get("/api/orders", params={"creationTimeFrom": frm, "itemsPerPage": 50}).json()["data"]
    assert since["orders"][0]["creationTime"] >= frm[:10]
    assert all(parse_dt(x["creationTime"]) >= parse_dt(frm) for x in since["orders"])
    changed = client.get("/api/orders", params={"changeTimeFrom": frm}).json()["data"]
    assert all(parse_dt(x["changeTime"]) >= parse_dt(frm) for x in changed["orders"])
    if o["customerGuid"]:
        mine = client.get("/api/orders", params={"customerGuid": o["customerGuid"]}).json()["data"]["orders"]
        assert o["code"] in [x["code"] for x in mine]
    assert client.get("/api/orders", params={"creationTimeFrom": "yesterday"}).status_code == 400


# -- auth ---------------------------------------------------------------------------------------------


def test_auth_errors(module_sandbox: tuple[Sandbox, str]) -> None:
    _, url = module_sandbox
    r = httpx.get(f"{url}/api/orders")
    assert r.status_code == 401 and r.json()["errors"][0]["errorCode"] == "missing-access-token"
    r = httpx.get(f"{url}/api/orders", headers={"Shoptet-Private-API-Token": "nope"})
    assert r.status_code == 401 and r.json()["errors"][0]["errorCode"] == "invalid-token"
    r = httpx.get(f"{url}/api/orders", headers={"Shoptet-Access-Token": "123-a-nope"})
    assert r.status_code == 401 and r.json()["errors"][0]["errorCode"] == "invalid-token"
    # the SDK spells the header Shoptet-Private-Api-Token
    assert (
        httpx.get(f"{url}/api/eshop", headers={"Shoptet-Private-Api-Token": f"sandbox-private-{SHOP}"}).status_code
        == 200
    )


def test_oauth_code_token_and_access_tokens(sb: Sandbox, module_sandbox: tuple[Sandbox, str]) -> None:
    url = module_sandbox[1]
    code = sb.oauth_code(SHOP)
    r = httpx.post(
        f"{url}/action/ApiOAuthServer/token",
        json={
            "client_id": "x",
            "client_secret": "y",
            "code": code,
            "grant_type": "authorization_code",
            "scope": "api",
            "redirect_uri": "https://addon.example/install",
        },
    )
    assert r.status_code == 200, r.text
    grant = r.json()
    assert grant["expires_in"] is None and grant["token_type"] == "Bearer" and grant["scope"] == "api"
    assert grant["eshopId"] == SHOP and grant["eshopUrl"].startswith(url) and grant["contactEmail"]
    # single use; form-encoded bodies work too
    assert httpx.post(f"{url}/action/ApiOAuthServer/token", json={"code": code}).status_code == 400
    assert (
        httpx.post(
            f"{url}/action/ApiOAuthServer/token", data={"code": sb.oauth_code(SHOP), "grant_type": "authorization_code"}
        ).status_code
        == 200
    )
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    assert (
        httpx.get(f"{url}/action/ApiOAuthServer/getAccessToken", headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    tokens = []
    for _ in range(5):
        r = httpx.get(f"{url}/action/ApiOAuthServer/getAccessToken", headers=bearer)
        assert r.status_code == 200 and r.json()["expires_in"] == 1800
        tokens.append(r.json()["access_token"])
    r = httpx.get(f"{url}/action/ApiOAuthServer/getAccessToken", headers=bearer)
    assert r.status_code == 429 and r.json() == {"error": "maximum_tokens_reached"}
    ok = httpx.get(f"{url}/api/eshop", headers={"Shoptet-Access-Token": tokens[0]})
    assert ok.status_code == 200 and ok.json()["data"]["contactInformation"]["eshopId"] == SHOP
    sb.set_faults(expire_tokens=1)
    r = httpx.get(f"{url}/api/eshop", headers={"Shoptet-Access-Token": tokens[1]})
    assert r.status_code == 401 and r.json()["errors"][0]["errorCode"] == "expired-token"
    r = httpx.get(f"{url}/api/eshop", headers={"Shoptet-Access-Token": tokens[1]})
    assert r.status_code == 401 and r.json()["errors"][0]["errorCode"] == "expired-token"  # it stays dead
    # the expired token freed a slot
    assert httpx.get(f"{url}/action/ApiOAuthServer/getAccessToken", headers=bearer).status_code == 200
    sb.expire_access_tokens(SHOP)


def test_access_tokens_expire_after_their_lifetime(tmp_path: Path) -> None:
    sb = Sandbox(scale=0.0001, data_dir=tmp_path, token_ttl=1)
    with sb.run_in_thread() as url:
        grant = httpx.post(f"{url}/action/ApiOAuthServer/token", json={"code": sb.oauth_code(SHOP)}).json()
        tok = httpx.get(
            f"{url}/action/ApiOAuthServer/getAccessToken", headers={"Authorization": f"Bearer {grant['access_token']}"}
        ).json()
        assert tok["expires_in"] == 1
        assert httpx.get(f"{url}/api/eshop", headers={"Shoptet-Access-Token": tok["access_token"]}).status_code == 200
        time.sleep(1.2)
        r = httpx.get(f"{url}/api/eshop", headers={"Shoptet-Access-Token": tok["access_token"]})
        assert r.status_code == 401 and r.json()["errors"][0]["errorCode"] == "expired-token"


# -- rate limits -------------------------------------------------------------------------------------


def test_more_than_three_concurrent_requests_per_token_get_429(
    sb: Sandbox, client: httpx.Client, module_sandbox: tuple[Sandbox, str]
) -> None:
    sb.set_faults(slow_ms=400)
    headers = {"Shoptet-Private-API-Token": sb.private_token(SHOP)}

    def call(_: int) -> int:
        return httpx.get(f"{module_sandbox[1]}/api/eshop", headers=headers, timeout=10).status_code

    with ThreadPoolExecutor(6) as pool:
        codes = list(pool.map(call, range(6)))
    assert codes.count(200) <= 3 and codes.count(429) >= 3, codes


def test_full_leaky_bucket_answers_429_with_http_date_retry_after(tmp_path: Path) -> None:
    sb = Sandbox(scale=0.0001, data_dir=tmp_path, bucket_size=5, leak_per_second=2)
    with (
        sb.run_in_thread() as url,
        httpx.Client(base_url=url, headers={"Shoptet-Private-API-Token": sb.private_token(SHOP)}) as c,
    ):
        fillings = [c.get("/api/eshop").headers["X-RateLimit-Bucket-Filling"] for _ in range(5)]
        assert fillings[-1] == "5/5" and fillings[0] == "1/5"
        r = c.get("/api/eshop")
        assert r.status_code == 429 and r.json()["errors"][0]["errorCode"] == "rate-limit-exceeded"
        retry_at = parsedate_to_datetime(r.headers["Retry-After"])
        assert r.headers["Retry-After"].endswith(" GMT")
        assert datetime.now(UTC) - timedelta(seconds=1) <= retry_at <= datetime.now(UTC) + timedelta(seconds=3)
        time.sleep(0.6)  # leaks 2 drops/s
        assert c.get("/api/eshop").status_code == 200


# -- snapshots and jobs -----------------------------------------------------------------------------


def test_snapshot_without_job_finished_webhook_is_403(tmp_path: Path) -> None:
    sb = Sandbox(scale=0.0001, data_dir=tmp_path)
    with sb.run_in_thread() as url:
        r = httpx.get(f"{url}/api/orders/snapshot", headers={"Shoptet-Private-API-Token": sb.private_token(SHOP)})
        assert r.status_code == 403 and r.json()["data"] is None and not sb.jobs


def test_snapshot_jobs_complete_with_gzip_jsonl_whose_lines_match_the_totals(
    sb: Sandbox, client: httpx.Client, receiver: Receiver
) -> None:
    _register(client, receiver.url, "job:finished")
    totals = sb.totals(SHOP)
    job, lines = _snapshot_lines(client, "orders")
    assert "pending" in job["seen"] or "running" in job["seen"]
    assert job["endpoint"] == "/api/orders/snapshot" and DT.match(job["completionTime"]) and DT.match(job["validUntil"])
    assert re.match(r"^http://127\.0\.0\.1:\d+/api-results/[a-z0-9]{7}-[0-9a-f]+\.json$", job["resultUrl"])
    orders = [orjson.loads(line) for line in lines]
    assert len(orders) == totals["orders"]
    assert sum(len(o["items"]) for o in orders) == totals["order_items"]
    assert str(sum(Decimal(o["price"]["withVat"]) for o in orders)) == totals["orders_total_with_vat"]
    assert "data" not in orders[0] and orders[0]["items"]
    assert orders[0] == client.get(f"/api/orders/{orders[0]['code']}").json()["data"]["order"]
    _, lines = _snapshot_lines(client, "customers")
    customers = [orjson.loads(line) for line in lines]
    assert len(customers) == totals["customers"] and "accounts" in customers[0]
    assert any(c["creationTime"] is None for c in customers)
    _, lines = _snapshot_lines(client, "products")
    products = [orjson.loads(line) for line in lines]
    assert len(products) == totals["products"] and sum(len(p["variants"]) for p in products) == totals["variants"]
    listed = client.get("/api/system/jobs", params={"status": "completed"}).json()["data"]
    assert listed["paginator"]["totalCount"] >= 3 and "resultUrl" not in listed["jobs"][0]


def test_job_finished_is_delivered_signed_with_the_signature_key(
    sb: Sandbox, client: httpx.Client, receiver: Receiver
) -> None:
    _register(client, receiver.url, "job:finished")
    r = client.post("/api/webhooks/renew-signature-key")
    key = r.json()["data"]["signatureKey"]
    assert re.match(r"^[0-9a-f]{32}$", key)
    job_id = client.get("/api/customers/snapshot").json()["data"]["jobId"]
    events = receiver.wait(1, "job:finished")
    mine = [(h, b) for h, b in receiver.calls if orjson.loads(b)["eventInstance"] == job_id]
    assert len(mine) == 1
    headers, body = mine[0]
    assert headers["shoptet-webhook-signature"] == hmac.new(key.encode(), body, hashlib.sha1).hexdigest()
    event = orjson.loads(body)
    assert list(event) == ["eshopId", "event", "eventCreated", "eventInstance"] and b" " not in body
    assert event["eshopId"] == SHOP and event["event"] == "job:finished" and DT.match(event["eventCreated"])
    assert events
    sb.wait_webhooks()
    notes = client.get("/api/webhooks/notifications", params={"event": "job:finished"}).json()["data"]
    note = [n for n in notes["notifications"] if n["data"]["eventInstance"] == job_id][0]
    assert note["status"] == "success" and note["attempts"] == 1 and note["active"] is False


def test_failed_webhook_deliveries_are_retried_and_logged(sb: Sandbox, client: httpx.Client) -> None:
    flaky = Receiver(statuses=[500, 500])
    try:
        _register(client, flaky.url, "job:finished")
        job_id = client.get("/api/products/snapshot").json()["data"]["jobId"]
        flaky.wait(3)
        assert [orjson.loads(b)["eventInstance"] for _, b in flaky.calls] == [job_id] * 3
        sb.wait_webhooks()
        note = [n for n in sb.notifications(SHOP) if n["data"]["eventInstance"] == job_id][0]
        assert note["attempts"] == 3 and note["status"] == "success"
    finally:
        flaky.close()


def test_polling_an_unfinished_job_more_than_ten_times_is_403(tmp_path: Path, receiver: Receiver) -> None:
    sb = Sandbox(scale=0.0001, data_dir=tmp_path, job_seconds=30)
    with (
        sb.run_in_thread() as url,
        httpx.Client(base_url=url, headers={"Shoptet-Private-API-Token": sb.private_token(SHOP)}) as c,
    ):
        _register(c, receiver.url, "job:finished")
        job_id = c.get("/api/orders/snapshot").json()["data"]["jobId"]
        codes = [c.get(f"/api/system/jobs/{job_id}").status_code for _ in range(11)]
        assert codes == [200] * 10 + [403]
        assert c.get("/api/system/jobs/nosuch1").status_code == 404


def test_webhook_registration_rules(sb: Sandbox, client: httpx.Client, receiver: Receiver) -> None:
    _register(client, receiver.url, "order:create")
    r = client.post("/api/webhooks", json={"data": [{"event": "order:create", "url": receiver.url}]})
    assert r.status_code == 422 and r.json()["errors"][0]["errorCode"] == "webhook-exists"
    many = [{"event": "order:create", "url": receiver.url}] * 51
    assert client.post("/api/webhooks", json={"data": many}).status_code == 413
    _register(client, receiver.url, "order:update")
    assert (
        client.post("/api/webhooks", json={"data": [{"event": "order:cancel", "url": receiver.url}]}).status_code == 409
    )
    hooks = client.get("/api/webhooks").json()["data"]["webhooks"]
    hook = [h for h in hooks if h["event"] == "order:create"][0]
    assert isinstance(hook["id"], int) and DT.match(hook["created"]) and hook["updated"] is None
    assert client.delete(f"/api/webhooks/{hook['id']}").status_code == 200
    assert client.delete(f"/api/webhooks/{hook['id']}").status_code == 404


# -- mutations and changes ---------------------------------------------------------------------------


def test_mutate_updates_totals_changes_and_sends_entity_webhooks(
    sb: Sandbox, client: httpx.Client, receiver: Receiver
) -> None:
    _register(
        client,
        receiver.url,
        "order:create",
        "order:update",
        "order:delete",
        "customer:create",
        "customer:update",
        "customer:delete",
        "product:create",
        "product:update",
        "product:delete",
    )
    since = fmt_dt(time.time() - 2)
    before = sb.totals(SHOP)
    result = sb.mutate(SHOP, 40, seed=11)
    events = result["events"]
    after = sb.totals(SHOP)
    kinds = {e["event"] for e in events}
    assert {"order:create", "order:update", "order:delete"} <= kinds
    creates = sum(e["event"] == "order:create" for e in events)
    deletes = len({e["eventInstance"] for e in events if e["event"] == "order:delete"})
    assert after["orders"] == before["orders"] + creates - deletes
    changes = client.get("/api/orders/changes", params={"from": since, "itemsPerPage": 1000}).json()["data"]
    by_code = {c["code"]: c for c in changes["changes"]}
    for e in events:
        if e["event"].startswith("order:"):
            assert e["eventInstance"] in by_code
    deleted = [e["eventInstance"] for e in events if e["event"] == "order:delete"]
    for code in deleted:
        assert by_code[code]["changeType"] == "delete"
        assert client.get(f"/api/orders/{code}").status_code == 404
    assert all(DT.match(c["changeTime"]) for c in changes["changes"])
    only_deletes = client.get("/api/orders/changes", params={"from": since, "changeType": "delete"}).json()["data"]
    assert {c["code"] for c in only_deletes["changes"]} == set(deleted)
    created = [e["eventInstance"] for e in events if e["event"] == "order:create"]
    for code in created:
        if code not in deleted:
            o = client.get(f"/api/orders/{code}").json()["data"]["order"]
            assert o["status"]["id"] == -1 and parse_dt(o["creationTime"]) >= parse_dt(since)
    cust = client.get("/api/customers/changes", params={"from": since}).json()["data"]
    assert cust["paginator"]["itemsPerPage"] == 20 and all("guid" in c for c in cust["changes"])
    prod = client.get("/api/products/changes", params={"from": since}).json()["data"]
    assert all(GUID.match(c["guid"]) for c in prod["changes"])
    got = receiver.wait(len(events))
    assert sorted((e["event"], e["eventInstance"]) for e in got if e["event"] != "job:finished") == sorted(
        (e["event"], e["eventInstance"]) for e in events
    )
    # a snapshot after mutations holds exactly the totals
    _register(client, receiver.url, "job:finished")
    _, lines = _snapshot_lines(client, "orders")
    assert len(lines) == after["orders"]
    assert str(sum(Decimal(orjson.loads(line)["price"]["withVat"]) for line in lines)) == after["orders_total_with_vat"]
    listed = client.get("/api/orders", params={"changeTimeFrom": since, "itemsPerPage": 50}).json()["data"]
    assert listed["paginator"]["totalCount"] >= len(set(created) - set(deleted))


def test_changes_need_from_within_30_days(client: httpx.Client) -> None:
    r = client.get("/api/orders/changes")
    assert r.status_code == 400
    r = client.get("/api/orders/changes", params={"from": fmt_dt(time.time() - 31 * 86400)})
    assert r.status_code == 400 and r.json()["errors"][0]["instance"] == "from"
    r = client.get("/api/orders/changes", params={"from": fmt_dt(time.time() - 29 * 86400), "itemsPerPage": 5000})
    assert r.status_code == 200 and r.json()["data"]["paginator"]["itemsPerPage"] == 1000


# -- faults ------------------------------------------------------------------------------------------


def test_request_faults_rate_limit_burst_server_errors_and_slow(sb: Sandbox, client: httpx.Client) -> None:
    sb.set_faults(rate_limit_burst=2, server_errors=1)
    codes = [client.get("/api/eshop") for _ in range(4)]
    assert [r.status_code for r in codes] == [429, 429, 500, 200]
    parsedate_to_datetime(codes[0].headers["Retry-After"])
    assert codes[2].json()["errors"][0]["errorCode"] == "internal-server-error"
    sb.set_faults(slow_ms=300)
    t0 = time.time()
    client.get("/api/eshop")
    assert time.time() - t0 >= 0.3
    with pytest.raises(ValueError):
        sb.set_faults(no_such_switch=1)


def test_detail_latency_switch_slows_only_detail_requests_and_each_key_is_counted(
    module_sandbox: tuple[Sandbox, str], client: httpx.Client
) -> None:
    sb, url = module_sandbox
    code = client.get("/api/orders").json()["data"]["orders"][0]["code"]
    guid = client.get("/api/customers").json()["data"]["customers"][0]["guid"]
    sb.reset_detail_requests()
    sb.set_faults(detail_ms=300)
    try:
        t0 = time.time()
        client.get("/api/orders", params={"itemsPerPage": 5})
        listed = time.time() - t0
        t0 = time.time()
        assert client.get(f"/api/orders/{code}").status_code == 200
        detail = time.time() - t0
        client.get(f"/api/orders/{code}")
        assert client.get("/api/orders/no-such-order").status_code == 404
        client.get(f"/api/customers/{guid}")
    finally:
        sb.reset_faults()
    assert listed < 0.3 <= detail
    assert sb.detail_requests(SHOP, "orders") == {code: 2, "no-such-order": 1}
    assert sb.detail_requests(SHOP, "customers") == {guid: 1}
    over_http = httpx.get(f"{url}/_sandbox/detail-requests", params={"eshopId": SHOP, "entity": "orders"}).json()
    assert over_http == {code: 2, "no-such-order": 1}
    httpx.delete(f"{url}/_sandbox/detail-requests")
    assert sb.detail_requests(SHOP, "orders") == {}


def test_truncated_gzip_and_malformed_lines(sb: Sandbox, client: httpx.Client, receiver: Receiver) -> None:
    _register(client, receiver.url, "job:finished")
    total = sb.totals(SHOP)["orders"]
    sb.set_faults(truncate_gzip=1)
    r = client.get("/api/orders/snapshot")
    job = _finish_job(client, r.json()["data"]["jobId"])
    cut = httpx.get(job["resultUrl"]).content
    with pytest.raises((EOFError, zlib.error, OSError)):
        gzip.decompress(cut)
    assert len(gzip.decompress(httpx.get(job["resultUrl"]).content).splitlines()) == total  # only once
    sb.set_faults(malformed_fraction=0.02)
    runs = []
    for _ in range(2):
        r = client.get("/api/orders/snapshot")
        job = _finish_job(client, r.json()["data"]["jobId"])
        runs.append(gzip.decompress(httpx.get(job["resultUrl"]).content).split(b"\n")[:-1])
    assert runs[0] == runs[1]  # deterministic
    lines = runs[0]
    assert len(lines) == total
    bad = 0
    for line in lines:
        try:
            o = orjson.loads(line)
        except orjson.JSONDecodeError:
            bad += 1
            continue
        if "code" not in o or any(i["itemType"] == "teleport-item" for i in o.get("items", [])):
            bad += 1
    assert 0 < bad < total * 0.1


@pytest.mark.parametrize("outcome", ["failed", "expired", "killed"])
def test_job_outcome_fault(sb: Sandbox, client: httpx.Client, receiver: Receiver, outcome: str) -> None:
    _register(client, receiver.url, "job:finished")
    sb.set_faults(job_outcome=outcome, job_outcome_jobs=1)
    job = _finish_job(client, client.get("/api/customers/snapshot").json()["data"]["jobId"])
    assert job["status"] == outcome and job["resultUrl"] is None
    assert job["jobId"] in [e["eventInstance"] for e in receiver.wait(1, "job:finished")]
    again = _finish_job(client, client.get("/api/customers/snapshot").json()["data"]["jobId"])
    assert again["status"] == "completed"


def test_duplicate_and_out_of_order_webhooks(sb: Sandbox, client: httpx.Client, receiver: Receiver) -> None:
    _register(client, receiver.url, "order:update", "order:create", "order:delete")
    sb.set_faults(duplicate_webhooks=True, out_of_order_webhooks=True)
    events = [
        (e["event"], e["eventInstance"])
        for e in sb.mutate(SHOP, 30, seed=5)["events"]
        if e["event"].startswith("order:")
    ]
    got = receiver.wait(2 * len(events))
    pairs = [(e["event"], e["eventInstance"]) for e in got]
    assert sorted(pairs) == sorted(events * 2)
    assert pairs[::2] != events or pairs[1::2] != events  # not simply in order, each once


def test_http_control_endpoints(module_sandbox: tuple[Sandbox, str]) -> None:
    sb, url = module_sandbox
    shops = httpx.get(f"{url}/_sandbox/shops").json()
    assert shops["shops"][0] == {
        "eshopId": SHOP,
        "name": "Sandbox shop",
        "privateToken": f"sandbox-private-{SHOP}",
        "oauthCode": f"sandbox-code-{SHOP}",
    }
    totals = httpx.get(f"{url}/_sandbox/totals", params={"eshopId": SHOP}).json()
    assert totals == sb.totals(SHOP)
    assert set(totals) >= {"orders", "order_items", "orders_total_with_vat", "customers", "products", "variants"}
    faults = httpx.post(f"{url}/_sandbox/faults", json={"server_errors": 1}).json()
    assert faults["server_errors"] == 1
    assert (
        httpx.get(f"{url}/api/eshop", headers={"Shoptet-Private-API-Token": sb.private_token(SHOP)}).status_code == 500
    )
    assert httpx.delete(f"{url}/_sandbox/faults").json()["server_errors"] == 0
    assert httpx.post(f"{url}/_sandbox/faults", json={"bogus": 1}).status_code == 400
    mutated = httpx.post(f"{url}/_sandbox/mutate", json={"eshopId": SHOP, "n": 3, "seed": 99}).json()
    assert len(mutated["events"]) == 3
    code = httpx.post(f"{url}/_sandbox/oauth-code", json={"eshopId": SHOP}).json()["code"]
    assert httpx.post(f"{url}/action/ApiOAuthServer/token", json={"code": code}).status_code == 200


def test_eshop_settings_timezone_is_switchable_per_shop_even_to_invalid_or_missing(
    module_sandbox: tuple[Sandbox, str], client: httpx.Client
) -> None:
    sb, url = module_sandbox

    def served() -> dict[str, Any]:
        return dict(client.get("/api/eshop").json()["data"]["settings"])

    assert served()["timezone"] == "Europe/Prague"
    try:
        assert httpx.post(f"{url}/_sandbox/timezone", json={"eshopId": SHOP, "timezone": "Europe/Budapest"}).json() == {
            "eshopId": SHOP,
            "timezone": "Europe/Budapest",
        }
        assert served()["timezone"] == "Europe/Budapest"
        sb.set_timezone(SHOP, "Mars/Olympus_Mons")  # served as given: what the hub does with it is its business
        assert served()["timezone"] == "Mars/Olympus_Mons"
        httpx.post(f"{url}/_sandbox/timezone", json={"eshopId": SHOP, "timezone": None})
        assert "timezone" not in served() and served()["eshopLanguage"] == "cs"
    finally:
        sb.set_timezone(SHOP, "Europe/Prague")


def test_put_and_remove_serve_odd_documents_verbatim_everywhere(tmp_path: Path, receiver: Receiver) -> None:
    """The data hook: documents placed as they are reach the detail, list, snapshot and change list."""
    sb = Sandbox(scale=0.001, seed=7, data_dir=tmp_path, job_seconds=0.3, webhook_retry_delay=0.1)
    with (
        sb.run_in_thread() as url,
        httpx.Client(base_url=url, headers={"Shoptet-Private-API-Token": sb.private_token(SHOP)}, timeout=30) as client,
    ):
        _register(
            client, receiver.url, "job:finished", "order:create", "order:update", "order:delete", "customer:create"
        )
        since = fmt_dt(time.time() - 2)
        before = sb.totals(SHOP)
        generated = client.get("/api/orders", params={"itemsPerPage": 1}).json()["data"]["orders"][0]["code"]
        odd = {
            "code": "E-2025-00488",
            "guid": None,
            "creationTime": "2206-03-10T10:15:00+0100",
            "changeTime": None,
            "email": "\tpetr.novak@example.cz",
            "customerGuid": "",
            "status": {"id": -1, "name": "Nevyřízená"},
            "price": {"withVat": "499.00", "withoutVat": "412.40", "vat": "86.60", "currencyCode": "CZK"},
            "items": [
                {
                    "itemId": 1,
                    "itemType": "product",
                    "productGuid": "12345",
                    "code": "X",
                    "amount": "1.000",
                    "itemPrice": {"withVat": "499.00"},
                }
            ],
        }
        replaced = dict(
            client.get(f"/api/orders/{generated}").json()["data"]["order"],
            remark="replaced",
            changeTime=fmt_dt(time.time()),
        )
        result = sb.put(SHOP, "orders", [odd, replaced], null_change_time=True)
        assert [(e["event"], e["eventInstance"]) for e in result["events"]] == [
            ("order:create", "E-2025-00488"),
            ("order:update", generated),
        ]
        assert client.get("/api/orders/E-2025-00488").json()["data"]["order"] == odd
        assert client.get(f"/api/orders/{generated}").json()["data"]["order"]["remark"] == "replaced"
        after = sb.totals(SHOP)
        assert after["orders"] == before["orders"] + 1
        assert Decimal(after["orders_total_with_vat"]) == Decimal(before["orders_total_with_vat"]) + Decimal("499.00")
        listed = client.get("/api/orders", params={"orderCodes": "E-2025-00488"}).json()["data"]["orders"]
        assert [o["code"] for o in listed] == ["E-2025-00488"]
        changes = client.get("/api/orders/changes", params={"from": since}).json()["data"]["changes"]
        assert {c["code"]: c["changeTime"] for c in changes} == {"E-2025-00488": None, generated: None}
        _, lines = _snapshot_lines(client, "orders")
        assert orjson.dumps(odd) in [orjson.dumps(orjson.loads(line)) for line in lines]

        upper = "A1B2C3D4-5B7D-11EE-8C99-0242AC120002"
        customer = {
            "guid": upper,
            "creationTime": None,
            "changeTime": "2026-03-10T10:15:00+0100",
            "accounts": [{"email": "X@Example.cz ", "mainAccount": True}],
            "billingAddress": None,
        }
        sb.put(SHOP, "customers", [customer])
        assert client.get(f"/api/customers/{upper.lower()}").json()["data"]["customer"]["guid"] == upper
        assert client.get(f"/api/customers/{upper}").json()["data"]["customer"] == customer
        assert sb.totals(SHOP)["customers"] == before["customers"] + 1

        removed = sb.remove(SHOP, "orders", ["E-2025-00488", "no-such-order"])
        assert removed["events"] == [{"event": "order:delete", "eventInstance": "E-2025-00488"}]
        assert client.get("/api/orders/E-2025-00488").status_code == 404
        deletes = client.get("/api/orders/changes", params={"from": since, "changeType": "delete"}).json()["data"]
        assert deletes["changes"] == [
            {
                "code": "E-2025-00488",
                "changeTime": fmt_dt(parse_dt(deletes["changes"][0]["changeTime"])),
                "changeType": "delete",
            }
        ]
        got = receiver.wait(5, timeout=10)  # and the snapshot's job:finished
        assert {(e["event"], e["eventInstance"]) for e in got if e["event"] != "job:finished"} == {
            ("order:create", "E-2025-00488"),
            ("order:update", generated),
            ("customer:create", upper),
            ("order:delete", "E-2025-00488"),
        }
        bad = httpx.post(f"{url}/_sandbox/put", json={"entity": "orders", "documents": [{"guid": "x"}]})
        assert bad.status_code == 400 and "code" in bad.json()["detail"]
        over_http = httpx.post(
            f"{url}/_sandbox/put", json={"entity": "orders", "documents": [dict(odd, code="H-1")], "webhooks": False}
        )
        assert over_http.status_code == 200 and client.get("/api/orders/H-1").status_code == 200


def test_odd_inputs_are_served_as_the_issue_gives_them(tmp_path: Path) -> None:
    sb = Sandbox(scale=0.001, seed=7, data_dir=tmp_path, job_seconds=0.3)
    before = sb.totals(SHOP)
    with (
        sb.run_in_thread() as url,
        httpx.Client(base_url=url, headers={"Shoptet-Private-API-Token": sb.private_token(SHOP)}, timeout=30) as client,
    ):
        assert httpx.post(f"{url}/_sandbox/odd-inputs", json={}).status_code == 200
        emails = [client.get(f"/api/orders/ODD-EMAIL-{n}").json()["data"]["order"] for n in (1, 2, 3)]
        assert [o["email"] for o in emails] == [
            "Petr.Novak@Example.cz",
            "petr.novak@example.cz ",
            "\tpetr.novak@example.cz",
        ]
        assert {o["price"]["withVat"] for o in emails} == {"499.00"} and all(o["customerGuid"] is None for o in emails)
        assert client.get("/api/orders/ODD-GUID-1").json()["data"]["order"]["customerGuid"] == ""
        assert client.get("/api/orders/ODD-GUID-2").json()["data"]["order"]["items"][0]["productGuid"] == "12345"
        assert client.get("/api/orders/ODD-DATE-2206").json()["data"]["order"]["creationTime"].startswith("2206-")
        april = client.get("/api/orders/ODD-TZ-1").json()["data"]["order"]
        assert april["creationTime"] == "2026-04-01T00:30:00+0200"
        assert [i["itemType"] for i in april["items"]] == ["product", "discount-coupon"]
        assert Decimal(april["price"]["withVat"]) == sum(Decimal(i["itemPrice"]["withVat"]) for i in april["items"])
        assert client.get("/api/orders/E-2025-00488").status_code == 200
        customer = client.get("/api/customers/a1b2c3d4-5b7d-11ee-8c99-0242ac120002").json()["data"]["customer"]
        assert customer["guid"] == "A1B2C3D4-5B7D-11EE-8C99-0242AC120002"
    assert sb.totals(SHOP)["orders"] == before["orders"] + 9
