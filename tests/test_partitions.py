"""Partitions of sales.order_items: quarterly, default kept empty, retention into archive."""

from __future__ import annotations

import subprocess
import sys

import psycopg

from runner.db import Target
from runner.maintain import run_maintenance


def _partitions(admin: psycopg.Connection, parent: str) -> list[str]:
    return [
        r[0]
        for r in admin.execute(
            "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid "
            "where i.inhparent = %s::regclass order by 1",
            (parent,),
        )
    ]


def _order(admin: psycopg.Connection, code: str, created_at: str, lines: int = 2) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (7, 'Seven') on conflict do nothing")
    admin.execute("insert into sales.orders (shop_id, code, created_at) values (7, %s, %s)", (code, created_at))
    admin.execute(
        "insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type) "
        "select 7, %s, i, %s, 'product' from generate_series(1, %s) i",
        (code, created_at, lines),
    )


def test_partitions_are_quarterly_named_and_made_ahead(admin: psycopg.Connection) -> None:
    names = _partitions(admin, "sales.order_items")
    assert "order_items_default" in names
    quarters = [n for n in names if n != "order_items_default"]
    assert quarters and all(n[:13] == "order_items_p" and n[17] == "q" for n in quarters)
    now_q = admin.execute("select ops.quarter_partition_name('order_items', now())").fetchone()[0]
    ahead = admin.execute("select ops.quarter_partition_name('order_items', now() + interval '6 months')").fetchone()[0]
    assert now_q in quarters and ahead in quarters  # premake: at least 2 quarters ahead
    config = admin.execute(
        "select premake, retention, retention_keep_table, retention_schema "
        "from partman.part_config where parent_table = 'sales.order_items'"
    ).fetchone()
    assert config == (4, "2 years", True, "archive")


def test_rows_land_in_the_partition_of_their_quarter(admin: psycopg.Connection) -> None:
    _order(admin, "A1", "2026-02-10 12:00+01")
    where = admin.execute(
        "select distinct tableoid::regclass::text from sales.order_items where order_code = 'A1'"
    ).fetchall()
    assert where == [("sales.order_items_p2026q1",)]


def test_out_of_range_row_is_reported_and_moved_by_maintenance(db: Target, admin: psycopg.Connection) -> None:
    _order(admin, "FUTURE", "2031-05-05 10:00+02")  # beyond premake: lands in the default partition
    _order(admin, "OLD", "2019-03-01 10:00+01")  # older than retention: default too
    report = admin.execute("select default_table, row_count from ops.default_partition_rows").fetchall()
    assert report == [("sales.order_items_default", 4)]
    summary = run_maintenance(db)
    assert summary["moved_from_default"] == 4 and summary["default_rows"] == 0
    assert admin.execute("select * from ops.default_partition_rows").fetchall() == []
    placed = dict(
        admin.execute(
            "select order_code, string_agg(distinct tableoid::regclass::text, ',') from ("
            " select tableoid, order_code from sales.order_items union all"
            " select tableoid, order_code from archive.order_items) t group by 1"
        ).fetchall()
    )
    assert placed == {"FUTURE": "sales.order_items_p2031q2", "OLD": "archive.order_items_p2019q1"}


def test_maintenance_is_idempotent(db: Target, admin: psycopg.Connection) -> None:
    _order(admin, "F2", "2032-01-05 10:00+01")
    first = run_maintenance(db)
    before = _partitions(admin, "sales.order_items") + _partitions(admin, "archive.order_items")
    second = run_maintenance(db)
    assert second["moved_from_default"] == 0 and second["partitions_created"] == 0 and second["archived"] == 0
    assert _partitions(admin, "sales.order_items") + _partitions(admin, "archive.order_items") == before
    assert first["hot_partitions"] == second["hot_partitions"]


def test_retention_detaches_old_quarters_into_archive_and_rows_stay_queryable(
    db: Target, admin: psycopg.Connection
) -> None:
    _order(admin, "R1", "2025-02-01 10:00+01", lines=3)
    _order(admin, "R2", "2026-10-01 10:00+02", lines=2)
    # pretend a short retention so that 2025 quarters are due now
    admin.execute("update partman.part_config set retention = '6 months' where parent_table = 'sales.order_items'")
    summary = run_maintenance(db)
    assert summary["archived"] >= 1
    hot = _partitions(admin, "sales.order_items")
    archived = _partitions(admin, "archive.order_items")
    assert "order_items_p2025q1" in archived and "order_items_p2025q1" not in hot
    assert "order_items_p2026q4" in hot
    # still queryable, and pruned by date on both sides
    assert admin.execute("select count(*) from sales.order_items_all where order_code = 'R1'").fetchone() == (3,)
    assert admin.execute("select count(*) from sales.order_items where order_code = 'R1'").fetchone() == (0,)
    assert admin.execute("select count(*) from sales.order_items_all").fetchone() == (5,)
    plan = "\n".join(
        r[0]
        for r in admin.execute(
            "explain select * from sales.order_items_all where created_at >= '2025-01-01' and created_at < '2025-04-01'"
        )
    )
    assert "order_items_p2025q1" in plan and "order_items_p2026q4" not in plan
    # an archived order's lines are still listed with the order
    rows = admin.execute("select item_id from sales.order_items_of(7, 'R1')").fetchall()
    assert rows == [(1,), (2,), (3,)]
    # readers can read the archive
    with psycopg.connect(db.readonly, autocommit=True) as ro:
        assert ro.execute("select count(*) from archive.order_items").fetchone() == (3,)
    # a late copy of an archived line goes into the archive, replacing the old one
    admin.execute(
        "insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type, name) "
        "values (7, 'R1', 1, '2025-02-01 10:00+01', 'product', 'late copy')"
    )
    run_maintenance(db)
    assert admin.execute(
        "select name from sales.order_items_all where order_code = 'R1' and item_id = 1"
    ).fetchall() == [("late copy",)]
    assert run_maintenance(db)["archived"] == 0


def test_ensure_partitions_makes_hot_and_archive_quarters(app: psycopg.Connection, admin: psycopg.Connection) -> None:
    created = app.execute("select ops.ensure_partitions('2018-01-15', '2018-12-31')").fetchone()[0]
    assert created == 4
    assert {"order_items_p2018q1", "order_items_p2018q4"} <= set(_partitions(admin, "archive.order_items"))
    assert app.execute("select ops.ensure_partitions('2018-01-15', '2018-12-31')").fetchone() == (0,)


def test_hub_db_maintain_cli_prints_summary(hub_env: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-m", "runner.cli", "db", "maintain"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "default partition" in out.stdout and "hot" in out.stdout
