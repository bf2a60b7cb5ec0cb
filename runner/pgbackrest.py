"""pgBackRest for the embedded cluster: WAL archiving, full / differential / incremental backups,
verify, expire, and restoring a copy of the cluster as of a moment (point-in-time recovery).

The repository is ``HUB_BACKUP_DIR/pgbackrest`` (stanza ``hub``); pgBackRest's own config, lock
and log directories are ``<cluster root>/pgbackrest/`` (so clusters of several checkouts on one
machine never share a lock). The config file is written by the hub and read by every command and
by the server's ``archive_command``; edits to it are overwritten. pgbackrest always runs as the
server's OS user (``postgres`` when the hub runs as root): it reads the data directory, and the
server runs the archive command as that user, so the repository must be that user's.

Imports only the standard library, runner.errors and runner.serveruser (runner.cluster imports it).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from runner.errors import HubError
from runner.serveruser import make_server_dir, make_server_file, prepare_server_dir, run_as_server

STANZA = "hub"
INSTALL_HINT = "apt-get install pgbackrest (or run `make setup`)"


class PgBackRestError(HubError):
    """pgbackrest is missing or one of its commands failed; the message says which and why."""


def installed() -> str | None:
    """The pgbackrest executable, or None when it is not installed."""
    return shutil.which("pgbackrest")


def require() -> str:
    """The pgbackrest executable; PgBackRestError when it is not installed."""
    found = installed()
    if found is None:
        raise PgBackRestError(f"pgbackrest is not installed (not found on PATH): {INSTALL_HINT}")
    return found


@dataclass(frozen=True)
class PgBackRest:
    """One cluster's pgBackRest: where its config, repository and data directory are."""

    work_dir: Path  # <cluster root>/pgbackrest: config file, lock/, log/
    repo_link: Path  # HUB_BACKUP_DIR/pgbackrest (a symlink when the server user cannot reach it)
    data_dir: Path
    socket_dir: Path
    port: int
    retention_days: int = 30

    @property
    def config(self) -> Path:
        return self.work_dir / "pgbackrest.conf"

    @property
    def log_dir(self) -> Path:
        return self.work_dir / "log"

    def _base(self) -> list[str]:
        # an include path of our own: options in /etc/pgbackrest/conf.d must not redirect the hub's repository
        return [
            require(),
            f"--config={self.config}",
            f"--config-include-path={self.work_dir / 'conf.d'}",
            f"--stanza={STANZA}",
        ]

    def archive_command(self) -> str:
        """The server's archive_command (%p: the WAL file)."""
        return " ".join([*self._base(), "archive-push", "%p"])

    # -- set-up ----------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Directories (the server user's) and the config file, written afresh."""
        for path in (self.work_dir, self.work_dir / "conf.d", self.work_dir / "lock", self.log_dir):
            make_server_dir(path, 0o700)
        self.repo_link.parent.mkdir(parents=True, exist_ok=True)
        prepare_server_dir(self.repo_link, 0o750, suffix="-pgbackrest")
        lines = [
            "# written by the hub (runner/pgbackrest.py) on `hub db start` and `hub backup`; edits are overwritten",
            "[global]",
            f"repo1-path={self.repo_link.resolve()}",
            # time-based: keep full backups (and the WAL after them) to restore any moment of the last N days
            "repo1-retention-full-type=time",
            f"repo1-retention-full={self.retention_days}",
            # zstd level 1: every WAL segment an import writes is compressed by archive-push; a 16 MB
            # segment takes ~0.03 s of CPU at level 1, ~0.05 s at 3 (the pgBackRest default), for
            # files ~6 % larger: ~1 s less CPU per 140,000-order first import on a 2-core machine
            "compress-type=zst",
            "compress-level=1",
            "start-fast=y",
            "process-max=2",
            f"lock-path={self.work_dir / 'lock'}",
            f"log-path={self.log_dir}",
            "log-level-console=warn",
            "log-level-stderr=warn",
            "log-level-file=info",
            "",
            f"[{STANZA}]",
            f"pg1-path={self.data_dir}",
            f"pg1-socket-path={self.socket_dir}",
            f"pg1-port={self.port}",
            "pg1-user=postgres",
            "",
        ]
        self.config.write_text("\n".join(lines))
        make_server_file(self.config, 0o600)

    # -- commands --------------------------------------------------------------------------------

    def run(self, command: str, *options: str, timeout: float | None = None) -> str:
        """``pgbackrest <command> <options>`` as the server's OS user; its standard output, or
        PgBackRestError with pgbackrest's own error line."""
        result = run_as_server([*self._base(), *options, command], cwd=self.work_dir, timeout=timeout)
        if result.returncode != 0:
            lines = [ln.strip() for ln in (result.stderr + "\n" + result.stdout).splitlines() if ln.strip()]
            errors = [ln for ln in lines if "ERROR" in ln or "HINT" in ln] or lines[-3:] or ["(no output)"]
            raise PgBackRestError(
                f"pgbackrest {command} failed (exit {result.returncode}): {' '.join(errors)[-1500:]} "
                f"(repository {self.repo_link}, log {self.log_dir})"
            )
        return result.stdout

    def ensure_stanza(self) -> bool:
        """Config written and the stanza made (needs the server up); True when it was created now.
        Run on every start: it also notices a repository that belongs to another cluster."""
        self.prepare()
        existed = self.has_stanza()
        self.run("stanza-create", timeout=300)
        return not existed

    def backup(self, kind: str) -> dict[str, Any]:
        """A ``full``, ``diff`` or ``incr`` backup (pgBackRest makes a full one when none exists
        yet), then expires what the retention allows; the new backup's summary."""
        if kind not in ("full", "diff", "incr"):
            raise PgBackRestError(f"backup type {kind!r}: expected full, diff or incr")
        self.ensure_stanza()
        self.run("backup", f"--type={kind}")
        backups = self.backups()
        if not backups:
            raise PgBackRestError(f"pgbackrest backup reported success but no backup is listed in {self.repo_link}")
        return backups[-1]

    def info(self) -> dict[str, Any]:
        """``pgbackrest info`` of the stanza, parsed (backups, WAL archive range, status)."""
        self.prepare()
        stanzas = json.loads(self.run("info", "--output=json", timeout=300) or "[]")
        return stanzas[0] if stanzas else {}

    def backups(self) -> list[dict[str, Any]]:
        """Backups in the repository, oldest first: label, type, started, finished (UTC), sizes."""
        found = []
        for b in self.info().get("backup", []):
            found.append(
                {
                    "label": b["label"],
                    "type": b["type"],
                    "started": datetime.fromtimestamp(b["timestamp"]["start"], UTC),
                    "finished": datetime.fromtimestamp(b["timestamp"]["stop"], UTC),
                    "database_bytes": b["info"]["size"],
                    "repository_bytes": b["info"]["repository"]["delta"],
                    "error": bool(b.get("error")),
                }
            )
        return found

    def verify(self) -> str:
        """``pgbackrest verify``: every file of the backups and the WAL archive against its checksum;
        PgBackRestError naming what is wrong, else pgbackrest's summary."""
        self.prepare()
        # pgbackrest 2.45 exits 0 whatever it finds: its text report says "status: ok" or "status: error"
        out = self.run("verify", "--output=text", "--verbose", timeout=None)
        if "status: ok" not in out or "status: error" in out:
            report = " | ".join(ln.strip() for ln in out.splitlines() if ln.strip())
            raise PgBackRestError(f"pgbackrest verify found damage in {self.repo_link}: {report[-1500:]}")
        return out.strip()

    def has_stanza(self) -> bool:
        """Has the stanza been created in the repository (by a start of the cluster)?"""
        return (self.repo_link / "backup" / STANZA / "backup.info").exists()

    def expire(self, days: int | None = None) -> None:
        """Backups and WAL beyond the retention removed: full backups older than ``days`` (default
        the configured retention_days) go, keeping what restores any moment of those days."""
        self.prepare()
        self.run("expire", *([f"--repo1-retention-full={days}"] if days is not None else []), timeout=None)

    def check(self) -> None:
        """``pgbackrest check``: the server's current WAL segment is switched and archived (waits
        for it), so that everything committed so far can be restored."""
        self.prepare()
        self.run("check", timeout=300)

    def restore_to_time(self, data_dir: Path, target: datetime) -> None:
        """Restore a copy of the cluster into the (empty) ``data_dir``, set up to replay the WAL up
        to ``target`` and then promote (end recovery). The server is started by the caller."""
        backups = self.backups()
        if not backups:
            raise PgBackRestError(
                f"no pgBackRest backup in {self.repo_link} yet: the first one is made by the nightly job, "
                "or now by `hub backup run --pitr full`"
            )
        # pgBackRest keeps a backup's end in whole seconds and wants one ending before the target's second
        earliest = min(b["finished"] for b in backups) + timedelta(seconds=1)
        if target < earliest:
            raise PgBackRestError(
                f"{target.isoformat()} is before the oldest pgBackRest backup has ended: the earliest moment "
                f"a copy can be restored to is {earliest.isoformat()}"
            )
        self.run(
            "restore",
            f"--pg1-path={data_dir}",
            "--type=time",
            f"--target={target.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S.%f+00')}",
            "--target-action=promote",
            timeout=None,
        )
