"""The benchmark data generator (`hub bench generate`) at a tiny scale: deterministic and
production-shaped, consistent (totals, partitions, archive), on a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from bench.generate import BENCH_SHOPS, generate
from conftest import _conninfo
from runner.db import Target, target_for_conninfo

SCALE = 0.002
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)

# every generated column except the ones that say when the hub wrote the row
CHECKSUMS = {
    "sales.orders": "select md5(string_agg(t::text, '|' order by shop_id, code)) from "
    "(select shop_id, code, guid, created_at, changed_at, status_id, status_name, email, full_name, "
    "customer_guid, paid, total_with_vat, total_without_vat, total_vat, to_pay, currency, "
    "exchange_rate, shipping_name, payment_method_name, billing_address, deleted_at "
    "from sales.orders where shop_id = any(%(s)s)) t",
    "order items": "select md5(string_agg(t::text, '|' order by shop_id, order_code, item_id)) from "
    "(select shop_id, order_code, item_id, created_at, item_type, product_guid, code, name, amount, "
    "unit_price_with_vat, unit_price_without_vat, total_with_vat, total_without_vat, vat_rate, "
    "purchase_price, status_id from sales.order_items_all where shop_id = any(%(s)s)) t",
    "sales.customers": "select md5(string_agg(t::text, '|' order by shop_id, guid)) from "
    "(select shop_id, guid, email, full_name, phone, billing_address, created_at, changed_at, "
    "deleted_at from sales.customers where shop_id = any(%(s)s)) t",
    "catalog.variants": "select md5(string_agg(t::text, '|' order by shop_id, code)) from "
    "(select shop_id, code, product_guid, ean, stock, price, purchase_price "
    "from catalog.variants where shop_id = any(%(s)s)) t",
    "analytics.customer_metrics": "select md5(string_agg(t::text, '|' order by shop_id, customer_key)) from "
    "(select shop_id, customer_key, customer_guid, orders_count, total_spent "
    "from analytics.customer_metrics where shop_id = any(%(s)s)) t",
}


def _checksums(conn: psycopg.Connection) -> dict[str, str]:
    out = {}
    for name, sql in CHECKSUMS.items():
        row = conn.execute(sql, {"s": list(BENCH_SHOPS)}).fetchone()
        assert row is not None and row[0] is not None, name
        out[name] = row[0]
    return out


@pytest.fixture(scope="module")
def gen_db(postgresql_noproc: Any) -> Iterator[Target]:
    """One database for the module, copied from the migrated template and generated once
    (the tests below only read it; the determinism test regenerates in its own database)."""
    server = _conninfo(postgresql_noproc.host, postgresql_noproc.port, postgresql_noproc.user, "postgres")
    name = "hub_test_bench_generate"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name}")
        conn.execute(f"create database {name} template {postgresql_noproc.template_dbname}")
    target = target_for_conninfo(psycopg.conninfo.make_conninfo(server, dbname=name))
    generate(target, scale=SCALE, seed=7, as_of=AS_OF, echo=False)
    yield target
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


@pytest.fixture
def generated(gen_db: Target) -> Iterator[psycopg.Connection]:
    with psycopg.connect(gen_db.admin, autocommit=True) as conn:
        yield conn


def test_same_seed_gives_identical_data_and_another_seed_does_not(
    db: Target, admin: psycopg.Connection, generated: psycopg.Connection
) -> None:
    first = _checksums(generated)
    generate(db, scale=SCALE, seed=7, as_of=AS_OF, echo=False, parallel=1)  # another database, one connection
    assert _checksums(admin) == first
    generate(db, scale=SCALE, seed=7, as_of=AS_OF, echo=False)  # regenerates: clears the shops' rows first
    assert _checksums(admin) == first
    generate(db, scale=SCALE, seed=8, as_of=AS_OF, echo=False)
    other = _checksums(admin)
    assert other["sales.orders"] != first["sales.orders"]
    assert other["order items"] != first["order items"]


def test_three_shops_one_master_at_the_seeds_proportions(generated: psycopg.Connection) -> None:
    shops = generated.execute(
        "select shop_id, is_master, master_shop_id from core.shops where shop_id = any(%s) order by shop_id",
        [list(BENCH_SHOPS)],
    ).fetchall()
    assert shops == [(900001, True, None), (900002, False, 900001), (900003, False, 900001)]
    orders, customers, items = generated.execute(
        "select (select count(*) from sales.orders), (select count(*) from sales.customers),"
        " (select count(*) from sales.order_items_all)"
    ).fetchone()
    assert orders == pytest.approx(1_400_000 * SCALE, rel=0.01)
    assert customers == pytest.approx(661_000 * SCALE, rel=0.01)
    assert items / orders == pytest.approx(5.9, abs=0.35)


def test_about_a_third_are_guest_orders_with_an_email(generated: psycopg.Connection) -> None:
    guests, total, guests_without_email = generated.execute(
        "select count(*) filter (where customer_guid is null), count(*),"
        " count(*) filter (where customer_guid is null and email is null) from sales.orders"
    ).fetchone()
    assert 0.25 <= guests / total <= 0.42
    assert guests_without_email == 0


def test_orders_per_customer_are_heavy_tailed(generated: psycopg.Connection) -> None:
    one, most = generated.execute(
        "select avg((n = 1)::int), max(n) from (select count(*) n from sales.orders"
        " where customer_guid is not null group by shop_id, customer_guid) c"
    ).fetchone()
    assert 0.6 <= one <= 0.9  # most customers order once ...
    assert most >= 8  # ... a few very often


def test_december_is_the_busiest_month(generated: psycopg.Connection) -> None:
    rows = generated.execute(
        "select extract(month from created_at)::int as month,"
        " count(*)::float / count(distinct created_at::date) as per_day"
        " from sales.orders group by 1 order by 2 desc"
    ).fetchall()
    assert rows[0][0] == 12, rows


def test_statuses_include_cancelled_and_currencies_czk_and_eur(generated: psycopg.Connection) -> None:
    statuses = dict(generated.execute("select status_id, min(status_name) from sales.orders group by 1").fetchall())
    assert statuses[-4] == "Stornována" and statuses[-2] == "Vyřízená" and statuses[-1] == "Nevyřízená"
    rates = dict(generated.execute("select currency, min(exchange_rate) from sales.orders group by 1").fetchall())
    assert set(rates) == {"CZK", "EUR"}
    assert rates["CZK"] == 1 and 20 < rates["EUR"] < 30


def test_every_item_type_is_present(generated: psycopg.Connection) -> None:
    types = {r[0] for r in generated.execute("select distinct item_type from sales.order_items_all")}
    assert {"product", "shipping", "billing", "discount-coupon"} <= types


def test_order_totals_equal_the_sum_of_their_items(generated: psycopg.Connection) -> None:
    mismatched, orders_without_items = generated.execute(
        """select count(*) filter (where i.total is distinct from o.total_with_vat
                                      or i.total_without is distinct from o.total_without_vat),
                  count(*) filter (where i.total is null)
           from sales.orders o
           left join (select shop_id, order_code, sum(total_with_vat) total, sum(total_without_vat) total_without
                      from sales.order_items_all group by 1, 2) i
                  on i.shop_id = o.shop_id and i.order_code = o.code"""
    ).fetchone()
    assert (mismatched, orders_without_items) == (0, 0)


def test_old_lines_are_archived_the_rest_in_quarterly_partitions_and_the_default_is_empty(
    generated: psycopg.Connection,
) -> None:
    hot_from = generated.execute("select ops.order_items_hot_from()").fetchone()[0]
    hot_too_old, archive_too_new, archived = generated.execute(
        "select (select count(*) from sales.order_items where created_at < %(h)s),"
        " (select count(*) from archive.order_items where created_at >= %(h)s),"
        " (select count(*) from archive.order_items)",
        {"h": hot_from},
    ).fetchone()
    assert (hot_too_old, archive_too_new) == (0, 0)
    assert archived > 0
    # every line sits in the partition named for its quarter
    misplaced = generated.execute(
        """select count(*) from (select tableoid::regclass::text as part, created_at from sales.order_items
                                 union all
                                 select tableoid::regclass::text, created_at from archive.order_items) t
           where split_part(t.part, '.', 2) <> ops.quarter_partition_name('order_items', t.created_at)"""
    ).fetchone()[0]
    assert misplaced == 0
    assert generated.execute("select count(*) from sales.order_items_default").fetchone()[0] == 0
    assert generated.execute("select coalesce(sum(row_count), 0) from ops.default_partition_rows").fetchone()[0] == 0


def test_customer_emails_are_unique_per_shop_stored_normalised_and_some_typed_mixed_case(
    generated: psycopg.Connection,
) -> None:
    dupes, mixed, unnormalised, total = generated.execute(
        "select count(*) - count(distinct (shop_id, email)), count(*) filter (where accounts->0->>'email' <> email),"
        " count(*) filter (where email is distinct from core.normalize_email(email)), count(*) from sales.customers"
    ).fetchone()
    assert dupes == 0 and unnormalised == 0
    assert 0 < mixed < total
    shop, email = generated.execute(
        "select shop_id, email from sales.customers where deleted_at is null order by guid limit 1"
    ).fetchone()
    found = generated.execute(
        "select count(*) from sales.customer_by_email(%s, %s)", [shop, "  " + email.upper() + " "]
    ).fetchone()[0]
    assert found == 1


def test_catalogue_has_products_with_variants_stock_prices_and_suppliers(generated: psycopg.Connection) -> None:
    variants, with_stock, priced, supplied = generated.execute(
        """select count(*), count(v.stock), count(v.purchase_price), count(s.guid)
           from catalog.variants v
           join catalog.products p on p.shop_id = v.shop_id and p.guid = v.product_guid
           left join catalog.suppliers s on s.shop_id = p.shop_id and s.guid = p.supplier_guid"""
    ).fetchone()
    assert variants > 0 and with_stock == variants and priced == variants and supplied == variants
    assert generated.execute("select count(*) from catalog.products where is_variant").fetchone()[0] > 0
    # the other shops sell codes of the master's catalogue
    shared = generated.execute(
        "select count(*) from catalog.variants v where v.shop_id = 900002"
        " and exists (select from catalog.variants m where m.shop_id = 900001 and m.code = v.code)"
    ).fetchone()[0]
    assert shared > 0


def test_customer_metrics_are_refreshed(generated: psycopg.Connection) -> None:
    # one row per customer key with a counted order (not deleted, not cancelled: status -4)
    metrics, buyers = generated.execute(
        "select (select count(*) from analytics.customer_metrics),"
        " (select count(distinct (shop_id, customer_key)) from sales.orders"
        "  where deleted_at is null and customer_key is not null and status_id is distinct from -4)"
    ).fetchone()
    assert metrics == buyers > 0


def test_regenerating_deletes_only_the_bench_shops_rows(db: Target, admin: psycopg.Connection) -> None:
    from commerce_data import fill

    fill(admin, shop=1, orders=300, customers=50)
    before = admin.execute("select count(*) from sales.order_items_all where shop_id = 1").fetchone()[0]
    generate(db, scale=SCALE, seed=7, as_of=AS_OF, echo=False)
    generate(db, scale=SCALE, seed=7, as_of=AS_OF, echo=False)  # others have data: deletes, does not truncate
    assert admin.execute("select count(*) from sales.order_items_all where shop_id = 1").fetchone()[0] == before
    orders = admin.execute("select count(*) from sales.orders where shop_id = any(%s)", [list(BENCH_SHOPS)]).fetchone()[
        0
    ]
    assert orders == pytest.approx(1_400_000 * SCALE, rel=0.01)


ODD_SHOP = 424242
# order codes are strings: a shop's own format, letters only, and digits beyond bigint
ODD_CODES = ["E-2025-00488", "OBJ-A", "123456789012345678901234"]


def test_generate_works_when_another_shop_has_order_codes_that_are_not_numbers(
    db: Target, admin: psycopg.Connection, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from runner import cli

    admin.execute("insert into core.shops (shop_id, name) values (%s, 'odd codes')", [ODD_SHOP])
    admin.execute("select ops.ensure_partitions(now() - interval '3 years', now())")
    for n, code in enumerate(ODD_CODES):
        created = "2026-03-10 10:15:00+01"
        admin.execute(
            "insert into sales.orders (shop_id, code, created_at, total_with_vat, currency)"
            " values (%s, %s, %s, 499.00, 'CZK')",
            [ODD_SHOP, code, created],
        )
        admin.execute(
            "insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type, name,"
            " amount, total_with_vat) values (%s, %s, %s, %s, 'product', 'Tričko', 1, 499.00)",
            [ODD_SHOP, code, n + 1, created],
        )
    admin.execute(
        "insert into archive.order_items (shop_id, order_code, item_id, created_at, item_type, name)"
        " select %s, 'A-2023-7', 1, ops.order_items_hot_from() - interval '1 day', 'product', 'old'",
        [ODD_SHOP],
    )

    assert cli.main(["bench", "generate", "--scale", str(SCALE), "--no-record"]) == 0
    assert "invalid input syntax" not in capsys.readouterr().err
    orders = admin.execute("select count(*) from sales.orders where shop_id = any(%s)", [list(BENCH_SHOPS)]).fetchone()[
        0
    ]
    assert orders == pytest.approx(1_400_000 * SCALE, rel=0.01)
    # the other shop is untouched
    kept = admin.execute(
        "select array_agg(code order by code) from sales.orders where shop_id = %s", [ODD_SHOP]
    ).fetchone()[0]
    assert kept == sorted(ODD_CODES)
    assert (
        admin.execute("select count(*) from sales.order_items_all where shop_id = %s", [ODD_SHOP]).fetchone()[0]
        == len(ODD_CODES) + 1
    )
