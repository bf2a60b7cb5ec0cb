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
from runner.errors import CommandError, as_hub_error


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "analytics",
        help="customer metrics, RFM segments, CLV and churn; inventory demand and reorder advice",
        description="Customer and inventory intelligence computed in PostgreSQL (docs/analytics.md): "
        "per-customer metrics, RFM scores and segments, CLV and churn risk; per-variant demand, "
        "safety stock, reorder point, EOQ and purchase recommendations. The workers keep them fresh "
        "after every import, sync batch and webhook; these commands run a refresh by hand "
        "and show the result.",
    )
    _register_refresh(sub)
    _register_show(sub)
    _register_reorder(sub)
    _register_backtest(sub)
    _register_tags(sub)
    _register_pairs(sub)


# -- refresh -----------------------------------------------------------------------------------


def _register_refresh(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "refresh",
        cmd_analytics_refresh,
        help="bring the customer metrics and the inventory demand up to date: what changed, or everything (--full)",
        description="Customers, without --full: recompute only the customers whose orders or account "
        "changed since the last refresh (the queue analytics.customer_changes), keeping every "
        "other customer's RFM score exact. With --full: recompute every customer and fit "
        "the CLV / churn model anew (valued now), as the daily job does. "
        "Inventory, without --full: recompute the demand of the variants whose orders were "
        "written since the last refresh (every variant on a new local day); with --full: every "
        "variant (analytics.refresh_variant_metrics). --only picks one of the two (default both). "
        "One transaction per shop and kind; readers are never blocked. Progress on stderr.",
        environment=True,
    )
    add_shop_option(p, help="only this shop (default: every shop)")
    p.add_argument("--full", action="store_true", help="recompute every customer (and fit the model anew) and variant")
    p.add_argument(
        "--only",
        choices=("customers", "inventory"),
        help="refresh only the customer metrics or only the inventory demand (default: both)",
    )
    add_quiet_option(p)
    add_json_option(p, "one JSON object per shop and kind")


def cmd_analytics_refresh(cfg: Config, args: argparse.Namespace) -> int:
    from runner import analytics, inventory
    from runner.db import connect, target_for

    started = time.perf_counter()

    def progress(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {line}", file=sys.stderr, flush=True)

    kinds = {
        "customers": (analytics.refresh, analytics.describe),
        "inventory": (inventory.refresh, inventory.describe),
    }
    done: list[tuple[str, Any]] = []
    with connect(target_for(cfg), "app") as conn:
        for kind, (refresh, _) in kinds.items():
            if args.only not in (None, kind):
                continue
            try:
                shops = refresh(conn, shop_id=args.shop, full=args.full, progress=None if args.quiet else progress)
            except analytics.AnalyticsError as exc:
                raise as_hub_error(exc) from None
            done += [(kind, shop) for shop in shops]
    for kind, shop in done:
        if args.json:
            print_json({"kind": kind, **shop.summary, "wall_seconds": round(shop.seconds, 3)}, compact=True)
        else:
            print(f"shop {shop.shop_id} {kind}: {kinds[kind][1](shop.summary)} ({shop.seconds:.2f} s)")
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
    Column("churn", None, cell=lambda r: _ratio(r["avg_churn_risk"])),
)

TOP_COLUMNS = (
    Column("customer", 38, cell=lambda r: _short(r["email"] or r["customer_key"], 38)),
    Column("orders", 6, ">", cell=lambda r: r["orders_count"]),
    Column("spent", 12, ">", cell=lambda r: f"{r['total_spent']:,.2f}"),
    Column("last order", 10, cell=lambda r: r["last_order_at"].date().isoformat()),
    Column("RFM", 5, cell=lambda r: f"{r['recency_score']}{r['frequency_score']}{r['monetary_score']}"),
    Column("segment", 18, cell=lambda r: r["rfm_segment"] or "-"),
    Column("clv", 12, ">", cell=lambda r: f"{r['clv']:,.2f}" if r["clv"] is not None else "-"),
    Column("churn", None, cell=lambda r: _ratio(r["churn_risk"])),
)


def _ratio(value: Any) -> str:
    """A churn risk 0..1 as the dashboard shows it: 98.6 %."""
    from runner.dashboard.fmt import ratio

    return "-" if value is None else ratio(value)


