"""Frequently bought together and per-customer recommendations (issue 13 item 7): support,
confidence and lift of analytics.product_pairs equal a plain-Python computation over hand-made
orders (the definitions of docs/analytics.md written again here); cancelled and deleted orders
and lines count nowhere; a customer is never offered what they already bought.

The fixture: shop 1 with twelve products (P1 has two size variants), 200 orders of
registered customers and guests, with cancelled orders (Shoptet's -4 and the shop's own 7),
deleted orders and lines, shipping and billing lines, bazar lines, lines that name only their
variant code (no product GUID), two variants of one product in one order, and old orders outside
the default 365-day window.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import psycopg
import pytest

from runner.db import Target

SHOP = 1
CANCELLED = {-4, 7}  # -4 Shoptet's default; 7 the shop's own (setting)
PRODUCTS = {f"P{i}": f"00000000-0000-4000-a000-0000000000{i:02d}" for i in range(1, 13)}
VARIANTS = {"P1/S": "P1", "P1/M": "P1", **{f"P{i}": f"P{i}" for i in range(2, 13)}}
DELETED_PRODUCT = "P8"  # deleted in the catalogue: never recommended
CUSTOMERS = [f"10000000-0000-4000-8000-0000000000{i:02d}" for i in range(37)]
GUESTS = ["Guest.One@Example.cz ", "\tguest.two@example.cz", "guest.three@example.cz"]
NOW = datetime.now(UTC)


@dataclass
class Line:
    item_type: str
    code: str | None  # variant code
    with_guid: bool = True  # False: the line names only its variant code
    deleted: bool = False


@dataclass
class Order:
    code: str
    created: datetime
    customer_guid: str | None
    email: str | None
    status: int = -2
    deleted: bool = False
    lines: list[Line] = field(default_factory=list)

    @property
    def key(self) -> str | None:
        if self.customer_guid:
            return self.customer_guid.lower()
        return self.email.strip().lower() if self.email and self.email.strip() else None


def make_orders() -> list[Order]:
    rnd = random.Random(7)
    codes = list(VARIANTS)
    weights = [5, 3, 6, 4, 3, 2, 2, 1, 2, 2, 1, 1, 3]
    orders: list[Order] = []
    for n in range(200):
        who = n % 40
        guid = CUSTOMERS[who].upper() if who < 37 and who % 5 == 0 else (CUSTOMERS[who] if who < 37 else None)
        email = GUESTS[who - 37] if who >= 37 else f"customer{who}@example.cz"
        days = rnd.choice([2, 10, 40, 90, 200, 300]) if n % 10 else 500  # every tenth order is old
        order = Order(
            f"O{n:04d}",
            NOW - timedelta(days=days, hours=rnd.randint(0, 20)),
            guid,
            email,
            status=rnd.choice([-2, -2, -2, -1, -3, -4, 7]),
            deleted=rnd.random() < 0.06,
        )
        for code in rnd.choices(codes, weights, k=rnd.choice([1, 1, 2, 3, 3, 4])):
            order.lines.append(
                Line(
                    "bazar" if rnd.random() < 0.1 else "product",
                    code,
                    with_guid=rnd.random() > 0.15,
                    deleted=rnd.random() < 0.05,
                )
            )
        order.lines.append(Line("shipping", None))
        if n % 4 == 0:
            order.lines.append(Line("billing", None))
        orders.append(order)
    # a pair seen only in cancelled and deleted orders: never counted
    for i, (status, deleted) in enumerate([(-4, False), (7, False), (-2, True)] * 2):
        orders.append(
            Order(
                f"X{i}",
                NOW - timedelta(days=5),
                CUSTOMERS[1],
                "c@example.cz",
                status,
                deleted,
                [Line("product", "P6"), Line("product", "P7")],
            )
        )
    return orders


def counted(order: Order, since: datetime | None = None) -> bool:
    return not order.deleted and order.status not in CANCELLED and (since is None or order.created >= since)


def products_of(order: Order) -> set[str]:
    """The order's products (P1 for either of its variants), from lines that are purchases."""
    return {
        PRODUCTS[VARIANTS[line.code]]
        for line in order.lines
        if line.item_type in ("product", "bazar", "product-set") and not line.deleted and line.code
    }


