"""`hub bench monitoring`: what watching the hub costs -- one /metrics scrape (ops.metrics()), a
`hub status` read, and the telemetry a process pays per Shoptet API call.

In a scratch database (``hub_bench_monitoring`` on the hub's server, migrated, dropped at the
end) the monitored tables are filled at a busy hub's shape: ``--jobs`` ended procrastinate jobs
with their events (housekeeping keeps 14 days of them; 1 % failed, a few waiting), ``--shops``
shops with per-minute API figures for ``--days`` days, sync cursors, 50 snapshot jobs per shop
and entity, and a warning a minute in ops.events; then VACUUM ANALYZE (what autovacuum does on
a live hub). ops.metrics() and every query of `hub status` are timed ``--samples`` times each
(p50/p95) as hub_app. The telemetry part times Telemetry.api_call (the client's cost per
request) and one flush of 10,000 calls on its own connection.
"""

from __future__ import annotations

import time

from bench.stats import fmt_seconds, record, summary
from runner.config import Config
from runner.db import Target, connect, target_for

BENCH_SHOP = 990_000  # bench shops are 990001..
SCRATCH = "hub_bench_monitoring"

FILL = [
    "set session_replication_role = replica",  # procrastinate's triggers: events are written here
    """insert into core.shops (shop_id, name, created_at)
       select 990000 + s, 'bench ' || s, now() - interval '1 year' from generate_series(1, %(shops)s) s""",
    """insert into procrastinate.procrastinate_jobs (queue_name, task_name, args, status, attempts)
       select (array['webhooks', 'webhooks', 'webhooks', 'orders', 'customers', 'products', 'maintenance'])[1 + i %% 7],
              'task_' || (i %% 12), jsonb_build_object('shop_id', 990001 + i %% %(shops)s, 'code', i::text),
              (case when i %% 100 = 0 then 'failed' when i %% 997 = 0 then 'todo' else 'succeeded' end)
                  ::procrastinate.procrastinate_job_status,
              case when i %% 100 = 0 then 5 else 0 end
       from generate_series(1, %(jobs)s) i""",
    """insert into procrastinate.procrastinate_events (job_id, type, at)
       select j.id, e.type::procrastinate.procrastinate_job_event_type,
              now() - (j.id %% (14 * 86400)) * interval '1 second' + e.offset_s * interval '1 second'
       from procrastinate.procrastinate_jobs j
       cross join (values ('deferred', 0), ('started', 1), ('succeeded', 3), ('failed', 3)) as e(type, offset_s)
       where case j.status when 'todo' then e.type = 'deferred'
                           when 'failed' then e.type <> 'succeeded'
                           else e.type <> 'failed' end""",
    """insert into ops.api_calls (shop_id, minute, status, calls, seconds_sum, seconds_max, bucket_counts)
       select 990000 + s, date_trunc('minute', now()) - m * interval '1 minute', st, 40, 40 * 0.18, 1.2,
              array[2, 8, 20, 6, 3, 1, 0, 0, 0, 0, 0]::bigint[]
       from generate_series(1, %(shops)s) s, generate_series(0, %(days)s * 1440 - 1) m, unnest(array[200, 429]) st""",
    """insert into ops.api_call_totals (shop_id, status, calls, seconds_sum, bucket_counts)
       select shop_id, status, sum(calls), sum(seconds_sum), array[2, 8, 20, 6, 3, 1, 0, 0, 0, 0, 0]::bigint[]
       from ops.api_calls where shop_id > 990000 group by 1, 2""",
    """insert into ops.job_run_totals (queue_name, task_name, status, runs, seconds_sum, bucket_counts)
       select q, 'task_' || t, st, 1000, 1500, array[100, 200, 300, 200, 100, 50, 30, 15, 5, 0, 0]::bigint[]
       from unnest(array['webhooks', 'orders', 'customers', 'products', 'snapshots', 'analytics', 'maintenance']) q,
            generate_series(0, 11) t, unnest(array['succeeded', 'failed', 'retried']) st
       on conflict do nothing""",
    """insert into ingest.sync_cursors (shop_id, entity, cursor_at, last_run_at)
       select 990000 + s, e, now() - interval '3 minutes', now()
       from generate_series(1, %(shops)s) s, unnest(array['orders', 'customers', 'products']) e""",
    """insert into ingest.snapshot_jobs (shop_id, entity, status, processed_count, total_count, requested_at,
                                        started_at, finished_at, updated_at)
       select 990000 + s, e, 'completed', 1000, 1000, now() - n * interval '1 day', now() - n * interval '1 day',
              now() - n * interval '1 day' + interval '5 minutes', now() - n * interval '1 day' + interval '5 minutes'
       from generate_series(1, %(shops)s) s, unnest(array['orders', 'customers', 'products']) e,
            generate_series(0, 49) n""",
    """insert into ops.events (at, level, source, shop_id, message, context)
       select now() - m * interval '1 minute', 'warning', 'hub.shoptet', 990001 + m %% %(shops)s,
              'retrying Shoptet request', jsonb_build_object('process', 'worker', 'reason', '429 rate limited')
       from generate_series(0, %(days)s * 1440 - 1) m""",
    "reset session_replication_role",
]


