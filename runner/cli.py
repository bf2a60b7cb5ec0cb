"""`hub`: the entry point. Builds the command line from runner/commands/ (one module per
top-level command: `hub db ...` is runner/commands/db.py), runs the chosen handler, and is the
one place an error is shown: an error the hub raises on purpose (runner.errors.HubError) or a
database error is printed with its cause chain as ``hub: error: ...``, exit status 1.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
from collections.abc import Sequence

from runner.commands import build_parser
from runner.commands.common import Handler
from runner.config import Config
from runner.errors import CommandError, HubError, explain, is_database_error

__all__ = ["CommandError", "build_parser", "main"]

# the log level of a command run without HUB_LOG_LEVEL (HUB_LOG_LEVEL=INFO shows the full log)
INTERACTIVE_LOG_LEVEL = "WARNING"


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = Config.from_env()
        from runner import logs

        if not cfg.env.get("HUB_LOG_LEVEL"):
            # readable output is not interleaved with INFO lines: an interactive command logs
            # warnings and errors; services (serve, worker, sandbox serve) say so with a default
            cfg = dataclasses.replace(cfg, log_level=getattr(args, "default_log_level", INTERACTIVE_LOG_LEVEL))
        logs.configure(cfg)
        handler: Handler = args.func
        status = handler(cfg, args)
        sys.stdout.flush()  # inside the try: a reader that went away is seen here, not at exit
        return status
    except KeyboardInterrupt:
        print("hub: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of a pipe went away (`hub analytics show | head`): not an error of the hub.
        # Point stdout at /dev/null so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:
        if not (isinstance(exc, HubError) or is_database_error(exc)):
            raise
        if is_database_error(exc) or (isinstance(exc, HubError) and exc.sqlstate):
            # the PL/pgSQL call trace, the statement and the SQLSTATE of a database error (also of a hub
            # error made from one, errors.as_hub_error): for whoever debugs it (HUB_LOG_LEVEL=DEBUG)
            diag = getattr(exc, "diag", None)
            context = diag.context if diag is not None else getattr(exc, "context", None)
            logging.getLogger("hub.cli").debug(
                "database error",
                extra={"ctx": {"error": str(exc), "sqlstate": getattr(exc, "sqlstate", None), "context": context}},
            )
        print(f"hub: error: {explain(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