def window_start(days: int) -> datetime | None:
    if days == 0:
        return None
    prague = ZoneInfo("Europe/Prague")
    today = NOW.astimezone(prague).date()
    start = today - timedelta(days=days - 1)
    return datetime(start.year, start.month, start.day, tzinfo=prague)


@dataclass
class Expected:
    baskets: int
    popularity: dict[str, int]
    pairs: dict[tuple[str, str], tuple[int, float, float, float]]  # (a, b) -> (n, support, confidence, lift)


def expected_pairs(orders: list[Order], *, min_support: float, min_orders: int, days: int) -> Expected:
    since = window_start(days)
    baskets = [p for o in orders if counted(o, since) and (p := products_of(o))]
    n = len(baskets)
    single = Counter(a for basket in baskets for a in basket)
    together = Counter(pair for basket in baskets for pair in combinations(sorted(basket), 2))
    floor = max(min_orders, math.ceil(min_support * n))
    pairs = {}
    for (a, b), nab in together.items():
        if nab < floor:
            continue
        for x, y in ((a, b), (b, a)):
            pairs[(x, y)] = (nab, nab / n, nab / single[x], nab * n / (single[x] * single[y]))
    return Expected(n, dict(single), pairs)


def insert(conn: psycopg.Connection, orders: list[Order]) -> None:
    conn.execute("insert into core.shops (shop_id, name) values (%s, 'Shop one') on conflict do nothing", [SHOP])
    conn.execute("select core.setting_set('analytics.cancelled_status_ids', '[-4, 7]'::jsonb, %s)", [SHOP])
    conn.execute("select ops.ensure_partitions(now() - interval '2 years', now())")
    with conn.cursor() as cur:
        cur.executemany(
            "insert into catalog.products (shop_id, guid, name, deleted_at) values (%s, %s, %s, %s)",
            [(SHOP, guid, f"Product {p}", NOW if p == DELETED_PRODUCT else None) for p, guid in PRODUCTS.items()],
        )
        cur.executemany(
            "insert into catalog.variants (shop_id, code, product_guid) values (%s, %s, %s)",
            [(SHOP, code, PRODUCTS[p]) for code, p in VARIANTS.items()],
        )
        cur.executemany(
            "insert into sales.orders (shop_id, code, created_at, status_id, email, customer_guid, total_with_vat,"
            " currency, exchange_rate, deleted_at) values (%s, %s, %s, %s, %s, %s, 100, 'CZK', 1, %s)",
            [(SHOP, o.code, o.created, o.status, o.email, o.customer_guid, NOW if o.deleted else None) for o in orders],
        )
        cur.executemany(
            "insert into sales.order_items (shop_id, order_code, item_id, created_at, item_type, product_guid, code,"
            " name, amount, deleted_at) values (%s, %s, %s, %s, %s, %s, %s, 'line', 1, %s)",
            [
                (
                    SHOP,
                    o.code,
                    i,
                    o.created,
                    line.item_type,
                    PRODUCTS[VARIANTS[line.code]] if line.code and line.with_guid else None,
                    line.code,
                    NOW if line.deleted else None,
                )
                for o in orders
                for i, line in enumerate(o.lines, start=1)
            ],
        )


@pytest.fixture
def orders(admin: psycopg.Connection) -> list[Order]:
    data = make_orders()
    insert(admin, data)
    return data


def refresh(conn: psycopg.Connection, **params: object) -> dict[str, object]:
    types = {"min_support": "numeric", "min_orders": "integer", "days": "integer"}
    names = ", ".join(f"p_{k} => %({k})s::{types[k]}" for k in params)
    cur = conn.execute(
        f"select * from analytics.refresh_product_pairs(%(shop)s{', ' + names if names else ''})",
        {"shop": SHOP, **params},
    )
    row = cur.fetchone()
    assert row is not None
    return dict(zip([c.name for c in cur.description or ()], row, strict=True))


def stored(conn: psycopg.Connection) -> tuple[dict[str, int], dict[tuple[str, str], tuple[int, float, float, float]]]:
    popularity = dict(
        conn.execute(
            "select product_guid::text, orders_count from analytics.product_popularity where shop_id = %s", [SHOP]
        ).fetchall()
    )
    pairs = {
        (a, b): (n, s, c, lift)
        for a, b, n, s, c, lift in conn.execute(
            "select product_guid::text, other_product_guid::text, orders_together, support, confidence, lift"
            " from analytics.product_pairs where shop_id = %s",
            [SHOP],
        ).fetchall()
    }
    return popularity, pairs


