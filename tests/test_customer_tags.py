"""Customer tags (issue 13 item 6): the rules of analytics.tag_rules, evaluated set-based into
analytics.customer_tags, equal an independent evaluation in plain Python of the same JSON
conditions over the same metric rows (the grammar of docs/analytics.md written again here); an
invalid rule is refused with a message naming the bad part; changing a rule re-tags the shop;
the metrics refreshes keep the tags current.

The stored metric rows are written directly into analytics.customer_metrics_base (with a model row
per shop, so that the view analytics.customer_metrics computes churn risk and CLV), with nulls,
values exactly at the rules' thresholds, and times around a local midnight. The Python side
evaluates the rows as the view gives them, read in the same transaction as the tagging (the view
computes the model's figures as of now(), the transaction's time).
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest

from runner import cli
from runner.db import Target

SHOP, OTHER = 1, 2
PRAGUE = ZoneInfo("Europe/Prague")
SEGMENTS = ["champions", "loyal", "at risk", "can't lose", "lost", "new", None]
COLUMNS = (
    "customer_key",
    "customer_guid",
    "orders_count",
    "total_spent",
    "avg_order_value",
    "first_order_at",
    "last_order_at",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_segment",
)

RULES: dict[str, Any] = {
    "loyal-at-risk": {
        "all": [
            {"metric": "orders_count", "op": ">=", "value": 5},
            {"metric": "rfm_segment", "op": "in", "value": ["at risk", "can't lose"]},
        ]
    },
    "big": {
        "any": [{"metric": "total_spent", "op": ">", "value": 2000.5}, {"metric": "clv", "op": ">=", "value": 5000}]
    },
    "not-lost": {"not": {"metric": "rfm_segment", "op": "=", "value": "lost"}},
    "no-segment": {"metric": "rfm_segment", "op": "is null"},
    "mid": {
        "all": [
            {"metric": "churn_risk", "op": "between", "value": [0.25, 0.75]},
            {"metric": "monetary_score", "op": "not in", "value": [1, 5]},
            {"any": [{"metric": "recency_score", "op": "!=", "value": 3}, {"metric": "clv", "op": "is not null"}]},
        ]
    },
    "new-this-year": {"metric": "first_order_at", "op": ">=", "value": "2025-01-01"},
    "before-noon": {"metric": "first_order_at", "op": "<", "value": "2024-06-01T12:00:00+02:00"},
    "recent": {"metric": "last_order_at", "op": ">=", "value": {"days_ago": 30}},
    "few": {"metric": "orders_count", "op": "<=", "value": 1},
    "guid-less": {"metric": "customer_guid", "op": "IS  NULL"},
}


def metric_rows(seed: int, n: int = 300) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    now = datetime.now(UTC)
    # around the local midnight that starts 2025 in Prague (23:00 UTC on 31 Dec 2024)
    first_times = [
        datetime(2024, 12, 31, 22, 59, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 0, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 30, tzinfo=UTC),
        datetime(2024, 6, 1, 9, 59, tzinfo=UTC),
        datetime(2024, 6, 1, 10, 0, tzinfo=UTC),
        datetime(2023, 3, 3, 3, 3, tzinfo=UTC),
        datetime(2025, 5, 5, 5, 5, tzinfo=UTC),
    ]
    rows = []
    for i in range(n):
        orders = rnd.choice([1, 1, 2, 4, 5, 5, 6, 12])
        spent = Decimal(rnd.choice(["99.90", "2000.50", "2000.51", "1500.00", "12000.00"]))
        rows.append(
            {
                "customer_key": f"00000000-0000-4000-8000-{i:012d}" if i % 3 else f"guest{i}@example.cz",
                "customer_guid": f"00000000-0000-4000-8000-{i:012d}" if i % 3 else None,
                "orders_count": orders,
                "total_spent": spent,
                "avg_order_value": round(spent / orders, 2),
                "first_order_at": rnd.choice(first_times),
                # whole days plus half a day: never within a second of "30 days ago"
                "last_order_at": now - timedelta(days=rnd.randint(0, 90), hours=12),
                "recency_score": rnd.randint(1, 5),
                "frequency_score": rnd.randint(1, 5),
                "monetary_score": rnd.randint(1, 5),
                "rfm_segment": rnd.choice(SEGMENTS),
            }
        )
    return rows


def write_metrics(conn: psycopg.Connection, shop: int, rows: list[dict[str, Any]]) -> None:
    names = ", ".join(COLUMNS)
    excluded = ", ".join("excluded." + c for c in COLUMNS)
    marks = ", ".join(["%s"] * (len(COLUMNS) + 1))
    with conn.cursor() as cur:
        cur.executemany(
            f"insert into analytics.customer_metrics_base (shop_id, {names}) values ({marks})"
            f" on conflict (shop_id, customer_key) do update set ({names}) = ({excluded})",
            [(shop, *(r[c] for c in COLUMNS)) for r in rows],
        )


# -- the grammar, evaluated in Python ------------------------------------------------------------


def _value(value: Any, sample: Any) -> Any:
    """A rule's JSON value in the type of the metric's value."""
    if isinstance(sample, datetime):
        if isinstance(value, dict):
            return datetime.now(UTC) - timedelta(days=value["days_ago"])
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            d = datetime.fromisoformat(value)
            return d.replace(tzinfo=PRAGUE)
        return datetime.fromisoformat(value)
    if isinstance(sample, (int, Decimal)) and not isinstance(sample, bool):
        return Decimal(str(value))
    return value


def holds(condition: dict[str, Any], row: dict[str, Any]) -> bool:
    if "all" in condition:
        return all(holds(c, row) for c in condition["all"])
    if "any" in condition:
        return any(holds(c, row) for c in condition["any"])
    if "not" in condition:
        return not holds(condition["not"], row)
    op = " ".join(condition["op"].lower().split())
    v = row[condition["metric"]]
    if op == "is null":
        return v is None
    if op == "is not null":
        return v is not None
    if v is None:
        return False  # a comparison with a null metric is false
    raw = condition["value"]
    if op in ("in", "not in"):
        values = [_value(x, v) for x in raw]
        return (v in values) == (op == "in")
    if op == "between":
        low, high = (_value(x, v) for x in raw)
        return low <= v <= high
    x = _value(raw, v)
    return {"=": v == x, "!=": v != x, "<": v < x, "<=": v <= x, ">": v > x, ">=": v >= x}[op]


def expected_tags(rows: list[dict[str, Any]], rules: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["customer_key"], name) for name, cond in rules.items() for r in rows if holds(cond, r)}


def view_rows(conn: psycopg.Connection, shop: int) -> list[dict[str, Any]]:
    """The metric rows as analytics.customer_metrics gives them (the model's figures as of now())."""
    cur = conn.execute("select * from analytics.customer_metrics where shop_id = %s", [shop])
    columns = [c.name for c in cur.description or ()]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def stored_tags(conn: psycopg.Connection, shop: int = SHOP) -> set[tuple[str, str]]:
    return set(
        conn.execute("select customer_key, tag from analytics.customer_tags where shop_id = %s", [shop]).fetchall()
    )


def save_rule(conn: psycopg.Connection, name: str, condition: Any, shop: int = SHOP) -> None:
    conn.execute(
        "insert into analytics.tag_rules (shop_id, name, condition) values (%s, %s, %s::jsonb)"
        " on conflict (shop_id, name) do update set condition = excluded.condition",
        [shop, name, json.dumps(condition)],
    )


@pytest.fixture
def shops(admin: psycopg.Connection) -> dict[int, list[dict[str, Any]]]:
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'One'), (%s, 'Two')", [SHOP, OTHER])
    admin.execute(
        "insert into analytics.customer_models (shop_id, model, horizon_days, median_days_between_orders,"
        " repeat_buyers, customers) values (%s, 'rhythm-v1', 365, 40, 10, 300), (%s, 'rhythm-v1', 365, 25, 5, 50)",
        [SHOP, OTHER],
    )
    data = {SHOP: metric_rows(1), OTHER: metric_rows(2, 50)}
    for shop, rows in data.items():
        write_metrics(admin, shop, rows)
    return data


