"""The fake Shoptet's state: shops, tokens, limits, fault switches, snapshot jobs, webhooks.

``SandboxState`` is everything the HTTP face (app.py) reads and changes, and the Python
control API the tests use; ``runner.sandbox.sandbox.Sandbox`` adds the server around it.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from runner.sandbox import generator as g
from runner.sandbox.errors import ApiError
from runner.sandbox.jobs import ENDPOINTS, Job, ResultFiles, new_job_id, write_jsonl_gz
from runner.sandbox.languages import ShopLanguages, translated
from runner.sandbox.store import Refs, Shop, order_totals
from runner.sandbox.webhooks import Deliverer

logger = logging.getLogger("hub.sandbox")

DEFAULT_SHOP = 900101
DEFAULT_SHOP_NAME = "Sandbox shop"
JOB_OUTCOMES = ("failed", "expired", "killed")


@dataclass
class Faults:
    """Fault switches. Counters are consumed by the requests/downloads/jobs they hit."""

    rate_limit_burst: int = 0  # next N /api requests: 429 with Retry-After
    server_errors: int = 0  # next N /api requests: 500
    slow_ms: int = 0  # every /api request waits this long first
    detail_ms: int = (
        0  # every detail request (an order, customer or product by its key) takes this long, its work included
    )
    truncate_gzip: int = 0  # next N result downloads are cut mid-stream
    truncate_first_download: bool = False  # the first download of every result file is cut mid-stream
    drop_connection: int = 0  # next N result downloads: the connection closes mid-body
    truncate_fraction: float = 0.6  # a cut or dropped download ends after this fraction of the file ...
    truncate_tail_bytes: int = 0  # ... or, when > 0, this many bytes before its end (last line, gzip trailer)
    malformed_fraction: float = 0.0  # this fraction of snapshot lines is broken (deterministic)
    duplicate_webhooks: bool = False  # every webhook delivery is sent twice
    out_of_order_webhooks: bool = False  # a batch of deliveries (mutate) is sent shuffled
    expire_tokens: int = 0  # next N requests with an access token: 401 expired-token (token dies)
    job_outcome: str | None = None  # snapshot jobs end failed | expired | killed ...
    job_outcome_jobs: int = 0  # ... for the next N jobs (0: every job while set)
    locked_writes: int = 0  # next N product PATCHes: 423 Locked (another request writes the product)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def take(self, name: str) -> bool:
        with self._lock:
            left = getattr(self, name)
            if left:
                setattr(self, name, int(left) - 1)
                return True
            return False

    def take_request_fault(self) -> str | None:
        if self.rate_limit_burst and self.take("rate_limit_burst"):
            return "rate_limit"
        if self.server_errors and self.take("server_errors"):
            return "server_error"
        return None

    def take_job_outcome(self) -> str | None:
        with self._lock:
            outcome = self.job_outcome
            if outcome is None:
                return None
            if self.job_outcome_jobs:
                self.job_outcome_jobs -= 1
                if self.job_outcome_jobs == 0:
                    self.job_outcome = None
            return outcome


@dataclass
class Auth:
    shop: Shop
    token: str
    bucket: str


@dataclass
class AccessToken:
    eshop_id: int
    oauth: str
    expires: float
    expired: bool = False


class SandboxState:
    """A local fake Shoptet's shops, tokens, limits, faults and jobs (see runner/sandbox/sandbox.py)."""

    def __init__(
        self,
        *,
        scale: float = 0.001,
        seed: int = 1,
        shops: Any = (DEFAULT_SHOP,),
        data_dir: str | Path = ".hub/sandbox",
        job_seconds: float = 0.5,
        webhook_retry_delay: float = 0.5,
        bucket_size: int = 200,
        leak_per_second: float = 10.0,
        drops_per_request: float = 1.0,
        max_concurrent: int = 3,
        token_ttl: int = 1800,
        max_tokens: int = 5,
        anchor: int | None = None,
        timezones: Mapping[int, str | None] | None = None,
        languages: Mapping[int, list[str]] | None = None,
    ):
        if anchor is None:
            now = int(time.time())
            anchor = (now + 3600) // 86400 * 86400 - 3600  # midnight (winter offset) of today, Prague
        self.anchor = anchor
        self.seed, self.scale = seed, scale
        if isinstance(shops, Mapping):
            named = dict(shops)
        else:
            named = {
                int(s): (DEFAULT_SHOP_NAME if n == 0 else f"{DEFAULT_SHOP_NAME} {n + 1}") for n, s in enumerate(shops)
            }
        self.shops: dict[int, Shop] = {int(e): Shop(int(e), name, seed, scale, anchor) for e, name in named.items()}
        for eshop_id, zone in (timezones or {}).items():
            self.shop(eshop_id).timezone = zone
        for eshop_id, codes in (languages or {}).items():  # the first is the default language
            self.shop(eshop_id).languages = ShopLanguages(list(codes))
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.files = ResultFiles(self.data_dir)
        self.job_seconds = job_seconds
        self.deliverer = Deliverer(retry_delay=webhook_retry_delay)
        self.bucket_size, self.leak_per_second, self.drops_per_request = bucket_size, leak_per_second, drops_per_request
        self.max_concurrent, self.token_ttl, self.max_tokens = max_concurrent, token_ttl, max_tokens
        self.faults = Faults()
        self.inflight: dict[str, int] = {}
        self.peak_inflight: dict[str, int] = {}  # per token: most requests in flight at once
        self.refused_concurrent: dict[str, int] = {}  # per token: 429s for a 4th concurrent request
        # (eshopId, entity, key) -> detail requests served (entity: orders, customers, products, variants)
        self._detail_counts: dict[tuple[int, str, str], int] = {}
        self.jobs: dict[str, Job] = {}
        self.result_downloads: dict[str, int] = {}  # result file name -> downloads so far
        self._buckets: dict[str, tuple[float, float]] = {}
        self._codes: dict[str, int] = {}
        self._oauth: dict[str, int] = {}
        self._access: dict[str, AccessToken] = {}
        self._lock = threading.RLock()
        self._private = {s.private_token: s for s in self.shops.values()}
        self._base_url: str | None = None
        self._threads: list[threading.Thread] = []
        self._closed = False

    # -- identity -----------------------------------------------------------------------------

    def shop(self, eshop_id: int) -> Shop:
        try:
            return self.shops[int(eshop_id)]
        except KeyError:
            raise KeyError(f"no sandbox shop {eshop_id}; shops: {sorted(self.shops)}") from None

    def set_timezone(self, eshop_id: int, timezone: str | None) -> dict[str, Any]:
        """What GET /api/eshop serves as ``settings.timezone`` (any string, even one that is no
        time zone; None leaves the field out). Default Europe/Prague."""
        shop = self.shop(eshop_id)
        shop.timezone = timezone
        return {"eshopId": shop.eshop_id, "timezone": timezone}

    def private_token(self, eshop_id: int) -> str:
        return self.shop(eshop_id).private_token

    def signature_key(self, eshop_id: int) -> str:
        return self.shop(eshop_id).signature_key

    def renew_signature_key(self, eshop_id: int) -> str:
        shop = self.shop(eshop_id)
        shop.signature_key = secrets.token_hex(16)
        return shop.signature_key

    def describe(self, base_url: str | None = None) -> dict[str, Any]:
        return {
            "baseUrl": base_url or self._base_url,
            "seed": self.seed,
            "scale": self.scale,
            "shops": [
                {
                    "eshopId": s.eshop_id,
                    "name": s.name,
                    "privateToken": s.private_token,
                    "oauthCode": f"sandbox-code-{s.eshop_id}",
                }
                for s in self.shops.values()
            ],
        }

    def base_url(self, request: Any = None) -> str:
        if request is not None:
            return str(request.base_url).rstrip("/")
        return self._base_url or ""

    # -- auth and limits ------------------------------------------------------------------------

    def authenticate(self, headers: Mapping[str, str]) -> Auth:
        access = headers.get("shoptet-access-token")
        if access:
            with self._lock:
                tok = self._access.get(access)
                if tok is None:
                    raise ApiError(401, "invalid-token", "Invalid access token.", "access-token")
                if tok.expired or tok.expires <= time.time():
                    raise ApiError(401, "expired-token", "Token is expired. Please ask for new one.")
                if self.faults.take("expire_tokens"):
                    tok.expired = True
                    raise ApiError(401, "expired-token", "Token is expired. Please ask for new one.")
            return Auth(self.shops[tok.eshop_id], access, f"addon:{tok.eshop_id}")
        private = headers.get("shoptet-private-api-token")
        if private:
            shop = self._private.get(private)
            if shop is None:
                raise ApiError(401, "invalid-token", "Invalid access token.", "access-token")
            return Auth(shop, private, f"private:{shop.eshop_id}")
        raise ApiError(
            401,
            "missing-access-token",
            "Missing access token. Please add `Shoptet-Access-Token` header to your request.",
        )

    def _level(self, bucket: str, now: float) -> float:
        level, at = self._buckets.get(bucket, (0.0, now))
        return max(0.0, level - (now - at) * self.leak_per_second)

    def bucket_filling(self, bucket: str) -> str:
        with self._lock:
            return f"{math.ceil(self._level(bucket, time.time()))}/{self.bucket_size}"

    def bucket_admit(self, bucket: str) -> float | None:
        """None when the request may run; else seconds until the bucket has room."""
        with self._lock:
            now = time.time()
            level = self._level(bucket, now)
            if level + self.drops_per_request > self.bucket_size:
                return (level + self.drops_per_request - self.bucket_size) / self.leak_per_second
            return None

    def bucket_add(self, bucket: str) -> str:
        """Add the request's drops (after execution, as Shoptet does); the new filling header."""
        with self._lock:
            now = time.time()
            level = self._level(bucket, now) + self.drops_per_request
            self._buckets[bucket] = (level, now)
            return f"{math.ceil(level)}/{self.bucket_size}"

    # -- OAuth ---------------------------------------------------------------------------------

    def oauth_code(self, eshop_id: int) -> str:
        """A one-time installation code for the shop (what Shoptet passes to the addon's install URL)."""
        self.shop(eshop_id)
        code = f"sandbox-code-{eshop_id}-{secrets.token_hex(16)}"
        with self._lock:
            self._codes[code] = int(eshop_id)
        return code

    def exchange_code(self, code: str) -> tuple[str, Shop] | None:
        """code -> (OAuth access token, shop); one-time codes are used up, sandbox-code-<eshopId> always works."""
        with self._lock:
            eshop = self._codes.pop(code, None)
            if eshop is None and code.startswith("sandbox-code-") and code[13:].isdigit():
                eshop = int(code[13:]) if int(code[13:]) in self.shops else None
            if eshop is None:
                return None
            token = f"sandbox-oauth-{eshop}-{secrets.token_hex(48)}"
            self._oauth[token] = eshop
            return token, self.shops[eshop]

    def mint_access_token(self, oauth_token: str) -> tuple[str, int] | str:
        with self._lock:
            eshop = self._oauth.get(oauth_token)
            if eshop is None:
                return "unauthorized"
            now = time.time()
            valid = [t for t in self._access.values() if t.oauth == oauth_token and not t.expired and t.expires > now]
            if len(valid) >= self.max_tokens:
                return "maximum_tokens_reached"
            token = f"{eshop}-a-{secrets.token_hex(20)}"
            self._access[token] = AccessToken(eshop, oauth_token, now + self.token_ttl)
            return token, self.token_ttl

    def expire_access_tokens(self, eshop_id: int | None = None) -> int:
        with self._lock:
            n = 0
            for t in self._access.values():
                if eshop_id is None or t.eshop_id == eshop_id:
                    t.expired, n = True, n + 1
            return n

    # -- concurrency per token --------------------------------------------------------------------

    def note_inflight(self, token: str) -> None:
        self.peak_inflight[token] = max(self.peak_inflight.get(token, 0), self.inflight.get(token, 0))

    def note_refused_concurrent(self, token: str) -> None:
        self.refused_concurrent[token] = self.refused_concurrent.get(token, 0) + 1

    def concurrency(self, token: str) -> dict[str, int]:
        """For a token: requests in flight now, the most at once so far, and the 429s refused
        because more than max_concurrent were in flight."""
        return {
            "inflight": self.inflight.get(token, 0),
            "peak": self.peak_inflight.get(token, 0),
            "refused": self.refused_concurrent.get(token, 0),
        }

    def reset_concurrency(self) -> None:
        self.peak_inflight.clear()
        self.refused_concurrent.clear()

    # -- detail requests per key ------------------------------------------------------------------

    def count_detail(self, eshop_id: int, entity: str, key: str) -> None:
        """One detail request served (app.py): an order by code, a customer or product by GUID, a
        product by variant code (entity ``variants``)."""
        with self._lock:
            k = (int(eshop_id), entity, key)
            self._detail_counts[k] = self._detail_counts.get(k, 0) + 1

    def detail_requests(self, eshop_id: int, entity: str = "orders") -> dict[str, int]:
        """How often each key's detail was requested (answered, 404s included) since the start or
        ``reset_detail_requests``: {key: requests}. ``entity``: orders, customers, products, variants."""
        with self._lock:
            return {k: n for (e, ent, k), n in self._detail_counts.items() if e == int(eshop_id) and ent == entity}

    def reset_detail_requests(self) -> None:
        with self._lock:
            self._detail_counts.clear()

    # -- faults ---------------------------------------------------------------------------------

    def set_faults(self, **switches: Any) -> dict[str, Any]:
        names = {f.name for f in fields(Faults)}
        unknown = set(switches) - names
        if unknown:
            raise ValueError(f"unknown fault switch(es) {sorted(unknown)}; known: {sorted(names)}")
        if switches.get("job_outcome") not in (None, *JOB_OUTCOMES):
            raise ValueError(f"job_outcome must be one of {JOB_OUTCOMES} or None")
        with self.faults._lock:
            for k, v in switches.items():
                current = getattr(self.faults, k)
                if isinstance(current, bool):
                    v = bool(v)
                elif k in (
                    "rate_limit_burst",
                    "server_errors",
                    "slow_ms",
                    "detail_ms",
                    "truncate_gzip",
                    "expire_tokens",
                    "job_outcome_jobs",
                    "drop_connection",
                    "truncate_tail_bytes",
                    "locked_writes",
                ):
                    v = int(v)
                elif k in ("malformed_fraction", "truncate_fraction"):
                    v = float(v)
                setattr(self.faults, k, v)
        return self.faults.as_dict()

    def reset_faults(self) -> dict[str, Any]:
        self.faults = Faults()
        return self.faults.as_dict()

    # -- data control ---------------------------------------------------------------------------

    def _base_totals(self, shop: Shop) -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            path = self.files.cache_path(shop.eshop_id, self.seed, self.scale, self.anchor, "orders")
            side = path.with_name(path.name + ".totals.json")
            if side.exists():
                return json.loads(side.read_text())
            totals = order_totals(shop, (shop.data.order(i) for i in range(shop.orders.base_count)))
            side.write_text(json.dumps(totals))
            return totals

        return shop.base_order_totals(compute)

    def totals(self, eshop_id: int) -> dict[str, Any]:
        """Counts and sums of what the shop holds now; deleted entities excluded."""
        shop = self.shop(eshop_id)
        return shop.totals(self._base_totals(shop))

    def mutate(self, eshop_id: int, n: int = 10, seed: int = 0) -> dict[str, Any]:
        """n random creates/updates/deletes; change log updated; registered webhooks delivered."""
        shop = self.shop(eshop_id)
        self._base_totals(shop)  # base figures before the overlay changes them (cheap when cached)
        events = shop.mutate(n, seed)
        self._emit(shop.eshop_id, events, shuffle=True)
        return {"eshopId": shop.eshop_id, "events": [{"event": e, "eventInstance": i} for e, i in events]}

    def put(
        self,
        eshop_id: int,
        entity: str,
        documents: list[dict[str, Any]],
        *,
        webhooks: bool = True,
        null_change_time: bool = False,
    ) -> dict[str, Any]:
        """Serve these documents as they are (a data hook for odd-but-valid inputs).

        ``entity`` is orders | customers | products; each document has the shape of the detail
        endpoint's ``data.order`` / ``data.customer`` / product ``data``. A new key (order code, GUID
        in any case) creates, a known one replaces. The change log records each at its changeTime (now
        when null); ``null_change_time`` lists the change with ``"changeTime": null``. Registered
        webhooks (``order:create`` / ``order:update`` ...) are delivered when ``webhooks``.
        """
        if entity not in ("orders", "customers", "products"):
            raise ValueError(f"unknown entity {entity!r}: expected orders, customers or products")
        if not isinstance(documents, list):
            raise ValueError("documents must be a list of objects")
        shop = self.shop(eshop_id)
        self._base_totals(shop)
        events = shop.put(entity, documents, null_change_time=null_change_time)
        if webhooks:
            self._emit(shop.eshop_id, events)
        return {"eshopId": shop.eshop_id, "events": [{"event": e, "eventInstance": i} for e, i in events]}

    def remove(
        self, eshop_id: int, entity: str, keys: list[str], *, webhooks: bool = True, null_change_time: bool = False
    ) -> dict[str, Any]:
        """Delete entities at the source by key: detail 404, a ``delete`` change, ``…:delete`` webhooks."""
        if entity not in ("orders", "customers", "products"):
            raise ValueError(f"unknown entity {entity!r}: expected orders, customers or products")
        shop = self.shop(eshop_id)
        self._base_totals(shop)
        events = shop.remove(entity, [str(k) for k in keys], null_change_time=null_change_time)
        if webhooks:
            self._emit(shop.eshop_id, events)
        return {"eshopId": shop.eshop_id, "events": [{"event": e, "eventInstance": i} for e, i in events]}

    def add_changes(self, eshop_id: int, entity: str, entries: list[Any], *, at: float | None = None) -> int:
        """Add entries to a change list exactly as given (any shape: a blank key, an unknown
        changeType, a key listed twice, a code nothing has), listed among the real changes as if
        made at ``at`` (epoch seconds; now): for ``from`` and their place in the list. Changes
        nothing else. Returns how many raw entries the list has now."""
        if entity not in ("orders", "customers", "products"):
            raise ValueError(f"unknown entity {entity!r}: expected orders, customers or products")
        col = self.shop(eshop_id).collection(entity)
        when = float(at if at is not None else time.time())
        with self._lock:
            col.raw_changes.extend((when, copy.deepcopy(e)) for e in entries)
            col.raw_changes.sort(key=lambda r: r[0])
            return len(col.raw_changes)

    def put_odd_inputs(self, eshop_id: int, *, webhooks: bool = False) -> dict[str, Any]:
        """Place issue 11's odd-but-valid documents (runner/sandbox/odd_inputs.py) in a shop."""
        from runner.sandbox.odd_inputs import odd_customers, odd_orders

        shop = self.shop(eshop_id)
        template_order = next(
            o
            for i in range(shop.orders.base_count)
            if (o := shop.data.order(i)) and any(it["itemType"] == "product" for it in o["items"])
        )
        orders = self.put(eshop_id, "orders", odd_orders(template_order), webhooks=webhooks)
        customers = self.put(eshop_id, "customers", odd_customers(shop.data.customer(0)), webhooks=webhooks)
        return {"eshopId": shop.eshop_id, "events": orders["events"] + customers["events"]}

    def _emit(self, eshop_id: int, events: list[tuple[str, str]], shuffle: bool = False) -> None:
        f = self.faults
        self.deliverer.emit(
            eshop_id,
            events,
            self.signature_key,
            duplicate=f.duplicate_webhooks,
            shuffle_seed=(int(time.time() * 1000) if shuffle and f.out_of_order_webhooks else None),
        )

    def notifications(self, eshop_id: int) -> list[dict[str, Any]]:
        out = []
        for n in self.deliverer.of_shop_notifications(int(eshop_id)):
            d = n.as_json()
            d["lastError"], d["responseStatus"] = n.last_error, n.delivered_status
            out.append(d)
        return out

    def wait_webhooks(self, timeout: float = 10.0) -> bool:
        """Wait until no delivery is queued or in flight; False on timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.deliverer.pending() == 0:
                return True
            time.sleep(0.02)
        return False

    # -- snapshot jobs ----------------------------------------------------------------------------

    def jobs_of(self, eshop_id: int) -> list[Job]:
        with self._lock:
            return [j for j in self.jobs.values() if j.eshop_id == eshop_id]

    def count_download(self, name: str) -> int:
        """One more download of a result file; how many there have been (1 for the first)."""
        with self._lock:
            self.result_downloads[name] = self.result_downloads.get(name, 0) + 1
            return self.result_downloads[name]

    def download_cut(self, name: str) -> str | None:
        """The fault that hits this download of a result file: "truncate" (the body ends early and
        says so), "drop" (the connection closes mid-body) or None."""
        first = self.count_download(name) == 1
        if self.faults.take("drop_connection"):
            return "drop"
        if self.faults.take("truncate_gzip") or (first and self.faults.truncate_first_download):
            return "truncate"
        return None

    def job_by_result(self, name: str) -> Job | None:
        job = self.jobs.get(name.split("-", 1)[0])
        return job if job is not None and job.result_name == name else None

    def job_info(self, job_id: str) -> dict[str, Any]:
        job = self.jobs[job_id]
        info = job.as_json(self._base_url or "")
        info.update(
            lines=job.lines,
            malformedLines=job.malformed_lines[:1000],
            polls=job.polls,
            file=str(job.path) if job.path else None,
        )
        return info

    def start_job(
        self,
        shop: Shop,
        entity: str,
        params: dict[str, str],
        *,
        include: str | None = None,
        language: str | None = None,
    ) -> Job:
        """Start a snapshot job; ``include``: the sections on demand its products carry; ``language``:
        the (non-default) language its products' texts are in (None: the shop's default)."""
        refs = shop.refs(entity, params)  # raises BadRequest before a job exists
        col = shop.collection(entity)
        fraction = self.faults.malformed_fraction
        cacheable = not params and col.version == 0 and not fraction and language is None
        job = Job(
            new_job_id(), shop.eshop_id, entity, ENDPOINTS[entity], time.time(), outcome=self.faults.take_job_outcome()
        )
        job.include = include
        job.language = language or shop.languages.default
        job.translated = language
        with self._lock:
            self.jobs[job.job_id] = job
        t = threading.Thread(
            target=self._run_job,
            args=(job, shop, refs, cacheable, fraction),
            name=f"sandbox-job-{job.job_id}",
            daemon=True,
        )
        self._threads.append(t)
        t.start()
        return job

    def _run_job(self, job: Job, shop: Shop, refs: Refs, cacheable: bool, fraction: float) -> None:
        try:
            time.sleep(self.job_seconds * 0.3)
            job.status = "running"
            if job.outcome in ("failed", "killed"):
                time.sleep(self.job_seconds * 0.7)
                job.status, job.completed = job.outcome, time.time()
                job.log = (
                    "Job failed: internal error while exporting (sandbox fault switch)."
                    if job.outcome == "failed"
                    else "Job was killed (sandbox fault switch)."
                )
            else:
                self._produce(job, shop, refs, cacheable, fraction)
                remaining = job.created + self.job_seconds - time.time()
                if remaining > 0:
                    time.sleep(remaining)
                job.completed = time.time()
                if job.outcome == "expired":
                    job.status, job.log = "expired", "The result has expired (sandbox fault switch)."
                else:
                    job.status = "completed"
        except Exception as exc:  # noqa: BLE001 - a broken job is a failed job, as at Shoptet
            logger.exception("sandbox job %s failed", job.job_id)
            job.status, job.completed, job.log = "failed", time.time(), f"Job failed: {exc}"
        if not self._closed:
            self._emit(job.eshop_id, [("job:finished", job.job_id)])

    def _produce(self, job: Job, shop: Shop, refs: Refs, cacheable: bool, fraction: float) -> None:
        entity = job.entity
        if cacheable:
            sections = "" if entity != "products" else "+" + ",".join(sorted(_sections(job.include)))
            path = self.files.cache_path(shop.eshop_id, self.seed, self.scale, self.anchor, entity + sections)
            with self.files.lock(str(path)):
                if not path.exists():
                    acc = {"orders": 0, "order_items": 0, "total_cents": 0}

                    def count(o: dict[str, Any]) -> None:
                        acc["orders"] += 1
                        acc["order_items"] += len(o["items"])
                        acc["total_cents"] += g.cents(o["price"]["withVat"])

                    lines, _ = write_jsonl_gz(
                        path,
                        self._entities(shop, entity, refs, job.include),
                        entity=entity,
                        seed=self.seed,
                        on_entity=count if entity == "orders" else None,
                    )
                    if entity == "orders":
                        side = path.with_name(path.name + ".totals.json")
                        side.write_text(json.dumps(acc))
                        shop.set_base_totals(acc)
            job.lines = len(refs)
        else:
            path = self.files.jobs_dir / f"{job.job_id}.jsonl.gz"
            job.lines, job.malformed_lines = write_jsonl_gz(
                path,
                self._entities(shop, entity, refs, job.include, job.translated),
                entity=entity,
                seed=self.seed,
                malformed_fraction=fraction,
            )
        job.path = path
        job.result_name = f"{job.job_id}-{secrets.token_hex(4)}.json"

    @staticmethod
    def _entities(
        shop: Shop, entity: str, refs: Refs, include: str | None = None, language: str | None = None
    ) -> Iterator[dict[str, Any]]:
        for i in refs:
            e = shop.entity(entity, i)
            if e is not None:
                yield translated(shop, g.shape_product(e, include), language) if entity == "products" else e

    def wait_job(self, job_id: str, timeout: float = 30.0) -> Job:
        deadline = time.time() + timeout
        job = self.jobs[job_id]
        while job.status in ("pending", "running") and time.time() < deadline:
            time.sleep(0.02)
        return job

    def close(self) -> None:
        self._closed = True
        self.deliverer.stop()
        self.files.cleanup()


def _sections(include: str | None) -> set[str]:
    return {part.strip().lower() for part in (include or "").split(",") if part.strip()}


__all__ = ["SandboxState", "Faults", "DEFAULT_SHOP"]
