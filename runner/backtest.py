"""The backtest of the CLV / churn models (`hub analytics backtest`, issue 13 item 5).

The work is SQL: analytics.choose_clv_model computes every model's predictions from the orders
before the cutoff, compares them with the orders placed in the horizon after it (ROC AUC of the
churn score, MAE of the expected orders, each beside the naive baseline) and records in
analytics.clv_models which model the shop uses for churn and for orders (docs/analytics.md).
"""

from __future__ import annotations

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


def backtest(conn: psycopg.Connection, shop_id: int, cutoff: date, horizon_days: int = 90) -> list[dict[str, Any]]:
    """Backtest one shop at ``cutoff`` over ``horizon_days`` and record the model choice, in one
    transaction. Returns one dict per model and group of customers (all, repeat)."""
    try:
        with conn.transaction(), conn.cursor(row_factory=dict_row) as cur:
            cur.execute(query("backtest.choose"), {"shop_id": shop_id, "cutoff": cutoff, "horizon_days": horizon_days})
            return cur.fetchall()
    except psycopg.Error as exc:
        if exc.sqlstate in _REFUSED and exc.diag.message_primary:
            raise BacktestError(exc.diag.message_primary) from None
        raise
