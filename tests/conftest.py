"""Test fixtures: a real PostgreSQL 15 with pg_partman, never a mock.

* At start-up the test session starts its own throw-away cluster under
  ``.hub/test-cluster`` (socket only, fsync off) with the same code as
  `hub db start`, and stops it at the end if it started it. Under pytest-xdist (``-n 2``, as
  `make test` runs) every worker has its own, ``.hub/test-cluster-gw0`` and so on.
* pytest-postgresql (noproc) builds the template database ``hub_test_tmpl`` once per
  run by running the real `hub db migrate` on it; every test that asks for
  ``db`` gets a fresh database copied from that template, made ahead of need by a background
  thread and dropped by another after the test (``db_pool``, tests/db_pool.py).

Works as root (the server then runs as the ``postgres`` OS user) and as a
normal user, from a checkout anywhere on disk.

Tests against the sandbox Shoptet share three fixtures, set per module or test with markers:

* ``sandbox``: a Sandbox served in a thread (files under the test's tmp_path), shop 900101,
  ``scale=0.001, seed=7, job_seconds=0.2, webhook_retry_delay=0.1`` unless
  ``@pytest.mark.sandbox(**options)`` says otherwise (any Sandbox argument;
  ``shared_files=True``: snapshot files of an unchanged shop cached across the session);
* ``sandbox_cfg``: the hub's Config pointed at it (HUB_SHOPTET_API_URL, on top of ``hub_env``),
  with the variables of ``@pytest.mark.shop(env={...})`` set first;
* ``shop``: that Config after `hub shop add` of the sandbox's shop 900101 (webhooks registered and
  the signature key stored unless ``@pytest.mark.shop(register_webhooks=False)``; ``master=True``).

``processes``: a list to append started subprocesses to, stopped at the end of the test.
Plain helpers (snapshot options, imports, hub/sandbox totals) are in tests/sandbox_helpers.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pytest_postgresql import factories

from bench.processes import stop
from db_pool import DatabasePool
from runner.cluster import Cluster
from runner.config import REPO_ROOT, Config
from runner.db import Target, conninfo_to_url, target_for_conninfo
from runner.migrate import migrate
from runner.sandbox import DEFAULT_SHOP, Sandbox
from runner.serveruser import is_fallback
from runner.shoptet.shops import add_shop

TEST_PORT = int(os.environ.get("HUB_TEST_DB_PORT", "54339"))
# under pytest-xdist (`make test` runs two workers) each worker has a cluster of its own,
# .hub/test-cluster-gw0, -gw1, ...: roles are cluster-wide and the migrations create them, and
# module fixtures name their databases; a socket only (tcp=False), so the port may be the same
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
TEST_CLUSTER = Cluster(
    REPO_ROOT / ".hub",
    TEST_PORT,
    name=f"test-cluster-{_WORKER}" if _WORKER else "test-cluster",
    tcp=False,
    fast=True,
)
_started_here = False


SANDBOX_DEFAULTS: dict[str, Any] = {
    "scale": 0.001,
    "seed": 7,
    "shops": (DEFAULT_SHOP,),
    "job_seconds": 0.2,
    "webhook_retry_delay": 0.1,
}


def pytest_configure(config: pytest.Config) -> None:
    global _started_here
    config.addinivalue_line(
        "markers",
        "sandbox(**options): the Sandbox arguments of the `sandbox` fixture "
        "(shared_files=True: snapshot files cached across the session)",
    )
    config.addinivalue_line(
        "markers",
        "shop(env={}, master=False, register_webhooks=True): how the `shop` "
        "fixture connects the sandbox's shop (env also for `sandbox_cfg`)",
    )
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        pass  # the xdist controller runs no test: each worker starts its own cluster
    elif not TEST_CLUSTER.status().running:
        TEST_CLUSTER.start()
        _started_here = True
    config.option.postgresql_host = str(TEST_CLUSTER.socket_dir)
    config.option.postgresql_port = TEST_PORT
    config.option.postgresql_user = "postgres"
    config.option.postgresql_drop_test_database = True


def pytest_unconfigure(config: pytest.Config) -> None:
    if _started_here and not os.environ.get("HUB_TEST_KEEP_CLUSTER"):
        if TEST_CLUSTER.link.is_symlink():
            # its data live outside the checkout (runner/serveruser.py fallback_dir): deleting the
            # checkout would leave them behind, so they go now (the next run makes the cluster anew)
            TEST_CLUSTER.remove()
        else:
            TEST_CLUSTER.stop()


def remove_fallback_dirs(under: Path) -> list[Path]:
    """Every directory a symlink under ``under`` points to in the server user's fallback place
    (runner/serveruser.py fallback_dir: clusters and pgBackRest repositories made in a directory the
    postgres user cannot reach, e.g. pytest's tmp dirs as root), deleted with its link; a cluster
    still running is stopped first. Returns the deleted directories."""
    removed: list[Path] = []
    for parent, dirs, files in os.walk(under):
        for name in (*dirs, *files):
            link = Path(parent) / name
            if not link.is_symlink():
                continue
            target = link.resolve()
            if not is_fallback(target):
                continue
            if (target / "data").exists():
                Cluster(link.parent, 0, name=link.name).remove()
            else:
                shutil.rmtree(target, ignore_errors=True)
                link.unlink()
            removed.append(target)
    return removed


@pytest.fixture(scope="session", autouse=True)
def remove_tmp_clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """At the session's end: the clusters (and backup repositories) that tests made in their tmp
    dirs whose data went to /var/lib/postgresql/shoptet-hub/ (as root) are stopped and deleted;
    pytest removes old tmp dirs but not what their symlinks point to."""
    yield
    remove_fallback_dirs(tmp_path_factory.getbasetemp())


def _conninfo(host: str, port: int | str, user: str, dbname: str, password: str | None = None) -> str:
    return psycopg.conninfo.make_conninfo(
        host=host, port=str(port), user=user, dbname=dbname, password=password or None
    )


def load_schema(host: str, port: int, user: str, dbname: str, password: str | None = None, **_: Any) -> None:
    """Build the template: the real migrations and function files."""
    migrate(target_for_conninfo(_conninfo(host, port, user, dbname, password)))


postgresql_noproc = factories.postgresql_noproc(dbname="hub_test", load=[load_schema])
postgresql = factories.postgresql("postgresql_noproc")


@pytest.fixture(scope="session")
def db_pool(postgresql_noproc: Any) -> Iterator[DatabasePool]:
    """Copies of the migrated template made ahead by a background thread, used ones dropped by
    another (tests/db_pool.py): a test does not wait for CREATE/DROP DATABASE while others run."""
    proc = postgresql_noproc
    pool = DatabasePool(_conninfo(proc.host, proc.port, proc.user, "postgres", proc.password), proc.template_dbname)
    yield pool
    pool.close()


@pytest.fixture
def db(db_pool: DatabasePool, postgresql_noproc: Any) -> Iterator[Target]:
    """A freshly migrated database of its own for this test, as a Target (admin/app/readonly):
    a copy of the template nobody used before, dropped after the test (connections ended)."""
    proc = postgresql_noproc
    name = db_pool.take()
    try:
        yield target_for_conninfo(_conninfo(proc.host, proc.port, proc.user, name, proc.password))
    finally:
        db_pool.give_back(name)


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


def _marker_kwargs(request: pytest.FixtureRequest, name: str) -> dict[str, Any]:
    marker = request.node.get_closest_marker(name)
    return dict(marker.kwargs) if marker else {}


@pytest.fixture(scope="session")
def sandbox_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Snapshot files of an unchanged shop, cached here across the session's sandboxes."""
    return tmp_path_factory.mktemp("sandbox")


@pytest.fixture
def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sandbox]:
    """The sandbox Shoptet served in a thread (``@pytest.mark.sandbox(**options)``); stopped after the test."""
    options = {**SANDBOX_DEFAULTS, **_marker_kwargs(request, "sandbox")}
    shared = options.pop("shared_files", False)
    data_dir = request.getfixturevalue("sandbox_files") if shared else tmp_path / "sandbox"
    box = Sandbox(data_dir=data_dir, **options)
    with box.run_in_thread():
        yield box


