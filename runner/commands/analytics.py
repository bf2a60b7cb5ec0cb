"""`hub analytics`: customer (and inventory) intelligence computed in SQL (runner/analytics.py; its
SQL in runner/sql/analytics.sql, the functions in db/functions/analytics/, docs/analytics.md).

Each subcommand has its own ``_register_<name>(sub)`` next to its handler; `register` lists them.
"""

from __future__ import annotations

import argparse
import sys
import time
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
    _register_backtest(sub)


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
            raise CommandError(str(exc)) from None
    if args.json:
        print_json({"rows": result.rows, "fits": result.fits, "not_fitted": result.not_fitted})
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
    return 0
