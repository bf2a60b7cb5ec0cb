"""`hub db check` (issue 14 item 5): amcheck over every B-tree index, order lines without their
order, rows in default partitions, orders whose lines do not add up to their total, partitions
missing in the premake window, and with --remote each shop's counts against Shoptet's
paginator.totalCount. Each fault is made for real in the test's own throw-away database (a copy
of the migrated template), found by the command, and mended by what its report says to run."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

import monitoring_helpers as setup
from runner.cli import main
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from sandbox_helpers import NOWHERE, SHOP, import_entities

CORRUPTED_INDEX = "public.scratch_words_word"


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """`hub db check --json` in this process (as hub_app, like the workers): exit status and report."""
    code = main(["db", "check", "--json", *argv])
    return code, json.loads(capsys.readouterr().out)


def problems(report: dict[str, Any], check_name: str | None = None) -> list[tuple[str, str, str]]:
    return [
        (p["check_name"], p["severity"], p["object"])
        for p in report["problems"]
        if check_name is None or p["check_name"] == check_name
    ]


def corrupt_an_index(admin: psycopg.Connection) -> None:
    """A B-tree index whose pages no longer agree with the order its comparisons give.

    Method (a catalog trick in a scratch table of the test's own database): the index is built
    under the "C" collation, where upper case sorts before lower case ('Banana' < 'apple'); then
    its collation in pg_index.indcollation is switched to ICU's root collation, where 'apple' <
    'Banana'. Nothing on disk changes, but every page now holds its keys out of order -- exactly
    what a glibc upgrade that changes a collation does to real indexes on text, the commonest
    silent index corruption. amcheck compares neighbouring keys with the index's current
    collation and reports "item order invariant violated" (SQLSTATE XX002). Needs a superuser.
    """
    admin.execute('create table public.scratch_words (word text collate "C")')
    admin.execute(
        "insert into public.scratch_words "
        "select w || n from unnest(array['apple', 'Banana', 'cherry', 'Date', 'elder', 'Fig']) w, "
        "generate_series(1, 40) n"
    )
    admin.execute(f"create index scratch_words_word on {CORRUPTED_INDEX.split('.')[0]}.scratch_words (word)")
    admin.execute(
        "update pg_index set indcollation = "
        "(select oid from pg_collation where collname = 'und-x-icu')::text::oidvector where indexrelid = %s::regclass",
        (CORRUPTED_INDEX,),
    )


def order(admin: psycopg.Connection, code: str, total: str | None, lines: list[tuple[str, str]], **kw: Any) -> None:
    """An order of shop 7 created 2026-03-10 with ``total`` and lines (item_type, total_with_vat)."""
    admin.execute("insert into core.shops (shop_id, name) values (7, 'Seven') on conflict do nothing")
    admin.execute(
        "insert into sales.orders (shop_id, code, created_at, total_with_vat, currency, deleted_at) "
        "values (7, %s, '2026-03-10 10:00+01', %s, 'CZK', %s)",
        (code, total, kw.get("deleted_at")),
    )
    for item_id, (item_type, price) in enumerate(lines, 1):
        admin.execute(
            "insert into sales.order_items "
            "(shop_id, order_code, item_id, created_at, item_type, total_with_vat, deleted_at) "
            "values (7, %s, %s, '2026-03-10 10:00+01', %s, %s, %s)",
            (code, item_id, item_type, price, kw.get("line_deleted_at") if item_id == len(lines) else None),
        )


def test_sound_database_passes_every_check(hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, report = check(capsys, "--heapallindexed")
    assert (code, report["status"], report["problems"]) == (0, "ok", [])
    assert [c["check"] for c in report["checks"]] == [
        "btree_index",
        "orphan_order_lines",
        "default_partition",
        "order_totals",
        "premake_partitions",
    ]
    amcheck = report["checks"][0]
    assert int(amcheck["checked"].split()[0]) > 100  # hub, procrastinate, partman and catalog indexes


def test_corrupted_index_is_caught_by_amcheck_and_the_reindex_it_names_mends_it(
    admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt_an_index(admin)
    code, report = check(capsys, "--only", "btree_index")
    assert code == 2 and report["status"] == "critical"
    assert problems(report) == [("btree_index", "critical", CORRUPTED_INDEX)]
    found = report["problems"][0]
    assert "item order invariant violated" in found["detail"] and "XX002" in found["detail"]
    assert found["remedy"].startswith(f"reindex index concurrently {CORRUPTED_INDEX};")
    # what the report says to run: the index is rebuilt under its (new) collation and is sound
    admin.execute(f"reindex index concurrently {CORRUPTED_INDEX}")
    assert check(capsys, "--only", "btree_index")[0] == 0


def test_invalid_index_is_a_warning_not_read_by_amcheck(
    admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # what a failed CREATE INDEX CONCURRENTLY leaves: the index exists, marked invalid
    admin.execute("create table public.scratch_numbers (n int)")
    admin.execute("create index scratch_numbers_n on public.scratch_numbers (n)")
    admin.execute("update pg_index set indisvalid = false where indexrelid = 'public.scratch_numbers_n'::regclass")
    code, report = check(capsys, "--only", "btree_index")
    assert (code, problems(report)) == (1, [("btree_index", "warning", "public.scratch_numbers_n")])
    assert "reindex index concurrently public.scratch_numbers_n" in report["problems"][0]["remedy"]


def test_orphaned_order_lines_are_reported_per_shop_with_their_orders(
    admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    order(admin, "KEPT", "100.00", [("product", "100.00")])
    # the foreign key forbids a line without its order: a session that bypasses it (as pg_restore of
    # some tables or replication does) can still write one
    admin.execute("set session_replication_role = replica")
    admin.execute(
        "insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type) values "
        "(7, 'GONE', 1, '2026-03-10 10:00+01', 'product'), (7, 'GONE', 2, '2026-03-10 10:00+01', 'shipping'), "
        "(7, 'KEPT', 9, '2026-05-10 10:00+02', 'product')"
    )
    admin.execute("reset session_replication_role")
    # archived lines have no foreign key: an order purged by hand leaves them behind
    admin.execute("select ops.ensure_partitions('2019-02-01')")
    admin.execute(
        "insert into archive.order_items (shop_id, order_code, item_id, created_at, item_type) "
        "values (7, 'OLD', 1, '2019-02-01', 'product')"
    )
    code, report = check(capsys, "--skip-amcheck")
    assert code == 2
    assert problems(report, "orphan_order_lines") == [
        ("orphan_order_lines", "critical", "archive.order_items, shop 7"),
        ("orphan_order_lines", "critical", "sales.order_items, shop 7"),
        ("orphan_order_lines", "critical", "sales.order_items, shop 7"),
    ]
    details = [p["detail"] for p in report["problems"] if p["check_name"] == "orphan_order_lines"]
    assert details[0] == "1 line(s) of 1 order(s) without their order in sales.orders; e.g. OLD"
    assert details[1] == "2 line(s) of 1 order(s) without their order in sales.orders; e.g. GONE"
    assert details[2].startswith("1 line(s) of 1 order(s) whose order has another creation time")
    assert all("hub snapshot import --shop 7 --entity orders" in p["remedy"] for p in report["problems"])


def test_row_in_a_default_partition_is_reported_and_maintain_clears_it(
    admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    setup.default_partition_row(admin, lines=3)  # lines dated 2041, beyond every partition made
    code, report = check(capsys, "--skip-amcheck")
    assert (code, problems(report)) == (1, [("default_partition", "warning", "sales.order_items_default")])
    assert report["problems"][0]["detail"] == "3 row(s) in the default partition"
    assert report["problems"][0]["remedy"].startswith("hub db maintain")
    assert main(["db", "maintain"]) == 0
    capsys.readouterr()
    code, report = check(capsys, "--skip-amcheck")
    assert (code, report["problems"]) == (0, [])


def test_orders_whose_lines_do_not_add_up_are_reported_within_the_tolerance(
    admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    # price.withVat = the sum of every item's itemPrice.withVat: products, shipping, billing, discounts
    order(admin, "EXACT", "838.00", [("product", "700.00"), ("shipping", "69.00"), ("billing", "69.00")])
    order(admin, "DISCOUNT", "449.10", [("product", "499.00"), ("discount-coupon", "-49.90")])
    order(
        admin, "ROUNDED", "100.01", [("product", "33.33"), ("product", "33.34"), ("product", "33.33")]
    )  # 0.01 <= 3 x 0.005
    order(
        admin,
        "SET",
        "500.00",
        [("product-set", "500.00"), ("product-set-item", "250.00"), ("product-set-item", "250.00")],
    )
    order(admin, "LINE-GONE", "700.00", [("product", "700.00"), ("shipping", "69.00")], line_deleted_at="2026-03-11")
    order(admin, "DELETED", "900.00", [("product", "1.00")], deleted_at="2026-03-12")
    order(admin, "NO-TOTAL", None, [("product", "1.00")])
    order(admin, "FREE", "0.00", [])
    # what is wrong
    order(admin, "SHORT", "900.00", [("product", "700.00"), ("shipping", "69.00"), ("billing", "69.00")])
    order(admin, "OFF-BY-2", "100.02", [("product", "50.00"), ("product", "50.00")])  # 0.02 > 0.01
    order(admin, "EMPTY", "250.00", [])
    code, report = check(capsys, "--only", "order_totals")
    assert code == 1
    assert problems(report) == [
        ("order_totals", "warning", "sales.orders, shop 7"),
        ("order_totals", "warning", "sales.orders, shop 7"),
    ]
    mismatch, no_lines = (p["detail"] for p in report["problems"])
    assert mismatch == (
        "2 order(s) whose lines do not add up to their total (largest difference 62.00); "
        "e.g. SHORT: 900.00 vs 838.00 CZK; OFF-BY-2: 100.02 vs 100.00 CZK"
    )
    assert no_lines == "1 order(s) with a total but no line; e.g. EMPTY: 250.00 vs 0.00 CZK"


def test_missing_partitions_of_the_premake_window_are_reported_and_maintain_makes_them(
    admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    quarters = admin.execute(
        "select to_char(date_trunc('quarter', now() at time zone 'UTC') + i * interval '3 months', 'YYYY\"q\"Q') "
        "from generate_series(0, 1) i order by i"
    ).fetchall()
    this_quarter, next_quarter = (q[0] for q in quarters)
    for quarter in (this_quarter, next_quarter):
        admin.execute(f"drop table sales.order_items_p{quarter}")
    code, report = check(capsys, "--only", "premake_partitions")
    assert code == 2
    assert problems(report) == [
        ("premake_partitions", "critical", f"sales.order_items, {this_quarter}"),
        ("premake_partitions", "warning", f"sales.order_items, {next_quarter}"),
    ]
    assert main(["db", "maintain"]) == 0
    capsys.readouterr()
    assert check(capsys, "--only", "premake_partitions")[0] == 0


def test_unknown_check_is_refused_with_the_known_ones(
    capsys: pytest.CaptureFixture[str], hub_env: dict[str, str]
) -> None:
    assert main(["db", "check", "--only", "btree_index,fsck"]) == 1
    err = capsys.readouterr().err
    assert "unknown check(s) fsck" in err and "known: btree_index, orphan_order_lines" in err


def test_text_report_names_each_problem_and_what_to_run(
    admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    corrupt_an_index(admin)
    setup.default_partition_row(admin)
    assert main(["db", "check", "--quiet"]) == 2
    out = capsys.readouterr().out
    assert "integrity: 2 problem(s), critical" in out
    assert "CRITICAL  btree_index  " + CORRUPTED_INDEX in out and "WARNING  default_partition  " in out
    assert "what to do: reindex index concurrently" in out and "what to do: hub db maintain" in out


def test_db_check_says_unknown_when_the_database_does_not_answer(
    hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql://hub_app@127.0.0.1:9/hub?connect_timeout=2")
    code, report = check(capsys)
    assert code == 3 and report["status"] == "unknown" and "cannot connect" in report["error"]


@pytest.mark.sandbox(scale=0.00002, seed=11, job_seconds=0.1, webhook_retry_delay=0.05)
@pytest.mark.shop(env={"HUB_PUBLIC_URL": NOWHERE})
def test_remote_counts_match_shoptet_after_an_import_and_name_each_difference(
    shop: Config, sandbox: Sandbox, db: Target, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    import_entities(shop, db, ["customers", "products", "orders"])
    code, report = check(capsys, "--remote", "--skip-amcheck")
    assert (code, report["problems"]) == (0, [])
    assert (
        report["checks"][-1]["check"] == "remote_counts" and report["checks"][-1]["checked"] == "1 shop(s) x 3 entities"
    )

    # Shoptet deletes an order the hub has not heard of yet; the hub lost two customers
    gone = admin.execute("select code from sales.orders where shop_id = %s order by code limit 1", (SHOP,)).fetchone()
    assert gone is not None
    sandbox.remove(SHOP, "orders", [gone[0]], webhooks=False)
    admin.execute(
        "update sales.customers set deleted_at = now() where (shop_id, guid) in "
        "(select shop_id, guid from sales.customers where shop_id = %s order by guid limit 2)",
        (SHOP,),
    )
    held = dict(
        admin.execute(
            "select 'orders', count(*) from sales.orders where shop_id = %s and deleted_at is null "
            "union all select 'customers', count(*) from sales.customers where shop_id = %s "
            "and deleted_at is null",
            (SHOP, SHOP),
        ).fetchall()
    )
    code, report = check(capsys, "--only", "remote_counts", "--shop", str(SHOP))
    assert code == 1
    assert problems(report) == [
        ("remote_counts", "warning", f"shop {SHOP} customers"),
        ("remote_counts", "warning", f"shop {SHOP} orders"),
    ]
    customers, orders = (p["detail"] for p in report["problems"])
    assert customers.startswith(f"the hub holds {held['customers']}, Shoptet {held['customers'] + 2} (-2)")
    assert orders.startswith(f"the hub holds {held['orders']}, Shoptet {held['orders'] - 1} (+1)")
    assert report["problems"][1]["remedy"].startswith(f"hub sync --shop {SHOP} --entity orders")

    # a shop whose token is gone cannot be asked: said per entity, not a crash
    admin.execute("insert into core.shops (shop_id, name) values (77, 'No token')")
    code, report = check(capsys, "--only", "remote_counts", "--shop", "77")
    assert code == 1
    assert [p["object"] for p in report["problems"]] == ["shop 77 customers", "shop 77 orders", "shop 77 products"]
    assert all(
        p["detail"].startswith("could not ask Shoptet: ") and "credentials" in p["detail"] for p in report["problems"]
    )