def assert_same(expected: Expected, run: dict[str, object], conn: psycopg.Connection) -> None:
    popularity, pairs = stored(conn)
    assert run["baskets"] == expected.baskets
    assert popularity == expected.popularity
    assert set(pairs) == set(expected.pairs)
    for key, (n, support, confidence, lift) in expected.pairs.items():
        assert pairs[key][0] == n, key
        assert pairs[key][1:] == pytest.approx((support, confidence, lift), rel=1e-12), key


def test_support_confidence_lift_equal_a_python_computation(admin: psycopg.Connection, orders: list[Order]) -> None:
    run = refresh(admin, min_support=0, min_orders=1)
    expected = expected_pairs(orders, min_support=0, min_orders=1, days=365)
    assert expected.baskets > 50 and len(expected.pairs) > 20  # the fixture is not trivial
    assert_same(expected, run, admin)
    assert run["days"] == 365 and run["pairs"] == len(expected.pairs)


def test_minimum_support_and_orders_are_applied(admin: psycopg.Connection, orders: list[Order]) -> None:
    for min_support, min_orders in [(0.05, 1), (0, 4), (0.02, 3)]:
        run = refresh(admin, min_support=min_support, min_orders=min_orders)
        expected = expected_pairs(orders, min_support=min_support, min_orders=min_orders, days=365)
        assert_same(expected, run, admin)
    loose = expected_pairs(orders, min_support=0, min_orders=1, days=365)
    assert len(expected.pairs) < len(loose.pairs)  # the thresholds removed something


def test_settings_give_the_defaults_and_a_bad_setting_is_named(admin: psycopg.Connection, orders: list[Order]) -> None:
    run = refresh(admin)  # defaults: min support 0.0001, min orders 3, 365 days
    assert (float(run["min_support"]), run["min_orders"], run["days"]) == (0.0001, 3, 365)  # type: ignore[arg-type]
    assert_same(expected_pairs(orders, min_support=0.0001, min_orders=3, days=365), run, admin)

    admin.execute("select core.setting_set('analytics.recommendations_min_orders', '2'::jsonb, %s)", [SHOP])
    admin.execute("select core.setting_set('analytics.recommendations_days', '0'::jsonb)")  # global: all history
    run = refresh(admin)
    assert_same(expected_pairs(orders, min_support=0.0001, min_orders=2, days=0), run, admin)
    assert run["baskets"] > expected_pairs(orders, min_support=0, min_orders=1, days=365).baskets  # old orders in

    admin.execute("select core.setting_set('analytics.recommendations_min_support', '\"1%%\"'::jsonb, %s)", [SHOP])
    with pytest.raises(
        psycopg.errors.InvalidParameterValue,
        match=r"setting analytics.recommendations_min_support of shop 1 must be a number between 0 and 1; it is \"1%\"",
    ):
        refresh(admin)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"p_min_orders must be at least 1, got 0"):
        refresh(admin, min_support=0, min_orders=0)


def test_cancelled_and_deleted_orders_and_lines_count_nowhere(admin: psycopg.Connection, orders: list[Order]) -> None:
    run = refresh(admin, min_support=0, min_orders=1)
    popularity, pairs = stored(admin)
    p6, p7 = PRODUCTS["P6"], PRODUCTS["P7"]
    # the X orders (cancelled -4, cancelled by the shop's own status 7, deleted) hold P6 and P7
    # together six times; only counted orders may contribute
    counted_together = sum(1 for o in orders if counted(o, window_start(365)) and {p6, p7} <= products_of(o))
    assert pairs.get((p6, p7), (0,))[0] == counted_together
    assert run["baskets"] == sum(1 for o in orders if counted(o, window_start(365)) and products_of(o))
    # a deleted line does not make its product bought: the product counts of the table are exactly
    # those of the counted orders' live product lines (shipping and billing lines are no products)
    assert sum(popularity.values()) == sum(len(products_of(o)) for o in orders if counted(o, window_start(365)))


