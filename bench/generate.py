"""`hub bench generate`: production-shaped, deterministic commerce data at a scale, made server-side.

The SQL is bench/generate.sql, one named section per step; this module runs the sections in
order as the admin (owner) role, the two big inserts (orders, order lines) split over parallel
connections, and reports rows per second per table. Scale 1.0 is the seeds' size (1.4 M orders,
8.2 M order lines, 661 k customers, 13 k variants, shops 900001 (master), 900002, 900003).
Regenerating first removes those shops' rows (truncates when no other shop has commerce data).
"""

from __future__ import annotations

import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import psycopg

from runner.db import Target, connect

SQL_FILE = Path(__file__).resolve().parent / "generate.sql"
BENCH_SHOPS = (900001, 900002, 900003)
MASTER_SHOP = 900001


def sections(path: Path = SQL_FILE) -> dict[str, str]:
    """The named sections of generate.sql (`-- name: x` starts section x)."""
    found: dict[str, str] = {}
    name = None
    lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^-- name: (\w+)\s*$", line)
        if m:
            if name:
                found[name] = "\n".join(lines)
            name, lines = m.group(1), []
        elif name:
            lines.append(line)
    if name:
        found[name] = "\n".join(lines)
    return found


def render(sql: str, **values: int | float) -> str:
    """Put numbers in place of :seed, :scale, :anchor, :part, :parts (and nothing else)."""
    for value in values.values():
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError("generator parameters are numbers")

    def sub(m: re.Match[str]) -> str:
        return repr(values[m.group(1)]) if m.group(1) in values else m.group(0)

    return re.sub(r"(?<![:\w]):(seed|scale|anchor|part|parts)\b", sub, sql)


