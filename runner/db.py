"""Where the database is and how to connect to it, as which role.

Three kinds of connection:

* ``admin``: migrations, maintenance, psql. Embedded: the ``postgres``
  superuser. External: HUB_ADMIN_DATABASE_URL (defaults to HUB_DATABASE_URL).
* ``app``: the runner, web app and workers. Embedded: the ``hub_app`` login.
  External: HUB_DATABASE_URL as given (point it at a login that is a member of
  ``hub_app``).
* ``readonly``: analysts. Embedded: the ``hub_readonly`` login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import psycopg

from runner.cluster import DATABASE, Cluster
from runner.config import Config
from runner.connection import DatabaseUnavailable as DatabaseUnavailable  # importable from here, as before
from runner.connection import open_connection

Role = Literal["admin", "app", "readonly"]
EMBEDDED_USERS: dict[Role, str] = {"admin": "postgres", "app": "hub_app", "readonly": "hub_readonly"}


def embedded_cluster(cfg: Config) -> Cluster:
    """The hub's own cluster; it archives its WAL with pgBackRest into HUB_BACKUP_DIR/pgbackrest."""
    return Cluster(cfg.home, cfg.db_port, backup_dir=cfg.backup_dir, backup_keep_days=cfg.backup_keep_days)


@dataclass(frozen=True)
class Target:
    """One database the hub talks to: a conninfo per role plus a description; ``embedded`` when it
    is the hub's own cluster (then a failed connection suggests `hub db start`)."""

    admin: str
    app: str
    readonly: str
    description: str
    embedded: bool = False

    def conninfo(self, role: Role = "app") -> str:
        return {"admin": self.admin, "app": self.app, "readonly": self.readonly}[role]

    def with_dbname(self, dbname: str) -> Target:
        """The same server and roles, another database (dry runs, tests)."""
        return Target(
            admin=_set_dbname(self.admin, dbname),
            app=_set_dbname(self.app, dbname),
            readonly=_set_dbname(self.readonly, dbname),
            description=f"{self.description} (database {dbname})",
            embedded=self.embedded,
        )


def _set_dbname(conninfo: str, dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(conninfo, dbname=dbname)


def target_for(cfg: Config) -> Target:
    if cfg.database_url:
        assert cfg.admin_database_url is not None
        # readonly: same server, the hub_readonly role
        readonly = psycopg.conninfo.make_conninfo(cfg.database_url, options="-c role=hub_readonly")
        return Target(
            admin=cfg.admin_database_url,
            app=cfg.database_url,
            readonly=readonly,
            description=f"HUB_DATABASE_URL ({redact(cfg.database_url)})",
        )
    cluster = embedded_cluster(cfg)
    return Target(
        admin=cluster.conninfo(EMBEDDED_USERS["admin"]),
        app=cluster.conninfo(EMBEDDED_USERS["app"]),
        readonly=cluster.conninfo(EMBEDDED_USERS["readonly"]),
        description=f"embedded cluster in {cluster.link} (socket {cluster.socket_dir})",
        embedded=True,
    )


def target_for_conninfo(admin_conninfo: str) -> Target:
    """A target from one superuser conninfo; app and readonly become their own logins."""
    return Target(
        admin=admin_conninfo,
        app=psycopg.conninfo.make_conninfo(admin_conninfo, user=EMBEDDED_USERS["app"]),
        readonly=psycopg.conninfo.make_conninfo(admin_conninfo, user=EMBEDDED_USERS["readonly"]),
        description=f"database {psycopg.conninfo.conninfo_to_dict(admin_conninfo).get('dbname')}",
    )


def redact(url: str) -> str:
    """A URL or conninfo with any password replaced, safe to log."""
    if "://" in url:
        parts = urlsplit(url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return urlunsplit(parts._replace(netloc=netloc))
        return url
    params = psycopg.conninfo.conninfo_to_dict(url)
    if "password" in params:
        params["password"] = "***"
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items()})


def connect(target: Target, role: Role = "app", *, autocommit: bool = False, **kwargs: object) -> psycopg.Connection:
    """A connection to ``target`` as ``role`` (through runner.connection.open_connection: a failure is
    DatabaseUnavailable naming the database and role, with `hub db start` for the embedded cluster)."""
    return open_connection(
        target.conninfo(role),
        what=f"{target.description} as {role}",
        hint=target.embedded,
        autocommit=autocommit,
        **kwargs,
    )


def yoyo_url(conninfo: str) -> str:
    """yoyo's URL form of a conninfo or URL (it wants postgresql+psycopg:// for psycopg 3)."""
    return conninfo_to_url(conninfo).replace("postgresql://", "postgresql+psycopg://", 1)


def conninfo_to_url(conninfo: str) -> str:
    """A libpq key=value conninfo as a postgresql:// URL (socket hosts go in the query string)."""
    from urllib.parse import quote

    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    user = quote(str(params.pop("user", "")), safe="")
    password = params.pop("password", None)
    auth = f"{user}:{quote(str(password), safe='')}@" if password else (f"{user}@" if user else "")
    host = str(params.pop("host", ""))
    dbname = quote(str(params.pop("dbname", DATABASE)), safe="")
    query = {k: str(v) for k, v in params.items()}
    if host.startswith("/") or not host:
        if host:
            query = {"host": host, **query}
        netloc = auth
    else:
        port = query.pop("port", None)
        netloc = auth + host + (f":{port}" if port else "")
    qs = "&".join(f"{k}={quote(v, safe='/')}" for k, v in query.items())
    return f"postgresql://{netloc}/{dbname}" + (f"?{qs}" if qs else "")
