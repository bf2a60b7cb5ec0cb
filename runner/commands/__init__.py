"""The `hub` command line, one module per top-level command.

``GROUPS`` names them in the order `hub --help` lists them; ``runner/commands/<name>.py`` has a
``register(subparsers)`` that adds the command's parser (and its subcommands) next to their
handlers ``cmd_<command>_<subcommand>(cfg, args) -> exit status``. A handler turns the arguments
into a call of the module that does the work (named in the command module's docstring) and prints
the result (runner/commands/common.py); it holds no SQL and no business logic. Command modules
import only the standard library at the top, and the heavy modules (psycopg, httpx,
procrastinate, the web app) inside the handlers, so `hub --help` stays fast.
"""

from __future__ import annotations

import argparse
import importlib

from runner import __version__
from runner.commands.common import EPILOG_ENV, RawDescriptionHelpFormatter

GROUPS = (
    "db",
    "backup",
    "settings",
    "bench",
    "shop",
    "snapshot",
    "sandbox",
    "sync",
    "analytics",
    "translate",
    "search",
    "feed",
    "serve",
    "worker",
    "status",
    "web",
)
"""Top-level commands: `hub <name>` is defined in runner/commands/<name>.py."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub",
        description="Shoptet Hub: a PostgreSQL-first commerce hub for Shoptet e-shops.",
        epilog=EPILOG_ENV,
        formatter_class=RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hub {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in GROUPS:
        importlib.import_module(f"runner.commands.{name}").register(subparsers)
    return parser
