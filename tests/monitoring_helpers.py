"""What the monitoring tests set up in a test database, the way the hub itself leaves it: jobs in
procrastinate's tables, backups in ops.backups, shops with sync cursors, a row in a default
partition, an error a worker logged."""

from __future__ import annotations

import psycopg
from psycopg.types.json import Jsonb


def procrastinate_session(admin: psycopg.Connection) -> None:
    """procrastinate's triggers use unqualified names: the session needs its schema first."""
    admin.execute("set search_path = procrastinate, public")


def failed_job(
    admin: psycopg.Connection, *, queue: str = "webhooks", task: str = "fetch_order", error: str | None = None
) -> int:
    """A job that ended failed just now; with ``error``, the ERROR event its worker logged."""
    procrastinate_session(admin)
    row = admin.execute(
        "insert into procrastinate_jobs (queue_name, task_name, args, status, attempts) "
        "values (%s, %s, %s, 'failed', 5) returning id",
        (queue, task, Jsonb({"shop_id": 42, "code": "2026000001"})),
    ).fetchone()
    assert row is not None
    job_id = int(row[0])
    admin.execute("insert into procrastinate_events (job_id, type, at) values (%s, 'failed', now())", (job_id,))
    if error is not None:
        admin.execute(
            "select ops.log_event('error', 'procrastinate.worker', %s, %s, 42)",
            (f"Job {task}[{job_id}] ended with status: Error", Jsonb({"job_id": job_id, "error": error})),
        )
    return job_id


def stuck_job(admin: psycopg.Connection, *, queue: str = "webhooks", running: str = "2 hours") -> int:
    """A job doing for ``running`` on a worker that still sends heartbeats (a hung task)."""
    procrastinate_session(admin)
    worker = admin.execute("insert into procrastinate_workers (last_heartbeat) values (now()) returning id").fetchone()
    assert worker is not None
    row = admin.execute(
        "insert into procrastinate_jobs (queue_name, task_name, args, status, worker_id, lock) "
        "values (%s, 'fetch_order', '{}', 'doing', %s, null) returning id",
        (queue, worker[0]),
    ).fetchone()
    assert row is not None
    admin.execute(
        "insert into procrastinate_events (job_id, type, at) values (%s, 'started', now() - %s::interval)",
        (row[0], running),
    )
    return int(row[0])


def backup(
    admin: psycopg.Connection, *, finished_ago: str = "1 hour", verified: bool = True, status: str = "completed"
) -> None:
    """A backup in ops.backups as `hub db backup` records it."""
    admin.execute(
        "insert into ops.backups (started_at, finished_at, status, path, size_bytes, verified, error) "
        "values (now() - %s::interval - interval '1 minute', now() - %s::interval, %s, '/backups/hub-x.dump', "
        "1000, %s, case when %s = 'failed' then 'pg_dump: error: connection lost' end)",
        (finished_ago, finished_ago, status, verified, status),
    )


def synced_shop(admin: psycopg.Connection, shop_id: int = 42, *, orders_behind: str = "1 minute") -> None:
    """An active shop whose three entities were synced recently (orders ``orders_behind`` ago)."""
    admin.execute(
        "insert into core.shops (shop_id, name, created_at) values (%s, 'Shop', now() - interval '30 days') "
        "on conflict do nothing",
        (shop_id,),
    )
    admin.execute(
        "insert into ingest.sync_cursors (shop_id, entity, cursor_at, last_run_at) "
        "select %s, e, now() - case e when 'orders' then %s::interval else interval '10 minutes' end, now() "
        "from unnest(array['orders', 'customers', 'products']) e",
        (shop_id, orders_behind),
    )


def default_partition_row(admin: psycopg.Connection, lines: int = 2) -> None:
    """Order lines dated beyond the partitions made ahead: they land in sales.order_items_default."""
    admin.execute("insert into core.shops (shop_id, name) values (7, 'Seven') on conflict do nothing")
    admin.execute("insert into sales.orders (shop_id, code, created_at) values (7, 'FAR', '2041-05-05 10:00+02')")
    admin.execute(
        "insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type) "
        "select 7, 'FAR', i, '2041-05-05 10:00+02', 'product' from generate_series(1, %s) i",
        (lines,),
    )


def live_worker(admin: psycopg.Connection) -> None:
    procrastinate_session(admin)
    admin.execute("insert into procrastinate_workers (last_heartbeat) values (now())")
