"""GET /metrics: the Prometheus text format of ops.metrics(), parsed back by prometheus_client's
own parser, with values checked against what the test set up."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

import monitoring_helpers as setup
from runner import telemetry
from runner.config import REPO_ROOT, Config
from runner.db import Target
from runner.metrics import FAMILIES, UP, render
from runner.web import create_app, signature

SHOP = 42
KEY = "0123456789abcdef0123456789abcdef"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """(sample name, sorted labels) -> value, of every family, via prometheus_client's parser."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def delivery(shop: int = SHOP, instance: str = "2026000001") -> bytes:
    return json.dumps(
        {
            "eshopId": shop,
            "event": "order:update",
            "eventCreated": "2026-03-01T10:00:00+0100",
            "eventInstance": instance,
        }
    ).encode()


@pytest.fixture
def client(db: Target, admin: psycopg.Connection, hub_env: dict[str, str]) -> Iterator[TestClient]:
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'Shop')", (SHOP,))
    admin.execute(
        "select core.setting_set_secret('shoptet.signature_key', %s, %s, %s)", (KEY, SHOP, hub_env["HUB_SECRET_KEY"])
    )
    with TestClient(create_app(Config.from_env(), db)) as c:
        yield c


def test_metrics_parse_and_count_a_failed_job_a_rejected_webhook_and_a_default_partition_row(
    client: TestClient, admin: psycopg.Connection
) -> None:
    failed = setup.failed_job(admin, queue="webhooks", error="ValueError: boom")
    setup.default_partition_row(admin, lines=3)
    body = delivery()
    assert (
        client.post("/webhooks/shoptet", content=body, headers={"Shoptet-Webhook-Signature": "0" * 40}).status_code
        == 401
    )
    ok = client.post("/webhooks/shoptet", content=body, headers={"Shoptet-Webhook-Signature": signature(body, KEY)})
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    again = client.post("/webhooks/shoptet", content=body, headers={"Shoptet-Webhook-Signature": signature(body, KEY)})
    assert again.json()["status"] == "duplicate"
    current = telemetry.current()
    assert current is not None and current.flush()

    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    got = samples(response.text)

    assert got[(UP, ())] == 1.0
    assert got[("shoptet_hub_queue_jobs", (("queue", "webhooks"), ("status", "failed")))] == 1.0
    assert (
        got[("shoptet_hub_queue_jobs", (("queue", "webhooks"), ("status", "todo")))] == 1.0
    )  # the accepted one's fetch
    assert got[("shoptet_hub_queue_jobs", (("queue", "orders"), ("status", "failed")))] == 0.0
    assert got[("shoptet_hub_webhook_deliveries_total", (("outcome", "bad_signature"),))] == 1.0
    assert got[("shoptet_hub_webhook_deliveries_total", (("outcome", "accepted"),))] == 1.0
    assert got[("shoptet_hub_webhook_deliveries_total", (("outcome", "duplicate"),))] == 1.0
    assert got[("shoptet_hub_webhook_deliveries_total", (("outcome", "unknown_shop"),))] == 0.0
    assert got[("shoptet_hub_default_partition_rows", (("table", "sales.order_items_default"),))] == 3.0
    assert got[("shoptet_hub_attention_items", (("check", "failed_jobs"),))] == 1.0
    assert got[("shoptet_hub_attention_items", (("check", "default_partition"),))] == 1.0
    assert got[("shoptet_hub_attention_items", (("check", "backup"),))] == 1.0  # no backup at all
    assert got[("shoptet_hub_backup_last_verified_timestamp_seconds", ())] == 0.0
    assert got[("shoptet_hub_sync_interval_seconds", (("entity", "orders"),))] == 300.0
    assert got[("shoptet_hub_sync_lag_seconds", (("entity", "orders"), ("shop", str(SHOP))))] >= 0.0
    # the failed job is in the view the alert points to, with its error
    assert admin.execute("select error from ops.failed_jobs where job_id = %s", (failed,)).fetchone() == (
        "ValueError: boom",
    )
    # every family has HELP and TYPE and a known name
    families = {f.name: f.type for f in text_string_to_metric_families(response.text)}
    assert set(families) <= {name for name in FAMILIES}
    assert families["shoptet_hub_webhook_deliveries"] == "counter"
    assert all(name.startswith("shoptet_hub_") for name in families)


def test_a_histogram_is_cumulative_with_sum_and_count(client: TestClient, admin: psycopg.Connection) -> None:
    admin.execute(
        "select ops.record_job_runs(array['orders', 'orders', 'orders'], "
        "array['sync_entity', 'sync_entity', 'sync_entity'], array['succeeded', 'succeeded', 'failed'], "
        "array[0.05, 2, 700])"
    )
    admin.execute("select ops.record_api_calls(array[42, 42], array[200, 429], array[now(), now()], array[0.2, 0.03])")
    got = samples(client.get("/metrics").text)
    orders = {
        dict(labels)["le"]: v for (name, labels), v in got.items() if name == "shoptet_hub_job_duration_seconds_bucket"
    }
    assert (orders["0.1"], orders["1.0"], orders["5.0"], orders["900.0"], orders["+Inf"]) == (1.0, 1.0, 2.0, 3.0, 3.0)
    assert got[("shoptet_hub_job_duration_seconds_count", (("queue", "orders"),))] == 3.0
    assert got[("shoptet_hub_job_duration_seconds_sum", (("queue", "orders"),))] == pytest.approx(702.05)
    assert got[("shoptet_hub_job_runs_total", (("queue", "orders"), ("status", "failed")))] == 1.0
    assert got[("shoptet_hub_job_failures_total", (("queue", "orders"),))] == 1.0
    assert got[("shoptet_hub_shoptet_api_requests_total", (("shop", "42"), ("status", "429")))] == 1.0
    api = {
        dict(labels)["le"]: v
        for (name, labels), v in got.items()
        if name == "shoptet_hub_shoptet_api_request_duration_seconds_bucket"
    }
    assert (api["0.05"], api["0.25"], api["+Inf"]) == (1.0, 2.0, 2.0)


def test_a_scrape_within_the_cache_time_reads_nothing_new(client: TestClient, admin: psycopg.Connection) -> None:
    first = client.get("/metrics").text
    setup.failed_job(admin)
    assert client.get("/metrics").text == first  # cached for a few seconds: one query for every scrape meanwhile
    client.app.state.hub.metrics.ttl = 0  # type: ignore[attr-defined]
    assert (
        samples(client.get("/metrics").text)[("shoptet_hub_queue_jobs", (("queue", "webhooks"), ("status", "failed")))]
        == 1.0
    )


def test_without_the_database_only_up_zero_is_exposed() -> None:
    got = samples(render(None).decode())
    assert got == {(UP, ()): 0.0}


def test_every_family_is_documented_and_named_in_the_sql() -> None:
    operations = (REPO_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    sql = (REPO_ROOT / "db" / "functions" / "ops" / "metrics.sql").read_text(encoding="utf-8")
    for name, (kind, _) in FAMILIES.items():
        shown = name + ("_total" if kind == "counter" else "")
        assert f"`{shown}" in operations, f"docs/operations.md does not list {shown}"
        assert name == UP or re.search(rf"\b{name}\b", sql), f"metrics.sql does not make {name}"
