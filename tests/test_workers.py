"""Workers (`hub worker`) on the real database and the real procrastinate queue.

The analytics SQL functions arrive with a later issue; these tests install a probe under
the name analytics.refresh_customer_metrics(bigint) that records when it starts and ends,
and drive the real recalculate_customer_metrics task through real worker processes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time

import psycopg
import pytest

from runner import tasks
from runner.config import REPO_ROOT
from runner.db import Target

HUB = str(REPO_ROOT / ".venv" / "bin" / "hub")
JOB_STATUS = (
    "select status::text from procrastinate.procrastinate_jobs where task_name = 'recalculate_customer_metrics'"
)

PROBE = """
create table public.probe_runs (
    id serial primary key, step text not null, shop_id bigint,
    started_at timestamptz not null default clock_timestamp(), ended_at timestamptz);
create table public.probe_config (slow_seconds float not null);
insert into public.probe_config values (0.005);
grant all on public.probe_runs, public.probe_config to hub_app;
grant usage on sequence public.probe_runs_id_seq to hub_app;
create or replace function analytics.refresh_customer_metrics(p_shop_id bigint default null)
returns bigint language plpgsql as $$
declare v_id int;
begin
    insert into public.probe_runs (step, shop_id) values ('start', p_shop_id) returning id into v_id;
    perform pg_sleep((select slow_seconds from public.probe_config));
    update public.probe_runs set ended_at = clock_timestamp() where id = v_id;
    insert into public.probe_runs (step, shop_id, ended_at) values ('end', p_shop_id, clock_timestamp());
    return 1;
