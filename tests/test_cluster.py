"""The embedded cluster: created and started by the same code as `hub db start`."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from conftest import TEST_CLUSTER
from runner import cluster as cluster_mod
from runner.cluster import Cluster, ClusterError


def test_test_cluster_preloads_pg_stat_statements(admin: psycopg.Connection) -> None:
    row = admin.execute("show shared_preload_libraries").fetchone()
    assert row is not None and "pg_stat_statements" in row[0]
    admin.execute("select count(*) from pg_stat_statements").fetchone()


def test_server_runs_as_postgres_when_root() -> None:
    if sys.platform != "linux":
        pytest.skip("linux only")
    import os

    pid = TEST_CLUSTER.status().pid
    assert pid is not None
    owner = Path(f"/proc/{pid}").stat().st_uid
    expected = __import__("pwd").getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert owner == expected


@pytest.fixture(scope="module")
def spare_cluster(tmp_path_factory: pytest.TempPathFactory) -> Cluster:
    """A second, stopped cluster in a temporary HUB_HOME (often unreachable by postgres: exercises the fallback)."""
    home = tmp_path_factory.mktemp("spare-home")
    c = Cluster(home, 54338, name="cluster", tcp=False, fast=True)
    c.start()
    c.stop()
    return c


def test_start_and_stop_report_what_they_did(spare_cluster: Cluster) -> None:
    done = spare_cluster.start()
    try:
        assert any("started" in line for line in done)
        assert spare_cluster.status().running
        assert "already running" in spare_cluster.start()[0]
        with psycopg.connect(spare_cluster.conninfo(), autocommit=True) as conn:
            assert conn.execute("select current_database()").fetchone() == ("hub",)
    finally:
        assert "stopped" in spare_cluster.stop()
    assert spare_cluster.stop() == "not running"
    # every path the hub prints starts with HUB_HOME, whether or not the root is a symlink
    assert spare_cluster.link.exists()


def test_stale_pid_file_is_removed_with_a_message(spare_cluster: Cluster) -> None:
    pid_file = spare_cluster.data_dir / "postmaster.pid"
    pid_file.write_text("4194303\n/nowhere\n0\n54338\n")
    try:
        done = spare_cluster.start()
        assert any("removed stale pid file" in line for line in done)
    finally:
        spare_cluster.stop()


def test_data_directory_of_another_major_version_is_refused(tmp_path: Path) -> None:
    c = Cluster(tmp_path, 54337, tcp=False)
    c.link.mkdir()
    c.data_dir.mkdir()
    (c.data_dir / "PG_VERSION").write_text("14\n")
    with pytest.raises(ClusterError, match="made by PostgreSQL 14, this hub runs 15"):
        c.start()


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        c = Cluster(tmp_path, port, tcp=True)
        with pytest.raises(ClusterError, match=f"port {port} on 127.0.0.1 is already in use.*HUB_DB_PORT"):
            c.start()
    assert not (c.data_dir / "PG_VERSION").exists()  # refused before any initdb


def test_missing_server_binaries_name_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cluster_mod, "PG_BIN", tmp_path / "no-bin")
    with pytest.raises(ClusterError, match="apt-get install postgresql-15"):
        Cluster(tmp_path, 54336).start()


def test_missing_partman_names_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    share = tmp_path / "share"
    (share / "extension").mkdir(parents=True)
    for ext in ("pg_stat_statements", "pgcrypto", "pg_trgm", "btree_gin", "amcheck", "unaccent"):
        (share / "extension" / f"{ext}.control").touch()
    monkeypatch.setattr(cluster_mod, "PG_SHARE", share)
    with pytest.raises(ClusterError, match="pg_partman is not installed: apt-get install postgresql-15-partman"):
        Cluster(tmp_path, 54336).start()


def test_db_start_and_stop_do_nothing_with_database_url(hub_env: dict[str, str]) -> None:
    for verb in ("start", "stop"):
        out = subprocess.run([sys.executable, "-m", "runner.cli", "db", verb], capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert "HUB_DATABASE_URL is set" in out.stdout and "does nothing" in out.stdout
    assert not Path(hub_env["HUB_HOME"], "cluster").exists()
