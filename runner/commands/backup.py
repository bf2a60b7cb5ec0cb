"""`hub backup`: dumps proven by restore (runner/backup.py) and point-in-time recovery of the
embedded cluster with pgBackRest (runner/pitr.py, runner/pgbackrest.py); the SQL is
runner/sql/backup.sql, runner/sql/pitr.sql and the view ops.backup_status. `hub db backup` is
`hub backup run` with the same options."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runner.commands.common import (
    Column,
    Subparsers,
    add_command,
    add_group,
    add_json_option,
    print_fields,
    print_json,
    print_table,
)
from runner.config import Config
from runner.errors import CommandError

if TYPE_CHECKING:
    from runner.cluster import Cluster

PITR_TYPES = ("full", "diff", "incr")
RUN_DESCRIPTION = (
    "Dump the hub database (pg_dump custom format, compressed) into HUB_BACKUP_DIR as "
    "hub-<UTC time>.dump with its SHA-256 (<file>.sha256) and a manifest (hub-<UTC time>.manifest.json: "
    "every table's row count taken in the dump's own snapshot, sizes, duration, server and hub "
    "versions), check the file reads back (pg_restore --list) and record it in ops.backups "
    "(verified only once `hub backup verify` restored it), then prune as `hub backup prune` does. "
    "With --pitr, a pgBackRest backup of the embedded cluster instead. The workers run run, "
    "verify and prune daily at 02:00 UTC."
)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """The options of `hub backup run` (and of its alias `hub db backup`)."""
    parser.add_argument("--dir", help="directory for the dump (default HUB_BACKUP_DIR)")
    parser.add_argument(
        "--keep",
        type=int,
        help="when pruning afterwards, the newest dumps always kept (default HUB_BACKUP_KEEP)",
    )
    parser.add_argument(
        "--pitr",
        choices=PITR_TYPES,
        help="make a pgBackRest backup of the embedded cluster (full, diff or incr) instead of a dump",
    )
    add_json_option(parser, "print the result as JSON")


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "backup",
        help="backups proven by restore: run, list, verify, restore, prune; point-in-time recovery",
        description="Dumps of the hub database with checksums and manifests, verified by restoring "
        "them, and (embedded cluster) WAL archiving with pgBackRest for point-in-time recovery. "
        "What each reports and what to do about it: docs/operations.md, Backups.",
    )
    p = add_command(
        sub,
        "run",
        cmd_backup_run,
        help="dump the hub database now: checksum, manifest, catalogue, prune (or --pitr: pgBackRest)",
        description=RUN_DESCRIPTION,
        environment=True,
    )
    add_run_options(p)
    p = add_command(
        sub,
        "list",
        cmd_backup_list,
        help="catalogued dumps, pgBackRest backups, and what needs attention",
        description="List the newest dumps of ops.backups (status, size, rows, verified, whether the "
        "file is still there), the pgBackRest backups of the embedded cluster, and the problems of "
        "ops.backup_status. Exit status 0; the problems are printed last.",
    )
    p.add_argument("--limit", type=int, default=20, metavar="N", help="dumps to show")
    add_json_option(p, "print everything as JSON")
    p = add_command(
        sub,
        "verify",
        cmd_backup_verify,
        help="prove a dump by restoring it into a scratch database; pgbackrest verify",
        description="Check the dump's SHA-256 (a damaged or truncated file stops here, before any "
        "restore), restore it into a scratch database on the same server, compare every table's "
        "row count with the manifest, drop the scratch database, and record ok or failed with the "
        "reason in ops.backups. Without ID or FILE: the newest completed dump. On the embedded "
        "cluster `pgbackrest verify` checks the pgBackRest repository too (ops.pgbackrest_runs). "
        "Exit status 1 when anything failed.",
    )
    p.add_argument(
        "backup", nargs="?", metavar="ID|FILE", help="a backup id (hub backup list) or a .dump file (default: newest)"
    )
    add_json_option(p, "print the result as JSON")
    p = add_command(
        sub,
        "restore",
        cmd_backup_restore,
        help="restore a dump into a new database, or a cluster copy as of a time (--time --to-dir)",
        description="ID|FILE --to DBNAME: check the dump's SHA-256, then restore it into the new "
        "database DBNAME on the hub's server (an existing one is refused unless --force, which drops "
        "it first) and compare every table's row count with the manifest. --time T --to-dir DIR: "
        "restore a copy of the embedded cluster as of T with pgBackRest into DIR (new or empty) and "
        "start it there on its own unix socket (DIR/run, --port), promoted once it has replayed the "
        "WAL up to T; it never archives.",
    )
    p.add_argument("backup", nargs="?", metavar="ID|FILE", help="the dump: a backup id or a .dump file")
    p.add_argument("--to", metavar="DBNAME", help="the new database to restore the dump into")
    p.add_argument("--force", action="store_true", help="drop and replace DBNAME when it exists")
    p.add_argument(
        "--time",
        metavar="TIME",
        help="point-in-time recovery: the moment, with its zone, e.g. '2026-11-30 12:00:00+01'",
    )
    p.add_argument("--to-dir", metavar="DIR", help="point-in-time recovery: the new or empty directory of the copy")
    p.add_argument(
        "--port",
        type=int,
        metavar="N",
        help="port of the copy's socket (default HUB_DB_PORT + 1; it listens on no TCP)",
    )
    add_json_option(p, "print the result as JSON")
    p = add_command(
        sub,
        "prune",
        cmd_backup_prune,
        help="delete dumps older than HUB_BACKUP_KEEP_DAYS (never the newest verified)",
        description="Delete the files (dump, .sha256, manifest) of completed dumps older than "
        "HUB_BACKUP_KEEP_DAYS days, except the newest HUB_BACKUP_KEEP and the newest verified one, "
        "and mark them removed in ops.backups; on the embedded cluster pgBackRest expires its "
        "backups and WAL older than HUB_BACKUP_KEEP_DAYS too.",
        environment=True,
    )
    p.add_argument("--days", type=int, metavar="N", help="days to keep (default HUB_BACKUP_KEEP_DAYS)")
    p.add_argument("--keep", type=int, metavar="N", help="newest dumps always kept (default HUB_BACKUP_KEEP)")
    add_json_option(p, "print the result as JSON")


def _cluster(cfg: Config) -> Cluster | None:
    """The embedded cluster, or None with HUB_DATABASE_URL."""
    from runner.db import embedded_cluster

    return embedded_cluster(cfg) if cfg.embedded else None


def _mb(size: Any) -> str:
    return "" if size is None else f"{size / 1e6:.1f} MB"


def cmd_backup_run(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import target_for

    target = target_for(cfg)
    if args.pitr:
        if args.dir or args.keep is not None:
            raise CommandError(
                "--pitr makes a pgBackRest backup into HUB_BACKUP_DIR/pgbackrest: --dir and --keep are for dumps"
            )
        from runner import pitr

        made = pitr.backup(_cluster(cfg), target, args.pitr)
        if args.json:
            print_json(made)
        else:
            print(
                f"pgBackRest {made['type']} backup {made['label']}: {_mb(made['database_bytes'])} of data, "
                f"{_mb(made['repository_bytes'])} added to the repository (run {made['run_id']})"
            )
        return 0
    from runner.backup import run_backup

    directory = Path(args.dir).expanduser().resolve() if args.dir else cfg.backup_dir
    keep = cfg.backup_keep if args.keep is None else args.keep
    done = run_backup(target, directory, keep=keep, keep_days=cfg.backup_keep_days)
    if args.json:
        print_json(done)
        return 0
    print(
        f"backup {done['backup_id']}: {done['path']} ({_mb(done['size_bytes'])}, {done['tables']} tables, "
        f"{done['rows']} rows, {done['seconds']:.1f} s)"
    )
    print(f"sha256 {done['sha256']}; manifest {done['manifest']}")
    if done["removed"]:
        print(f"pruned {len(done['removed'])} older backup(s)")
    print(f"prove it restores: hub backup verify {done['backup_id']}")
    return 0


def cmd_backup_list(cfg: Config, args: argparse.Namespace) -> int:
    from runner.backup import list_backups
    from runner.db import target_for

    listing = list_backups(target_for(cfg), limit=args.limit)
    pitr_backups: list[dict[str, Any]] = []
    pitr_note = None
    cluster = _cluster(cfg)
    from runner import pitr

    if pitr.enabled(cluster):
        try:
            pitr_backups = pitr.archiver(cluster).backups()
        except Exception as exc:  # noqa: BLE001 - the dumps are still worth listing
            pitr_note = f"pgBackRest: {exc}"
    elif cluster is None:
        pitr_note = "pgBackRest: not used (HUB_DATABASE_URL: the server's own backups cover point-in-time recovery)"
    else:
        pitr_note = "pgBackRest: not installed, no WAL archiving (apt-get install pgbackrest, then restart the cluster)"
    if args.json:
        print_json({**listing, "pgbackrest": pitr_backups, "pgbackrest_note": pitr_note})
        return 0
    print_table(
        listing["backups"],
        [
            Column("id", 6, ">", lambda r: r["backup_id"]),
            Column("started (UTC)", 16, cell=lambda r: f"{r['started_at']:%Y-%m-%d %H:%M}"),
            Column("status", 9),
            Column("size", 10, ">", lambda r: _mb(r["size_bytes"])),
            Column("rows", 10, ">", lambda r: r["total_rows"] if r["total_rows"] is not None else ""),
            Column("verified", 8, cell=lambda r: r["verify_status"] or "-"),
            Column("file", None, cell=_file_cell),
        ],
        as_json=False,
        empty="no dumps yet: hub backup run",
        note=lambda r: f"       {r['error'].splitlines()[0]}" if r["error"] else None,
    )
    print()
    if pitr_backups:
        print("pgBackRest backups (point-in-time recovery from the oldest one's end):")
        print_table(
            pitr_backups,
            [
                Column("label", 34),
                Column("type", 5),
                Column("finished (UTC)", 16, cell=lambda r: f"{r['finished']:%Y-%m-%d %H:%M}"),
                Column("data", 10, ">", lambda r: _mb(r["database_bytes"])),
                Column("repo", 10, ">", lambda r: _mb(r["repository_bytes"])),
            ],
            as_json=False,
            empty="",
        )
    elif pitr_note is None:
        print("pgBackRest: no backup yet (the nightly job makes one, or: hub backup run --pitr full)")
    if pitr_note:
        print(pitr_note)
    problems = listing["status"].get("problems") or []
    print()
    print("needs attention:" if problems else "needs attention: nothing")
    for problem in problems:
        print(f"  - {problem}")
    return 0


def _file_cell(row: Mapping[str, Any]) -> str:
    if row["status"] != "completed":
        return "-"
    return row["path"] if row["file_present"] else f"(gone) {row['path']}"


def cmd_backup_verify(cfg: Config, args: argparse.Namespace) -> int:
    from runner import pitr
    from runner.backup import verify_backup
    from runner.db import target_for
    from runner.errors import HubError

    target = target_for(cfg)
    outcome: dict[str, Any] = {}
    failed = False
    try:
        outcome["dump"] = verify_backup(target, args.backup)
    except HubError as exc:
        failed = True
        outcome["dump"] = {"verified": False, "error": str(exc)}
    cluster = _cluster(cfg)
    if pitr.enabled(cluster):
        try:
            outcome["pgbackrest"] = {"verified": True, **pitr.verify(cluster, target)}
        except HubError as exc:
            failed = True
            outcome["pgbackrest"] = {"verified": False, "error": str(exc)}
    if args.json:
        print_json(outcome)
        return 1 if failed else 0
    dump = outcome["dump"]
    if dump["verified"]:
        what = f"backup {dump['backup_id']}" if dump["backup_id"] is not None else dump["path"]
        print(
            f"{what}: verified — checksum as recorded, restored into a scratch database, "
            f"{dump['tables']} tables and {dump['rows']} rows as the manifest says ({dump['seconds']:.1f} s)"
        )
    else:
        print(f"dump: FAILED: {dump['error']}", file=sys.stderr)
    if "pgbackrest" in outcome:
        pb = outcome["pgbackrest"]
        if pb["verified"]:
            print("pgBackRest repository: verified (pgbackrest verify: every backup and WAL file as checksummed)")
        else:
            print(f"pgBackRest repository: FAILED: {pb['error']}", file=sys.stderr)
    return 1 if failed else 0


def cmd_backup_restore(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import target_for

    if args.time or args.to_dir:
        if not (args.time and args.to_dir) or args.backup or args.to or args.force:
            raise CommandError(
                "point-in-time recovery takes --time TIME and --to-dir DIR (and --port), "
                "without ID|FILE, --to or --force"
            )
        from runner import pitr

        when = pitr.parse_time(args.time)
        port = args.port or cfg.db_port + 1
        done = pitr.restore_to_time(_cluster(cfg), when, Path(args.to_dir), port=port)
        if args.json:
            print_json(done)
            return 0
        print(f"restored a copy of the cluster as of {done['target_time']} into {done['directory']}")
        print(f"last transaction replayed: {done['replayed_to'] or '(none after the backup)'}; it runs now:")
        print_fields(
            {"connect": done["psql"], "stop": done["stop"], "took": f"{done['seconds']:.1f} s"},
            as_json=False,
            width=8,
        )
        return 0
    if args.port is not None:
        raise CommandError("--port is for point-in-time recovery (--time, --to-dir)")
    if not args.backup or not args.to:
        raise CommandError("restore takes ID|FILE --to DBNAME (or --time TIME --to-dir DIR)")
    from runner.backup import restore_backup

    done = restore_backup(target_for(cfg), args.backup, args.to, force=args.force)
    if args.json:
        print_json(done)
        return 0
    compared = "row counts as the manifest says" if done["compared_with_manifest"] else "no manifest to compare with"
    print(
        f"restored {done['path']} into database {done['database']}: {done['tables']} tables, "
        f"{done['rows']} rows, {compared} ({done['seconds']:.1f} s)"
    )
    return 0


def cmd_backup_prune(cfg: Config, args: argparse.Namespace) -> int:
    from runner import pitr
    from runner.backup import prune_backups
    from runner.db import target_for

    keep = cfg.backup_keep if args.keep is None else args.keep
    days = cfg.backup_keep_days if args.days is None else args.days
    done = prune_backups(target_for(cfg), keep=keep, keep_days=days)
    cluster = _cluster(cfg)
    if pitr.enabled(cluster):
        pitr.archiver(cluster).expire(days)
        done["pgbackrest_expired"] = True
    if args.json:
        print_json(done)
        return 0
    print(
        f"removed {len(done['removed'])} dump(s) older than {days} days "
        f"(kept the newest {keep} and the newest verified one)"
    )
    for removed in done["removed"]:
        print(f"  {removed['backup_id']}: {removed['path']}")
    if done.get("pgbackrest_expired"):
        print(f"pgBackRest: expired backups and WAL beyond {days} days")
    return 0