def _time(conn: object, sql: str, samples: int) -> dict[str, float]:
    times: list[float] = []
    for _ in range(samples):
        started = time.perf_counter()
        conn.execute(sql).fetchall()  # type: ignore[attr-defined]
        times.append(time.perf_counter() - started)
    return summary(times)


def _telemetry(target: Target) -> tuple[float, float]:
    """Seconds per Telemetry.api_call, and one flush of 10,000 calls (its rows removed after)."""
    from runner import telemetry

    bench = telemetry.Telemetry(target.app, process="bench", interval=3600)
    n = 100_000
    started = time.perf_counter()
    for i in range(n):
        bench.api_call(BENCH_SHOP + 1 + i % 3, 200, 0.05)
    per_call = (time.perf_counter() - started) / n
    bench = telemetry.Telemetry(target.app, process="bench", interval=3600)
    for i in range(10_000):
        bench.api_call(BENCH_SHOP + 1 + i % 3, 200 if i % 50 else 429, 0.01 * (i % 100))
    started = time.perf_counter()
    if not bench.flush():
        raise RuntimeError("the telemetry flush failed (see the warning above)")
    flush = time.perf_counter() - started
    return per_call, flush


def run(
    cfg: Config, *, jobs: int = 200_000, shops: int = 10, days: int = 7, samples: int = 30, record_results: bool = True
) -> int:
    from psycopg import sql

    from runner.migrate import migrate
    from runner.status import _queries

    server = target_for(cfg)
    target = server.with_dbname(SCRATCH)
    drop = sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(SCRATCH))
    with connect(server, "admin", autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(SCRATCH)))
    try:
        migrate(target)
        params = {"jobs": jobs, "shops": shops, "days": days}
        lines = ["| measure | value |", "|---|---|"]
        with connect(target, "admin", autocommit=True) as conn:
            started = time.perf_counter()
            for statement in FILL:
                conn.execute(statement, params)
            conn.execute("vacuum analyze")
            fill = time.perf_counter() - started
            counts = conn.execute(
                "select (select count(*) from procrastinate.procrastinate_jobs), "
                "(select count(*) from procrastinate.procrastinate_events), (select count(*) from ops.api_calls), "
                "(select count(*) from ops.events)"
            ).fetchone()
            assert counts is not None
        with connect(target, "app", autocommit=True) as conn:
            metrics = _time(conn, "select * from ops.metrics()", samples)
            per_query = {name: _time(conn, text, max(3, samples // 3)) for name, text in _queries().items()}
        per_call, flush = _telemetry(target)
    finally:
        with connect(server, "admin", autocommit=True) as conn:
            conn.execute(drop)
    status_p50 = sum(s["p50"] for s in per_query.values())
    slowest = max(per_query.items(), key=lambda kv: kv[1]["p50"])
    lines += [
        f"| rows: procrastinate jobs / events / ops.api_calls / ops.events | {counts[0]:,} / {counts[1]:,} / "
        f"{counts[2]:,} / {counts[3]:,} (filled and vacuumed in {fill:.1f} s) |",
        f"| ops.metrics() (one /metrics scrape), p50 / p95 | {fmt_seconds(metrics['p50'])} / "
        f"{fmt_seconds(metrics['p95'])} |",
        f"| `hub status` queries, sum of p50 | {fmt_seconds(status_p50)} |",
        f"| slowest `hub status` query, p50 | {slowest[0]}: {fmt_seconds(slowest[1]['p50'])} |",
        f"| Telemetry.api_call (per Shoptet request) | {fmt_seconds(per_call)} |",
        f"| one telemetry flush of 10,000 API calls | {fmt_seconds(flush)} |",
    ]
    print("\n".join(lines))
    if record_results:
        record(
            "Monitoring cost",
            f"hub bench monitoring --jobs {jobs} --shops {shops} --days {days} --samples {samples}",
            lines,
        )
    return 0
