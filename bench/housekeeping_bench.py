"""`hub bench housekeeping`: what housekeeping costs on a big queue, and what it spares the
workers.

In a scratch database (``hub_bench_housekeeping`` on the hub's server, migrated, dropped at the
end) procrastinate's tables are filled as a hub that never pruned them would have them:
``--jobs`` jobs that ended 15-44 days ago (1 % failed: those stay, 90 days) and ``--recent``
jobs ended in the last 14 days (they stay), each with its deferred / started / ended events,
plus ``--webhooks`` processed webhook events 31-60 days old; then VACUUM ANALYZE. Measured:

- a job fetch (procrastinate_fetch_job_v2 of one waiting job, then its finish) on the big tables;
- `hub db housekeeping --dry-run` and the real run (runner.housekeeping.run, batches of
  ``--batch`` rows), with the fetch and a defer timed every 50 ms on another connection while it
  runs (the longest is the longest a worker waited on housekeeping);
- the job fetch again after housekeeping and a VACUUM (what autovacuum does next).
"""

from __future__ import annotations

import os
import threading
import time

import psycopg

from bench.stats import fmt_seconds, record, summary
from runner.config import Config
from runner.db import Target, connect, target_for

SCRATCH = "hub_bench_housekeeping"

FILL = [
    "set session_replication_role = replica",  # procrastinate's triggers off: the events are written here
    """insert into core.shops (shop_id, name, created_at) values (990001, 'bench', now() - interval '1 year')""",
    # old: ended 15..44 days ago, 1 %% failed; recent: ended in the last 14 days
    """insert into procrastinate.procrastinate_jobs (queue_name, task_name, args, status, attempts)
       select (array['webhooks', 'webhooks', 'webhooks', 'orders', 'customers', 'products', 'maintenance'])[1 + i %% 7],
              'task_' || (i %% 12), jsonb_build_object('shop_id', 990001, 'code', i::text),
              (case when i %% 100 = 0 then 'failed' else 'succeeded' end)::procrastinate.procrastinate_job_status,
              case when i %% 100 = 0 then 5 else 1 end
       from generate_series(1, %(jobs)s + %(recent)s) i""",
    """insert into procrastinate.procrastinate_events (job_id, type, at)
       select j.id, e.type::procrastinate.procrastinate_job_event_type,
              case when j.id <= %(jobs)s
                   then now() - interval '44 days' + (j.id::double precision / %(jobs)s) * interval '29 days'
                   else now() - interval '14 days'
                        + ((j.id - %(jobs)s)::double precision / greatest(%(recent)s, 1)) * interval '13 days' end
              + e.offset_s * interval '1 second'
       from procrastinate.procrastinate_jobs j
       cross join (values ('deferred', 0), ('started', 1), ('succeeded', 3), ('failed', 3)) as e(type, offset_s)
       where case j.status when 'failed' then e.type <> 'succeeded' else e.type <> 'failed' end""",
    """insert into ingest.webhook_events (shop_id, event, event_instance, event_created, received_at, status,
                                          processed_at)
       select 990001, 'order:update', i::text, now() - interval '60 days' + i * interval '1 second',
              now() - interval '60 days' + (i::double precision / %(webhooks)s) * interval '29 days', 'done',
              now() - interval '60 days' + (i::double precision / %(webhooks)s) * interval '29 days'
       from generate_series(1, %(webhooks)s) i""",
    "reset session_replication_role",
    "vacuum analyze",
]

COUNTS = """select (select count(*) from procrastinate.procrastinate_jobs),
                   (select count(*) from procrastinate.procrastinate_events),
                   (select count(*) from ingest.webhook_events)"""

SIZE = """select pg_size_pretty(pg_total_relation_size('procrastinate.procrastinate_jobs')
                                + pg_total_relation_size('procrastinate.procrastinate_events'))"""

DEFER = """select procrastinate_defer_jobs_v1(array[row('bench', 'bench_task', 0, null, null, '{}'::jsonb, null)
           ::procrastinate_job_to_defer_v1])"""
FETCH = "select id from procrastinate_fetch_job_v2(array['bench'], %(worker)s)"
FINISH = "select procrastinate_finish_job_v1(%(id)s, 'succeeded', false)"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def _queue_conn(target: Target) -> tuple[psycopg.Connection, int]:
    conn = connect(target, "app", autocommit=True, options="-c search_path=procrastinate,public")
    row = conn.execute("select procrastinate_register_worker_v1()").fetchone()
    assert row is not None
    return conn, int(row[0])


def _defer_fetch_finish(conn: psycopg.Connection, worker: int) -> tuple[float, float]:
    """Seconds of one defer, and of one fetch plus finish, as a worker does them."""
    started = time.perf_counter()
    conn.execute(DEFER)
    deferred = time.perf_counter()
    row = conn.execute(FETCH, {"worker": worker}).fetchone()
    assert row is not None and row[0] is not None
    conn.execute(FINISH, {"id": row[0]})
    return deferred - started, time.perf_counter() - deferred


