"""Shops (/shops, /shops/{id}): the list (keyset by shop id) and a shop's detail — which
credentials it has (setting names and yes/no, never a value), its webhooks (signature key stored
means `hub shop add` registered them; events received in the last 7 days, refusals), and its sync
cursors."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runner.dashboard import data, paging
from runner.dashboard.auth import login_required
from runner.dashboard.render import page
from runner.queries import query


@login_required
async def shops(request: Request) -> Response:
    after = paging.after(request, ("shop_id",))
    found = await data.rows(request, query("dashboard.shops_page"), {**after, "limit": paging.LIMIT + 1})
    return page(
        request, "shops.html", title="Shops", page=paging.Page.of(found, paging.LIMIT, ("shop_id",), request=request)
    )


COUNTS_SECONDS = 300  # a shop's row counts scan the whole shop: kept five minutes per process


async def _counts(request: Request, shop_id: int) -> dict[str, Any]:
    found = await data.row(request, query("dashboard.shop_counts"), {"shop_id": shop_id})
    return found or {}


@login_required
async def shop(request: Request) -> Response:
    shop_id = int(request.path_params["shop_id"])
    params = {"shop_id": shop_id}
    found = await data.many(
        request,
        {
            "shop": (query("dashboard.shop_detail"), params),
            "cursors": (query("dashboard.shop_cursors"), params),
            "events": (query("dashboard.shop_webhook_events"), params),
            "rejections": (query("dashboard.shop_webhook_rejections"), params),
        },
    )
    if not found["shop"]:
        return page(
            request,
            "message.html",
            status_code=404,
            title="No such shop",
            message=f"Shop {shop_id} is not connected to this hub.",
            back="/shops",
        )
    detail = found["shop"][0]
    counts = await request.app.state.dashboard.cached(
        f"shop_counts:{shop_id}", COUNTS_SECONDS, lambda: _counts(request, shop_id)
    )
    return page(
        request,
        "shop.html",
        title=detail["name"],
        shop=detail,
        counts=counts,
        cursors=found["cursors"],
        events=found["events"],
        rejections=found["rejections"],
    )


ROUTES = [
    Route("/shops", shops, methods=["GET"]),
    Route("/shops/{shop_id:int}", shop, methods=["GET"]),
]
