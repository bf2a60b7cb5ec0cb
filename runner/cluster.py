"""The embedded PostgreSQL 15 cluster under HUB_HOME.

Layout (all created on first start)::

    HUB_HOME/<name>/          the cluster root; a symlink when it must live elsewhere
        data/                 PGDATA
        run/                  unix socket directory
        postgres.log          server log
        pgbackrest/           pgBackRest's config, lock and log directories (runner/pgbackrest.py)

With a backup directory (HUB_BACKUP_DIR for the hub's own cluster) and ``pgbackrest``
installed, the server archives its WAL with pgBackRest into ``<backup dir>/pgbackrest``
(point-in-time recovery); ``hub db start`` writes and reconciles that configuration on every
start, so a cluster made before archiving existed gets it on its next start. Without
pgbackrest installed the cluster runs as before, archiving off (start says so).

Run as root, the server runs as the ``postgres`` OS user (initdb refuses root), and so does
pgbackrest (it reads the data directory and the server runs its archive command).
When the checkout is not reachable by that user (e.g. under /root, mode 700)
or the socket path would be too long for a unix socket, the cluster root is
placed under /var/lib/postgresql/shoptet-hub/ (or /tmp for a normal user) and
HUB_HOME/<name> is a symlink to it, so every path the hub prints still starts
with HUB_HOME.

Every failure raises ClusterError with a one-line message that says what to do.
"""

from __future__ import annotations

import errno
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from runner import pgbackrest as backrest
from runner.errors import HubError
from runner.serveruser import SUPERUSER, fallback_dir, make_server_dir, prepare_server_dir, run_as_server
from runner.serveruser import as_root as _run_as_postgres

PG_MAJOR = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_MAJOR}/bin")
PG_SHARE = Path(f"/usr/share/postgresql/{PG_MAJOR}")
DATABASE = "hub"
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
    "unaccent": f"postgresql-{PG_MAJOR}",
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


def _is_cluster_root(path: Path, link: Path) -> bool:
    """Is ``path`` (where ``link`` points) a cluster root the hub may delete: the fallback
    directory the hub made for ``link``, or a directory holding a PostgreSQL data directory?"""
    return path == fallback_dir(link) or (path / "data" / "PG_VERSION").exists()


def _os_user() -> str:
    return SUPERUSER if _run_as_postgres() else pwd.getpwuid(os.geteuid()).pw_name


