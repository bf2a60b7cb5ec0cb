"""`hub serve`: the web app — Shoptet webhooks, the addon install callback, /healthz, /metrics and the
dashboard (runner/web.py, runner/dashboard/; its SQL in runner/sql/webhooks.sql, dashboard.sql)."""

from __future__ import annotations

import argparse

from runner.commands.common import Subparsers, add_bind_options, add_command
from runner.config import Config


def register(subparsers: Subparsers) -> None:
    p = add_command(
        subparsers,
        "serve",
        cmd_serve,
        help="the web app: Shoptet webhooks, addon install callback, /healthz, the dashboard",
        description="Run the web app (starlette on uvicorn): POST /webhooks/shoptet, "
        "GET /shoptet/install, GET /healthz, GET /metrics, and the dashboard at / "
        "(password: hub web passwd). Binds 127.0.0.1 unless --host says otherwise.",
        environment=True,
    )
    p.set_defaults(default_log_level="INFO")  # a service: its log is its output
    add_bind_options(p, port=8000)
    p.add_argument("--workers", type=int, default=1, help="worker processes")


def cmd_serve(cfg: Config, args: argparse.Namespace) -> int:
    from runner import web

    web.serve(cfg, host=args.host, port=args.port, workers=args.workers)
    return 0