def test_rules_evaluated_equal_a_python_evaluation(
    app: psycopg.Connection, shops: dict[int, list[dict[str, Any]]]
) -> None:
    with app.transaction():  # one now(): the view's churn and CLV as the rules saw them
        for name, condition in RULES.items():
            save_rule(app, name, condition)  # as hub_app: the triggers tag at once
        rows = view_rows(app, SHOP)
        got = stored_tags(app)
    expected = expected_tags(rows, RULES)
    assert got == expected
    for name in RULES:  # every rule tags some customers and leaves out others: none is trivial
        assert 0 < sum(1 for _, tag in expected if tag == name) < len(rows), name
    assert stored_tags(app, OTHER) == set()  # the other shop has no rules
    # a full re-evaluation changes nothing
    result = app.execute("select analytics.apply_tag_rules(%s)", [SHOP]).fetchone()
    assert result is not None and (result[0]["tagged"], result[0]["untagged"]) == (0, 0)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (
            {"all": [{"metric": "order_count", "op": ">=", "value": 5}]},
            r'at \$\.all\[0\]\.metric: unknown metric "order_count"; metrics: customer_key, .*orders_count',
        ),
        ({"metric": "orders_count", "op": "=>", "value": 5}, r'at \$\.op: unknown operator "=>"; operators: =, !=, <'),
        (
            {"metric": "orders_count", "op": ">=", "value": "5"},
            r'at \$\.value: wrong value type for metric orders_count \(integer\): expected a JSON number, got "5"',
        ),
        (
            {
                "any": [
                    {"metric": "clv", "op": ">", "value": 1},
                    {"not": {"metric": "rfm_segment", "op": "in", "value": ["lost", 3]}},
                ]
            },
            r"at \$\.any\[1\]\.not\.value\[1\]: wrong value type for metric rfm_segment \(text\): "
            r"expected a JSON string, got 3",
        ),
        (
            # newcomer finding 9: an unknown segment name matched nobody, silently
            {"any": [{"metric": "rfm_segment", "op": "in", "value": ["lost", "at-risk"]}]},
            r"unknown RFM segment 'at-risk' of shop 1; its segments are: champions, .*at risk.*lost",
        ),
        (
            {"metric": "rfm_segment", "op": "in", "value": "lost"},
            r"at \$\.value: wrong value type for operator in: expected a non-empty JSON array",
        ),
        (
            {"metric": "churn_risk", "op": "between", "value": [0.1]},
            r"at \$\.value: wrong value type for operator between: expected an array \[low, high\]",
        ),
        (
            {"metric": "last_order_at", "op": "<", "value": "2024-02-30"},
            r"at \$\.value: wrong value type for metric last_order_at \(timestamp with time zone\)",
        ),
        (
            {"metric": "last_order_at", "op": "<", "value": "2024-02-01 10:00"},
            r"at \$\.value: wrong value type for metric last_order_at",
        ),
        (
            {"metric": "customer_guid", "op": "<", "value": "x"},
            r'at \$\.op: operator "<" does not apply to metric customer_guid \(uuid\)',
        ),
        (
            {"metric": "customer_guid", "op": "=", "value": "not-a-guid"},
            r"at \$\.value: wrong value type for metric customer_guid \(uuid\): "
            r"expected a JSON string that is a valid uuid",
        ),
        ({"metric": "orders_count", "op": "is null", "value": 1}, r"at \$\.value: operator is null takes no value"),
        ({"metric": "orders_count", "op": ">"}, r'at \$: "value" missing'),
        ({"metric": "orders_count", "op": ">", "valeu": 1}, r'at \$: unknown key "valeu"'),
        ({"all": []}, r'at \$\.all: "all" needs a non-empty array of conditions'),
        (
            {"all": [{"metric": "clv", "op": ">", "value": 1}], "any": []},
            r'at \$: a group has exactly one key \("all", "any" or "not"\); got "all", "any"',
        ),
        ([{"metric": "clv"}], r"at \$: a condition must be a JSON object"),
        (
            {"metrics": "clv"},
            r'at \$: a condition needs "all", "any", "not" or "metric"/"op"/"value"; got keys "metrics"',
        ),
    ],
)
def test_invalid_rule_is_refused_naming_the_bad_part(
    app: psycopg.Connection, shops: dict[int, list[dict[str, Any]]], condition: Any, message: str
) -> None:
    save_rule(app, "few", RULES["few"])
    before = stored_tags(app)
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"^tag rule 'bad' of shop 1: " + message):
        save_rule(app, "bad", condition)
    # changing a good rule into a bad one is refused the same way; nothing changes
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=r"^tag rule 'few' of shop 1: " + message):
        app.execute(
            "update analytics.tag_rules set condition = %s::jsonb where shop_id = %s and name = 'few'",
            [json.dumps(condition), SHOP],
        )
    assert app.execute("select name, condition from analytics.tag_rules").fetchall() == [("few", RULES["few"])]
    assert stored_tags(app) == before