@pytest.fixture
def sandbox_cfg(
    request: pytest.FixtureRequest, sandbox: Sandbox, hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Config:
    """The hub's Config pointed at the sandbox: HUB_SHOPTET_API_URL and ``@pytest.mark.shop(env={...})``."""
    for key, value in _marker_kwargs(request, "shop").get("env", {}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HUB_SHOPTET_API_URL", sandbox.base_url())
    return Config.from_env()


@pytest.fixture
def shop(request: pytest.FixtureRequest, sandbox: Sandbox, sandbox_cfg: Config) -> Config:
    """The sandbox's shop connected as `hub shop add` does it
    (``@pytest.mark.shop(master=..., register_webhooks=...)``)."""
    options = _marker_kwargs(request, "shop")
    unknown = set(options) - {"env", "master", "register_webhooks"}
    assert not unknown, f"@pytest.mark.shop: unknown arguments {sorted(unknown)}"
    added = add_shop(
        sandbox_cfg,
        sandbox.private_token(DEFAULT_SHOP),
        master=options.get("master", False),
        register_webhooks=options.get("register_webhooks", True),
    )
    assert added.shop_id == DEFAULT_SHOP and added.webhook_error is None, added
    return sandbox_cfg


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Subprocesses a test starts (`hub serve`, workers): stopped at its end, whatever happened."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    stop(started)
