"""The backtest of the CLV / churn models (issue 13 item 5): ROC AUC and MAE in SQL against plain
Python over the same predictions, the signal found where customers keep a rhythm, the model choice
per shop, and clear errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from bench.generate import generate
from runner.db import Target

SHOP = 777


# -- plain-Python references ------------------------------------------------------------------


def python_auc(scores: list[float], positive: list[bool]) -> float | None:
    """P(score of a random positive > score of a random negative), ties one half: every pair."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def python_mae(predicted: list[float], actual: list[float]) -> float:
    return sum(abs(p - a) for p, a in zip(predicted, actual, strict=True)) / len(predicted)


def sql_auc(conn: psycopg.Connection, scores: list[Any], positive: list[Any]) -> Any:
    return conn.execute(
        "select analytics.roc_auc(%s::double precision[], %s::boolean[])", [scores, positive]
    ).fetchone()[0]


# -- the measures -----------------------------------------------------------------------------


def test_roc_auc_counts_pairs_ties_as_half_and_needs_both_classes(admin: psycopg.Connection) -> None:
    cases = [
        ([0.1, 0.4, 0.35, 0.8], [False, False, True, True]),  # the textbook 0.75
        ([1, 1, 1, 2], [True, False, False, True]),  # ties between classes
        ([3, 2, 1], [True, True, False]),  # perfect
        ([1, 2, 3], [True, True, False]),  # perfectly wrong
        ([5, 5], [True, False]),  # one tie
    ]
    for scores, positive in cases:
        assert sql_auc(admin, scores, positive) == pytest.approx(python_auc(scores, positive), abs=1e-12)
    assert sql_auc(admin, [0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == pytest.approx(0.75)
    assert sql_auc(admin, [1, 2], [True, True]) is None
    assert sql_auc(admin, [], []) is None


def test_roc_auc_and_mae_refuse_arrays_that_do_not_pair_up(admin: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="3 scores but 2 labels"):
        sql_auc(admin, [1, 2, 3], [True, False])
    with pytest.raises(psycopg.errors.NullValueNotAllowed, match="element 2 has a null score"):
        sql_auc(admin, [1, None, 3], [True, False, True])
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="2 predictions but 1 actual"):
        admin.execute("select analytics.mean_absolute_error(array[1, 2]::float8[], array[1]::float8[])")
    assert admin.execute(
        "select analytics.mean_absolute_error(array[1, 2.5, 0]::float8[], array[0, 3, 0]::float8[])"
    ).fetchone()[0] == pytest.approx(0.5)


# -- a shop whose customers keep a rhythm ------------------------------------------------------

# Twenty weekly buyers who stopped and twenty quarterly buyers who go on, in pairs with the same
# days since their last order at the cutoff: recency alone cannot tell them apart, the rhythm can.
RHYTHM_SHOP = """
insert into core.shops (shop_id, name) values (%(shop)s, 'rhythm shop');
select ops.ensure_partitions(%(cutoff)s::timestamptz - interval '3 years', now());
insert into sales.orders (shop_id, code, created_at, status_id, email, customer_guid, total_with_vat, currency)
select %(shop)s, 'W' || c || '-' || k, %(cutoff)s::timestamptz - (50 + c + 7 * (10 - k)) * interval '1 day', -2,
       'weekly' || c || '@example.com', md5('weekly' || c)::uuid, 500, 'CZK'
from generate_series(0, 19) c, generate_series(1, 10) k;
insert into sales.orders (shop_id, code, created_at, status_id, email, customer_guid, total_with_vat, currency)
select %(shop)s, 'Q' || c || '-' || k, %(cutoff)s::timestamptz - (50 + c + 120 * (4 - k)) * interval '1 day', -2,
       'quarterly' || c || '@example.com', md5('quarterly' || c)::uuid, 900, 'CZK'
from generate_series(0, 19) c, generate_series(1, 5) k;
"""


def _cutoff(days_ago: int) -> date:
    return (datetime.now(UTC) - timedelta(days=days_ago)).date()


@pytest.fixture
def rhythm_shop(admin: psycopg.Connection) -> date:
    cutoff = _cutoff(200)
    # orders stand at noon UTC of the cutoff day minus whole days: clear of the local midnight
    for statement in RHYTHM_SHOP.split(";\n"):
        if statement.strip():
            admin.execute(statement, {"shop": SHOP, "cutoff": f"{cutoff} 12:00+00"})
    return cutoff


def test_the_rhythm_model_beats_recency_where_customers_keep_a_rhythm(
    admin: psycopg.Connection, rhythm_shop: date
) -> None:
    rows = {
        (r[0], r[1]): r
        for r in admin.execute(
            "select model, customers_group, customers, churned, churn_auc, baseline_churn_auc, orders_mae,"
            " baseline_orders_mae, used_for from analytics.choose_clv_model(%s, %s, 90)",
            [SHOP, rhythm_shop],
        )
    }
    rhythm, baseline = rows[("rhythm-v1", "all")], rows[("baseline", "all")]
    assert rhythm[2:4] == (40, 20)  # 40 customers, the 20 weekly ones churned
    assert baseline[4] == pytest.approx(0.5)  # recency ties every weekly with a quarterly buyer ...
    assert rhythm[4] == pytest.approx(1.0)  # ... the rhythm tells them apart
    assert rhythm[6] < baseline[6]
    assert rhythm[8] == ["churn", "orders"] and baseline[8] == []
    assert admin.execute(
        "select analytics.clv_model_for(%(s)s, 'churn'), analytics.clv_model_for(%(s)s, 'orders')", {"s": SHOP}
    ).fetchone() == ("rhythm-v1", "rhythm-v1")
    stored = admin.execute(
        "select model, cutoff, horizon_days, customers, churned, churn_auc, used_for, chosen_at is not null"
        " from analytics.clv_models where shop_id = %s order by model",
        [SHOP],
    ).fetchall()
    assert stored == [
        ("baseline", rhythm_shop, 90, 40, 20, pytest.approx(0.5), [], False),
        ("rhythm-v1", rhythm_shop, 90, 40, 20, pytest.approx(1.0), ["churn", "orders"], True),
    ]


def test_a_model_that_does_not_beat_the_baseline_is_not_used(admin: psycopg.Connection, rhythm_shop: date) -> None:
    assert admin.execute("select analytics.clv_model_for(%s, 'churn')", [SHOP]).fetchone()[0] == "rhythm-v1"
    # make the rhythm useless: every quarterly buyer stops too, the weekly ones come back
    admin.execute("delete from sales.orders where shop_id = %s and created_at >= %s", [SHOP, f"{rhythm_shop} 00:00+02"])
    admin.execute(
        "insert into sales.orders (shop_id, code, created_at, status_id, email, customer_guid, total_with_vat,"
        " currency) select %(s)s, 'W' || c || '-next', %(at)s::timestamptz + c * interval '1 day', -2,"
        " 'weekly' || c || '@example.com', md5('weekly' || c)::uuid, 500, 'CZK' from generate_series(0, 19) c",
        {"s": SHOP, "at": f"{rhythm_shop} 12:00+00"},
    )
    used = dict(
        admin.execute(
            "select model, used_for from analytics.choose_clv_model(%s, %s, 90) where customers_group = 'all'",
            [SHOP, rhythm_shop],
        ).fetchall()
    )
    assert used["baseline"] == ["churn"] and "churn" not in used["rhythm-v1"]
    assert admin.execute("select analytics.clv_model_for(%s, 'churn')", [SHOP]).fetchone()[0] == "baseline"
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="churn or orders"):
        admin.execute("select analytics.clv_model_for(%s, 'value')", [SHOP])


