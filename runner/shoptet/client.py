"""The Shoptet REST API client (httpx, synchronous, thread-safe).

What it does for every request, as the API documents it (../shared/docs/shoptet-api.md):

* authenticates with a private API token or an addon's minted access token; a 401
  ``expired-token`` renews the token once and repeats the request once;
* sends at most 3 requests at a time per token (Shoptet's limit), across processes when the
  client has the hub database (``slots``: runner/shoptet/slots.py), else within this process;
* paces itself from ``X-RateLimit-Bucket-Filling`` (a leaky bucket of 200 drops that
  leaks 10 per second): past 75 % it waits until the bucket is back at half;
* retries 429 after ``Retry-After`` (an HTTP date; or seconds) else exponential backoff
  with jitter, 423 after a short pause, 5xx and connection errors a bounded number of
  times; 400 / 403 / 404 / 409 / 422 are not retried and raise an error naming the request;
* parses JSON with orjson; money and amounts stay the exact strings Shoptet sent
  (``Decimal(s)`` where Python needs a number), datetimes ``+0200`` parse with
  ``parse_datetime``;
* pages with a generator that yields one page at a time (``iter_pages``);
* reports every HTTP attempt of an API call -- status (0: no answer) and seconds from sending the
  request to reading the answer -- to ``on_call`` when given (``client_for_shop`` passes the
  process's telemetry: ops.api_calls); a failing report never fails the call.
"""

from __future__ import annotations

import email.utils
import functools
import logging
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import orjson

from runner.logs import log
from runner.shoptet import errors
from runner.shoptet.auth import Credentials
from runner.shoptet.slots import MAX_CONCURRENT_PER_TOKEN, TokenSlots  # noqa: F401 - MAX_... re-exported

logger = logging.getLogger("hub.shoptet")