def test_frequently_bought_together_by_guid_or_variant_code(admin: psycopg.Connection, orders: list[Order]) -> None:
    refresh(admin, min_support=0, min_orders=1)
    _, pairs = stored(admin)
    p1 = PRODUCTS["P1"]
    deleted = PRODUCTS[DELETED_PRODUCT]
    expected = sorted(
        ((b, v) for (a, b), v in pairs.items() if a == p1 and b != deleted),
        key=lambda item: (-item[1][2], -item[1][3], -item[1][0], item[0]),
    )
    for product in (p1, p1.upper(), "P1/M", "P1/S"):
        rows = admin.execute(
            "select product_guid::text, name, orders_together from analytics.frequently_bought_together(%s, %s, 3)",
            [SHOP, product],
        ).fetchall()
        assert [r[0] for r in rows] == [b for b, _ in expected[:3]]
        assert all(r[1].startswith("Product P") for r in rows)
    with pytest.raises(
        psycopg.errors.NoDataFound, match=r"'NOPE' is neither a product GUID nor a variant code of shop 1"
    ):
        admin.execute("select * from analytics.frequently_bought_together(%s, 'NOPE')", [SHOP])


def bought_by(orders: list[Order]) -> dict[str, set[str]]:
    """What each customer key has bought: products of counted orders, whole history."""
    bought: dict[str, set[str]] = {}
    for o in orders:
        if counted(o) and o.key:
            bought.setdefault(o.key, set()).update(products_of(o))
    return bought


def expected_recommendations(
    bought: set[str],
    pairs: dict[tuple[str, str], tuple[int, float, float, float]],
    popularity: dict[str, int],
    limit: int,
) -> list[str]:
    deleted = PRODUCTS[DELETED_PRODUCT]
    best: dict[str, tuple[float, float]] = {}
    for (a, b), (_, _, confidence, lift) in pairs.items():
        if a in bought and b not in bought and b != deleted:
            best[b] = max(best.get(b, (-1.0, -1.0)), (confidence, lift))
    by_pairs = sorted(best, key=lambda b: (-best[b][0], -best[b][1], b))
    fill = sorted(
        (p for p in popularity if p not in bought and p not in best and p != deleted),
        key=lambda p: (-popularity[p], p),
    )
    return (by_pairs + fill)[:limit]


def test_a_customer_never_gets_what_they_bought(admin: psycopg.Connection, orders: list[Order]) -> None:
    refresh(admin, min_support=0, min_orders=2)
    popularity, pairs = stored(admin)
    bought = bought_by(orders)
    rows = admin.execute(
        "select customer_key, rank, product_guid::text, because_of::text"
        " from analytics.customer_recommendations(%s, null, 4)",
        [SHOP],
    ).fetchall()
    got: dict[str, list[str]] = {}
    for key, rank, product, because in rows:
        got.setdefault(key, []).append(product)
        assert rank == len(got[key])
        assert product not in bought[key], (key, product)
        assert because is None or because in bought[key]
    assert set(got) <= set(bought)
    for key, products in bought.items():
        # a customer who has bought every product there is gets nothing
        assert got.get(key, []) == expected_recommendations(products, pairs, popularity, 4), key
    assert sum(len(v) for v in got.values()) > 3 * len(got) > 90  # most get a full list


def test_given_customers_are_found_by_guid_or_email_in_any_spelling(
    admin: psycopg.Connection, orders: list[Order]
) -> None:
    refresh(admin, min_support=0, min_orders=1)
    popularity, pairs = stored(admin)
    bought = bought_by(orders)
    guid_key = CUSTOMERS[5]  # stored upper-case in its orders
    guest_key = "guest.two@example.cz"  # stored with a leading tab
    asked = [guid_key.upper(), " GUEST.TWO@example.cz\u00a0", "nobody@example.cz"]
    rows = admin.execute(
        "select customer_key, product_guid::text, reason from analytics.customer_recommendations(%s, %s, 5)",
        [SHOP, asked],
    ).fetchall()
    got: dict[str, list[str]] = {}
    for key, product, reason in rows:
        got.setdefault(key, []).append(product)
        assert reason
    assert got[guid_key] == expected_recommendations(bought[guid_key], pairs, popularity, 5)
    assert got[guest_key] == expected_recommendations(bought[guest_key], pairs, popularity, 5)
    # someone who bought nothing gets the best sellers (the deleted product never)
    assert got["nobody@example.cz"] == expected_recommendations(set(), pairs, popularity, 5)
    products = admin.execute(
        "select product_guid::text from analytics.customer_products(%s, %s)", [SHOP, [guid_key]]
    ).fetchall()
    assert {p for (p,) in products} == bought[guid_key]


