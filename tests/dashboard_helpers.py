"""What the dashboard tests share: a failed snapshot job with bad lines, a failed procrastinate
job, signing in through the login form, and the paths every page has (docs/dashboard.md)."""

from __future__ import annotations

import re
from typing import Any

import psycopg

PAGES = ("/", "/shops", "/snapshots", "/queues", "/database", "/customers", "/segments", "/inventory")
PASSWORD = "correct horse battery"


def set_password(conninfo: str, secret_key: str, password: str = PASSWORD) -> None:
    from runner.dashboard.passwords import set_password as store
    from runner.settings import Settings

    with Settings(conninfo, secret_key=secret_key, listen=False) as settings:
        store(settings, password)


def failed_snapshot_job(conn: psycopg.Connection, shop_id: int, *, bad_lines: int = 3) -> int:
    """A snapshot job as the hub leaves one that failed for good (retries used up), with bad lines."""
    row = conn.execute(
        """
        insert into ingest.snapshot_jobs (shop_id, entity, status, retry_count, max_retries, processed_count,
                                          failed_count, total_count, total_is_estimate, progress_percentage,
                                          started_at, finished_at, last_attempt_at, last_error)
        values (%(shop)s, 'orders', 'failed', 3, 3, 120, %(bad)s, 400, false, 30, now() - interval '1 hour',
                now() - interval '50 minutes', now() - interval '1 hour', 'the snapshot file ended early (test)')
        returning id
        """,
        {"shop": shop_id, "bad": bad_lines},
    ).fetchone()
    assert row is not None
    conn.execute(
        """
        insert into ingest.snapshot_failures (shop_id, job_id, line_no, error, raw_line)
        select %(shop)s, %(job)s, g * 10, 'line ' || g * 10 || ': field code is missing',
               '{"order": {"n": ' || g || '}}'
        from generate_series(1, %(bad)s) g
        """,
        {"shop": shop_id, "job": row[0], "bad": bad_lines},
    )
    return int(row[0])


def failed_procrastinate_job(conn: psycopg.Connection, shop_id: int) -> int:
    """A procrastinate job that ended failed, as a worker leaves it."""
    conn.execute("set search_path = procrastinate, public")
    row = conn.execute(
        """
        select (procrastinate_defer_jobs_v1(array[row(
            'orders', 'sync_entity', 0, null, null,
            jsonb_build_object('shop_id', %(shop)s::bigint, 'entity', 'orders'), null
        )::procrastinate_job_to_defer_v1]))[1]
        """,
        {"shop": shop_id},
    ).fetchone()
    assert row is not None
    conn.execute("update procrastinate_jobs set status = 'doing', attempts = 1 where id = %s", (row[0],))
    conn.execute("update procrastinate_jobs set status = 'failed' where id = %s", (row[0],))
    conn.execute("reset search_path")
    return int(row[0])


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: Any, password: str = PASSWORD) -> None:
    """Log in through /login as a browser would (TestClient keeps the cookie)."""
    form = client.get("/login", headers={"accept": "text/html"})
    assert form.status_code == 200, form.text
    r = client.post(
        "/login",
        data={"csrf": csrf_of(form.text), "password": password, "next": "/"},
        headers={"accept": "text/html"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
