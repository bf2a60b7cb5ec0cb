"""The live customer metrics use the model each shop's backtest chose (issue 13 item 5): BG/NBD
where it was chosen and fitted live (figures checked against the published formulas computed in
Python, Fader, Hardie & Lee 2005), the baseline where nothing beat it, rhythm-v1 without a
backtest; analytics.customer_model_choice and the view's churn_model / clv_model say which."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import psycopg
import pytest
from scipy.special import hyp2f1

from runner.backtest import fit_live_model
from runner.db import Target

BG = 781  # a backtest chose BG/NBD
PLAIN = 782  # never backtested


# 45 repeat buyers with rhythms of 10-54 days, some stopped long ago; 25 one-order customers
SHOP_SQL = """
insert into core.shops (shop_id, name) values (%(shop)s, 'shop ' || %(shop)s);
select ops.ensure_partitions(now() - interval '3 years', now());
insert into sales.orders (shop_id, code, created_at, status_id, email, customer_guid, total_with_vat, currency)
select %(shop)s, 'R' || c || '-' || k,
       date_trunc('day', now()) - interval '12 hours' - ((c * 7) %% 400 + (10 + c) * k) * interval '1 day', -2,
       'repeat' || c || '@example.com', md5(%(shop)s || 'repeat' || c)::uuid, 300 + 10 * c, 'CZK'
from generate_series(0, 44) c, generate_series(0, 1 + c %% 6) k;
insert into sales.orders (shop_id, code, created_at, status_id, email, total_with_vat, currency)
select %(shop)s, 'O' || c, date_trunc('day', now()) - interval '12 hours' - (3 + 29 * c) * interval '1 day', -2,
       'once' || c || '@example.com', 250 + c, 'CZK'
from generate_series(0, 24) c;
"""


def make_shop(admin: psycopg.Connection, shop: int) -> None:
    for statement in SHOP_SQL.split(";\n"):
        if statement.strip():
            admin.execute(statement, {"shop": shop})
    admin.execute("select analytics.rebuild_customer_metrics(%s, true)", [shop])


def choose(admin: psycopg.Connection, shop: int, churn: str, orders: str) -> None:
    """Record a backtest's choice as analytics.choose_clv_model does (the figures do not matter here)."""
    for model in ("baseline", "rhythm-v1", "bgnbd-v1"):
        used = [m for m, chosen in (("churn", churn), ("orders", orders)) if chosen == model]
        admin.execute(
            "insert into analytics.clv_models (shop_id, model, cutoff, horizon_days, customers, churned,"
            " orders_mae, baseline_orders_mae, used_for) values (%s, %s, current_date - 200, 60, 70, 30, 1, 1, %s)"
            " on conflict (shop_id, model) do update set used_for = excluded.used_for",
            [shop, model, used],
        )


@pytest.fixture
def shops(admin: psycopg.Connection) -> None:
    make_shop(admin, BG)
    make_shop(admin, PLAIN)


def python_bgnbd(
    r: float, alpha: float, a: float, b: float, x: int, t_x: float, t: float, h: float, horizon: float
) -> tuple[float, float, float, float]:
    """p_alive (eq. 11), P(no order within h), E[orders within H] (eq. 10, the original 2F1, scipy),
    and the rhythm (alpha + T) / (r + x)."""
    alive = 1.0 if x == 0 else 1 / (1 + a / (b + x - 1) * ((alpha + t) / (alpha + t_x)) ** (r + x))
    no_order = 1 - alive + alive * ((alpha + t) / (alpha + t + h)) ** (r + x)
    z = horizon / (alpha + t + horizon)
    expected = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + t) / (alpha + t + horizon)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z))
    )
    return alive, no_order, expected * alive, (alpha + t) / (r + x)


def days(delta: Any) -> float:
    return float(delta.total_seconds()) / 86400


ROWS = (
    "select customer_key, orders_count, avg_order_value, total_spent, first_order_at, last_order_at, valued_at,"
    " churn_risk, predicted_orders, predicted_value, clv, rhythm_days, expected_next_order_at, churn_model, clv_model"
    " from analytics.customer_metrics where shop_id = %s order by customer_key"
)