def test_values_are_literals_never_sql(app: psycopg.Connection, shops: dict[int, list[dict[str, Any]]]) -> None:
    # a segment name with a quote is a value, never SQL
    save_rule(app, "odd", {"metric": "rfm_segment", "op": "in", "value": ["can't lose", "lost"]})
    assert stored_tags(app) == expected_tags(
        shops[SHOP], {"odd": {"metric": "rfm_segment", "op": "in", "value": ["can't lose", "lost"]}}
    )
    # text made to break out of a literal is an unknown segment: refused, nothing run
    sneaky = "x'); delete from analytics.customer_metrics; --"
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="unknown RFM segment"):
        save_rule(app, "odd2", {"metric": "rfm_segment", "op": "in", "value": [sneaky, "lost"]})
    assert app.execute("select count(*) from analytics.customer_metrics where shop_id = %s", [SHOP]).fetchone() == (
        300,
    )


def test_changing_a_rule_retags_everyone_of_the_shop(
    app: psycopg.Connection, shops: dict[int, list[dict[str, Any]]]
) -> None:
    big = {"metric": "total_spent", "op": ">", "value": 2000.5}
    for shop in (SHOP, OTHER):
        save_rule(app, "big", big, shop)
        save_rule(app, "few", RULES["few"], shop)
    other_before = app.execute(
        "select customer_key, tag, tagged_at from analytics.customer_tags where shop_id = %s", [OTHER]
    ).fetchall()
    kept = app.execute(
        "select customer_key, tagged_at from analytics.customer_tags where shop_id = %s and tag = 'big'", [SHOP]
    ).fetchall()

    changed = {"metric": "total_spent", "op": ">=", "value": 1500}  # keeps every "big" customer of > 2000.5 ...
    save_rule(app, "big", changed)
    assert stored_tags(app) == expected_tags(shops[SHOP], {"big": changed, "few": RULES["few"]})
    # ... whose tag rows were not touched (tagged_at stays); the other shop did not move
    still = dict(
        app.execute(
            "select customer_key, tagged_at from analytics.customer_tags where shop_id = %s and tag = 'big'", [SHOP]
        ).fetchall()
    )
    spent = {r["customer_key"]: r["total_spent"] for r in shops[SHOP]}
    for key, tagged_at in kept:
        if spent[key] >= 1500:
            assert still[key] == tagged_at
    assert (
        app.execute(
            "select customer_key, tag, tagged_at from analytics.customer_tags where shop_id = %s", [OTHER]
        ).fetchall()
        == other_before
    )

    app.execute("update analytics.tag_rules set name = 'spender' where shop_id = %s and name = 'big'", [SHOP])
    assert stored_tags(app) == expected_tags(shops[SHOP], {"spender": changed, "few": RULES["few"]})
    app.execute("delete from analytics.tag_rules where shop_id = %s and name = 'spender'", [SHOP])
    assert stored_tags(app) == expected_tags(shops[SHOP], {"few": RULES["few"]})
    assert stored_tags(app, OTHER) == expected_tags(shops[OTHER], {"big": big, "few": RULES["few"]})