def _days(value: Any) -> str:
    """A number of days as the dashboard shows it: one decimal (122.5)."""
    return "-" if value is None else f"{float(value):,.1f}"


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_analytics_show(cfg: Config, args: argparse.Namespace) -> int:
    from runner import analytics
    from runner.db import connect, target_for

    with connect(target_for(cfg), "app") as conn:
        try:
            result: dict[str, Any] = analytics.show(conn, args.shop, segment=args.segment, limit=args.limit)
        except analytics.AnalyticsError as exc:
            raise as_hub_error(exc) from None
    if args.json:
        print_json(result)
        return 0
    model = result["model"]
    if model is None:
        print(f"shop {args.shop}: no customer metrics yet (hub analytics refresh --shop {args.shop} --full)")
        return 0
    print(
        f"shop {args.shop}: {model['customers']:,} customers, model {model['model']} fitted "
        f"{model['fitted_at']:%Y-%m-%d %H:%M %Z}, median rhythm {_days(model['median_days_between_orders'])} days, "
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


# -- reorder -----------------------------------------------------------------------------------


def _register_reorder(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "reorder",
        cmd_analytics_reorder,
        help="a shop's purchase recommendations and demand anomalies",
        description="Print what to order now (analytics.purchase_recommendations: stock at or below the "
        "reorder point, quantity by the (s, nQ) rule with the EOQ as the lot; selling variants "
        "without a lead time are listed as 'cannot tell'), most urgent first, and the variants "
        "whose last 7 days lie more than 3 standard errors from their 90-day mean. The figures "
        "are as of the day of the last inventory refresh (hub analytics refresh --only inventory).",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument("--limit", type=int, default=20, help="recommendations and anomalies to list")
    add_json_option(p)


REORDER_COLUMNS = (
    Column("variant", 16, cell=lambda r: _short(r["variant_code"], 16)),
    Column("order", 8, ">", cell=lambda r: _number(r["quantity"])),
    Column("stock", 9, ">", cell=lambda r: _number(r["stock"])),
    Column("reorder at", 11, ">", cell=lambda r: _number(r["reorder_point"])),
    Column("EOQ", 9, ">", cell=lambda r: _number(r["eoq"])),
    Column("days left", 9, ">", cell=lambda r: _number(r["days_of_stock_left"])),
    Column("per day", 9, ">", cell=lambda r: _number(r["units_per_day_90d"])),
    Column("lead", 4, ">", cell=lambda r: _number(r["lead_time_days"])),
    Column("supplier", None, cell=lambda r: r["supplier_name"] or "-"),
)

ANOMALY_COLUMNS = (
    Column("variant", 16, cell=lambda r: _short(r["variant_code"], 16)),
    Column("7 d/day", 9, ">", cell=lambda r: _number(r["units_per_day_7d"])),
    Column("90 d/day", 9, ">", cell=lambda r: _number(r["units_per_day_90d"])),
    Column("std dev", 9, ">", cell=lambda r: _number(r["demand_stddev"])),
    Column("z", None, cell=lambda r: _number(r["anomaly_z"])),
)


def _number(value: Any) -> str:
    """A figure without trailing zeros (12.500 -> 12.5), '-' for none."""
    if value is None:
        return "-"
    text = f"{value:f}" if not isinstance(value, int) else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def cmd_analytics_reorder(cfg: Config, args: argparse.Namespace) -> int:
    from runner import analytics, inventory
    from runner.db import connect, target_for

    with connect(target_for(cfg), "app") as conn:
        try:
            result = inventory.reorder(conn, args.shop, limit=args.limit)
        except analytics.AnalyticsError as exc:
            raise as_hub_error(exc) from None
    if args.json:
        print_json(result)
        return 0
    state, summary = result["state"], result["summary"]
    if state is None:
        print(f"shop {args.shop}: no inventory figures yet (hub analytics refresh --only inventory --shop {args.shop})")
        return 0
    print(
        f"shop {args.shop}: as of {state['as_of']} ({state['time_zone']}), {summary['variants']:,} variants, "
        f"{summary['selling']:,} selling, {summary['order_now']:,} to order now, "
        f"{summary['without_reorder_point']:,} selling without a reorder point, {summary['anomalies']:,} anomalies"
    )
    print()
    print(
        f"to order: {summary['order_now']:,} to order now, {summary['cannot_tell']:,} cannot tell "
        f"(first {args.limit}; 'order -': see the reason)"
    )
    print_table(
        result["recommendations"],
        REORDER_COLUMNS,
        as_json=False,
        empty="nothing to order",
        note=lambda r: f"  {r['reason']}",
    )
    print()
    print("anomalies (last 7 days vs 90 days, |z| > 3)")
    print_table(result["anomalies"], ANOMALY_COLUMNS, as_json=False, empty="none")
    return 0


# -- backtest ----------------------------------------------------------------------------------


def _register_backtest(sub: Subparsers) -> None:
    p = add_command(
        sub,
        "backtest",
        cmd_analytics_backtest,
        help="how well the CLV / churn models predicted a past horizon, against a naive baseline",
        description="Compute the customer metrics from the shop's orders before the cutoff day only, "
        "then compare with what its customers did in the horizon after it: the churn risk as a "
        "classifier of 'no order within the horizon' (ROC AUC) and the expected orders in the "
        "horizon (mean absolute error), each beside the naive baseline (days since the last "
        "order; the customer's past rate), for all customers and for repeat buyers. The models: "
        "rhythm-v1 (the explainable one) and bgnbd-v1 (BG/NBD, fitted on the orders before "
        "the cutoff where there are enough repeat buyers). Records "
        "in analytics.clv_models which model the shop uses for churn and for orders: a model "
        "is kept only where it beats the baseline.",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument(
        "--cutoff",
        required=True,
        type=_day,
        metavar="DATE",
        help="the day the models stop seeing orders (YYYY-MM-DD, the shop's calendar)",
    )
    p.add_argument("--horizon-days", type=int, default=90, help="days after the cutoff the predictions cover")
    add_json_option(p, "print the rows as JSON")


def _day(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _figure(value: Any, digits: int = 4) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


BACKTEST_COLUMNS = (
    Column("model", 10),
    Column("customers", 14, cell=lambda r: r["customers_group"]),
    Column("n", 9, ">", cell=lambda r: f"{r['customers']:,}"),
    Column("churned", 9, ">", cell=lambda r: f"{r['churned']:,}"),
    Column("churn AUC", 10, ">", cell=lambda r: _figure(r["churn_auc"])),
    Column("baseline", 9, ">", cell=lambda r: _figure(r["baseline_churn_auc"])),
    Column("orders MAE", 11, ">", cell=lambda r: _figure(r["orders_mae"])),
    Column("baseline", 9, ">", cell=lambda r: _figure(r["baseline_orders_mae"])),
    Column("expected", 9, ">", cell=lambda r: _figure(r["mean_expected_orders"])),
    Column("actual", 7, ">", cell=lambda r: _figure(r["mean_actual_orders"])),
    Column("used for", None, cell=lambda r: ", ".join(r["used_for"]) or "-", gap="  "),
)


def cmd_analytics_backtest(cfg: Config, args: argparse.Namespace) -> int:
    from runner import backtest
    from runner.db import connect, target_for

    if args.horizon_days < 1:
        raise CommandError(f"--horizon-days must be at least 1, got {args.horizon_days}")
    with connect(target_for(cfg), "app") as conn:
        try:
            result = backtest.backtest(conn, args.shop, args.cutoff, args.horizon_days)
        except backtest.BacktestError as exc:
            raise as_hub_error(exc) from None
    if args.json:
        live = result.live
        print_json(
            {
                "rows": result.rows,
                "fits": result.fits,
                "not_fitted": result.not_fitted,
                "live": None if live is None else {"fitted": live.fitted, "params": live.params, "reason": live.reason},
            }
        )
        return 0
    print(
        f"shop {args.shop}: models fitted on the orders before {args.cutoff}, compared with the "
        f"{args.horizon_days} days after it (churned = no order in them; expected/actual = orders per customer)"
    )
    print_table(result.rows, BACKTEST_COLUMNS, as_json=False, empty="no customers")
    for model, params in result.fits.items():
        shown = ", ".join(f"{k} {v:.4g}" for k, v in params.items() if k in ("r", "alpha", "a", "b"))
        print(f"{model} fitted: {shown} (alpha in days)")
    for model, reason in result.not_fitted.items():
        print(f"{model} not fitted: {reason}")
    if result.live is not None:
        if result.live.fitted and result.live.params:
            shown = ", ".join(f"{k} {result.live.params[k]:.4g}" for k in ("r", "alpha", "a", "b"))
            print(f"live metrics: bgnbd-v1 fitted on every customer now: {shown}")
        else:
            print(f"live metrics: no BG/NBD fit: {result.live.reason}")
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
            raise as_hub_error(exc) from None
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
            raise as_hub_error(exc) from None
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
