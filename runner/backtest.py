"""The backtest of the CLV / churn models (`hub analytics backtest`, issue 13 item 5).

The work is SQL: analytics.choose_clv_model computes every model's predictions from the orders
before the cutoff, compares them with the orders placed in the horizon after it (ROC AUC of the
churn score, MAE of the expected orders, each beside the naive baseline) and records in
analytics.clv_models which model the shop uses for churn and for orders (docs/analytics.md).
Python only fits the BG/NBD model (runner/clv_fit.py) on the summary before the cutoff
(analytics.clv_summary) and hands its parameters to SQL, which scores it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row

from runner.errors import HubError
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


def backtest(conn: psycopg.Connection, shop_id: int, cutoff: date, horizon_days: int = 90) -> Backtest:
    """Backtest one shop at ``cutoff`` over ``horizon_days`` and record the model choice, in one
    transaction. Rows: one dict per model and group of customers (all, repeat)."""
    try:
        with conn.transaction():
            fits, not_fitted = fit_models(conn, shop_id, cutoff)
            with conn.cursor(row_factory=dict_row) as cur:
                cur.execute(
                    query("backtest.choose"),
                    {"shop_id": shop_id, "cutoff": cutoff, "horizon_days": horizon_days, "fits": json.dumps(fits)},
                )
                return Backtest(cur.fetchall(), fits, not_fitted)
    except psycopg.Error as exc:
        if exc.sqlstate in _REFUSED and exc.diag.message_primary:
            raise BacktestError(exc.diag.message_primary) from None
        raise
