"""`hub bench analytics`: the customer-metrics refresh on generated data (issue 13 targets).

Run `hub bench generate --scale S` first (`make bench` does both). Measures, as hub_app:

* full refresh: analytics.rebuild_customer_metrics(shop, refit) of every bench shop, one
  transaction each, timed together: facts, RFM ranks, segment, model fit, writing, boundaries,
  tags (the five sample rules of `hub bench tags` are saved on each bench shop for the run and
  removed before the incremental rounds, so both full figures include the tags step: every
  customer tagged on the empty table, the clock-dependent rules on the daily case).
  Run twice: the first writes every row into an emptied table (the bench shops' stored metrics
  are removed first); the second is the daily case (only changed rows written). Target at
  scale 1 (1.4 M orders): <= 30 s.
* incremental refresh: `changes` orders of the master shop changed in one transaction (new orders
  of known and new customers, cancellations, other amounts, deletions at the source; the
  statement triggers queue the touched customers), then analytics.refresh_changed_customers(shop)
  timed; the transaction is rolled back, so the data stays as generated. `rounds` rounds, p50 and
  max. Target: 1,000 changed orders <= 200 ms.

Prints the machine's load (`uptime`) with the figures, and the CPU seconds the server process
used (from /proc, when the database runs on this machine): the machine may be shared.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

import psycopg
import psycopg.sql

from bench.analytics_extras_bench import SAMPLE_RULES
from bench.generate import BENCH_SHOPS, MASTER_SHOP
from bench.stats import fmt_seconds, percentile, record
from runner.db import Target, connect

FULL_TARGET_SECONDS = 30.0
INCREMENTAL_TARGET_SECONDS = 0.2

COUNTS = """
select (select count(*) from sales.orders where shop_id = any(%(s)s)),
       (select count(*) from analytics.customer_metrics_base where shop_id = any(%(s)s))
"""
PICK_ORDERS = """
select code, customer_key from sales.orders
where shop_id = %(shop)s and customer_key is not null and deleted_at is null
order by hashtext(code || %(seed)s::text) limit %(n)s
"""
NEW_ORDERS = """
insert into sales.orders (shop_id, code, created_at, changed_at, status_id, status_name, email, customer_guid,
                          total_with_vat, currency, exchange_rate)
select %(shop)s, 'BENCH-' || %(round)s || '-' || g, now() - (g %% 30) * interval '1 day', now(), -1, 'new',
       case when g %% 2 = 0 then (%(emails)s::text[])[1 + g %% cardinality(%(emails)s::text[])]
            else 'bench.new.' || %(round)s || '.' || g || '@example.cz' end,
       null, 100 + g, 'CZK', 1
from generate_series(1, %(n)s) g
"""
CANCEL = "update sales.orders set status_id = -4 where shop_id = %(shop)s and code = any(%(codes)s)"
REPRICE = (
    "update sales.orders set total_with_vat = total_with_vat + 1 where shop_id = %(shop)s and code = any(%(codes)s)"
)
DELETE = "update sales.orders set deleted_at = now() where shop_id = %(shop)s and code = any(%(codes)s)"
GUEST_EMAILS = """
select array_agg(customer_key) from (select customer_key from analytics.customer_metrics_base
where shop_id = %(shop)s and customer_guid is null order by hashtext(customer_key) limit 500) x
"""


def _backend_cpu(conn: psycopg.Connection) -> float | None:
    """CPU seconds the connection's server process has used (user + system), when the server runs
    on this machine (/proc readable): a measure the load of other processes inflates less than
    wall time."""
    pid = conn.info.backend_pid
    try:
        fields = open(f"/proc/{pid}/stat", encoding="ascii").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_text(before: float | None, after: float | None) -> str:
    return f"{after - before:.1f} s" if before is not None and after is not None else "n/a"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} ({os.cpu_count()} cores)"


def full_refresh(conn: psycopg.Connection, *, refit: bool = True) -> tuple[float, str, list[dict[str, Any]]]:
    """Every bench shop rebuilt, one transaction each; (seconds in all, server CPU, the summaries)."""
    summaries = []
    cpu = _backend_cpu(conn)
    started = time.perf_counter()
    for shop in BENCH_SHOPS:
        with conn.transaction():
            row = conn.execute("select analytics.rebuild_customer_metrics(%s, %s)", [shop, refit]).fetchone()
        summaries.append(row[0] if row else {})
    return time.perf_counter() - started, _cpu_text(cpu, _backend_cpu(conn)), summaries


def clear(conn: psycopg.Connection) -> None:
    """The bench shops' stored metrics removed, so that the first full refresh writes every row."""
    with conn.transaction():
        for table in ("analytics.customer_metrics_base", "analytics.customer_rfm_bounds", "analytics.customer_models"):
            conn.execute(
                psycopg.sql.SQL("delete from {} where shop_id = any(%s)").format(
                    psycopg.sql.Identifier(*table.split("."))
                ),
                [list(BENCH_SHOPS)],
            )
    conn.execute("vacuum analyze analytics.customer_metrics_base")


def save_sample_rules(conn: psycopg.Connection, *, remove: bool = False) -> None:
    """The sample tag rules saved on every bench shop (or removed with their tags), so that the full
    refresh measures the tags step too."""
    with conn.transaction():
        for shop in BENCH_SHOPS:
            conn.execute("delete from analytics.tag_rules where shop_id = %s and name like 'bench-%%'", [shop])
            if not remove:
                for name, condition in SAMPLE_RULES.items():
                    conn.execute(
                        "insert into analytics.tag_rules (shop_id, name, condition) values (%s, %s, %s::jsonb)",
                        [shop, name, json.dumps(condition)],
                    )