@dataclass
class Report:
    scale: float
    seed: int
    parallel: int
    steps: list[tuple[str, float]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [
            f"scale {self.scale}, seed {self.seed}, {self.parallel} parallel connection(s): "
            f"{self.total_seconds:.1f} s in all",
            "",
            "| table | rows | seconds | rows/s |",
            "|---|---|---|---|",
        ]
        for table, rows in self.rows.items():
            secs = self.seconds.get(table, 0.0)
            rate = f"{rows / secs:,.0f}" if secs > 0 else "-"
            out.append(f"| {table} | {rows:,} | {secs:.1f} | {rate} |")
        out += ["", "steps: " + ", ".join(f"{name} {secs:.1f} s" for name, secs in self.steps)]
        return out


def _connect(target: Target) -> psycopg.Connection:
    conn = connect(target, "admin", autocommit=False)
    conn.execute("set synchronous_commit = off")
    conn.execute("set work_mem = '256MB'")
    conn.execute("set maintenance_work_mem = '512MB'")
    # the generated rows are consistent by construction (order lines with their orders, every
    # row with its shop): skip the per-row foreign-key triggers, as pg_restore --disable-triggers does
    conn.execute("set session_replication_role = replica")
    conn.commit()
    return conn


def _run(conn: psycopg.Connection, sql: str) -> int:
    """Run a section in one transaction; returns the row count of its last statement (or the
    number it selects, for a section that ends with `select <count>`)."""
    with conn.cursor() as cur:
        cur.execute(sql.encode())  # bytes: no client-side placeholder parsing
        count = cur.rowcount
        if cur.description and len(cur.description) == 1 and count == 1:
            row = cur.fetchone()
            if row and isinstance(row[0], (int, Decimal)):
                count = int(row[0])
    conn.commit()
    return max(count, 0)


def _run_parts(target: Target, sql: str, parallel: int, values: dict[str, int | float]) -> int:
    """Run one section split in `parallel` parts, each on its own connection; returns rows written."""

    def one(part: int) -> int:
        with _connect(target) as conn:
            return _run(conn, render(sql, **values, part=part, parts=parallel))

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return sum(pool.map(one, range(parallel)))


def generate(
    target: Target,
    *,
    scale: float = 1.0,
    seed: int = 42,
    parallel: int | None = None,
    as_of: datetime | None = None,
    echo: bool = True,
) -> Report:
    """Generate the bench shops' data at `scale` from `seed`; returns what was written and how fast.

    The data spans the 3 years before `as_of` (default: the start of today, UTC); the same seed
    and `as_of` give the same rows.
    """
    if not 0 < scale <= 100:
        raise ValueError(f"scale must be in (0, 100], got {scale}")
    parallel = parallel or max(1, min(4, os.cpu_count() or 1))
    if as_of is None:
        as_of = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    sql = sections()
    values: dict[str, int | float] = {"seed": int(seed), "scale": float(scale), "anchor": int(as_of.timestamp())}
    report = Report(scale=scale, seed=seed, parallel=parallel)
    say = print if echo else (lambda *a, **k: None)
    started = time.perf_counter()

    def step(
        name: str, conn: psycopg.Connection | None = None, *, label: str | None = None, parts: bool = False
    ) -> int:
        t0 = time.perf_counter()
        if parts:
            rows = _run_parts(target, sql[name], parallel, values)
        else:
            assert conn is not None
            rows = _run(conn, render(sql[name], **values))
        secs = time.perf_counter() - t0
        report.steps.append((label or name, secs))
        say(
            f"  {label or name:<16} {secs:7.1f} s"
            + (f"  {rows:>11,} rows  {rows / secs:>11,.0f} rows/s" if parts or label else "")
        )
        return rows

    def table(name: str, rows: int, secs_from: int) -> None:
        report.rows[name] = report.rows.get(name, 0) + rows
        report.seconds[name] = report.seconds.get(name, 0.0) + sum(s for _, s in report.steps[secs_from:])

    say(f"generating scale {scale} (seed {seed}) with {parallel} connection(s)")
    with _connect(target) as conn:
        step("setup", conn)
        step("shops", conn)
        with conn.cursor() as cur:
            cur.execute(render(sql["others_have_data"], **values).encode())
            row = cur.fetchone()
            others = bool(row and row[0])
        conn.commit()
        step("clear" if others else "clear_fast", conn)
        step("partitions", conn)
        step("calendar", conn)
        step("slots", conn)
        step("people", conn)
        n = len(report.steps)
        step("catalog", conn)
        table("catalog (suppliers, products, variants)", _count_catalog(conn), n)
        step("lines", conn)
        step("items", conn)

    n = len(report.steps)
    table("sales.customers", step("customers", parts=True), n)
    n = len(report.steps)
    table("sales.orders", step("orders", parts=True), n)
    # the lines join the orders just written: without fresh statistics (autovacuum may not have
    # analysed them yet on a busy machine) the planner takes sales.orders for the empty table the
    # clear step left and nests a scan of it in a loop over every order (hours instead of minutes)
    _analyze(target, ["sales.orders"], 1)
    n = len(report.steps)
    table("order items (sales + archive)", step("items_hot", parts=True), n)
    table("order items (sales + archive)", step("items_archive", parts=True), n + 1)

    t0 = time.perf_counter()
    _analyze(
        target,
        [
            "sales.order_items",
            "sales.orders",
            "archive.order_items",
            "sales.customers",
            "catalog.products",
            "catalog.variants",
            "catalog.suppliers",
        ],
        parallel,
    )
    report.steps.append(("analyze", time.perf_counter() - t0))
    say(f"  {'analyze':<16} {report.steps[-1][1]:7.1f} s")
    n = len(report.steps)
    table("analytics.customer_metrics", step("metrics", parts=True), n)
    _analyze(target, ["analytics.customer_metrics_base"], 1)
    with _connect(target) as conn:
        step("finish", conn)
    report.total_seconds = time.perf_counter() - started
    return report


def _analyze(target: Target, tables: list[str], parallel: int) -> None:
    """ANALYZE the tables, `parallel` at a time (the planner needs the new sizes at once)."""

    def one(table: str) -> None:
        with connect(target, "admin", autocommit=True) as conn:
            conn.execute(f"analyze {table}")

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one, tables))


def _count_catalog(conn: psycopg.Connection) -> int:
    row = conn.execute(
        "select (select count(*) from catalog.suppliers where shop_id = any(%(s)s))"
        " + (select count(*) from catalog.products where shop_id = any(%(s)s))"
        " + (select count(*) from catalog.variants where shop_id = any(%(s)s))",
        {"s": list(BENCH_SHOPS)},
    ).fetchone()
    conn.commit()
    return int(row[0]) if row else 0
