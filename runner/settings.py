"""Typed per-shop and global settings with an in-process cache.

Reads go through the SQL functions ``core.setting_get`` / ``core.setting_get_secret``
and are cached in memory. Every change to ``core.settings`` (from any process,
psql included) fires NOTIFY ``hub_settings``; a listener thread per Settings
object drops the affected entries as soon as the change commits, so every
process sees it within milliseconds. A TTL (HUB_SETTINGS_TTL) bounds how long
an entry is served even if a notification were lost, and while the listener is
not connected nothing is cached at all.

A shop's own value overrides the global one, so a change to a global key drops
that key for every shop.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

from runner.connection import open_connection
from runner.errors import HubError, as_hub_error, database_message, summarize
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.settings")

CHANNEL = "hub_settings"
_MISSING = object()
ValueType = str  # 'text' | 'integer' | 'boolean' | 'json'


class SettingError(HubError):
    """A setting cannot be read or written as asked; the message names the key."""


class SettingTypeError(SettingError):
    """A value does not have the type the setting asks for."""


class SettingIsSecret(SettingError):
    """A plain read (``get``) of a secret setting: read it with ``get_secret`` instead."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


def _check_type(key: str, value: Any, value_type: ValueType) -> None:
    ok = {
        "text": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "json": lambda v: v is not None,
    }.get(value_type)
    if ok is None:
        raise SettingTypeError(f"setting {key}: unknown type {value_type!r} (text, integer, boolean or json)")
    if not ok(value):
        raise SettingTypeError(f"setting {key}: {value!r} is not of type {value_type}")


def infer_type(value: Any) -> ValueType:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "text"
    return "json"