def test_apply_by_keys_retags_only_those_customers(
    admin: psycopg.Connection, shops: dict[int, list[dict[str, Any]]]
) -> None:
    for name, condition in RULES.items():
        save_rule(admin, name, condition)
    rows = shops[SHOP]
    changed = rows[:40]
    for r in changed:
        r["orders_count"] = 6 if r["orders_count"] == 1 else 1
        r["rfm_segment"] = "can't lose" if r["rfm_segment"] != "can't lose" else None
        r["total_spent"] = Decimal("2000.51") - r["total_spent"] / 1000
    write_metrics(admin, SHOP, changed)
    gone = rows[40]
    admin.execute(
        "delete from analytics.customer_metrics_base where shop_id = %s and customer_key = %s",
        [SHOP, gone["customer_key"]],
    )
    stale = stored_tags(admin)

    keys = [r["customer_key"] for r in changed] + [gone["customer_key"]]
    with admin.transaction():  # one now() for the tagging and the rows it saw
        result = admin.execute("select analytics.apply_tag_rules(%s, %s)", [SHOP, keys]).fetchone()
        live = view_rows(admin, SHOP)
        got = stored_tags(admin)
    assert result is not None and result[0]["tagged"] > 0 and result[0]["untagged"] > 0
    assert len(live) == len(rows) - 1
    expected = expected_tags(live, RULES)
    in_scope = set(keys)
    assert {t for t in got if t[0] in in_scope} == {t for t in expected if t[0] in in_scope}
    assert {t for t in got if t[0] not in in_scope} == {t for t in stale if t[0] not in in_scope}
    assert not any(key == gone["customer_key"] for key, _ in got)


