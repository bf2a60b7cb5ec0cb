"""The embedded cluster: created and started by the same code as `hub db start`."""

from __future__ import annotations

import os
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
    pid = TEST_CLUSTER.status().pid
    assert pid is not None
    owner = Path(f"/proc/{pid}").stat().st_uid
    expected = __import__("pwd").getpwnam("postgres").pw_uid if os.geteuid() == 0 else os.geteuid()
    assert owner == expected


@pytest.fixture(scope="module")
def spare_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spare-home")


@pytest.fixture
def spare_cluster(spare_home: Path) -> Cluster:
    """A second, stopped cluster in a temporary HUB_HOME (often unreachable by postgres: exercises
    the fallback), laid out as `hub db start` lays out HUB_HOME/cluster; made once for the module
    (again only after a test removed it)."""
    c = Cluster(spare_home, 54338, name="cluster", tcp=False, fast=True)
    if not c.status().initialized:
        c.start()
    if c.status().running:
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


def test_db_remove_refuses_without_yes_then_stops_and_deletes_the_cluster_and_its_fallback(
    spare_cluster: Cluster, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hub db remove --yes` of a running embedded cluster: stopped, HUB_HOME/cluster gone and, when
    it was a symlink (as root pytest's tmp dir is out of the postgres user's reach), the directory
    under /var/lib/postgresql/shoptet-hub/ it pointed to as well; without --yes nothing happens."""
    from runner.cli import main

    for key in [k for k in os.environ if k.startswith("HUB_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HUB_HOME", str(spare_cluster.home))
    c = spare_cluster
    c.start()
    root = c.root
    try:
        assert main(["db", "remove"]) == 1
        assert "add --yes to confirm" in capsys.readouterr().err
        assert c.status().running and (root / "data" / "PG_VERSION").exists()
        assert main(["db", "remove", "--yes"]) == 0
        out = capsys.readouterr().out
        assert "stopped" in out and str(root) in out, out
        assert not root.exists() and not c.link.exists() and not c.link.is_symlink()
        assert main(["db", "remove", "--yes"]) == 0
        assert capsys.readouterr().out.startswith(f"no cluster in {c.link}")
    finally:
        if c.status().running:
            c.stop()


def test_remove_refuses_a_link_to_a_directory_that_is_not_a_cluster(tmp_path: Path) -> None:
    """A HUB_HOME/cluster symlink to someone's own directory: nothing is deleted."""
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (theirs / "keep.txt").write_text("mine")
    home = tmp_path / "home"
    home.mkdir()
    (home / "cluster").symlink_to(theirs)
    with pytest.raises(ClusterError, match="neither a cluster root nor the hub's fallback"):
        Cluster(home, 54338).remove()
    assert (theirs / "keep.txt").read_text() == "mine"


def test_session_end_removes_fallback_dirs_of_links_in_tmp_dirs(tmp_path: Path) -> None:
    """What conftest does at the session's end (remove_fallback_dirs): a cluster made in a tmp dir
    whose data went to the fallback place is stopped and deleted; other links are left alone."""
    from conftest import remove_fallback_dirs
    from runner.serveruser import fallback_dir, prepare_server_dir

    repo_link = tmp_path / "backups" / "pgbackrest"
    prepare_server_dir(repo_link, 0o750, usable_here=False, suffix="-pgbackrest")
    other = tmp_path / "other-link"
    other.symlink_to(tmp_path)
    c = Cluster(tmp_path / "home", 54338, name="cluster", tcp=False, fast=True)
    c.home.mkdir()
    prepare_server_dir(c.link, 0o700, usable_here=False)
    c.data_dir.mkdir()
    assert c.link.is_symlink() and c.root == fallback_dir(c.link)
    removed = remove_fallback_dirs(tmp_path)
    assert sorted(removed) == sorted([fallback_dir(c.link), fallback_dir(repo_link, "-pgbackrest")])
    assert not fallback_dir(c.link).exists() and not c.link.is_symlink()
    assert not fallback_dir(repo_link, "-pgbackrest").exists() and not repo_link.is_symlink()
    assert other.is_symlink()