class Settings:
    """Cached access to core.settings. Thread-safe; one per process is enough.

    ``conninfo`` is a libpq connection string of a role that may execute the
    core.setting_* functions (hub_app). ``secret_key`` encrypts and decrypts
    secrets; without it, secret operations raise SettingError.
    """

    def __init__(self, conninfo: str, *, secret_key: str | None = None, ttl: float = 60.0, listen: bool = True):
        self._conninfo = conninfo
        self._secret_key = secret_key
        self._ttl = ttl
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, int | None, str], tuple[Any, float]] = {}
        self._generation = 0  # bumped on every invalidation; a read started before it is not cached
        self._listening = threading.Event()
        self._closed = threading.Event()
        self._conn: psycopg.Connection | None = None
        self._conn_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        if listen:
            self._listener = threading.Thread(target=self._listen_forever, name="hub-settings-listener", daemon=True)
            self._listener.start()
            self._listening.wait(timeout=5)

    # -- lifecycle ----------------------------------------------------------

    def close(self) -> None:
        self._closed.set()
        if self._listener is not None:
            self._listener.join(timeout=3)
        with self._conn_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Settings:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def caching(self) -> bool:
        """True while change notifications arrive, i.e. while reads may be served from memory."""
        return self._listening.is_set()

    # -- the listener ---------------------------------------------------------

    def _listen_forever(self) -> None:
        backoff = 0.1
        while not self._closed.is_set():
            try:
                with open_connection(self._conninfo, autocommit=True) as conn:
                    conn.execute(sql.SQL(query("settings.listen")).format(sql.Identifier(CHANNEL)))
                    self._invalidate_all()  # anything cached while deaf is suspect
                    self._listening.set()
                    backoff = 0.1
                    while not self._closed.is_set():
                        for note in conn.notifies(timeout=0.5):
                            self._on_notify(note.payload)
            except psycopg.Error as exc:
                if self._closed.is_set():
                    break
                log(
                    logger,
                    logging.WARNING,
                    "settings listener lost its connection; caching paused",
                    error=summarize(exc, one_line=True),
                )
            finally:
                self._listening.clear()
                self._invalidate_all()
            self._closed.wait(backoff)
            backoff = min(backoff * 2, 5.0)

    def _on_notify(self, payload: str) -> None:
        try:
            data = json.loads(payload)
            key, shop_id = data["key"], data["shop_id"]
        except (ValueError, KeyError, TypeError):
            self._invalidate_all()
            return
        with self._lock:
            self._generation += 1
            for entry in [e for e in self._cache if e[0] == key and (shop_id is None or e[1] == shop_id)]:
                del self._cache[entry]

    def _invalidate_all(self) -> None:
        with self._lock:
            self._generation += 1
            self._cache.clear()

    # -- database -------------------------------------------------------------

    def _with_conn(self, fn: Callable[[psycopg.Connection], Any]) -> Any:
        with self._conn_lock:
            for attempt in (1, 2):
                if self._conn is None or self._conn.closed:
                    self._conn = open_connection(self._conninfo, autocommit=True)
                try:
                    return fn(self._conn)
                except psycopg.OperationalError:
                    self._conn.close()
                    self._conn = None
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def _db_error(self, key: str, exc: psycopg.Error) -> SettingError:
        named = key in database_message(exc)
        return as_hub_error(exc, SettingError, "" if named else f"setting {key}")

    def _cached(
        self, kind: str, key: str, shop_id: int | None, load: Callable[[], Any], cache_missing: bool = True
    ) -> Any:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get((key, shop_id, kind))
            if hit is not None and hit[1] > now:
                return hit[0]
            generation = self._generation
        value = load()
        with self._lock:
            keep = cache_missing or value is not _MISSING
            if generation == self._generation and self._listening.is_set() and keep:
                self._cache[(key, shop_id, kind)] = (value, now + self._ttl)
        return value

    def _load_plain(self, key: str, shop_id: int | None) -> Any:
        def run(conn: psycopg.Connection) -> Any:
            row = conn.execute(query("settings.setting_get"), {"key": key, "shop_id": shop_id}).fetchone()
            return _MISSING if row is None or row[0] is None else row[0]

        try:
            return self._with_conn(run)
        except psycopg.errors.InsufficientPrivilege as exc:  # core.setting_get of a secret (SQLSTATE 42501)
            raise SettingIsSecret(key, str(self._db_error(key, exc))) from None
        except psycopg.Error as exc:
            raise self._db_error(key, exc) from None

    def _require_key(self, key: str) -> str:
        if not self._secret_key:
            raise SettingError(f"setting {key}: no secret key configured (HUB_SECRET_KEY or HUB_HOME/secret.key)")
        return self._secret_key

    # -- reads ------------------------------------------------------------------

    def get(self, key: str, default: Any = None, *, shop_id: int | None = None) -> Any:
        """The value (str, int, bool, or parsed JSON) of a plain setting, else default."""
        value = self._cached("plain", key, shop_id, lambda: self._load_plain(key, shop_id))
        return default if value is _MISSING else value

    def get_json(self, key: str, default: Any = None, *, shop_id: int | None = None) -> Any:
        """Alias of get() for JSON settings: returns the parsed JSON value."""
        return self.get(key, default, shop_id=shop_id)

    def has(self, key: str, *, shop_id: int | None = None) -> bool:
        """Whether the setting exists (plain or secret) for the shop or globally."""

        def run(conn: psycopg.Connection) -> bool:
            row = conn.execute(query("settings.setting_exists"), {"key": key, "shop_id": shop_id}).fetchone()
            return bool(row and row[0])

        return bool(self._cached("exists", key, shop_id, lambda: self._with_conn(run)))

    def get_secret(
        self, key: str, default: str | None = None, *, shop_id: int | None = None, cache_missing: bool = True
    ) -> str | None:
        """The decrypted value of a secret setting, else default. cache_missing=False: an absent
        secret is not remembered (callers asked about arbitrary shop ids, e.g. the webhook
        endpoint, so that the cache cannot be grown without bound)."""
        secret_key = self._require_key(key)

        def load() -> Any:
            try:
                row = self._with_conn(
                    lambda c: c.execute(
                        query("settings.setting_get_secret"), {"key": key, "shop_id": shop_id, "secret_key": secret_key}
                    ).fetchone()
                )
            except psycopg.Error as exc:
                raise self._db_error(key, exc) from None
            return _MISSING if row is None or row[0] is None else row[0]

        value = self._cached("secret", key, shop_id, load, cache_missing)
        return default if value is _MISSING else value

    def cached_secret(self, key: str, *, shop_id: int | None = None) -> tuple[bool, str | None]:
        """(True, value or None) when the secret's current value is in memory, else (False, None).
        Never does I/O: for callers on an event loop, which fall back to get_secret in a thread."""
        with self._lock:
            hit = self._cache.get((key, shop_id, "secret"))
            if hit is None or hit[1] <= time.monotonic():
                return False, None
        return True, (None if hit[0] is _MISSING else hit[0])

    # -- writes -----------------------------------------------------------------

    def _write(self, key: str, shop_id: int | None, statement: str, params: dict[str, Any]) -> None:
        try:
            self._with_conn(lambda c: c.execute(statement, params))
        except psycopg.Error as exc:
            raise self._db_error(key, exc) from None
        # our own change: drop it now rather than wait for our notification
        self._on_notify(json.dumps({"key": key, "shop_id": shop_id}))

    def set(self, key: str, value: Any, *, shop_id: int | None = None, value_type: ValueType | None = None) -> None:
        """Store a plain value; its type is inferred (str, int, bool, else json) unless given."""
        value_type = value_type or infer_type(value)
        _check_type(key, value, value_type)
        self._write(
            key,
            shop_id,
            query("settings.setting_set"),
            {"key": key, "value": Jsonb(value), "shop_id": shop_id, "value_type": value_type},
        )

    def set_json(self, key: str, value: Any, *, shop_id: int | None = None) -> None:
        """Store any JSON-serialisable value as type json."""
        self.set(key, value, shop_id=shop_id, value_type="json")

    def set_secret(self, key: str, value: str, *, shop_id: int | None = None) -> None:
        """Store a secret, encrypted in the database with the secret key."""
        if not isinstance(value, str):
            raise SettingTypeError(f"setting {key}: a secret must be text")
        secret_key = self._require_key(key)
        self._write(
            key,
            shop_id,
            query("settings.setting_set_secret"),
            {"key": key, "value": value, "shop_id": shop_id, "secret_key": secret_key},
        )

    def delete(self, key: str, *, shop_id: int | None = None) -> bool:
        """Remove the setting (the shop's own, or the global one when shop_id is None)."""
        try:
            row = self._with_conn(
                lambda c: c.execute(query("settings.setting_delete"), {"key": key, "shop_id": shop_id}).fetchone()
            )
        except psycopg.Error as exc:
            raise self._db_error(key, exc) from None
        self._on_notify(json.dumps({"key": key, "shop_id": shop_id}))
        return bool(row and row[0])

    def list(self, *, shop_id: int | None = None, secrets_only: bool = False) -> list[dict[str, Any]]:
        """Every setting (of one shop plus the globals, or all), secrets masked."""
        rows = self._with_conn(
            lambda c: c.execute(
                query("settings.settings_list"), {"shop_id": shop_id, "secrets_only": secrets_only}
            ).fetchall()
        )
        names = ("shop_id", "key", "value_type", "value", "is_secret", "updated_at", "updated_by")
        return [dict(zip(names, r, strict=True)) for r in rows]
