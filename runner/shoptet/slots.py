"""Shoptet's limit of 3 concurrent requests per token, held across every process of the hub.

Shoptet refuses (429) a 4th concurrent connection of one token (../shared/docs/shoptet-api.md,
"Concurrency limits"). A CLI import and the workers of the same shop run in different processes,
so a limit kept in memory is not enough. Each request holds one of three *slots* of its token:
a PostgreSQL session-level advisory lock ``core.api_slot_take(key, held)`` on
hashtextextended('hub.api_slot:<key>:<n>', 0), n = 0..2, taken with pg_try_advisory_lock on a
small dedicated connection of the client and released after the response
(``core.api_slot_release``). A process that dies loses its session and with it its slots, so a
killed worker never keeps a slot. Within a process a semaphore per token comes first, so threads
wait in memory and the database only sees requests that can go out; when all three slots are
taken elsewhere the request polls again after a short pause (20 ms, growing to 200 ms).

A thread that makes a run of requests one after another (a webhook drain's fetch threads) can
hold its slot across them (``ShoptetClient.slot()``: ``hold`` is re-entrant per thread), so the
slot is not given back and taken again between two requests.

Cost per request: two short statements on an open connection (measured in bench/RESULTS.md,
"Shoptet client slots"). Without a database (a client built by hand in tests or scripts) only
the in-process semaphore applies. If the database fails (connection lost, function missing), the
slots die with the session; requests go out under the in-process limit for 30 s, then the client
reconnects (logged once per failure as a warning).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg

from runner.connection import open_connection
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.shoptet")

MAX_CONCURRENT_PER_TOKEN = 3
POLL_FIRST = 0.02
POLL_MAX = 0.2
RETRY_DATABASE_AFTER = 30.0  # seconds in-process only after the database failed us

# one semaphore per token in this process: threads queue in memory before asking the database
_semaphores: dict[str, threading.BoundedSemaphore] = {}
_semaphores_lock = threading.Lock()


def token_semaphore(key: str, size: int = MAX_CONCURRENT_PER_TOKEN) -> threading.BoundedSemaphore:
    """The process-wide semaphore of a token key (created on first use)."""
    with _semaphores_lock:
        sem = _semaphores.get(key)
        if sem is None:
            sem = _semaphores[key] = threading.BoundedSemaphore(size)
        return sem


class TokenSlots:
    """The request slots of one token (``Credentials.key``, never the token itself).

    ``conninfo``: a hub database (any role that can execute core.api_slot_take); None keeps the
    limit in this process only. Thread-safe; ``close()`` releases every slot it holds.
    """

    def __init__(
        self,
        key: str,
        *,
        conninfo: str | None = None,
        size: int = MAX_CONCURRENT_PER_TOKEN,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.key = key
        self.size = size
        self._conninfo = conninfo
        self._sem = token_semaphore(key, size)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self._held: set[int] = set()
        self._mine = threading.local()  # .slot: the slot this thread holds (re-entrant hold)
        self._down_until = 0.0  # monotonic time before which the database is not asked again
        self.waits = 0  # polls that found every slot taken (stats, tests)

    @property
    def shared(self) -> bool:
        """Whether the limit holds across processes (a database is configured)."""
        return self._conninfo is not None

    @contextmanager
    def hold(self) -> Iterator[int | None]:
        """Hold one slot for the duration of a request; yields its number (None: in-process only).
        Re-entrant per thread: inside a ``hold()`` of the same thread (a run of requests, see
        ShoptetClient.slot) the slot already held is used, nothing is taken or given back."""
        if hasattr(self._mine, "slot"):
            held: int | None = self._mine.slot
            yield held
            return
        with self._sem:
            shared = self._conninfo is not None and time.monotonic() >= self._down_until
            slot = self._take() if shared else None
            self._mine.slot = slot
            try:
                yield slot
            finally:
                del self._mine.slot
                if slot is not None:
                    self._release(slot)

    def close(self) -> None:
        with self._lock:
            self._drop_connection()

    # -- the database side -------------------------------------------------------------------

    def _take(self) -> int | None:
        pause = POLL_FIRST
        while True:
            with self._lock:
                try:
                    conn = self._connection()
                    row = conn.execute(
                        query("shoptet.api_slot_take"), {"key": self.key, "held": sorted(self._held), "size": self.size}
                    ).fetchone()
                except psycopg.Error as exc:
                    self._broken("take", exc)
                    return None
                if row is not None and row[0] is not None:
                    slot = int(row[0])
                    self._held.add(slot)
                    return slot
            self.waits += 1
            self._sleep(pause * random.uniform(0.75, 1.25))
            pause = min(POLL_MAX, pause * 2)

    def _release(self, slot: int) -> None:
        with self._lock:
            if slot not in self._held or self._conn is None:
                return  # the session is gone, and its locks with it
            self._held.discard(slot)
            try:
                self._conn.execute(query("shoptet.api_slot_release"), {"key": self.key, "slot": slot})
            except psycopg.Error as exc:
                self._broken("release", exc)

    def _connection(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            assert self._conninfo is not None
            self._held.clear()
            self._conn = open_connection(self._conninfo, autocommit=True, application_name="hub api slots")
        return self._conn

    def _broken(self, what: str, exc: psycopg.Error) -> None:
        log(
            logger,
            logging.WARNING,
            "Shoptet request slots unavailable: requests count in-process only for a while",
            limit_of=self.key,
            step=what,
            seconds=RETRY_DATABASE_AFTER,
            error=str(exc).strip()[:300],
        )
        self._down_until = time.monotonic() + RETRY_DATABASE_AFTER
        self._drop_connection()

    def _drop_connection(self) -> None:
        self._held.clear()  # a closed session releases its advisory locks
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None
