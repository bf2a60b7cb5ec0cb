"""Dumps of the hub database, proven by restore: `hub backup run | list | verify | restore | prune`
(`hub db backup` is `run`) and the daily job (02:00 UTC: run, verify, prune; runner/tasks.py).

``run``: ``pg_dump --format=custom --compress=6`` into ``<dir>/hub-<UTC time>.dump`` (written
under a temporary name, renamed when complete), in a snapshot exported by a repeatable-read
transaction that counts every table's rows in the same snapshot; then the file's SHA-256
(``<file>.sha256``, as ``sha256sum`` writes it) and a manifest ``hub-<UTC time>.manifest.json``
(row counts, sizes, duration, server and hub versions), the table of contents read back
(``pg_restore --list``), all recorded in ops.backups.

``verify``: the checksum first (a flipped byte or a truncated file stops it before any restore),
then a restore into a scratch database on the same server, every table's row count compared with
the manifest, the scratch database dropped; the outcome recorded on the backup (``verified``,
``verify_status``, ``verify_error``). ``restore``: checksum first, then into a new database (an
existing one only with ``force``), row counts compared. ``prune``: files older than ``keep_days``
go, except the newest ``keep`` and the newest verified one.

pgBackRest (point-in-time recovery of the embedded cluster) is runner/pitr.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from runner import __version__
from runner.cluster import PG_BIN
from runner.db import Target, connect
from runner.errors import HubError, as_hub_error
from runner.queries import query

DEFAULT_KEEP = 7
DEFAULT_KEEP_DAYS = 30
MANIFEST_FORMAT = "shoptet-hub-backup/1"
_CHUNK = 1 << 20


class BackupError(HubError):
    """A backup could not be made, verified, restored or pruned; the message says which, where and why."""


def _tool(name: str) -> str:
    """The PostgreSQL 15 client program ``name`` (pg_dump, pg_restore); BackupError when missing."""
    path = PG_BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed (not in {PG_BIN}, not on PATH): apt-get install postgresql-client-15"
        )
    return found


# -- the files of a backup ----------------------------------------------------------------------


def checksum_file(dump: Path) -> Path:
    """``hub-X.dump`` -> ``hub-X.dump.sha256`` (``sha256sum -c`` reads it)."""
    return dump.with_name(dump.name + ".sha256")


def manifest_file(dump: Path) -> Path:
    """``hub-X.dump`` -> ``hub-X.manifest.json``."""
    return dump.with_name(dump.stem + ".manifest.json")


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, lower-case hex, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _libpq(conninfo: str) -> tuple[str, dict[str, str]]:
    """A conninfo for a client tool's --dbname without its password, and the environment that
    carries the password (PGPASSWORD): a password never shows in the process list."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    password = params.pop("password", None)
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()}), env


def _conninfo_for(target: Target, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(target.admin, dbname=dbname)


def _dbname(target: Target) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(target.admin).get("dbname") or "")


