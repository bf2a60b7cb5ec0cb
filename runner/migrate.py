"""`hub db migrate`: yoyo migrations, then every stored-function file, in one transaction.

What runs, in order, inside ONE transaction (so an error anywhere leaves the
database exactly as it was):

1. a transaction-scoped advisory lock, so two migrates never interleave;
2. every pending file of ``db/migrations/`` in yoyo order (file name order plus
   ``-- depends:``), each recorded in yoyo's ``_yoyo_migration`` / ``_yoyo_log``.
   A migration runs as ``hub_owner`` (so it owns what it creates) unless its
   header says ``-- role: superuser`` (extensions, roles);
3. every file of ``db/functions/`` re-loaded as ``hub_owner``, in the fixed
   order of FUNCTION_SCHEMA_ORDER then file name, in two passes (body checks off, then on) so files may refer to
   each other in any order and every body is still validated; their hashes are kept in
   ``ops.sql_files`` to report which changed.

A migration with the header ``-- transactional: false`` (e.g. CREATE INDEX
CONCURRENTLY) cannot run inside a transaction: it is applied on its own,
after committing the migrations before it, and the run says so.

``--dry-run`` copies the database (CREATE DATABASE ... TEMPLATE), migrates the
copy, reports the catalog objects that were added, changed or removed, and
drops the copy.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql
from yoyo import get_backend, read_migrations
from yoyo.backends import DatabaseBackend
from yoyo.migrations import read_sql_migration

from runner.config import DB_DIR
from runner.connection import open_connection, unavailable
from runner.db import Target, connect, yoyo_url
from runner.errors import HubError
from runner.queries import query

MIGRATIONS_DIR = DB_DIR / "migrations"
FUNCTIONS_DIR = DB_DIR / "functions"
# schemas' function directories load in this order; any other directory after them, by name
FUNCTION_SCHEMA_ORDER = ("core", "ingest", "sales", "catalog", "analytics", "ops", "archive")
# arbitrary constant: the advisory lock key of `hub db migrate`
MIGRATE_LOCK_KEY = 0x5B0B7E71


class MigrationError(HubError):
    """An SQL file failed; names the file and line. The database was left unchanged."""

    def __init__(self, path: Path, line: int, message: str):
        self.path = path
        self.line = line
        self.message = message
        super().__init__(f"{_display(path)}:{line}: {message}")


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(DB_DIR.parent))
    except ValueError:
        return str(path)


@dataclass
class MigrateResult:
    applied: list[str] = field(default_factory=list)
    functions_loaded: int = 0
    functions_changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # dry run only: (change, kind, identity) with change in '+', '~', '-'
    catalog_changes: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def nothing_to_do(self) -> bool:
        return not self.applied and not self.functions_changed


def function_files(root: Path | None = None) -> list[Path]:
    """Every function file (of db/functions/, or root) in load order."""
    root = FUNCTIONS_DIR if root is None else root
    if not root.exists():
        return []
    dirs = [d for d in root.iterdir() if d.is_dir()]
    ranked = sorted(
        dirs,
        key=lambda d: (
            FUNCTION_SCHEMA_ORDER.index(d.name) if d.name in FUNCTION_SCHEMA_ORDER else len(FUNCTION_SCHEMA_ORDER),
            d.name,
        ),
    )
    stray = sorted(p.name for p in root.glob("*.sql"))
    if stray:
        raise MigrationError(root / stray[0], 1, "function files belong in db/functions/<schema>/, not at its top")
    return [f for d in ranked for f in sorted(d.glob("*.sql"))]


def _error_line(source: str, offset: int, statement: str, exc: psycopg.Error) -> tuple[int, str]:
    """Line in the file (1-based) of the error and the server's message with its context."""
    diag = exc.diag
    line = source.count("\n", 0, offset) + 1
    position = diag.statement_position
    if position:
        line += statement.count("\n", 0, int(position) - 1)
    message = (diag.message_primary or str(exc)).strip()
    if diag.message_detail:
        message += f" ({diag.message_detail.strip()})"
    if diag.context and not position:
        message += f" [{diag.context.strip().splitlines()[0]}]"
    return line, message


