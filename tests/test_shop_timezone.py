"""Each shop's calendar is its own time zone (issue 11, item 6): date-only bounds start at local
midnight, the zone comes from GET /api/eshop settings.timezone, psql readers see local time."""

from __future__ import annotations

import copy
import json
import logging
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from runner import cli
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.sandbox.odd_inputs import odd_orders
from runner.shoptet.shops import add_shop, refresh_shop
from sandbox_helpers import NOWHERE, import_entity

PRAGUE, BUCHAREST = 900101, 900102
UTC = UTC

pytestmark = [
    pytest.mark.sandbox(
        scale=0.00002,
        seed=13,
        shops=(PRAGUE, BUCHAREST),
        job_seconds=0.1,
        webhook_retry_delay=0.05,
        timezones={BUCHAREST: "Europe/Bucharest"},
    ),
    pytest.mark.shop(env={"HUB_PUBLIC_URL": NOWHERE}),
]


def template(box: Sandbox, shop: int) -> dict[str, Any]:
    shop_data = box.shop(shop)
    return next(
        o
        for i in range(shop_data.orders.base_count)
        if (o := shop_data.order(i)) and any(item["itemType"] == "product" for item in o["items"])
    )


def codes(conn: psycopg.Connection, sql: str, params: tuple[Any, ...]) -> set[str]:
    return {r[0] for r in conn.execute(sql, params).fetchall()}


def test_an_order_half_an_hour_into_april_in_prague_is_in_the_second_quarter_of_the_shop(
    sandbox: Sandbox, sandbox_cfg: Config, db: Target, app: psycopg.Connection
) -> None:
    april = next(o for o in odd_orders(template(sandbox, PRAGUE)) if o["code"] == "ODD-TZ-1")
    assert april["creationTime"] == "2026-04-01T00:30:00+0200"
    sandbox.put(PRAGUE, "orders", [april], webhooks=False)
    assert add_shop(sandbox_cfg, sandbox.private_token(PRAGUE)).timezone == "Europe/Prague"
    assert import_entity(sandbox_cfg, db, "orders", PRAGUE)["status"] == "completed"
    assert app.execute("show timezone").fetchone() == ("UTC",)  # the app's sessions: not Prague

    by_type = (
        "select order_code, item_id, item_type, created_at, total_with_vat "
        "from sales.order_items_by_type(%s, 'discount-coupon', %s, %s, 100000) where order_code = 'ODD-TZ-1'"
    )
    discount = [("ODD-TZ-1", 2, "discount-coupon", datetime(2026, 3, 31, 22, 30, tzinfo=UTC), Decimal("-49.90"))]
    # bounds as psql users type them (untyped literals), as dates, and as Python dates
    assert (
        app.execute(by_type.replace("%s, %s, 100000", "'2026-04-01', '2026-07-01', 100000"), (PRAGUE,)).fetchall()
        == discount
    )
    assert (
        app.execute(
            by_type.replace("%s, %s, 100000", "date '2026-04-01', date '2026-07-01', 100000"), (PRAGUE,)
        ).fetchall()
        == discount
    )
    assert app.execute(by_type, (PRAGUE, date(2026, 4, 1), date(2026, 7, 1))).fetchall() == discount
    assert app.execute(by_type, (PRAGUE, "2026-04-01", "2026-07-01")).fetchall() == discount
    assert app.execute(by_type, (PRAGUE, "2026-01-01", "2026-04-01")).fetchall() == []
    # a bound with a time is a moment, as before: UTC midnight of April 1st is after the order
    assert app.execute(by_type, (PRAGUE, "2026-04-01 00:00+00", "2026-07-01 00:00+00")).fetchall() == []
    assert (
        app.execute(by_type, (PRAGUE, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))).fetchall()
        == discount
    )

    status = april["status"]["id"]
    page = "select code from sales.orders_by_status_page(%s, %s, {}, null, null, 1000)"
    assert "ODD-TZ-1" in codes(app, page.format("'2026-04-01', '2026-07-01'"), (PRAGUE, status))
    assert "ODD-TZ-1" not in codes(app, page.format("'2026-01-01', '2026-04-01'"), (PRAGUE, status))
    assert "ODD-TZ-1" in codes(app, page.format("%s, %s"), (PRAGUE, status, date(2026, 4, 1), date(2026, 7, 1)))
    assert "ODD-TZ-1" not in codes(app, page.format("%s, %s"), (PRAGUE, status, date(2026, 1, 1), date(2026, 4, 1)))

    # psql sessions of hub_readonly show local time; what is stored is the same moment
    with psycopg.connect(db.readonly, autocommit=True) as ro:
        assert ro.execute("show timezone").fetchone() == ("Europe/Prague",)
        assert ro.execute("select created_at::text from sales.orders where code = 'ODD-TZ-1'").fetchone() == (
            "2026-04-01 00:30:00+02",
        )


