"""`hub bench`: the benchmarks, each in bench/ (settings_bench.py, client_bench.py,
webhook_bench.py, e2e_bench.py, generate.py with generate.sql, query_bench.py, inventory_bench.py,
import_bench.py, analytics_bench.py, analytics_extras_bench.py, monitoring_bench.py,
housekeeping_bench.py, web_bench.py, search_bench.py); their figures go to
bench/RESULTS.md (bench/stats.py)."""

from __future__ import annotations

import argparse

from runner.commands.common import Subparsers, add_command, add_group, add_no_record_option
from runner.config import Config
from runner.errors import CommandError, as_hub_error


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "bench",
        help="benchmarks (make bench runs them all)",
        description="Benchmarks; each prints its figures and appends them to bench/RESULTS.md. "
        "`generate` makes the commerce data (scale 1 = the seeds' production size) "
        "that `queries` measures; `make bench` runs all of them (BENCH_SCALE, default 0.1).",
    )
    p = add_command(
        sub,
        "settings",
        cmd_bench_settings,
        help="cached vs uncached settings reads, change propagation between processes",
        description="Measure a cached settings read, an uncached SQL read, and the time until a "
        "change made by one process is seen by another; print p50/p95.",
    )
    p.add_argument("--iterations", type=int, default=2000, help="reads per measurement")
    add_no_record_option(p)
    p = add_command(
        sub,
        "client",
        cmd_bench_client,
        help="Shoptet client requests/s with the token's slots in the database vs in-process",
        description="Against a sandbox Shoptet in this process: requests/s of one client whose 3 "
        "request slots per token are advisory locks in the hub database (they hold "
        "across processes) and of one with the in-process semaphore only.",
    )
    p.add_argument("--requests", type=int, default=400, help="GET requests per round")
    p.add_argument("--threads", type=int, default=3, help="threads sharing the client")
    p.add_argument("--rounds", type=int, default=3, help="rounds of each variant, alternating")
    p.add_argument("--latency-ms", type=int, default=0, help="the sandbox answers after this long")
    add_no_record_option(p)
    p = add_command(
        sub,
        "webhooks",
        cmd_bench_webhooks,
        help="signed webhook load against `hub serve`: accepted/s, latency, durability",
        description="Start `hub serve` on a free local port, send distinct signed order:update "
        "events (asyncio + httpx), report accepted events/s and p50/p95/p99, and check "
        "that every 200 is a committed row. Cleans up its bench shop's rows.",
    )
    p.add_argument("--events", type=int, default=20000, help="events to send")
    p.add_argument("--connections", type=int, default=8, help="concurrent keep-alive connections")
    p.add_argument("--generator-procs", type=int, default=1, help="load generator processes")
    p.add_argument("--server-workers", type=int, default=1, help="`hub serve --workers`")
    p.add_argument(
        "--busy-workers", type=int, default=0, help="`hub worker` processes working the queue during the load"
    )
    add_no_record_option(p)
    p = add_command(
        sub,
        "e2e",
        cmd_bench_e2e,
        help="order:update webhook -> updated row in sales.orders, through hub serve and "
        "hub worker against the sandbox",
        description="End to end: signed order:update webhooks, one at a time, to `hub serve`; a "
        "`hub worker` fetches each order from a sandbox Shoptet and upserts it. Times the "
        "POST -> updated sales.orders row. Target p95 <= 2 s. With --burst N: N orders change at "
        "the source and their N webhooks are sent at once; reports the time until the last one is "
        "applied (target for N = 1000: 20 s at 0 ms, 60 s at 150 ms detail latency), p50/p95 per "
        "event and the detail requests per order. The bench shop is purged.",
    )
    p.add_argument("--events", type=int, default=50, help="webhooks to deliver one at a time")
    p.add_argument("--burst", type=int, default=None, metavar="N", help="send N distinct webhooks at once instead")
    p.add_argument("--latency-ms", type=int, default=0, help="--burst: the sandbox's detail requests take this long")
    p.add_argument(
        "--shoptet-bucket",
        action="store_true",
        help="--burst: keep the sandbox's leaky bucket (200 drops, 10/s) on; off by default",
    )
    add_no_record_option(p)
    p = add_command(
        sub,
        "generate",
        cmd_bench_generate,
        help="production-shaped commerce data at a scale (1.0 = 1.4 M orders, 8.2 M lines)",
        description="Generate deterministic, production-shaped data server-side in SQL "
        "(bench/generate.sql) for the bench shops 900001 (master), 900002 and 900003, "
        "created in core.shops when absent; their earlier rows are removed first. "
        "Scale 1.0 is the seeds' size: 1.4 M orders (about a third guest orders, "
        "December peak, statuses with cancellations, CZK and EUR) over the last 3 "
        "years, ~5.9 lines per order (product, shipping, billing, discount-coupon; "
        "quarters older than 2 years go into archive.order_items), 661 k customers "
        "(each with a purchase rhythm and a churn point), 13 k variants. Then ANALYZE and "
        "analytics.refresh_customer_metrics. Prints rows/s per table. Connects as admin.",
    )
    p.add_argument("--scale", type=float, default=1.0, help="size relative to the seeds' production data")
    p.add_argument("--seed", type=int, default=42, help="the same seed gives the same rows")
    p.add_argument(
        "--parallel", type=int, default=None, help="connections for the big inserts (default: CPU cores, at most 4)"
    )
    add_no_record_option(p)
    p = add_command(
        sub,
        "queries",
        cmd_bench_queries,
        help="p50/p95/p99 of the listing and lookup functions on generated data",
        description="On data made by `hub bench generate`: order history page of 50, e-mail "
        "lookup (messed-up case and spaces), orders by status in a date range, order "
        "lines by type in a quarter, top customers by spend, each with random "
        "parameters drawn from the data; prints p50/p95/p99 and checks with EXPLAIN "
        "(format json) that a one-quarter order-lines query reads one partition.",
    )
    p.add_argument("--samples", type=int, default=2000, help="calls per query")
    p.add_argument("--seed", type=int, default=1, help="seed of the random parameters")
    add_no_record_option(p)
    p = add_command(
        sub,
        "feeds",
        cmd_bench_feeds,
        help="Heureka feed build time and peak RSS for 13 k and 500 k items",
        description="Make two scratch shops' catalogues in SQL (bench/feeds_bench.sql: --small variants, "
        "the seeds' 13 k; --big items, Heureka's 500 k limit), build a Heureka feed of each with "
        "`hub feed build` in a child process and report its wall time and peak RSS (targets: "
        "<= 2 s for 13 k; <= 60 s under 150 MB for 500 k), then `hub feed check` the file. The "
        "scratch shops are purged afterwards. Prints the load average. Exit 1 when a target is missed.",
    )
    p.add_argument("--small", type=int, default=13_000, help="variants of the small catalogue (0: skip)")
    p.add_argument("--big", type=int, default=500_000, help="items of the big catalogue (0: skip)")
    add_no_record_option(p)
    p = add_command(
        sub,
        "inventory",
        cmd_bench_inventory,
        help="full and incremental inventory refresh (analytics.refresh_variant_metrics) on generated data",
        description="On data made by `hub bench generate`: the full inventory refresh of every bench "
        "shop (target <= 15 s at scale 1: 13 k variants, 8.2 M order lines, 2 cores), --rounds "
        "times, and once without parallel workers with its CPU time; the incremental refresh of the "
        "master shop after 10, 100, ... up to --changed of its recent orders were cancelled, each "
        "checked by a full refresh that must change nothing (the orders are restored after); "
        "reading analytics.variant_metrics and analytics.purchase_recommendations; and the "
        "order-line partitions the refresh reads (older quarters pruned). Prints the load average.",
    )
    p.add_argument("--rounds", type=int, default=3, help="full refreshes of every bench shop")
    p.add_argument("--changed", type=int, default=1000, help="orders changed before the incremental refresh")
    p.add_argument("--seed", type=int, default=1, help="seed of the orders picked")
    add_no_record_option(p)
    p = add_command(
        sub,
        "analytics",
        cmd_bench_analytics,
        help="customer-metrics refresh on generated data: full, and after N changed orders",
        description="On data made by `hub bench generate`: the full customer-metrics refresh of "
        "every bench shop (RFM, segments, model fit, tags of five sample rules; twice: a fresh table, then the daily "
        "case), and the incremental refresh after --changes orders of the master shop "
        "changed (rolled back after each round). Targets at scale 1: full <= 30 s, "
        "1,000 changed orders <= 200 ms.",
    )
    p.add_argument("--changes", type=int, default=1000, help="orders changed before each incremental refresh")
    p.add_argument("--rounds", type=int, default=5, help="incremental rounds")
    p.add_argument("--seed", type=int, default=1, help="seed of the orders picked")
    add_no_record_option(p)
    p = add_command(
        sub,
        "tags",
        cmd_bench_tags,
        help="customer tags on generated data: rule saves, full and keyed re-tags, rule removal",
        description="On data made by `hub bench generate` and `hub analytics refresh --full`: five "
        "sample tag rules saved on each bench shop (they tag at once), a full re-tag that "
        "changes nothing, re-tags of --keys random customers (what the incremental refresh "
        "calls), and the removal of the rules with their tags. Prints the load average.",
    )
    p.add_argument("--keys", type=int, default=1000, help="customer keys per keyed re-tag")
    p.add_argument("--seed", type=int, default=1, help="seed of the random keys")
    add_no_record_option(p)
    p = add_command(
        sub,
        "recommendations",
        cmd_bench_recommendations,
        help="frequently-bought-together refresh per shop, p50/p95 of the recommendation functions",
        description="On data made by `hub bench generate`: analytics.refresh_product_pairs of each "
        "bench shop with its settings, then p50/p95/p99 of analytics.frequently_bought_together "
        "and of analytics.customer_recommendations for one customer. Prints the load average.",
    )
    p.add_argument("--samples", type=int, default=500, help="calls per function")
    p.add_argument("--seed", type=int, default=1, help="seed of the random products and customers")
    add_no_record_option(p)
    p = add_command(
        sub,
        "import",
        cmd_bench_import,
        help="snapshot import from the sandbox vs gunzip+parse and plain COPY baselines",
        description="Import a sandbox shop of --scale (1.0 = 1.4 M orders, 661 k customers) with "
        "`hub snapshot import` over HTTP, then measure the two baselines on the same "
        "files and rows: (a) gunzip + orjson parse alone, (b) plain COPY into the same "
        "tables. Prints import / (a + b) (target <= 2) and the importer's peak RSS. "
        "Then imports the same unchanged files again on the populated database: it must "
        "write nothing and should cost at most 1.5 x (a). "
        "The sandbox's files are cached under HUB_HOME/sandbox.",
    )
    p.add_argument("--scale", type=float, default=0.1, help="data size, 1.0 = the seeds' size")
    add_no_record_option(p)
    p = add_command(
        sub,
        "monitoring",
        cmd_bench_monitoring,
        help="what watching costs: a /metrics scrape, a `hub status` read, telemetry per API call",
        description="In a scratch database (hub_bench_monitoring, dropped at the end) fill the "
        "monitored tables at a busy hub's shape (ended jobs with their events, per-minute API "
        "figures, events, snapshot jobs) and vacuum them, then time ops.metrics() (one /metrics "
        "scrape) and the queries of `hub status`; and the telemetry a process pays per Shoptet "
        "API call and per flush.",
    )
    p.add_argument("--jobs", type=int, default=200_000, help="ended procrastinate jobs (14 days of a busy hub)")
    p.add_argument("--shops", type=int, default=10, help="shops with API figures and sync cursors")
    p.add_argument("--days", type=int, default=7, help="days of per-minute API figures and events")
    p.add_argument("--samples", type=int, default=30, help="timed calls of ops.metrics()")
    add_no_record_option(p)
    p = add_command(
        sub,
        "search",
        cmd_bench_search,
        help="p50/p95/p99 of the search functions over random realistic queries on generated data",
        description="On data made by `hub bench generate`: --queries random realistic queries per "
        "function (exact e-mail, code, EAN, phone in another format; prefixes; 2 letters; a typo; "
        "with and without diacritics) drawn from the master bench shop's rows, against "
        "sales.search_customers, sales.search_orders and catalog.search_products. Targets at scale 1: "
        "p95 <= 20 ms (customers, orders), <= 10 ms (products). Prints the load average.",
    )
    p.add_argument("--queries", type=int, default=500, help="queries per function")
    p.add_argument("--seed", type=int, default=1, help="seed of the rows and queries drawn")
    add_no_record_option(p)
    p = add_command(
        sub,
        "housekeeping",
        cmd_bench_housekeeping,
        help="housekeeping on a big queue: run time, a worker's waits beside it, job fetch before and after",
        description="In a scratch database (hub_bench_housekeeping, dropped at the end) fill "
        "procrastinate's tables with ended jobs and their events (and processed webhook events), "
        "time a job fetch, `hub db housekeeping --dry-run` and the real run while a worker defers "
        "and fetches beside it, and the job fetch again after a VACUUM.",
    )
    p.add_argument("--jobs", type=int, default=1_000_000, help="jobs ended 15-44 days ago (1 %% failed: kept)")
    p.add_argument("--recent", type=int, default=100_000, help="jobs ended in the last 14 days (kept)")
    p.add_argument("--webhooks", type=int, default=200_000, help="webhook events processed 31-60 days ago")
    p.add_argument("--batch", type=int, default=5000, help="housekeeping.batch_rows for the run")
    add_no_record_option(p)
    p = add_command(
        sub,
        "web",
        cmd_bench_web,
        help="p50/p95 of every dashboard page against `hub serve` (target p95 < 200 ms at scale 1)",
        description="On data made by `hub bench generate` (and `hub analytics refresh --full`): start "
        "`hub serve` on a free local port, sign in (a random dashboard password for the run, the "
        "previous one put back after), and request every dashboard page --requests times, one "
        "client, sequentially, after 3 warm-up requests: the ops pages and the customers (top, "
        "e-mail and name search, the customer with the most orders and the second page of their "
        "orders, an order), segments and inventory pages of the biggest bench shop. Prints p50/p95 "
        "per page and the load average; exit 1 when a page's p95 is 200 ms or more.",
    )
    p.add_argument("--requests", type=int, default=50, help="timed requests per page")
    add_no_record_option(p)


