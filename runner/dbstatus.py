"""`hub db status`: where the database is, whether it answers, what is pending."""

from __future__ import annotations

from typing import Any

import psycopg

from runner.config import Config
from runner.db import DatabaseUnavailable, connect, embedded_cluster, target_for
from runner.errors import summarize
from runner.queries import query


def status(cfg: Config) -> dict[str, Any]:
    info: dict[str, Any] = {}
    target = target_for(cfg)
    if cfg.embedded:
        st = embedded_cluster(cfg).status()
        info.update(
            mode="embedded",
            initialized=st.initialized,
            running=st.running,
            pid=st.pid,
            port=st.port,
            data_dir=st.data_dir,
            socket_dir=st.socket_dir,
            log_file=st.log_file,
        )
    else:
        info.update(mode="external", database=target.description)
    try:
        with connect(target, "admin", autocommit=True, connect_timeout=5) as conn:
            row = conn.execute(query("dbstatus.server")).fetchone()
            assert row is not None
            info.update(reachable=True, server_version=row[0], database_size=row[1], connections=row[2])
    except DatabaseUnavailable as exc:
        info.update(reachable=False, error=str(exc))
        return info
    from runner.migrate import pending_migrations

    try:
        pending = pending_migrations(target)
        info["pending_migrations"] = len(pending)
        if pending:
            info["next_migration"] = pending[0]
    except psycopg.Error as exc:
        info["pending_migrations"] = f"unknown ({summarize(exc, one_line=True, label=False)})"
    return info