def test_metrics_refreshes_keep_tags_current(admin: psycopg.Connection) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'One')", [SHOP])
    admin.execute("select ops.ensure_partitions(now() - interval '1 year', now())")
    orders = [
        ("A1", "a@example.cz", 10),
        ("A2", "a@example.cz", 5),
        ("B1", "b@example.cz", 20),
        ("C1", "c@example.cz", 3),
    ]
    for code, email, days in orders:
        admin.execute(
            "insert into sales.orders (shop_id, code, created_at, status_id, email, total_with_vat, currency,"
            " exchange_rate) values (%s, %s, now() - %s * interval '1 day', -2, %s, 500, 'CZK', 1)",
            [SHOP, code, days, email],
        )
    save_rule(admin, "repeat", {"metric": "orders_count", "op": ">=", "value": 2})
    assert stored_tags(admin) == set()  # no metrics yet
    admin.execute("select analytics.rebuild_customer_metrics(%s, true)", [SHOP])
    assert stored_tags(admin) == {("a@example.cz", "repeat")}

    admin.execute(
        "insert into sales.orders (shop_id, code, created_at, status_id, email, total_with_vat, currency,"
        " exchange_rate) values (%s, 'B2', now() - interval '1 day', -2, 'b@example.cz', 80, 'CZK', 1)",
        [SHOP],
    )
    admin.execute("update sales.orders set status_id = -4 where shop_id = %s and code = 'A2'", [SHOP])
    admin.execute("select analytics.refresh_changed_customers(%s)", [SHOP])
    assert stored_tags(admin) == {("b@example.cz", "repeat")}
    rows = admin.execute(
        "select customer_key, orders_count from analytics.customer_metrics where shop_id = %s", [SHOP]
    ).fetchall()
    assert dict(rows) == {"a@example.cz": 1, "b@example.cz": 2, "c@example.cz": 1}


def test_daily_rebuild_retags_changed_customers_and_clock_rules_for_everyone(admin: psycopg.Connection) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'One')", [SHOP])
    admin.execute("select ops.ensure_partitions(now() - interval '1 year', now())")
    for n in range(60):  # sixty guests, one or two orders each, 2 to 35 days ago
        for k in range(1 + n % 2):
            admin.execute(
                "insert into sales.orders (shop_id, code, created_at, status_id, email, total_with_vat, currency,"
                " exchange_rate) values (%s, %s, now() - %s * interval '1 day' - interval '12 hours', -2, %s, 100,"
                " 'CZK', 1)",
                [SHOP, f"O{n}-{k}", 2 + (3 * n) % 33 + k, f"g{n:02d}@example.cz"],
            )
    admin.execute("select analytics.rebuild_customer_metrics(%s, true)", [SHOP])
    rules = {
        "repeat": {"metric": "orders_count", "op": ">=", "value": 2},  # stored: changes with the rows
        "recent": {"metric": "last_order_at", "op": ">=", "value": {"days_ago": 14}},  # the clock
        "likely-back": {"metric": "churn_risk", "op": "<", "value": 0.5},  # computed when read
    }
    for name, condition in rules.items():
        save_rule(admin, name, condition)
    names = admin.execute("select analytics.clock_tag_rules(%s)", [SHOP]).fetchone()
    assert names == (["likely-back", "recent"],)
    # tags gone stale, as the clock would make them (no row of the customer changes)
    admin.execute("delete from analytics.customer_tags where tag in ('recent', 'likely-back') and customer_key < 'g30'")
    # one customer changes: a new order
    admin.execute(
        "insert into sales.orders (shop_id, code, created_at, status_id, email, total_with_vat, currency,"
        " exchange_rate) values (%s, 'NEW', now() - interval '1 hour', -2, 'g10@example.cz', 100, 'CZK', 1)",
        [SHOP],
    )
    with admin.transaction():
        result = admin.execute("select analytics.rebuild_customer_metrics(%s, false)", [SHOP]).fetchone()
        rows = view_rows(admin, SHOP)
        got = stored_tags(admin)
    # a few rows written (the customer, and those whose RFM scores moved): the partial re-tag ran
    assert result is not None and result[0]["inserted"] + result[0]["updated"] + result[0]["deleted"] < 60 / 3
    assert got == expected_tags(rows, rules)
    assert ("g10@example.cz", "repeat") in got and ("g10@example.cz", "recent") in got


