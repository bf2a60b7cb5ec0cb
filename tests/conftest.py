"""Test fixtures: a real PostgreSQL 15 with pg_partman, never a mock.

* At start-up the test session starts its own throw-away cluster under
  ``.hub/test-cluster`` (socket only, fsync off) with the same code as
  `hub db start`, and stops it at the end if it started it.
* pytest-postgresql (noproc) builds the template database ``hub_test_tmpl`` once per
  run by running the real `hub db migrate` on it; every test that asks for
  ``db`` gets a fresh database copied from that template (a few ms).

Works as root (the server then runs as the ``postgres`` OS user) and as a
normal user, from a checkout anywhere on disk.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import psycopg
import pytest
from pytest_postgresql import factories

from runner.cluster import Cluster
from runner.config import REPO_ROOT
from runner.db import Target, conninfo_to_url, target_for_conninfo
from runner.migrate import migrate

TEST_PORT = int(os.environ.get("HUB_TEST_DB_PORT", "54339"))
TEST_CLUSTER = Cluster(REPO_ROOT / ".hub", TEST_PORT, name="test-cluster", tcp=False, fast=True)
_started_here = False


def pytest_configure(config: pytest.Config) -> None:
    global _started_here
    if hasattr(config, "workerinput"):  # an xdist worker: the controller started the cluster
        pass
    elif not TEST_CLUSTER.status().running:
        TEST_CLUSTER.start()
        _started_here = True
    config.option.postgresql_host = str(TEST_CLUSTER.socket_dir)
    config.option.postgresql_port = TEST_PORT
    config.option.postgresql_user = "postgres"
    config.option.postgresql_drop_test_database = True


def pytest_unconfigure(config: pytest.Config) -> None:
    if _started_here and not os.environ.get("HUB_TEST_KEEP_CLUSTER"):
        TEST_CLUSTER.stop()


def _conninfo(host: str, port: int | str, user: str, dbname: str, password: str | None = None) -> str:
    return psycopg.conninfo.make_conninfo(host=host, port=str(port), user=user, dbname=dbname, password=password or None)


def load_schema(host: str, port: int, user: str, dbname: str, password: str | None = None, **_: Any) -> None:
    """Build the template: the real migrations and function files."""
    migrate(target_for_conninfo(_conninfo(host, port, user, dbname, password)))


postgresql_noproc = factories.postgresql_noproc(dbname="hub_test", load=[load_schema])
postgresql = factories.postgresql("postgresql_noproc")


@pytest.fixture
def db(postgresql: psycopg.Connection) -> Iterator[Target]:
    """A freshly migrated database of its own for this test, as a Target (admin/app/readonly)."""
    info = postgresql.info
    conninfo = _conninfo(info.host, info.port, info.user, info.dbname)
    postgresql.commit()
    # the fixture's own connection is not needed: closed so that the database can serve
    # as a template (dry runs) and tests count only their own sessions
    postgresql.close()
    yield target_for_conninfo(conninfo)


@pytest.fixture
def admin(db: Target) -> Iterator[psycopg.Connection]:
    """Superuser connection (autocommit) to the test's database."""
    with psycopg.connect(db.admin, autocommit=True) as conn:
        yield conn


@pytest.fixture
def app(db: Target) -> Iterator[psycopg.Connection]:
    """hub_app connection (autocommit) to the test's database."""
    with psycopg.connect(db.app, autocommit=True) as conn:
        yield conn


@pytest.fixture
def hub_env(db: Target, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for running `hub` against the test's database, with its own HUB_HOME."""
    env = {
        "HUB_HOME": str(tmp_path / "hub-home"),
        "HUB_DATABASE_URL": conninfo_to_url(db.app),
        "HUB_ADMIN_DATABASE_URL": conninfo_to_url(db.admin),
        "HUB_SECRET_KEY": "test-secret-key-0123456789",
    }
    for key in [k for k in os.environ if k.startswith("HUB_") and k not in env and k != "HUB_TEST_DB_PORT"]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
