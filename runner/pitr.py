"""Point-in-time recovery of the embedded cluster with pgBackRest (runner/pgbackrest.py): backups
(weekly full, daily incremental; `hub backup run --pitr TYPE`) and ``pgbackrest verify`` recorded
in ops.pgbackrest_runs, expiry, and `hub backup restore --time T --to-dir DIR`: a copy of the
cluster as of a moment, restored into a directory of its own and started there, socket only
(it never archives: the repository stays the original's).

Only for the cluster the hub runs itself; with HUB_DATABASE_URL the dumps (runner/backup.py)
are the hub's only backups, and the server's own backups must cover the rest (docs/operations.md).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from runner.backup import BackupError
from runner.cluster import PG_BIN, Cluster, ClusterError
from runner.connection import open_connection
from runner.db import Target, connect
from runner.pgbackrest import PgBackRest, PgBackRestError, require
from runner.queries import query
from runner.serveruser import SUPERUSER, make_server_dir

EXTERNAL = (
    "HUB_DATABASE_URL is set: the hub does not run that server, so it has no pgBackRest and no "
    "point-in-time recovery; its dumps (hub backup run) are the hub's backups and the server's own "
    "backups must cover the rest (docs/operations.md, Backups)"
)


def archiver(cluster: Cluster | None) -> PgBackRest:
    """The pgBackRest of the embedded cluster; BackupError for an external server, PgBackRestError
    when pgbackrest is not installed."""
    if cluster is None or cluster.pgbackrest is None:
        raise BackupError(EXTERNAL)
    require()
    return cluster.pgbackrest


def parse_time(text: str) -> datetime:
    """``--time``: an ISO time with its zone (``2026-11-30 12:00:00+01``, ``...Z``); BackupError otherwise."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BackupError(f"--time {text!r} is not a time: write it like 2026-11-30 12:00:00+01") from None
    if when.tzinfo is None:
        raise BackupError(
            f"--time {text!r} has no time zone: add it, e.g. 2026-11-30 12:00:00+01 (Prague in winter) or +00 for UTC"
        )
    return when


def _recorded(target: Target, kind: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``work`` recorded as one row of ops.pgbackrest_runs (completed with its details, or
    failed with the error, which is raised again)."""
    with connect(target, "admin", autocommit=True) as conn:
        row = conn.execute(query("pitr.run_start"), {"kind": kind}).fetchone()
        assert row is not None
        run_id = int(row[0])
        try:
            details = work()
        except (PgBackRestError, BackupError, ClusterError) as exc:
            conn.execute(query("pitr.run_failed"), {"error": str(exc)[:2000], "run_id": run_id})
            raise
        conn.execute(
            query("pitr.run_done"),
            {"label": details.get("label"), "details": json.dumps(details, default=str), "run_id": run_id},
        )
    return {"run_id": run_id, **details}


def backup(cluster: Cluster | None, target: Target, kind: str) -> dict[str, Any]:
    """A pgBackRest backup (full, diff or incr) of the running embedded cluster, recorded; expired
    backups go by the time-based retention (HUB_BACKUP_KEEP_DAYS) as pgBackRest does after each."""
    pb = archiver(cluster)
    return _recorded(target, kind, lambda: pb.backup(kind))


def verify(cluster: Cluster | None, target: Target) -> dict[str, Any]:
    """``pgbackrest verify`` of the repository, recorded as a verify run."""
    pb = archiver(cluster)
    return _recorded(target, "verify", lambda: {"report": pb.verify()})


def enabled(cluster: Cluster | None) -> bool:
    """Does this hub have pgBackRest backups (embedded cluster, pgbackrest installed, the stanza
    made by a start of the cluster)?"""
    from runner.pgbackrest import installed

    pb = cluster.pgbackrest if cluster is not None else None
    return pb is not None and installed() is not None and pb.has_stanza()


def restore_to_time(
    cluster: Cluster | None, when: datetime, to_dir: Path, *, port: int, start_timeout: int = 24 * 3600
) -> dict[str, Any]:
    """A copy of the embedded cluster as of ``when``, in ``to_dir`` (new or empty), started there on
    its own socket with ``port`` and promoted once the WAL is replayed up to ``when``.

    When the cluster runs, its current WAL is archived first (pgbackrest check), so everything
    committed before now can be reached."""
    pb = archiver(cluster)
    assert cluster is not None
    started = time.monotonic()
    to_dir = to_dir.expanduser().absolute()
    if to_dir.exists() or to_dir.is_symlink():
        if not to_dir.is_dir() or any(to_dir.iterdir()):
            raise BackupError(f"--to-dir {to_dir} exists and is not empty: give a new or empty directory")
        to_dir.rmdir()  # made again below, where the server's OS user can reach it
    if to_dir.resolve() == cluster.link.resolve():
        raise BackupError(f"--to-dir {to_dir} is the hub's own cluster: give a directory of its own")
    if cluster.status().running:
        pb.check()
    copy = Cluster(to_dir.parent, port, name=to_dir.name, tcp=False, start_timeout=start_timeout)
    copy.prepare_root()
    make_server_dir(copy.data_dir, 0o700)
    pb.restore_to_time(copy.data_dir, when)
    try:
        copy.start()
    except ClusterError as exc:
        raise BackupError(
            f"the copy restored into {to_dir} did not start: {exc}. If the log says the recovery target "
            f"was not reached, the archived WAL ends before {when.isoformat()}: choose an earlier time"
        ) from None
    replayed_to = _wait_promoted(copy)
    return {
        "directory": str(to_dir),
        "data_dir": str(copy.data_dir),
        "target_time": when.isoformat(),
        "replayed_to": replayed_to.isoformat() if replayed_to else None,
        "socket_dir": str(copy.socket_dir),
        "port": port,
        "psql": f"psql '{copy.url()}'",
        "stop": _as_server_user(f"{PG_BIN / 'pg_ctl'} -D {copy.data_dir} stop"),
        "seconds": round(time.monotonic() - started, 3),
    }


def _as_server_user(command: str) -> str:
    return f"runuser -u {SUPERUSER} -- {command}" if os.geteuid() == 0 else command


def _wait_promoted(copy: Cluster) -> datetime | None:
    """Wait until the copy has replayed up to its target and left recovery; the time of the last
    transaction it replayed (None: none after the backup)."""
    while True:
        with open_connection(copy.conninfo(), what=f"restored copy in {copy.link}", autocommit=True) as conn:
            row = conn.execute(query("pitr.recovery_state")).fetchone()
        assert row is not None
        in_recovery, replayed_to = row
        if not in_recovery:
            return replayed_to.astimezone(UTC) if replayed_to else None
        if not copy.status().running:
            raise BackupError(f"the restored copy in {copy.link} stopped during recovery (log: {copy.log_file})")
        time.sleep(0.2)
