"""The errors the hub raises on purpose, and the one way an error is put into words.

Every error the hub raises on purpose is a ``HubError``. Its message is a sentence that says
what failed and where: the value and what was expected, the file and line, the shop, the job,
the request (``GET /api/orders: Shoptet refused the API token ...``), and what to do about it
when there is something to do (``hub db start``, ``hub shop add``). The classes live next to the
code that raises them and keep any other base they had (``BadDocument`` is still a
``ValueError``); ``DatabaseUnavailable`` is also a ``psycopg.OperationalError``, so code that
retries on one still does:

    ConfigError (config.py), ClusterError (cluster.py), DatabaseUnavailable (connection.py,
    also importable from db.py), MigrationError (migrate.py), BackupError (backup.py),
    PgBackRestError (pgbackrest.py), SecretKeyError (secret_key.py), SettingError and its
    SettingTypeError, SettingIsSecret (settings.py), ShoptetError and its kinds
    (shoptet/errors.py), ShopError (shoptet/shops.py),
    InstallError (shoptet/oauth_install.py), SyncBusy (shoptet/sync.py), SnapshotFailed and
    SnapshotStreamError (shoptet/snapshots.py), SnapshotJobError (shoptet/snapshot_jobs.py),
    BadDocument (shoptet/documents.py), KeyUnavailable and WebhookRejected (web.py), and
    CommandError (below: the command line's own).

``runner.cli.main`` catches ``HubError`` and ``psycopg.Error`` and prints ``explain(exc)``, exit
status 1. Logs and stored ``last_error`` columns use ``summarize(exc)``. A database error caught to
be raised as a hub error goes through ``as_hub_error``: the message, DETAIL and HINT, never the
PL/pgSQL CONTEXT or the statement; the SQLSTATE kept for the logs.

Only the standard library is imported here: `hub --help` imports this module.
"""

from __future__ import annotations

import sys
from typing import Any, TypeVar, overload


class HubError(Exception):
    """An error the hub raises on purpose; ``str()`` says what failed and where.

    One made from a database error (``as_hub_error``) keeps that error's SQLSTATE and CONTEXT
    for the logs (``hub`` logs them at DEBUG); its message has neither."""

    sqlstate: str | None = None
    context: str | None = None


class CommandError(HubError):
    """A command cannot do what it was asked (a bad argument, an unknown id): one line, exit status 1."""


def is_database_error(exc: BaseException) -> bool:
    """True for a psycopg error (psycopg is not imported for this: if it is not loaded, no error is its)."""
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def summarize(exc: BaseException, *, one_line: bool = False, label: bool = True) -> str:
    """What went wrong, for a log field, a stored last error or a reason in an answer; never empty.

    A hub error is its own message. With ``label`` (the default) any other error says what it is:
    ``database error: <message>`` for a database error, ``<Type>: <message>`` for the rest; without
    it, the bare message. With ``one_line``, only the first line."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    if label and not isinstance(exc, HubError):
        text = f"database error: {text}" if is_database_error(exc) else f"{type(exc).__name__}: {text}"
    return text.splitlines()[0] if one_line else text


def database_message(exc: BaseException) -> str:
    """A database error for a person: its message, then its DETAIL and HINT lines when it has them --
    not the CONTEXT (the PL/pgSQL call trace) nor the SQL statement, which `hub` logs at DEBUG
    (``HUB_LOG_LEVEL=DEBUG``). Any other error: its text."""
    diag: Any = getattr(exc, "diag", None) if is_database_error(exc) else None
    primary = (diag.message_primary or "").strip() if diag is not None else ""
    if diag is None or not primary:
        return str(exc).strip()
    lines = [primary]
    if diag.message_detail:
        lines.append(f"DETAIL: {diag.message_detail.strip()}")
    if diag.message_hint:
        lines.append(f"HINT: {diag.message_hint.strip()}")
    return "\n".join(lines)


E = TypeVar("E", bound=HubError)


@overload
def as_hub_error(exc: BaseException, kind: None = None, where: str = "") -> CommandError: ...
@overload
def as_hub_error(exc: BaseException, kind: type[E], where: str = "") -> E: ...
def as_hub_error(exc: BaseException, kind: type[HubError] | None = None, where: str = "") -> HubError:
    """``exc`` as a hub error of type ``kind`` (default CommandError; a type taking the message only),
    to raise ``from None``. A database error: its message, DETAIL and HINT (database_message), never
    its CONTEXT nor the SQL statement; its SQLSTATE and CONTEXT kept as attributes for the logs. A
    hub error (a command's CommandError made from a module's error): its message, SQLSTATE and
    CONTEXT. Any other error: its text. ``where`` goes before the message (``shop 7: ...``).
    The one way a caught database error becomes a hub error."""
    message = database_message(exc) or type(exc).__name__
    if where:
        message = f"{where}: {message}"
    error = (kind or CommandError)(message)
    if isinstance(exc, HubError):
        error.sqlstate, error.context = exc.sqlstate, exc.context
    elif is_database_error(exc):
        diag: Any = getattr(exc, "diag", None)
        error.sqlstate = getattr(exc, "sqlstate", None)
        error.context = diag.context if diag is not None else None
    return error


def explain(exc: BaseException) -> str:
    """``exc`` for a person at the terminal: its message (a database error's without its CONTEXT
    trace: database_message), then one ``caused by:`` line for each error it was raised from
    (``raise ... from cause``), innermost last."""
    lines = [database_message(exc) or type(exc).__name__]
    seen = {id(exc)}
    cause = exc.__cause__
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        text = f"database error: {database_message(cause)}" if is_database_error(cause) else summarize(cause)
        lines.append(f"  caused by: {text}")
        cause = cause.__cause__
    return "\n".join(lines)