def test_readonly_reads_tags_and_compiles_conditions(
    db: Target, app: psycopg.Connection, shops: dict[int, list[dict[str, Any]]]
) -> None:
    save_rule(app, "few", RULES["few"])
    with psycopg.connect(db.readonly, autocommit=True) as ro:
        assert ro.execute("select count(*) from analytics.customer_tags where tag = 'few'").fetchone()[0] > 0  # type: ignore[index]
        sql = ro.execute(
            "select analytics.tag_condition_sql(%s::jsonb)", [json.dumps(RULES["loyal-at-risk"])]
        ).fetchone()
        assert sql == (
            "(coalesce(m.orders_count >= '5'::numeric, false)"
            " and coalesce(m.rfm_segment in ('at risk'::text, 'can''t lose'::text), false))",
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ro.execute("insert into analytics.tag_rules (shop_id, name, condition) values (1, 'x', '{}')")


def test_cli_adds_lists_and_removes_rules(
    hub_env: dict[str, str],
    admin: psycopg.Connection,
    shops: dict[int, list[dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    condition = json.dumps(RULES["loyal-at-risk"])
    tagged = len(expected_tags(shops[SHOP], {"x": RULES["loyal-at-risk"]}))
    assert (
        cli.main(
            ["analytics", "tags", "add", "--shop", str(SHOP), "loyal-at-risk", condition, "--description", "call them"]
        )
        == 0
    )
    assert capsys.readouterr().out.strip() == f"tag rule 'loyal-at-risk' of shop 1 saved: {tagged} customers tagged"

    assert cli.main(["analytics", "tags", "add", "--shop", str(SHOP), "loyal-at-risk", condition]) == 1
    assert "exists already: add --replace" in capsys.readouterr().err
    bad = json.dumps({"all": [{"metric": "orders", "op": ">=", "value": 5}]})
    assert cli.main(["analytics", "tags", "add", "--shop", str(SHOP), "bad", bad]) == 1
    assert capsys.readouterr().err.startswith(
        "hub: error: tag rule 'bad' of shop 1: at $.all[0].metric: unknown metric \"orders\""
    )
    assert cli.main(["analytics", "tags", "add", "--shop", str(SHOP), "bad", '{"all": [']) == 1
    assert "the condition is not JSON" in capsys.readouterr().err

    assert cli.main(["analytics", "tags", "list", "--shop", str(SHOP), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(r["name"], r["customers"], r["condition"], r["description"]) for r in listed] == [
        ("loyal-at-risk", tagged, RULES["loyal-at-risk"], "call them")
    ]
    assert (
        cli.main(
            ["analytics", "tags", "add", "--shop", str(SHOP), "loyal-at-risk", json.dumps(RULES["few"]), "--replace"]
        )
        == 0
    )
    assert "replaced" in capsys.readouterr().out
    assert stored_tags(admin) == expected_tags(shops[SHOP], {"loyal-at-risk": RULES["few"]})

    assert cli.main(["analytics", "tags", "remove", "--shop", str(SHOP), "loyal-at-risk"]) == 0
    assert stored_tags(admin) == set()
    assert cli.main(["analytics", "tags", "remove", "--shop", str(SHOP), "loyal-at-risk"]) == 1