def test_a_registered_customer_is_found_by_their_account_email(admin: psycopg.Connection, orders: list[Order]) -> None:
    """Newcomer finding 1: an e-mail of a registered customer used to resolve to the e-mail key,
    which only guests have, so the answer was the best sellers, including what they had bought."""
    refresh(admin, min_support=0, min_orders=1)
    popularity, pairs = stored(admin)
    bought = bought_by(orders)
    guid_key = CUSTOMERS[6]
    admin.execute(
        "insert into sales.customers (shop_id, guid, email) values (%s, %s, 'Marie.Jelinek@Example.NET')",
        [SHOP, guid_key],
    )
    assert bought[guid_key]  # someone who has bought, so the best sellers alone would be wrong
    rows = admin.execute(
        "select customer_key, product_guid::text from analytics.customer_recommendations(%s, %s, 5)",
        [SHOP, [" marie.jelinek@example.net"]],
    ).fetchall()
    assert {key for key, _ in rows} == {guid_key}
    got = [product for _, product in rows]
    assert got == expected_recommendations(bought[guid_key], pairs, popularity, 5)
    assert not set(got) & bought[guid_key]
    products = admin.execute(
        "select product_guid::text from analytics.customer_products(%s, %s)", [SHOP, ["MARIE.JELINEK@example.net"]]
    ).fetchall()
    assert {p for (p,) in products} == bought[guid_key]
    resolved = admin.execute(
        "select given, customer_key from analytics.resolve_customer_keys(%s, %s) order by 1",
        [SHOP, ["marie.jelinek@example.net", guid_key.upper(), "nobody@example.cz", " "]],
    ).fetchall()
    assert resolved == [
        (guid_key.upper(), guid_key),
        ("marie.jelinek@example.net", guid_key),
        ("nobody@example.cz", "nobody@example.cz"),
    ]


def test_readonly_role_calls_the_functions(db: Target, admin: psycopg.Connection, orders: list[Order]) -> None:
    refresh(admin, min_support=0, min_orders=1)
    with psycopg.connect(db.readonly, autocommit=True) as ro:
        assert (
            ro.execute("select count(*) from analytics.frequently_bought_together(%s, 'P2')", [SHOP]).fetchone()[0] > 0
        )  # type: ignore[index]
        rows = ro.execute(
            "select count(*) from analytics.customer_recommendations(%s, %s)", [SHOP, [CUSTOMERS[1]]]
        ).fetchone()
        assert rows is not None and rows[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ro.execute("select analytics.refresh_product_pairs(%s)", [SHOP])


def test_the_daily_worker_job_refreshes_a_shops_pairs(
    db: Target, admin: psycopg.Connection, orders: list[Order]
) -> None:
    from runner import tasks

    bound = tasks.configure(db)
    with bound.open():
        assert tasks.defer_analytics("product_pairs", SHOP) is True
        assert tasks.defer_analytics("product_pairs", SHOP) is False  # queued once per shop
        bound.run_worker(queues=["analytics"], wait=False, install_signal_handlers=False)
    # the job deferred here ran once; between 04:15 and ~04:25 UTC the worker also runs the daily
    # dispatcher (periodic, cron "15 4 * * *"), which queues one more refresh per shop: it must
    # succeed as well
    dispatched = admin.execute(
        "select count(*) from procrastinate.procrastinate_jobs where task_name = 'dispatch_product_pairs_refresh'"
    ).fetchone()
    assert admin.execute(
        "select status::text from procrastinate.procrastinate_jobs where task_name = 'refresh_product_pairs'"
    ).fetchall() == [("succeeded",)] * (1 + (dispatched[0] if dispatched else 0))
    run = admin.execute("select baskets, min_orders, days from analytics.product_pair_runs where shop_id = %s", [SHOP])
    expected = expected_pairs(orders, min_support=0.0001, min_orders=3, days=365)
    assert run.fetchone() == (expected.baskets, 3, 365)
    assert_same(expected, refresh(admin), admin)
