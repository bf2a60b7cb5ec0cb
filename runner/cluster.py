"""The embedded PostgreSQL 15 cluster under HUB_HOME.

Layout (all created on first start)::

    HUB_HOME/<name>/          the cluster root; a symlink when it must live elsewhere
        data/                 PGDATA
        run/                  unix socket directory
        postgres.log          server log

Run as root, the server runs as the ``postgres`` OS user (initdb refuses root).
When the checkout is not reachable by that user (e.g. under /root, mode 700)
or the socket path would be too long for a unix socket, the cluster root is
placed under /var/lib/postgresql/shoptet-hub/ (or /tmp for a normal user) and
HUB_HOME/<name> is a symlink to it, so every path the hub prints still starts
with HUB_HOME.

Every failure raises ClusterError with a one-line message that says what to do.
"""

from __future__ import annotations

import errno
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from runner.errors import HubError

PG_MAJOR = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
PG_SHARE = Path(f"/usr/share/postgresql/{PG_MAJOR}")
DATABASE = "hub"
SUPERUSER = "postgres"
# unix socket paths are limited to 107 bytes; keep a margin
_MAX_SOCKET_PATH = 100

# extension -> Debian package that ships it
REQUIRED_EXTENSIONS = {
    "pg_partman": f"postgresql-{PG_MAJOR}-partman",
    "pg_stat_statements": f"postgresql-{PG_MAJOR}",
    "pgcrypto": f"postgresql-{PG_MAJOR}",
    "pg_trgm": f"postgresql-{PG_MAJOR}",
    "btree_gin": f"postgresql-{PG_MAJOR}",
    "amcheck": f"postgresql-{PG_MAJOR}",
}


class ClusterError(HubError):
    """The embedded cluster cannot do what was asked; the message says why and what to do."""


@dataclass
class ClusterStatus:
    running: bool
    initialized: bool
    pid: int | None
    port: int
    root: Path
    data_dir: Path
    socket_dir: Path
    log_file: Path


def _run_as_postgres() -> bool:
    return os.geteuid() == 0


def _os_user() -> str:
    return SUPERUSER if _run_as_postgres() else pwd.getpwuid(os.geteuid()).pw_name


