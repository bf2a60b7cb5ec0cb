"""Inventory intelligence: analytics.variant_metrics and analytics.purchase_recommendations on
hand-made data whose figures are worked out by hand below (comments show the arithmetic), and
the incremental refresh against a full one."""

from __future__ import annotations

import math
import os
import random
import subprocess
import time
from datetime import date, timedelta
from decimal import Decimal
from statistics import NormalDist
from typing import Any

import orjson
import psycopg
import pytest

from runner import tasks
from runner.config import REPO_ROOT
from runner.db import Target
from runner.shoptet import ingest

SHOP = 41
TZ = "Europe/Prague"
Z95 = 1.6448536269514722  # Phi^-1(0.95), tables: 1.645


def today(conn: psycopg.Connection) -> date:
    return conn.execute("select (now() at time zone %s)::date", [TZ]).fetchone()[0]


CATALOG = """
        insert into catalog.suppliers (shop_id, guid, name, lead_time_days, ordering_cost, holding_cost_rate) values
            (%(s)s, '00000000-0000-0000-0000-00000000000a', 'Alfa', 9, 400, 0.2),
            (%(s)s, '00000000-0000-0000-0000-00000000000b', 'Beta', null, null, null);
        insert into catalog.products (shop_id, guid, name, supplier_guid) values
            (%(s)s, '00000000-0000-0000-0000-0000000000a1', 'with Alfa', '00000000-0000-0000-0000-00000000000a'),
            (%(s)s, '00000000-0000-0000-0000-0000000000b1', 'with Beta', '00000000-0000-0000-0000-00000000000b'),
            (%(s)s, '00000000-0000-0000-0000-0000000000c1', 'no supplier', null);
        insert into catalog.variants (shop_id, code, product_guid, stock, purchase_price) values
            (%(s)s, 'A', '00000000-0000-0000-0000-0000000000a1', 10, 50),
            (%(s)s, 'E', '00000000-0000-0000-0000-0000000000a1', -200, 50),
            (%(s)s, 'B', '00000000-0000-0000-0000-0000000000a1', 5, 50),
            (%(s)s, 'N', '00000000-0000-0000-0000-0000000000a1', 5, null),
            (%(s)s, 'S', '00000000-0000-0000-0000-0000000000a1', 100, 50),
            (%(s)s, 'Y', '00000000-0000-0000-0000-0000000000a1', 100, 50),
            (%(s)s, 'C', '00000000-0000-0000-0000-0000000000c1', 7, 50),
            (%(s)s, 'D', '00000000-0000-0000-0000-0000000000b1', 7, 50),
            (%(s)s, 'U', '00000000-0000-0000-0000-0000000000c1', null, 50);
        """


@pytest.fixture
def shop(admin: psycopg.Connection) -> date:
    """Shop 41 (Prague) with suppliers, products and variants; returns its local today."""
    admin.execute("insert into core.shops (shop_id, name, timezone) values (%s, 'Inventory', %s)", [SHOP, TZ])
    for statement in CATALOG.split(";"):
        if statement.strip():
            admin.execute(statement, {"s": SHOP})
    return today(admin)


_order_no = iter(range(1, 1_000_000))


def sell(
    admin: psycopg.Connection,
    day: date,
    lines: list[tuple[str | None, float, str]],
    *,
    at: str = "12:00",
    status: int = -2,
    deleted: bool = False,
) -> str:
    """One order at local time `at` of `day` with lines (variant code, amount, item type)."""
    code = f"O{next(_order_no)}"
    admin.execute(
        """
        insert into sales.orders (shop_id, code, created_at, status_id, deleted_at)
        values (%(s)s, %(c)s, (%(d)s::date + %(t)s::time) at time zone %(tz)s, %(st)s,
                case when %(del)s then now() end)
        """,
        {"s": SHOP, "c": code, "d": day, "t": at, "tz": TZ, "st": status, "del": deleted},
    )
    for n, (variant, amount, kind) in enumerate(lines, 1):
        admin.execute(
            """
            insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type, code, amount)
            select shop_id, code, %(n)s, created_at, %(k)s, %(v)s, %(a)s from sales.orders
            where shop_id = %(s)s and code = %(c)s
            """,
            {"s": SHOP, "c": code, "n": n, "k": kind, "v": variant, "a": amount},
        )
    return code


