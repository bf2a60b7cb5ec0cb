"""Database backups: `hub db backup` and the daily job (02:00 UTC).

pg_dump in custom format into ``<dir>/hub-<UTC time>.dump`` (written under a temporary
name, renamed when complete), verified by reading its table of contents back with
pg_restore --list, catalogued in ops.backups; only the newest ``keep`` completed files are
kept. Restore: ``pg_restore -d <database> <file>`` (see docs/operations.md).
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.cluster import PG_BIN
from runner.db import Target, connect
from runner.errors import HubError
from runner.queries import query

DEFAULT_KEEP = 7


class BackupError(HubError):
    """A backup could not be made or verified; the message says why."""


def _tool(name: str) -> str:
    path = PG_BIN / name
    return str(path) if path.exists() else name


def run_backup(target: Target, directory: Path, *, keep: int = DEFAULT_KEEP) -> dict[str, Any]:
    """Dump, verify, catalogue, prune. Raises BackupError (the failure is catalogued too)."""
    if keep < 1:
        raise BackupError("keep must be at least 1")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"hub-{stamp}.dump"
    partial = path.with_suffix(".dump.partial")
    with connect(target, "admin", autocommit=True) as conn:
        row = conn.execute(query("maintain.backup_start"), {"path": str(path)}).fetchone()
        assert row is not None
        backup_id = int(row[0])
        try:
            directory.mkdir(parents=True, exist_ok=True)
            dump = subprocess.run(
                [_tool("pg_dump"), "--format=custom", "--compress=6", f"--file={partial}", f"--dbname={target.admin}"],
                capture_output=True,
                text=True,
            )
            if dump.returncode != 0:
                raise BackupError(f"pg_dump failed: {dump.stderr.strip()[-500:]}")
            listing = subprocess.run([_tool("pg_restore"), "--list", str(partial)], capture_output=True, text=True)
            if listing.returncode != 0 or "TABLE DATA" not in listing.stdout:
                raise BackupError(f"the dump does not read back (pg_restore --list): {listing.stderr.strip()[-500:]}")
            os.replace(partial, path)
            size = path.stat().st_size
            conn.execute(query("maintain.backup_done"), {"size_bytes": size, "backup_id": backup_id})
        except (BackupError, OSError) as exc:
            if directory.is_dir():
                partial.unlink(missing_ok=True)
            conn.execute(query("maintain.backup_failed"), {"error": str(exc)[:2000], "backup_id": backup_id})
            raise BackupError(str(exc)) from None
        removed = []
        for old_id, old_path in conn.execute(query("maintain.backups_beyond_keep"), {"keep": keep}).fetchall():
            Path(old_path).unlink(missing_ok=True)
            conn.execute(query("maintain.backup_removed"), {"backup_id": old_id})
            removed.append(old_path)
    return {"backup_id": backup_id, "path": str(path), "size_bytes": size, "verified": True, "removed": removed}
