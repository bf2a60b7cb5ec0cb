"""Point-in-time recovery of the embedded cluster with pgBackRest (runner/pgbackrest.py,
runner/pitr.py): real clusters of their own, started like `hub db start`, a real pgbackrest
(installed by `make setup`), run as the server's OS user (postgres when the tests run as root)."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from conftest import TEST_PORT
from runner import pgbackrest as pgbackrest_mod
from runner import pitr
from runner.backup import BackupError
from runner.cluster import Cluster
from runner.db import Target
from runner.pgbackrest import PgBackRestError

pytestmark = pytest.mark.slow


def _free_port(used: set[int]) -> int:
    """A port after the test cluster's (HUB_TEST_DB_PORT + 2 and up) that nothing listens on and
    this module has not used (the clusters here listen on their own sockets only)."""
    for port in range(TEST_PORT + 2, TEST_PORT + 19):
        if port in used:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        used.add(port)
        return port
    raise RuntimeError(f"no free port in {TEST_PORT + 2}-{TEST_PORT + 18}")


def _remove(cluster: Cluster) -> None:
    """Stop a test cluster and remove it, including a fallback directory its link points to."""
    if cluster.status().running:
        cluster.stop()
    for link in (cluster.link, *((cluster.backup_dir / "pgbackrest",) if cluster.backup_dir else ())):
        if link.is_symlink():
            shutil.rmtree(link.resolve(), ignore_errors=True)


def _setting(cluster: Cluster, name: str) -> str:
    with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        row = conn.execute("select current_setting(%s)", (name,)).fetchone()
    assert row is not None
    return str(row[0])


@pytest.fixture(scope="module")
def ports() -> set[int]:
    return set()


@pytest.fixture(scope="module")
def archiving(tmp_path_factory: pytest.TempPathFactory, ports: set[int]) -> Iterator[Cluster]:
    """A started cluster that archives its WAL with pgBackRest, with one full backup."""
    base = tmp_path_factory.mktemp("pitr")
    cluster = Cluster(base / "home", _free_port(ports), tcp=False, fast=True, backup_dir=base / "backups")
    try:
        done = cluster.start()
        assert f"WAL archived with pgBackRest into {base / 'backups' / 'pgbackrest'} (stanza created)" in done
        assert cluster.pgbackrest is not None
        made = cluster.pgbackrest.backup("full")
        # moments a copy can be restored to start in the second after the backup's end
        time.sleep(max(0.0, (made["finished"] + timedelta(seconds=1) - datetime.now(UTC)).total_seconds()))
        yield cluster
    finally:
        _remove(cluster)


def test_a_copy_restored_to_a_moment_has_exactly_the_rows_written_before_it(
    archiving: Cluster, tmp_path: Path, ports: set[int]
) -> None:
    """Acceptance: rows written, the time noted, more rows written; a copy of the cluster restored
    with pgBackRest to that time, started on a free port, holds exactly the first rows."""
    with psycopg.connect(archiving.conninfo(), autocommit=True) as conn:
        conn.execute("create table pitr_probe (n int primary key, written_at timestamptz default clock_timestamp())")
        conn.execute("insert into pitr_probe (n) select generate_series(1, 100)")
        conn.execute("insert into pitr_probe (n) values (101)")  # a second transaction before the moment
        row = conn.execute("select clock_timestamp()").fetchone()
        assert row is not None
        moment: datetime = row[0]
        time.sleep(0.05)
        conn.execute("insert into pitr_probe (n) select generate_series(102, 150)")
        conn.execute("delete from pitr_probe where n <= 10")
    copy_dir = tmp_path / "copy"
    copy = Cluster(copy_dir.parent, 0, name=copy_dir.name)
    try:
        done = pitr.restore_to_time(archiving, moment, copy_dir, port=_free_port(ports), start_timeout=300)
        copy = Cluster(copy_dir.parent, done["port"], name=copy_dir.name, tcp=False)
        assert copy.status().running and done["data_dir"] == str(copy.data_dir)
        with psycopg.connect(copy.conninfo(), autocommit=True) as conn:
            rows = [n for (n,) in conn.execute("select n from pitr_probe order by n").fetchall()]
            assert conn.execute("select pg_is_in_recovery()").fetchone() == (False,)  # promoted: writable
            assert conn.execute("show archive_mode").fetchone() == (
                "off",
            )  # never archives into the original's repository
        assert rows == list(range(1, 102))
        replayed_to = datetime.fromisoformat(done["replayed_to"])
        assert replayed_to <= moment
    finally:
        _remove(copy)
    # the original goes on, untouched
    with psycopg.connect(archiving.conninfo(), autocommit=True) as conn:
        assert conn.execute("select count(*) from pitr_probe").fetchone() == (140,)


def test_restore_refuses_what_it_cannot_do_and_says_why(archiving: Cluster, tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    (full / "something").write_text("x")
    with pytest.raises(BackupError, match=f"--to-dir {full} exists and is not empty"):
        pitr.restore_to_time(archiving, datetime.now(UTC), full, port=TEST_PORT + 18)
    with pytest.raises(PgBackRestError, match="is before the oldest pgBackRest backup has ended: the earliest moment"):
        pitr.restore_to_time(archiving, datetime.now(UTC) - timedelta(days=1), tmp_path / "new", port=TEST_PORT + 18)
    with pytest.raises(BackupError, match="HUB_DATABASE_URL is set"):
        pitr.restore_to_time(None, datetime.now(UTC), tmp_path / "new", port=TEST_PORT + 18)
    with pytest.raises(BackupError, match="no time zone"):
        pitr.parse_time("2026-11-30 12:00")
    assert pitr.parse_time("2026-11-30 12:00:00+01") == datetime(2026, 11, 30, 11, tzinfo=UTC)


def test_pgbackrest_backups_and_verify_are_recorded_and_a_damaged_file_fails_verify(
    archiving: Cluster, db: Target, admin: psycopg.Connection
) -> None:
    """Runs are recorded in ops.pgbackrest_runs of the hub database (here the test's database
    stands in for the archiving cluster's own), and ops.backup_status names a failed verify."""
    pb = archiving.pgbackrest
    assert pb is not None
    made = pitr.backup(archiving, db, "incr")
    assert made["type"] == "incr" and made["label"].endswith("I")
    assert pitr.verify(archiving, db)["report"].startswith("stanza: hub")
    victim = max((pb.repo_link / "backup" / "hub").glob("*F/pg_data/base/*/*.zst"), key=lambda p: p.stat().st_size)
    original = victim.read_bytes()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0x01
    try:
        victim.write_bytes(bytes(damaged))
        with pytest.raises(
            PgBackRestError, match=r"pgbackrest verify found damage in .*status: error .*checksum invalid: 1"
        ):
            pitr.verify(archiving, db)
    finally:
        victim.write_bytes(original)
    rows = admin.execute(
        "select kind, status, label, error is not null from ops.pgbackrest_runs order by run_id"
    ).fetchall()
    assert rows == [
        ("incr", "completed", made["label"], False),
        ("verify", "completed", None, False),
        ("verify", "failed", None, True),
    ]
    status = admin.execute(
        "select pitr_last_backup_label, pitr_verify_status, problems from ops.backup_status"
    ).fetchone()
    assert status is not None and status[:2] == (made["label"], "failed")
    assert any(p.startswith("pgbackrest verify failed: pgbackrest verify found damage") for p in status[2])
    assert "status: ok" in pb.verify()


def test_start_reconciles_archiving_of_a_cluster_made_before_it(
    tmp_path: Path, ports: set[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cluster made without pgbackrest installed runs with archiving off and says so; once
    pgbackrest is there, `hub db start` of the running cluster says to restart, and the next
    start archives."""
    home, backups = tmp_path / "home", tmp_path / "backups"
    cluster = Cluster(home, _free_port(ports), tcp=False, fast=True, backup_dir=backups)
    try:
        with monkeypatch.context() as absent:
            absent.setattr(pgbackrest_mod, "installed", lambda: None)
            done = cluster.start()
        assert any(line.startswith("WAL archiving is off: pgbackrest is not installed") for line in done), done
        assert _setting(cluster, "archive_mode") == "off"
        done = cluster.start()
        assert done[0].startswith("already running")
        assert "restart to turn it on (hub db stop && hub db start)" in done[1]
        cluster.stop()
        done = cluster.start()
        assert f"WAL archived with pgBackRest into {backups / 'pgbackrest'} (stanza created)" in done
        assert _setting(cluster, "archive_mode") == "on"
        assert "archive-push" in _setting(cluster, "archive_command")
        pb = cluster.pgbackrest
        assert pb is not None
        pb.check()  # a WAL segment switched and archived into the repository
        assert list((backups / "pgbackrest" / "archive" / "hub").glob("15-1/*/*"))
        # a cluster without a backup directory (the test cluster) never archives
        assert Cluster(home, 1, name="other").pgbackrest is None
    finally:
        _remove(cluster)
