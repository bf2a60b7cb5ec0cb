"""`hub worker`: a procrastinate worker running the hub's jobs and their schedule (runner/tasks.py;
its SQL in runner/sql/tasks.sql)."""

from __future__ import annotations

import argparse

from runner.commands.common import Subparsers, add_command
from runner.config import Config
from runner.errors import as_hub_error


def register(subparsers: Subparsers) -> None:
    p = add_command(
        subparsers,
        "worker",
        cmd_worker,
        help="run jobs: webhook follow-ups, syncs, analytics, maintenance",
        description="Run a procrastinate worker until SIGINT/SIGTERM. Queues: webhooks, orders, "
        "customers, products, snapshots, analytics, maintenance. Periodic jobs (the "
        "schedule in runner/tasks.py) are deferred by running workers.",
        environment=True,
    )
    p.set_defaults(default_log_level="INFO")  # a service: its log is its output
    p.add_argument("--queues", metavar="Q1,Q2", help="comma-separated queues to serve (default: all)")
    p.add_argument("--concurrency", type=int, default=1, help="jobs run at once by this worker")
    p.add_argument(
        "--polling-interval", type=float, default=5.0, help="seconds between polls for jobs besides LISTEN/NOTIFY"
    )
    p.add_argument(
        "--stalled-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="a worker silent this long is dead and its jobs are retried (default 60)",
    )
    p.add_argument("--name", help="worker name in logs and procrastinate_workers")


def cmd_worker(cfg: Config, args: argparse.Namespace) -> int:
    from runner import tasks

    queues = [q.strip() for q in args.queues.split(",") if q.strip()] if args.queues else None
    try:
        tasks.run_worker(
            cfg,
            queues=queues,
            concurrency=args.concurrency,
            polling_interval=args.polling_interval,
            stalled_after=args.stalled_after,
            name=args.name,
        )
    except ValueError as exc:
        raise as_hub_error(exc) from None
    return 0