DEFAULT_TIMEOUT = httpx.Timeout(80.0, connect=30.0)  # the official SDK's defaults
BUCKET_LEAK_PER_SECOND = 10.0
PACE_ABOVE = 0.75  # start waiting when the bucket is this full ...
PACE_DOWN_TO = 0.5  # ... until it has leaked down to this
MAX_RETRY_WAIT = 120.0
USER_AGENT = "shoptet-hub/0.1 (+https://github.com/shoptet-hub)"
_BUCKET = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of every client in this process, made once: loading the CA store takes
    ~50 ms, which a worker would otherwise pay for every job's client. It is httpx's own default
    (certifi's CAs, or SSL_CERT_FILE / SSL_CERT_DIR), shared; an SSLContext is thread-safe."""
    return httpx.create_ssl_context()


def parse_datetime(value: str | None) -> datetime | None:
    """Shoptet's ``2018-05-29T09:02:27+0200`` (also ``+02:00``, ``Z`` and fractions of a second) as
    an aware datetime; ValueError for a text that is no ISO 8601 time or has no UTC offset.
    ``datetime.fromisoformat`` reads the ``+0200`` offset since Python 3.11 and takes 0.13 µs where
    ``strptime`` took 7.6 µs: 5.6 % of the client's CPU in a first orders import (py-spy, 2026-12-01)."""
    if value is None or value == "":
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time {value!r} has no UTC offset")
    return parsed


def format_datetime(value: datetime) -> str:
    """An aware datetime as Shoptet writes it: ``2018-05-29T09:02:27+0200``."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S%z")


def retry_after_seconds(header: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: an HTTP date (Shoptet) or a number of seconds."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class RetryPolicy:
    attempts_5xx: int = 5
    attempts_429: int = 8
    attempts_423: int = 10
    base_delay: float = 0.5
    max_delay: float = 30.0

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: about base * 2^(attempt-1), capped."""
        return min(self.max_delay, self.base_delay * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)


@dataclass
class Stats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    renewed_tokens: int = 0
    paced_seconds: float = 0.0
    by_status: dict[int, int] = field(default_factory=dict)


class ShoptetClient:
    """One shop's API. ``runner.shoptet.shop_client.client_for_shop(shop_id)`` builds it from the
    hub's stored settings."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        shop_id: int | None = None,
        http: httpx.Client | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        slots: TokenSlots | None = None,
        on_call: Callable[[int, int, float], None] | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.shop_id = shop_id
        self._own_http = http is None
        self._http = http or httpx.Client(
            verify=tls_context(),
            timeout=timeout,
            headers={"User-Agent": USER_AGENT},
            limits=httpx.Limits(max_connections=10, max_keepalive_connections=5),
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        # the token's request slots (closed with the client): shared across processes when given
        # with the hub database (client_for_shop does), else this process's semaphore only
        self._slots = slots or TokenSlots(credentials.key)
        self._pace_lock = threading.Lock()
        self._pace_until = 0.0
        self.stats = Stats()
        self._on_call = on_call

    def slot(self) -> AbstractContextManager[int | None]:
        """One of the token's request slots for a run of requests made by this thread: they go out
        one after another without giving the slot back and taking it again in between (two
        statements per request saved). Hold it only while requests follow each other."""
        return self._slots.hold()

    def close(self) -> None:
        self._slots.close()
        if self._own_http:
            self._http.close()

    def __enter__(self) -> ShoptetClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ------------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET an endpoint; the envelope's ``data``."""
        return self.request("GET", path, params=params)["data"]

    def request(
        self, method: str, path: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        """One API call with retries; the whole envelope (``data``, ``errors``, ``metadata``)."""
        url = path if path.startswith("http") else self.base_url + path
        content = orjson.dumps(json) if json is not None else None
        clean_params = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        renewed = False
        counts = {"5xx": 0, "429": 0, "423": 0}
        while True:
            self._wait_for_bucket()
            auth = self.credentials.headers()
            headers = {**auth, "Accept": "application/json"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            try:
                with self._slots.hold():
                    self.stats.requests += 1
                    sent = time.monotonic()
                    try:
                        response = self._http.request(
                            method, url, params=clean_params, content=content, headers=headers
                        )
                    except httpx.TransportError:
                        self._report(0, sent)
                        raise
                    self._report(response.status_code, sent)
            except httpx.TransportError as exc:
                counts["5xx"] += 1
                if counts["5xx"] >= self._retry.attempts_5xx:
                    raise errors.Unavailable(
                        f"{method} {path}: cannot reach Shoptet ({type(exc).__name__}: {exc}) "
                        f"after {counts['5xx']} attempts",
                        method=method,
                        path=path,
                    ) from None
                self._retry_after(method, path, "connection error", self._retry.backoff(counts["5xx"]))
                continue
            status = response.status_code
            self.stats.by_status[status] = self.stats.by_status.get(status, 0) + 1
            self._note_bucket(response.headers.get("X-RateLimit-Bucket-Filling"))
            if 200 <= status < 300:
                return _envelope(response, method, path)
            body = _json_or_none(response)
            request_id = response.headers.get("X-Request-ID")
            if status == 401:
                code, _ = errors.first_error(body)
                if code == "expired-token" and not renewed and self.credentials.renew(auth):
                    renewed = True
                    self.stats.renewed_tokens += 1
                    log(logger, logging.INFO, "access token expired: renewed", shop_id=self.shop_id, path=path)
                    continue
            elif status == 429:
                counts["429"] += 1
                self.stats.rate_limited += 1
                if counts["429"] < self._retry.attempts_429:
                    wait = retry_after_seconds(response.headers.get("Retry-After"))
                    wait = self._retry.backoff(counts["429"]) if wait is None else min(wait + 0.05, MAX_RETRY_WAIT)
                    self._retry_after(method, path, "429 rate limited", wait)
                    continue
            elif status == 423:
                counts["423"] += 1
                if counts["423"] < self._retry.attempts_423:
                    self._retry_after(method, path, "423 locked", 0.5 + random.uniform(0, 0.5))
                    continue
            elif status >= 500:
                counts["5xx"] += 1
                if counts["5xx"] < self._retry.attempts_5xx:
                    self._retry_after(method, path, f"HTTP {status}", self._retry.backoff(counts["5xx"]))
                    continue
            raise errors.for_status(status, method, path, body, request_id)

    def iter_pages(
        self, path: str, key: str, params: Mapping[str, Any] | None = None, *, items_per_page: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield ``data[key]`` page by page until the paginator's last page; never all at once."""
        page = 1
        while True:
            query = dict(params or {})
            query["page"] = page
            if items_per_page:
                query["itemsPerPage"] = items_per_page
            data = self.get(path, query) or {}
            items = data.get(key) or []
            if items:
                yield items
            paginator = data.get("paginator") or {}
            page_count = int(paginator.get("pageCount") or 0)
            if not items or page >= page_count:
                return
            page += 1

    @contextmanager
    def download(self, url: str) -> Iterator[httpx.Response]:
        """Stream a snapshot result file. The resultUrl is on the shop's domain and needs no
        credentials (the official SDK opens it directly): none are sent to another host; on the
        API's own host the usual ones are."""
        attempts = 0
        headers = {"Accept": "*/*"}
        if httpx.URL(url).host == httpx.URL(self.base_url).host:
            headers.update(self.credentials.headers())
        while True:
            attempts += 1
            try:
                response = self._http.send(self._http.build_request("GET", url, headers=headers), stream=True)
            except httpx.TransportError as exc:
                if attempts >= self._retry.attempts_5xx:
                    raise errors.Unavailable(
                        f"GET {url}: cannot download the result file ({type(exc).__name__}: {exc})",
                        method="GET",
                        path=url,
                    ) from None
                self._retry_after("GET", url, "connection error", self._retry.backoff(attempts))
                continue
            if response.status_code >= 500 and attempts < self._retry.attempts_5xx:
                response.close()
                self._retry_after("GET", url, f"HTTP {response.status_code}", self._retry.backoff(attempts))
                continue
            if response.status_code != 200:
                response.close()
                gone = response.status_code in (403, 404, 410)
                raise (errors.ResultGone if gone else errors.SnapshotError)(
                    f"GET {url}: the result file answered HTTP {response.status_code}"
                    + (" (expired? results are kept 24 hours)" if gone else ""),
                    method="GET",
                    path=url,
                    status=response.status_code,
                )
            break
        try:
            yield response
        finally:
            response.close()

    def _report(self, status: int, sent: float) -> None:
        """One HTTP attempt to ``on_call``: (shop_id, status or 0, seconds); never raises."""
        if self._on_call is None or self.shop_id is None:
            return
        try:
            self._on_call(self.shop_id, status, time.monotonic() - sent)
        except Exception:  # noqa: BLE001 - figures must never fail the call
            pass

    # -- pacing --------------------------------------------------------------------------------

    def _retry_after(self, method: str, path: str, why: str, seconds: float) -> None:
        self.stats.retries += 1
        log(
            logger,
            logging.INFO,
            "retrying Shoptet request",
            method=method,
            path=path,
            reason=why,
            wait_s=round(seconds, 2),
            shop_id=self.shop_id,
        )
        self._sleep(seconds)

    def _note_bucket(self, header: str | None) -> None:
        match = _BUCKET.match(header or "")
        if not match:
            return
        filling, size = int(match.group(1)), int(match.group(2))
        if size > 0 and filling >= size * PACE_ABOVE:
            wait = (filling - size * PACE_DOWN_TO) / BUCKET_LEAK_PER_SECOND
            with self._pace_lock:
                self._pace_until = max(self._pace_until, time.monotonic() + wait)

    def _wait_for_bucket(self) -> None:
        with self._pace_lock:
            wait = self._pace_until - time.monotonic()
        if wait > 0:
            self.stats.paced_seconds += wait
            self._sleep(wait)


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None


def _envelope(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
    if not response.content:
        return {"data": None, "errors": None, "metadata": None}
    body = _json_or_none(response)
    if not isinstance(body, dict):
        raise errors.Unavailable(
            f"{method} {path}: Shoptet answered {response.status_code} with a body that is not a JSON envelope",
            method=method,
            path=path,
            status=response.status_code,
        )
    body.setdefault("data", None)
    return body
