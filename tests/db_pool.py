"""Fresh test databases made ahead of need (the ``db`` fixture of tests/conftest.py).

Copying the migrated template (CREATE DATABASE ... TEMPLATE: ~900 relations) and dropping a used
copy cost the server about 0.3-0.5 s each on 2 cores, once per test. A background thread makes the
next copies while a test runs and another drops used ones, so a test waits only when the copies
cannot keep up. Every test still gets a database nobody used before; none is shared.

Copies are named ``hub_test_db_<pid>_<n>`` (POOL_PREFIX): several sessions (xdist workers) can
share a cluster, and tests that compare the set of databases leave these out (they come and go
during a test).
"""

from __future__ import annotations

import os
import queue
import re
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

POOL_PREFIX = "hub_test_db_"


def is_pool_copy(name: str) -> bool:
    """Is database ``name`` one of the pool's copies (of this or another session)?"""
    return re.fullmatch(rf"{POOL_PREFIX}\d+_\d+", name) is not None


class DatabasePool:
    """Copies of ``template`` on the server of ``server`` (a conninfo of a maintenance database,
    superuser): ``take`` one (made ahead, at most ``ahead`` waiting), ``give_back`` it to be dropped."""

    def __init__(self, server: str, template: str, *, ahead: int = 2) -> None:
        self._server = server
        self._template = template
        self._ready: queue.Queue[str] = queue.Queue(maxsize=ahead)
        self._used: queue.Queue[str | None] = queue.Queue()
        self._closing = threading.Event()
        self._error: BaseException | None = None
        self._count = 0
        self._maker = threading.Thread(target=self._guard(self._make), name="test-db-maker", daemon=True)
        self._dropper = threading.Thread(target=self._guard(self._drop), name="test-db-dropper", daemon=True)
        self._maker.start()
        self._dropper.start()

    def _guard(self, work: Callable[[psycopg.Connection], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                with psycopg.connect(self._server, autocommit=True) as conn:
                    work(conn)
            except BaseException as exc:  # handed to the test that waits (take) or to close
                self._error = exc

        return run

    def _make(self, conn: psycopg.Connection) -> None:
        while not self._closing.is_set():
            self._count += 1
            name = f"{POOL_PREFIX}{os.getpid()}_{self._count}"
            conn.execute(
                sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(self._template))
            )
            while True:
                try:
                    self._ready.put(name, timeout=0.2)
                    break
                except queue.Full:
                    if self._closing.is_set():
                        self._used.put(name)
                        return

    def _drop(self, conn: psycopg.Connection) -> None:
        while (name := self._used.get()) is not None:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))

    def take(self) -> str:
        """The name of a fresh copy of the template, never handed out before."""
        while True:
            if self._error is not None:
                raise RuntimeError(f"making test databases failed: {self._error}") from self._error
            try:
                return self._ready.get(timeout=0.5)
            except queue.Empty:
                continue

    def give_back(self, name: str) -> None:
        """``name`` is done with: dropped in the background (connections to it are ended)."""
        self._used.put(name)

    def close(self) -> None:
        """Stop making copies, drop every copy made (waiting or used), end both threads."""
        self._closing.set()
        self._maker.join()
        while True:
            try:
                self._used.put(self._ready.get_nowait())
            except queue.Empty:
                break
        self._used.put(None)
        self._dropper.join()
        if self._error is not None:
            raise RuntimeError(f"test databases: {self._error}") from self._error
