"""`hub analytics`: customer (and inventory) intelligence computed in SQL (runner/analytics.py; its
SQL in runner/sql/analytics.sql, the functions in db/functions/analytics/, docs/analytics.md);
`tags` calls runner/tags.py, `pairs` runner/recommendations.py.

Each subcommand has its own ``_register_<name>(sub)`` next to its handler; `register` lists them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from typing import Any

from runner.commands.common import (
    Column,
    Subparsers,
    add_command,
    add_group,
    add_json_option,
    add_quiet_option,
    add_shop_option,
    print_json,
    print_table,
)
from runner.config import Config
from runner.errors import CommandError


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "analytics",
        help="customer metrics, RFM segments, CLV and churn: refresh and show",
        description="Customer intelligence computed in PostgreSQL (docs/analytics.md): per-customer "
        "metrics, RFM scores and segments, CLV and churn risk. The workers keep them fresh "
        "after every import, sync batch and webhook; these commands run a refresh by hand "
        "and show the result.",
    )
    _register_refresh(sub)
    _register_show(sub)
    _register_tags(sub)
    _register_pairs(sub)


# -- refresh -----------------------------------------------------------------------------------


def _register_refresh(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "refresh",
        cmd_analytics_refresh,
        help="bring the customer metrics up to date: what changed, or everything (--full)",
        description="Without --full: recompute only the customers whose orders or account changed "
        "since the last refresh (the queue analytics.customer_changes), keeping every "
        "other customer's RFM score exact. With --full: recompute every customer and fit "
        "the CLV / churn model anew (valued now), as the daily job does. One transaction "
        "per shop; readers are never blocked. Progress on stderr.",
        environment=True,
    )
    add_shop_option(p, help="only this shop (default: every shop)")
    p.add_argument("--full", action="store_true", help="recompute every customer and fit the model anew")
    add_quiet_option(p)
    add_json_option(p, "one JSON object per shop")


def cmd_analytics_refresh(cfg: Config, args: argparse.Namespace) -> int:
    from runner import analytics
    from runner.db import connect, target_for

    started = time.perf_counter()

    def progress(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {line}", file=sys.stderr, flush=True)

    with connect(target_for(cfg), "app") as conn:
        try:
            done = analytics.refresh(conn, shop_id=args.shop, full=args.full, progress=None if args.quiet else progress)
        except analytics.AnalyticsError as exc:
            raise CommandError(str(exc)) from None
    for shop in done:
        if args.json:
            print_json({**shop.summary, "wall_seconds": round(shop.seconds, 3)}, compact=True)
        else:
            print(f"shop {shop.shop_id}: {analytics.describe(shop.summary)} ({shop.seconds:.2f} s)")
    if not done and not args.json:
        print("no shops")
    return 0


# -- show --------------------------------------------------------------------------------------


def _register_show(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "show",
        cmd_analytics_show,
        help="a shop's RFM segment sizes and its top customers by CLV",
        description="Print the shop's RFM segments (customers, share, spend, mean CLV and churn "
        "risk), its top customers by customer lifetime value (or those of one segment), "
        "and the model the figures come from.",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument("--segment", metavar="S", help="only this segment, e.g. 'at risk' (see the list without it)")
    p.add_argument("--limit", type=int, default=10, help="top customers to list")
    add_json_option(p)


SEGMENT_COLUMNS = (
    Column("segment", 20),
    Column("customers", 10, ">", cell=lambda r: f"{r['customers']:,}"),
    Column("%", 6, ">", cell=lambda r: f"{r['percent']}"),
    Column("total_spent", 16, ">", cell=lambda r: f"{r['total_spent']:,.2f}"),
    Column("avg_clv", 12, ">", cell=lambda r: f"{r['avg_clv']:,.2f}" if r["avg_clv"] is not None else "-"),
    Column("churn", None, cell=lambda r: f"{r['avg_churn_risk']}" if r["avg_churn_risk"] is not None else "-"),
)

TOP_COLUMNS = (
    Column("customer", 38, cell=lambda r: _short(r["email"] or r["customer_key"], 38)),
    Column("orders", 6, ">", cell=lambda r: r["orders_count"]),
    Column("spent", 12, ">", cell=lambda r: f"{r['total_spent']:,.2f}"),
    Column("last order", 10, cell=lambda r: r["last_order_at"].date().isoformat()),
    Column("RFM", 5, cell=lambda r: f"{r['recency_score']}{r['frequency_score']}{r['monetary_score']}"),
    Column("segment", 18, cell=lambda r: r["rfm_segment"] or "-"),
    Column("clv", 12, ">", cell=lambda r: f"{r['clv']:,.2f}" if r["clv"] is not None else "-"),
    Column("churn", None, cell=lambda r: f"{r['churn_risk']}" if r["churn_risk"] is not None else "-"),
)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_analytics_show(cfg: Config, args: argparse.Namespace) -> int:
    from runner import analytics
    from runner.db import connect, target_for

    with connect(target_for(cfg), "app") as conn:
        try:
            result: dict[str, Any] = analytics.show(conn, args.shop, segment=args.segment, limit=args.limit)
        except analytics.AnalyticsError as exc:
            raise CommandError(str(exc)) from None
    if args.json:
        print_json(result)
        return 0
    model = result["model"]
    if model is None:
        print(f"shop {args.shop}: no customer metrics yet (hub analytics refresh --shop {args.shop} --full)")
        return 0
    print(
        f"shop {args.shop}: {model['customers']:,} customers, model {model['model']} fitted "
        f"{model['fitted_at']:%Y-%m-%d %H:%M %Z}, median rhythm {model['median_days_between_orders']} days, "
        f"horizon {model['horizon_days']} days; churn and CLV as of now"
        + (f"; {result['pending_changes']:,} customers changed since" if result["pending_changes"] else "")
    )
    print()
    print_table(result["segments"], SEGMENT_COLUMNS, as_json=False, empty=f"no customers in segment {args.segment!r}")
    print()
    title = f"top {args.limit} customers by CLV" + (f" in {args.segment!r}" if args.segment else "")
    print(title)
    print_table(result["top_customers"], TOP_COLUMNS, as_json=False, empty="none")
    return 0


# -- tags ----------------------------------------------------------------------------------------


def _register_tags(sub: Subparsers) -> None:
    tags = add_group(
        sub,
        "tags",
        help="rule-based customer tags: list, add, remove the rules",
        description="Customer tags from rules over the customer metrics (analytics.tag_rules, "
        "docs/analytics.md#customer-tags). A rule is checked when saved and tags the shop's "
        "customers at once; the metrics refreshes keep the tags current.",
    )
    p = add_command(
        tags,
        "list",
        cmd_analytics_tags_list,
        help="the tag rules and how many customers have each tag",
        description="Every tag rule (of one shop, or of every shop): its condition, description "
        "and the number of customers tagged now.",
        environment=True,
    )
    add_shop_option(p, help="only this shop's rules (default: every shop)")
    add_json_option(p)
    p = add_command(
        tags,
        "add",
        cmd_analytics_tags_add,
        help="save a tag rule; the shop's customers are tagged at once",
        description="Save a tag rule: customers whose analytics.customer_metrics row meets CONDITION "
        "get the tag NAME. CONDITION is JSON, e.g. "
        '\'{"all": [{"metric": "orders_count", "op": ">=", "value": 5}, '
        '{"metric": "rfm_segment", "op": "in", "value": ["at risk", "hibernating"]}]}\' '
        "(- reads it from standard input). An invalid condition is refused with the place in "
        "the JSON and what is wrong (unknown metric, unknown operator, wrong value type).",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument("name", metavar="NAME", help="the tag (1-64 characters)")
    p.add_argument("condition", metavar="CONDITION", help="the rule's condition as JSON, or - for standard input")
    p.add_argument("--description", metavar="TEXT", help="what the tag is for")
    p.add_argument("--replace", action="store_true", help="change the rule if the shop has one of this name")
    add_json_option(p)
    p = add_command(
        tags,
        "remove",
        cmd_analytics_tags_remove,
        help="remove a tag rule and take its tag away from every customer",
        description="Remove the shop's tag rule NAME; every customer loses the tag. Exit status 1 "
        "when the shop has no such rule.",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument("name", metavar="NAME", help="the tag rule to remove")


TAG_COLUMNS = (
    Column("shop", 8),
    Column("tag", 20, cell=lambda r: _short(r["name"], 20)),
    Column("customers", 10, ">", cell=lambda r: f"{r['customers']:,}"),
    Column("condition", None, cell=lambda r: json.dumps(r["condition"], ensure_ascii=False)),
)


def cmd_analytics_tags_list(cfg: Config, args: argparse.Namespace) -> int:
    from runner import tags
    from runner.db import connect, target_for

    with connect(target_for(cfg), "app") as conn:
        rules = tags.list_rules(conn, args.shop)
    rows = [{**r, "shop": r["shop_id"]} for r in rules]
    print_table(
        rows if not args.json else rules,
        TAG_COLUMNS,
        as_json=args.json,
        empty="no tag rules" + (f" in shop {args.shop}" if args.shop is not None else ""),
        note=lambda r: f"{'':8} {r['description']}" if r.get("description") else None,
    )
    return 0


def cmd_analytics_tags_add(cfg: Config, args: argparse.Namespace) -> int:
    from runner import tags
    from runner.db import connect, target_for

    text = sys.stdin.read() if args.condition == "-" else args.condition
    with connect(target_for(cfg), "app") as conn:
        try:
            saved = tags.add_rule(
                conn,
                args.shop,
                args.name,
                tags.parse_condition(text),
                description=args.description,
                replace=args.replace,
            )
        except tags.TagRuleError as exc:
            raise CommandError(str(exc)) from None
    if args.json:
        print_json(vars(saved), compact=True)
    else:
        verb = "replaced" if saved.replaced else "saved"
        print(f"tag rule {saved.name!r} of shop {saved.shop_id} {verb}: {saved.customers:,} customers tagged")
    return 0


def cmd_analytics_tags_remove(cfg: Config, args: argparse.Namespace) -> int:
    from runner import tags
    from runner.db import connect, target_for

    with connect(target_for(cfg), "app") as conn:
        removed = tags.remove_rule(conn, args.shop, args.name)
    if not removed:
        print(
            f"shop {args.shop} has no tag rule {args.name!r} (hub analytics tags list --shop {args.shop})",
            file=sys.stderr,
        )
        return 1
    print(f"tag rule {args.name!r} of shop {args.shop} removed, and its tag from every customer")
    return 0


# -- pairs ---------------------------------------------------------------------------------------


def _register_pairs(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "pairs",
        cmd_analytics_pairs,
        help="recompute the frequently-bought-together statistics (recommendations)",
        description="Recompute which products are bought together (support, confidence, lift per "
        "pair of products, analytics.refresh_product_pairs) for one shop or every shop, as "
        "the daily job does; analytics.frequently_bought_together and "
        "analytics.customer_recommendations read them (docs/analytics.md#recommendations). "
        "Thresholds default to the shop's settings.",
        environment=True,
    )
    add_shop_option(p, help="only this shop (default: every shop)")
    p.add_argument(
        "--min-support",
        type=Decimal,
        metavar="F",
        help="keep pairs in at least this share of orders, 0-1 (default: setting "
        "analytics.recommendations_min_support, else 0.0001)",
    )
    p.add_argument(
        "--min-orders",
        type=int,
        metavar="N",
        help="and in at least N orders (default: setting analytics.recommendations_min_orders, else 3)",
    )
    p.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="orders of the last N days, 0 = all (default: setting analytics.recommendations_days, else 365)",
    )
    add_json_option(p, "one JSON object per shop")


def cmd_analytics_pairs(cfg: Config, args: argparse.Namespace) -> int:
    from runner import recommendations
    from runner.db import connect, target_for

    with connect(target_for(cfg), "app") as conn:
        try:
            runs = recommendations.refresh_pairs(
                conn, shop_id=args.shop, min_support=args.min_support, min_orders=args.min_orders, days=args.days
            )
        except recommendations.RecommendationsError as exc:
            raise CommandError(str(exc)) from None
    for run in runs:
        if args.json:
            print_json(run, compact=True)
        else:
            days = f"last {run['days']} days" if run["days"] else "all history"
            print(
                f"shop {run['shop_id']}: {run['baskets']:,} orders ({days}), {run['products']:,} products, "
                f"{run['pairs']:,} pairs kept (support >= {run['min_support']}, >= {run['min_orders']} orders) "
                f"in {run['duration_ms'] / 1000:.2f} s"
            )
    if not runs and not args.json:
        print("no shops")
    return 0
