"""What the hub's processes record about their own work in the database, cheaply and never at
the expense of the work itself.

One ``Telemetry`` per process (``start(conninfo, process=...)``, ``current()``,
``for_database(conninfo)``) buffers observations in memory -- appending to a list under a lock,
a microsecond or so -- and a daemon thread writes them every ``FLUSH_SECONDS`` (and at exit), in
one transaction on a connection opened for the flush:

* Shoptet API calls: the client (runner/shoptet/client.py) reports every HTTP attempt, with its
  status (0: no answer) and duration -> ``ops.record_api_calls`` (per minute and totals);
* procrastinate job runs: the worker's job-outcome log records (runner/logs.py) ->
  ``ops.record_job_runs``;
* webhook deliveries the web app accepted, found duplicate or could not store ->
  ``ops.record_webhook_deliveries``;
* events: every WARNING or ERROR log record of `hub worker` and `hub serve` (runner/logs.py) ->
  ``ops.log_events`` (``ops.events``).

A flush that fails (the database is down, a migration is missing) keeps what it could not write
for the next one, up to ``MAX_BUFFER`` observations of each kind; beyond that the oldest are
dropped, and the number of dropped events is written as an event of its own once the database
answers again. A failure is logged once per streak, by the logger ``hub.telemetry``, whose
records never go to ``ops.events`` (no loop). No call of this module raises into its caller.
"""

from __future__ import annotations

import atexit
import json
import logging
import re
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from runner.connection import open_connection
from runner.errors import summarize
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.telemetry")

FLUSH_SECONDS = 5.0
MAX_BUFFER = 20_000
MAX_EVENTS = 1_000  # events kept between two flushes: a flood of errors must not eat memory
CONNECT_TIMEOUT = 3
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def _json(rows: list[dict[str, Any]]) -> str:
    """JSON for jsonb: any value as text (default=str), NUL characters (jsonb refuses them) as U+FFFD."""
    return _NUL_ESCAPE.sub(r"\1\\ufffd", json.dumps(rows, default=str))


