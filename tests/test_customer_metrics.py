"""Customer metrics, RFM, CLV and churn (issue 13 items 1-5): every metric of
analytics.customer_metrics equals an independent computation in plain Python over hand-made
orders (the definitions of docs/analytics.md written again here, not imported).

The fixture: a master shop 10 (CZK) and shop 11 under it (its own cancelled status 7), with
guest orders whose e-mails differ in case and surrounding white space (tab, no-break space),
registered customers (with and without an account row), cancelled, deleted, status-less and EUR
orders, discount and shipping lines, one-order customers, a person in both shops, customers tied
at the quintile boundaries, and a few dozen generated customers so that every quintile is full.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest

from runner.config import REPO_ROOT

HUB = str(REPO_ROOT / ".venv" / "bin" / "hub")
MASTER, OTHER = 10, 11
CANCELLED = {MASTER: {-4}, OTHER: {-4, 7}}
T0 = datetime(2025, 1, 6, 9, 30, tzinfo=UTC)
GA = "0d6e4c1a-3b2f-11ee-8c99-0242ac120a01"  # registered in shop 10, account e-mail anna@
GA2 = "0d6e4c1a-3b2f-11ee-8c99-0242ac120a02"  # the same person's account in shop 11
GE = "0D6E4C1A-3B2F-11EE-8C99-0242AC120A0E"  # registered, no account row: e-mail of the latest order
GX = "0d6e4c1a-3b2f-11ee-8c99-0242ac120a0f"  # registered, every order cancelled: no row


@dataclass
class Order:
    shop: int
    code: str
    created: datetime
    email: str | None
    guid: str | None = None
    total: str = "100.00"
    rate: str | None = "1"
    status: int | None = -1
    deleted: bool = False
    currency: str = "CZK"


@dataclass
class Data:
    orders: list[Order] = field(default_factory=list)
    accounts: dict[tuple[int, str], str] = field(default_factory=dict)  # (shop, guid) -> account e-mail as stored


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def fixture_data() -> Data:
    d = Data()
    o = d.orders.append
    # registered A: three orders, one cancelled, one in EUR (round half-up of 19.99 x 25.125 = 502.24875)
    o(Order(MASTER, "A1", day(0), "Anna@Example.cz", GA, "1200.00"))
    o(Order(MASTER, "A2", day(30), "anna.work@example.cz", GA, "19.99", "25.125", currency="EUR"))
    o(Order(MASTER, "A3", day(45), "anna@example.cz", GA, "999.00", status=-4))
    o(Order(MASTER, "A4", day(61.5), "anna@example.cz", GA, "10.05", "0.5"))  # 5.025 -> 5.03
    d.accounts[(MASTER, GA)] = "anna@example.cz"
    # guest B: four spellings of one e-mail (tab, no-break space, case), one order deleted
    o(Order(MASTER, "B1", day(3), "Bob@Example.CZ", total="250.50"))
    o(Order(MASTER, "B2", day(13), "\tbob@example.cz", total="80.00"))
    o(Order(MASTER, "B3", day(23), "bob@example.cz\u00a0", total="120.00", status=None))  # no status: counts
    o(Order(MASTER, "B4", day(33), " BOB@EXAMPLE.CZ\u3000", total="999.99", deleted=True))
    o(Order(MASTER, "B5", day(40), "bob@example.cz", total="75.25", status=7))  # 7 is no cancellation in shop 10
    # guest C: one order; guest D: A's e-mail as a guest (another key in the shop, one person across)
    o(Order(MASTER, "C1", day(50), "carl@example.cz", total="3000.00"))
    o(Order(MASTER, "D1", day(55), " ANNA@example.cz", total="42.00"))
    # registered E without an account row, upper-case GUID: e-mail of the latest counted order
    o(Order(MASTER, "E1", day(5), "eva.old@example.cz", GE, "10.00"))
    o(Order(MASTER, "E2", day(20), "Eva.New@Example.cz ", GE, "20.00"))
    o(Order(MASTER, "E3", day(25), "eva.cancelled@example.cz", GE, "30.00", status=-4))
    # registered X: only cancelled orders -> no row; an order without e-mail and GUID counts for nobody
    o(Order(MASTER, "X1", day(10), "x@example.cz", GX, "500.00", status=-4))
    o(Order(MASTER, "N1", day(11), None, None, "700.00"))
    o(Order(MASTER, "N2", day(12), " \t", None, "700.00"))
    # ties at the quintile boundaries: same time, same amount, one order each
    for i in range(7):
        o(Order(MASTER, f"T{i}", day(35), f"tie{i}@example.cz", total="333.33"))
    # shop 11: bob again (one person in two shops), A's own account there, status 7 cancelled here
    o(Order(OTHER, "B1", day(8), "bob@example.cz", total="60.00", rate="1.0"))
    o(Order(OTHER, "B2", day(9), "BOB@example.cz", total="70.00", status=7))
    o(Order(OTHER, "A1", day(70), "anna@example.cz", GA2, "15.00", "25.5", currency="EUR"))
    d.accounts[(OTHER, GA2)] = " Anna@Example.CZ"
    # generated customers: every quintile full, some ties among them too
    rnd = random.Random(13)
    for shop in (MASTER, OTHER):
        for c in range(30):
            guid = f"00000000-0000-4000-8000-{shop:04d}{c:08d}" if c % 3 == 0 else None
            email = f"{'  ' if c % 4 == 0 else ''}Gen{c}@Shop{shop}.cz"
            if guid:
                d.accounts[(shop, guid)] = email.strip().lower()
            for k in range(rnd.choice([1, 1, 1, 2, 3, 5])):
                o(
                    Order(
                        shop,
                        f"G{c}-{k}",
                        day(rnd.choice([2, 17, 35, 58, 80]) + k * rnd.choice([0, 7, 11.25])),
                        email,
                        guid,
                        rnd.choice(["99.90", "333.33", "1250.00", "19.99"]),
                        rnd.choice(["1", "1", "25.125"]),
                        status=rnd.choice([-1, -1, -1, -4, 7]),
                        deleted=rnd.random() < 0.05,
                    )
                )
    return d


def insert(conn: psycopg.Connection, data: Data) -> None:
    conn.execute(
        "insert into core.shops (shop_id, name, is_master) values (%s, 'master', true) on conflict do nothing", [MASTER]
    )
    conn.execute(
        "insert into core.shops (shop_id, name, master_shop_id) values (%s, 'other', %s) on conflict do nothing",
        [OTHER, MASTER],
    )
    conn.execute("select core.setting_set('analytics.cancelled_status_ids', '[-4, 7]'::jsonb, %s)", [OTHER])
    conn.execute("select ops.ensure_partitions(%s::timestamptz, %s::timestamptz)", [day(-100), day(400)])
    with conn.cursor() as cur:
        cur.executemany(
            "insert into sales.customers (shop_id, guid, email, changed_at) values (%s, %s, %s, now())",
            [(shop, guid, email) for (shop, guid), email in data.accounts.items()],
        )
        cur.executemany(
            """insert into sales.orders (shop_id, code, created_at, changed_at, status_id, email, customer_guid,
                   total_with_vat, currency, exchange_rate, deleted_at)
               values (%s, %s, %s, now(), %s, %s, %s, %s, %s, %s, case when %s then now() end)""",
            [
                (o.shop, o.code, o.created, o.status, o.email, o.guid, o.total, o.currency, o.rate, o.deleted)
                for o in data.orders
            ],
        )
        # lines: a product, the shipping and a discount; the order total is what counts
        cur.executemany(
            """insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type, code, amount,
                   unit_price_with_vat, total_with_vat)
               values (%s, %s, 1, %s, 'product', 'SKU-1', 1, %s, %s), (%s, %s, 2, %s, 'shipping', null, 1, 89, 89),
                      (%s, %s, 3, %s, 'discount-coupon', null, 1, -89, -89)""",
            [(o.shop, o.code, o.created, o.total, o.total) * 1 + (o.shop, o.code, o.created) * 2 for o in data.orders],
        )


# -- the reference: the definitions again, in plain Python ------------------------------------


def norm_email(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip().lower() or None  # str.strip() strips \t, U+00A0, U+3000 too


def half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def ntile5(keys_in_order: list[str]) -> dict[str, int]:
    n = len(keys_in_order)
    q, r = divmod(n, 5)
    out, pos = {}, 0
    for bucket in range(1, 6):
        size = q + (1 if bucket <= r else 0)
        for k in keys_in_order[pos : pos + size]:
            out[k] = bucket
        pos += size
    return out


# the default segment map, as docs/analytics.md states it: (segment, r range, f range)
DEFAULT_MAP = [
    ("champions", (5, 5), (4, 5)),
    ("loyal", (3, 4), (4, 5)),
    ("potential loyalist", (4, 5), (2, 3)),
    ("new", (5, 5), (1, 1)),
    ("promising", (4, 4), (1, 1)),
    ("needs attention", (3, 3), (1, 3)),
    ("can't lose", (1, 2), (5, 5)),
    ("at risk", (1, 2), (3, 4)),
    ("hibernating", (2, 2), (1, 2)),
    ("lost", (1, 1), (1, 2)),
]


def segment(r: int, f: int) -> str | None:
    return next((s for s, (r0, r1), (f0, f1) in DEFAULT_MAP if r0 <= r <= r1 and f0 <= f <= f1), None)


def reference(
    data: Data,
    shop: int,
    *,
    valued_at: datetime,
    before: datetime | None = None,
    horizon: int = 365,
    median: Decimal | None = None,
) -> tuple[dict[str, dict[str, Any]], Decimal]:
    """Every column of the shop's rows, and the shop median rhythm used."""
    groups: dict[str, list[Order]] = {}
    for o in data.orders:
        if o.shop != shop or o.deleted or o.status in CANCELLED[shop] or (before and o.created >= before):
            continue
        key = o.guid.lower() if o.guid else norm_email(o.email)
        if key is not None:
            groups.setdefault(key, []).append(o)
    rows: dict[str, dict[str, Any]] = {}
    for key, orders in groups.items():
        n = len(orders)
        total = sum(half_up(Decimal(o.total) * Decimal(o.rate or "1"), 2) for o in orders)
        first, last = min(o.created for o in orders), max(o.created for o in orders)
        span = Decimal((last - first) // timedelta(microseconds=1)) / Decimal(86400 * 10**6)
        registered = orders[0].guid is not None
        if registered:
            account = data.accounts.get((shop, orders[0].guid.lower()))
            latest = max((o for o in orders if o.email), key=lambda o: (o.created, o.code), default=None)
            email = norm_email(account) if account else norm_email(latest.email if latest else None)
        else:
            email = key
        rows[key] = {
            "customer_guid": key if registered else None,
            "email": email,
            "orders_count": n,
            "total_spent": total,
            "avg_order_value": half_up(total / n, 2),
            "first_order_at": first,
            "last_order_at": last,
            "avg_days_between_orders": half_up(span / (n - 1), 4) if n > 1 else None,
            "_span": span,
        }
    if median is None:
        repeat = sorted(r["avg_days_between_orders"] for r in rows.values() if r["orders_count"] > 1)
        median = max(Decimal(1), repeat[(len(repeat) - 1) // 2]) if repeat else Decimal(horizon)
    for column, score in (("last_order_at", "r"), ("orders_count", "f"), ("total_spent", "m")):
        ranks = ntile5(sorted(rows, key=lambda k: (rows[k][column], k.encode())))
        for k, bucket in ranks.items():
            rows[k][score] = bucket
    for row in rows.values():
        n = row["orders_count"]
        rhythm = half_up((row["_span"] + median) / n, 4)
        silence = max(0.0, (valued_at - row["last_order_at"]).total_seconds()) / 86400
        churn = half_up(Decimal(1 - math.exp(-silence / float(rhythm))), 4)
        predicted = half_up((1 - churn) * horizon / rhythm, 4)
        value = half_up(predicted * row["avg_order_value"], 2)
        row.update(
            recency_score=row.pop("r"),
            frequency_score=row.pop("f"),
            monetary_score=row.pop("m"),
            rhythm_days=rhythm,
            churn_risk=churn,
            expected_next_order_at=row["last_order_at"] + timedelta(microseconds=int(rhythm * 86400 * 10**6)),
            predicted_orders=predicted,
            predicted_value=value,
            clv=row["total_spent"] + value,
            clv_model="rhythm-v1",
            valued_at=valued_at,
        )
        row["rfm_segment"] = segment(row["recency_score"], row["frequency_score"])
        del row["_span"]
    return rows, median


COLUMNS = (
    "customer_guid",
    "email",
    "orders_count",
    "total_spent",
    "avg_order_value",
    "first_order_at",
    "last_order_at",
    "avg_days_between_orders",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_segment",
    "rhythm_days",
    "churn_risk",
    "expected_next_order_at",
    "predicted_orders",
    "predicted_value",
    "clv",
    "clv_model",
    "valued_at",
)


def stored(conn: psycopg.Connection, sql: str, params: list[Any]) -> dict[str, dict[str, Any]]:
    with conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        rows = cur.execute(sql, params).fetchall()
    out = {}
    for r in rows:
        r["customer_guid"] = str(r["customer_guid"]) if r["customer_guid"] else None
        out[r["customer_key"]] = {c: r[c] for c in COLUMNS}
    return out


def valued_at_of(rows: dict[str, dict[str, Any]]) -> datetime:
    """The time the view valued the customers at (now() of the reading statement): one for all."""
    times = {r["valued_at"] for r in rows.values()}
    assert len(times) == 1
    return times.pop()


def assert_same(got: dict[str, dict[str, Any]], want: dict[str, dict[str, Any]]) -> None:
    assert sorted(got) == sorted(want)
    for key, row in want.items():
        for column in COLUMNS:
            g, w = got[key][column], row[column]
            if column == "expected_next_order_at":  # seconds as float in SQL: within a microsecond
                assert abs(g - w) <= timedelta(microseconds=1), (key, column, g, w)
            else:
                assert g == w, (key, column, g, w)


@pytest.fixture
def data(admin: psycopg.Connection) -> Data:
    d = fixture_data()
    insert(admin, d)
    return d


def test_every_metric_equals_the_python_reference(admin: psycopg.Connection, data: Data) -> None:
    admin.execute("select analytics.refresh_customer_metrics()")
    for shop in (MASTER, OTHER):
        median = admin.execute(
            "select median_days_between_orders from analytics.customer_models where shop_id = %s", [shop]
        ).fetchone()[0]
        got = stored(admin, "select * from analytics.customer_metrics where shop_id = %s", [shop])
        want, want_median = reference(data, shop, valued_at=valued_at_of(got))
        assert median == want_median
        assert_same(got, want)
    keys = set(stored(admin, "select * from analytics.customer_metrics where shop_id = %s", [MASTER]))
    # the cases the fixture is for, named
    assert {"bob@example.cz", "carl@example.cz", "anna@example.cz", GA, GE.lower()} <= keys
    assert GX not in keys and not any(k.startswith("eva") for k in keys)
    bob = stored(admin, "select * from analytics.customer_metrics where shop_id = %s", [MASTER])["bob@example.cz"]
    assert (bob["orders_count"], bob["total_spent"]) == (4, Decimal("525.75"))
    anna = stored(admin, "select * from analytics.customer_metrics where shop_id = %s", [MASTER])[GA]
    assert (anna["orders_count"], anna["total_spent"], anna["email"]) == (3, Decimal("1707.28"), "anna@example.cz")
    other_bob = stored(admin, "select * from analytics.customer_metrics where shop_id = %s", [OTHER])["bob@example.cz"]
    assert other_bob["orders_count"] == 1  # status 7 is cancelled in shop 11


def test_compute_at_a_cutoff_uses_only_earlier_orders(admin: psycopg.Connection, data: Data) -> None:
    cutoff = day(34)
    admin.execute("select core.setting_set('analytics.clv_horizon_days', '90'::jsonb)")
    got = stored(admin, "select * from analytics.compute_customer_metrics(%s, %s)", [MASTER, cutoff])
    want, _ = reference(data, MASTER, valued_at=cutoff, before=cutoff, horizon=90)
    assert_same(got, want)
    assert admin.execute("select count(*) from analytics.customer_metrics").fetchone() == (0,)  # it writes nothing
    some = sorted(want)[:3]
    got = stored(admin, "select * from analytics.compute_customer_metrics(%s, %s, %s)", [MASTER, cutoff, some])
    assert_same(got, {k: want[k] for k in some})


def test_master_rollup_is_one_person_per_email_across_the_shops(admin: psycopg.Connection, data: Data) -> None:
    admin.execute("select analytics.refresh_customer_metrics()")
    per_shop = {
        shop: stored(admin, "select * from analytics.customer_metrics where shop_id = %s", [shop])
        for shop in (MASTER, OTHER)
    }
    persons: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for shop, rows in per_shop.items():
        for key, row in rows.items():
            persons.setdefault(row["email"] or f"{shop}:{key}", []).append((shop, row))
    want: dict[str, dict[str, Any]] = {}
    for person, rows in persons.items():
        n = sum(r["orders_count"] for _, r in rows)
        total = sum(r["total_spent"] for _, r in rows)
        first, last = min(r["first_order_at"] for _, r in rows), max(r["last_order_at"] for _, r in rows)
        span = Decimal((last - first) // timedelta(microseconds=1)) / Decimal(86400 * 10**6)
        churn = Decimal(1)
        for _, r in rows:
            churn *= r["churn_risk"]
        want[person] = {
            "shops": sorted(s for s, _ in rows),
            "orders_count": n,
            "total_spent": total,
            "avg_order_value": half_up(total / n, 2),
            "first_order_at": first,
            "last_order_at": last,
            "avg_days_between_orders": half_up(span / (n - 1), 4) if n > 1 else None,
            "clv": sum(r["clv"] for _, r in rows),
            "churn_risk": half_up(churn, 4),
            "expected_next_order_at": min(r["expected_next_order_at"] for _, r in rows),
        }
    for column, score in (
        ("last_order_at", "recency_score"),
        ("orders_count", "frequency_score"),
        ("total_spent", "monetary_score"),
    ):
        for k, bucket in ntile5(sorted(want, key=lambda p: (want[p][column], p.encode()))).items():
            want[k][score] = bucket
    for row in want.values():
        row["rfm_segment"] = segment(row["recency_score"], row["frequency_score"])
    with admin.cursor(row_factory=psycopg.rows.dict_row) as cur:
        got = {
            r.pop("person_key"): r
            for r in cur.execute(
                "select * from analytics.master_customer_metrics where master_shop_id = %s", [MASTER]
            ).fetchall()
        }
    assert sorted(got) == sorted(want)
    for person, row in want.items():
        for column, value in row.items():
            assert got[person][column] == value, (person, column, got[person][column], value)
    assert got["bob@example.cz"]["shops"] == [MASTER, OTHER] and got["bob@example.cz"]["orders_count"] == 5
    assert got["anna@example.cz"]["shops"] == [MASTER, MASTER, OTHER]  # registered and guest in 10, registered in 11


def test_changing_the_segment_map_resegments_at_once(admin: psycopg.Connection, data: Data) -> None:
    admin.execute("select analytics.refresh_customer_metrics()")
    before = admin.execute(
        "select count(*) from analytics.customer_metrics where rfm_segment = 'champions'"
    ).fetchone()[0]
    assert before > 0
    admin.execute(
        "update analytics.rfm_segment_map set segment = 'stars' where shop_id is null and segment = 'champions'"
    )
    assert admin.execute("select count(*) from analytics.customer_metrics where rfm_segment = 'stars'").fetchone() == (
        before,
    )
    # a shop's own map replaces the default one for that shop only
    admin.execute(
        "insert into analytics.rfm_segment_map (shop_id, priority, segment) values (%s, 1, 'everyone')", [OTHER]
    )
    assert admin.execute(
        "select shop_id, count(distinct rfm_segment) from analytics.customer_metrics group by 1 order by 1"
    ).fetchall()[1] == (OTHER, 1)
    assert (
        admin.execute(
            "select count(*) from analytics.customer_metrics where shop_id = %s and rfm_segment = 'stars'", [MASTER]
        ).fetchone()[0]
        > 0
    )
    with pytest.raises(psycopg.errors.CheckViolation, match="rfm_segment_map_ranges"):
        admin.execute(
            "insert into analytics.rfm_segment_map (shop_id, priority, segment, r_min) values (null, 5, 'x', 0)"
        )


def test_the_default_map_names_every_score_combination_once(admin: psycopg.Connection) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (1, 'one')")
    cells = admin.execute("select r, f, m, segment from analytics.rfm_segment_cells(1)").fetchall()
    assert len(cells) == 125 and all(s is not None for *_, s in cells)
    assert {s for *_, s in cells} == {s for s, *_ in DEFAULT_MAP}
    assert all(s == segment(r, f) for r, f, _, s in cells)


@pytest.mark.parametrize("value", ['"365"', "0", "1.5", "99999"])
def test_a_bad_clv_horizon_is_named(admin: psycopg.Connection, value: str) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (1, 'one')")
    admin.execute("select core.setting_set('analytics.clv_horizon_days', %s::jsonb, 1)", [value])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"clv_horizon_days of shop 1 .*between 1 and 3650"):
        admin.execute("select analytics.clv_horizon_days(1)")


# -- incremental refresh ----------------------------------------------------------------------------


def table_state(conn: psycopg.Connection) -> tuple[list[Any], list[Any], list[Any]]:
    """Every stored row (all but computed_at, when it was written), the RFM state and the view,
    read in one transaction (one now())."""
    with conn.transaction():
        base = conn.execute(
            "select shop_id, customer_key, customer_guid, email, orders_count, total_spent, avg_order_value, "
            "first_order_at, last_order_at, avg_days_between_orders, recency_score, frequency_score, "
            "monetary_score, rfm_segment from analytics.customer_metrics_base order by shop_id, customer_key"
        ).fetchall()
        bounds = conn.execute(
            "select shop_id, customers, recency_at, recency_key, frequency_orders, frequency_key, monetary_spent, "
            "monetary_key from analytics.customer_rfm_bounds order by shop_id"
        ).fetchall()
        view = conn.execute(
            f"select shop_id, customer_key, {', '.join(COLUMNS)} from analytics.customer_metrics "
            "order by shop_id, customer_key"
        ).fetchall()
    return base, bounds, view


def random_changes(conn: psycopg.Connection, rnd: random.Random, n: int, serial: int) -> None:
    """n random writes of the kinds that happen: new orders (known and new customers, ties), a
    cancellation and its undoing, a deletion at the source or a hard delete, an e-mail or GUID
    that changes the order's customer, another amount or rate, an account e-mail that changes."""
    codes = conn.execute("select shop_id, code from sales.orders order by shop_id, code").fetchall()
    emails = [r[0] for r in conn.execute("select distinct email from sales.orders where email is not null").fetchall()]
    guids = [str(r[0]) for r in conn.execute("select guid from sales.customers order by guid").fetchall()]
    for i in range(n):
        shop, code = rnd.choice(codes)
        kind = rnd.randrange(10)
        if kind <= 2:
            guest = rnd.random() < 0.6
            email = rnd.choice(emails) if rnd.random() < 0.7 else f" New{serial}.{i}@Example.cz\t"
            conn.execute(
                """insert into sales.orders (shop_id, code, created_at, status_id, email, customer_guid,
                       total_with_vat, currency, exchange_rate)
                   values (%s, %s, %s, %s, %s, %s, %s, 'CZK', %s)""",
                [
                    rnd.choice((MASTER, OTHER)),
                    f"R{serial}-{i}",
                    day(rnd.choice([35, 35, rnd.uniform(-10, 120)])),
                    rnd.choice([-1, -1, 7, None]),
                    email,
                    None if guest else rnd.choice(guids),
                    rnd.choice(["333.33", "99.90", "10.05"]),
                    rnd.choice(["1", "0.5", "25.125"]),
                ],
            )
        elif kind == 3:
            conn.execute(
                "update sales.orders set status_id = %s where shop_id = %s and code = %s",
                [rnd.choice([-4, 7, -1]), shop, code],
            )
        elif kind == 4:
            conn.execute("update sales.orders set deleted_at = now() where shop_id = %s and code = %s", [shop, code])
        elif kind == 5:
            conn.execute("delete from sales.orders where shop_id = %s and code = %s", [shop, code])
        elif kind == 6:
            conn.execute(
                "update sales.orders set email = %s, customer_guid = null where shop_id = %s and code = %s",
                [rnd.choice(emails), shop, code],
            )
        elif kind == 7:
            conn.execute(
                "update sales.orders set customer_guid = %s where shop_id = %s and code = %s",
                [rnd.choice(guids), shop, code],
            )
        elif kind == 8:
            conn.execute(
                "update sales.orders set total_with_vat = %s, exchange_rate = %s, created_at = %s "
                "where shop_id = %s and code = %s",
                [
                    rnd.choice(["1.00", "5000.00", "333.33"]),
                    rnd.choice(["1", "24.5"]),
                    day(rnd.uniform(-5, 90)),
                    shop,
                    code,
                ],
            )
        else:
            conn.execute(
                "update sales.customers set email = %s where guid = %s",
                [f"renamed{serial}.{i}@example.cz", rnd.choice(guids)],
            )


def test_incremental_refresh_equals_a_full_refresh_after_random_changes(admin: psycopg.Connection, data: Data) -> None:
    admin.execute("select analytics.refresh_customer_metrics()")
    rnd = random.Random(2026)
    for serial, n in enumerate((1, 3, 8, 20, 40, 5, 60)):
        random_changes(admin, rnd, n, serial)
        for shop in (MASTER, OTHER):
            summary = admin.execute("select analytics.refresh_changed_customers(%s)", [shop]).fetchone()[0]
            assert summary["mode"] in ("keys", "none"), summary
        # both read in one transaction: the view values everyone at the same now()
        with admin.transaction(force_rollback=True):
            incremental = table_state(admin)
            for shop in (MASTER, OTHER):
                admin.execute("select analytics.rebuild_customer_metrics(%s, false)", [shop])
            full = table_state(admin)
        assert incremental == full, f"after round {serial}"
    assert admin.execute("select count(*) from analytics.customer_changes").fetchone() == (0,)
    # and the rows agree with the Python reference over the orders as they are now (same model)
    now = data_in(admin)
    for shop in (MASTER, OTHER):
        median = admin.execute(
            "select median_days_between_orders from analytics.customer_models where shop_id = %s", [shop]
        ).fetchone()[0]
        got = stored(admin, "select * from analytics.customer_metrics where shop_id = %s", [shop])
        want, _ = reference(now, shop, valued_at=valued_at_of(got), median=median)
        assert_same(got, want)


def data_in(conn: psycopg.Connection) -> Data:
    """The orders and accounts as stored, as fixture data again (for the reference)."""
    d = Data()
    for shop, code, created, email, guid, total, rate, status, deleted in conn.execute(
        "select shop_id, code, created_at, email, customer_guid::text, total_with_vat::text, exchange_rate::text, "
        "status_id, deleted_at is not null from sales.orders"
    ).fetchall():
        d.orders.append(Order(shop, code, created, email, guid, total, rate, status, deleted))
    for shop, guid, email in conn.execute("select shop_id, guid::text, email from sales.customers").fetchall():
        if email is not None:
            d.accounts[(shop, guid)] = email
    return d


def test_the_queue_names_the_old_and_the_new_customer_of_a_changed_order(admin: psycopg.Connection, data: Data) -> None:
    admin.execute("select analytics.refresh_customer_metrics()")
    assert admin.execute("select count(*) from analytics.customer_changes").fetchone() == (0,)
    admin.execute("update sales.orders set customer_guid = %s where shop_id = %s and code = 'C1'", [GA, MASTER])
    assert admin.execute("select shop_id, customer_key from analytics.customer_changes order by 2").fetchall() == [
        (MASTER, GA),
        (MASTER, "carl@example.cz"),
    ]
    summary = admin.execute("select analytics.refresh_changed_customers(%s)", [MASTER]).fetchone()[0]
    assert (summary["mode"], summary["keys"], summary["deleted"], summary["updated"]) == ("keys", 2, 1, 1)
    assert admin.execute(
        "select orders_count from analytics.customer_metrics where shop_id = %s and customer_key = %s", [MASTER, GA]
    ).fetchone() == (4,)
    assert admin.execute("select analytics.refresh_changed_customers(%s)", [MASTER]).fetchone()[0] == {
        "shop_id": MASTER,
        "mode": "none",
        "keys": 0,
    }


def test_a_full_refresh_does_not_block_readers(db: Any, admin: psycopg.Connection, data: Data) -> None:
    admin.execute("select analytics.refresh_customer_metrics()")
    before = admin.execute("select count(*), sum(clv) from analytics.customer_metrics").fetchone()
    with psycopg.connect(db.app) as writer, psycopg.connect(db.readonly, autocommit=True) as reader:
        writer.execute("update sales.orders set status_id = -4 where shop_id = %s and code like 'G%%'", [MASTER])
        writer.execute("select analytics.rebuild_customer_metrics(%s, true)", [MASTER])  # not committed yet
        reader.execute("set lock_timeout = '200ms'")
        assert reader.execute("select count(*), sum(clv) from analytics.customer_metrics").fetchone() == before
        assert reader.execute("select count(*) from analytics.top_customers(%s, 5)", [MASTER]).fetchone() == (5,)
        writer.commit()
        assert reader.execute("select count(*) from analytics.customer_metrics").fetchone()[0] < before[0]


@pytest.mark.parametrize(
    "function",
    ["customer_key", "clv_model_score", "baseline_model_score", "hyp2f1", "bgnbd_predict", "customer_model_score"],
)
def test_function_files_equal_their_migration(function: str) -> None:
    """sales.orders.customer_key stores analytics.customer_key, the view analytics.customer_metrics
    calls analytics.clv_model_score: each function file must not drift from the newest migration
    that defines it (a change needs a migration)."""
    import re

    def definition(text: str) -> str:
        found = re.search(rf"create or replace function analytics\.{function}\(.*?(;\n|\$\$;\n)", text, re.S)
        assert found, f"no definition of analytics.{function}"
        return found.group(0)

    migrations = sorted(
        p
        for p in (REPO_ROOT / "db" / "migrations").glob("*.sql")
        if f"function analytics.{function}(" in p.read_text(encoding="utf-8")
    )
    function_file = REPO_ROOT / "db" / "functions" / "analytics" / f"{function}.sql"
    assert definition(function_file.read_text(encoding="utf-8")) == definition(
        migrations[-1].read_text(encoding="utf-8")
    )


# -- the workers and the command line ---------------------------------------------------------------


def test_a_write_queues_one_refresh_job_that_the_worker_runs(db: Any, admin: psycopg.Connection, data: Data) -> None:
    from runner import tasks

    admin.execute("select analytics.refresh_customer_metrics()")
    admin.execute("update sales.orders set status_id = -4 where shop_id = %s and code = 'C1'", [MASTER])
    bound = tasks.configure(db)
    with bound.open():
        tasks.analytics_after_write(MASTER, "orders")
        tasks.analytics_after_write(MASTER, "customers")  # the same job: one waits per shop
        tasks.analytics_after_write(MASTER, "products")  # nothing of the customers' changes
        assert admin.execute(
            "select task_name, lock from procrastinate.procrastinate_jobs where status = 'todo' order by id"
        ).fetchall() == [
            ("refresh_changed_customers", f"shop:{MASTER}:customer_changes"),
            ("recalculate_inventory", f"shop:{MASTER}:inventory"),  # orders feed the inventory too
        ]
        bound.run_worker(queues=["analytics"], wait=False, install_signal_handlers=False)
    assert admin.execute(
        "select status::text from procrastinate.procrastinate_jobs where task_name = 'refresh_changed_customers'"
    ).fetchall() == [("succeeded",)]
    assert admin.execute(
        "select count(*) from analytics.customer_metrics where shop_id = %s and customer_key = 'carl@example.cz'",
        [MASTER],
    ).fetchone() == (0,)
    assert admin.execute("select count(*) from analytics.customer_changes").fetchone() == (0,)


def hub(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HUB, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120)


def test_refresh_and_show_commands(hub_env: dict[str, str], admin: psycopg.Connection, data: Data) -> None:
    done = hub(hub_env, "analytics", "show", "--shop", str(MASTER))
    assert done.returncode == 0 and "no customer metrics yet" in done.stdout
    done = hub(hub_env, "analytics", "refresh", "--shop", str(MASTER), "--full")
    assert done.returncode == 0, done.stderr
    assert "full (model fitted)" in done.stdout and "computing and writing every customer (first fill)" in done.stderr
    admin.execute("update sales.orders set status_id = -4 where shop_id = %s and code = 'C1'", [MASTER])
    done = hub(hub_env, "analytics", "refresh", "--json")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    summaries = [s for s in lines if s["kind"] == "customers"]  # the inventory refresh runs too
    assert [(s["shop_id"], s["mode"]) for s in summaries] == [(MASTER, "keys"), (OTHER, "full")]
    assert {(s["shop_id"], s["kind"]) for s in lines} - {(s["shop_id"], "customers") for s in summaries} == {
        (MASTER, "inventory"),
        (OTHER, "inventory"),
    }
    assert summaries[0]["keys"] == 1 and summaries[0]["deleted"] == 1
    done = hub(hub_env, "analytics", "show", "--shop", str(MASTER))
    assert done.returncode == 0, done.stderr
    segments = admin.execute(
        "select rfm_segment, count(*) from analytics.customer_metrics where shop_id = %s group by 1", [MASTER]
    ).fetchall()
    for name, count in segments:
        assert any(line.startswith(name) and f" {count} " in line for line in done.stdout.splitlines()), name
    top = admin.execute("select email from analytics.top_customers(%s, 1, 'clv')", [MASTER]).fetchone()[0]
    assert top in done.stdout
    # newcomer finding 25: churn as a percentage and the rhythm in days with one decimal, as the dashboard
    rhythm, churn = admin.execute(
        "select m.median_days_between_orders, (select churn_risk from analytics.customer_metrics"
        " where shop_id = m.shop_id and churn_risk is not null order by clv desc nulls last, customer_key desc limit 1)"
        " from analytics.customer_models m where m.shop_id = %s",
        [MASTER],
    ).fetchone()
    assert f"median rhythm {float(rhythm):,.1f} days," in done.stdout, done.stdout
    assert f"{float(churn) * 100:.1f} %" in done.stdout and f" {churn} " not in done.stdout + " ", done.stdout
    done = hub(hub_env, "analytics", "show", "--shop", str(MASTER), "--segment", "lost", "--json")
    shown = json.loads(done.stdout)
    assert {s["segment"] for s in shown["segments"]} <= {"lost"}
    assert all(c["rfm_segment"] == "lost" for c in shown["top_customers"])
    # newcomer finding 9: an unknown segment is an error listing the valid ones
    done = hub(hub_env, "analytics", "show", "--shop", str(MASTER), "--segment", "at-risk")
    assert done.returncode == 1 and "unknown RFM segment 'at-risk'" in done.stderr, done.stderr
    assert "at risk" in done.stderr and "champions" in done.stderr
    done = hub(hub_env, "analytics", "refresh", "--shop", "999")
    assert done.returncode == 1 and "no shop 999" in done.stderr


def test_incremental_refresh_of_a_tiny_shop_growing_and_emptying(admin: psycopg.Connection) -> None:
    """Fewer customers than quintiles (empty buckets), growing one by one, then none, then one."""
    admin.execute("insert into core.shops (shop_id, name) values (1, 'tiny')")

    def order(code: str, email: str, days: float, total: str = "10.00") -> None:
        admin.execute(
            "insert into sales.orders (shop_id, code, created_at, email, total_with_vat) values (1, %s, %s, %s, %s)",
            [code, day(days), email, total],
        )

    def same_as_full() -> None:
        admin.execute("select analytics.refresh_changed_customers(1)")
        with admin.transaction(force_rollback=True):
            incremental = table_state(admin)
            admin.execute("select analytics.rebuild_customer_metrics(1, false)")
            assert table_state(admin) == incremental

    order("1", "a@x.cz", 1)
    admin.execute("select analytics.refresh_customer_metrics(1)")
    for n in range(2, 8):
        order(str(n), f"{'abcdefg'[n - 1]}@x.cz", n % 3, "10.00" if n % 2 else "99.00")
        same_as_full()
    order("8", "a@x.cz", 9)  # a known customer moves to the top
    same_as_full()
    admin.execute("update sales.orders set status_id = -4 where shop_id = 1")
    same_as_full()
    assert admin.execute("select customers from analytics.customer_rfm_bounds where shop_id = 1").fetchone() == (0,)
    order("9", "z@x.cz", 3)
    same_as_full()
    assert admin.execute("select recency_score, rfm_segment from analytics.customer_metrics").fetchall() == [
        (1, "lost")
    ]
