"""The write lock of a shop's entity: a drain of its webhook keys and a sync batch never overlap.

A drain (runner/shoptet/drain.py) and a sync (runner/shoptet/sync.py) both fetch details and then
write them. Were they to interleave, a document fetched before a change could be written after a
newer one (the apply functions refuse an older changeTime, but a soft-delete written between a
fetch and its write would be undone). So each holds the shop's entity write lock from before its
fetches until its transaction has committed: a sync for each batch of 50 and for a snapshot
fallback, a snapshot import job for its run, a drain for its run -- except that a drain lets the
lock go between two batches when someone else waits for it (``wanted``), and takes it back after.

The lock is a session-level advisory lock (``hashtextextended('hub.write:<shop_id>:<entity>',
0)``, runner/sql/drain.sql) taken on the connection that writes, held while no transaction is open
(the HTTP requests in between hold none), and gone with the session when a process dies. Who is
about to wait for it announces so with a shared session lock on ``hub.write_wanted:<shop_id>:
<entity>`` (withdrawn once it has the write lock); a drain sees that when it cannot take that lock
exclusively. A snapshot import, which holds the write lock for minutes, also holds
``hub.write_long:<shop_id>:<entity>`` shared (``long``): a drain that sees it does not wait for the
write lock but comes back later (runner/shoptet/drain.py), so that it does not keep a worker busy
waiting. This lock is what `hub sync` run by hand, sync and import jobs and the drains agree on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from runner.queries import query


@contextmanager
def committed(conn: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """One unit of work on an autocommit-off connection: commit at the end, roll back on error."""
    try:
        yield conn
    except BaseException:
        conn.rollback()
        raise
    conn.commit()


def take(
    conn: psycopg.Connection, shop_id: int, entity: str, *, wait: float | None = None, announce: bool = False
) -> bool:
    """Take the write lock on ``conn`` (autocommit off, no transaction open); False when ``wait``
    seconds went by first (None: wait as long as it takes). ``announce``: a drain holding the lock
    lets it go after its batch (sync batches and imports announce; drains do not)."""
    params = {"shop_id": shop_id, "entity": entity}
    if announce:
        with committed(conn):
            conn.execute(query("drain.write_wanted_announce"), params)
    try:
        with committed(conn):
            if wait is not None:
                conn.execute(query("drain.lock_timeout"), {"timeout": f"{max(1, round(wait * 1000))}ms"})
            conn.execute(query("drain.write_lock"), params)
    except psycopg.errors.LockNotAvailable:
        return False
    finally:
        if announce:
            with committed(conn):
                conn.execute(query("drain.write_wanted_withdraw"), params)
    return True


def wanted(conn: psycopg.Connection, shop_id: int, entity: str) -> bool:
    """Whether a sync batch or an import waits for the write lock (or is about to)."""
    with committed(conn):
        row = conn.execute(query("drain.write_wanted"), {"shop_id": shop_id, "entity": entity}).fetchone()
    return bool(row and row[0])


def importing(conn: psycopg.Connection, shop_id: int, entity: str) -> bool:
    """Whether a snapshot import holds the write lock (or waits for it): minutes, not seconds."""
    with committed(conn):
        row = conn.execute(query("drain.write_long"), {"shop_id": shop_id, "entity": entity}).fetchone()
    return bool(row and row[0])


def release(conn: psycopg.Connection, shop_id: int, entity: str) -> None:
    """Give the write lock back; a broken connection has lost it with its session already."""
    try:
        with committed(conn):
            conn.execute(query("drain.write_unlock"), {"shop_id": shop_id, "entity": entity})
    except psycopg.Error:
        pass


@contextmanager
def held(conn: psycopg.Connection, shop_id: int, entity: str, *, long: bool = False) -> Iterator[None]:
    """Hold the write lock for a block (waiting for it as long as it takes; a drain holding it lets
    it go after its current batch). ``long``: a snapshot import (drains do not wait for it)."""
    params = {"shop_id": shop_id, "entity": entity}
    if long:
        with committed(conn):
            conn.execute(query("drain.write_long_begin"), params)
    try:
        take(conn, shop_id, entity, announce=True)
        try:
            yield
        finally:
            release(conn, shop_id, entity)
    finally:
        if long:
            try:
                with committed(conn):
                    conn.execute(query("drain.write_long_end"), params)
            except psycopg.Error:  # a broken connection: its session, and the lock, are gone
                pass
