"""`hub`: the entry point. Builds the command line from runner/commands/ (one module per
top-level command: `hub db ...` is runner/commands/db.py), runs the chosen handler, and is the
one place an error is shown: an error the hub raises on purpose (runner.errors.HubError) or a
database error is printed with its cause chain as ``hub: error: ...``, exit status 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from runner.commands import build_parser
from runner.commands.common import Handler
from runner.config import Config
from runner.errors import CommandError, HubError, explain, is_database_error

__all__ = ["CommandError", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = Config.from_env()
        from runner import logs

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
        print(f"hub: error: {explain(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