def cmd_bench_web(cfg: Config, args: argparse.Namespace) -> int:
    from bench import web_bench

    try:
        return web_bench.run(cfg, requests=args.requests, record_results=not args.no_record)
    except web_bench.BenchFailed as exc:
        raise as_hub_error(exc) from None


def cmd_bench_settings(cfg: Config, args: argparse.Namespace) -> int:
    from bench import settings_bench

    return settings_bench.main(cfg, iterations=args.iterations, record_results=not args.no_record)


def cmd_bench_client(cfg: Config, args: argparse.Namespace) -> int:
    from bench import client_bench

    return client_bench.run(
        cfg,
        requests=args.requests,
        threads=args.threads,
        rounds=args.rounds,
        latency_ms=args.latency_ms,
        record_results=not args.no_record,
    )


def cmd_bench_webhooks(cfg: Config, args: argparse.Namespace) -> int:
    from bench import webhook_bench

    return webhook_bench.run(
        cfg,
        events=args.events,
        connections=args.connections,
        generator_procs=args.generator_procs,
        server_workers=args.server_workers,
        busy_workers=args.busy_workers,
        record_results=not args.no_record,
    )


def cmd_bench_e2e(cfg: Config, args: argparse.Namespace) -> int:
    from bench import e2e_bench

    if args.burst is not None:
        if args.burst < 1 or args.latency_ms < 0:
            raise CommandError("--burst must be at least 1 and --latency-ms not negative")
        return e2e_bench.run_burst(
            cfg,
            burst=args.burst,
            latency_ms=args.latency_ms,
            shoptet_bucket=args.shoptet_bucket,
            record_results=not args.no_record,
        )
    return e2e_bench.run(cfg, events=args.events, record_results=not args.no_record)


