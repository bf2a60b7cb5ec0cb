"""Doing things as the OS user the PostgreSQL server runs as: ``postgres`` when the hub runs as
root (initdb, pg_ctl and the server refuse root; pgbackrest must write what the server's archive
command writes), else the user running the hub. Directories that user cannot reach where the hub
wants them (a checkout under /root, mode 700) live under /var/lib/postgresql/shoptet-hub/ (or
/tmp) with a symlink where they were wanted (runner/cluster.py, runner/pgbackrest.py).

Only the standard library is imported here.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

SUPERUSER = "postgres"
"""The server's OS user when the hub runs as root, and the database superuser of the embedded cluster."""


def as_root() -> bool:
    """Does the hub run as root (so the server and pgbackrest run as ``postgres``)?"""
    return os.geteuid() == 0


def run_as_server(
    argv: list[str], *, cwd: Path | None = None, timeout: float | None = 120
) -> subprocess.CompletedProcess[str]:
    """Run a command as the server's OS user (``postgres`` when we are root, else ourselves)."""
    if as_root():
        argv = ["runuser", "-u", SUPERUSER, "--", *argv]
    return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=timeout)


def reachable_by_server(path: Path) -> bool:
    """Can the server's OS user reach (traverse into) ``path``? Always true when it is us."""
    if not as_root():
        return True
    return run_as_server(["test", "-x", str(path)]).returncode == 0


def make_server_dir(path: Path, mode: int) -> None:
    """``path`` (and missing parents) as a directory of the server's OS user with ``mode``."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, mode)
    if as_root():
        shutil.chown(path, SUPERUSER, SUPERUSER)


def make_server_file(path: Path, mode: int) -> None:
    """``path`` (written by us) made the server's OS user's, with ``mode``."""
    os.chmod(path, mode)
    if as_root():
        shutil.chown(path, SUPERUSER, SUPERUSER)


def fallback_dir(link: Path, suffix: str = "") -> Path:
    """Where a directory the server's OS user cannot reach at ``link`` lives instead (``link`` is
    then a symlink to it): /var/lib/postgresql/shoptet-hub/<digest> as root, else /tmp."""
    digest = hashlib.sha1(str(link).encode()).hexdigest()[:12] + suffix
    if as_root():
        return Path("/var/lib/postgresql/shoptet-hub") / digest
    return Path("/tmp") / f"shoptet-hub-{os.geteuid()}-{digest}"


def is_fallback(path: Path) -> bool:
    """Is ``path`` a directory fallback_dir() hands out (for any link)?"""
    if as_root():
        return path.parent == Path("/var/lib/postgresql/shoptet-hub")
    return path.parent == Path("/tmp") and path.name.startswith(f"shoptet-hub-{os.geteuid()}-")


def prepare_server_dir(link: Path, mode: int = 0o700, *, usable_here: bool = True, suffix: str = "") -> None:
    """Make ``link`` a directory of the server's OS user: itself when that user can reach its
    parent and ``usable_here``, else a symlink to fallback_dir(link). An existing directory (or
    working symlink) stays as it is; a dangling symlink (e.g. /tmp cleaned) is made again."""
    if link.exists() or link.is_symlink():
        if link.is_symlink() and not link.exists():
            link.unlink()
        else:
            return
    link.parent.mkdir(parents=True, exist_ok=True)
    if usable_here and reachable_by_server(link.parent):
        make_server_dir(link, mode)
        return
    target = fallback_dir(link, suffix)
    if as_root():
        make_server_dir(target.parent, 0o755)
    make_server_dir(target, mode)
    link.symlink_to(target)
