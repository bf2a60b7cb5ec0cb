"""Snapshot import against the sandbox over real HTTP, into a real database (issue 5 acceptance)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from decimal import Decimal

import psycopg
import pytest

from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.shoptet import snapshots
from runner.shoptet.auth import AddonToken
from runner.shoptet.client import ShoptetClient
from runner.shoptet.shop_client import client_for_shop
from runner.shoptet.shops import add_shop
from sandbox_helpers import FAST, HUB, SHOP, client_for, hub_totals, import_entities, sandbox_totals

pytestmark = pytest.mark.shop(master=True)


def test_full_import_equals_the_sandbox_and_a_second_import_changes_nothing(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    box = sandbox
    outcomes = import_entities(shop, db, ("customers", "products", "orders"))
    assert [o["status"] for o in outcomes] == ["completed"] * 3
    assert hub_totals(admin) == sandbox_totals(box)
    jobs = admin.execute(
        "select entity, status, progress_percentage, processed_count, total_count, total_is_estimate "
        "from ingest.snapshot_jobs order by id"
    ).fetchall()
    assert all(j[1] == "completed" and j[2] == 100 and j[3] == j[4] and not j[5] for j in jobs), jobs
    # every order line lands in a quarterly partition (hot) or the archive; the default stays empty
    assert admin.execute("select count(*) from sales.order_items_default").fetchone() == (0,)
    assert admin.execute("select count(*) from archive.order_items").fetchone()[0] > 0  # type: ignore[index]

    before = admin.execute("select max(synced_at), count(*) from sales.orders").fetchone()
    items_before = admin.execute("select max(synced_at) from sales.order_items_all").fetchone()
    again = import_entities(shop, db, ("customers", "products", "orders"))
    assert [o["status"] for o in again] == ["completed"] * 3
    assert admin.execute("select max(synced_at), count(*) from sales.orders").fetchone() == before
    assert admin.execute("select max(synced_at) from sales.order_items_all").fetchone() == items_before
    assert hub_totals(admin) == sandbox_totals(box)


def test_dates_with_offsets_and_money_are_exact(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)
        page = next(client.iter_pages("/api/orders", "orders", {"itemsPerPage": 5}))
        detail = client.get(f"/api/orders/{page[0]['code']}")["order"]
    row = admin.execute(
        "select created_at, total_with_vat, exchange_rate from sales.orders where shop_id = %s and code = %s",
        (SHOP, detail["code"]),
    ).fetchone()
    assert row is not None
    from runner.shoptet.client import parse_datetime

    assert row[0] == parse_datetime(detail["creationTime"])
    assert row[1] == Decimal(detail["price"]["withVat"])
    assert row[2] == Decimal(detail["price"]["exchangeRate"])
    lines = admin.execute(
        "select item_id, total_with_vat, amount from sales.order_items_all "
        "where shop_id = %s and order_code = %s order by item_id",
        (SHOP, detail["code"]),
    ).fetchall()
    assert [
        (i["itemId"], Decimal(i["itemPrice"]["withVat"]), Decimal(i["amount"]))
        for i in sorted(detail["items"], key=lambda i: i["itemId"])
    ] == lines


def test_faults_429_500_truncated_gzip_and_malformed_lines(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    box = sandbox
    # every download of the attempt is cut (the first and its 3 resumes): the attempt fails
    box.set_faults(rate_limit_burst=3, server_errors=2, truncate_gzip=4, malformed_fraction=0.01)
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        with pytest.raises(snapshots.SnapshotFailed) as failed:
            snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)
        assert "truncated" in str(failed.value) and "gave up after 4 downloads" in str(failed.value)
        assert client.stats.rate_limited >= 3 and client.stats.retries >= 5
        job_id = failed.value.job_id
        job = snapshots.get_job(conn, job_id)
        assert (
            job is not None
            and job["status"] == "failed"
            and job["retry_count"] == 1
            and "truncated" in job["last_error"]
        )
        assert job["downloads"] == 4 and job["resume_after_line"] > 0
        partial = admin.execute("select count(*) from sales.orders").fetchone()[0]  # type: ignore[index]
        # the retry (due after an hour; here made due at once) reuses the still-valid file and
        # resumes after the lines already applied
        admin.execute(
            "update ingest.snapshot_jobs set last_attempt_at = now() - interval '2 hours' where id = %s", (job_id,)
        )
        due = admin.execute("select id, status from ingest.snapshot_jobs_due_for_retry()").fetchall()
        assert due == [(job_id, "retrying")]
        outcome = snapshots.run_job(conn, client, job_id, options=FAST)
    assert outcome["status"] == "completed_with_errors" and outcome["downloads"] == 1
    assert len([j for j in box.jobs_of(SHOP) if j.entity == "orders"]) == 1  # no second snapshot asked for
    shoptet_job = admin.execute("select shoptet_job_id from ingest.snapshot_jobs where id = %s", (job_id,)).fetchone()[
        0
    ]  # type: ignore[index]
    bad = box.job_info(shoptet_job)["malformedLines"]
    assert bad, "the sandbox should have broken some lines"
    failures = admin.execute(
        "select line_no, error, raw_line from ingest.snapshot_failures where job_id = %s order by line_no", (job_id,)
    ).fetchall()
    assert [f[0] for f in failures] == sorted(bad)
    assert all(f[1] and f[2] for f in failures)
    totals = sandbox_totals(box)
    assert hub_totals(admin)["orders"] == totals["orders"] - len(bad) >= partial
    job = admin.execute(
        "select status, failed_count, retry_count from ingest.snapshot_jobs where id = %s", (job_id,)
    ).fetchone()
    assert job == ("completed_with_errors", len(bad), 1)


@pytest.mark.parametrize("outcome", ["failed", "expired", "killed"])
def test_a_failed_expired_or_killed_shoptet_job_fails_the_import_with_a_reason(
    outcome: str, sandbox: Sandbox, shop: Config, db: Target
) -> None:
    box = sandbox
    box.set_faults(job_outcome=outcome)
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        with pytest.raises(snapshots.SnapshotFailed) as failed:
            snapshots.import_snapshot(conn, client, SHOP, "customers", options=FAST)
    assert outcome[:4] in str(failed.value) and failed.value.retries_left == 2


def test_snapshot_without_job_finished_webhook_explains_what_to_do(
    sandbox: Sandbox, db: Target, hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, url = sandbox, sandbox.base_url()
    monkeypatch.setenv("HUB_SHOPTET_API_URL", url)
    cfg = Config.from_env()
    add_shop(cfg, box.private_token(SHOP), register_webhooks=False)
    with client_for(cfg) as client, psycopg.connect(db.app) as conn:
        with pytest.raises(snapshots.SnapshotFailed) as failed:
            snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)
    assert "job:finished" in str(failed.value) and "hub shop add" in str(failed.value)


def test_wrong_token_is_a_clear_error(
    sandbox: Sandbox, hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sandbox.base_url()
    monkeypatch.setenv("HUB_SHOPTET_API_URL", url)
    from runner.shoptet.errors import AuthError

    with pytest.raises(AuthError, match="refused the API token"):
        add_shop(Config.from_env(), "not-a-token")


def test_token_minting_is_single_flight_under_20_concurrent_callers(
    sandbox: Sandbox, db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    box, url = sandbox, sandbox.base_url()
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'addon')", (SHOP,))
    barrier = threading.Barrier(20)
    tokens: list[str] = []
    errors: list[BaseException] = []

    def caller() -> None:
        auth = AddonToken(
            SHOP, oauth_url=url, oauth_token=oauth_token, conninfo=db.app, secret_key=hub_env["HUB_SECRET_KEY"]
        )
        barrier.wait()
        try:
            tokens.append(auth.token())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    import httpx

    grant = httpx.post(
        f"{url}/action/ApiOAuthServer/token",
        json={
            "code": f"sandbox-code-{SHOP}",
            "client_id": "x",
            "client_secret": "y",
            "redirect_uri": "z",
            "grant_type": "authorization_code",
            "scope": "api",
        },
    ).json()
    oauth_token = grant["access_token"]
    threads = [threading.Thread(target=caller) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(tokens) == 20 and len(set(tokens)) == 1
    assert admin.execute("select mint_count from core.shop_access_tokens where shop_id = %s", (SHOP,)).fetchone() == (
        1,
    )

    # an expired token (401 expired-token) mints once and repeats the request once
    box.set_faults(expire_tokens=1)
    auth = AddonToken(
        SHOP, oauth_url=url, oauth_token=oauth_token, conninfo=db.app, secret_key=hub_env["HUB_SECRET_KEY"]
    )
    with ShoptetClient(url, auth, shop_id=SHOP) as client:
        assert client.get("/api/eshop")["contactInformation"]["eshopId"] == SHOP
        assert client.stats.renewed_tokens == 1
    assert admin.execute("select mint_count from core.shop_access_tokens where shop_id = %s", (SHOP,)).fetchone() == (
        2,
    )


def test_sigkill_halfway_then_rerun_completes_with_exact_counts(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    box, url = sandbox, sandbox.base_url()
    box.set_faults(slow_ms=0)
    env = {**os.environ, "HUB_SHOPTET_API_URL": url, "HUB_LOG_LEVEL": "WARNING"}
    hub = [HUB]
    proc = subprocess.Popen(
        hub + ["snapshot", "import", "--shop", str(SHOP), "--entity", "orders", "--quiet", "--chunk-lines", "50"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    killed_at = None
    while time.monotonic() < deadline and proc.poll() is None:
        row = admin.execute("select processed_count from ingest.snapshot_jobs order by id desc limit 1").fetchone()
        if row and row[0] >= 500:
            proc.send_signal(signal.SIGKILL)
            killed_at = row[0]
            break
        time.sleep(0.01)
    proc.wait(timeout=10)
    assert killed_at is not None, "the import finished before it could be killed"
    total = sandbox_totals(box)
    assert 0 < hub_totals(admin)["orders"] < total["orders"]
    done = subprocess.run(
        hub + ["snapshot", "import", "--shop", str(SHOP), "--entity", "orders", "--quiet"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    got = hub_totals(admin)
    assert (got["orders"], got["order_items"], got["orders_total_with_vat"]) == (
        total["orders"],
        total["order_items"],
        total["orders_total_with_vat"],
    )
    dupes = admin.execute(
        "select count(*) from (select shop_id, order_code, item_id from sales.order_items_all "
        "group by 1, 2, 3 having count(*) > 1) d"
    ).fetchone()
    assert dupes == (0,)


def test_hourly_retry_runs_a_due_failed_job_in_a_worker(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    box = sandbox
    box.set_faults(job_outcome="killed", job_outcome_jobs=1)
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        with pytest.raises(snapshots.SnapshotFailed):
            snapshots.import_snapshot(conn, client, SHOP, "customers", options=FAST)
    admin.execute("update ingest.snapshot_jobs set last_attempt_at = now() - interval '61 minutes'")
    from runner import tasks

    bound = tasks.configure(db)
    with bound.open():
        assert tasks.retry_snapshots() == 1
        assert tasks.retry_snapshots() == 0  # claimed: not queued twice
        bound.run_worker(queues=["snapshots"], wait=False, install_signal_handlers=False)
    job = admin.execute("select status, retry_count, processed_count from ingest.snapshot_jobs").fetchone()
    assert job == ("completed", 1, box.totals(SHOP)["customers"])
    assert hub_totals(admin)["customers"] == box.totals(SHOP)["customers"]


def test_retries_end_in_a_visible_failed_state(db: Target, admin: psycopg.Connection) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (1, 's')")
    job = admin.execute(
        "insert into ingest.snapshot_jobs (shop_id, entity) values (1, 'orders') returning id"
    ).fetchone()[0]  # type: ignore[index]
    for attempt in range(3):
        admin.execute("select ingest.snapshot_job_fail(%s, 'boom')", (job,))
        admin.execute("update ingest.snapshot_jobs set last_attempt_at = now() - interval '2 hours'")
        due = admin.execute("select id from ingest.snapshot_jobs_due_for_retry()").fetchall()
        assert due == ([(job,)] if attempt < 2 else [])
    assert admin.execute("select status, retry_count, last_error from ingest.snapshot_jobs").fetchone() == (
        "failed",
        3,
        "boom",
    )
    # not due within the hour
    admin.execute("update ingest.snapshot_jobs set retry_count = 0, status = 'failed', last_attempt_at = now()")
    assert admin.execute("select count(*) from ingest.snapshot_jobs_due_for_retry()").fetchone() == (0,)


def test_addon_install_against_the_sandbox_registers_webhooks_then_imports_with_minted_tokens(
    sandbox: Sandbox, db: Target, admin: psycopg.Connection, hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from starlette.testclient import TestClient

    from runner.web import create_app

    box, url = sandbox, sandbox.base_url()
    monkeypatch.setenv("HUB_SHOPTET_API_URL", url)
    monkeypatch.setenv("HUB_PUBLIC_URL", "http://127.0.0.1:9")
    key = hub_env["HUB_SECRET_KEY"]
    admin.execute("select core.setting_set('shoptet.addon.client_id', to_jsonb('client-1'::text))")
    admin.execute("select core.setting_set('shoptet.addon.redirect_uri', to_jsonb('https://hub.example/i'::text))")
    admin.execute("select core.setting_set('shoptet.addon.oauth_url', to_jsonb(%s::text))", (url,))
    admin.execute("select core.setting_set_secret('shoptet.addon.client_secret', 's3cret', null, %s)", (key,))
    box.set_timezone(SHOP, "Europe/Bratislava")
    cfg = Config.from_env()
    with TestClient(create_app(cfg, db)) as client:
        r = client.get("/shoptet/install", params={"code": f"sandbox-code-{SHOP}"})
    assert r.status_code == 200, r.text
    # the install read the shop's calendar from GET /api/eshop settings.timezone
    assert admin.execute("select timezone from core.shops where shop_id = %s", (SHOP,)).fetchone() == (
        "Europe/Bratislava",
    )
    stored = admin.execute("select core.setting_get_secret('shoptet.signature_key', %s, %s)", (SHOP, key)).fetchone()
    assert stored == (box.signature_key(SHOP),)
    with client_for_shop(SHOP, cfg=cfg) as api:
        hooks = {h["event"]: h["url"] for page in api.iter_pages("/api/webhooks", "webhooks") for h in page}
        assert hooks["job:finished"] == "http://127.0.0.1:9/webhooks/shoptet"
        with psycopg.connect(db.app) as conn:
            outcome = snapshots.import_snapshot(conn, api, SHOP, "customers", options=FAST)
    assert outcome["status"] == "completed" and outcome["lines"] == box.totals(SHOP)["customers"]
    assert admin.execute("select mint_count from core.shop_access_tokens").fetchone() == (1,)


def test_shop_and_snapshot_commands(
    sandbox: Sandbox, db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    box, url = sandbox, sandbox.base_url()
    hub = HUB
    env = {**os.environ, "HUB_SHOPTET_API_URL": url, "HUB_LOG_LEVEL": "WARNING"}

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([hub, *args], env=env, capture_output=True, text=True, timeout=120)
        assert (done.returncode == 0) == ok, (args, done.stdout, done.stderr)
        return done

    assert "no shops" in run("shop", "list").stdout
    added = run("shop", "add", "--token", box.private_token(SHOP), "--name", "Demo", "--master")
    assert f"connected shop {SHOP} (Demo)" in added.stdout and "job:finished" in added.stdout
    assert box.private_token(SHOP) not in added.stdout + added.stderr
    bad = run("shop", "add", "--token", "wrong", ok=False)
    assert "refused the API token" in bad.stderr and "Traceback" not in bad.stderr
    imported = run("snapshot", "import", "--shop", str(SHOP), "--entity", "customers", "--quiet")
    assert "completed" in imported.stdout
    # newcomer finding 16: a first import queues the inventory refresh as it does the customers'
    assert "completed" in run("snapshot", "import", "--shop", str(SHOP), "--entity", "products", "--quiet").stdout
    queued = admin.execute(
        "select task_name, lock from procrastinate.procrastinate_jobs where status = 'todo' order by task_name"
    ).fetchall()
    assert ("recalculate_inventory", f"shop:{SHOP}:inventory") in queued, queued
    assert ("refresh_changed_customers", f"shop:{SHOP}:customer_changes") in queued, queued
    assert "Demo" in run("shop", "list").stdout
    shown = run("shop", "show", str(SHOP)).stdout
    assert "shoptet.private_token" in shown and box.private_token(SHOP) not in shown
    listed = run("snapshot", "list", "--shop", str(SHOP)).stdout
    assert "customers" in listed and "completed" in listed
    job_id = admin.execute("select id from ingest.snapshot_jobs").fetchone()[0]  # type: ignore[index]
    assert "processed_count" in run("snapshot", "show", str(job_id)).stdout
    assert "only failed" in run("snapshot", "retry", str(job_id), ok=False).stderr
    assert "does not exist" in run("snapshot", "show", "999999", ok=False).stderr
    assert "--yes" in run("shop", "remove", str(SHOP), "--purge", ok=False).stderr
    run("shop", "remove", str(SHOP))
    assert admin.execute("select status from core.shops where shop_id = %s", (SHOP,)).fetchone() == ("uninstalled",)
    assert admin.execute("select count(*) from core.settings where shop_id = %s", (SHOP,)).fetchone() == (0,)
    assert admin.execute("select count(*) from sales.customers").fetchone()[0] > 0  # type: ignore[index]
    assert "purged" in run("shop", "remove", str(SHOP), "--purge", "--yes").stdout
    assert admin.execute("select count(*) from sales.customers").fetchone() == (0,)
    assert admin.execute("select count(*) from core.shops").fetchone() == (0,)


def test_import_waits_for_the_signed_job_finished_webhook_received_by_hub_serve(
    sandbox: Sandbox, db: Target, admin: psycopg.Connection, hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.processes import free_port, stop, wait_healthy

    box, url = sandbox, sandbox.base_url()
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("HUB_SHOPTET_API_URL", url)
    monkeypatch.setenv("HUB_PUBLIC_URL", public)
    hub = HUB
    proc = subprocess.Popen(
        [hub, "serve", "--port", str(port)], env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_healthy(public, proc, timeout=20)
        cfg = Config.from_env()
        add_shop(cfg, box.private_token(SHOP))
        # no polling at all: only the webhook can tell the importer that the file is ready
        no_polls = snapshots.Options(first_poll_seconds=3600, watch_interval=0.05, deadline_seconds=30)
        with client_for(cfg) as client, psycopg.connect(db.app) as conn:
            outcome = snapshots.import_snapshot(conn, client, SHOP, "customers", options=no_polls)
        assert outcome["status"] == "completed" and outcome["lines"] == box.totals(SHOP)["customers"]
        event = admin.execute("select event, event_instance from ingest.webhook_events").fetchone()
        shoptet_job = admin.execute("select shoptet_job_id from ingest.snapshot_jobs").fetchone()
        assert event is not None and shoptet_job is not None and event == ("job:finished", shoptet_job[0])
    finally:
        stop([proc], timeout=10)
