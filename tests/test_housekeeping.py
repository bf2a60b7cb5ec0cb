"""Housekeeping (issue 14 item 6): ops.housekeeping_batch per kind, run in batches by
runner/housekeeping.py (the daily task and `hub db housekeeping`). Rows of each kind are set up
older and younger than their age; exactly the old ones that nothing uses any more must go, and
the run is logged in ops.events with its counts."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from runner import housekeeping, tasks
from runner.cli import main
from runner.db import Target

SHOP = 42


def fill(admin: psycopg.Connection) -> None:
    """procrastinate's triggers are off while rows are written with chosen times (superuser)."""
    admin.execute("set search_path = procrastinate, public")
    admin.execute("set session_replication_role = replica")
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'shop') on conflict do nothing", (SHOP,))


def job(admin: psycopg.Connection, status: str, events: list[tuple[str, float]], task: str = "t") -> int:
    """A procrastinate job in ``status`` with its events (type, days ago)."""
    row = admin.execute(
        "insert into procrastinate_jobs (queue_name, task_name, status) values ('q', %s, %s) returning id",
        (task, status),
    ).fetchone()
    assert row is not None
    for kind, days in events:
        admin.execute(
            "insert into procrastinate_events (job_id, type, at) values (%s, %s, now() - %s * interval '1 day')",
            (row[0], kind, days),
        )
    return int(row[0])


def ended(admin: psycopg.Connection, status: str, days: float, *, event: str | None = None) -> int:
    """A job deferred, started and ended ``days`` ago (its end event is ``event``, default the status)."""
    return job(admin, status, [("deferred", days + 0.01), ("started", days + 0.005), (event or status, days)])


def webhook(admin: psycopg.Connection, instance: str, status: str, days: float, job_ids: tuple[int, ...] = ()) -> int:
    row = admin.execute(
        "insert into ingest.webhook_events (shop_id, event, event_instance, event_created, received_at, status, "
        "job_ids, processed_at) values (%s, 'order:update', %s, now() - %s * interval '1 day', "
        "now() - %s * interval '1 day', %s, %s, case when %s <> 'queued' then now() - %s * interval '1 day' end) "
        "returning event_id",
        (SHOP, instance, days, days, status, list(job_ids), status, days),
    ).fetchone()
    assert row is not None
    return int(row[0])


def left(admin: psycopg.Connection, sql: str) -> set[Any]:
    return {r[0] for r in admin.execute(sql).fetchall()}


def run(app: psycopg.Connection, **kwargs: Any) -> housekeeping.HousekeepingRun:
    return housekeeping.run(app, **kwargs)


