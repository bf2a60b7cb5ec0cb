"""`hub snapshot`: full imports from Shoptet snapshot files (runner/shoptet/snapshots.py, which
streams them through runner/shoptet/ingest.py) and the record of the jobs
(runner/shoptet/snapshot_jobs.py); the SQL is runner/sql/snapshots.sql and db/functions/ingest/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from typing import Any

from runner.commands.common import (
    Column,
    Subparsers,
    add_command,
    add_group,
    add_job_argument,
    add_json_option,
    add_quiet_option,
    add_shop_option,
    print_fields,
    print_json,
    print_table,
)
from runner.config import Config

ENTITIES = ("orders", "customers", "products", "all")
IMPORT_ORDER = ("customers", "products", "orders")
"""The entities of ``--entity all``, in the order they are imported."""


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "snapshot",
        help="full imports from Shoptet snapshots: import, list, show, retry",
        description="Import whole entities from Shoptet's snapshot files (gzip JSON Lines), "
        "streamed into PostgreSQL in constant memory. Progress, bad lines and retries "
        "are kept in ingest.snapshot_jobs / ingest.snapshot_failures.",
    )
    p = add_command(
        sub,
        "import",
        cmd_snapshot_import,
        help="import a shop's orders, customers, products (or all) now",
        description="Request the snapshot, wait for job:finished (when `hub serve` runs) or poll the "
        "job list with growing pauses (the job's detail only once it is finished: Shoptet "
        "refuses the 11th detail request of an unfinished job), stream the file into "
        "staging with COPY and apply it set-based chunk by chunk. Re-importing the same "
        "data changes nothing. Exit status 1 when an import failed.",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument(
        "--entity",
        choices=ENTITIES,
        default="all",
        help=f"what to import; all is {', '.join(IMPORT_ORDER)}, in that order",
    )
    _add_deadline_option(p, "; Shoptet fails jobs after 3 hours")
    p.add_argument(
        "--chunk-lines",
        type=int,
        metavar="N",
        help="lines applied per transaction (default: orders 500, customers 2000, products 500)",
    )
    p.add_argument(
        "--compare-all",
        action="store_true",
        help="stage and compare every line, also orders and customers the hub already holds with the "
        "same changeTime (skipped by default: e.g. after an upgrade that reads documents differently)",
    )
    add_quiet_option(p)
    p = add_command(
        sub,
        "list",
        cmd_snapshot_list,
        help="recent snapshot jobs with status, progress, retries, bad lines, warnings",
        description="List snapshot jobs, newest first.",
    )
    add_shop_option(p, help="only this shop")
    p.add_argument("--limit", type=int, default=20, help="how many")
    add_json_option(p)
    p = add_command(
        sub,
        "show",
        cmd_snapshot_show,
        help="one job: timings, counts, last error, its bad lines and warnings",
        description="Show a snapshot job, the first of its bad lines (not imported) and the first "
        "of its field-level warnings (lines imported with that field left out).",
    )
    add_job_argument(p)
    p.add_argument("--failures", type=int, default=20, metavar="N", help="bad lines to show, and as many warnings")
    add_json_option(p)
    p = add_command(
        sub,
        "retry",
        cmd_snapshot_retry,
        help="reset a failed job's retry budget and run it now",
        description="Retry a failed (or completed_with_errors) job now, with a fresh budget of "
        "max_retries automatic retries.",
    )
    add_job_argument(p)
    _add_deadline_option(p)
    add_quiet_option(p)


def _add_deadline_option(parser: argparse.ArgumentParser, more: str = "") -> None:
    parser.add_argument(
        "--deadline",
        type=float,
        default=190,
        metavar="MINUTES",
        help=f"give up waiting for Shoptet's file after this long{more}",
    )


def _run_snapshot(
    cfg: Config, shop_id: int, run: Callable[[Any, Any, Any], dict[str, Any]], quiet: bool
) -> dict[str, Any]:
    """``run(conn, client, progress_bar)`` with the shop's Shoptet client and an app connection."""
    from runner.db import connect, target_for
    from runner.progress import ProgressBar
    from runner.shoptet.shop_client import client_for_shop

    bar = None if quiet else ProgressBar()
    with client_for_shop(shop_id, cfg=cfg) as client, connect(target_for(cfg), "app") as conn:
        try:
            return run(conn, client, bar)
        finally:
            if bar:
                bar.done()


def _print_outcome(entity: str, outcome: dict[str, Any]) -> None:
    extra = f", {outcome['failed']:,} bad line(s)" if outcome.get("failed") else ""
    extra += f", {outcome['warnings']:,} field warning(s)" if outcome.get("warnings") else ""
    extra += f": hub snapshot show {outcome['job_id']}" if extra else ""
    deleted = f", {outcome['deleted']:,} gone at the source marked deleted" if outcome.get("deleted") else ""
    if outcome.get("unchanged"):
        deleted += f", {outcome['unchanged']:,} already held in that version (skipped)"
    resumed = f", download resumed {outcome['downloads'] - 1} time(s)" if (outcome.get("downloads") or 0) > 1 else ""
    rate = outcome["lines"] / outcome["seconds"] if outcome.get("seconds") else 0
    print(
        f"{entity:<9} job {outcome['job_id']}: {outcome['status']}, {outcome['lines']:,} lines in "
        f"{outcome['seconds']:.1f} s ({rate:,.0f}/s){extra}{deleted}{resumed}"
    )
    # products: the texts of the shop's other languages, one snapshot each (runner/shoptet/languages.py)
    for language, sub in (outcome.get("languages") or {}).items():
        if "error" in sub:
            print(f"  texts {language} job {sub['job_id']}: failed: {sub['error']}", file=sys.stderr)
        else:
            _print_outcome(f"  texts {language}", sub)


