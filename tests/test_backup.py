"""Backups: `hub db backup` / the daily job make a verified pg_dump, catalogued, newest N kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from runner import tasks
from runner.backup import BackupError, run_backup
from runner.cluster import PG_BIN
from runner.db import Target


def test_backup_is_verified_catalogued_and_restorable_and_old_ones_are_pruned(
    db: Target, admin: psycopg.Connection, tmp_path: Path
) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (7, 'backed up')")
    first = run_backup(db, tmp_path, keep=2)
    assert Path(first["path"]).exists() and first["size_bytes"] > 0 and first["verified"]
    listing = subprocess.run([str(PG_BIN / "pg_restore"), "--list", first["path"]], capture_output=True, text=True)
    assert "TABLE DATA core shops" in listing.stdout
    # the dump restores into an empty database, with its data
    admin.execute("create database backup_restore_check")
    try:
        restore_url = make_conninfo(db.admin, dbname="backup_restore_check")
        restored = subprocess.run(
            [str(PG_BIN / "pg_restore"), "--no-owner", "-d", restore_url, first["path"]], capture_output=True, text=True
        )
        with psycopg.connect(restore_url) as check:
            assert check.execute("select name from core.shops where shop_id = 7").fetchone() == ("backed up",), (
                restored.stderr[-2000:]
            )
    finally:
        admin.execute("drop database if exists backup_restore_check")
    import time

    for _ in range(2):
        time.sleep(1.1)  # file names carry the second
        run_backup(db, tmp_path, keep=2)
    rows = admin.execute(
        "select status, verified, removed_at is not null from ops.backups order by backup_id"
    ).fetchall()
    assert rows == [("completed", True, True), ("completed", True, False), ("completed", True, False)]
    assert not Path(first["path"]).exists() and len(list(tmp_path.glob("*.dump"))) == 2


def test_a_failed_backup_is_recorded_with_its_reason(db: Target, admin: psycopg.Connection, tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    with pytest.raises(BackupError, match="Not a directory|File exists"):
        run_backup(db, not_a_directory / "backups")
    row = admin.execute("select status, error is not null, verified from ops.backups").fetchone()
    assert row == ("failed", True, False)


def test_the_daily_job_writes_into_hub_backup_dir(
    db: Target, admin: psycopg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_BACKUP_DIR", str(tmp_path / "daily"))
    tasks.configure(db)
    done = tasks.backup_database()
    assert Path(done["path"]).parent == tmp_path / "daily"