def _fetch_samples(target: Target, n: int) -> dict[str, float]:
    conn, worker = _queue_conn(target)
    with conn:
        return summary([_defer_fetch_finish(conn, worker)[1] for _ in range(n)])


def run(
    cfg: Config,
    *,
    jobs: int = 1_000_000,
    recent: int = 100_000,
    webhooks: int = 200_000,
    batch: int = 5000,
    record_results: bool = True,
) -> int:
    from psycopg import sql

    from runner import housekeeping
    from runner.migrate import migrate

    server = target_for(cfg)
    target = server.with_dbname(SCRATCH)
    drop = sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(SCRATCH))
    with connect(server, "admin", autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(SCRATCH)))
    load_start = _load()
    try:
        migrate(target)
        with connect(target, "admin", autocommit=True) as conn:
            started = time.perf_counter()
            for statement in FILL:
                conn.execute(statement, {"jobs": jobs, "recent": recent, "webhooks": webhooks})
            fill = time.perf_counter() - started
            before = conn.execute(COUNTS).fetchone()
            size_before = conn.execute(SIZE).fetchone()
            conn.execute("select core.setting_set('housekeeping.batch_rows', to_jsonb(%(b)s::integer))", {"b": batch})
        fetch_before = _fetch_samples(target, 200)
        with connect(target, "app", autocommit=True) as conn:
            dry = housekeeping.run(conn, dry_run=True)
        # the real run, with a worker deferring and fetching every 50 ms beside it
        waits: list[tuple[float, float]] = []
        stop = threading.Event()

        def worker() -> None:
            qconn, worker_id = _queue_conn(target)
            with qconn:
                while not stop.is_set():
                    waits.append(_defer_fetch_finish(qconn, worker_id))
                    stop.wait(0.05)

        beside = threading.Thread(target=worker, name="bench-worker")
        beside.start()
        try:
            with connect(target, "app", autocommit=True) as conn:
                real = housekeeping.run(conn)
        finally:
            stop.set()
            beside.join()
        with connect(target, "admin", autocommit=True) as conn:
            after = conn.execute(COUNTS).fetchone()
            started = time.perf_counter()
            conn.execute("vacuum analyze procrastinate.procrastinate_jobs, procrastinate.procrastinate_events")
            vacuum = time.perf_counter() - started
            size_after = conn.execute(SIZE).fetchone()
        fetch_after = _fetch_samples(target, 200)
    finally:
        with connect(server, "admin", autocommit=True) as conn:
            conn.execute(drop)
    assert before and after and size_before and size_after
    defer_s = summary([w[0] for w in waits])
    fetch_s = summary([w[1] for w in waits])
    gone = real.removed.get("procrastinate_jobs", 0)
    lines = [
        f"Scratch database, filled in {fill:.1f} s; {_load()} at the end ({load_start} at the start).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| before: jobs / events / webhook events | {before[0]:,} / {before[1]:,} / {before[2]:,} "
        f"({size_before[0]} jobs + events) |",
        f"| job fetch + finish on the big tables, p50 / p95 | {fmt_seconds(fetch_before['p50'])} / "
        f"{fmt_seconds(fetch_before['p95'])} |",
        f"| `hub db housekeeping --dry-run` | {dry.seconds:.2f} s (would remove {dry.total:,} rows) |",
        f"| housekeeping, batches of {batch:,} | {real.seconds:.2f} s, {real.batches} batches, "
        f"{gone / max(real.seconds, 1e-9):,.0f} jobs/s |",
        f"| removed: jobs / their events / webhook events | {gone:,} / "
        f"{real.removed.get('procrastinate_events', 0):,} / {real.removed.get('ingest.webhook_events', 0):,} |",
        f"| a worker beside it ({len(waits)} rounds): defer p50 / max | {fmt_seconds(defer_s['p50'])} / "
        f"{fmt_seconds(max(w[0] for w in waits) if waits else 0.0)} |",
        f"| a worker beside it: fetch + finish p50 / max | {fmt_seconds(fetch_s['p50'])} / "
        f"{fmt_seconds(max(w[1] for w in waits) if waits else 0.0)} |",
        f"| after: jobs / events / webhook events | {after[0]:,} / {after[1]:,} / {after[2]:,} "
        f"({size_after[0]} after VACUUM, {vacuum:.1f} s; the files shrink only with VACUUM FULL) |",
        f"| job fetch + finish after, p50 / p95 | {fmt_seconds(fetch_after['p50'])} / "
        f"{fmt_seconds(fetch_after['p95'])} |",
    ]
    print("\n".join(lines))
    if record_results:
        record(
            "Housekeeping on a big queue",
            f"hub bench housekeeping --jobs {jobs} --recent {recent} --webhooks {webhooks} --batch {batch}",
            lines,
        )
    return 0