def cmd_snapshot_import(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import snapshots

    options = snapshots.Options(
        deadline_seconds=args.deadline * 60, chunk_lines=args.chunk_lines, compare_all=args.compare_all
    )
    failed = 0
    for entity in IMPORT_ORDER if args.entity == "all" else (args.entity,):

        def run(conn: Any, client: Any, bar: Any, entity: str = entity) -> dict[str, Any]:
            from runner import analytics

            outcome = snapshots.import_snapshot(conn, client, args.shop, entity, progress=bar, options=options)
            analytics.after_write(conn, args.shop, entity)  # the workers refresh the customers it touched
            conn.commit()
            return outcome

        try:
            outcome = _run_snapshot(cfg, args.shop, run, args.quiet)
        except snapshots.SnapshotFailed as exc:
            failed += 1
            retry = (
                f"retried hourly by the workers ({exc.retries_left} left), or now: hub snapshot retry {exc.job_id}"
                if exc.retries_left
                else f"no automatic retries left: hub snapshot retry {exc.job_id}"
            )
            print(f"{entity:<9} job {exc.job_id}: failed: {exc}\n          {retry}", file=sys.stderr)
            continue
        _print_outcome(entity, outcome)
        failed += sum(1 for sub in (outcome.get("languages") or {}).values() if "error" in sub)
    return 1 if failed else 0


def _error_note(row: Mapping[str, Any]) -> str | None:
    if row["last_error"] and row["status"] in ("failed", "retrying"):
        return f"{'':>6} {row['last_error'][:150]}"
    return None


JOB_COLUMNS = (
    Column("id", 6, ">"),
    Column("shop", 9, cell=lambda r: r["shop_id"]),
    Column("entity", 10),
    Column("status", 22),
    Column("retries", 8, cell=lambda r: f"{r['retry_count']}/{r['max_retries']:<6}"),
    Column("lines", 10, ">", cell=lambda r: f"{r['processed_count']:,}"),
    Column("bad", 6, ">", cell=lambda r: f"{r['failed_count']:,}"),
    Column("warn", 6, ">", cell=lambda r: f"{r['warning_count']:,}"),
    Column("%", 6, ">", cell=lambda r: f"{float(r['progress_percentage']):.1f}"),
    Column("requested", cell=lambda r: f"{r['requested_at']:%Y-%m-%d %H:%M}", gap="  "),
)


def cmd_snapshot_list(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import target_for
    from runner.shoptet import snapshot_jobs

    rows = snapshot_jobs.list_jobs(target_for(cfg), shop_id=args.shop, limit=args.limit)
    print_table(rows, JOB_COLUMNS, as_json=args.json, empty="no snapshot jobs", note=_error_note)
    return 0


def cmd_snapshot_show(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import target_for
    from runner.shoptet import snapshot_jobs

    report = snapshot_jobs.job_report(target_for(cfg), args.job_id, first=args.failures)
    job = report.job
    if args.json:
        print_json(
            {
                **job,
                "failures": [f._asdict() for f in report.failures],
                "warnings": [w._asdict() for w in report.warnings],
            }
        )
        return 0
    print_fields(job, as_json=False, width=20, blank="-")
    if report.failures:
        print(f"\nbad lines, not imported (first {len(report.failures)} of {job['failed_count']:,}):")
        for line_no, error, raw in report.failures:
            print(f"  line {line_no}: {error}\n      {raw!s:.150}")
    if report.warnings:
        print(
            f"\nwarnings, lines imported without the field (first {len(report.warnings)} of {job['warning_count']:,}):"
        )
        for line_no, field_name, warning in report.warnings:
            named = warning.startswith(f"{field_name}:")  # the message names its field already
            print(f"  line {line_no} {warning}" if named else f"  line {line_no} {field_name}: {warning}")
    return 0


def cmd_snapshot_retry(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import target_for
    from runner.shoptet import snapshot_jobs, snapshots

    job = snapshot_jobs.reset_retries(target_for(cfg), args.job_id)
    print(f"snapshot job {args.job_id}: retry budget reset (0/{job['max_retries']}), running it now")
    options = snapshots.Options(deadline_seconds=args.deadline * 60)
    try:
        outcome = _run_snapshot(
            cfg,
            job["shop_id"],
            lambda conn, client, bar: snapshots.run_job(conn, client, args.job_id, progress=bar, options=options),
            args.quiet,
        )
    except snapshots.SnapshotFailed as exc:
        print(f"{job['entity']:<9} job {exc.job_id}: failed again: {exc}", file=sys.stderr)
        return 1
    _print_outcome(job["entity"], outcome)
    return 0