def test_old_rows_of_every_kind_go_and_young_or_used_ones_stay(
    admin: psycopg.Connection, app: psycopg.Connection
) -> None:
    fill(admin)
    # procrastinate jobs: ended well 14 days ago go, failed ones after 90, never todo or doing
    gone_jobs = {
        ended(admin, "succeeded", 20),
        ended(admin, "cancelled", 20),
        ended(admin, "aborted", 20),
        ended(admin, "failed", 100),
        job(admin, "failed", [("deferred", 120), ("cancelled", 119)]),  # todo -> failed: a 'cancelled' event
        job(
            admin,
            "succeeded",
            [("deferred", 200), ("started", 200), ("failed", 199), ("retried", 30), ("started", 30), ("succeeded", 29)],
        ),  # failed, retried by hand, then succeeded
    }
    kept_jobs = {
        ended(admin, "succeeded", 10),
        ended(admin, "failed", 20),
        job(admin, "todo", [("deferred", 100)]),
        job(admin, "doing", [("deferred", 100), ("started", 100)]),
        job(admin, "todo", [("deferred", 200), ("started", 200), ("failed", 199), ("retried", 1)]),
        job(
            admin,
            "failed",
            [("deferred", 200), ("started", 200), ("failed", 199), ("retried", 30), ("started", 30), ("failed", 29)],
        ),  # failed again 29 days ago: 90 days from then
    }
    drain_job = ended(admin, "succeeded", 20)  # still named by ingest.webhook_drains
    admin.execute(
        "insert into ingest.webhook_drains (shop_id, entity, job_id) values (%s, 'orders', %s)", (SHOP, drain_job)
    )
    kept_jobs.add(drain_job)
    events_of_gone = admin.execute(
        "select count(*) from procrastinate_events where job_id = any(%s)", (list(gone_jobs),)
    ).fetchone()
    # webhook events: processed ones after 30 days; queued ones nothing works on after 90
    gone_hooks = {
        webhook(admin, "done-40", "done", 40),
        webhook(admin, "ignored-31", "ignored", 31),
        webhook(admin, "queued-100-failed-job", "queued", 100, (ended(admin, "failed", 100),)),
    }
    gone_jobs |= {j for j in left(admin, "select unnest(job_ids) from ingest.webhook_events") if j not in kept_jobs}
    kept_hooks = {
        webhook(admin, "done-10", "done", 10),
        webhook(admin, "queued-10-failed-job", "queued", 10, (ended(admin, "failed", 10),)),
        webhook(admin, "queued-100-job-todo", "queued", 100, (job(admin, "todo", [("deferred", 100)]),)),
        webhook(admin, "queued-100-key-waits", "queued", 100),
        webhook(admin, "done-40-named-by-pending", "done", 40),
    }
    kept_jobs |= left(admin, "select id from procrastinate_jobs where status = 'todo'") | left(
        admin, "select unnest(job_ids) from ingest.webhook_events where event_instance = 'queued-10-failed-job'"
    )
    admin.execute(
        "insert into ingest.webhook_pending (shop_id, entity, key_kind, key, seq, event_ids, failed_at) "
        "select %s, 'orders', 'order', event_instance, 1, array[event_id], "
        "case when event_instance like 'done%%' then now() end "
        "from ingest.webhook_events where event_instance in ('queued-100-key-waits', 'done-40-named-by-pending')",
        (SHOP,),
    )
    # the hub's log, stalled-job records, API call minutes (their totals are never pruned)
    admin.execute(
        "insert into ops.events (at, level, source, message) values "
        "(now() - interval '91 days', 'error', 't', 'old'), (now() - interval '89 days', 'error', 't', 'young')"
    )
    admin.execute(
        "insert into ops.job_recoveries (recovered_at, job_id, task_name, queue_name, attempts, action, reason) "
        "values (now() - interval '91 days', 1, 't', 'q', 1, 'retried', 'old'), "
        "(now() - interval '10 days', 2, 't', 'q', 1, 'retried', 'young')"
    )
    admin.execute(
        "insert into ops.api_calls (shop_id, minute, status, calls, seconds_sum, seconds_max, bucket_counts) values "
        "(%s, date_trunc('minute', now()) - interval '8 days', 200, 5, 1, 0.3, '{5}'), "
        "(%s, date_trunc('minute', now()) - interval '6 days', 200, 7, 1, 0.3, '{7}'), "
        "(%s, date_trunc('minute', now()) - interval '1 minute', 429, 1, 0.1, 0.1, '{1}')",
        (SHOP, SHOP, SHOP),
    )
    admin.execute(
        "insert into ops.api_call_totals (shop_id, status, calls, seconds_sum, bucket_counts) "
        "values (%s, 200, 12, 2, '{12}'), (%s, 429, 1, 0.1, '{1}')",
        (SHOP, SHOP),
    )
    totals_before = admin.execute("select * from ops.api_call_totals order by status").fetchall()

    result = run(app)

    assert left(admin, "select id from procrastinate_jobs") == kept_jobs
    assert left(admin, "select distinct job_id from procrastinate_events") <= kept_jobs
    assert left(admin, "select event_id from ingest.webhook_events") == kept_hooks
    assert left(admin, "select message from ops.events where source <> 'ops.housekeeping'") == {"young"}
    assert left(admin, "select reason from ops.job_recoveries") == {"young"}
    assert left(admin, "select extract(day from now() - minute)::int from ops.api_calls") == {6, 0}
    assert admin.execute("select * from ops.api_call_totals order by status").fetchall() == totals_before
    assert events_of_gone is not None
    removed = {
        "ingest.webhook_events": len(gone_hooks),
        "procrastinate_jobs": len(gone_jobs),
        "procrastinate_events": events_of_gone[0] + 3,  # + the queued-100 event's failed job
        "ops.job_recoveries": 1,
        "ingest.snapshot_failures": 0,
        "ingest.snapshot_jobs": 0,
        "ops.events": 1,
        "ops.api_calls": 1,
    }
    assert result.removed == removed
    # one ops.events row for the run, with the counts, the ages and the duration
    logged = admin.execute(
        "select level, message, context from ops.events where source = 'ops.housekeeping'"
    ).fetchall()
    assert len(logged) == 1 and result.event_id is not None
    level, message, context = logged[0]
    assert (level, message) == ("info", f"housekeeping removed {sum(removed.values())} rows")
    assert context["removed"] == removed and context["ages"]["jobs_days"] == 14
    assert context["seconds"] >= 0 and context["batches"] == 7  # a batch per kind