end $$;
"""

DEFER = """
select procrastinate.procrastinate_defer_jobs_v1(array_agg(row(
    'analytics', 'recalculate_customer_metrics', 0, %s, null, jsonb_build_object('shop_id', 42), null
)::procrastinate.procrastinate_job_to_defer_v1)) from generate_series(1, %s)
"""


@pytest.fixture
def probe(admin: psycopg.Connection) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (42, 'shop 42')")
    admin.execute(PROBE)
    # procrastinate's functions resolve their tables through the caller's search_path
    admin.execute("set search_path = procrastinate, public")


def start_workers(hub_env: dict[str, str], n: int, *extra: str) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [HUB, "worker", "--queues", "analytics", "--polling-interval", "0.1", *extra],
            env={**os.environ, **hub_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


def wait_for(admin: psycopg.Connection, sql: str, expected: object, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        row = admin.execute(sql).fetchone()
        if row is not None and row[0] == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{sql} gave {row}, waited for {expected!r}")
        time.sleep(0.1)


def test_four_workers_never_overlap_two_hundred_jobs_on_one_shop_lock(
    probe: None, admin: psycopg.Connection, hub_env: dict[str, str], processes: list[subprocess.Popen[bytes]]
) -> None:
    admin.execute(DEFER, (tasks.shop_lock(42, "customer_metrics"), 200))
    processes += start_workers(hub_env, 4, "--concurrency", "2")
    wait_for(  # only the test's jobs: a periodic dispatch may run in these workers too
        admin,
        "select count(*) from procrastinate.procrastinate_jobs"
        " where status = 'succeeded' and task_name = 'recalculate_customer_metrics'",
        200,
        timeout=120,
    )
    assert admin.execute("select count(*) from public.probe_runs where step = 'start'").fetchone() == (200,)
    overlaps = admin.execute("""
        select count(*) from public.probe_runs a join public.probe_runs b
          on a.id < b.id and tstzrange(a.started_at, a.ended_at) && tstzrange(b.started_at, b.ended_at)
        where a.step = 'start' and b.step = 'start'""").fetchone()
    assert overlaps == (0,)


def test_worker_killed_mid_job_leaves_nothing_half_written_and_job_is_retried(
    db: Target,
    probe: None,
    admin: psycopg.Connection,
    hub_env: dict[str, str],
    processes: list[subprocess.Popen[bytes]],
) -> None:
    admin.execute("update public.probe_config set slow_seconds = 20")
    admin.execute(DEFER, (tasks.shop_lock(42, "customer_metrics"), 1))
    victim = start_workers(hub_env, 1, "--stalled-after", "1")[0]
    processes.append(victim)
    wait_for(admin, JOB_STATUS, "doing")
    # the job is inside its transaction: 'start' written, not committed
    wait_for(
        admin,
        "select count(*) from pg_stat_activity where query like '%refresh_customer_metrics%' "
        "and state = 'active' and usename = 'hub_app'",
        1,
    )
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(5)
    assert admin.execute("select count(*) from public.probe_runs").fetchone() == (0,)
    admin.execute("update public.probe_config set slow_seconds = 0")
    time.sleep(2)  # the dead worker's heartbeat is now older than 1 s

    bound = tasks.configure(db)

    async def recover() -> dict[str, int]:
        async with bound.open_async():
            return await tasks.recover_stalled_jobs(bound, seconds_since_heartbeat=1)

    assert asyncio.run(recover()) == {"retried": 1, "failed": 0, "cancelled": 0, "errors": 0}
    assert admin.execute(JOB_STATUS.replace("status::text", "status::text, attempts")).fetchone() == ("todo", 1)
    processes += start_workers(hub_env, 1)
    wait_for(admin, JOB_STATUS, "succeeded")
    # exactly one complete run: the killed attempt left nothing
    assert admin.execute("select step from public.probe_runs order by id").fetchall() == [("start",), ("end",)]


def test_stalled_job_that_used_its_attempts_ends_failed(db: Target, probe: None, admin: psycopg.Connection) -> None:
    admin.execute(DEFER, (tasks.shop_lock(42, "customer_metrics"), 1))
    admin.execute(
        "update procrastinate.procrastinate_jobs set status = 'doing', attempts = %s", (tasks.MAX_ATTEMPTS - 1,)
    )
    bound = tasks.configure(db)

    async def recover() -> dict[str, int]:
        async with bound.open_async():
            return await tasks.recover_stalled_jobs(bound, seconds_since_heartbeat=1)

    assert asyncio.run(recover()) == {"retried": 0, "failed": 1, "cancelled": 0, "errors": 0}
    assert admin.execute("select status::text from procrastinate.procrastinate_jobs").fetchone() == ("failed",)


def test_addon_uninstall_event_disables_shop_keeps_data_and_marks_event_done(
    db: Target, admin: psycopg.Connection
) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (42, 'shop 42')")
    admin.execute("set role hub_app")
    row = admin.execute("select * from ingest.webhook_accept(42, 'addon:uninstall', '42', now(), null)").fetchone()
    admin.execute("reset role")
    assert row is not None and len(row[2]) == 1
    bound = tasks.configure(db)
    with bound.open():
        bound.run_worker(queues=["webhooks"], wait=False, install_signal_handlers=False)
    assert admin.execute("select status from core.shops").fetchone() == ("uninstalled",)
    assert admin.execute("select status, processed_at is not null from ingest.webhook_events").fetchone() == (
        "done",
        True,
    )
    assert admin.execute(
        "select status::text from procrastinate.procrastinate_jobs where task_name = 'process_webhook_event'"
    ).fetchone() == ("succeeded",)


def test_analytics_job_is_queued_once_per_shop(db: Target, probe: None, admin: psycopg.Connection) -> None:
    bound = tasks.configure(db)
    with bound.open():
        assert tasks.defer_analytics("customer_metrics", 42) is True
        assert tasks.defer_analytics("customer_metrics", 42) is False
    rows = admin.execute("select lock, queueing_lock from procrastinate.procrastinate_jobs").fetchall()
    assert rows == [("shop:42:customer_metrics", "shop:42:customer_metrics:queued")]


def test_housekeeping_deletes_old_processed_events_and_ended_jobs(db: Target, admin: psycopg.Connection) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (42, 'shop 42')")
    admin.execute("set search_path = procrastinate, public")  # procrastinate's triggers need it
    admin.execute("select ingest.webhook_accept(42, 'stock:movement', '1', now(), null)")
    admin.execute("select ingest.webhook_accept(42, 'stock:movement', '2', now(), null)")
    admin.execute("select ingest.webhook_accept(42, 'order:update', '3', now(), null)")
    admin.execute(
        "update ingest.webhook_events set processed_at = now() - interval '40 days' where event_instance = '1'"
    )
    admin.execute("update procrastinate.procrastinate_jobs set status = 'succeeded'")
    admin.execute("update procrastinate.procrastinate_events set at = now() - interval '20 days'")
    rows = dict(admin.execute("select what, deleted from ops.housekeeping()").fetchall())
    assert {k: rows[k] for k in ("ingest.webhook_events", "procrastinate_jobs", "ops.job_recoveries")} == {
        "ingest.webhook_events": 1,
        "procrastinate_jobs": 1,
        "ops.job_recoveries": 0,
    }
    assert admin.execute("select event_instance from ingest.webhook_events order by 1").fetchall() == [("2",), ("3",)]


def test_every_schedule_entry_names_a_registered_task() -> None:
    periodic = {name for name, _ in tasks.app.periodic_registry.periodic_tasks}
    assert periodic == {
        "schedule_orders_sync",
        "schedule_customers_sync",
        "schedule_products_sync",
        "dispatch_customer_metrics_recalculation",
        "dispatch_inventory_recalculation",
        "dispatch_product_pairs_refresh",
        "run_maintenance",
        "retry_snapshots",
        "housekeeping",
        "retry_stalled_jobs",
        "reconcile_webhooks",
        "backup_database",
        "requeue_webhook_drains",
        "pitr_full_backup",
        "pitr_incremental_backup",
        "rebuild_feeds",
    }
    assert periodic <= set(tasks.app.tasks)


def test_event_whose_job_failed_for_good_or_whose_key_was_given_up_is_listed_as_failed(
    db: Target, admin: psycopg.Connection
) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (42, 'shop 42')")
    admin.execute("set search_path = procrastinate, public")  # procrastinate's triggers need it
    admin.execute("select ingest.webhook_accept(42, 'order:update', '2017000092', now(), null)")
    admin.execute(
        "update procrastinate.procrastinate_jobs set status = 'failed' where queueing_lock = 'webhooks:42:orders'"
    )
    # the next event finds no drain waiting: a new one carries it
    admin.execute("select ingest.webhook_accept(42, 'order:update', '2017000093', now(), null)")
    admin.execute("select ingest.webhook_accept(42, 'order:update', '2017000094', now(), null)")
    rows = admin.execute("select event_instance, failed_keys from ingest.webhook_events_failed").fetchall()
    assert rows == [("2017000092", [])]
    # a drain gives up on 2017000094 (Shoptet refuses it): its event is listed with the key and why
    seq = admin.execute("select seq from ingest.webhook_pending where key = '2017000094'").fetchone()[0]
    assert admin.execute(
        "select * from ingest.webhook_key_failed(42, 'orders', 'order', '2017000094', %s, 'HTTP 422', true)", (seq,)
    ).fetchone() == (1, True)
    rows = admin.execute(
        "select event_instance, failed_keys, last_error from ingest.webhook_events_failed order by 1"
    ).fetchall()
    assert rows == [("2017000092", [], None), ("2017000094", ["2017000094"], "HTTP 422")]
    # a new event for the key: tried again, no longer failed
    admin.execute("select ingest.webhook_accept(42, 'order:update', '2017000094', now() + interval '1 s', null)")
    assert admin.execute("select event_instance from ingest.webhook_events_failed").fetchall() == [("2017000092",)]