def refresh(conn: psycopg.Connection, as_of: date | None = None, *, full: bool = False) -> dict[str, Any]:
    return conn.execute(
        "select analytics.refresh_variant_metrics(%s, p_full => %s, p_as_of => %s)", [SHOP, full, as_of]
    ).fetchone()[0]


def metrics(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    cur = conn.execute("select * from analytics.variant_metrics where shop_id = %s", [SHOP])
    names = [c.name for c in cur.description or []]
    return {row[1]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def recommendations(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    cur = conn.execute("select * from analytics.purchase_recommendations(%s)", [SHOP])
    names = [c.name for c in cur.description or []]
    return {row[1]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def close(value: Any, expected: float, places: int) -> bool:
    return value is not None and abs(float(value) - expected) <= 0.5 * 10**-places + 1e-12


def test_normal_quantile_is_wichura_as241(admin: psycopg.Connection) -> None:
    for p in (0.5, 0.8, 0.9, 0.95, 0.975, 0.99, 0.999, 1e-10, 0.02, 0.3):
        z = admin.execute("select analytics.normal_quantile(%s)", [p]).fetchone()[0]
        assert z == pytest.approx(NormalDist().inv_cdf(p), abs=1e-12)
    assert admin.execute("select analytics.normal_quantile(0.95)").fetchone()[0] == pytest.approx(Z95, abs=1e-15)
    for bad in (0, 1, 1.5):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="between 0 and 1"):
            admin.execute("select analytics.normal_quantile(%s)", [bad])


def test_safety_stock_reorder_point_and_eoq_match_hand_computed_values(admin: psycopg.Connection, shop: date) -> None:
    # A (and E, sold alongside): 2 units on each of the 45 days before today, nothing on the 45
    # days before those. Lines that must not count: a cancelled and a deleted order, a discount
    # and a bazar line, today's sale, one 91 days back, and one at 00:30 local time today (the
    # previous day in UTC).
    for k in range(1, 46):
        sell(admin, shop - timedelta(days=k), [("A", 1, "product"), ("E", 2, "product"), ("A", 1, "product")])
    sell(admin, shop - timedelta(days=3), [("A", 50, "product")], status=-4)
    sell(admin, shop - timedelta(days=3), [("A", 50, "product")], deleted=True)
    sell(admin, shop - timedelta(days=3), [("A", -5, "discount-coupon"), ("A", 5, "bazar"), (None, 1, "product")])
    sell(admin, shop, [("A", 50, "product")], at="09:00")
    sell(admin, shop, [("A", 50, "product")], at="00:30")
    sell(admin, shop - timedelta(days=91), [("A", 50, "product")], at="23:30")
    refresh(admin, shop)
    a = metrics(admin)["A"]

    # units per day: 7 d: 14 / 7 = 2; 30 d: 60 / 30 = 2; 90 d: 90 / 90 = 1
    assert (a["units_per_day_7d"], a["units_per_day_30d"], a["units_per_day_90d"]) == (2, 2, 1)
    # sigma: sum x = 90, sum x^2 = 45 * 4 = 180; (180 - 90^2 / 90) / 89 = 90 / 89; sqrt = 1.0056023
    assert a["demand_stddev"] == Decimal("1.0056")
    assert a["sale_days_90d"] == 45
    # z(0.95) = 1.6448536; safety stock = 1.6448536 * 1.0056023 * sqrt(9) = 4.962206
    assert a["lead_time_days"] == 9 and a["lead_time_source"] == "supplier"
    assert a["z"] == Decimal("1.6449")
    assert a["safety_stock"] == Decimal("4.962")
    # reorder point = 1 * 9 + 4.962206 = 13.962
    assert a["reorder_point"] == Decimal("13.962")
    # D = 365 * 1; H = 0.2 * 50 = 10 CZK a unit-year; EOQ = sqrt(2 * 365 * 400 / 10) = sqrt(29200) = 170.880
    assert a["annual_demand"] == 365 and a["holding_cost"] == 10 and a["ordering_cost"] == 400
    assert a["eoq"] == Decimal("170.880")
    # 10 units at 1 a day
    assert a["days_of_stock_left"] == 10
    # anomaly z = (2 - 1) / (1.0056023 / sqrt(7)) = 2.63; under 3
    assert a["anomaly_z"] == Decimal("2.63") and a["anomaly"] is False
    assert a["order_now"] is True
    # the same by formula, from the inputs (guards the hand arithmetic above)
    sigma = math.sqrt(90 / 89)
    assert close(a["safety_stock"], Z95 * sigma * 3, 3)
    assert close(a["reorder_point"], 9 + Z95 * sigma * 3, 3)
    assert close(a["eoq"], math.sqrt(2 * 365 * 400 / 10), 3)

    e = metrics(admin)["E"]
    assert e["units_per_day_90d"] == 1 and e["reorder_point"] == Decimal("13.962")
    assert e["days_of_stock_left"] == 0  # stock -200: oversold

    recs = recommendations(admin)
    # (s, nQ): Q = ceil(170.880) = 171; A: floor((13.962 - 10) / 171) + 1 = 1 lot
    assert recs["A"]["quantity"] == 171
    assert "stock 10 is at or below the reorder point 13.962" in recs["A"]["reason"]
    # E: floor((13.962 + 200) / 171) + 1 = 2 lots = 342
    assert recs["E"]["quantity"] == 342


def test_service_level_setting_changes_z_without_a_refresh(admin: psycopg.Connection, shop: date) -> None:
    for k in range(1, 46):
        sell(admin, shop - timedelta(days=k), [("A", 2, "product")])
    refresh(admin, shop)
    admin.execute("select core.setting_set('inventory.service_level', '0.99'::jsonb, %s)", [SHOP])
    a = metrics(admin)["A"]
    # z(0.99) = 2.3263479; 2.3263479 * 1.0056023 * 3 = 7.018
    assert a["z"] == Decimal("2.3263") and a["safety_stock"] == Decimal("7.018")
    admin.execute("select core.setting_set('inventory.service_level', '\"0.9\"'::jsonb, %s)", [SHOP])
    # typed as text by `hub settings set`: read as a number; z(0.9) = 1.2815516 -> 3.866
    assert metrics(admin)["A"]["safety_stock"] == Decimal("3.866")
    admin.execute("select core.setting_set('inventory.service_level', '\"high\"'::jsonb, %s)", [SHOP])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"inventory.service_level of shop 41 .*number"):
        metrics(admin)
    admin.execute("select core.setting_set('inventory.service_level', '1.2'::jsonb, %s)", [SHOP])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"inventory.service_level of shop 41 .*1.2"):
        metrics(admin)


def test_variant_without_sales_gets_nulls_and_a_reason(admin: psycopg.Connection, shop: date) -> None:
    sell(admin, shop - timedelta(days=120), [("B", 3, "product")])  # older than the 90 days
    refresh(admin, shop)
    b = metrics(admin)["B"]
    assert (b["units_per_day_7d"], b["units_per_day_90d"], b["demand_stddev"]) == (0, 0, 0)
    for column in ("safety_stock", "reorder_point", "eoq", "days_of_stock_left", "order_now", "anomaly"):
        assert b[column] is None, column
    assert b["note"].startswith("no sales in the last 90 days")
    assert "B" not in recommendations(admin)


def test_variant_without_lead_time_gets_nulls_and_a_reason_until_a_default_is_set(
    admin: psycopg.Connection, shop: date
) -> None:
    for k in range(1, 11):
        sell(admin, shop - timedelta(days=k), [("C", 1, "product"), ("D", 1, "product")])
    refresh(admin, shop)
    m = metrics(admin)
    for code, why in (("C", "no supplier and no default lead time"), ("D", "supplier Beta has no lead time")):
        assert m[code]["units_per_day_90d"] == Decimal("0.1111")
        assert m[code]["lead_time_days"] is None
        assert m[code]["safety_stock"] is None and m[code]["reorder_point"] is None and m[code]["order_now"] is None
        assert why in m[code]["note"]
        # 7 units at 10 / 90 a day: 63 days
        assert m[code]["days_of_stock_left"] == 63
    recs = recommendations(admin)
    assert recs["C"]["quantity"] is None and recs["C"]["reason"].startswith("cannot tell")
    assert "catalog.suppliers.lead_time_days of Beta" in recs["D"]["reason"]
    # newcomer finding 13: each "cannot tell" reason names the command that fixes it
    for code in ("C", "D"):
        assert f"run hub settings set inventory.lead_time_days 7 --type integer --shop {SHOP}" in recs[code]["reason"]

    admin.execute("select core.setting_set('inventory.lead_time_days', '30'::jsonb)")
    m = metrics(admin)
    assert m["C"]["lead_time_days"] == 30 and m["C"]["lead_time_source"] == "setting"
    assert "no supplier: lead time from setting" in m["C"]["note"]
    # reorder point = 10 / 90 * 30 + z * sigma * sqrt(30); sigma: 10 ones in 90 days
    sigma = math.sqrt((10 - 100 / 90) / 89)
    assert close(m["C"]["reorder_point"], 10 / 90 * 30 + Z95 * sigma * math.sqrt(30), 3)
    # no ordering cost anywhere for D's supplier Beta: no EOQ, and the order advice says so
    assert m["D"]["eoq"] is None and "no ordering cost" in m["D"]["note"]
    admin.execute("update catalog.variants set stock = 1 where shop_id = %s and code = 'D'", [SHOP])  # read live
    recs = recommendations(admin)
    assert recs["D"]["quantity"] is None and "quantity unknown: no ordering cost" in recs["D"]["reason"]
    assert f"run hub settings set inventory.ordering_cost 500 --type integer --shop {SHOP}" in recs["D"]["reason"]
    admin.execute("select core.setting_set('inventory.ordering_cost', '250'::jsonb, %s)", [SHOP])
    assert recommendations(admin)["D"]["quantity"] > 0


def test_variant_without_purchase_price_or_tracked_stock(admin: psycopg.Connection, shop: date) -> None:
    for k in range(1, 11):
        sell(admin, shop - timedelta(days=k), [("N", 1, "product"), ("U", 1, "product")])
    refresh(admin, shop)
    m = metrics(admin)
    assert m["N"]["eoq"] is None and "no purchase price" in m["N"]["note"]
    assert m["N"]["reorder_point"] is not None
    assert m["U"]["days_of_stock_left"] is None and m["U"]["order_now"] is None
    assert "stock not tracked" in m["U"]["note"]
    assert "U" not in recommendations(admin)


def test_anomaly_when_the_last_week_is_far_above_the_90_days(admin: psycopg.Connection, shop: date) -> None:
    # Y: 1 a day on days 8..90 back, 10 a day on the last 7: sum 153, sum x^2 = 83 + 700 = 783;
    # sigma = sqrt((783 - 153^2 / 90) / 89) = sqrt(522.9 / 89) = 2.423898; mean 1.7;
    # z = (10 - 1.7) / (2.423898 / sqrt(7)) = 9.06
    for k in range(1, 91):
        sell(admin, shop - timedelta(days=k), [("Y", 10 if k <= 7 else 1, "product")])
    # C: one sale in the 90 days, in the last week: a z over 3 but too few sale days to judge
    sell(admin, shop - timedelta(days=2), [("C", 1, "product")])
    refresh(admin, shop)
    m = metrics(admin)
    assert m["Y"]["demand_stddev"] == Decimal("2.4239")
    assert m["Y"]["anomaly_z"] == Decimal("9.06") and m["Y"]["anomaly"] is True
    assert m["C"]["anomaly_z"] > 3 and m["C"]["anomaly"] is None
    assert "anomaly not assessed" in m["C"]["note"]


def test_seasonality_index_by_simple_averages(admin: psycopg.Connection, shop: date) -> None:
    # S: on the 15th of each of the 14 complete months before this one, units = days in that
    # month x 2 in December, x 1 otherwise: 1 a day, 2 a day in December. Mean of the 12
    # calendar-month rates = 13 / 12: December 2 / (13/12) = 24/13 = 1.846, others 12/13 = 0.923.
    # Y: the same over 11 months only: no seasonality.
    month0 = shop.replace(day=1)
    for back in range(1, 15):
        first = (month0 - timedelta(days=1)).replace(day=1)
        for _ in range(back - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        days = ((first + timedelta(days=32)).replace(day=1) - first).days
        sell(admin, first.replace(day=15), [("S", days * (2 if first.month == 12 else 1), "product")])
        if back <= 11:
            sell(admin, first.replace(day=15), [("Y", days, "product")])
    refresh(admin, shop)
    m = metrics(admin)
    assert m["S"]["history_months"] == 14
    assert m["S"]["seasonality"] == [Decimal("0.923")] * 11 + [Decimal("1.846")]
    assert m["S"]["seasonality_index"] == m["S"]["seasonality"][shop.month - 1]
    assert m["Y"]["history_months"] == 11 and m["Y"]["seasonality"] is None
    assert "less than 12 months" in m["Y"]["note"]


def test_custom_cancelled_status_is_left_out(admin: psycopg.Connection, shop: date) -> None:
    sell(admin, shop - timedelta(days=1), [("A", 9, "product")], status=17)
    sell(admin, shop - timedelta(days=1), [("A", 9, "product")], status=-4)
    sell(admin, shop - timedelta(days=1), [("A", 1, "product")], status=-2)
    assert refresh(admin, shop)["mode"] == "full"
    assert metrics(admin)["A"]["units_per_day_7d"] == Decimal("1.4286")  # (9 + 1) / 7
    admin.execute("select core.setting_set('analytics.cancelled_status_ids', '[-4, 17]'::jsonb, %s)", [SHOP])
    result = refresh(admin, shop)
    assert (result["mode"], result["reason"]) == ("full", "cancelled statuses changed")
    assert metrics(admin)["A"]["units_per_day_7d"] == Decimal("0.1429")  # 1 / 7


def test_a_refresh_does_not_block_readers(db: Target, admin: psycopg.Connection, shop: date) -> None:
    sell(admin, shop - timedelta(days=1), [("A", 7, "product")])
    refresh(admin, shop)
    sell(admin, shop - timedelta(days=1), [("A", 7, "product")])
    with psycopg.connect(db.app) as writer, psycopg.connect(db.readonly, autocommit=True) as reader:
        refresh(writer, shop, full=True)  # not committed yet
        reader.execute("set lock_timeout = '200ms'")
        assert metrics(reader)["A"]["units_per_day_7d"] == 1  # the previous rows, at once
        writer.commit()
        assert metrics(reader)["A"]["units_per_day_7d"] == 2


# -- incremental refresh -----------------------------------------------------------------------

CODES = [f"V{n:03d}" for n in range(120)]


def order_doc(code: str, created: str, status: int, lines: list[tuple[str, float]]) -> bytes:
    return orjson.dumps(
        {
            "code": code,
            "creationTime": created,
            "changeTime": None,
            "email": "x@example.cz",
            "status": {"id": status, "name": str(status)},
            "price": {"withVat": "1.00", "currencyCode": "CZK", "exchangeRate": "1"},
            "items": [
                {"itemId": n, "itemType": "product", "code": variant, "amount": f"{amount:.3f}", "name": variant}
                for n, (variant, amount) in enumerate(lines, 1)
            ]
            + [{"itemId": 99, "itemType": "shipping", "name": "PPL", "amount": "1"}],
        }
    )


def stored(conn: psycopg.Connection) -> list[tuple[Any, ...]]:
    return conn.execute(
        "select * from analytics.variant_demand where shop_id = %s order by variant_code", [SHOP]
    ).fetchall()


@pytest.mark.parametrize("seed", [13, 14])
def test_incremental_refresh_equals_a_full_refresh_after_random_changes(
    db: Target, admin: psycopg.Connection, seed: int
) -> None:
    rng = random.Random(seed)
    admin.execute("insert into core.shops (shop_id, name, timezone) values (%s, 'Random', %s)", [SHOP, TZ])
    admin.execute(
        "insert into catalog.products (shop_id, guid, name) values (%s, '00000000-0000-0000-0000-0000000000f1', 'p')",
        [SHOP],
    )
    admin.execute(
        """insert into catalog.variants (shop_id, code, product_guid, stock)
           select %s, c, '00000000-0000-0000-0000-0000000000f1', 10 from unnest(%s::text[]) c""",
        [SHOP, CODES],
    )
    local_today = today(admin)
    orders: dict[str, tuple[str, int, list[tuple[str, float]]]] = {}

    def created(days_back: int) -> str:
        return f"{local_today - timedelta(days=days_back)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+0100"

    def lines() -> list[tuple[str, float]]:
        return [(rng.choice(CODES[:110]), rng.choice([1, 1, 2, 3])) for _ in range(rng.randint(1, 3))]

    def apply(codes: list[str]) -> None:
        with psycopg.connect(db.app) as conn:
            ingest.apply_documents(conn, SHOP, "orders", [order_doc(c, *orders[c]) for c in codes])
            conn.commit()

    for n in range(400):
        orders[f"R{n}"] = (created(rng.randint(1, 500)), rng.choice([-2, -2, -2, -1, -4]), lines())
    apply(list(orders))
    with psycopg.connect(db.app) as app:
        assert refresh(app)["mode"] == "full"
        app.commit()
        for _round in range(4):
            touched: list[str] = []
            for _ in range(4):  # new orders, some today (not counted until tomorrow)
                code = f"R{len(orders)}"
                orders[code] = (created(rng.randint(0, 100)), -2, lines())
                touched.append(code)
            for code in rng.sample(sorted(orders), 3):  # status changes (cancel and back), new lines
                when, _status, old = orders[code]
                orders[code] = (when, rng.choice([-4, -2]), old[:1] + lines())
                touched.append(code)
            code = rng.choice(sorted(orders))  # moved in time (also to today)
            orders[code] = (created(rng.randint(0, 700)), orders[code][1], orders[code][2])
            touched.append(code)
            apply(touched)
            with psycopg.connect(db.app) as conn:
                ingest.mark_deleted(conn, SHOP, "orders", [rng.choice(sorted(orders))])
                conn.commit()
            admin.execute(  # a new variant, one deleted at the source, a stock change (read live)
                "insert into catalog.variants (shop_id, code, product_guid)"
                " values (%s, %s, '00000000-0000-0000-0000-0000000000f1')",
                [SHOP, f"NEW{_round}"],
            )
            admin.execute(
                "update catalog.variants set deleted_at = now() where shop_id = %s and code = %s",
                [SHOP, CODES[110 + _round]],
            )
            admin.execute("update catalog.variants set stock = stock - 1 where shop_id = %s and code = 'V00'", [SHOP])

            result = refresh(app)
            app.commit()
            assert result["mode"] == "incremental", result
            assert 0 < result["recomputed"] < len(CODES)
            incremental = stored(app)
            full = refresh(app, full=True)
            app.commit()
            assert full["written"] == 0, "the full refresh changed what the incremental one left"
            assert stored(app) == incremental
            # and both equal a computation from scratch
            fresh = app.execute(
                "select %s::bigint, * from analytics.variant_demand_of(%s, %s) order by variant_code",
                [SHOP, SHOP, local_today],
            ).fetchall()
            assert incremental == fresh


def test_change_committed_after_a_refresh_started_is_not_missed(db: Target, admin: psycopg.Connection) -> None:
    # a writer opens its transaction (its rows get synced_at = its start) before a refresh and
    # commits after it: the watermark stays at the writer's start, so the next refresh sees it
    admin.execute("insert into core.shops (shop_id, name, timezone) values (%s, 'Race', %s)", [SHOP, TZ])
    for statement in CATALOG.split(";"):
        if statement.strip():
            admin.execute(statement, {"s": SHOP})
    local_today = today(admin)
    yesterday = f"{local_today - timedelta(days=1)}T12:00:00+0100"
    with psycopg.connect(db.app) as app:
        assert refresh(app)["mode"] == "full"
        app.commit()
        with psycopg.connect(db.app) as writer:
            writer.execute("select 1")  # the writer's transaction starts here
            time.sleep(0.05)
            ingest.apply_documents(writer, SHOP, "orders", [order_doc("LATE", yesterday, -2, [("A", 7)])])
            assert refresh(app)["recomputed"] == 0  # the order is not visible yet
            app.commit()
            writer.commit()
        result = refresh(app)
        app.commit()
    assert (result["mode"], result["recomputed"]) == ("incremental", 1)
    assert metrics(admin)["A"]["units_per_day_7d"] == 1


def test_worker_refreshes_inventory_after_an_ingest(
    db: Target, admin: psycopg.Connection, shop: date, hub_env: dict[str, str], processes: list[Any]
) -> None:
    sell(admin, shop - timedelta(days=1), [("A", 7, "product")])
    bound = tasks.configure(db)
    with bound.open():
        tasks.analytics_after_write(SHOP, "orders")
        tasks.analytics_after_write(SHOP, "products")  # one job waits already: not queued twice
        tasks.analytics_after_write(SHOP, "customers")  # feeds no inventory
    jobs = admin.execute(
        "select task_name, lock from procrastinate.procrastinate_jobs"
        " where queue_name = 'analytics' and task_name = 'recalculate_inventory'"
    ).fetchall()
    assert jobs == [("recalculate_inventory", f"shop:{SHOP}:inventory")]
    processes.append(
        subprocess.Popen(
            [str(REPO_ROOT / ".venv" / "bin" / "hub"), "worker", "--queues", "analytics", "--polling-interval", "0.1"],
            env={**os.environ, **hub_env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    )
    deadline = time.monotonic() + 60
    first_job = (
        "select status::text from procrastinate.procrastinate_jobs where id = (select min(id)"
        " from procrastinate.procrastinate_jobs where task_name = 'recalculate_inventory')"
    )
    while admin.execute(first_job).fetchone() != ("succeeded",):
        assert time.monotonic() < deadline, "the inventory job did not succeed"
        time.sleep(0.1)
    assert metrics(admin)["A"]["units_per_day_7d"] == 1


def hub(hub_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(REPO_ROOT / ".venv" / "bin" / "hub"), *args],
        env={**os.environ, **hub_env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_hub_analytics_refresh_only_inventory_and_reorder(
    admin: psycopg.Connection, shop: date, hub_env: dict[str, str]
) -> None:
    for k in range(1, 46):
        sell(admin, shop - timedelta(days=k), [("A", 2, "product")])
    done = hub(hub_env, "analytics", "refresh", "--only", "inventory", "--shop", str(SHOP), "--json")
    assert done.returncode == 0, done.stderr
    summary = orjson.loads(done.stdout)
    assert (summary["kind"], summary["mode"], summary["reason"], summary["variants"]) == (
        "inventory",
        "full",
        "first refresh",
        9,
    )
    again = hub(hub_env, "analytics", "refresh", "--only", "inventory", "--shop", str(SHOP))
    assert again.returncode == 0 and f"shop {SHOP} inventory: incremental" in again.stdout, again.stdout
    shown = hub(hub_env, "analytics", "reorder", "--shop", str(SHOP))
    assert shown.returncode == 0, shown.stderr
    assert "1 to order now" in shown.stdout and "order now: stock 10 is at or below" in shown.stdout
    recs = recommendations(admin)
    cannot = sum(r["reason"].startswith("cannot tell") for r in recs.values())
    assert f"to order: 1 to order now, {cannot} cannot tell" in shown.stdout, shown.stdout
    assert "171" in shown.stdout  # A: one lot of ceil(EOQ 170.880)
    unknown = hub(hub_env, "analytics", "reorder", "--shop", "999")
    assert unknown.returncode == 1 and "no shop 999" in unknown.stderr
