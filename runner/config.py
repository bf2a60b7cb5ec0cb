"""Settings from the environment (HUB_*), and nothing else.

Every HUB_* variable the hub reads is declared here, with its default and a
one-line description; docs/operations.md documents the same list. A bad value raises
ConfigError naming the variable and the value, never a traceback deep inside
the code that uses it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from runner.errors import HubError

REPO_ROOT = Path(__file__).resolve().parent.parent
DB_DIR = REPO_ROOT / "db"

DEFAULT_DB_PORT = 54329
DEFAULT_SHOPTET_API_URL = "https://api.myshoptet.com"


class ConfigError(HubError):
    """A HUB_* variable is set to a value the hub cannot use."""


# name -> (default shown in docs, description). The single list of variables.
VARIABLES: dict[str, tuple[str, str]] = {
    "HUB_HOME": ("./.hub", "directory for the embedded cluster, its socket and log, and the generated secret key"),
    "HUB_DATABASE_URL": ("(embedded cluster)", "use this PostgreSQL server instead of the embedded one"),
    "HUB_ADMIN_DATABASE_URL": (
        "HUB_DATABASE_URL",
        "connection used for migrate/maintain (needs superuser or equivalent rights)",
    ),
    "HUB_DB_PORT": (str(DEFAULT_DB_PORT), "TCP port of the embedded cluster on 127.0.0.1"),
    "HUB_SECRET_KEY": ("(generated into HUB_HOME/secret.key)", "key that encrypts stored secrets (pgcrypto)"),
    "HUB_SHOPTET_API_URL": (
        DEFAULT_SHOPTET_API_URL,
        "Shoptet API base URL (point it at the sandbox for demos and tests)",
    ),
    "HUB_SHOPTET_TOKEN": (
        "(none)",
        "private API token for `hub shop add` when --token is not given (keeps it out of shell history)",
    ),
    "HUB_PUBLIC_URL": (
        "http://127.0.0.1:8000",
        "public base URL of the web app: webhooks, the feed URLs hub commands print (set it in every shell)",
    ),
    "HUB_BACKUP_DIR": (
        "HUB_HOME/backups",
        "dumps of `hub backup run` and the daily job (with .sha256 and manifest), and the pgBackRest repository",
    ),
    "HUB_BACKUP_KEEP": (
        "7",
        "the newest N completed dumps are never pruned, however old (a floor under HUB_BACKUP_KEEP_DAYS)",
    ),
    "HUB_BACKUP_KEEP_DAYS": (
        "30",
        "days of dumps kept by `hub backup prune` (the newest verified one always stays), and of pgBackRest backups",
    ),
    "HUB_SETTINGS_TTL": ("60", "seconds a cached setting may be served without a change notification (safety net)"),
    "HUB_LOG_LEVEL": (
        "WARNING (serve, worker, sandbox serve: INFO)",
        "DEBUG, INFO, WARNING or ERROR; INFO shows the full log of any command",
    ),
    "HUB_LOG_FORMAT": ("text", "'text' (key=value) or 'json' (one JSON object per line)"),
    "HUB_FEEDS_DIR": ("HUB_HOME/feeds", "published marketplace feeds (<feed_id>/<channel>.xml and .xml.gz)"),
}


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a TCP port number, got {raw!r}") from None
    if not 1024 <= value <= 65535:
        raise ConfigError(f"{name} must be between 1024 and 65535, got {value}")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a whole number") from None
    if value < 1:
        raise ConfigError(f"{name}={raw!r}: must be at least 1")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip()
    if value.upper() in choices:
        return value.upper()
    if value.lower() in choices:
        return value.lower()
    raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")


def _url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if not value:
        return None
    if not value.startswith(("postgresql://", "postgres://")):
        raise ConfigError(f"{name} must be a postgresql:// URL, got a value starting {value[:12]!r}")
    return value


@dataclass(frozen=True)
class Config:
    home: Path
    database_url: str | None
    admin_database_url: str | None
    db_port: int
    secret_key: str | None
    shoptet_api_url: str
    public_url: str
    settings_ttl: float
    log_level: str
    log_format: str
    backup_dir: Path = Path(".hub/backups")
    backup_keep: int = 7
    backup_keep_days: int = 30
    env: Mapping[str, str] = field(repr=False, default_factory=dict)

    @property
    def embedded(self) -> bool:
        """True when the hub runs its own cluster under HUB_HOME."""
        return self.database_url is None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        home = Path(env.get("HUB_HOME") or ".hub").expanduser()
        database_url = _url(env, "HUB_DATABASE_URL")
        admin_url = _url(env, "HUB_ADMIN_DATABASE_URL")
        if admin_url and not database_url:
            raise ConfigError("HUB_ADMIN_DATABASE_URL is set but HUB_DATABASE_URL is not: set both or neither")
        secret = env.get("HUB_SECRET_KEY") or None
        if secret is not None and len(secret) < 16:
            raise ConfigError("HUB_SECRET_KEY must be at least 16 characters long")
        return cls(
            home=home.resolve(),
            database_url=database_url,
            admin_database_url=admin_url or database_url,
            db_port=_port(env, "HUB_DB_PORT", DEFAULT_DB_PORT),
            secret_key=secret,
            shoptet_api_url=(env.get("HUB_SHOPTET_API_URL") or DEFAULT_SHOPTET_API_URL).rstrip("/"),
            public_url=(env.get("HUB_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            settings_ttl=_positive_float(env, "HUB_SETTINGS_TTL", 60.0),
            log_level=_choice(env, "HUB_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
            log_format=_choice(env, "HUB_LOG_FORMAT", "text", ("text", "json")),
            backup_dir=Path(env.get("HUB_BACKUP_DIR") or home / "backups").expanduser().resolve(),
            backup_keep=_positive_int(env, "HUB_BACKUP_KEEP", 7),
            backup_keep_days=_positive_int(env, "HUB_BACKUP_KEEP_DAYS", 30),
            env=env,
        )
