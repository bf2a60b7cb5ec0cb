"""The key that encrypts stored secrets: HUB_SECRET_KEY, else HUB_HOME/secret.key.

The file is generated on first need (32 random bytes, url-safe base64) with
mode 0600. A key file that others can read is refused: a secret key is only as
secret as its file.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from runner.config import Config
from runner.errors import HubError


class SecretKeyError(HubError):
    """The secret key cannot be read or is not safe to use."""


def key_file(cfg: Config) -> Path:
    return cfg.home / "secret.key"


def load_secret_key(cfg: Config, *, create: bool = True) -> str:
    if cfg.secret_key:
        return cfg.secret_key
    path = key_file(cfg)
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise SecretKeyError(f"{path} is readable by others (mode {mode:04o}): chmod 600 {path}")
        key = path.read_text().strip()
        if len(key) < 16:
            raise SecretKeyError(f"{path} holds no usable key (shorter than 16 characters)")
        return key
    if not create:
        raise SecretKeyError(f"no HUB_SECRET_KEY and no {path}")
    cfg.home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key
