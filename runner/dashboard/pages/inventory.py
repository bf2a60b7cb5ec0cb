"""Inventory (/inventory): a shop's purchase recommendations with their reason
(analytics.purchase_recommendations), variants at risk of running out (days of stock left at the
90-day rate at most ``?days=``, default 14) and demand anomalies (analytics.variant_metrics.anomaly).

The page shows the first rows of each list; ``?list=recommendations|at_risk|anomalies`` shows one
list in keyset pages. SQL in runner/sql/dashboard_inventory.sql."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runner.dashboard import data, paging
from runner.dashboard.auth import login_required
from runner.dashboard.pages import merchant
from runner.dashboard.render import page
from runner.queries import query

RISK_DAYS = 14
PREVIEW = 10
LISTS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "recommendations": (
        query("dashboard_inventory.recommendations"),
        ("days_of_stock_left", "variant_code"),
        "Order now",
    ),
    "at_risk": (query("dashboard_inventory.at_risk"), ("days_of_stock_left", "variant_code"), "At risk of running out"),
    "anomalies": (query("dashboard_inventory.anomalies"), ("anomaly_size", "variant_code"), "Demand anomalies"),
}
"""list name -> (query, keyset key, heading)."""


def _params(
    shop_id: int, risk_days: int, key: tuple[str, ...], after: dict[str, Any] | None, limit: int
) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "risk_days": risk_days,
        **(after or {f"after_{name}": None for name in key}),
        "limit": limit,
    }


@login_required
async def inventory(request: Request) -> Response:
    try:
        choice = await merchant.choose(request)
        risk_days = merchant.int_param(request, "days", RISK_DAYS) or RISK_DAYS
        if risk_days < 0:
            raise merchant.BadParameter(f"parameter days={risk_days} must not be negative")
        chosen = request.query_params.get("list")
        if chosen is not None and chosen not in LISTS:
            raise merchant.BadParameter(f"parameter list={chosen[:40]!r} is none of {', '.join(LISTS)}")
        after = paging.after(request, LISTS[chosen][1]) if chosen else None
    except (merchant.BadParameter, paging.BadCursor) as exc:
        return page(request, "message.html", status_code=400, title="Bad request", message=str(exc), back="/inventory")
    shop = choice.shop
    context: dict[str, Any] = {
        "choice": choice,
        "shop": shop,
        "risk_days": risk_days,
        "chosen": chosen,
        "lists": {},
        "state": None,
        "headings": {name: heading for name, (_, _, heading) in LISTS.items()},
    }
    if shop is None:
        return page(request, "inventory.html", title="Inventory", **context)
    if shop.inventory_version is None:
        return page(request, "inventory.html", title="Inventory", **context)
    shop_id = shop.shop_id
    shown = {chosen: LISTS[chosen]} if chosen else LISTS
    limit = paging.LIMIT if chosen else PREVIEW
    queries = {
        name: (query_name, _params(shop_id, risk_days, key, after, limit + 1))
        for name, (query_name, key, _) in shown.items()
    }
    queries["state"] = (query("dashboard_inventory.state"), {"shop_id": shop_id, "risk_days": risk_days})
    # every list reads analytics.variant_metrics over the whole shop: computed once per refresh of
    # the figures (or CACHE_SECONDS, for stock synced since), not on every view; after a refresh the
    # earlier lists are shown (their state says when they were refreshed) while the new ones load
    cursor = request.query_params.get(paging.PARAM)
    found, _ = await merchant.cached(
        request,
        f"inventory:{shop_id}:{risk_days}:{chosen}:{cursor}",
        shop.inventory_version,
        lambda: data.many(request, queries),
    )
    context["state"] = found["state"][0] if found["state"] else None
    if context["state"] is None:
        return page(request, "inventory.html", title="Inventory", **context)
    context["lists"] = {
        name: paging.Page.of(found[name], limit, LISTS[name][1], request=request if chosen else None) for name in shown
    }
    return page(request, "inventory.html", title="Inventory", **context)


ROUTES = [Route("/inventory", inventory, methods=["GET"])]