class Cluster:
    """One PostgreSQL cluster owned by the hub."""

    def __init__(
        self,
        home: Path,
        port: int,
        *,
        name: str = "cluster",
        tcp: bool = True,
        fast: bool = False,
        backup_dir: Path | None = None,
        backup_keep_days: int = 30,
        start_timeout: int = 60,
    ):
        self.home = Path(home).resolve()
        self.port = port
        self.name = name
        self.tcp = tcp  # listen on 127.0.0.1:port as well as on the socket
        self.fast = fast  # fsync off etc.: only for throw-away test clusters
        self.link = self.home / name
        # WAL archiving with pgBackRest into backup_dir/pgbackrest (None: no archiving)
        self.backup_dir = Path(backup_dir).resolve() if backup_dir is not None else None
        self.backup_keep_days = backup_keep_days
        self.start_timeout = start_timeout  # seconds pg_ctl waits (a restored copy replays WAL first)

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

    @property
    def pgbackrest(self) -> backrest.PgBackRest | None:
        """pgBackRest of this cluster when it archives (a backup directory is set), else None;
        whether pgbackrest is installed is asked separately (runner.pgbackrest.installed)."""
        if self.backup_dir is None:
            return None
        return backrest.PgBackRest(
            work_dir=self.root / "pgbackrest",
            repo_link=self.backup_dir / "pgbackrest",
            data_dir=self.data_dir,
            socket_dir=self.socket_dir,
            port=self.port,
            retention_days=self.backup_keep_days,
        )

    def _archiver(self) -> backrest.PgBackRest | None:
        """The pgBackRest that archives this cluster's WAL: None without a backup directory or
        without pgbackrest installed."""
        return self.pgbackrest if backrest.installed() else None

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
        return run_as_server(argv, cwd=self.root, timeout=timeout)

    def _make_dir(self, path: Path, mode: int) -> None:
        make_server_dir(path, mode)

    def prepare_root(self) -> None:
        """The cluster root as a directory of the server's OS user (see prepare_server_dir): under
        HUB_HOME, or a symlink to a fallback when that user cannot reach it or the socket path
        would be too long."""
        self.home.mkdir(parents=True, exist_ok=True)
        prepare_server_dir(self.link, 0o700, usable_here=self._socket_path_ok(self.link))

    def _archive_lines(self) -> list[str]:
        archiver = self._archiver()
        if archiver is None:
            return ["archive_mode = off"]
        return [
            "# WAL archiving with pgBackRest (runner/pgbackrest.py); point-in-time recovery: hub backup restore --time",
            "archive_mode = on",
            f"archive_command = '{archiver.archive_command().replace(chr(39), chr(39) * 2)}'",
            "archive_timeout = 300",
            "wal_level = replica",
        ]

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
            *self._archive_lines(),
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
        self.prepare_root()
        self._check_version()
        if self.status().running:
            return [f"already running (pid {self.status().pid}, port {self.status().port})", *self._reconcile_running()]
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
                str(self.start_timeout),
                "start",
            ],
            timeout=self.start_timeout + 60,
        )
        if result.returncode != 0:
            tail = self._log_tail()
            raise ClusterError(f"PostgreSQL did not start: {tail or result.stderr.strip()} (log: {self.log_file})")
        self._ensure_database()
        done.append(f"started on port {self.port} (socket {self.socket_dir})")
        done += self._reconcile_archiving()
        return done

    def _reconcile_archiving(self) -> list[str]:
        """After a start: the pgBackRest repository and stanza exist for the archive command the
        server was started with; a line says what is so (or why there is no archiving)."""
        if self.backup_dir is None:
            return []
        archiver = self.pgbackrest
        assert archiver is not None
        if not backrest.installed():
            return [
                "WAL archiving is off: pgbackrest is not installed (apt-get install pgbackrest, or make setup; "
                "then hub db stop && hub db start); dumps (hub backup run) work without it"
            ]
        try:
            created = archiver.ensure_stanza()
        except backrest.PgBackRestError as exc:
            # the server runs; its WAL stays in pg_wal until the archive command works again
            return [f"WARNING: WAL archiving is failing: {exc}"]
        where = f"WAL archived with pgBackRest into {archiver.repo_link}"
        return [f"{where} (stanza created)" if created else where]

    def _reconcile_running(self) -> list[str]:
        """``start`` of a running cluster: rewrite hub.conf, reload it, and say when archiving
        needs a restart (archive_mode is read only at server start)."""
        if self.backup_dir is None or self._archiver() is None:
            return []
        from runner.connection import open_connection
        from runner.queries import query

        self._write_config()
        with open_connection(self.conninfo(dbname="postgres"), what=f"cluster in {self.link}", hint=False) as conn:
            conn.execute(query("cluster.reload_config"))
            row = conn.execute(query("cluster.archive_mode")).fetchone()
        if row is None or row[0] != "on":
            return [
                "WAL archiving is configured in hub.conf but the server started without it: "
                "restart to turn it on (hub db stop && hub db start)"
            ]
        return self._reconcile_archiving()

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

    def remove(self) -> list[str]:
        """Stop the cluster (if running) and delete it for good: its root under HUB_HOME and, when
        that is a symlink, the directory it points to (the fallback under
        /var/lib/postgresql/shoptet-hub/ or /tmp, see runner/serveruser.py). A backup repository
        (HUB_BACKUP_DIR) is not touched. Returns what was done, one line each; raises ClusterError
        when the link points somewhere that is not a cluster root (nothing is deleted then)."""
        if not (self.link.exists() or self.link.is_symlink()):
            return [f"no cluster in {self.link}: nothing to remove"]
        done: list[str] = []
        target = self.link.resolve() if self.link.is_symlink() else None
        if target is not None and target.exists() and not _is_cluster_root(target, self.link):
            raise ClusterError(
                f"{self.link} points to {target}, which is neither a cluster root nor the hub's fallback "
                f"directory for it: nothing removed (delete it by hand if it is yours)"
            )
        if self.status().running:
            done.append(self.stop())
        if target is not None:
            if target.exists():
                shutil.rmtree(target)
                done.append(f"deleted {target} (the cluster's data, {self.link} pointed there)")
            self.link.unlink()
            done.append(f"removed the link {self.link}")
        else:
            shutil.rmtree(self.link)
            done.append(f"deleted {self.link} (the cluster's data)")
        return done

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
