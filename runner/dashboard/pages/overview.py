"""Overview (/): per shop its last sync per entity and lag, last snapshot per entity, webhooks
received and refused today, failed jobs, orders and revenue per day (90 days, SVG chart); the
hub's last backup and its verification, what needs an operator (ops.attention()), and the
translations a sync would refuse for want of a language (catalog.translation_language_warnings:
the warning `hub translate draft` prints)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runner.dashboard import data, fmt
from runner.dashboard.auth import login_required
from runner.dashboard.charts import bar_chart
from runner.dashboard.render import page
from runner.queries import query

CHART_DAYS = 90
CHART_SECONDS = 60  # the per-day figures are aggregated at most once a minute per shop and process


def _by_shop(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        grouped[row["shop_id"]].append(row)
    return grouped


async def _per_day(request: Request, shop_id: int) -> tuple[list[dict[str, Any]], str]:
    found = await data.many(
        request,
        {
            "days": (query("dashboard.orders_per_day"), {"shop_id": shop_id, "days": CHART_DAYS}),
            "currency": (query("dashboard.shop_currency"), {"shop_id": shop_id}),
        },
    )
    currency = found["currency"][0]["currency"] if found["currency"] else "CZK"
    return found["days"], currency


async def charts_of(request: Request, shop: dict[str, Any]) -> dict[str, Any]:
    days, currency = await request.app.state.dashboard.cached(
        f"orders_per_day:{shop['shop_id']}", CHART_SECONDS, lambda: _per_day(request, shop["shop_id"])
    )
    labels = [d["day"].isoformat() for d in days]
    return {
        "orders_chart": bar_chart(labels, [d["orders"] for d in days], title="Orders per day", unit="orders"),
        "revenue_chart": bar_chart(
            labels,
            [d["revenue"] for d in days],
            title=f"Revenue per day ({currency}, with VAT)",
            unit=currency,
            value_text=lambda v: fmt.money(v, currency),
        ),
        "orders_total": sum(d["orders"] for d in days),
        "revenue_total": sum(d["revenue"] for d in days),
        "currency": currency,
    }


@login_required
async def overview(request: Request) -> Response:
    found = await data.many(
        request,
        {
            "shops": (query("dashboard.overview_shops"), {}),
            "syncs": (query("dashboard.overview_syncs"), {}),
            "snapshots": (query("dashboard.overview_last_snapshots"), {}),
            "backup": (query("dashboard.overview_backup"), {}),
            "attention": (query("dashboard.overview_attention"), {}),
            "translation_languages": (query("dashboard.overview_translation_languages"), {}),
            "refused_unknown": (query("dashboard.overview_refused_unknown"), {}),
        },
    )
    syncs = _by_shop(found["syncs"])
    snapshots = _by_shop(found["snapshots"])
    shops = []
    for shop in found["shops"]:
        shops.append(
            {
                **shop,
                "syncs": syncs.get(shop["shop_id"], []),
                "snapshots": snapshots.get(shop["shop_id"], []),
                **(await charts_of(request, shop)),
            }
        )
    return page(
        request,
        "overview.html",
        title="Overview",
        shops=shops,
        backup=found["backup"][0] if found["backup"] else None,
        attention=found["attention"],
        translation_languages=found["translation_languages"],
        refused_unknown=found["refused_unknown"][0]["refused"] if found["refused_unknown"] else 0,
        chart_days=CHART_DAYS,
    )


ROUTES = [Route("/", overview, methods=["GET"])]