def _run_file_statements(conn: psycopg.Connection, path: Path, statements: list[str], source: str) -> None:
    """Execute statements (all substrings of source) in order; errors name file and line."""
    search_from = 0
    for stmt in statements:
        found = source.find(stmt, search_from)
        offset = found if found >= 0 else search_from
        search_from = offset + len(stmt) if found >= 0 else search_from
        try:
            conn.execute(stmt.encode(), prepare=False)  # bytes: no client-side parameter parsing
        except psycopg.Error as exc:
            line, message = _error_line(source, offset, stmt, exc)
            raise MigrationError(path, line, message) from None


_ROLE_DIRECTIVE = re.compile(r"^\s*--\s*role\s*:\s*(\S+)\s*$")


def _migration_role(path: Path) -> str:
    """The `-- role: superuser|hub_owner` directive among the file's leading comment lines."""
    role = "hub_owner"
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        if not line.lstrip().startswith("--"):
            break
        match = _ROLE_DIRECTIVE.match(line)
        if match:
            role = match.group(1)
    if role not in ("hub_owner", "superuser"):
        raise MigrationError(path, 1, f"unknown '-- role: {role}' directive (use hub_owner or superuser)")
    return role


def _apply_migration(conn: psycopg.Connection, backend: object, migration: object) -> None:
    path = Path(migration.path)  # type: ignore[attr-defined]
    if not path.name.endswith(".sql"):
        raise MigrationError(path, 1, "only .sql migrations are supported")
    _, _, statements = read_sql_migration(str(path))
    source = path.read_text(encoding="utf-8")
    role = _migration_role(path)
    if role == "hub_owner":
        conn.execute(query("migrate.set_role_owner"))
    _run_file_statements(conn, path, statements, source)
    conn.execute(query("migrate.reset_role"))
    backend.mark_one(migration, log=False)  # type: ignore[attr-defined]
    backend.log_migration(migration, "apply")  # type: ignore[attr-defined]


def _load_until_settled(conn: psycopg.Connection, sources: dict[Path, str]) -> None:
    """The first load: every file in order, each in a savepoint; a file that fails is tried again
    after the others, as long as a round makes progress. A SQL-standard body (``begin atomic``,
    ``return``) is parsed when it is created even with body checks off, so a file whose body calls
    a function of a later file only loads once that file has; a file that still fails when
    nothing more loads raises its error (file and line)."""
    pending = list(sources)
    while pending:
        failed: list[tuple[Path, MigrationError]] = []
        for path in pending:
            try:
                with conn.transaction():
                    _run_file_statements(conn, path, [sources[path]], sources[path])
            except MigrationError as exc:
                failed.append((path, exc))
        if len(failed) == len(pending):
            raise failed[0][1]
        pending = [path for path, _exc in failed]


def _load_functions(conn: psycopg.Connection, result: MigrateResult) -> None:
    """Load every function file twice: once with body checks off, so that every object
    exists whatever the order, then with checks on, so that every body is validated
    against the complete set (a broken file fails here, with its file and line)."""
    files = function_files()
    sources = {path: path.read_text(encoding="utf-8") for path in files}
    known: dict[str, str] = dict(conn.execute(query("migrate.known_sql_files")).fetchall())
    conn.execute(query("migrate.set_role_owner"))
    conn.execute(query("migrate.check_function_bodies"), {"value": "off"})
    _load_until_settled(conn, sources)
    conn.execute(query("migrate.check_function_bodies"), {"value": "on"})
    for path, source in sources.items():
        _run_file_statements(conn, path, [source], source)
    for path, source in sources.items():
        rel = str(path.relative_to(FUNCTIONS_DIR))
        digest = hashlib.sha256(source.encode()).hexdigest()
        if known.get(rel) != digest:
            result.functions_changed.append(rel)
        conn.execute(query("migrate.upsert_sql_file"), {"path": rel, "sha256": digest})
        result.functions_loaded += 1
    gone = sorted(set(known) - {str(p.relative_to(FUNCTIONS_DIR)) for p in files})
    for rel in gone:
        conn.execute(query("migrate.forget_sql_file"), {"path": rel})
        schema, _, name = rel.removesuffix(".sql").partition("/")
        still = conn.execute(query("migrate.routine_exists"), {"schema": schema, "name": name}).fetchone()
        if still is not None and still[0]:  # not dropped by a migration of this run or an earlier one
            result.notes.append(f"{rel} was removed from db/functions/: drop its object by a migration")
    conn.execute(query("migrate.reset_role"))