def cmd_bench_generate(cfg: Config, args: argparse.Namespace) -> int:
    from bench import generate
    from bench.stats import record
    from runner.db import target_for

    try:
        report = generate.generate(target_for(cfg), scale=args.scale, seed=args.seed, parallel=args.parallel)
    except ValueError as exc:
        raise as_hub_error(exc) from None
    lines = report.lines()
    print("\n".join(lines))
    if not args.no_record:
        record(
            "Data generator",
            f"hub bench generate --scale {args.scale} --seed {args.seed}"
            + (f" --parallel {args.parallel}" if args.parallel else ""),
            lines,
        )
    return 0


def cmd_bench_import(cfg: Config, args: argparse.Namespace) -> int:
    from bench import import_bench

    return import_bench.run(cfg, scale=args.scale, record_results=not args.no_record)


def cmd_bench_feeds(cfg: Config, args: argparse.Namespace) -> int:
    from bench import feeds_bench
    from runner.db import target_for

    return feeds_bench.run(cfg, target_for(cfg), small=args.small, big=args.big, record_results=not args.no_record)


def cmd_bench_inventory(cfg: Config, args: argparse.Namespace) -> int:
    from bench import inventory_bench
    from runner.db import target_for

    try:
        return inventory_bench.run(
            target_for(cfg),
            rounds=args.rounds,
            changed=args.changed,
            seed=args.seed,
            record_results=not args.no_record,
        )
    except RuntimeError as exc:
        raise as_hub_error(exc) from None