def test_a_shop_whose_backtest_chose_bgnbd_scores_every_customer_with_its_live_fit(
    admin: psycopg.Connection, shops: None
) -> None:
    choose(admin, BG, "bgnbd-v1", "bgnbd-v1")
    # chosen but not fitted yet: rhythm-v1 computes, and the choice view says why
    assert admin.execute(
        "select churn_model, orders_model, chosen_churn_model, chosen_orders_model, churn_days"
        " from analytics.customer_model_choice where shop_id = %s",
        [BG],
    ).fetchone() == ("rhythm-v1", "rhythm-v1", "bgnbd-v1", "bgnbd-v1", 60)
    live = fit_live_model(admin, BG)
    assert live.fitted and live.params is not None and live.params["repeat_buyers"] == 45
    model = admin.execute(
        "select bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b, horizon_days, bgnbd_fit ->> 'customers'"
        " from analytics.customer_models where shop_id = %s",
        [BG],
    ).fetchone()
    r, alpha, a, b, horizon, fitted_on = model
    assert (r, alpha, a, b) == (live.params["r"], live.params["alpha"], live.params["a"], live.params["b"])
    assert fitted_on == "70" and horizon == 365
    assert admin.execute(
        "select churn_model, orders_model from analytics.customer_model_choice where shop_id = %s", [BG]
    ).fetchone() == ("bgnbd-v1", "bgnbd-v1")

    rows = admin.execute(ROWS, [BG]).fetchall()
    assert len(rows) == 70
    for key, n, aov, spent, first, last, valued, churn, orders, value, clv, rhythm, next_at, cm, om in rows:
        assert (cm, om) == ("bgnbd-v1", "bgnbd-v1"), key
        t_x, t = days(last - first), days(valued - first)
        alive, no_order, expected, want_rhythm = python_bgnbd(r, alpha, a, b, n - 1, t_x, t, 60, horizon)
        assert float(churn) == pytest.approx(no_order, abs=0.51e-4), key
        assert float(orders) == pytest.approx(expected, abs=0.51e-4), key
        assert float(rhythm) == pytest.approx(want_rhythm, abs=0.51e-4), key
        assert value == (orders * aov).quantize(Decimal("0.01"), ROUND_HALF_UP) and clv == spent + value
        assert abs(days(next_at - last) - float(rhythm)) < 1e-6
    # the model says something: a customer silent for long is likelier gone than one who just ordered
    churn = {row[0]: float(row[7]) for row in rows}
    assert churn["once0@example.com"] < churn["once24@example.com"]


def test_a_shop_without_a_backtest_or_fit_falls_back_to_rhythm_v1(admin: psycopg.Connection, shops: None) -> None:
    choose(admin, BG, "bgnbd-v1", "bgnbd-v1")
    fit_live_model(admin, BG)
    assert fit_live_model(admin, PLAIN).reason == "BG/NBD not chosen (no backtest)"
    assert admin.execute(
        "select shop_id, churn_model, orders_model, chosen_churn_model, bgnbd_r is null"
        " from analytics.customer_model_choice order by shop_id"
    ).fetchall() == [(BG, "bgnbd-v1", "bgnbd-v1", "bgnbd-v1", False), (PLAIN, "rhythm-v1", "rhythm-v1", None, True)]
    median = admin.execute(
        "select median_days_between_orders from analytics.customer_models where shop_id = %s", [PLAIN]
    ).fetchone()[0]
    rows = admin.execute(ROWS, [PLAIN]).fetchall()
    assert len(rows) == 70
    for key, n, aov, spent, first, last, valued, churn, orders, value, clv, rhythm, next_at, cm, om in rows:
        assert (cm, om) == ("rhythm-v1", "rhythm-v1"), key
        want = admin.execute(
            "select * from analytics.clv_model_score(%s, %s, %s, %s, %s, %s, 365)",
            [n, aov, first, last, valued, median],
        ).fetchone()
        assert (rhythm, churn, next_at, orders, value) == want, key
        assert clv == spent + value


def test_the_baseline_where_it_was_chosen_and_a_mixed_choice(admin: psycopg.Connection, shops: None) -> None:
    choose(admin, BG, "baseline", "bgnbd-v1")
    assert fit_live_model(admin, BG).fitted
    median = float(
        admin.execute(
            "select median_days_between_orders from analytics.customer_models where shop_id = %s", [BG]
        ).fetchone()[0]
    )
    r, alpha, a, b = admin.execute(
        "select bgnbd_r, bgnbd_alpha, bgnbd_a, bgnbd_b from analytics.customer_models where shop_id = %s", [BG]
    ).fetchone()
    for key, n, _aov, _spent, first, last, valued, churn, orders, _value, _clv, _rhythm, _next, cm, om in admin.execute(
        ROWS, [BG]
    ).fetchall():
        assert (cm, om) == ("baseline", "bgnbd-v1"), key
        assert float(churn) == pytest.approx(1 - math.exp(-days(valued - last) / median), abs=0.51e-4), key
        expected = python_bgnbd(r, alpha, a, b, n - 1, days(last - first), days(valued - first), 60, 365)[2]
        assert float(orders) == pytest.approx(expected, abs=0.51e-4), key

    choose(admin, BG, "rhythm-v1", "baseline")
    for (
        key,
        n,
        _aov,
        _spent,
        first,
        _last,
        valued,
        _churn,
        orders,
        _value,
        _clv,
        rhythm,
        _next,
        cm,
        om,
    ) in admin.execute(ROWS, [BG]).fetchall():
        assert (cm, om) == ("rhythm-v1", "baseline"), key
        age = max(days(valued - first), 365)
        assert float(orders) == pytest.approx(n * 365 / age, abs=0.51e-4), key
        assert float(rhythm) == pytest.approx(age / n, abs=0.51e-4), key