def test_a_romanian_shop_cuts_its_days_at_bucharest_midnight_while_a_prague_shop_keeps_its_own(
    sandbox: Sandbox, sandbox_cfg: Config, db: Target, app: psycopg.Connection
) -> None:
    # 00:30 on July 1st in Bucharest is 23:30 on June 30th in Prague and 21:30 in UTC
    for shop in (PRAGUE, BUCHAREST):
        order = copy.deepcopy(template(sandbox, shop))
        order.update(
            code="RO-MIDNIGHT",
            guid=None,
            creationTime="2026-07-01T00:30:00+0300",
            changeTime="2026-07-01T00:30:00+0300",
        )
        sandbox.put(shop, "orders", [order], webhooks=False)
    assert add_shop(sandbox_cfg, sandbox.private_token(BUCHAREST)).timezone == "Europe/Bucharest"
    assert add_shop(sandbox_cfg, sandbox.private_token(PRAGUE)).timezone == "Europe/Prague"
    for shop in (PRAGUE, BUCHAREST):
        assert import_entity(sandbox_cfg, db, "orders", shop)["status"] == "completed"
    assert app.execute("select shop_id, timezone from core.shops order by 1").fetchall() == [
        (PRAGUE, "Europe/Prague"),
        (BUCHAREST, "Europe/Bucharest"),
    ]

    status = app.execute(
        "select status_id from sales.orders where code = 'RO-MIDNIGHT' and shop_id = %s", (BUCHAREST,)
    ).fetchone()[0]  # type: ignore[index]
    page = "select code from sales.orders_by_status_page(%s, %s, %s, %s, null, null, 1000)"
    assert "RO-MIDNIGHT" in codes(app, page, (BUCHAREST, status, "2026-07-01", "2026-10-01"))
    assert "RO-MIDNIGHT" not in codes(app, page, (BUCHAREST, status, "2026-04-01", "2026-07-01"))
    assert "RO-MIDNIGHT" in codes(app, page, (PRAGUE, status, "2026-04-01", "2026-07-01"))
    assert "RO-MIDNIGHT" not in codes(app, page, (PRAGUE, status, "2026-07-01", "2026-10-01"))
    assert app.execute(
        "select core.shop_day_start(%s, '2026-07-01'), core.shop_day_start(%s, '2026-07-01')", (BUCHAREST, PRAGUE)
    ).fetchone() == (datetime(2026, 6, 30, 21, 0, tzinfo=UTC), datetime(2026, 6, 30, 22, 0, tzinfo=UTC))
    # the customers registered on local days take the same calendar
    registered = app.execute(
        "select count(*) from sales.customers_created_page(%s, '2000-01-01', '2100-01-01', null, null, 100000)",
        (BUCHAREST,),
    ).fetchone()
    assert registered == (0,)  # no customer imported here: the overload resolves and runs


