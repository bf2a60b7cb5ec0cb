"""What the merchant pages (Customers, Segments, Inventory) share: which shop a page shows.

A page names its shop with ``?shop=<id>`` (or in its path); without one it shows the master shop,
else the lowest shop id. The shop brings its time zone (dates on the page are in it) and the
currency its analytics amounts are in (runner/sql/dashboard_merchant.sql)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from starlette.requests import Request

from runner.dashboard import data
from runner.errors import HubError
from runner.queries import query

NO_SHOP_COMMAND = "hub shop add …"
CACHE_SECONDS = 60.0
"""How long a page keeps figures aggregated over a whole shop (segment sizes, inventory lists) in
this process as current when no refresh changed them (stock synced since is not a new version)."""
STALE_SECONDS = 600.0
"""How long such figures may still be shown while newer ones are computed in the background after
a refresh (a new version) or after CACHE_SECONDS; the page says as of when they are."""

T = TypeVar("T")


class BadParameter(HubError):
    """A query parameter that is not what the page takes: answer 400 naming it."""


@dataclass(frozen=True)
class Shop:
    shop_id: int
    name: str
    timezone: str
    currency: str | None
    has_metrics: bool
    metrics_version: datetime | None = None
    inventory_version: datetime | None = None

    def refresh_command(self) -> str:
        return f"hub analytics refresh --shop {self.shop_id}"


@dataclass(frozen=True)
class Choice:
    """The shop shown (None: no shop at all, or the one asked for does not exist) and every shop
    for the picker."""

    shop: Shop | None
    shops: list[dict[str, Any]]
    asked: int | None


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadParameter(f"parameter {name}={raw[:40]!r} is not a whole number") from None


async def choose(request: Request, shop_id: int | None = None) -> Choice:
    """The shop of the request: shop_id (from the path), else ?shop=, else the first shop."""
    shops = await data.rows(request, query("dashboard_merchant.shops"))
    asked = shop_id if shop_id is not None else int_param(request, "shop")
    wanted = asked if asked is not None else (shops[0]["shop_id"] if shops else None)
    if wanted is None:
        return Choice(None, shops, asked)
    found = await data.row(request, query("dashboard_merchant.shop"), {"shop_id": wanted})
    if found is None:
        return Choice(None, shops, asked)
    return Choice(Shop(**found), shops, asked)


async def cached(request: Request, key: str, version: Any, load: Callable[[], Awaitable[T]]) -> tuple[T, Any]:
    """load()'s result for the aggregates over a whole shop (key names shop and page, version the
    refresh of the figures they read): computed once per refresh in this process, and a view after
    a refresh gets the earlier figures at once while the new ones are computed in the background
    (runner.dashboard.Dashboard.cached_version). Returns (value, version the value is of)."""
    found: tuple[T, Any] = await request.app.state.dashboard.cached_version(
        key, version, load, fresh=CACHE_SECONDS, stale=STALE_SECONDS
    )
    return found
