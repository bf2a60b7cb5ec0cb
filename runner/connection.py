"""Opening a connection to the hub's database: the one place the runner does it.

``open_connection`` is the only caller of ``psycopg.connect`` in runner/ and bench/ (a test
checks it). A connection that cannot be made raises ``DatabaseUnavailable`` naming the
database, the login and the reason, with the hint ``is it running? `hub db start``` when the
database is the embedded cluster. ``runner.db.connect`` is the usual way in: it takes a
``Target`` and a role.
"""

from __future__ import annotations

from typing import Any

import psycopg

from runner.errors import HubError, summarize

START_HINT = " (is it running? `hub db start`)"


class DatabaseUnavailable(HubError, psycopg.OperationalError):
    """The hub's database cannot be reached; the message says which and why. It is still a
    ``psycopg.OperationalError``, so code that retries or degrades on one keeps doing so."""


def describe_conninfo(conninfo: str) -> str:
    """``database hub on 127.0.0.1:5432 as hub_app`` (or ``(socket DIR)``), never a password."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    host = str(params.get("host") or "")
    port = params.get("port")
    where = f"socket {host}" if host.startswith("/") or not host else host + (f":{port}" if port else "")
    return f"database {params.get('dbname') or '?'} ({where}) as {params.get('user') or 'the OS user'}"


def unavailable(exc: psycopg.OperationalError, what: str, *, hint: bool) -> DatabaseUnavailable:
    """The error to raise when connecting to ``what`` failed with ``exc``."""
    return DatabaseUnavailable(
        f"cannot connect to the {what}{START_HINT if hint else ''}: {summarize(exc, one_line=True, label=False)}"
    )


def open_connection(
    conninfo: str, *, what: str | None = None, hint: bool | None = None, autocommit: bool = False, **kwargs: Any
) -> psycopg.Connection[Any]:
    """``psycopg.connect(conninfo, autocommit=..., **kwargs)``, or DatabaseUnavailable saying what
    could not be reached (``what``, default: described from the conninfo) and why. ``hint``
    adds "is it running? `hub db start`"; by default it is added for a unix-socket conninfo,
    the embedded cluster's kind (an external HUB_DATABASE_URL is usually host:port)."""
    try:
        return psycopg.connect(conninfo, autocommit=autocommit, **kwargs)
    except psycopg.OperationalError as exc:
        if hint is None:
            host = str(psycopg.conninfo.conninfo_to_dict(conninfo).get("host") or "")
            hint = host.startswith("/")
        raise unavailable(exc, what or describe_conninfo(conninfo), hint=hint) from None
