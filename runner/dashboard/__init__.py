"""The dashboard: server-rendered pages of the hub in the web app (`hub serve`, runner/web.py).

Layout (docs/dashboard.md):

* ``auth.py`` login, logout, sessions, CSRF, lock-out; ``passwords.py`` the argon2 hash setting;
* ``render.py`` the jinja2 environment, navigation and ``page()``; ``templates/`` (base.html,
  macros.html with the pager, empty state, progress bar and chart macros); ``static/`` CSS and
  the few lines of JS (auto-refresh, confirm dialogs), served from the package at /static;
* ``fmt.py`` numbers, money, sizes, times (one locale, the shop's time zone); ``charts.py`` SVG
  bars and lines; ``paging.py`` keyset pages; ``data.py`` named queries on the dashboard's pool;
* ``pages/<page>.py`` one module per page, each with ``ROUTES`` (its SQL in
  runner/sql/dashboard*.sql). PAGES lists them in the order they are mounted.

It reads what the SQL side already offers (ops.* monitoring views, keyset page functions,
analytics tables); actions (Retry, Cancel) call stored functions. No business logic here.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from psycopg_pool import AsyncConnectionPool
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from runner.dashboard.auth import Sessions
from runner.dashboard.data import make_pool
from runner.dashboard.fmt import DEFAULT_TIMEZONE
from runner.queries import query

logger = logging.getLogger("hub.dashboard")

PAGES = ("overview", "shops", "snapshots", "queues", "database", "customers", "segments", "inventory")
"""Modules of runner/dashboard/pages/, each with ROUTES."""


@dataclass
class Dashboard:
    """What the dashboard's handlers share in one process (``app.state.dashboard``)."""

    sessions: Sessions
    pool: AsyncConnectionPool
    _timezone: tuple[float, str] = field(default=(0.0, DEFAULT_TIMEZONE))
    _cache: dict[str, tuple[float, Any]] = field(default_factory=dict)
    _versioned: dict[str, tuple[float, Any, Any]] = field(default_factory=dict)
    _reloading: dict[str, asyncio.Task[None]] = field(default_factory=dict)

    async def cached(self, key: str, seconds: float, load: Callable[[], Awaitable[Any]]) -> Any:
        """load()'s result, kept in this process for seconds: for figures that need not be live to the
        second (the overview's 90-day charts), so that a page reload does not aggregate them again."""
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is not None and now - hit[0] < seconds:
            return hit[1]
        value = await load()
        if len(self._cache) > 1000:  # bounded: keys are per shop
            self._cache.clear()
        self._cache[key] = (now, value)
        return value

    async def cached_version(
        self, key: str, version: Any, load: Callable[[], Awaitable[Any]], *, fresh: float, stale: float
    ) -> Any:
        """load()'s result for figures with a version (a refresh of them changes it), kept in this
        process: stale-while-revalidate (RFC 5861's idea, in one process). An entry of the same version
        younger than ``fresh`` seconds is returned; an older one, or one of another version, younger
        than ``stale`` seconds is returned too while one background task loads the new figures for
        the next view, so a page never waits for an aggregate over a whole shop because a refresh
        ran (incremental refreshes run after every webhook batch). Without an entry, or past
        ``stale``, the caller waits for load(). Returns (value, version the value is of)."""
        now = time.monotonic()
        hit = self._versioned.get(key)
        if hit is not None:
            at, hit_version, value = hit
            if hit_version == version and now - at < fresh:
                return value, hit_version
            if now - at < stale:
                if key not in self._reloading:
                    self._reloading[key] = asyncio.create_task(self._reload(key, version, load))
                return value, hit_version
        value = await load()
        self._keep(key, version, value)
        return value, version

    async def _reload(self, key: str, version: Any, load: Callable[[], Awaitable[Any]]) -> None:
        try:
            self._keep(key, version, await load())
        except Exception:  # the view that asked got the earlier figures; the next one retries
            logger.exception("dashboard: reloading %s failed", key)
        finally:
            self._reloading.pop(key, None)

    def _keep(self, key: str, version: Any, value: Any) -> None:
        if len(self._versioned) > 1000:  # bounded: keys are per shop and page
            self._versioned.clear()
        self._versioned[key] = (time.monotonic(), version, value)

    async def timezone(self) -> str:
        """The hub's display time zone (the master shop's, else the first shop's, else Europe/Prague),
        for times that belong to no shop; read at most once a minute."""
        at, name = self._timezone
        if time.monotonic() - at < 60:
            return name
        async with self.pool.connection() as conn:
            cur = await conn.execute(query("dashboard.display_timezone"))
            found = await cur.fetchone()
        name = found[0] if found and found[0] else DEFAULT_TIMEZONE
        self._timezone = (time.monotonic(), name)
        return name


async def open_dashboard(conninfo: str, secret_key: str) -> Dashboard:
    pool = make_pool(conninfo)
    await pool.open(wait=False)
    return Dashboard(sessions=Sessions(secret_key), pool=pool)


async def close_dashboard(dashboard: Dashboard) -> None:
    await dashboard.pool.close()


def routes() -> list[BaseRoute]:
    """Every route of the dashboard: login/logout, the pages, and /static (CSS, JS) from the package."""
    from runner.dashboard import auth

    found: list[BaseRoute] = list(auth.ROUTES)
    for name in PAGES:
        found.extend(importlib.import_module(f"runner.dashboard.pages.{name}").ROUTES)
    found.append(Mount("/static", app=StaticFiles(packages=[("runner.dashboard", "static")]), name="static"))
    return found
