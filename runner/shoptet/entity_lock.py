"""The write lock of a shop's entity: a drain of its webhook keys and a sync batch never overlap.

A drain (runner/shoptet/drain.py) and a sync (runner/shoptet/sync.py) both fetch details and then
write them. Were they to interleave, a document fetched before a change could be written after a
newer one (the apply functions refuse an older changeTime, but a soft-delete written between a
fetch and its write would be undone). So each holds the shop's entity write lock from before its
fetches until its transaction has committed: a drain for its whole run, a sync for each batch of
50 and for a snapshot fallback. It is a session-level advisory lock
(``hashtextextended('hub.write:<shop_id>:<entity>', 0)``, runner/sql/drain.sql) taken on the
connection that writes, held while no transaction is open (the HTTP requests in between hold
none), and gone with the session when a process dies. Jobs of a shop's entity already take turns
under procrastinate's lock ``shop:<id>:<entity>``; this lock is what `hub sync` run by hand and a
worker's drain agree on.
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


def take(conn: psycopg.Connection, shop_id: int, entity: str, *, wait: float | None = None) -> bool:
    """Take the write lock on ``conn`` (autocommit off, no transaction open); False when ``wait``
    seconds went by first (None: wait as long as it takes)."""
    params = {"shop_id": shop_id, "entity": entity}
    try:
        with committed(conn):
            if wait is not None:
                conn.execute(query("drain.lock_timeout"), {"timeout": f"{max(1, round(wait * 1000))}ms"})
            conn.execute(query("drain.write_lock"), params)
    except psycopg.errors.LockNotAvailable:
        return False
    return True


def release(conn: psycopg.Connection, shop_id: int, entity: str) -> None:
    """Give the write lock back; a broken connection has lost it with its session already."""
    try:
        with committed(conn):
            conn.execute(query("drain.write_unlock"), {"shop_id": shop_id, "entity": entity})
    except psycopg.Error:
        pass


@contextmanager
def held(conn: psycopg.Connection, shop_id: int, entity: str) -> Iterator[None]:
    """Hold the write lock for a block (waiting for it as long as it takes)."""
    take(conn, shop_id, entity)
    try:
        yield
    finally:
        release(conn, shop_id, entity)
