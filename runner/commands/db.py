"""`hub db`: the database — embedded cluster (runner/cluster.py), status (runner/dbstatus.py),
connection URLs and psql (runner/db.py), migrations (runner/migrate.py), partition maintenance
(runner/maintain.py), housekeeping (runner/housekeeping.py); `hub db backup` is `hub backup run`
(runner/commands/backup.py)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from runner.commands.backup import RUN_DESCRIPTION, add_run_options
from runner.commands.common import (
    Subparsers,
    add_command,
    add_group,
    add_json_option,
    add_quiet_option,
    add_shop_option,
    print_fields,
    print_json,
)
from runner.config import Config

if TYPE_CHECKING:
    from runner.cluster import Cluster

ROLES = ("admin", "app", "readonly")


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "db",
        help="the database: embedded cluster, migrations, psql",
        description="Manage the hub's database. Without HUB_DATABASE_URL the hub runs its own "
        "PostgreSQL 15 cluster under HUB_HOME (default ./.hub).",
    )
    add_command(
        sub,
        "start",
        cmd_db_start,
        help="create (first time) and start the embedded cluster",
        description="Create the embedded cluster on first use (initdb, database 'hub') and start it "
        "on a unix socket in HUB_HOME and on 127.0.0.1:HUB_DB_PORT. As root the server "
        "runs as the 'postgres' OS user. Does nothing when HUB_DATABASE_URL is set.",
    )
    add_command(
        sub,
        "stop",
        cmd_db_stop,
        help="stop the embedded cluster (fast shutdown)",
        description="Stop the embedded cluster (pg_ctl stop -m fast). Does nothing when HUB_DATABASE_URL is set.",
    )
    p = add_command(
        sub,
        "remove",
        cmd_db_remove,
        help="stop the embedded cluster and delete its data for good (--yes)",
        description="Stop the embedded cluster and delete it: HUB_HOME/cluster and, when that is a "
        "symlink (as root, a checkout the postgres user cannot reach), the directory under "
        "/var/lib/postgresql/shoptet-hub/ it points to, which deleting the checkout leaves behind. "
        "Every row in the database is gone afterwards; backups in HUB_BACKUP_DIR are kept. Refuses "
        "without --yes. Does nothing when HUB_DATABASE_URL is set.",
    )
    p.add_argument("--yes", action="store_true", help="confirm: delete the cluster and all its data")
    p = add_command(
        sub,
        "status",
        cmd_db_status,
        help="is the database up, where, which migrations are pending",
        description="Report whether the database is reachable, where it is, and pending migrations. "
        "Exit status 0 when reachable, 3 when not.",
    )
    add_json_option(p, "print the status as JSON")
    p = add_command(
        sub,
        "url",
        cmd_db_url,
        help="print the connection URL (for psql and other tools)",
        description="Print a libpq connection URL of the database for the chosen role.",
    )
    _add_role_option(p)
    p = add_command(
        sub,
        "psql",
        cmd_db_psql,
        help="open psql on the database",
        description="Run psql connected to the hub database; arguments after -- go to psql.",
    )
    _add_role_option(p)
    p.add_argument("psql_args", nargs=argparse.REMAINDER, help="arguments for psql (after --)")
    p = add_command(
        sub,
        "migrate",
        cmd_db_migrate,
        help="apply pending migrations and re-load every function file",
        description="Apply db/migrations/ with yoyo, then re-load every file of db/functions/ "
        "(order: core, ingest, sales, catalog, analytics, ops, archive, then others; "
        "files by name), all in one transaction: an error names file and line and "
        "leaves the database unchanged.",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="migrate a throw-away copy (CREATE DATABASE ... TEMPLATE) and report what would change",
    )
    p = add_command(
        sub,
        "maintain",
        cmd_db_maintain,
        help="partition maintenance now: premake, empty the default, retention to archive",
        description="Run ops.run_maintenance(): move rows out of the default partition of "
        "sales.order_items, make quarterly partitions ahead, detach quarters older "
        "than 2 years into schema archive (attached to archive.order_items, queryable "
        "through sales.order_items_all). Idempotent; the workers run it hourly.",
    )
    add_json_option(p, "print the summary as JSON")
    p = add_command(
        sub,
        "housekeeping",
        cmd_db_housekeeping,
        help="delete old webhook events, ended jobs, log rows and snapshot jobs now",
        description="Run housekeeping now, as the workers do daily at 04:40 UTC: delete processed "
        "webhook events, ended and failed procrastinate jobs, ops.events, snapshot failures and "
        "jobs beyond the newest per shop and entity, and ops.api_calls minutes older than the "
        "housekeeping.* settings (hub settings set housekeeping.jobs_days 7; docs/operations.md), "
        "in batches of housekeeping.batch_rows rows, one transaction each; logs the counts to "
        "ops.events.",
    )
    p.add_argument("--dry-run", action="store_true", help="delete nothing: count what would go")
    add_json_option(p, "print the counts as JSON")
    p = add_command(
        sub,
        "backup",
        cmd_db_backup,
        help="the same as `hub backup run` (kept as an alias)",
        description="An alias of `hub backup run`, with the same options. " + RUN_DESCRIPTION,
        environment=True,
    )
    add_run_options(p)
    p = add_command(
        sub,
        "check",
        cmd_db_check,
        help="integrity checks: amcheck, orphan lines, default partitions, order totals, premake; --remote counts",
        description="Look for silent corruption and lost data, each check a function of schema ops "
        "(runner/integrity.py): "
        "amcheck's bt_index_check over every B-tree index (btree_index), order lines without their order "
        "(orphan_order_lines), rows in default partitions (default_partition), orders whose lines do not add up to "
        "their total (order_totals), partitions missing in the premake window (premake_partitions), and with "
        "--remote each shop's counts of orders, customers and products against Shoptet's paginator.totalCount "
        "(remote_counts). Prints every problem with what to run about it. Exit status: 0 no problem, 1 warnings "
        "only, 2 something critical (a corrupted index, orphan order lines, no partition for this quarter), "
        "3 the database does not answer.",
        environment=True,
    )
    add_json_option(p, "print the report as JSON")
    p.add_argument(
        "--only",
        metavar="CHECK[,CHECK]",
        help="run only these checks: btree_index, orphan_order_lines, default_partition, order_totals, "
        "premake_partitions, remote_counts (remote_counts asks Shoptet like --remote)",
    )
    p.add_argument("--skip-amcheck", action="store_true", help="leave out amcheck (btree_index): it reads every index")
    p.add_argument(
        "--heapallindexed",
        action="store_true",
        help="amcheck also verifies that every table row has its index entry (reads every table too: much slower)",
    )
    p.add_argument(
        "--remote",
        action="store_true",
        help="also compare each active shop's counts of orders, customers and products with Shoptet's list endpoints",
    )
    add_shop_option(p, help="with --remote: only this shop (default every active shop)")
    add_quiet_option(p)
    p = add_command(
        sub,
        "docs",
        cmd_db_docs,
        help="print the SQL reference (docs/sql.md) from the database's comments",
        description="Render every schema, table, view and function of the migrated database with its "
        "COMMENT ON text as markdown (runner/sqldocs.py), as docs/sql.md holds it: "
        "hub db docs --output docs/sql.md after a migration that adds or changes one.",
    )
    p.add_argument("--output", metavar="FILE", help="write here instead of standard output")


def _add_role_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--role",
        choices=ROLES,
        default="admin",
        help="connect as: admin (superuser), app (hub_app) or readonly (hub_readonly)",
    )


def _cluster_or_say(cfg: Config, verb: str) -> Cluster | None:
    """The embedded cluster, or None after saying that HUB_DATABASE_URL makes ``hub db <verb>`` do nothing."""
    from runner.db import embedded_cluster

    if not cfg.embedded:
        print(f"HUB_DATABASE_URL is set: the hub uses that server; `hub db {verb}` does nothing")
        return None
    return embedded_cluster(cfg)


def cmd_db_start(cfg: Config, args: argparse.Namespace) -> int:
    cluster = _cluster_or_say(cfg, "start")
    if cluster is None:
        return 0
    for line in cluster.start():
        print(line)
    print(f"connect: psql '{cluster.url()}'   (or: hub db psql)")
    return 0


def cmd_db_stop(cfg: Config, args: argparse.Namespace) -> int:
    cluster = _cluster_or_say(cfg, "stop")
    if cluster is None:
        return 0
    print(cluster.stop())
    return 0


def cmd_db_remove(cfg: Config, args: argparse.Namespace) -> int:
    from runner.errors import CommandError

    cluster = _cluster_or_say(cfg, "remove")
    if cluster is None:
        return 0
    if not args.yes:
        raise CommandError(
            f"`hub db remove` deletes the embedded cluster in {cluster.link} with every row of its database: "
            "add --yes to confirm"
        )
    for line in cluster.remove():
        print(line)
    return 0


def cmd_db_status(cfg: Config, args: argparse.Namespace) -> int:
    from runner import dbstatus

    info = dbstatus.status(cfg)
    print_fields(info, as_json=args.json, width=20)
    return 0 if info.get("reachable") else 3


def cmd_db_url(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import EMBEDDED_USERS, embedded_cluster, target_for

    if cfg.embedded:
        print(embedded_cluster(cfg).url(EMBEDDED_USERS[args.role]))
    else:
        print(target_for(cfg).conninfo(args.role))
    return 0


def cmd_db_psql(cfg: Config, args: argparse.Namespace) -> int:
    from runner.cluster import PG_BIN
    from runner.db import target_for

    psql_args = args.psql_args[1:] if args.psql_args[:1] == ["--"] else args.psql_args
    psql = str(PG_BIN / "psql") if (PG_BIN / "psql").exists() else "psql"
    os.execvp(psql, [psql, target_for(cfg).conninfo(args.role), *psql_args])
    return 0  # not reached


def cmd_db_migrate(cfg: Config, args: argparse.Namespace) -> int:
    from runner import migrate
    from runner.db import target_for

    target = target_for(cfg)
    if args.dry_run:
        result = migrate.dry_run(target)
        print(f"dry run on a copy of the database; the real one is untouched ({result.seconds:.2f} s)")
        print(f"would apply {len(result.applied)} migration(s)" + (":" if result.applied else ""))
        for mid in result.applied:
            print(f"  {mid}")
        print(f"function files changed: {len(result.functions_changed)} of {result.functions_loaded}")
        for rel in result.functions_changed:
            print(f"  {rel}")
        print(f"catalog changes: {len(result.catalog_changes)}")
        for change, kind, ident in result.catalog_changes:
            print(f"  {change} {kind} {ident}")
        for note in result.notes:
            print(f"note: {note}")
        return 0
    result = migrate.migrate(target)
    if result.nothing_to_do:
        print(
            f"nothing to apply: database is current ({result.functions_loaded} function files re-loaded, "
            f"none changed; {result.seconds:.2f} s)"
        )
    else:
        print(
            f"applied {len(result.applied)} migration(s), {len(result.functions_changed)} changed of "
            f"{result.functions_loaded} function files ({result.seconds:.2f} s)"
        )
        for mid in result.applied:
            print(f"  migration {mid}")
        for rel in result.functions_changed:
            print(f"  function  {rel}")
    for note in result.notes:
        print(f"note: {note}")
    return 0


def cmd_db_maintain(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import target_for
    from runner.maintain import run_maintenance

    summary = run_maintenance(target_for(cfg))
    if args.json:
        print_json(summary)
        return 0
    print(
        f"moved {summary['moved_from_default']} row(s) out of the default partition; "
        f"{summary['partitions_created']} partition(s) created, {summary['archived']} archived, "
        f"{summary.get('empty_future_dropped', 0)} empty one(s) after the premake window dropped; "
        f"now {summary['hot_partitions']} hot and {summary['archive_partitions']} archived partitions"
    )
    return 0


def cmd_db_housekeeping(cfg: Config, args: argparse.Namespace) -> int:
    from runner import housekeeping
    from runner.db import connect, target_for

    with connect(target_for(cfg), "app", autocommit=True) as conn:
        result = housekeeping.run(conn, dry_run=args.dry_run)
    if args.json:
        print_json(result.as_dict())
        return 0
    verb = "would remove" if result.dry_run else "removed"
    ages = result.ages
    print(
        f"housekeeping {verb} {result.total} row(s) in {result.seconds:.2f} s "
        f"({result.batches} batch(es){'' if result.dry_run else f', ops.events #{result.event_id}'})"
    )
    print_fields({f"  {what}": n for what, n in result.removed.items()}, as_json=False, width=28)
    print(
        f"ages: webhook events {ages['webhook_events_days']} d, jobs {ages['jobs_days']} d, "
        f"failed jobs {ages['failed_jobs_days']} d, ops.events {ages['events_days']} d, "
        f"snapshot failures {ages['snapshot_failures_days']} d, snapshot jobs kept "
        f"{ages['snapshot_jobs_keep']} per shop and entity, api calls {ages['api_calls_days']} d"
    )
    return 0


def cmd_db_docs(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import connect, target_for
    from runner.sqldocs import render, write

    with connect(target_for(cfg), "readonly", autocommit=True) as conn:
        write(render(conn), args.output)
    return 0


def cmd_db_backup(cfg: Config, args: argparse.Namespace) -> int:
    """`hub db backup`: `hub backup run` under its old name."""
    from runner.commands.backup import cmd_backup_run

    return cmd_backup_run(cfg, args)


def cmd_db_check(cfg: Config, args: argparse.Namespace) -> int:
    from rich.console import Console

    from runner import integrity
    from runner.connection import DatabaseUnavailable
    from runner.db import target_for
    from runner.errors import summarize
    from runner.status import to_json

    options = integrity.Options(
        only=integrity.parse_only(args.only),
        skip_amcheck=args.skip_amcheck,
        heapallindexed=args.heapallindexed,
        remote=args.remote or args.shop is not None,
        shop_ids=(args.shop,) if args.shop is not None else None,
    )
    target = target_for(cfg)
    try:
        with integrity.ProgressDisplay(enabled=not args.quiet) as progress:
            report = integrity.run(cfg, target, options, progress)
    except DatabaseUnavailable as exc:
        report = integrity.unreachable(target, summarize(exc, one_line=True, label=False))
    if args.json:
        print(to_json(report))
    else:
        Console().print(integrity.renderable(report))
    return int(report["exit_status"])
