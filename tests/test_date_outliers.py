"""Orders with implausible creation dates (issue 11, item 3): a year typed 2206 (or 9999, or an
old 1970 placeholder) is kept as Shoptet has it, costs the partition of its own quarter only,
is listed in ops.orders_date_outliers, and partition maintenance keeps working around it."""

from __future__ import annotations

import copy
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from runner import tasks
from runner.config import Config
from runner.db import Target
from runner.maintain import run_maintenance
from runner.sandbox import Sandbox
from sandbox_helpers import NOWHERE, SHOP, import_entity

UTC = UTC

pytestmark = [
    pytest.mark.sandbox(scale=0.00002, seed=11, job_seconds=0.1, webhook_retry_delay=0.05),
    pytest.mark.shop(env={"HUB_PUBLIC_URL": NOWHERE}),
]  # deliveries fail; snapshots poll the job list


def copy_of_an_order(box: Sandbox, code: str, created: str) -> dict[str, Any]:
    """A generated order of the shop (the full Shoptet shape) under another code and creation time."""
    doc = copy.deepcopy(box.shop(SHOP).order(0))
    assert doc is not None
    doc.update(code=code, guid=None, creationTime=created, changeTime=created)
    return doc


def partitions(admin: psycopg.Connection, parent: str) -> set[str]:
    return {
        r[0]
        for r in admin.execute(
            "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
            "where i.inhparent = %s::regclass and c.relname <> 'order_items_default'",
            (parent,),
        )
    }


def empty_partitions(admin: psycopg.Connection, names: set[str]) -> set[str]:
    """Which of these partitions (hot or archived) hold no row."""
    empty = set()
    for name in names:
        schema = "sales" if admin.execute("select to_regclass(%s)", (f"sales.{name}",)).fetchone()[0] else "archive"  # type: ignore[index]
        if admin.execute(f"select not exists (select from {schema}.{name})").fetchone()[0]:  # type: ignore[index]
            empty.add(name)
    return empty


def line_partitions(admin: psycopg.Connection, code: str) -> set[str]:
    return {
        r[0]
        for r in admin.execute(
            "select distinct tableoid::regclass::text from sales.order_items "
            "where shop_id = %(s)s and order_code = %(c)s "
            "union select distinct tableoid::regclass::text from archive.order_items "
            "where shop_id = %(s)s and order_code = %(c)s",
            {"s": SHOP, "c": code},
        )
    }


def created_at(admin: psycopg.Connection, code: str) -> datetime:
    row = admin.execute("select created_at from sales.orders where shop_id = %s and code = %s", (SHOP, code)).fetchone()
    assert row is not None, f"order {code} was not imported"
    return row[0]  # type: ignore[no-any-return]


