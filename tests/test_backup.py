"""Dumps proven by restore: `hub backup run | verify | restore | prune | list`, `hub db backup`
and the daily job, on the real test cluster (pg_dump, pg_restore, scratch databases)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from commerce_data import fill
from db_pool import is_pool_copy
from runner import backup as backup_mod
from runner import tasks
from runner.backup import (
    BackupError,
    checksum_file,
    manifest_file,
    prune_backups,
    restore_backup,
    run_backup,
    sha256_of,
    verify_backup,
)
from runner.cli import main
from runner.cluster import PG_BIN
from runner.db import Target
from runner.queries import query


def _counts(conninfo: str) -> dict[str, int]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return {name: rows for name, rows in conn.execute(query("backup.table_row_counts")).fetchall()}


def _databases(admin: psycopg.Connection) -> set[str]:
    """The server's databases, less the test pool's (other tests' copies come and go meanwhile)."""
    names = {name for (name,) in admin.execute("select datname from pg_database").fetchall()}
    return {name for name in names if not is_pool_copy(name) or name == _dbname(admin)}


def _dbname(admin: psycopg.Connection) -> str:
    row = admin.execute("select current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.fixture
def filled(db: Target, admin: psycopg.Connection) -> Target:
    """The test's database with a little of everything: shops, customers, orders in partitions
    over three years, order lines, a setting."""
    fill(admin, shop=1, orders=200, customers=40)
    fill(admin, shop=2, orders=50, customers=10)
    admin.execute("select core.setting_set('sync.orders.interval', '300')")
    return db


def test_a_backup_is_a_dump_with_its_checksum_and_a_manifest_of_row_counts(
    filled: Target, admin: psycopg.Connection, tmp_path: Path
) -> None:
    done = run_backup(filled, tmp_path)
    dump = Path(done["path"])
    assert dump.parent == tmp_path and dump.name.startswith("hub-") and dump.suffix == ".dump"
    assert not list(tmp_path.glob("*.partial"))
    # sha256sum -c reads the checksum file
    check = subprocess.run(["sha256sum", "-c", checksum_file(dump).name], cwd=tmp_path, capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout.strip().endswith(": OK"), check.stdout + check.stderr
    manifest = json.loads(manifest_file(dump).read_text())
    assert manifest["sha256"] == sha256_of(dump) == done["sha256"]
    assert manifest["size_bytes"] == dump.stat().st_size
    assert manifest["tables"] == _counts(filled.admin)  # nothing was written since
    assert manifest["tables"]["sales.orders"] == 250 and manifest["tables"]["core.shops"] == 2
    assert manifest["total_rows"] == sum(manifest["tables"].values()) == done["rows"]
    assert manifest["server_version"].startswith("15") and manifest["hub_version"]
    assert manifest["pg_dump_version"].startswith("pg_dump (PostgreSQL) 15")
    assert manifest["last_migration"] >= "0110" and manifest["duration_seconds"] > 0
    listing = subprocess.run([str(PG_BIN / "pg_restore"), "--list", str(dump)], capture_output=True, text=True)
    assert "Format: CUSTOM" in listing.stdout and "Compression: 6" in listing.stdout
    assert "TABLE DATA sales order_items_p" in listing.stdout  # each partition's data
    row = admin.execute(
        "select status, verified, verify_status, sha256, manifest -> 'tables' ->> 'sales.orders', size_bytes "
        "from ops.backups where backup_id = %s",
        (done["backup_id"],),
    ).fetchone()
    assert row == ("completed", False, None, done["sha256"], "250", dump.stat().st_size)


def test_the_row_counts_are_those_of_the_dumps_own_snapshot(
    filled: Target, admin: psycopg.Connection, tmp_path: Path
) -> None:
    """Rows written while pg_dump runs are neither in the dump nor counted: both come from the
    snapshot the dump imports. A session holding a lock on a table makes pg_dump wait, rows are
    added and committed meanwhile; the manifest still says the rows before."""
    with psycopg.connect(filled.admin) as blocker, ThreadPoolExecutor(1) as pool:
        blocker.execute("lock table core.shops in access exclusive mode")
        backup = pool.submit(run_backup, filled, tmp_path)
        # wait until the backup waits for the lock: its snapshot exists by then
        deadline = time.monotonic() + 60
        while not admin.execute(
            "select exists (select from pg_locks where relation = 'core.shops'::regclass and not granted)"
        ).fetchone()[0]:
            assert time.monotonic() < deadline and not backup.done(), "the backup never waited for the lock"
            time.sleep(0.05)
        blocker.execute("insert into core.shops (shop_id, name) values (99, 'written during the dump')")
        blocker.commit()
        done = backup.result(timeout=120)
    manifest = json.loads(Path(done["manifest"]).read_text())
    assert manifest["tables"]["core.shops"] == 2
    assert admin.execute("select count(*) from core.shops").fetchone() == (3,)
    # and the dump holds what the manifest says: verify restores it and compares
    assert verify_backup(filled, done["backup_id"])["rows"] == manifest["total_rows"]


def test_a_flipped_byte_is_refused_before_any_restore_and_the_good_dump_restores_with_every_row(
    filled: Target, admin: psycopg.Connection, tmp_path: Path
) -> None:
    """Acceptance: a backup; a copy with one byte flipped is refused by verify and restore on its
    checksum, before any database is made; the good one restores into a new database whose every
    table has the source's row count."""
    good = run_backup(filled, tmp_path / "backups")
    good_dump = Path(good["path"])
    copy = tmp_path / "copy" / good_dump.name
    copy.parent.mkdir()
    for file in (good_dump, checksum_file(good_dump), manifest_file(good_dump)):
        shutil.copy2(file, copy.parent / file.name)
    _flip_byte(copy, copy.stat().st_size // 2)
    databases_before = _databases(admin)
    source = _dbname(admin)
    with pytest.raises(BackupError) as verify_refused:
        verify_backup(filled, str(copy))
    message = str(verify_refused.value)
    assert f"checksum mismatch for {copy}" in message
    assert f"expected sha256 {good['sha256']}, got {sha256_of(copy)}" in message
    with pytest.raises(BackupError, match="checksum mismatch"):
        restore_backup(filled, str(copy), f"{source}_bad")
    # a truncated copy too
    truncated = copy.parent / "truncated.dump"
    truncated.write_bytes(good_dump.read_bytes()[:-100])
    checksum_file(truncated).write_text(checksum_file(good_dump).read_text())
    with pytest.raises(BackupError, match=f"checksum mismatch for {truncated}"):
        verify_backup(filled, str(truncated))
    assert _databases(admin) == databases_before  # no scratch or target database was ever made
    # the good one, by id, into a new database: every table's row count as in the source
    target_db = f"{source}_restored"
    try:
        done = restore_backup(filled, good["backup_id"], target_db)
        assert done["compared_with_manifest"] and done["database"] == target_db
        source_counts = _counts(filled.admin)
        restored_counts = _counts(psycopg.conninfo.make_conninfo(filled.admin, dbname=target_db))
        assert restored_counts == source_counts
        assert restored_counts["sales.orders"] == 250 and sum(restored_counts.values()) == good["rows"]
        # an existing database is refused, unless --force
        with pytest.raises(BackupError, match=f"database {target_db} already exists.*--force"):
            restore_backup(filled, good["backup_id"], target_db)
        restore_backup(filled, str(good_dump), target_db, force=True)
    finally:
        admin.execute(f'drop database if exists "{target_db}" with (force)')


def test_verify_records_ok_and_a_damaged_file_records_failed_with_the_reason(
    filled: Target, admin: psycopg.Connection, tmp_path: Path
) -> None:
    problems = "select problems from ops.backup_status"
    assert "no completed backup yet (hub backup run)" in admin.execute(problems).fetchone()[0]
    done = run_backup(filled, tmp_path)
    assert f"backup {done['backup_id']} is not verified yet" in " ".join(admin.execute(problems).fetchone()[0])
    databases_before = _databases(admin)
    result = verify_backup(filled)  # the newest
    assert result["backup_id"] == done["backup_id"] and result["rows"] == done["rows"]
    assert _databases(admin) == databases_before  # the scratch database is dropped
    row = admin.execute(
        "select verified, verify_status, verify_error, verified_at is not null from ops.backups"
    ).fetchone()
    assert row == (True, "ok", None, True)
    assert admin.execute("select last_backup_verified, problems from ops.backup_status").fetchone() == (True, [])
    _flip_byte(Path(done["path"]), 100)
    with pytest.raises(BackupError, match="checksum mismatch"):
        verify_backup(filled, done["backup_id"])
    row = admin.execute("select verified, verify_status, verify_error from ops.backups").fetchone()
    assert row is not None and row[:2] == (False, "failed") and "checksum mismatch" in row[2]
    assert f"verify of backup {done['backup_id']} failed: checksum mismatch" in admin.execute(problems).fetchone()[0][0]


def test_verify_compares_every_table_with_the_manifest(
    filled: Target, admin: psycopg.Connection, tmp_path: Path
) -> None:
    done = run_backup(filled, tmp_path)
    # the catalogued manifest says one shop more than the dump holds
    admin.execute(
        "update ops.backups set manifest = jsonb_set(manifest, '{tables,core.shops}', '3') where backup_id = %s",
        (done["backup_id"],),
    )
    with pytest.raises(
        BackupError, match=r"differs from the manifest in 1 table\(s\): core.shops: manifest 3 rows, restored 2"
    ):
        verify_backup(filled, done["backup_id"])
    assert admin.execute("select verify_status from ops.backups").fetchone() == ("failed",)


def test_unknown_ids_missing_files_and_files_without_checksum_are_named(filled: Target, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="unknown backup id 4242: ops.backups has no such backup"):
        verify_backup(filled, 4242)
    with pytest.raises(BackupError, match=f"{tmp_path / 'nope.dump'}: no such backup file"):
        restore_backup(filled, str(tmp_path / "nope.dump"), "whatever")
    bare = tmp_path / "bare.dump"
    bare.write_bytes(b"PGDMP")
    with pytest.raises(
        BackupError, match="no checksum to check it against: neither bare.dump.sha256 nor bare.manifest.json"
    ):
        verify_backup(filled, str(bare))


def test_prune_keeps_the_days_the_newest_and_the_newest_verified(
    filled: Target, admin: psycopg.Connection, tmp_path: Path
) -> None:
    made = [run_backup(filled, tmp_path) for _ in range(4)]
    ids = [m["backup_id"] for m in made]
    # the first three are 40 days old; only the first is verified
    admin.execute(
        "update ops.backups set started_at = now() - interval '40 days' where backup_id = any(%s)", (ids[:3],)
    )
    admin.execute("update ops.backups set verified = true, verify_status = 'ok' where backup_id = %s", (ids[0],))
    done = prune_backups(filled, keep=1, keep_days=30)
    assert [r["backup_id"] for r in done["removed"]] == ids[1:3]
    for m in made:
        gone = m["backup_id"] in ids[1:3]
        for file in (Path(m["path"]), checksum_file(Path(m["path"])), manifest_file(Path(m["path"]))):
            assert file.exists() != gone, file
    rows = admin.execute("select backup_id, removed_at is not null from ops.backups order by backup_id").fetchall()
    assert rows == [(ids[0], False), (ids[1], True), (ids[2], True), (ids[3], False)]
    # HUB_BACKUP_KEEP is a floor: with keep=4 nothing old enough goes
    assert prune_backups(filled, keep=4, keep_days=0)["removed"] == []


def test_a_failed_backup_is_recorded_with_its_reason(db: Target, admin: psycopg.Connection, tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    with pytest.raises(BackupError, match="Not a directory|File exists"):
        run_backup(db, not_a_directory / "backups")
    row = admin.execute("select status, error is not null, verified from ops.backups").fetchone()
    assert row == ("failed", True, False)
    problems = admin.execute("select problems from ops.backup_status").fetchone()
    assert problems is not None and any(p.startswith("the last backup run failed") for p in problems[0])


def test_a_missing_client_program_is_named(
    db: Target, admin: psycopg.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_mod, "PG_BIN", tmp_path / "no-postgres")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(BackupError, match="pg_dump is not installed .*: apt-get install postgresql-client-15"):
        run_backup(db, tmp_path / "backups")
    assert admin.execute("select status from ops.backups").fetchone() == ("failed",)


def test_the_daily_job_runs_run_verify_and_prune(
    filled: Target, admin: psycopg.Connection, hub_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUB_BACKUP_DIR", str(tmp_path / "daily"))
    monkeypatch.setenv("HUB_BACKUP_KEEP", "1")
    old = run_backup(filled, tmp_path / "daily")
    admin.execute("update ops.backups set started_at = now() - interval '31 days'")
    tasks.configure(filled)
    done = tasks.backup_database()
    assert Path(done["run"]["path"]).parent == tmp_path / "daily"
    assert done["verify"]["backup_id"] == done["run"]["backup_id"]
    assert done["prune"]["removed"] == [{"backup_id": old["backup_id"], "path": old["path"]}]
    assert "pgbackrest_verify" not in done  # HUB_DATABASE_URL: dumps only
    rows = admin.execute("select verified, removed_at is null from ops.backups order by backup_id").fetchall()
    assert rows == [(False, False), (True, True)]


def test_the_commands_and_the_db_backup_alias(
    filled: Target,
    admin: psycopg.Connection,
    hub_env: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["db", "backup", "--dir", str(tmp_path), "--json"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert Path(made["path"]).parent == tmp_path
    assert main(["backup", "verify", str(made["backup_id"])]) == 0
    assert "verified — checksum as recorded" in capsys.readouterr().out
    assert main(["backup", "list"]) == 0
    out = capsys.readouterr().out
    assert made["path"] in out and " ok " in out and "pgBackRest: not used (HUB_DATABASE_URL" in out
    assert out.rstrip().endswith("needs attention: nothing")  # verified, made now, no archiving to watch
    assert main(["backup", "restore", "9999", "--to", "x"]) == 1
    assert "unknown backup id 9999" in capsys.readouterr().err
    assert main(["backup", "restore", str(made["backup_id"])]) == 1
    assert "restore takes ID|FILE --to DBNAME" in capsys.readouterr().err
    assert main(["backup", "restore", "--time", "2026-11-30 12:00:00", "--to-dir", str(tmp_path / "c")]) == 1
    assert "--time '2026-11-30 12:00:00' has no time zone" in capsys.readouterr().err
    assert main(["backup", "restore", "--time", "2026-11-30 12:00:00+01", "--to-dir", str(tmp_path / "c")]) == 1
    assert "HUB_DATABASE_URL is set" in capsys.readouterr().err  # dumps only on an external server
    assert main(["backup", "run", "--pitr", "full"]) == 1
    assert "HUB_DATABASE_URL is set" in capsys.readouterr().err
    assert main(["backup", "prune", "--days", "0", "--keep", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["removed"] == []  # the only one is the newest