class Cluster:
    """One PostgreSQL cluster owned by the hub."""

    def __init__(self, home: Path, port: int, *, name: str = "cluster", tcp: bool = True, fast: bool = False):
        self.home = Path(home).resolve()
        self.port = port
        self.name = name
        self.tcp = tcp  # listen on 127.0.0.1:port as well as on the socket
        self.fast = fast  # fsync off etc.: only for throw-away test clusters
        self.link = self.home / name

    # -- paths -------------------------------------------------------------

    @property
    def root(self) -> Path:
        """The real cluster root (following the symlink, if any)."""
        return self.link.resolve() if self.link.is_symlink() else self.link

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    def _fallback_root(self) -> Path:
        digest = hashlib.sha1(str(self.link).encode()).hexdigest()[:12]
        if _run_as_postgres():
            return Path("/var/lib/postgresql/shoptet-hub") / digest
        return Path("/tmp") / f"shoptet-hub-{os.geteuid()}-{digest}"

    def _reachable_by_server_user(self, path: Path) -> bool:
        if not _run_as_postgres():
            return True
        probe = subprocess.run(["runuser", "-u", SUPERUSER, "--", "test", "-x", str(path)], capture_output=True)
        return probe.returncode == 0

    def _socket_path_ok(self, root: Path) -> bool:
        return len(str(root / "run" / f".s.PGSQL.{self.port}").encode()) <= _MAX_SOCKET_PATH

    # -- checks ------------------------------------------------------------

    def check_installation(self) -> None:
        """Server binaries and every extension package the migrations need are installed."""
        if not (PG_BIN / "pg_ctl").exists():
            raise ClusterError(
                f"PostgreSQL {PG_MAJOR} server binaries not found in {PG_BIN}: "
                f"apt-get install postgresql-{PG_MAJOR} (or run `make setup`)"
            )
        for ext, package in REQUIRED_EXTENSIONS.items():
            if not (PG_SHARE / "extension" / f"{ext}.control").exists():
                raise ClusterError(f"extension {ext} is not installed: apt-get install {package} (or run `make setup`)")
        if _run_as_postgres():
            try:
                pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise ClusterError(
                    f"running as root needs the '{SUPERUSER}' OS user, which postgresql-{PG_MAJOR} creates: "
                    f"apt-get install postgresql-{PG_MAJOR}"
                ) from None

    def _check_version(self) -> None:
        version_file = self.data_dir / "PG_VERSION"
        if version_file.exists():
            found = version_file.read_text().strip()
            if found != PG_MAJOR:
                raise ClusterError(
                    f"data directory {self.data_dir} was made by PostgreSQL {found}, this hub runs {PG_MAJOR}: "
                    f"move it away (or pg_upgrade it) and start again"
                )

    def _pid_from_file(self) -> int | None:
        pid_file = self.data_dir / "postmaster.pid"
        try:
            first = pid_file.read_text().splitlines()[0]
            return int(first)
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None

    def _pid_alive_postgres(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, PermissionError):
            return False
        return b"postgres" in cmdline

    def _clear_stale_pid(self) -> str | None:
        pid_file = self.data_dir / "postmaster.pid"
        if not pid_file.exists():
            return None
        pid = self._pid_from_file()
        if pid is not None and self._pid_alive_postgres(pid):
            return None
        pid_file.unlink()
        return f"removed stale pid file {pid_file} (pid {pid} is not a running postgres)"

    def _check_port_free(self) -> None:
        if not self.tcp:
            return
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", self.port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise ClusterError(
                        f"port {self.port} on 127.0.0.1 is already in use by another program: "
                        f"set HUB_DB_PORT to a free port"
                    ) from None
                raise ClusterError(f"cannot bind 127.0.0.1:{self.port}: {exc.strerror}") from None

    # -- running commands --------------------------------------------------

    def _run(self, argv: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        if _run_as_postgres():
            argv = ["runuser", "-u", SUPERUSER, "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, cwd=self.root, timeout=timeout)

    def _make_dir(self, path: Path, mode: int) -> None:
        path.mkdir(parents=True, exist_ok=True)
        os.chmod(path, mode)
        if _run_as_postgres():
            shutil.chown(path, SUPERUSER, SUPERUSER)

    def _prepare_root(self) -> None:
        if self.link.exists() or self.link.is_symlink():
            if self.link.is_symlink() and not self.link.exists():
                # dangling link: the fallback location vanished (e.g. /tmp cleaned)
                self.link.unlink()
            else:
                return
        self.home.mkdir(parents=True, exist_ok=True)
        if self._reachable_by_server_user(self.home) and self._socket_path_ok(self.link):
            self._make_dir(self.link, 0o700)
            return
        target = self._fallback_root()
        if _run_as_postgres():
            self._make_dir(target.parent, 0o755)
        self._make_dir(target, 0o700)
        self.link.symlink_to(target)

    def _write_config(self) -> None:
        lines = [
            "# written by `hub db start` on every start; edit postgresql.conf for your own settings",
            f"listen_addresses = '{'127.0.0.1' if self.tcp else ''}'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.socket_dir}'",
            "unix_socket_permissions = 0700",
            "shared_preload_libraries = 'pg_stat_statements'",
            "pg_stat_statements.track = top",
            "max_connections = 100",
            "max_locks_per_transaction = 256",
            "log_min_duration_statement = 1000",
            "log_line_prefix = '%m [%p] %q%u@%d '",
            "timezone = 'UTC'",
        ]
        if self.fast:
            lines += ["fsync = off", "synchronous_commit = off", "full_page_writes = off", "shared_buffers = 128MB"]
        else:
            lines += ["shared_buffers = 512MB", "work_mem = 32MB", "maintenance_work_mem = 256MB"]
        conf = self.data_dir / "hub.conf"
        conf.write_text("\n".join(lines) + "\n")
        if _run_as_postgres():
            shutil.chown(conf, SUPERUSER, SUPERUSER)
        main_conf = self.data_dir / "postgresql.conf"
        text = main_conf.read_text()
        if "include_if_exists = 'hub.conf'" not in text:
            main_conf.write_text(text + "\n# shoptet hub settings\ninclude_if_exists = 'hub.conf'\n")

    def _initdb(self) -> None:
        self._make_dir(self.data_dir, 0o700)
        self._make_dir(self.socket_dir, 0o700)
        result = self._run(
            [
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise ClusterError(f"initdb failed in {self.data_dir}: {last}")

    # -- public operations -------------------------------------------------

    def status(self) -> ClusterStatus:
        initialized = (self.data_dir / "PG_VERSION").exists()
        pid = self._pid_from_file() if initialized else None
        running = pid is not None and self._pid_alive_postgres(pid)
        return ClusterStatus(
            running=running,
            initialized=initialized,
            pid=pid if running else None,
            port=self.running_port() or self.port,
            root=self.root,
            data_dir=self.data_dir,
            socket_dir=self.socket_dir,
            log_file=self.log_file,
        )

    def running_port(self) -> int | None:
        """Port of the running server from postmaster.pid (line 4), if any."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
            return int(lines[3])
        except (FileNotFoundError, IndexError, ValueError, PermissionError):
            return None

    def start(self) -> list[str]:
        """Create (first time) and start the cluster; return what was done, one line each."""
        self.check_installation()
        done: list[str] = []
        self._prepare_root()
        self._check_version()
        if self.status().running:
            return [f"already running (pid {self.status().pid}, port {self.status().port})"]
        stale = self._clear_stale_pid()
        if stale:
            done.append(stale)
        self._check_port_free()
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
            done.append(f"initialized a new cluster in {self.data_dir}")
        self._make_dir(self.socket_dir, 0o700)
        self._write_config()
        result = self._run(
            [
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )
        if result.returncode != 0:
            tail = self._log_tail()
            raise ClusterError(f"PostgreSQL did not start: {tail or result.stderr.strip()} (log: {self.log_file})")
        self._ensure_database()
        done.append(f"started on port {self.port} (socket {self.socket_dir})")
        return done

    def stop(self) -> str:
        st = self.status()
        if not st.initialized:
            return f"no cluster in {self.data_dir}"
        if not st.running:
            return "not running"
        result = self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop"])
        if result.returncode != 0:
            raise ClusterError(f"pg_ctl stop failed: {result.stderr.strip()}")
        return f"stopped (was pid {st.pid})"

    def _log_tail(self) -> str:
        try:
            lines = [ln for ln in self.log_file.read_text(errors="replace").splitlines() if ln.strip()]
        except (FileNotFoundError, PermissionError):
            return ""
        for line in reversed(lines):
            if "FATAL" in line or "ERROR" in line:
                return line.split("FATAL:", 1)[-1].split("ERROR:", 1)[-1].strip()
        return lines[-1] if lines else ""

    def conninfo(self, user: str = SUPERUSER, dbname: str = DATABASE) -> str:
        return f"host={self.socket_dir} port={self.running_port() or self.port} user={user} dbname={dbname}"

    def url(self, user: str = SUPERUSER, dbname: str = DATABASE) -> str:
        return f"postgresql://{user}@/{dbname}?host={self.socket_dir}&port={self.running_port() or self.port}"

    def _ensure_database(self) -> None:
        from psycopg import sql

        from runner.connection import DatabaseUnavailable, open_connection
        from runner.queries import query

        deadline = time.monotonic() + 30
        while True:
            try:
                with open_connection(
                    self.conninfo(dbname="postgres"), what=f"cluster in {self.link}", hint=False, autocommit=True
                ) as conn:
                    exists = conn.execute(query("cluster.database_exists"), {"dbname": DATABASE}).fetchone()
                    if not exists:
                        conn.execute(sql.SQL(query("cluster.create_database")).format(sql.Identifier(DATABASE)))
                    return
            except DatabaseUnavailable as exc:
                if time.monotonic() > deadline:
                    raise ClusterError(f"cluster started but does not accept connections: {exc}") from None
                time.sleep(0.2)
