"""The dashboard's database access: named queries (runner/sql/dashboard*.sql) on the dashboard's
own small connection pool, so that a slow page never takes a connection the webhook endpoint
needs. Connections are autocommit with a statement timeout; rows come as dicts. Callers pass the
query's text as ``query("dashboard.block")`` (a literal name: tests/test_named_queries.py checks
every use)."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from starlette.requests import Request

STATEMENT_TIMEOUT_MS = 10_000


def make_pool(conninfo: str, *, size: int = 4) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        conninfo,
        min_size=1,
        max_size=size,
        open=False,
        timeout=5.0,
        # procrastinate's functions (Retry, Cancel of a job) use unqualified names: its schema on the path
        kwargs={
            "autocommit": True,
            "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c search_path=procrastinate,public",
        },
        name="hub-dashboard",
    )


def pool_of(request: Request) -> AsyncConnectionPool:
    pool: AsyncConnectionPool = request.app.state.dashboard.pool
    return pool


async def rows(request: Request, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every row of a query (``query("dashboard.overview_shops")``)."""
    async with pool_of(request).connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        await cur.execute(sql, params or {})
        return await cur.fetchall()


async def row(request: Request, sql: str, params: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The first row of a query, or None."""
    found = await rows(request, sql, params)
    return found[0] if found else None


async def many(request: Request, queries: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Several queries on one connection (one pool checkout): section -> (query text, params) in,
    section -> rows out."""
    out: dict[str, list[dict[str, Any]]] = {}
    async with pool_of(request).connection() as conn:
        cur = conn.cursor(row_factory=dict_row)
        for section, (sql, params) in queries.items():
            await cur.execute(sql, params)
            out[section] = await cur.fetchall()
    return out
