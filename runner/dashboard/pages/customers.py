"""Customers (/customers) and the order detail (/orders/<shop>/<code>).

* ``/customers?shop=N`` the shop's customers by total spent (keyset pages); ``&q=`` searches: text
  with an ``@`` is an e-mail, matched exactly after core.normalize_email (case, surrounding white
  space), guests included. Other text goes to the search issue's ``sales.search_customers(shop_id, q,
  limit)`` (``search_fuzzy``): name, e-mail, phone or company, exact, by its start or with a typo;
  each row says which field matched and how (the Matched column). A search shows the first 50;
  ``&limit=200`` or ``1000`` ("Show more") asks for more.
* ``/customers/<shop>/<customer key>`` one customer: metrics of analytics.customer_metrics
  (segment, churn risk, CLV, expected next order), tags, and the order history newest first
  (keyset pages on (created_at, code)).
* ``/orders/<shop>/<code>`` one order and its lines (hot or archived partitions).

The customer key is analytics.customer_metrics.customer_key: a registered customer's GUID in lower
case, a guest's normalised e-mail. SQL in runner/sql/dashboard_customers.sql."""

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

SEARCH_LIMIT = 50
# the heading of sales.search_customers' results (each row says what matched it: the Matched column)
SEARCHED_BY_FUNCTION = "name, e-mail, phone or company"
# "show more" asks again for more rows: 50, then 200, then sales.search_customers' maximum
SEARCH_LIMITS = (50, 200, 1000)
ORDER_LINES_LIMIT = 200
CUSTOMER_KEY = ("total_spent", "customer_key")
ORDER_KEY = ("created_at", "code")
LINE_KEY = ("item_id",)


def search_limit(request: Request) -> int:
    """The number of search results asked for (?limit=, one of SEARCH_LIMITS; default the first)."""
    raw = request.query_params.get("limit") or str(SEARCH_LIMIT)
    if not raw.isdigit() or int(raw) not in SEARCH_LIMITS:
        raise merchant.BadParameter(f"limit must be one of {', '.join(map(str, SEARCH_LIMITS))}; got {raw!r}")
    return int(raw)


async def search(request: Request, shop_id: int, q: str, limit: int) -> tuple[str, list[dict[str, Any]]]:
    """The customers found for q: (how they were searched, rows), at most limit + 1 rows (the extra
    one tells that there are more) but never above the search function's 1000."""
    asked = min(limit + 1, SEARCH_LIMITS[-1])
    if "@" in q:
        found = await data.rows(
            request, query("dashboard_customers.search_email"), {"shop_id": shop_id, "email": q, "limit": asked}
        )
        return "e-mail", found
    found = await data.rows(
        request, query("dashboard_customers.search_fuzzy"), {"shop_id": shop_id, "q": q, "limit": asked}
    )
    return SEARCHED_BY_FUNCTION, found


@login_required
async def customers(request: Request) -> Response:
    try:
        choice = await merchant.choose(request)
        q = (request.query_params.get("q") or "").strip()
        context: dict[str, Any] = {"choice": choice, "shop": choice.shop, "q": q, "searched": None, "found": []}
        if choice.shop is None:
            return page(request, "customers.html", title="Customers", **context)
        if q:
            limit = search_limit(request)
            searched, found = await search(request, choice.shop.shop_id, q, limit)
            bigger = [n for n in SEARCH_LIMITS if n > limit]
            context.update(
                searched=searched,
                found=found[:limit],
                more=len(found) >= limit and (len(found) > limit or not bigger),
                limit=limit,
                more_limit=bigger[0] if bigger and len(found) > limit else None,
            )
        elif choice.shop.has_metrics:
            after = paging.after(request, CUSTOMER_KEY)
            rows = await data.rows(
                request,
                query("dashboard_customers.top_customers"),
                {"shop_id": choice.shop.shop_id, **after, "limit": paging.LIMIT + 1},
            )
            context["top"] = paging.Page.of(rows, paging.LIMIT, CUSTOMER_KEY, request=request)
    except (merchant.BadParameter, paging.BadCursor) as exc:
        return page(request, "message.html", status_code=400, title="Bad request", message=str(exc), back="/customers")
    return page(request, "customers.html", title="Customers", **context)


@login_required
async def customer(request: Request) -> Response:
    shop_id = int(request.path_params["shop_id"])
    key = request.path_params["key"]
    try:
        choice = await merchant.choose(request, shop_id)
        after = paging.after(request, ORDER_KEY)
    except (merchant.BadParameter, paging.BadCursor) as exc:
        return page(request, "message.html", status_code=400, title="Bad request", message=str(exc), back="/customers")
    if choice.shop is None:
        return page(
            request,
            "message.html",
            status_code=404,
            title="No such shop",
            message=f"No shop {shop_id}.",
            back="/customers",
        )
    params = {"shop_id": shop_id, "customer_key": key}
    found = await data.many(
        request,
        {
            "customer": (query("dashboard_customers.customer"), params),
            "tags": (query("dashboard_customers.customer_tags"), params),
            "orders": (query("dashboard_customers.customer_orders"), {**params, **after, "limit": paging.LIMIT + 1}),
        },
    )
    if not found["customer"] and not found["orders"]:
        return page(
            request,
            "message.html",
            status_code=404,
            title="No such customer",
            message=f"Shop {shop_id} has no customer {key!r} (a customer GUID or a guest's e-mail).",
            back=f"/customers?shop={shop_id}",
        )
    return page(
        request,
        "customer.html",
        title="Customer",
        shop=choice.shop,
        key=key,
        customer=found["customer"][0] if found["customer"] else None,
        tags=found["tags"],
        orders=paging.Page.of(found["orders"], paging.LIMIT, ORDER_KEY, request=request),
    )


@login_required
async def order(request: Request) -> Response:
    shop_id = int(request.path_params["shop_id"])
    code = request.path_params["code"]
    try:
        choice = await merchant.choose(request, shop_id)
        after = paging.after(request, LINE_KEY)
    except (merchant.BadParameter, paging.BadCursor) as exc:
        return page(request, "message.html", status_code=400, title="Bad request", message=str(exc), back="/customers")
    found = await data.many(
        request,
        {
            "order": (query("dashboard_customers.order"), {"shop_id": shop_id, "code": code}),
            "items": (
                query("dashboard_customers.order_items"),
                {"shop_id": shop_id, "code": code, **after, "limit": ORDER_LINES_LIMIT + 1},
            ),
        },
    )
    if choice.shop is None or not found["order"]:
        return page(
            request,
            "message.html",
            status_code=404,
            title="No such order",
            message=f"Shop {shop_id} has no order {code!r}.",
            back=f"/customers?shop={shop_id}",
        )
    return page(
        request,
        "order.html",
        title=f"Order {code}",
        shop=choice.shop,
        order=found["order"][0],
        items=paging.Page.of(found["items"], ORDER_LINES_LIMIT, LINE_KEY, request=request),
    )


ROUTES = [
    Route("/customers", customers, methods=["GET"]),
    Route("/customers/{shop_id:int}/{key:path}", customer, methods=["GET"]),
    Route("/orders/{shop_id:int}/{code:path}", order, methods=["GET"]),
]