def test_a_failed_live_fit_is_recorded_and_keeps_the_last_parameters(admin: psycopg.Connection, shops: None) -> None:
    choose(admin, BG, "bgnbd-v1", "bgnbd-v1")
    assert fit_live_model(admin, BG).fitted
    before = admin.execute(
        "select bgnbd_r, bgnbd_fitted_at from analytics.customer_models where shop_id = %s", [BG]
    ).fetchone()
    # most repeat buyers cancel their orders after the first: too few repeat buyers to fit
    admin.execute(
        "update sales.orders set status_id = -4 where shop_id = %s and code like 'R%%' and code not like '%%-0'"
        " and split_part(substr(code, 2), '-', 1)::int >= 10",
        [BG],
    )
    admin.execute("select analytics.rebuild_customer_metrics(%s, true)", [BG])
    live = fit_live_model(admin, BG)
    assert not live.fitted and "10 repeat buyers, at least 30" in live.reason
    assert admin.execute(
        "select bgnbd_r, bgnbd_fitted_at, bgnbd_fit ->> 'error' from analytics.customer_models where shop_id = %s",
        [BG],
    ).fetchone() == (*before, live.reason)
    assert admin.execute(
        "select churn_model from analytics.customer_model_choice where shop_id = %s", [BG]
    ).fetchone() == ("bgnbd-v1",)


def test_a_full_refresh_and_the_daily_job_fit_the_chosen_model(
    db: Target, admin: psycopg.Connection, shops: None
) -> None:
    from runner import analytics, tasks

    choose(admin, BG, "bgnbd-v1", "rhythm-v1")
    with psycopg.connect(db.app) as conn:
        done = analytics.refresh(conn, shop_id=BG, full=True)
        assert done[0].summary["bgnbd"] == {"fitted": True, "reason": ""}
        assert "BG/NBD and rhythm-v1 fitted" in analytics.describe(done[0].summary)
        done = analytics.refresh(conn, shop_id=PLAIN, full=True)
        assert done[0].summary["bgnbd"]["fitted"] is False
    first_fit = admin.execute(
        "select bgnbd_fitted_at from analytics.customer_models where shop_id = %s", [BG]
    ).fetchone()[0]
    assert isinstance(first_fit, datetime)
    bound = tasks.configure(db)
    with bound.open():
        tasks.recalculate_customer_metrics(BG)
        tasks.recalculate_customer_metrics(PLAIN)
    # the fit is a job of its own, queued for the shop whose backtest chose BG/NBD only
    assert admin.execute(
        "select args ->> 'shop_id' from procrastinate.procrastinate_jobs where task_name = 'fit_customer_model'"
    ).fetchall() == [(str(BG),)]
    assert admin.execute(
        "select bgnbd_fitted_at = %s from analytics.customer_models where shop_id = %s", [first_fit, BG]
    ).fetchone() == (True,)
    with bound.open():
        assert tasks.fit_customer_model(BG)["fitted"] is True
    assert admin.execute(
        "select bgnbd_fitted_at > %s from analytics.customer_models where shop_id = %s", [first_fit, BG]
    ).fetchone() == (True,)
    assert admin.execute(
        "select distinct churn_model, clv_model from analytics.customer_metrics where shop_id = %s", [BG]
    ).fetchall() == [("bgnbd-v1", "rhythm-v1")]


@pytest.mark.parametrize(
    "a,b,c,z",
    [
        (4.5, 0.08, 4.6, 0.89),
        (4.5, -0.2, 30.0, 0.5),
        (0.3, 2.0, 1.7, 0.95),
        (12.0, 3.0, 25.0, 0.2),
        (1.0, 1.0, 2.0, 0.0),
    ],
)
def test_hyp2f1_equals_scipy(admin: psycopg.Connection, a: float, b: float, c: float, z: float) -> None:
    got = admin.execute("select analytics.hyp2f1(%s, %s, %s, %s)", [a, b, c, z]).fetchone()[0]
    assert got == pytest.approx(hyp2f1(a, b, c, z), rel=1e-12)


def test_the_stored_parameters_are_checked(admin: psycopg.Connection, shops: None) -> None:
    with pytest.raises(psycopg.errors.CheckViolation, match="customer_models_bgnbd_complete"):
        admin.execute("update analytics.customer_models set bgnbd_r = 1 where shop_id = %s", [BG])
    with pytest.raises(psycopg.errors.CheckViolation, match="customer_models_bgnbd_complete"):
        admin.execute(
            "update analytics.customer_models set bgnbd_r = 1, bgnbd_alpha = 2, bgnbd_a = 1, bgnbd_b = 3"
            " where shop_id = %s",
            [BG],
        )
