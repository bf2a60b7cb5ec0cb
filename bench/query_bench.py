"""`hub bench queries`: latency of the hub's listing and lookup functions on generated data.

Run `hub bench generate --scale S` first (`make bench` does both). Every query is one of the
SQL functions the hub and its users call, with parameters drawn at random (seeded) from the
data: a customer's order history page, e-mail lookup with messed-up case and spaces, orders
by status in a date range, order lines of a type in a quarter, top customers by spend. Each
runs `samples` times as hub_app over one connection (prepared statements, warm cache: a
warm-up pass with other parameters comes first) and p50 / p95 / p99 are printed. EXPLAIN
(format json) of the date-ranged order-lines query shows how many partitions are scanned.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import psycopg.sql

from bench.generate import BENCH_SHOPS
from bench.stats import fmt_seconds, record, summary
from runner.db import Target, connect

ITEM_TYPES = ("product", "shipping", "billing", "discount-coupon")
STATUSES = (-1, -2, -3, -4)
# targets at full scale, warm cache (issue 4)
TARGETS = {"order history page (50)": 0.005, "e-mail lookup": 0.002}


@dataclass
class Query:
    name: str
    sql: str
    params: Callable[[random.Random], tuple[Any, ...]]


def _mess_up(email: str, rng: random.Random) -> str:
    """The same address as a user might type it: random capitals, spaces around."""
    mixed = "".join(ch.upper() if rng.random() < 0.3 else ch.lower() for ch in email)
    return " " * rng.randint(0, 2) + mixed + " " * rng.randint(0, 2)


def _quarter_start(at: datetime) -> datetime:
    return datetime(at.year, 3 * ((at.month - 1) // 3) + 1, 1, tzinfo=UTC)


def _add_months(at: datetime, months: int) -> datetime:
    month = at.month - 1 + months
    return at.replace(year=at.year + month // 12, month=month % 12 + 1)


def _draw(conn: psycopg.Connection, seed: int, n: int) -> dict[str, Any]:
    """Parameters from the data: customers (with orders), e-mails, the time span of the orders."""
    shops = list(BENCH_SHOPS)
    customers = conn.execute(
        """select o.shop_id, o.customer_guid
           from sales.orders o tablesample bernoulli (%(pct)s) repeatable (%(seed)s)
           where o.shop_id = any(%(shops)s) and o.customer_guid is not null
           limit %(n)s""",
        {"pct": _pct(conn, "sales.orders", 4 * n), "seed": seed, "shops": shops, "n": 2 * n},
    ).fetchall()
    emails = conn.execute(
        """select c.shop_id, c.email
           from sales.customers c tablesample bernoulli (%(pct)s) repeatable (%(seed)s)
           where c.shop_id = any(%(shops)s) and c.email is not null and c.deleted_at is null
           limit %(n)s""",
        {"pct": _pct(conn, "sales.customers", 4 * n), "seed": seed, "shops": shops, "n": 2 * n},
    ).fetchall()
    heavy = conn.execute(
        """select m.shop_id, m.customer_guid from analytics.customer_metrics m
           where m.shop_id = any(%s) and m.orders_count >= 50 and m.customer_guid is not null""",
        [shops],
    ).fetchall()
    span = conn.execute(
        "select min(created_at), max(created_at) from sales.orders where shop_id = any(%s)", [shops]
    ).fetchone()
    if not customers or not emails or not span or span[0] is None:
        raise RuntimeError("no generated data: run `hub bench generate` first")
    return {"shops": shops, "customers": customers, "heavy": heavy, "emails": emails, "first": span[0], "last": span[1]}


def _pct(conn: psycopg.Connection, table: str, want: int) -> float:
    row = conn.execute("select greatest(reltuples, 1) from pg_class where oid = %s::regclass", [table]).fetchone()
    return min(100.0, 100.0 * want / float(row[0] if row else 1))


def queries(data: dict[str, Any]) -> list[Query]:
    first, last = data["first"], data["last"]
    days = max(1, (last - first).days)
    quarters = []
    q = _quarter_start(first)
    while q <= last:
        quarters.append(q)
        q = _add_months(q, 3)

    def history(rng: random.Random) -> tuple[Any, ...]:
        return tuple(rng.choice(data["customers"]))

    def email(rng: random.Random) -> tuple[Any, ...]:
        shop, address = rng.choice(data["emails"])
        return shop, _mess_up(address, rng)

    def by_status(rng: random.Random) -> tuple[Any, ...]:
        start = first + timedelta(days=rng.randrange(days))
        return rng.choice(data["shops"]), rng.choice(STATUSES), start, start + timedelta(days=rng.choice((7, 30, 90)))

    def by_type(rng: random.Random) -> tuple[Any, ...]:
        start = rng.choice(quarters)
        return rng.choice(data["shops"]), rng.choice(ITEM_TYPES), start, _add_months(start, 3)

    def top(rng: random.Random) -> tuple[Any, ...]:
        return rng.choice(data["shops"]), rng.choice((10, 20, 50))

    def heavy(rng: random.Random) -> tuple[Any, ...]:
        return tuple(rng.choice(data["heavy"]))

    return [
        Query("order history page (50)", "select * from sales.customer_orders_page(%s, %s)", history),
        *(
            [
                Query(
                    "order history page (50), customers with >= 50 orders",
                    "select * from sales.customer_orders_page(%s, %s)",
                    heavy,
                )
            ]
            if data["heavy"]
            else []
        ),
        Query("e-mail lookup", "select * from sales.customer_by_email(%s, %s)", email),
        Query(
            "orders by status in a date range (page of 50)",
            "select * from sales.orders_by_status_page(%s, %s, %s, %s)",
            by_status,
        ),
        Query(
            "order lines by type in a quarter (page of 1000)",
            "select * from sales.order_items_by_type(%s, %s, %s, %s)",
            by_type,
        ),
        Query("top customers by spend", "select * from analytics.top_customers(%s, %s)", top),
    ]


def _time(conn: psycopg.Connection, query: Query, rng: random.Random, n: int) -> tuple[list[float], int]:
    samples, rows = [], 0
    with conn.cursor() as cur:
        for _ in range(n):
            params = query.params(rng)
            t0 = time.perf_counter()
            cur.execute(query.sql, params, prepare=True)
            rows += len(cur.fetchall())
            samples.append(time.perf_counter() - t0)
    return samples, rows


def partition_pruning(conn: psycopg.Connection, shop: int, item_type: str, start: datetime) -> dict[str, Any]:
    """EXPLAIN (analyze, format json) of the body of sales.order_items_by_type for one quarter:
    which partitions of sales.order_items and archive.order_items it reads, of how many."""
    row = conn.execute(
        "select prosrc, proargnames from pg_proc where oid = 'sales.order_items_by_type(bigint, text, timestamptz, "
        "timestamptz, integer, timestamptz, text, bigint)'::regprocedure"
    ).fetchone()
    assert row is not None
    body, names = row
    # the function body with its parameters as $n: planned the way the function is
    positions = {name: i + 1 for i, name in enumerate(names)}
    sql = re.sub(r"\bp_\w+\b", lambda m: f"${positions[m.group(0)]}", body).strip().rstrip(";")
    types = "bigint, text, timestamptz, timestamptz, integer, timestamptz, text, bigint"
    conn.execute("deallocate all")
    conn.execute(f"prepare bench_items_by_type ({types}) as {sql}")
    args = [shop, item_type, start, _add_months(start, 3), 1000, None, None, None]
    # EXECUTE's arguments cannot be bind parameters: literals, typed by the PREPARE
    explain = psycopg.sql.SQL("explain (analyze, verbose, format json) execute bench_items_by_type ({})").format(
        psycopg.sql.SQL(", ").join(psycopg.sql.Literal(a) for a in args)
    )
    plan_row = conn.execute(explain).fetchone()
    conn.execute("deallocate bench_items_by_type")
    assert plan_row is not None
    plan = plan_row[0] if isinstance(plan_row[0], list) else json.loads(plan_row[0])
    scanned: list[str] = []
    removed = 0

    def walk(node: dict[str, Any]) -> None:
        nonlocal removed
        removed += int(node.get("Subplans Removed", 0))
        rel = node.get("Relation Name")
        if (
            rel
            and (rel.startswith("order_items_p") or rel == "order_items_default")
            and node.get("Actual Loops", 1) > 0
        ):
            scanned.append(f"{node.get('Schema', '')}.{rel}".lstrip("."))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    total = conn.execute("select count(*) from ops.partitions").fetchone()
    return {
        "scanned": sorted(set(scanned)),
        "total": int(total[0]) if total else 0,
        "runtime_removed": removed,
        "quarter": start.strftime("%Y") + "q" + str((start.month - 1) // 3 + 1),
        "item_type": item_type,
        "shop": shop,
    }


def run(
    target: Target, *, samples: int = 2000, seed: int = 1, scale: float | None = None, record_results: bool = True
) -> int:
    with connect(target, "app", autocommit=True) as conn:
        data = _draw(conn, seed, samples)
        rng = random.Random(seed)
        results = []
        for query in queries(data):
            _time(conn, query, random.Random(seed + 1000), max(50, samples // 4))  # warm-up, other parameters
            times, rows = _time(conn, query, rng, samples)
            results.append((query.name, summary(times), rows / len(times)))
        with connect(target, "admin", autocommit=True) as admin:
            admin.execute("set search_path = pg_catalog, public")
            hot_quarter = _quarter_start(data["last"] - timedelta(days=200))
            old_quarter = _quarter_start(data["first"] + timedelta(days=100))
            pruning = [
                partition_pruning(admin, BENCH_SHOPS[0], "discount-coupon", hot_quarter),
                partition_pruning(admin, BENCH_SHOPS[0], "shipping", old_quarter),
            ]
        counts = conn.execute(
            """select (select count(*) from sales.orders where shop_id = any(%(s)s)),
                      (select count(*) from sales.customers where shop_id = any(%(s)s))""",
            {"s": list(BENCH_SHOPS)},
        ).fetchone()
    assert counts is not None  # two scalar subqueries: one row

    lines = [
        f"Data: {counts[0]:,} orders, {counts[1]:,} customers in shops {', '.join(map(str, BENCH_SHOPS))}"
        + (f" (`hub bench generate --scale {scale}`)" if scale else "")
        + f"; {samples} samples per query "
        "after a warm-up with other parameters, one hub_app connection, prepared statements; "
        "time = execute + fetch all rows, measured in the client. Customers for the order history "
        "are drawn through random orders (weighted by their orders, as active customers look more "
        "often); the heavy ones are every customer with 50 orders or more.",
        "",
        "| query | n | rows/call | p50 | p95 | p99 | target p95 |",
        "|---|---|---|---|---|---|---|",
    ]
    status = 0
    for name, s, rows_per_call in results:
        target_p95 = TARGETS.get(name)
        verdict = ""
        if target_p95 is not None:
            met = s["p95"] <= target_p95
            verdict = f"<= {fmt_seconds(target_p95)} {'met' if met else 'MISSED'}"
        lines.append(
            f"| {name} | {s['n']:.0f} | {rows_per_call:.1f} | {fmt_seconds(s['p50'])} | {fmt_seconds(s['p95'])} "
            f"| {fmt_seconds(s['p99'])} | {verdict} |"
        )
    lines.append("")
    for p in pruning:
        lines.append(
            f"Partition pruning (EXPLAIN ANALYZE, format json, of sales.order_items_by_type's query, "
            f"shop {p['shop']}, {p['item_type']}, {p['quarter']}): scanned {len(p['scanned'])} of "
            f"{p['total']} partitions ({', '.join(p['scanned']) or 'none'})"
            + (
                ": a quarter without a hot partition cannot exclude the (empty) default partition of "
                "sales.order_items, which would hold such rows"
                if any(t.endswith("_default") for t in p["scanned"])
                else ""
            )
            + "."
        )
    print("\n".join(lines))
    if any(len([t for t in p["scanned"] if not t.endswith("_default")]) != 1 for p in pruning):
        print("partition pruning: a one-quarter query read more than one quarterly partition")
        status = 1
    if record_results:
        record("Query latency on generated data", f"hub bench queries --samples {samples} --seed {seed}", lines)
    return status
