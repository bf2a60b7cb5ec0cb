"""GET /metrics of the web app: the hub's figures in the Prometheus text format.

Every value lives in the database and is read at scrape time with ONE call, ``ops.metrics()``
(db/functions/ops/metrics.sql: which samples, from which views), so every web process -- and
every `hub serve --workers N` process -- reports the same numbers. The rendered text is kept for
``CACHE_SECONDS``: scrapes in between (several Prometheus servers, a dashboard) cost nothing,
and concurrent ones share one query. Per-process figures (Python GC, memory) are left out on
purpose: they would differ from one process to the next behind one port.

``shoptet_hub_database_up`` is 1 when the query answered, else 0 and nothing else is exposed
(the scrape itself still succeeds, so the alert says "database" rather than "target down").
The format is written by the ``prometheus_client`` library; ``FAMILIES`` names every family with
its type and help text (a family the SQL returns that is not named here is a programming error,
logged and left out).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

from runner.logs import log

logger = logging.getLogger("hub.metrics")

CACHE_SECONDS = 5.0
# the classic text format, what prometheus_client itself serves to a scraper that asks for no other
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
UP = "shoptet_hub_database_up"

# family -> (type, help). Counters' samples end in _total, histograms' in _bucket/_sum/_count.
FAMILIES: dict[str, tuple[str, str]] = {
    UP: ("gauge", "1 when the database answered the metrics query, else 0 (and no other family is exposed)"),
    "shoptet_hub_queue_jobs": ("gauge", "procrastinate jobs per queue and status (todo, doing, failed)"),
    "shoptet_hub_queue_oldest_job_age_seconds": (
        "gauge",
        "Seconds the oldest due todo job of the queue has waited (0 when none waits)",
    ),
    "shoptet_hub_queue_stuck_jobs": ("gauge", "Jobs doing longer than their queue's stuck_after (ops.queue_timeouts)"),
    "shoptet_hub_workers": ("gauge", "procrastinate workers by state: alive (heartbeat within 60 s) or silent"),
    "shoptet_hub_job_runs": ("counter", "Job runs by queue and outcome: succeeded, failed, retried, aborted"),
    "shoptet_hub_job_failures": ("counter", "Job runs that ended their job failed (retries used up), per queue"),
    "shoptet_hub_job_duration_seconds": ("histogram", "Duration of job runs per queue, seconds"),
    "shoptet_hub_webhook_deliveries": (
        "counter",
        "Webhook deliveries by outcome: accepted, duplicate, unavailable (503), or the reason they were refused",
    ),
    "shoptet_hub_shoptet_api_requests": (
        "counter",
        "Shoptet API requests (every HTTP attempt) per shop and HTTP status; status 0: no answer",
    ),
    "shoptet_hub_shoptet_api_request_duration_seconds": (
        "histogram",
        "Duration of Shoptet API requests per shop, seconds",
    ),
    "shoptet_hub_snapshot_jobs": (
        "gauge",
        "Snapshot imports not ended, by status: requested, waiting, importing, retrying",
    ),
    "shoptet_hub_snapshot_progress_ratio": ("gauge", "Progress of the shop's newest active snapshot import, 0..1"),
    "shoptet_hub_sync_lag_seconds": ("gauge", "Seconds the incremental sync of an active shop's entity is behind"),
    "shoptet_hub_sync_interval_seconds": ("gauge", "The schedule's interval between two syncs of an entity, seconds"),
    "shoptet_hub_backup_last_success_timestamp_seconds": (
        "gauge",
        "Unix time the last completed backup finished (0: none)",
    ),
    "shoptet_hub_backup_last_verified_timestamp_seconds": (
        "gauge",
        "Unix time the last completed and verified backup finished (0: none)",
    ),
    "shoptet_hub_default_partition_rows": ("gauge", "Rows in a default partition (should be 0)"),
    "shoptet_hub_attention_items": ("gauge", "Problems `hub status` reports, per check (ops.attention)"),
}

Sample = tuple[str, str, dict[str, Any], float]
"""One row of ops.metrics(): family, sample name, labels, value."""


def families(rows: Iterable[Sample], *, up: bool) -> list[Metric]:
    """The metric families of ``rows`` (plus the up gauge), in FAMILIES order."""
    found: dict[str, Metric] = {}
    up_metric = Metric(UP, FAMILIES[UP][1], "gauge")
    up_metric.add_sample(UP, {}, 1.0 if up else 0.0)
    found[UP] = up_metric
    for family, sample, labels, value in rows:
        known = FAMILIES.get(family)
        if known is None:
            log(logger, logging.ERROR, "ops.metrics() returned a family runner/metrics.py does not name", family=family)
            continue
        metric = found.get(family)
        if metric is None:
            metric = found[family] = Metric(family, known[1], known[0])
        text = {str(k): str(v) for k, v in labels.items()}
        if "le" in text:
            text["le"] = floatToGoString(float(text["le"]))
        metric.add_sample(sample, text, float(value))
    return [found[name] for name in FAMILIES if name in found]


class _Fixed(Collector):
    def __init__(self, metrics: Sequence[Metric]):
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield from self.metrics


def render(rows: Iterable[Sample] | None) -> bytes:
    """The text format of the samples (None: the database did not answer)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Fixed(families(rows or (), up=rows is not None)))
    return generate_latest(registry)


class MetricsCache:
    """The rendered text, refreshed at most every ``ttl`` seconds; one query for concurrent scrapes."""

    def __init__(self, ttl: float = CACHE_SECONDS):
        self.ttl = ttl
        self._text: bytes | None = None
        self._at = 0.0
        self._lock = asyncio.Lock()

    async def text(self, pool: Any) -> bytes:
        """``pool``: a psycopg AsyncConnectionPool of the hub database."""
        if self._text is not None and time.monotonic() - self._at < self.ttl:
            return self._text
        async with self._lock:
            if self._text is not None and time.monotonic() - self._at < self.ttl:
                return self._text
            self._text = render(await self._read(pool))
            self._at = time.monotonic()
            return self._text

    async def _read(self, pool: Any) -> list[Sample] | None:
        import psycopg

        from runner.errors import summarize
        from runner.queries import query

        try:
            async with pool.connection(timeout=3.0) as conn:
                cur = await conn.execute(query("metrics.samples"))
                return [(str(f), str(s), dict(labels), float(v)) for f, s, labels, v in await cur.fetchall()]
        except (psycopg.Error, TimeoutError) as exc:
            log(logger, logging.WARNING, "metrics not read", error=summarize(exc, one_line=True, label=False))
            return None
