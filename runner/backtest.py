"""The backtest of the CLV / churn models (`hub analytics backtest`, issue 13 item 5).

The work is SQL: analytics.choose_clv_model computes every model's predictions from the orders
before the cutoff, compares them with the orders placed in the horizon after it (ROC AUC of the
churn score, MAE of the expected orders, each beside the naive baseline) and records in
analytics.clv_models which model the shop uses for churn and for orders (docs/analytics.md).
Python only fits the BG/NBD model (runner/clv_fit.py) on the summary before the cutoff
(analytics.clv_summary) and hands its parameters to SQL, which scores it.

The live metrics (the view analytics.customer_metrics) use the models the backtest chose
(analytics.customer_model_choice). Where that is BG/NBD, fit_live_model fits it again on every
customer's stored facts (analytics.clv_live_summary) and stores the parameters in
analytics.customer_models: after each backtest that chooses it, and after each full refresh (the
daily recalculate_customer_metrics job through the fit_customer_model job it queues, `hub analytics
refresh --full`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from runner.errors import HubError, as_hub_error
from runner.queries import query

# what analytics.backtest_predictions / choose_clv_model raise for a request they cannot answer
_REFUSED = {"22023", "P0002"}


class BacktestError(HubError):
    """A backtest cannot run as asked: an unknown shop, a horizon not over yet, no orders before the cutoff."""


@dataclass
class Backtest:
    """The figures per model and group of customers, the fitted parameters, and why a model was not fitted."""

    rows: list[dict[str, Any]]
    fits: dict[str, dict[str, Any]] = field(default_factory=dict)
    not_fitted: dict[str, str] = field(default_factory=dict)
    live: LiveFit | None = None


def fit_models(conn: psycopg.Connection, shop_id: int, cutoff: date) -> tuple[dict[str, Any], dict[str, str]]:
    """The models fitted outside SQL, on the orders before the cutoff: {name: params} and
    {name: why not} (too few repeat buyers, no optimum)."""
    from runner.clv_fit import FitError, fit_bgnbd

    rows = conn.execute(query("backtest.summary"), {"shop_id": shop_id, "cutoff": cutoff}).fetchall()
    try:
        fit = fit_bgnbd([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
    except FitError as exc:
        return {}, {"bgnbd-v1": str(exc)}
    return {"bgnbd-v1": fit.params()}, {}


@dataclass(frozen=True)
class LiveFit:
    """What fit_live_model did for a shop: fitted (params) or why not (reason)."""

    shop_id: int
    fitted: bool
    params: dict[str, Any] | None = None
    reason: str = ""


def fit_live_model(conn: psycopg.Connection, shop_id: int) -> LiveFit:
    """Fit BG/NBD on the shop's stored customer facts as of now and store it in
    analytics.customer_models, when the shop's last backtest chose BG/NBD for churn or orders
    (otherwise nothing: the parameters would not be used). A failed fit is recorded
    (customer_models.bgnbd_fit) and keeps the previous parameters. Runs in the caller's transaction."""
    from runner.clv_fit import FitError, fit_bgnbd

    choice = conn.execute(query("backtest.live_choice"), {"shop_id": shop_id}).fetchone()
    if choice is None:
        return LiveFit(shop_id, False, reason="no customer model yet (a full refresh fits it)")
    if not choice[3]:
        chosen = (
            "no backtest"
            if choice[1] is None and choice[2] is None
            else f"chosen: churn {choice[1]}, orders {choice[2]}"
        )
        return LiveFit(shop_id, False, reason=f"BG/NBD not chosen ({chosen})")
    # scipy only now: importing it costs a worker 1-2 s, and most shops never use BG/NBD

    rows = conn.execute(query("backtest.live_summary"), {"shop_id": shop_id}).fetchall()
    try:
        fit = fit_bgnbd([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])
        if abs(fit.a - 1) < 1e-9:
            raise FitError("BG/NBD fit: a = 1, where the expected orders are not defined")
    except FitError as exc:
        conn.execute(query("backtest.store_live_fit_error"), {"shop_id": shop_id, "error": str(exc)})
        return LiveFit(shop_id, False, reason=str(exc))
    params = fit.params()
    conn.execute(
        query("backtest.store_live_fit"),
        {"shop_id": shop_id, "r": fit.r, "alpha": fit.alpha, "a": fit.a, "b": fit.b, "fit": json.dumps(params)},
    )
    return LiveFit(shop_id, True, params)


def backtest(conn: psycopg.Connection, shop_id: int, cutoff: date, horizon_days: int = 90) -> Backtest:
    """Backtest one shop at ``cutoff`` over ``horizon_days`` and record the model choice, in one
    transaction; where BG/NBD is chosen, also fit it live (fit_live_model) so that the metrics use
    it at once. Rows: one dict per model and group of customers (all, repeat)."""
    try:
        with conn.transaction():
            fits, not_fitted = fit_models(conn, shop_id, cutoff)
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(
                    query("backtest.choose"),
                    {"shop_id": shop_id, "cutoff": cutoff, "horizon_days": horizon_days, "fits": json.dumps(fits)},
                )
                rows = cur.fetchall()
            live = fit_live_model(conn, shop_id)
            return Backtest(rows, fits, not_fitted, live)
    except psycopg.Error as exc:
        if exc.sqlstate in _REFUSED and exc.diag.message_primary:
            raise as_hub_error(exc, BacktestError) from None
        raise
