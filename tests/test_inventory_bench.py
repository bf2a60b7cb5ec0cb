"""`hub bench inventory` on a tiny generated shop set: it runs end to end, its incremental
refreshes leave what a full one does, and the refresh reads only the quarters of its windows."""

from __future__ import annotations

import psycopg

from bench import inventory_bench
from bench.generate import BENCH_SHOPS, generate
from runner.db import Target

CANCELLED = "select count(*) from sales.orders where shop_id = any(%s) and status_id = -4"


def test_inventory_bench_runs_and_its_checks_hold(db: Target, admin: psycopg.Connection) -> None:
    generate(db, scale=0.002, seed=5, parallel=1, echo=False)
    cancelled = admin.execute(CANCELLED, [list(BENCH_SHOPS)]).fetchone()
    # 0: every incremental refresh left what a full one does, and the plans pruned old quarters
    assert inventory_bench.run(db, rounds=1, changed=20, record_results=False) == 0
    state = admin.execute(
        "select count(*) from analytics.variant_demand_state where shop_id = any(%s)", [list(BENCH_SHOPS)]
    ).fetchone()
    assert state == (len(BENCH_SHOPS),)
    assert admin.execute(CANCELLED, [list(BENCH_SHOPS)]).fetchone() == cancelled  # the orders put back
