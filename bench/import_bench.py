"""Snapshot import benchmark: the hub's import vs the two baselines it is held to (issue 5).

For a sandbox shop of the given scale (1.0 = 1.4 M orders, ~8.2 M lines, 661 k customers):

* import: `hub snapshot import` in a subprocess against the sandbox over HTTP; wall time of the
  file streaming (ingest.snapshot_jobs.ready_at -> finished_at, i.e. without waiting for the
  sandbox to build the file) and the process's peak RSS;
* baseline (a): the same gzip files read alone: gunzip + orjson parse of every line, no database;
* baseline (b): plain COPY of the resulting rows (exported from what the import wrote) into the
  same tables under another shop id.

Target: import <= 2 x (a + b); peak RSS <= 150 MB and about the same at every scale.

Before the clock starts, the shop's rows of an earlier run are purged and the tables vacuumed: the
import then meets what it meets on a database that never held the shop (no dead index entries to
step over, no autovacuum cleaning up the purge while it runs); then a CHECKPOINT, and the clock
waits (at most 2 minutes) until pgBackRest has archived the WAL of all that and no autovacuum worker
runs, so that the import does not share the two cores with them.

Then the re-import (issue 11, item 7): `hub snapshot import` of every entity again, on the
populated database, from the same unchanged files (the sandbox serves its cached file to the
new Shoptet job). It must write nothing -- no row inserted, updated or deleted in sales,
catalog or archive (pg_stat_user_tables), every synced_at as it was -- and should cost at most
1.5 x baseline (a).
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
import psycopg

from bench.stats import record
from runner.config import Config
from runner.db import connect, target_for
from runner.sandbox import Sandbox
from runner.shoptet.shops import purge_shop

SHOP = 900201
COPY_SHOP = 900299
ENTITIES = ("customers", "products", "orders")
# what baseline (b) copies: (table, key column of the shop)
TABLES = ("sales.customers", "catalog.products", "catalog.variants", "sales.orders", "sales.order_items_all")


def _hub() -> str:
    return str(Path(sys.executable).parent / "hub")


VACUUM_WRITTEN = (
    "vacuum (analyze) sales.customers, sales.orders, sales.order_items, archive.order_items, "
    "catalog.products, catalog.variants"
)


def _purge(admin: psycopg.Connection, admin_conninfo: str, shop_id: int) -> None:
    if admin.execute("select 1 from core.shops where shop_id = %s", (shop_id,)).fetchone():
        purge_shop(admin_conninfo, shop_id)


# the purge and the VACUUM wrote WAL (pgBackRest compresses and archives every segment) and may have
# left autovacuum work: waited for before the clock starts, else the import shares the CPU with them
# and one run in three came out ~15 % slower (2026-12-01, bench/RESULTS.md)
_SETTLED = """
    select (select current_setting('archive_mode') = 'off'
                   or coalesce(last_archived_wal, '')
                      >= pg_walfile_name(pg_current_wal_lsn() - pg_size_bytes(current_setting('wal_segment_size')))
            from pg_stat_archiver),
           not exists (select from pg_stat_activity where backend_type = 'autovacuum worker')"""


def _settle(admin: psycopg.Connection, limit: float = 120.0) -> str:
    """CHECKPOINT (when the role may), then wait until WAL archiving caught up and no autovacuum
    worker runs, at most ``limit`` seconds; says what it waited for."""
    started = time.perf_counter()
    try:
        admin.execute("checkpoint")
    except psycopg.Error:  # not a superuser or pg_checkpoint member: the import pays the checkpoint
        pass
    while True:
        archived, idle = admin.execute(_SETTLED).fetchone() or (True, True)
        waited = time.perf_counter() - started
        if archived and idle:
            return f"settled in {waited:.0f} s (checkpoint, WAL archived, no autovacuum running)"
        if waited > limit:
            behind = [what for what, ok in (("WAL archiving", archived), ("autovacuum", idle)) if not ok]
            return f"not settled after {waited:.0f} s ({' and '.join(behind)} still running): timing anyway"
        time.sleep(1.0)


def _baseline_parse(files: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    lines = 0
    for path in files:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    orjson.loads(line)
                    lines += 1
    return time.perf_counter() - started, lines


def _columns(admin: psycopg.Connection, table: str) -> list[str]:
    schema, name = table.split(".")
    if name == "order_items_all":
        schema, name = "sales", "order_items"
    rows = admin.execute(
        "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0 "
        "and not attisdropped and attgenerated = '' order by attnum",
        (f"{schema}.{name}",),
    ).fetchall()
    return [r[0] for r in rows]


def _baseline_copy(admin: psycopg.Connection, workdir: Path) -> tuple[float, int]:
    """Export the imported rows as COPY text with shop_id COPY_SHOP (not timed), then time COPY FROM."""
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'bench copy baseline')", (COPY_SHOP,))
    lo, hi = admin.execute(
        "select min(created_at), max(created_at) from sales.orders where shop_id = %s", (SHOP,)
    ).fetchone() or (None, None)
    if lo is not None:
        admin.execute("select ops.ensure_partitions(%s, %s)", (lo, hi))
    files = []
    for table in TABLES:
        columns = _columns(admin, table)
        select = ", ".join(str(COPY_SHOP) if c == "shop_id" else c for c in columns)
        path = workdir / f"{table}.copy"
        with (
            path.open("wb") as fh,
            admin.cursor().copy(f"copy (select {select} from {table} where shop_id = {SHOP}) to stdout") as copy,
        ):
            for data in copy:
                fh.write(data)
        target = "sales.order_items" if table.endswith("order_items_all") else table
        files.append((target, columns, path))
    started = time.perf_counter()
    rows = 0
    with admin.transaction():
        for target, columns, path in files:
            if target == "sales.order_items":  # old lines belong to the archive, like the import puts them
                admin.execute("create temp table bench_lines (like sales.order_items) on commit drop")
                dest = "bench_lines"
            else:
                dest = target
            with path.open("rb") as fh, admin.cursor().copy(f"copy {dest} ({', '.join(columns)}) from stdin") as copy:
                while data := fh.read(1 << 20):
                    copy.write(data)
            if dest == "bench_lines":
                hot = admin.execute(
                    "insert into sales.order_items select * from bench_lines "
                    "where created_at >= ops.order_items_hot_from()"
                ).rowcount
                old = admin.execute(
                    "insert into archive.order_items select * from bench_lines "
                    "where created_at < ops.order_items_hot_from()"
                ).rowcount
                rows += hot + old
            else:
                rows += admin.execute(f"select count(*) from {target} where shop_id = %s", (COPY_SHOP,)).fetchone()[0]  # type: ignore[index]
    return time.perf_counter() - started, rows


def _import(env: dict[str, str], admin: psycopg.Connection, entity: str) -> tuple[float, int, int] | None:
    """`hub snapshot import` of one entity in a subprocess: (file streaming seconds, lines, peak RSS kB);
    None when it failed."""
    proc = subprocess.Popen([_hub(), "snapshot", "import", "--shop", str(SHOP), "--entity", entity, "--quiet"], env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        print(f"import bench: hub snapshot import --entity {entity} failed", file=sys.stderr)
        return None
    row = admin.execute(
        "select extract(epoch from finished_at - ready_at), processed_count from "
        "ingest.snapshot_jobs where shop_id = %s and entity = %s order by id desc limit 1",
        (SHOP, entity),
    ).fetchone()
    assert row is not None
    return float(row[0]), int(row[1]), usage.ru_maxrss


# rows written to the commerce tables (every partition) since the server started, and a
# fingerprint of the shop's rows: a re-import of unchanged files changes neither
_WRITES = (
    "select coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) from pg_stat_user_tables "
    "where schemaname in ('sales', 'catalog', 'archive')"
)
_FINGERPRINT = """
    select (select (count(*), max(synced_at))::text from sales.orders where shop_id = %(s)s),
           (select (count(*), max(synced_at))::text from sales.order_items_all where shop_id = %(s)s),
           (select (count(*), max(synced_at))::text from sales.customers where shop_id = %(s)s),
           (select (count(*), max(synced_at))::text from catalog.products where shop_id = %(s)s),
           (select (count(*), max(synced_at))::text from catalog.variants where shop_id = %(s)s)"""


def _writes(admin: psycopg.Connection) -> tuple[int, tuple[str, ...]]:
    time.sleep(1.0)  # the importer's backend reports its counters when it exits
    admin.execute("select pg_stat_clear_snapshot()")
    writes = admin.execute(_WRITES).fetchone()
    fingerprint = admin.execute(_FINGERPRINT, {"s": SHOP}).fetchone()
    assert writes is not None and fingerprint is not None
    return int(writes[0]), tuple(fingerprint)


def _import_all(
    env: dict[str, str],
    admin: psycopg.Connection,
    label: str,
) -> tuple[dict[str, float], int] | None:
    """`hub snapshot import` of every entity in turn, each printed as it ends: (seconds per entity,
    peak RSS kB); None when one failed (its error is printed)."""
    timings: dict[str, float] = {}
    rss_kb = 0
    for entity in ENTITIES:
        done = _import(env, admin, entity)
        if done is None:
            return None
        timings[entity], count, rss = done
        rss_kb = max(rss_kb, rss)
        print(
            f"  {label} {entity:<9} {count:>{16 - len(label)},} lines in {timings[entity]:8.1f} s "
            f"({count / max(timings[entity], 1e-6):,.0f}/s)",
            flush=True,
        )
    return timings, rss_kb


def run(cfg: Config, *, scale: float, record_results: bool = True) -> int:
    target = target_for(cfg)
    data_dir = cfg.home / "sandbox"
    sandbox = Sandbox(scale=scale, seed=11, shops=(SHOP,), data_dir=str(data_dir), job_seconds=0.2)
    print(
        f"import bench: scale {scale} (sandbox shop {SHOP}; "
        f"first run at a scale builds its files, cached in {data_dir})",
        flush=True,
    )
    with sandbox.run_in_thread() as url, connect(target, "admin", autocommit=True) as admin:
        for shop in (SHOP, COPY_SHOP):
            _purge(admin, target.admin, shop)
        # a previous run's rows are dead tuples now: vacuumed before the clock starts, so the import
        # neither steps over them in every index nor competes with autovacuum cleaning them up (a
        # database that never held the shop has neither)
        admin.execute(VACUUM_WRITTEN)
        print(f"  {_settle(admin)}", flush=True)
        env = {**os.environ, "HUB_SHOPTET_API_URL": url, "HUB_LOG_LEVEL": "WARNING"}
        subprocess.run(
            [_hub(), "shop", "add", "--token", sandbox.private_token(SHOP)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        first = _import_all(env, admin, "import")
        if first is None:
            return 1
        timings, rss_kb = first
        import_s = sum(timings.values())

        # the same unchanged files again, on the populated database
        admin.execute("vacuum analyze sales.orders, sales.customers, catalog.products, catalog.variants")
        writes_before, fingerprint_before = _writes(admin)
        second = _import_all(env, admin, "re-import")
        if second is None:
            return 1
        again, rss_again = second
        rss_kb = max(rss_kb, rss_again)
        writes_after, fingerprint_after = _writes(admin)
        reimport_s = sum(again.values())
        rows_written = writes_after - writes_before
        unchanged = rows_written == 0 and fingerprint_after == fingerprint_before
        files = [
            max((data_dir / "cache").glob(f"*-{SHOP}-s11-x{scale:g}-*-{e}.jsonl.gz"), key=lambda p: p.stat().st_mtime)
            for e in ENTITIES
        ]
        parse_s, lines = _baseline_parse(files)
        print(f"  baseline (a) gunzip + orjson parse: {lines:,} lines in {parse_s:.1f} s", flush=True)
        with tempfile.TemporaryDirectory(dir=cfg.home) as tmp:
            copy_s, rows = _baseline_copy(admin, Path(tmp))
        print(f"  baseline (b) plain COPY of the rows: {rows:,} rows in {copy_s:.1f} s", flush=True)
        totals = sandbox.totals(SHOP)
        got = admin.execute(
            "select count(*), coalesce(sum(total_with_vat), 0) from sales.orders where shop_id = %s "
            "and deleted_at is null",
            (SHOP,),
        ).fetchone()
        exact = got is not None and got[0] == totals["orders"] and str(got[1]) == totals["orders_total_with_vat"]
        _purge(admin, target.admin, COPY_SHOP)
    ratio = import_s / (parse_s + copy_s)
    verdict = "met" if ratio <= 2 else "NOT met"
    print(
        f"  import {import_s:.1f} s = {ratio:.2f} x (a + b) = {parse_s + copy_s:.1f} s  (target <= 2x: {verdict}); "
        f"peak RSS {rss_kb / 1024:.0f} MB; totals equal the sandbox: {exact}",
        flush=True,
    )
    again_ratio = reimport_s / parse_s
    print(
        f"  re-import {reimport_s:.1f} s = {again_ratio:.2f} x (a) = {parse_s:.1f} s  (target <= 1.5x: "
        f"{'met' if again_ratio <= 1.5 else 'NOT met'}); rows written {rows_written:,}, synced_at unchanged: "
        f"{fingerprint_after == fingerprint_before}",
        flush=True,
    )
    if record_results:
        record(
            f"Snapshot import, scale {scale}",
            f"hub bench import --scale {scale:g}  (also run by BENCH_SCALE={scale:g} make bench)",
            [
                "| measure | value |",
                "|---|---|",
                *[f"| import {e} | {timings[e]:.1f} s |" for e in ENTITIES],
                f"| import total (file streaming, ready_at -> finished_at) | {import_s:.1f} s |",
                f"| baseline (a) gunzip + orjson parse, {lines:,} lines | {parse_s:.1f} s |",
                f"| baseline (b) plain COPY, {rows:,} rows | {copy_s:.1f} s |",
                f"| import / (a + b) | {ratio:.2f} (target <= 2) |",
                f"| runner peak RSS | {rss_kb / 1024:.0f} MB |",
                f"| counts and sum of total_with_vat equal the sandbox | {exact} |",
                *[f"| re-import {e} (same files, populated database) | {again[e]:.1f} s |" for e in ENTITIES],
                f"| re-import total | {reimport_s:.1f} s |",
                f"| re-import / (a) | {again_ratio:.2f} (target <= 1.5) |",
                f"| re-import: rows written (sales, catalog, archive), synced_at unchanged | {rows_written:,}, "
                f"{fingerprint_after == fingerprint_before} |",
            ],
        )
    return 0 if exact and unchanged else 1


def main(argv: list[str] | None = None) -> int:
    scale = float((argv or sys.argv[1:] or [os.environ.get("BENCH_SCALE", "0.1")])[0])
    return run(Config.from_env(), scale=scale)


if __name__ == "__main__":
    sys.exit(main())