def snapshot_jobs(admin: psycopg.Connection, entity: str, n: int, *, finished_days: float = 1) -> list[int]:
    rows = admin.execute(
        "insert into ingest.snapshot_jobs (shop_id, entity, status, finished_at, updated_at) "
        "select %s, %s, 'completed', now() - %s * interval '1 day', now() - %s * interval '1 day' "
        "from generate_series(1, %s) returning id",
        (SHOP, entity, finished_days, finished_days, n),
    ).fetchall()
    return [int(r[0]) for r in rows]


def failures(admin: psycopg.Connection, job_id: int, lines: int = 2) -> None:
    admin.execute(
        "insert into ingest.snapshot_failures (shop_id, job_id, line_no, error) "
        "select %s, %s, n, 'bad line' from generate_series(1, %s) n",
        (SHOP, job_id, lines),
    )


def test_snapshot_jobs_beyond_the_newest_50_go_unless_running_and_old_failures_go(
    admin: psycopg.Connection, app: psycopg.Connection
) -> None:
    fill(admin)
    orders = snapshot_jobs(admin, "orders", 56, finished_days=100)  # ids ascending: the first 6 beyond 50
    customers = snapshot_jobs(admin, "customers", 50, finished_days=100)  # exactly 50: all stay
    admin.execute(
        "update ingest.snapshot_jobs set status = 'importing', finished_at = null where id = %s", (orders[0],)
    )
    admin.execute(
        "update ingest.snapshot_jobs set status = 'failed', retry_count = 1, max_retries = 3 where id = %s",
        (orders[1],),
    )  # retries left: still in use
    admin.execute(
        "update ingest.snapshot_jobs set status = 'failed', retry_count = 3, max_retries = 3 where id = %s",
        (orders[2],),
    )  # retries used up: may go
    recent = snapshot_jobs(admin, "orders", 1, finished_days=10)
    for job_id in (orders[2], orders[3], orders[-1], customers[0], recent[0]):
        failures(admin, job_id)
    failures(admin, orders[0])  # the running import's bad lines so far

    result = run(app)

    kept = left(admin, "select id from ingest.snapshot_jobs")
    assert kept == set(orders[:2]) | set(orders[7:]) | set(customers) | set(recent)
    assert left(admin, "select distinct job_id from ingest.snapshot_failures") == {orders[0], recent[0]}
    assert result.removed["ingest.snapshot_jobs"] == 5  # orders[2..6]
    # the failures of jobs that went (orders 2, 3) and of old jobs that stay (orders[-1], customers[0])
    assert result.removed["ingest.snapshot_failures"] == 8


def test_custom_ages_are_honoured_and_small_batches_take_several_transactions(
    admin: psycopg.Connection, app: psycopg.Connection
) -> None:
    fill(admin)
    eight_days, three_days = ended(admin, "succeeded", 8), ended(admin, "succeeded", 3)
    admin.execute(
        "insert into ops.events (at, level, source, message) "
        "select now() - interval '3 days', 'info', 't', 'e' || n from generate_series(1, 250) n"
    )
    app.execute("select core.setting_set('housekeeping.jobs_days', '\"5\"')")  # text, as `hub settings set` stores it
    app.execute("select core.setting_set('housekeeping.events_days', '2'::jsonb, null, 'integer')")
    app.execute("select core.setting_set('housekeeping.batch_rows', '100'::jsonb, null, 'integer')")

    result = run(app)

    assert left(admin, "select id from procrastinate_jobs") == {three_days}
    assert eight_days not in left(admin, "select job_id from procrastinate_events")
    assert result.removed["ops.events"] == 250 and result.removed["procrastinate_jobs"] == 1
    assert result.ages["jobs_days"] == 5 and result.ages["events_days"] == 2
    assert result.batches == 7 - 1 + 3  # ops.events: 100, 100, 50