def test_a_local_quarter_reads_at_most_two_utc_partitions(
    sandbox: Sandbox, sandbox_cfg: Config, db: Target, admin: psycopg.Connection
) -> None:
    add_shop(sandbox_cfg, sandbox.private_token(PRAGUE))
    assert import_entity(sandbox_cfg, db, "orders", PRAGUE)["status"] == "completed"
    admin.execute("load 'auto_explain'")
    for setting, value in (
        ("log_min_duration", "0"),
        ("log_nested_statements", "on"),
        ("log_format", "json"),
        ("log_analyze", "on"),
        ("log_level", "notice"),
    ):
        admin.execute(f"set auto_explain.{setting} = '{value}'")

    def partitions_read(sql: str) -> set[str]:
        notices: list[str] = []
        handler = lambda diag: notices.append(diag.message_primary or "")  # noqa: E731
        admin.add_notice_handler(handler)
        try:
            admin.execute(sql, (PRAGUE,)).fetchall()
        finally:
            admin.remove_notice_handler(handler)
        read: set[str] = set()

        def walk(node: dict[str, Any]) -> None:
            name = node.get("Relation Name", "")
            if name.startswith("order_items_") and node.get("Actual Loops", 0) > 0:
                read.add(name)
            for child in node.get("Plans", []):
                walk(child)

        for text in notices:
            if "{" in text:
                walk(json.loads(text[text.index("{") :])["Plan"])
        return read

    local_q2 = partitions_read("select * from sales.order_items_by_type(%s, 'product', '2026-04-01', '2026-07-01')")
    assert local_q2 == {"order_items_p2026q1", "order_items_p2026q2"}  # 2 hours of March 31st (UTC) and the rest
    utc_q2 = partitions_read(
        "select * from sales.order_items_by_type(%s, 'product', "
        "'2026-04-01 00:00+00'::timestamptz, '2026-07-01 00:00+00'::timestamptz)"
    )
    assert utc_q2 == {"order_items_p2026q2"}


def test_a_missing_or_unknown_time_zone_from_the_api_falls_back_to_prague_with_a_warning(
    sandbox: Sandbox, sandbox_cfg: Config, db: Target, admin: psycopg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.set_timezone(PRAGUE, "Mars/Olympus_Mons")
    with caplog.at_level(logging.WARNING, logger="hub.shops"):
        assert add_shop(sandbox_cfg, sandbox.private_token(PRAGUE)).timezone == "Europe/Prague"
    warned = [r for r in caplog.records if "not a time zone" in r.getMessage()]
    assert len(warned) == 1 and warned[0].ctx["shop_id"] == PRAGUE and "Mars/Olympus_Mons" in warned[0].ctx["given"]  # type: ignore[attr-defined]

    caplog.clear()
    sandbox.set_timezone(PRAGUE, None)
    with caplog.at_level(logging.WARNING, logger="hub.shops"):
        assert refresh_shop(sandbox_cfg, PRAGUE) == {"shop_id": PRAGUE, "timezone": "Europe/Prague"}
    assert [r.ctx["shop_id"] for r in caplog.records if "no settings.timezone" in r.getMessage()] == [PRAGUE]  # type: ignore[attr-defined]

    # a refresh picks up a new zone (the shop moved to Budapest), through `hub shop refresh`
    sandbox.set_timezone(PRAGUE, "Europe/Budapest")
    assert cli.main(["shop", "refresh", str(PRAGUE)]) == 0
    assert admin.execute("select timezone from core.shops where shop_id = %s", (PRAGUE,)).fetchone() == (
        "Europe/Budapest",
    )
    # the column refuses what PostgreSQL does not know, naming the shop
    with pytest.raises(psycopg.errors.CheckViolation) as refused:
        admin.execute("update core.shops set timezone = 'CEST' where shop_id = %s", (PRAGUE,))
    assert f"shop {PRAGUE}" in str(refused.value) and "'CEST'" in str(refused.value)
