"""What the processes write about their own work (runner/telemetry.py): Shoptet API calls per shop
and minute, job runs and the error of a failed job, warnings in ops.events -- buffered, written in
one transaction per flush, and never failing the caller when the database does not answer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import procrastinate
import psycopg
import pytest
from croniter import croniter

from runner import logs, tasks, telemetry
from runner.config import Config
from runner.db import Target
from runner.logs import log
from runner.sandbox import Sandbox
from runner.shoptet import errors
from sandbox_helpers import SHOP, client_for

pytestmark = pytest.mark.sandbox(scale=0.0002, seed=3)


@pytest.fixture
def recorder(db: Target) -> Iterator[telemetry.Telemetry]:
    """The process's telemetry for the test's database, flushed only when the test says so."""
    current = telemetry.start(db.app, process="worker", interval=3600)
    yield current
    telemetry.stop()


def api_rows(admin: psycopg.Connection) -> dict[int, int]:
    return dict(admin.execute("select status, sum(calls)::int from ops.api_calls group by 1").fetchall())


def test_api_calls_are_recorded_per_shop_minute_and_status(
    shop: Config, sandbox: Sandbox, admin: psycopg.Connection
) -> None:
    with client_for(shop) as api:
        current = telemetry.current()
        assert current is not None and current.flush()  # what `hub shop add` called
        before = api_rows(admin)
        sandbox.set_faults(rate_limit_burst=1)
        for _ in range(3):
            api.get("/api/eshop")
        with pytest.raises(errors.NotFound):
            api.get("/api/orders/NO-SUCH-ORDER")
    assert current.flush()
    after = api_rows(admin)
    added = {status: after.get(status, 0) - before.get(status, 0) for status in after}
    assert {s: n for s, n in added.items() if n} == {200: 3, 429: 1, 404: 1}
    # the view of the last hour holds every call of this test, `hub shop add`'s included
    view = admin.execute(
        "select calls, rate_limited, client_errors, p50_seconds > 0, p99_seconds >= p50_seconds, "
        "(by_status ->> '429')::int from ops.shoptet_api_calls where shop_id = %s",
        (SHOP,),
    ).fetchone()
    assert view is not None
    four_xx = sum(n for status, n in after.items() if 400 <= status < 500 and status != 429)
    assert view == (sum(after.values()), after[429], four_xx, True, True, after[429])
    totals = admin.execute(
        "select sum(calls), sum((select sum(n) from unnest(bucket_counts) n)) "
        "from ops.api_call_totals where shop_id = %s",
        (SHOP,),
    ).fetchone()
    assert totals == (view[0], view[0])  # totals since the start = the hour here; every call in one bucket
    minutes = admin.execute(
        "select count(distinct minute) <= 2, min(minute) = date_trunc('minute', min(minute)) from ops.api_calls"
    ).fetchone()
    assert minutes == (True, True)


def test_a_failed_job_leaves_its_error_and_every_run_its_figures(
    db: Target, admin: psycopg.Connection, recorder: telemetry.Telemetry
) -> None:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=tasks.procrastinate_conninfo(db.app)))

    @app.task(name="explode", queue="analytics")
    def explode(n: int) -> None:
        raise ValueError(f"boom {n}")

    @app.task(name="fine", queue="analytics")
    def fine() -> int:
        return 1

    logs.attach(recorder, process="worker")
    try:
        with app.open():
            explode.defer(n=7)
            fine.defer()
            fine.defer()
            app.run_worker(queues=["analytics"], wait=False, install_signal_handlers=False)
    finally:
        logs.detach()
    assert recorder.flush()
    failed = admin.execute("select task_name, error from ops.failed_jobs").fetchall()
    assert failed == [("explode", "ValueError: boom 7")]
    runs = admin.execute("select task_name, status, runs from ops.job_run_totals order by 1").fetchall()
    assert runs == [("explode", "failed", 1), ("fine", "succeeded", 2)]
    event = admin.execute(
        "select level, source, context ->> 'task', context ->> 'process', context ? 'traceback' from ops.recent_errors"
    ).fetchone()
    assert event == ("error", "procrastinate.worker", "explode", "worker", True)


def test_warnings_go_to_ops_events_with_shop_and_masked_secrets(
    admin: psycopg.Connection, recorder: telemetry.Telemetry
) -> None:
    test_logger = logging.getLogger("hub.test")
    logs.attach(recorder, process="web")
    try:
        log(test_logger, logging.INFO, "routine")  # below WARNING: not an event
        log(test_logger, logging.WARNING, "odd delivery\x00 seen", shop_id=SHOP, token="s3cret", code="A1")
        log(logging.getLogger("hub.telemetry"), logging.WARNING, "the writer's own trouble")  # never: it could loop
    finally:
        logs.detach()
    assert recorder.flush()
    rows = admin.execute("select level, source, shop_id, message, context from ops.events").fetchall()
    assert len(rows) == 1
    level, source, shop_id, message, context = rows[0]
    assert (level, source, shop_id, message) == ("warning", "hub.test", SHOP, "odd delivery\ufffd seen")
    assert context["token"] == "***" and context["code"] == "A1" and context["process"] == "web"


def test_a_database_that_does_not_answer_fails_nobody_and_loses_nothing_kept(
    db: Target, admin: psycopg.Connection
) -> None:
    down = telemetry.Telemetry("host=127.0.0.1 port=9 dbname=hub user=hub_app connect_timeout=2", process="cli")
    down.api_call(SHOP, 200, 0.12)
    down.job_run("orders", "sync_entity", "succeeded", 1.5)
    down.webhook("accepted")
    down.event({"at": datetime.now(UTC).isoformat(), "level": "error", "source": "hub.test", "message": "kept"})
    assert down.flush() is False
    down.conninfo = db.app  # the database is back
    assert down.flush() is True
    assert admin.execute("select sum(calls) from ops.api_calls").fetchone() == (1,)
    assert admin.execute("select runs from ops.job_run_totals").fetchone() == (1,)
    assert admin.execute("select deliveries from ops.webhook_delivery_totals").fetchone() == (1,)
    assert admin.execute("select message from ops.events").fetchall() == [("kept",)]


def test_ops_log_event_is_what_housekeeping_will_write(admin: psycopg.Connection) -> None:
    admin.execute(
        "select ops.log_event('INFO', 'ops.housekeeping', 'removed old rows', "
        "jsonb_build_object('removed', jsonb_build_object('ops.events', 12)))"
    )
    assert admin.execute("select level, context -> 'removed' ->> 'ops.events' from ops.events").fetchone() == (
        "info",
        "12",
    )
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="level loud"):
        admin.execute("select ops.log_event('loud', 'x', 'y')")
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="must be a JSON object"):
        admin.execute("select ops.log_event('info', 'x', 'y', '[1]')")


def test_histogram_and_quantile_follow_prometheus(admin: psycopg.Connection) -> None:
    row = admin.execute(
        "select ops.histogram(array[1, 2, 4]::float8[], array[0.5, 1, 1.5, 3, 9, null]::float8[]), "
        "ops.histogram_quantile(0.5, array[1, 2, 4]::float8[], array[2, 1, 1, 1]::bigint[]), "
        "ops.histogram_quantile(0.99, array[1, 2, 4]::float8[], array[0, 0, 0, 5]::bigint[]), "
        "ops.histogram_quantile(0.5, array[1, 2, 4]::float8[], array[0, 0, 0, 0]::bigint[]), "
        "ops.histogram_add(array[1, 2]::bigint[], array[10, 20, 30]::bigint[])"
    ).fetchone()
    # le semantics (1 is in the first bucket); rank 2.5 of 5 lies half-way into the bucket (1, 2];
    # the overflow bucket answers the last bound; nothing counted: null
    assert row == ([2, 1, 1, 1], 1.5, 4.0, None, [11, 22, 30])


def test_sync_intervals_and_queue_timeouts_follow_the_schedule(admin: psycopg.Connection) -> None:
    intervals = dict(
        admin.execute("select entity, extract(epoch from sync_every)::int from ops.sync_intervals").fetchall()
    )
    base = datetime(2026, 1, 1, tzinfo=UTC)
    for entity in tasks.ENTITIES:
        periodic = tasks.app.periodic_registry.periodic_tasks[(f"schedule_{entity}_sync", entity)]
        it = croniter(periodic.cron, base)
        first, second = it.get_next(datetime), it.get_next(datetime)
        assert intervals[entity] == (second - first).total_seconds(), entity
    queues = {r[0] for r in admin.execute("select queue_name from ops.queue_timeouts")}
    assert queues == set(tasks.QUEUES)