def test_a_copy_typed_in_2206_in_one_snapshot_chunk_costs_one_partition_is_listed_and_maintenance_works(
    sandbox: Sandbox,
    shop: Config,
    db: Target,
    admin: psycopg.Connection,
    hub_env: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    sandbox.put(
        SHOP,
        "orders",
        [
            copy_of_an_order(sandbox, "2026000100", "2026-03-10T10:15:00+0100"),
            copy_of_an_order(sandbox, "2206000100", "2206-03-10T10:15:00+0100"),
        ],
        webhooks=False,
    )
    hot_before, archive_before = partitions(admin, "sales.order_items"), partitions(admin, "archive.order_items")

    with caplog.at_level("WARNING", logger="hub.ingest"):
        outcome = import_entity(shop, db, "orders")

    assert outcome["status"] == "completed" and outcome["lines"] == sandbox.totals(SHOP)["orders"]
    warned = [r for r in caplog.records if "ops.orders_date_outliers" in r.getMessage()]
    assert len(warned) == 1 and warned[0].ctx["codes"] == "2206000100" and warned[0].ctx["shop_id"] == SHOP  # type: ignore[attr-defined]
    # both orders kept exactly as Shoptet has them
    assert created_at(admin, "2026000100") == datetime(2026, 3, 10, 9, 15, tzinfo=UTC)
    assert created_at(admin, "2206000100") == datetime(2206, 3, 10, 9, 15, tzinfo=UTC)
    # one new hot partition (not the 720 quarters between 2026 and 2206), and every partition the
    # import made holds rows: only the quarters rows land in were made
    hot_after, archive_after = partitions(admin, "sales.order_items"), partitions(admin, "archive.order_items")
    assert hot_after - hot_before == {"order_items_p2206q1"}
    assert empty_partitions(admin, (hot_after - hot_before) | (archive_after - archive_before)) == set()
    assert line_partitions(admin, "2206000100") == {"sales.order_items_p2206q1"}
    assert line_partitions(admin, "2026000100") == {"sales.order_items_p2026q1"}
    assert admin.execute("select count(*) from sales.order_items_default").fetchone() == (0,)
    # visible as a data-quality finding
    assert admin.execute(
        "select shop_id, code, created_at, reason, partition from ops.orders_date_outliers"
    ).fetchall() == [
        (
            SHOP,
            "2206000100",
            datetime(2206, 3, 10, 9, 15, tzinfo=UTC),
            "more than a year ahead",
            "sales.order_items_p2206q1",
        )
    ]

    # `hub db maintain` works with a 2206 partition, makes nothing after it, keeps the window from today
    done = subprocess.run(
        [sys.executable, "-m", "runner.cli", "db", "maintain"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert partitions(admin, "sales.order_items") == hot_after
    # retention still detaches old quarters with the 2206 partition present, and is idempotent
    admin.execute("update partman.part_config set retention = '6 months' where parent_table = 'sales.order_items'")
    summary = run_maintenance(db)
    assert summary["archived"] >= 1 and summary["default_rows"] == 0
    assert line_partitions(admin, "2026000100") == {"archive.order_items_p2026q1"}
    assert line_partitions(admin, "2206000100") == {"sales.order_items_p2206q1"}
    again = run_maintenance(db)
    assert (again["archived"], again["partitions_created"], again["moved_from_default"]) == (0, 0, 0)
    # the premake window after today is still made once the 2206 partition is the newest
    ahead = admin.execute("select ops.quarter_partition_name('order_items', now() + interval '12 months')").fetchone()[
        0
    ]  # type: ignore[index]
    admin.execute(f"drop table sales.{ahead}")
    assert run_maintenance(db)["partitions_created"] == 1
    assert ahead in partitions(admin, "sales.order_items")


def test_years_9999_and_1970_cost_one_partition_each_and_year_1_bc_is_a_named_bad_line(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    sandbox.put(
        SHOP,
        "orders",
        [
            copy_of_an_order(sandbox, "9999000001", "9999-03-10T10:15:00+0100"),
            copy_of_an_order(sandbox, "1970000001", "1970-01-01T00:00:00+0100"),
            copy_of_an_order(sandbox, "0001000001", "0001-01-01T00:00:00+0100"),
        ],
        webhooks=False,
    )
    hot_before, archive_before = partitions(admin, "sales.order_items"), partitions(admin, "archive.order_items")

    outcome = import_entity(shop, db, "orders")

    # the year-1 order is 1 BC in UTC: no partition name or Python datetime holds it; that line
    # alone is refused, by name, and the rest of the chunk is imported
    assert outcome["status"] == "completed_with_errors"
    failures = admin.execute("select error, raw_line from ingest.snapshot_failures").fetchall()
    assert (
        len(failures) == 1
        and "stage_orders_times_in_years_1_to_9999_utc" in failures[0][0]
        and '"0001000001"' in failures[0][1]
    )
    assert created_at(admin, "9999000001") == datetime(9999, 3, 10, 9, 15, tzinfo=UTC)
    assert created_at(admin, "1970000001") == datetime(1969, 12, 31, 23, 0, tzinfo=UTC)
    hot_after, archive_after = partitions(admin, "sales.order_items"), partitions(admin, "archive.order_items")
    assert hot_after - hot_before == {"order_items_p9999q1"}
    assert "order_items_p1969q4" in archive_after - archive_before  # the UTC quarter of 1970-01-01 00:00+01
    assert empty_partitions(admin, (hot_after - hot_before) | (archive_after - archive_before)) == set()
    assert line_partitions(admin, "1970000001") == {"archive.order_items_p1969q4"}
    assert admin.execute("select code, reason, partition from ops.orders_date_outliers order by code").fetchall() == [
        ("1970000001", "before 2000", "archive.order_items_p1969q4"),
        ("9999000001", "more than a year ahead", "sales.order_items_p9999q1"),
    ]

    # maintenance with a 9999 partition: nothing premade after it, nothing else changes
    summary = run_maintenance(db)
    assert summary["default_rows"] == 0 and partitions(admin, "sales.order_items") == hot_after

    # a re-import takes the staging path (ingest.apply_orders): a new 2206 order next to known ones
    sandbox.put(SHOP, "orders", [copy_of_an_order(sandbox, "2206000001", "2206-03-10T10:15:00+0100")], webhooks=False)
    again = import_entity(shop, db, "orders")
    assert again["status"] == "completed_with_errors"
    assert partitions(admin, "sales.order_items") - hot_after == {"order_items_p2206q1"}
    assert line_partitions(admin, "2206000001") == {"sales.order_items_p2206q1"}
    assert len(admin.execute("select * from ops.orders_date_outliers").fetchall()) == 3


def test_an_order_webhook_for_a_year_9999_order_is_applied_by_the_worker_with_one_partition(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    sandbox.put(SHOP, "orders", [copy_of_an_order(sandbox, "9999000002", "9999-12-31T23:30:00+0100")], webhooks=False)
    hot_before = partitions(admin, "sales.order_items")
    admin.execute("set role hub_app")
    admin.execute("select * from ingest.webhook_accept(%s, 'order:create', '9999000002', now(), null)", (SHOP,))
    admin.execute("reset role")
    bound = tasks.configure(db)
    with bound.open():
        bound.run_worker(queues=["webhooks"], wait=False, install_signal_handlers=False)
    assert admin.execute(
        "select status::text from procrastinate.procrastinate_jobs where task_name = 'drain_webhooks'"
    ).fetchone() == ("succeeded",)
    assert created_at(admin, "9999000002") == datetime(9999, 12, 31, 22, 30, tzinfo=UTC)
    assert partitions(admin, "sales.order_items") - hot_before == {"order_items_p9999q4"}
    assert line_partitions(admin, "9999000002") == {"sales.order_items_p9999q4"}


def test_known_quarters_are_remembered_per_session_and_forgotten_with_a_rollback(
    db: Target, app: psycopg.Connection, admin: psycopg.Connection
) -> None:
    far = "select ops.ensure_partitions_for(array['2206-03-10 09:15+00', '2206-03-11 10:00+00', null]::timestamptz[])"
    assert app.execute(far).fetchone() == (1,)
    assert app.execute(far).fetchone() == (0,)
    assert ",h2206q1," in app.execute("select current_setting('hub.partitions_known')").fetchone()[0]  # type: ignore[index]
    # a partition removed behind the session's back is not noticed: the known quarter asked no catalog
    admin.execute("drop table sales.order_items_p2206q1")
    assert app.execute(far).fetchone() == (0,)
    with psycopg.connect(db.app, autocommit=True) as other:  # another session looks and makes it again
        assert other.execute(far).fetchone() == (1,)
    # a creation rolled back is forgotten with it
    with psycopg.connect(db.app) as conn:
        conn.execute("select ops.ensure_partitions_for(array['2207-01-02 00:00+00']::timestamptz[])")
        conn.rollback()
        assert conn.execute(
            "select ops.ensure_partitions_for(array['2207-01-02 00:00+00']::timestamptz[])"
        ).fetchone() == (1,)
        conn.commit()
    # a session in Prague time makes UTC quarters all the same
    app.execute("set timezone = 'Europe/Prague'")
    assert app.execute("select ops.ensure_partitions_for(array['2300-01-01 00:30+01']::timestamptz[])").fetchone() == (
        1,
    )
    bounds = admin.execute(
        "select pg_get_expr(relpartbound, oid) from pg_class where relname = 'order_items_p2299q4'"
    ).fetchone()
    assert bounds == ("FOR VALUES FROM ('2299-10-01 00:00:00+00') TO ('2300-01-01 00:00:00+00')",)


def test_a_range_of_centuries_is_refused_instead_of_locking_the_table_for_minutes(app: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue) as refused:
        app.execute("select ops.ensure_partitions('2026-03-10', '9999-03-10')")
    assert "at most 400" in str(refused.value) and "ensure_partitions_for" in (refused.value.diag.message_hint or "")


def test_maintenance_drops_empty_quarters_after_the_premake_window_that_an_old_import_left(
    db: Target, app: psycopg.Connection, admin: psycopg.Connection
) -> None:
    # what the range version made for a 2206 order before ops.ensure_partitions_for: every quarter between
    window = partitions(admin, "sales.order_items")
    assert app.execute("select ops.ensure_partitions('2030-01-01', '2040-12-31')").fetchone() == (44,)
    admin.execute("insert into core.shops (shop_id, name) values (7, 'Seven')")
    admin.execute("insert into sales.orders (shop_id, code, created_at) values (7, 'KEEP', '2035-05-05 10:00+00')")
    admin.execute(
        "insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type) "
        "values (7, 'KEEP', 1, '2035-05-05 10:00+00', 'product')"
    )
    summary = run_maintenance(db)
    # the 43 empty ones go (each slows every statement on sales.order_items that cannot prune at
    # plan time); the one holding a row and the premake window from today stay
    assert summary["empty_future_dropped"] == 43 and summary["partitions_created"] == 0
    assert partitions(admin, "sales.order_items") == window | {"order_items_p2035q2"}
    assert run_maintenance(db)["empty_future_dropped"] == 0