def _backend(target: Target) -> DatabaseBackend:
    try:
        return get_backend(yoyo_url(target.admin))
    except psycopg.OperationalError as exc:
        raise unavailable(exc, f"{target.description} as admin", hint=target.embedded) from None


def migrate(target: Target) -> MigrateResult:
    """Apply pending migrations and re-load every function file; all or nothing."""
    started = time.monotonic()
    result = MigrateResult()
    migrations = read_migrations(str(MIGRATIONS_DIR))
    backend = _backend(target)
    try:
        backend.ensure_internal_schema_updated()
        conn: psycopg.Connection = backend.connection
        backend.begin()
        try:
            conn.execute(query("migrate.lock"), {"key": MIGRATE_LOCK_KEY})
            for migration in backend.to_apply(migrations):
                migration.load()
                if not migration.use_transactions:
                    backend.commit()
                    result.notes.append(f"{migration.id} is non-transactional: applied on its own")
                    _apply_migration(conn, backend, migration)
                    backend.begin()
                    conn.execute(query("migrate.lock"), {"key": MIGRATE_LOCK_KEY})
                else:
                    _apply_migration(conn, backend, migration)
                result.applied.append(migration.id)
            _load_functions(conn, result)
        except BaseException:
            backend.rollback()
            raise
        backend.commit()
    finally:
        backend.connection.close()
    result.seconds = time.monotonic() - started
    return result


def pending_migrations(target: Target) -> list[str]:
    """Migration ids not yet applied (read-only)."""
    migrations = read_migrations(str(MIGRATIONS_DIR))
    backend = _backend(target)
    try:
        applied = set()
        if "_yoyo_migration" in backend.list_tables():
            applied = {r[0] for r in backend.execute(query("migrate.applied_migrations")).fetchall()}
        return [m.id for m in migrations if m.id not in applied]
    finally:
        backend.connection.close()


def catalog_snapshot(conninfo: str) -> dict[tuple[str, str], str]:
    """(kind, identity) -> definition hash of every object the hub's migrations can make."""
    with open_connection(conninfo, autocommit=True) as conn:
        rows = conn.execute(query("migrate.catalog_objects")).fetchall()
    return {(kind, ident): digest for kind, ident, digest in rows}


def dry_run(target: Target) -> MigrateResult:
    """Migrate a throw-away copy of the database and report what would change."""
    real = psycopg.conninfo.conninfo_to_dict(target.admin).get("dbname") or "hub"
    copy = f"{real}_dryrun_{os.getpid()}"
    with connect(target, "admin", autocommit=True) as conn:
        conn.execute(sql.SQL(query("migrate.drop_database")).format(sql.Identifier(copy)))
        try:
            conn.execute(
                sql.SQL(query("migrate.create_database_from_template")).format(
                    sql.Identifier(copy), sql.Identifier(str(real))
                )
            )
        except psycopg.errors.ObjectInUse:
            others = conn.execute(query("migrate.other_sessions"), {"dbname": real}).fetchone()
            raise MigrationError(
                MIGRATIONS_DIR,
                0,
                f"cannot copy database {real} for a dry run: {others[0] if others else 'other'} other session(s) "
                f"are connected to it (stop workers and web app, or close psql sessions)",
            ) from None
    copy_target = target.with_dbname(copy)
    try:
        before = catalog_snapshot(copy_target.admin)
        result = migrate(copy_target)
        after = catalog_snapshot(copy_target.admin)
    finally:
        with connect(target, "admin", autocommit=True) as conn:
            conn.execute(sql.SQL(query("migrate.drop_database_force")).format(sql.Identifier(copy)))
    changes = [("+", k, i) for (k, i) in sorted(after.keys() - before.keys())]
    changes += [("~", k, i) for (k, i) in sorted(after.keys() & before.keys()) if after[(k, i)] != before[(k, i)]]
    changes += [("-", k, i) for (k, i) in sorted(before.keys() - after.keys())]
    result.catalog_changes = changes
    return result