# -- generated data ---------------------------------------------------------------------------


@pytest.fixture
def generated(db: Target, admin: psycopg.Connection) -> Target:
    generate(db, scale=0.002, seed=11, echo=False, parallel=1)
    return db


def test_on_generated_data_the_figures_equal_plain_python_over_the_same_predictions(
    generated: Target, admin: psycopg.Connection
) -> None:
    from runner.backtest import fit_models

    cutoff = _cutoff(180)
    fits, not_fitted = fit_models(admin, 900001, cutoff)
    assert set(fits) == {"bgnbd-v1"} and not not_fitted
    figures = {
        (r[0], r[1]): r[2:]
        for r in admin.execute(
            "select model, customers_group, customers, churned, churn_auc, orders_mae"
            " from analytics.backtest(900001, %s, 90, %s)",
            [cutoff, Jsonb(fits)],
        )
    }
    predictions = admin.execute(
        "select model, orders_count, churn_score, expected_orders, actual_orders"
        " from analytics.backtest_predictions(900001, %s, 90, %s)",
        [cutoff, Jsonb(fits)],
    ).fetchall()
    assert {m for m, _ in figures} == {"baseline", "rhythm-v1", "bgnbd-v1"}
    for (model, group), (customers, churned, auc, mae) in figures.items():
        rows = [r for r in predictions if r[0] == model and (group == "all" or r[1] > 1)]
        assert customers == len(rows) and churned == sum(r[4] == 0 for r in rows)
        assert auc == pytest.approx(python_auc([r[2] for r in rows], [r[4] == 0 for r in rows]), abs=1e-12)
        assert mae == pytest.approx(python_mae([r[3] for r in rows], [float(r[4]) for r in rows]), abs=1e-12)
    # the generated customers stop buying at a churn point: who is gone can be told from the past
    for model in ("baseline", "rhythm-v1", "bgnbd-v1"):
        assert figures[(model, "all")][2] > 0.7, model
    # and the past rate of a customer who stopped overstates the future: the models' do not
    assert figures[("rhythm-v1", "all")][3] < figures[("baseline", "all")][3]
    assert figures[("bgnbd-v1", "all")][3] < figures[("baseline", "all")][3]


# -- the command ------------------------------------------------------------------------------


def test_hub_analytics_backtest_prints_the_figures_and_refuses_what_it_cannot_know(
    admin: psycopg.Connection, rhythm_shop: date, hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    from runner import cli

    assert cli.main(["analytics", "backtest", "--shop", str(SHOP), "--cutoff", str(rhythm_shop)]) == 0
    out = capsys.readouterr().out
    assert "rhythm-v1" in out and "1.0000" in out and "bgnbd-v1 fitted: r " in out  # 40 repeat buyers: enough
    used = dict(admin.execute("select model, used_for from analytics.clv_models where shop_id = %s", [SHOP]).fetchall())
    assert set(used) == {"baseline", "rhythm-v1", "bgnbd-v1"} and "churn" not in used["baseline"]

    assert cli.main(["analytics", "backtest", "--shop", str(SHOP), "--cutoff", str(_cutoff(30))]) == 1
    assert "after now: what happened then is not known yet" in capsys.readouterr().err
    assert cli.main(["analytics", "backtest", "--shop", "4242", "--cutoff", str(rhythm_shop)]) == 1
    assert "no shop 4242" in capsys.readouterr().err
    assert cli.main(["analytics", "backtest", "--shop", str(SHOP), "--cutoff", "2001-01-01"]) == 1
    assert "no counted order before the cutoff 2001-01-01" in capsys.readouterr().err
    assert (
        cli.main(["analytics", "backtest", "--shop", str(SHOP), "--cutoff", str(rhythm_shop), "--horizon-days", "0"])
        == 1
    )
    assert "--horizon-days must be at least 1" in capsys.readouterr().err
