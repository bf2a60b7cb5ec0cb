"""`hub status`: the hub's health on one screen -- queues, workers, failed and stuck jobs, syncs,
snapshot imports, Shoptet API calls, the database, backups, recent errors (runner/status.py; its
SQL in runner/sql/status.sql, the views in db/functions/ops/)."""

from __future__ import annotations

import argparse
import os
import sys

from runner.commands.common import Subparsers, add_command, add_json_option
from runner.config import Config

NOT_A_TERMINAL_WIDTH = 1000
"""Columns `hub status` lays out for when its output is not a terminal (no COLUMNS either)."""


def register(subparsers: Subparsers) -> None:
    p = add_command(
        subparsers,
        "status",
        cmd_status,
        help="the hub's health on one screen; non-zero exit when something needs attention",
        description="Show queues, workers, failed and stuck jobs, sync lag, snapshot imports, Shoptet API "
        "calls of the last hour, database health, backups and recent errors, from the monitoring views "
        "of schema ops. Exit status: 0 all well, 1 warnings only (failed jobs, rows in a default "
        "partition), 2 something critical (stuck jobs, a sync lagging over 3 x its interval, no "
        "verified backup within 26 h or an unverified or failed newest backup), 3 the database does "
        "not answer.",
        environment=True,
    )
    add_json_option(p, "print the report as JSON (with --watch: one line per refresh)")
    p.add_argument(
        "--watch",
        nargs="?",
        type=float,
        const=5.0,
        metavar="SECONDS",
        help="refresh every SECONDS (5 when not given) until Ctrl-C; exit status of the last refresh",
    )


def cmd_status(cfg: Config, args: argparse.Namespace) -> int:
    from rich.console import Console

    from runner import status
    from runner.connection import DatabaseUnavailable
    from runner.db import target_for
    from runner.errors import summarize

    target = target_for(cfg)

    def read() -> dict[str, object]:
        try:
            return status.collect(target)
        except DatabaseUnavailable as exc:
            return status.unreachable(target, summarize(exc, one_line=True, label=False))

    # not a terminal (a pipe, a file, a monitoring check): rich would lay out for 80 columns and
    # wrap table cells mid-word; lines as long as they need (tables are not expanded) instead
    console = Console() if sys.stdout.isatty() or os.environ.get("COLUMNS") else Console(width=NOT_A_TERMINAL_WIDTH)
    if args.watch is not None:
        if args.watch <= 0:
            print(f"hub: error: --watch must be a positive number of seconds, got {args.watch:g}", file=sys.stderr)
            return 2
        return status.watch(read, console, interval=args.watch, as_json=args.json)
    report = read()
    if args.json:
        print(status.to_json(report))
    else:
        console.print(status.renderable(report))
    return int(str(report["exit_status"]))