def cmd_bench_queries(cfg: Config, args: argparse.Namespace) -> int:
    from bench import query_bench
    from runner.db import target_for

    try:
        return query_bench.run(target_for(cfg), samples=args.samples, seed=args.seed, record_results=not args.no_record)
    except RuntimeError as exc:
        raise as_hub_error(exc) from None


def cmd_bench_monitoring(cfg: Config, args: argparse.Namespace) -> int:
    from bench import monitoring_bench

    return monitoring_bench.run(
        cfg,
        jobs=args.jobs,
        shops=args.shops,
        days=args.days,
        samples=args.samples,
        record_results=not args.no_record,
    )


def cmd_bench_analytics(cfg: Config, args: argparse.Namespace) -> int:
    from bench import analytics_bench
    from runner.db import target_for

    try:
        return analytics_bench.run(
            target_for(cfg),
            changes=args.changes,
            rounds=args.rounds,
            seed=args.seed,
            record_results=not args.no_record,
        )
    except RuntimeError as exc:
        raise as_hub_error(exc) from None


def cmd_bench_tags(cfg: Config, args: argparse.Namespace) -> int:
    from bench import analytics_extras_bench
    from runner.db import target_for

    try:
        return analytics_extras_bench.run_tags(
            target_for(cfg), keys=args.keys, seed=args.seed, record_results=not args.no_record
        )
    except RuntimeError as exc:
        raise as_hub_error(exc) from None


def cmd_bench_recommendations(cfg: Config, args: argparse.Namespace) -> int:
    from bench import analytics_extras_bench
    from runner.db import target_for

    try:
        return analytics_extras_bench.run_recommendations(
            target_for(cfg), samples=args.samples, seed=args.seed, record_results=not args.no_record
        )
    except RuntimeError as exc:
        raise as_hub_error(exc) from None


def cmd_bench_search(cfg: Config, args: argparse.Namespace) -> int:
    from bench import search_bench
    from runner.db import target_for

    return search_bench.run(target_for(cfg), queries=args.queries, seed=args.seed, record_results=not args.no_record)


def cmd_bench_housekeeping(cfg: Config, args: argparse.Namespace) -> int:
    from bench import housekeeping_bench

    return housekeeping_bench.run(
        cfg,
        jobs=args.jobs,
        recent=args.recent,
        webhooks=args.webhooks,
        batch=args.batch,
        record_results=not args.no_record,
    )
