"""Customer metrics, RFM, CLV and churn (issue 13): smoke first."""

from __future__ import annotations

import psycopg

from commerce_data import fill


def test_smoke(admin: psycopg.Connection) -> None:
    fill(admin, shop=1, orders=3000, customers=500)
    print(admin.execute("select analytics.rebuild_customer_metrics(1, true)").fetchone())
    print(admin.execute("select count(*), count(distinct rfm_segment) from analytics.customer_metrics").fetchone())
    print(admin.execute("select * from analytics.customer_rfm_bounds").fetchone())
    print(admin.execute("select count(*) from analytics.customer_changes").fetchone())
    keys = [r[0] for r in admin.execute("select customer_key from analytics.customer_metrics limit 5").fetchall()]
    print(admin.execute("select analytics.refresh_customer_keys(1, %s)", [keys]).fetchone())
    admin.execute("update sales.orders set status_id = -4 where code in ('0000000001', '0000000002', '0000000003')")
    print(admin.execute("select analytics.refresh_changed_customers(1)").fetchone())
    print(
        admin.execute(
            "select * from analytics.compute_customer_metrics(1, now() - interval '100 days') limit 2"
        ).fetchall()
    )