def test_dry_run_counts_what_would_go_and_deletes_nothing(admin: psycopg.Connection, app: psycopg.Connection) -> None:
    fill(admin)
    ended(admin, "succeeded", 20)
    ended(admin, "succeeded", 1)
    webhook(admin, "done-40", "done", 40)
    before = admin.execute(
        "select (select count(*) from procrastinate_jobs), (select count(*) from procrastinate_events), "
        "(select count(*) from ingest.webhook_events), (select count(*) from ops.events)"
    ).fetchone()

    dry = run(app, dry_run=True)

    assert dry.removed["procrastinate_jobs"] == 1 and dry.removed["procrastinate_events"] == 3
    assert dry.removed["ingest.webhook_events"] == 1 and dry.event_id is None
    after = admin.execute(
        "select (select count(*) from procrastinate_jobs), (select count(*) from procrastinate_events), "
        "(select count(*) from ingest.webhook_events), (select count(*) from ops.events)"
    ).fetchone()
    assert after == before
    assert run(app).removed == dry.removed


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        (
            "housekeeping.jobs_days",
            Jsonb(0),
            "setting housekeeping.jobs_days must be a whole number from 1 to 3650; it is 0",
        ),
        ("housekeeping.snapshot_jobs_keep", Jsonb(2.5), "housekeeping.snapshot_jobs_keep must be a whole number"),
        ("housekeeping.events_days", Jsonb("ninety"), "housekeeping.events_days of shop (global) must be a number"),
    ],
)
def test_a_bad_age_setting_is_a_clear_error_and_removes_nothing(
    admin: psycopg.Connection, app: psycopg.Connection, key: str, value: Jsonb, message: str
) -> None:
    fill(admin)
    ended(admin, "succeeded", 20)
    app.execute("select core.setting_set(%s, %s)", (key, value))
    with pytest.raises(housekeeping.HousekeepingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(app)
    assert admin.execute("select count(*) from procrastinate_jobs").fetchone() == (1,)


def test_hub_db_housekeeping_prints_counts_as_json_and_a_dry_run(
    admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    fill(admin)
    ended(admin, "succeeded", 20)
    assert main(["db", "housekeeping", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "housekeeping would remove 4 row(s)" in out and "procrastinate_jobs" in out
    assert main(["db", "housekeeping", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["removed"]["procrastinate_jobs"] == 1 and report["total"] == 4 and report["dry_run"] is False
    assert admin.execute(
        "select context -> 'removed' ->> 'procrastinate_events' from ops.events where event_id = %s",
        (report["event_id"],),
    ).fetchone() == ("3",)


def test_ops_housekeeping_in_one_transaction_takes_days_as_arguments(admin: psycopg.Connection) -> None:
    fill(admin)
    ended(admin, "succeeded", 20)
    young = ended(admin, "succeeded", 3)
    admin.execute("reset session_replication_role")
    rows = dict(admin.execute("select what, deleted from ops.housekeeping(p_job_days => 2)").fetchall())
    assert rows["procrastinate_jobs"] == 2 and rows["procrastinate_events"] == 6
    assert admin.execute("select count(*) from procrastinate_jobs where id = %s", (young,)).fetchone() == (0,)
    assert admin.execute(
        "select context -> 'ages' ->> 'jobs_days' from ops.events where source = 'ops.housekeeping'"
    ).fetchone() == ("2",)


def test_the_daily_task_runs_housekeeping_and_logs_it(db: Target, admin: psycopg.Connection) -> None:
    fill(admin)
    old, young = ended(admin, "succeeded", 20), ended(admin, "succeeded", 1)
    tasks.configure(db)
    removed = tasks.housekeeping()
    assert removed["procrastinate_jobs"] == 1 and removed["procrastinate_events"] == 3
    assert left(admin, "select id from procrastinate_jobs") == {young} and old != young
    assert admin.execute(
        "select context -> 'removed' from ops.events where source = 'ops.housekeeping'"
    ).fetchone() == (removed,)
