"""`hub bench tags` and `hub bench recommendations`: the customer tags and the
frequently-bought-together statistics on generated data (docs/analytics.md).

Run `hub bench generate --scale S` and `hub analytics refresh --full` first (the tags read
analytics.customer_metrics). Both print their figures with the machine's load average (the
machine may be shared: a figure means little without it) and append them to bench/RESULTS.md.

tags: five sample rules saved on each bench shop (the saves tag at once: timed), then (after an
ANALYZE of analytics.customer_tags, as autovacuum would do after such a change) a full
re-evaluation that changes nothing, one of the rules that depend on the clock only (what the daily
refresh adds to the customers it changed: analytics.clock_tag_rules), re-tags of 1,000 random customer
keys (the incremental refresh's call), and the removal of the rules with their tags (timed).

recommendations: analytics.refresh_product_pairs of each bench shop with its settings (default:
365 days, min support 0.0001, min 3 orders), then p50 / p95 of
analytics.frequently_bought_together (random products) and
analytics.customer_recommendations for one customer (random customers who bought something).
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

import psycopg

from bench.generate import BENCH_SHOPS
from bench.stats import fmt_seconds, record, summary
from runner.db import Target, connect

SAMPLE_RULES: dict[str, Any] = {
    "bench-loyal-at-risk": {
        "all": [
            {"metric": "orders_count", "op": ">=", "value": 3},
            {"metric": "rfm_segment", "op": "in", "value": ["at risk", "can't lose"]},
        ]
    },
    "bench-one-timer": {"metric": "orders_count", "op": "<=", "value": 1},
    "bench-big-spender": {
        "any": [{"metric": "total_spent", "op": ">", "value": 20000}, {"metric": "clv", "op": ">", "value": 30000}]
    },
    "bench-recent": {"metric": "last_order_at", "op": ">=", "value": {"days_ago": 30}},
    "bench-churning": {
        "all": [
            {"metric": "churn_risk", "op": ">", "value": 0.8},
            {"not": {"metric": "rfm_segment", "op": "=", "value": "lost"}},
        ]
    },
}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min)"


def _timed(conn: psycopg.Connection, sql: str, params: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    row = conn.execute(sql, params).fetchone()
    return time.perf_counter() - t0, row[0] if row else None


def run_tags(target: Target, *, keys: int = 1000, seed: int = 1, record_results: bool = True) -> int:
    lines = [
        f"Five sample rules (bench/analytics_extras_bench.py) per shop; {_load()} at the start.",
        "",
        "| shop | customers | save 5 rules (tags at once) | tag rows | full re-tag, nothing changed "
        "| clock rules only (the daily refresh) "
        f"| re-tag {keys:,} keys (p50 of 5) | remove the 5 rules (and their tags) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rng = random.Random(seed)
    with connect(target, "app", autocommit=True) as conn:
        counts: dict[int, int] = dict(
            conn.execute(
                "select shop_id, count(*) from analytics.customer_metrics where shop_id = any(%s) group by shop_id",
                [list(BENCH_SHOPS)],
            ).fetchall()
        )
        if not counts:
            raise RuntimeError(
                "no customer metrics of the bench shops: run `hub bench generate` and `hub analytics refresh --full`"
            )
        for shop in BENCH_SHOPS:
            if shop not in counts:
                continue
            conn.execute("delete from analytics.tag_rules where shop_id = %s and name like 'bench-%%'", [shop])
            t0 = time.perf_counter()
            with conn.transaction():
                for name, condition in SAMPLE_RULES.items():
                    conn.execute(
                        "insert into analytics.tag_rules (shop_id, name, condition) values (%s, %s, %s::jsonb)",
                        [shop, name, json.dumps(condition)],
                    )
            save = time.perf_counter() - t0
            tags = conn.execute(
                "select count(*) from analytics.customer_tags where shop_id = %s and tag like 'bench-%%'", [shop]
            ).fetchone()
            # the table's statistics as autovacuum keeps them (the saves above changed most of it)
            with connect(target, "admin", autocommit=True) as admin:
                admin.execute("analyze analytics.customer_tags")
            noop, _ = _timed(conn, "select analytics.apply_tag_rules(%s)", [shop])
            clock, _ = _timed(
                conn, "select analytics.apply_tag_rules(%s, null, analytics.clock_tag_rules(%s))", [shop, shop]
            )
            sample = [
                r[0]
                for r in conn.execute(
                    "select customer_key from analytics.customer_metrics where shop_id = %s", [shop]
                ).fetchall()
            ]
            keyed = []
            for _ in range(5):
                chosen = rng.sample(sample, min(keys, len(sample)))
                seconds, _ = _timed(conn, "select analytics.apply_tag_rules(%s, %s)", [shop, chosen])
                keyed.append(seconds)
            t0 = time.perf_counter()
            conn.execute("delete from analytics.tag_rules where shop_id = %s and name like 'bench-%%'", [shop])
            remove = time.perf_counter() - t0
            lines.append(
                f"| {shop} | {counts[shop]:,} | {fmt_seconds(save)} | {tags[0] if tags else 0:,} | {fmt_seconds(noop)} "
                f"| {fmt_seconds(clock)} "
                f"| {fmt_seconds(summary(keyed)['p50'])} | {fmt_seconds(remove)} |"
            )
    lines += ["", f"{_load()} at the end."]
    print("\n".join(lines))
    if record_results:
        record("Customer tags", f"hub bench tags --keys {keys} --seed {seed}", lines)
    return 0


def run_recommendations(target: Target, *, samples: int = 500, seed: int = 1, record_results: bool = True) -> int:
    lines = [
        f"analytics.refresh_product_pairs with the shops' settings; {_load()} at the start.",
        "",
        "| shop | orders (baskets) | products | pairs kept | refresh |",
        "|---|---|---|---|---|",
    ]
    rng = random.Random(seed)
    with connect(target, "app", autocommit=True) as conn:
        runs = []
        for shop in BENCH_SHOPS:
            t0 = time.perf_counter()
            cur = conn.execute("select baskets, products, pairs, days from analytics.refresh_product_pairs(%s)", [shop])
            row = cur.fetchone()
            seconds = time.perf_counter() - t0
            if row is None or row[0] == 0:
                raise RuntimeError("no orders in the bench shops: run `hub bench generate` first")
            runs.append((shop, *row, seconds))
            lines.append(
                f"| {shop} | {row[0]:,} (last {row[3]} days) | {row[1]:,} | {row[2]:,} | {fmt_seconds(seconds)} |"
            )
        products = conn.execute(
            "select shop_id, product_guid::text from analytics.product_pairs where shop_id = any(%s) and rank = 1",
            [list(BENCH_SHOPS)],
        ).fetchall()
        customers = conn.execute(
            """select o.shop_id, analytics.customer_key(o.customer_guid, o.email)
               from sales.orders o tablesample system (1) repeatable (%s)
               where o.shop_id = any(%s) and o.deleted_at is null and o.status_id <> -4
               limit %s""",
            [seed, list(BENCH_SHOPS), samples * 2],
        ).fetchall()
        timings: dict[str, list[float]] = {
            "frequently_bought_together (10)": [],
            "customer_recommendations, one customer (10)": [],
        }
        rows: dict[str, int] = dict.fromkeys(timings, 0)
        with conn.cursor() as cur:
            for name, sql, pool in (
                (
                    "frequently_bought_together (10)",
                    "select * from analytics.frequently_bought_together(%s, %s, 10)",
                    products,
                ),
                (
                    "customer_recommendations, one customer (10)",
                    "select * from analytics.customer_recommendations(%s, array[%s], 10)",
                    customers,
                ),
            ):
                for i in range(samples + 20):
                    shop, key = rng.choice(pool)
                    t0 = time.perf_counter()
                    cur.execute(sql, [shop, key], prepare=True)
                    got = len(cur.fetchall())
                    if i >= 20:  # the first 20: warm-up
                        timings[name].append(time.perf_counter() - t0)
                        rows[name] += got
    lines += [
        "",
        f"Readers, {samples} calls each after 20 warm-up calls, random products (each shop's products with "
        "pairs) and customers (drawn through random orders), one hub_app connection:",
        "",
        "| function | rows/call | p50 | p95 | p99 |",
        "|---|---|---|---|---|",
    ]
    for name, times in timings.items():
        s = summary(times)
        lines.append(
            f"| {name} | {rows[name] / len(times):.1f} | {fmt_seconds(s['p50'])} | {fmt_seconds(s['p95'])} "
            f"| {fmt_seconds(s['p99'])} |"
        )
    lines += ["", f"{_load()} at the end."]
    print("\n".join(lines))
    if record_results:
        record("Frequently bought together", f"hub bench recommendations --samples {samples} --seed {seed}", lines)
    return 0