def _value(conn: psycopg.Connection, sql: str, params: Any) -> Any:
    """The first column of the one row a query returns."""
    row = conn.execute(sql, params).fetchone()
    if row is None:
        raise RuntimeError(f"no row from {sql.split()[0:4]}")
    return row[0] if len(row) == 1 else row


def incremental_round(conn: psycopg.Connection, rng: random.Random, changes: int, n_round: int) -> dict[str, Any]:
    """`changes` orders changed, then the refresh of the touched customers timed; rolled back."""
    shop = MASTER_SHOP
    with conn.transaction(force_rollback=True):
        picked = conn.execute(PICK_ORDERS, {"shop": shop, "seed": rng.random(), "n": changes}).fetchall()
        codes = [code for code, _ in picked]
        emails = _value(conn, GUEST_EMAILS, {"shop": shop}) or ["nobody@example.cz"]
        new = changes * 4 // 10
        rest = changes - new
        conn.execute(NEW_ORDERS, {"shop": shop, "round": n_round, "n": new, "emails": emails})
        conn.execute(CANCEL, {"shop": shop, "codes": codes[: rest // 3]})
        conn.execute(REPRICE, {"shop": shop, "codes": codes[rest // 3 : 2 * rest // 3]})
        conn.execute(DELETE, {"shop": shop, "codes": codes[2 * rest // 3 : rest]})
        queued = _value(
            conn, "select count(distinct customer_key) from analytics.customer_changes where shop_id = %s", [shop]
        )
        cpu = _backend_cpu(conn)
        started = time.perf_counter()
        summary = _value(conn, "select analytics.refresh_changed_customers(%s)", [shop])
        seconds = time.perf_counter() - started
        cpu_after = _backend_cpu(conn)
    cpu_seconds = cpu_after - cpu if cpu is not None and cpu_after is not None else None
    return {"seconds": seconds, "cpu": cpu_seconds, "queued": queued, **summary}


def run(target: Target, *, changes: int = 1000, rounds: int = 5, seed: int = 1, record_results: bool = True) -> int:
    with connect(target, "app", autocommit=True) as conn:
        orders, _ = _value(conn, COUNTS, {"s": list(BENCH_SHOPS)})
        if not orders:
            raise RuntimeError("no bench data: run `hub bench generate` first")
        print(f"analytics bench: {orders:,} orders of shops {', '.join(map(str, BENCH_SHOPS))}; {_load()}")
        lines = [
            f"{orders:,} orders; before: {_load()}",
            "",
            "| measure | wall | server CPU |",
            "|---|---|---|",
        ]
        clear(conn)
        save_sample_rules(conn)  # on the emptied table: nothing to tag yet
        first, cpu, summaries = full_refresh(conn)
        customers = sum(s.get("customers", 0) for s in summaries)
        written = sum(s.get("inserted", 0) + s.get("updated", 0) + s.get("deleted", 0) for s in summaries)
        print(
            f"  full refresh, empty table: {first:.1f} s (CPU {cpu}), {customers:,} customers, {written:,} rows written"
        )
        lines.append(
            f"| full refresh incl. tags (5 rules), empty table ({customers:,} customers, {written:,} rows written) "
            f"| {first:.1f} s | {cpu} |"
        )
        again, cpu, summaries = full_refresh(conn)
        written = sum(s.get("inserted", 0) + s.get("updated", 0) + s.get("deleted", 0) for s in summaries)
        print(
            f"  full refresh again, model fitted (the daily case): {again:.1f} s (CPU {cpu}), {written:,} rows written"
        )
        lines.append(
            f"| full refresh again, model fitted: the daily case ({written:,} rows written) | {again:.1f} s | {cpu} |"
        )
        save_sample_rules(conn, remove=True)  # the incremental figure as before: without rules
        rng = random.Random(seed)
        results = [incremental_round(conn, rng, changes, n) for n in range(rounds)]
        times = [r["seconds"] for r in results]
        cpus = [r["cpu"] for r in results if r["cpu"] is not None]
        cpu_p50 = fmt_seconds(percentile(cpus, 50)) if cpus else "n/a"
        last = results[-1]
        print(
            f"  incremental after {changes:,} changed orders: p50 {fmt_seconds(percentile(times, 50))}, "
            f"max {fmt_seconds(max(times))}, CPU p50 {cpu_p50} ({last['queued']:,} customers queued, "
            f"mode {last['mode']}, {last.get('rescored', 0):,} rescored)"
        )
        lines.append(
            f"| incremental after {changes:,} changed orders ({last['queued']:,} customers, "
            f"{last.get('rescored', 0):,} others rescored), p50 / max of {rounds} | "
            f"{fmt_seconds(percentile(times, 50))} / {fmt_seconds(max(times))} | {cpu_p50} (p50) |"
        )
        lines += [
            "",
            f"targets: full <= {FULL_TARGET_SECONDS:.0f} s at scale 1, incremental <= "
            f"{INCREMENTAL_TARGET_SECONDS * 1000:.0f} ms; after: {_load()}",
        ]
    if record_results:
        record(
            "Customer metrics refresh",
            f"hub bench analytics --changes {changes} --rounds {rounds} --seed {seed}",
            lines,
        )
    ok = again <= FULL_TARGET_SECONDS * max(1.0, orders / 1_400_000) and percentile(times, 50) <= (
        INCREMENTAL_TARGET_SECONDS
    )
    return 0 if ok else 1