def _row_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Every table's row count ("schema.table" -> rows) in the connection's current snapshot."""
    return {name: int(rows) for name, rows in conn.execute(query("backup.table_row_counts")).fetchall()}


def _tail(text: str, limit: int = 800) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return " | ".join(lines)[-limit:] or "(no output)"


# -- run --------------------------------------------------------------------------------------------


def _new_dump_path(directory: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"hub-{stamp}.dump"
    n = 1
    while path.exists() or checksum_file(path).exists():
        n += 1
        path = directory / f"hub-{stamp}-{n}.dump"
    return path


def run_backup(
    target: Target, directory: Path, *, keep: int | None = None, keep_days: int = DEFAULT_KEEP_DAYS
) -> dict[str, Any]:
    """Dump, checksum, manifest, catalogue; with ``keep`` also prune (keep, keep_days) afterwards.
    Raises BackupError (the failure is catalogued too, and the partial file removed)."""
    if keep is not None and keep < 1:
        raise BackupError(f"keep must be at least 1, got {keep}")
    started = time.monotonic()
    directory = directory.resolve()
    with connect(target, "admin", autocommit=True) as conn:
        path = _new_dump_path(directory)
        row = conn.execute(query("backup.start"), {"path": str(path)}).fetchone()
        assert row is not None
        backup_id = int(row[0])
        partial = path.with_name(path.name + ".partial")
        try:
            directory.mkdir(parents=True, exist_ok=True)
            manifest = _dump(target, partial)
            listing = subprocess.run([_tool("pg_restore"), "--list", str(partial)], capture_output=True, text=True)
            if listing.returncode != 0 or "TABLE DATA" not in listing.stdout:
                raise BackupError(
                    f"{partial}: the dump does not read back (pg_restore --list): {_tail(listing.stderr)}"
                )
            digest = sha256_of(partial)
            os.replace(partial, path)
            size = path.stat().st_size
            manifest.update(
                backup_id=backup_id,
                file=path.name,
                sha256=digest,
                size_bytes=size,
                duration_seconds=round(time.monotonic() - started, 3),
                finished_at=datetime.now(UTC).isoformat(),
            )
            _write_atomically(checksum_file(path), f"{digest}  {path.name}\n")
            _write_atomically(manifest_file(path), json.dumps(manifest, indent=2, sort_keys=True) + "\n")
            conn.execute(
                query("backup.done"),
                {
                    "size_bytes": size,
                    "sha256": digest,
                    "manifest": json.dumps(manifest),
                    "backup_id": backup_id,
                },
            )
        except (BackupError, OSError, psycopg.Error) as exc:
            if directory.is_dir():
                partial.unlink(missing_ok=True)
            conn.execute(query("backup.failed"), {"error": str(exc)[:2000], "backup_id": backup_id})
            raise as_hub_error(exc, BackupError, f"backup {backup_id} failed") from None
    result: dict[str, Any] = {
        "backup_id": backup_id,
        "path": str(path),
        "sha256": digest,
        "manifest": str(manifest_file(path)),
        "size_bytes": size,
        "tables": len(manifest["tables"]),
        "rows": manifest["total_rows"],
        "seconds": manifest["duration_seconds"],
        "removed": [],
    }
    if keep is not None:
        result["removed"] = prune_backups(target, keep=keep, keep_days=keep_days)["removed"]
    return result


def _dump(target: Target, partial: Path) -> dict[str, Any]:
    """pg_dump into ``partial`` from a snapshot this function exports, counting every table's
    rows in that same snapshot while pg_dump runs; returns the manifest (without the file's own facts)."""
    dbname_arg, env = _libpq(target.admin)
    started_at = datetime.now(UTC).isoformat()
    with connect(target, "admin") as snap:
        snap.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snap.read_only = True
        with snap.transaction():
            row = snap.execute(query("backup.snapshot")).fetchone()
            assert row is not None
            snapshot, server_version, database, database_bytes, last_migration = row
            dump = subprocess.Popen(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--compress=6",
                    f"--snapshot={snapshot}",
                    f"--file={partial}",
                    f"--dbname={dbname_arg}",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            try:
                counts = _row_counts(snap)
            finally:
                _, stderr = dump.communicate()
            if dump.returncode != 0:
                raise BackupError(f"pg_dump of {database} into {partial} failed: {_tail(stderr)}")
    version = subprocess.run([_tool("pg_dump"), "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "format": MANIFEST_FORMAT,
        "database": database,
        "database_size_bytes": int(database_bytes),
        "started_at": started_at,
        "snapshot": snapshot,
        "server_version": server_version,
        "pg_dump_version": version,
        "hub_version": __version__,
        "last_migration": last_migration,
        "tables": counts,
        "total_rows": sum(counts.values()),
    }


# -- which backup -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    """A dump to verify or restore: catalogued (backup_id) or a file given by path."""

    path: Path
    backup_id: int | None
    sha256: str | None  # expected
    manifest: dict[str, Any] | None

    @property
    def name(self) -> str:
        return f"backup {self.backup_id} ({self.path})" if self.backup_id is not None else str(self.path)


def _backup_from_row(row: tuple[Any, ...]) -> Backup:
    backup_id, path, status, removed_at, sha256, manifest = row
    if status != "completed":
        raise BackupError(f"backup {backup_id} is {status}, not completed: nothing to verify or restore ({path})")
    if removed_at is not None:
        raise BackupError(f"backup {backup_id} was pruned on {removed_at:%Y-%m-%d %H:%M} UTC: {path} is gone")
    return Backup(Path(path), int(backup_id), sha256, manifest)


def resolve(conn: psycopg.Connection, ref: str | int | None) -> Backup:
    """A backup by id, by file path, or (None) the newest completed one still on disk. A file that is
    catalogued is that backup; another file brings its expectations along: ``<file>.sha256`` (or the
    manifest's sha256) and the manifest beside it."""
    if ref is None:
        row = conn.execute(query("backup.newest_completed")).fetchone()
        if row is None:
            raise BackupError("no completed backup in ops.backups yet: make one with `hub backup run`")
        return _backup_from_row(row)
    text = str(ref)
    if text.isdigit():
        row = conn.execute(query("backup.get"), {"backup_id": int(text)}).fetchone()
        if row is None:
            raise BackupError(f"unknown backup id {text}: ops.backups has no such backup (see `hub backup list`)")
        return _backup_from_row(row)
    path = Path(text).expanduser().resolve()
    if not path.is_file():
        raise BackupError(f"{path}: no such backup file (give a backup id from `hub backup list`, or a .dump file)")
    row = conn.execute(query("backup.by_path"), {"path": str(path)}).fetchone()
    if row is not None:
        return _backup_from_row(row)
    return _backup_from_files(path)


def _backup_from_files(path: Path) -> Backup:
    manifest: dict[str, Any] | None = None
    if manifest_file(path).is_file():
        try:
            manifest = json.loads(manifest_file(path).read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise BackupError(f"{manifest_file(path)}: not a readable manifest ({exc})") from None
    expected: str | None = None
    if checksum_file(path).is_file():
        expected = (checksum_file(path).read_text(encoding="utf-8").split() or [""])[0].lower()
    elif manifest is not None:
        expected = manifest.get("sha256")
    if not expected:
        raise BackupError(
            f"{path}: no checksum to check it against: neither {checksum_file(path).name} nor "
            f"{manifest_file(path).name} beside it"
        )
    return Backup(path, None, expected, manifest)


def check_checksum(backup: Backup) -> None:
    """The file exists and its SHA-256 is the recorded one; BackupError naming file, expected and actual."""
    if backup.sha256 is None:
        raise BackupError(
            f"{backup.name} has no recorded checksum (made before checksums existed): it cannot be verified; "
            f"make a new backup (hub backup run), or restore it by hand: pg_restore -d <database> {backup.path}"
        )
    if not backup.path.is_file():
        raise BackupError(f"{backup.name}: the file {backup.path} is missing")
    actual = sha256_of(backup.path)
    if actual != backup.sha256:
        raise BackupError(
            f"checksum mismatch for {backup.path}: expected sha256 {backup.sha256}, "
            f"got {actual} ({backup.path.stat().st_size} bytes): the file is damaged or truncated; nothing was restored"
        )


# -- restore and compare ----------------------------------------------------------------------------


def _admin_elsewhere(target: Target, dbname: str) -> psycopg.Connection:
    """An admin connection to the server of ``target`` but not to ``dbname`` (it may be dropped)."""
    if _dbname(target) != dbname:
        return connect(target, "admin", autocommit=True)
    return connect(target.with_dbname("postgres"), "admin", autocommit=True)


def _pg_restore(target: Target, path: Path, dbname: str) -> None:
    dbname_arg, env = _libpq(_conninfo_for(target, dbname))
    done = subprocess.run(
        # one transaction: all or nothing, and one commit instead of one per object (5x faster here)
        [
            _tool("pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={dbname_arg}",
            str(path),
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise BackupError(f"pg_restore of {path} into database {dbname} failed: {_tail(done.stderr)}")


def compare_counts(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """What differs between the manifest's row counts and a restored database's, one line each."""
    problems = []
    for table in sorted(set(expected) | set(found)):
        if table not in found:
            problems.append(f"{table}: in the manifest ({expected[table]} rows) but not restored")
        elif table not in expected:
            problems.append(f"{table}: restored ({found[table]} rows) but not in the manifest")
        elif expected[table] != found[table]:
            problems.append(f"{table}: manifest {expected[table]} rows, restored {found[table]}")
    return problems


def _restore_and_count(target: Target, backup: Backup, dbname: str) -> dict[str, int]:
    """Create ``dbname``, restore the dump into it, return its row counts (the database stays)."""
    with _admin_elsewhere(target, dbname) as conn:
        conn.execute(sql.SQL(query("backup.create_database")).format(sql.Identifier(dbname)))
    _pg_restore(target, backup.path, dbname)
    with connect(target.with_dbname(dbname), "admin", autocommit=True) as restored:
        return _row_counts(restored)


def verify_backup(target: Target, ref: str | int | None = None) -> dict[str, Any]:
    """Prove a backup by restoring it (see the module doc); the outcome is recorded on a catalogued
    backup. Returns what was found; BackupError when it failed (recorded first)."""
    started = time.monotonic()
    with connect(target, "admin", autocommit=True) as conn:
        backup = resolve(conn, ref)
        scratch = f"hub_verify_{backup.backup_id if backup.backup_id is not None else 'file'}_{os.getpid()}"
        try:
            check_checksum(backup)
            if backup.manifest is None or "tables" not in backup.manifest:
                raise BackupError(f"{backup.name}: no manifest with row counts ({manifest_file(backup.path).name})")
            try:
                counts = _restore_and_count(target, backup, scratch)
            finally:
                with _admin_elsewhere(target, scratch) as admin:
                    admin.execute(sql.SQL(query("backup.drop_database")).format(sql.Identifier(scratch)))
            problems = compare_counts(backup.manifest["tables"], counts)
            if problems:
                raise BackupError(
                    f"{backup.name}: the restored copy differs from the manifest in {len(problems)} table(s): "
                    + "; ".join(problems[:20])
                )
        except (BackupError, psycopg.Error) as exc:
            if backup.backup_id is not None:
                conn.execute(
                    query("backup.verify_recorded"),
                    {"ok": False, "error": str(exc)[:2000], "backup_id": backup.backup_id},
                )
            if isinstance(exc, BackupError):
                raise
            raise as_hub_error(exc, BackupError, f"verify of {backup.name} failed") from None
        if backup.backup_id is not None:
            conn.execute(query("backup.verify_recorded"), {"ok": True, "error": None, "backup_id": backup.backup_id})
    return {
        "backup_id": backup.backup_id,
        "path": str(backup.path),
        "verified": True,
        "tables": len(counts),
        "rows": sum(counts.values()),
        "seconds": round(time.monotonic() - started, 3),
    }


def restore_backup(target: Target, ref: str | int, dbname: str, *, force: bool = False) -> dict[str, Any]:
    """Restore a backup into the new database ``dbname`` on the server of ``target`` (with
    ``force``, an existing one is dropped first); checksum first, row counts compared after."""
    started = time.monotonic()
    if not dbname or len(dbname.encode()) > 63:
        raise BackupError(f"--to {dbname!r}: a database name of 1 to 63 bytes is needed")
    with connect(target, "admin", autocommit=True) as conn:
        backup = resolve(conn, ref)
    check_checksum(backup)
    with _admin_elsewhere(target, dbname) as conn:
        if conn.execute(query("backup.database_exists"), {"dbname": dbname}).fetchone():
            if not force:
                raise BackupError(
                    f"database {dbname} already exists on {target.description}: restore into a new name, "
                    "or add --force to drop and replace it"
                )
            conn.execute(sql.SQL(query("backup.drop_database")).format(sql.Identifier(dbname)))
    counts = _restore_and_count(target, backup, dbname)
    problems = compare_counts(backup.manifest["tables"], counts) if backup.manifest else []
    if problems:
        raise BackupError(
            f"{backup.name} restored into database {dbname}, but it differs from the manifest in "
            f"{len(problems)} table(s) (the database is left for inspection): " + "; ".join(problems[:20])
        )
    return {
        "backup_id": backup.backup_id,
        "path": str(backup.path),
        "database": dbname,
        "tables": len(counts),
        "rows": sum(counts.values()),
        "compared_with_manifest": backup.manifest is not None,
        "seconds": round(time.monotonic() - started, 3),
    }


# -- prune and list -----------------------------------------------------------------------------------


def prune_backups(target: Target, *, keep: int = DEFAULT_KEEP, keep_days: int = DEFAULT_KEEP_DAYS) -> dict[str, Any]:
    """Delete the files of completed backups older than ``keep_days`` days, except the newest
    ``keep`` and the newest verified one; each is marked removed in ops.backups."""
    if keep < 0 or keep_days < 0:
        raise BackupError(f"keep ({keep}) and keep_days ({keep_days}) cannot be negative")
    removed = []
    with connect(target, "admin", autocommit=True) as conn:
        rows = conn.execute(query("backup.prunable"), {"keep": keep, "keep_days": keep_days}).fetchall()
        for backup_id, path in rows:
            dump = Path(path)
            for file in (dump, checksum_file(dump), manifest_file(dump)):
                file.unlink(missing_ok=True)
            conn.execute(query("backup.removed"), {"backup_id": backup_id})
            removed.append({"backup_id": backup_id, "path": path})
    return {"removed": removed, "keep": keep, "keep_days": keep_days}


def list_backups(target: Target, *, limit: int = 50) -> dict[str, Any]:
    """The newest ``limit`` catalogued dumps (newest first), each with whether its file is still
    there, and ops.backup_status (the summary with its problems)."""
    with connect(target, "admin", autocommit=True) as conn:
        cur = conn.execute(query("backup.list"), {"limit": limit})
        names = [c.name for c in cur.description or []]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        cur = conn.execute(query("backup.status"))
        status_names = [c.name for c in cur.description or []]
        status_row = cur.fetchone()
    for row in rows:
        row["file_present"] = row["removed_at"] is None and Path(row["path"]).is_file()
    status = dict(zip(status_names, status_row, strict=True)) if status_row else {}
    return {"backups": rows, "status": status}