class Telemetry:
    """Buffers of one process's observations and the thread that writes them to ``conninfo``."""

    def __init__(
        self, conninfo: str, *, process: str, interval: float = FLUSH_SECONDS, max_buffer: int = MAX_BUFFER
    ) -> None:
        self.conninfo = conninfo
        self.process = process
        self.interval = interval
        self.max_buffer = max_buffer
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._api: list[tuple[int, int, datetime, float]] = []
        self._jobs: list[tuple[str, str, str, float]] = []
        self._webhooks: Counter[str] = Counter()
        self._events: list[dict[str, Any]] = []
        self._dropped_events = 0
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- observations (any thread; never raise) ---------------------------------------------------

    def api_call(self, shop_id: int, status: int, seconds: float) -> None:
        """One HTTP attempt to the Shoptet API of ``shop_id``: its status (0: no answer) and duration."""
        with self._lock:
            self._api.append((shop_id, status, datetime.now(UTC), seconds))
            if len(self._api) > self.max_buffer:
                del self._api[: len(self._api) - self.max_buffer]

    def job_run(self, queue: str, task: str, status: str, seconds: float) -> None:
        """One run of a procrastinate job: succeeded, failed (for good), retried or aborted."""
        with self._lock:
            self._jobs.append((queue, task, status, seconds))
            if len(self._jobs) > self.max_buffer:
                del self._jobs[: len(self._jobs) - self.max_buffer]

    def webhook(self, outcome: str) -> None:
        """One webhook delivery answered: accepted, duplicate or unavailable."""
        with self._lock:
            self._webhooks[outcome] += 1

    def event(self, row: dict[str, Any]) -> None:
        """One row for ops.events: at, level, source, shop_id, message, context (runner/logs.py makes it)."""
        with self._lock:
            if len(self._events) >= MAX_EVENTS:
                self._dropped_events += 1
                return
            self._events.append(row)

    # -- writing ----------------------------------------------------------------------------------

    def flush(self) -> bool:
        """Write what is buffered, in one transaction; False (and the data kept) when it failed."""
        with self._flush_lock:
            with self._lock:
                api, self._api = self._api, []
                jobs, self._jobs = self._jobs, []
                webhooks, self._webhooks = self._webhooks, Counter()
                events, self._events = self._events, []
                dropped, self._dropped_events = self._dropped_events, 0
            if dropped:
                events.append(self._dropped_row(dropped))
            if not (api or jobs or webhooks or events):
                return True
            try:
                self._write(api, jobs, webhooks, events)
            except Exception as exc:  # noqa: BLE001 - whatever it is, the caller's work goes on
                self._keep(api, jobs, webhooks, events)
                if not self._failing:
                    self._failing = True
                    log(
                        logger,
                        logging.WARNING,
                        "telemetry not written; kept for the next try",
                        error=summarize(exc, one_line=True, label=False),
                    )
                return False
            if self._failing:
                self._failing = False
                log(logger, logging.INFO, "telemetry written again")
            return True

    def _write(
        self,
        api: list[tuple[int, int, datetime, float]],
        jobs: list[tuple[str, str, str, float]],
        webhooks: Counter[str],
        events: list[dict[str, Any]],
    ) -> None:
        with open_connection(
            self.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT, application_name="hub-telemetry"
        ) as conn:
            with conn.transaction():
                if api:
                    shops, statuses, ats, seconds = zip(*api, strict=True)
                    conn.execute(
                        query("telemetry.record_api_calls"),
                        {
                            "shop_ids": list(shops),
                            "statuses": list(statuses),
                            "at": list(ats),
                            "seconds": list(seconds),
                        },
                    )
                if jobs:
                    queues, tasks, job_statuses, durations = zip(*jobs, strict=True)
                    conn.execute(
                        query("telemetry.record_job_runs"),
                        {
                            "queues": list(queues),
                            "tasks": list(tasks),
                            "statuses": list(job_statuses),
                            "seconds": list(durations),
                        },
                    )
                if webhooks:
                    conn.execute(
                        query("telemetry.record_webhook_deliveries"),
                        {"outcomes": list(webhooks), "counts": list(webhooks.values())},
                    )
                if events:
                    conn.execute(query("telemetry.log_events"), {"events": _json(events)})

    def _keep(
        self,
        api: list[tuple[int, int, datetime, float]],
        jobs: list[tuple[str, str, str, float]],
        webhooks: Counter[str],
        events: list[dict[str, Any]],
    ) -> None:
        """Put back what a failed flush took, before anything newer, within the limits."""
        with self._lock:
            self._api = (api + self._api)[-self.max_buffer :]
            self._jobs = (jobs + self._jobs)[-self.max_buffer :]
            self._webhooks.update(webhooks)
            kept = (events + self._events)[-MAX_EVENTS:]
            self._dropped_events += len(events) + len(self._events) - len(kept)
            self._events = kept

    def _dropped_row(self, dropped: int) -> dict[str, Any]:
        return {
            "at": datetime.now(UTC).isoformat(),
            "level": "warning",
            "source": logger.name,
            "shop_id": None,
            "message": f"{dropped} log event(s) were dropped: more than {MAX_EVENTS} between two writes",
            "context": {"dropped": dropped, "process": self.process},
        }

    # -- the thread -------------------------------------------------------------------------------

    def start(self) -> Telemetry:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hub-telemetry", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def close(self) -> None:
        """Stop the thread and write what is left (one try)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.interval + CONNECT_TIMEOUT)
        self.flush()


# -- the process's telemetry ------------------------------------------------------------------------

_current: Telemetry | None = None
_current_lock = threading.Lock()


def start(conninfo: str, *, process: str, interval: float = FLUSH_SECONDS) -> Telemetry:
    """The process's telemetry writing to ``conninfo`` (started now, or the running one when it
    writes there already; one writing elsewhere is closed first). Written at exit too."""
    global _current
    with _current_lock:
        old = _current
        if old is not None and old.conninfo == conninfo:
            return old
        _current = Telemetry(conninfo, process=process, interval=interval).start()
    if old is not None:
        old.close()
    return _current


def for_database(conninfo: str, *, process: str = "cli") -> Telemetry:
    """The telemetry of this process for ``conninfo`` (see ``start``): what API clients use."""
    current_one = _current
    if current_one is not None and current_one.conninfo == conninfo:
        return current_one
    return start(conninfo, process=process)


def current() -> Telemetry | None:
    return _current


def stop() -> None:
    """Close the process's telemetry (its last data written)."""
    global _current
    with _current_lock:
        old, _current = _current, None
    if old is not None:
        old.close()


atexit.register(stop)
