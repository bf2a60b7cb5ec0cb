"""Segments (/segments): a shop's RFM segments (analytics.customer_metrics rfm_segment) by size and
revenue as SVG charts, and with ``?segment=<name>`` the customers of one segment by total spent
(keyset pages). ``segment=`` (empty) lists the customers no segment rule names. SQL in
runner/sql/dashboard_segments.sql."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runner.dashboard import data, fmt, paging
from runner.dashboard.auth import login_required
from runner.dashboard.charts import PALETTE
from runner.dashboard.pages import merchant
from runner.dashboard.render import page
from runner.queries import query

CUSTOMER_KEY = ("total_spent", "customer_key")
NO_SEGMENT = "no segment"

ROW_H, BAR_LEFT, BAR_RIGHT, CHART_W = 22, 150, 130, 720


def hbar_chart(
    labels: Sequence[str],
    values: Sequence[float | int | Decimal | None],
    *,
    title: str,
    value_text: Callable[[float], str],
) -> Markup:
    """Horizontal bars, one per label (segment names are long: a label per row, never skipped), the
    value written after each bar; scales to its container like runner/dashboard/charts.py."""
    nums = [float(v) if v is not None else 0.0 for v in values]
    top = max(nums, default=0.0) or 1.0
    height = ROW_H * max(1, len(nums)) + 8
    plot_w = CHART_W - BAR_LEFT - BAR_RIGHT
    parts = [
        f'<svg class="chart" viewBox="0 0 {CHART_W} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for i, (label, value) in enumerate(zip(labels, nums, strict=True)):
        y = 4 + ROW_H * i
        w = plot_w * value / top
        text = value_text(value)
        parts.append(
            f'<text class="axis" x="{BAR_LEFT - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar" x="{BAR_LEFT}" y="{y + 3}" width="{max(w, 1.0):.1f}" height="{ROW_H - 6}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<text class="axis" x="{BAR_LEFT + w + 6:.1f}" y="{y + 15}">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@login_required
async def segments(request: Request) -> Response:
    try:
        choice = await merchant.choose(request)
        segment = request.query_params.get("segment")
        after = paging.after(request, CUSTOMER_KEY) if segment is not None else {}
    except (merchant.BadParameter, paging.BadCursor) as exc:
        return page(request, "message.html", status_code=400, title="Bad request", message=str(exc), back="/segments")
    shop = choice.shop
    if shop is None or not shop.has_metrics:
        return page(request, "segments.html", title="Segments", choice=choice, shop=shop, sizes=[], segment=None)
    if segment is not None:
        rows = await data.rows(
            request,
            query("dashboard_segments.segment_customers"),
            {"shop_id": shop.shop_id, "segment": segment or None, **after, "limit": paging.LIMIT + 1},
        )
        return page(
            request,
            "segment.html",
            title=f"Segment {segment or NO_SEGMENT}",
            choice=choice,
            shop=shop,
            segment=segment,
            segment_label=segment or NO_SEGMENT,
            customers=paging.Page.of(rows, paging.LIMIT, CUSTOMER_KEY, request=request),
        )
    shop_id = shop.shop_id
    found, as_of = await merchant.cached(
        request,
        f"segments:{shop_id}",
        shop.metrics_version,
        lambda: data.rows(request, query("dashboard_segments.segment_sizes"), {"shop_id": shop_id}),
    )
    sizes = [dict(s) for s in found]
    total_customers = sum(s["customers"] for s in sizes) or 1
    total_spent = sum(s["total_spent"] for s in sizes) or Decimal(1)
    for s in sizes:
        s["label"] = s["segment"] or NO_SEGMENT
        s["customer_share"] = s["customers"] / total_customers
        s["revenue_share"] = s["total_spent"] / total_spent
    labels = [s["label"] for s in sizes]
    currency = shop.currency
    return page(
        request,
        "segments.html",
        title="Segments",
        choice=choice,
        shop=shop,
        segment=None,
        sizes=sizes,
        as_of=as_of,
        newer_coming=as_of != shop.metrics_version,
        customers_chart=hbar_chart(
            labels, [s["customers"] for s in sizes], title="Customers per segment", value_text=lambda v: fmt.number(v)
        ),
        revenue_chart=hbar_chart(
            labels,
            [s["total_spent"] for s in sizes],
            title=f"Revenue per segment ({currency or 'shop currency'}, with VAT)",
            value_text=lambda v: fmt.money(v, currency, 0),
        ),
    )


ROUTES = [Route("/segments", segments, methods=["GET"])]
