"""A broken download of a snapshot result file is resumed within the job (issue 11, item 7):
`hub snapshot import` and the importer against the sandbox over HTTP, on a real database."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from runner import cli
from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.shoptet import snapshots
from sandbox_helpers import FAST, SHOP, client_for, hub_totals, sandbox_totals

RESUMING = "snapshot download broke off: resuming"

pytestmark = pytest.mark.shop(master=True, env={"HUB_LOG_FORMAT": "json"})


def jobs(admin: psycopg.Connection) -> dict[str, tuple[Any, ...]]:
    rows = admin.execute(
        "select entity, status, downloads, processed_count, resume_after_line, retry_count "
        "from ingest.snapshot_jobs where shop_id = %s order by id",
        (SHOP,),
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def test_result_download_faults_cut_the_first_download_of_each_file_or_drop_the_connection(sandbox: Sandbox) -> None:
    """The sandbox's switches: truncate_first_download cuts each file's first download only (a
    complete HTTP response of a truncated gzip); drop_connection closes the connection mid-body."""
    box = sandbox
    headers = {"Shoptet-Private-API-Token": box.private_token(SHOP)}
    with httpx.Client(base_url=box.base_url(), headers=headers, timeout=30) as client:
        client.post("/api/webhooks", json={"data": [{"event": "job:finished", "url": "http://127.0.0.1:9/x"}]})
        job_id = client.get("/api/customers/snapshot").json()["data"]["jobId"]
        deadline = time.monotonic() + 10
        while not any(
            j["jobId"] == job_id and j["status"] == "completed"
            for j in client.get("/api/system/jobs").json()["data"]["jobs"]
        ):
            assert time.monotonic() < deadline, "the sandbox job did not complete"
            time.sleep(0.05)
        url = client.get(f"/api/system/jobs/{job_id}").json()["data"]["job"]["resultUrl"]
        whole = Path(box.job_info(job_id)["file"]).read_bytes()
        box.set_faults(truncate_first_download=True)
        first = client.get(url)
        assert first.status_code == 200 and first.content == whole[: int(len(whole) * 0.6)]
        assert client.get(url).content == whole  # the second download of that file is whole
        box.set_faults(truncate_first_download=False, drop_connection=1, truncate_tail_bytes=10)
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(url)
        assert client.get(url).content == whole
        box.set_faults(truncate_gzip=1)
        assert client.get(url).content == whole[:-10]


def test_hub_snapshot_import_completes_in_one_run_when_the_first_download_of_every_file_is_cut_off(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    box = sandbox
    box.set_faults(truncate_first_download=True)
    assert cli.main(["snapshot", "import", "--shop", str(SHOP), "--entity", "all", "--chunk-lines", "100"]) == 0
    out, err = capsys.readouterr()
    assert hub_totals(admin) == sandbox_totals(box)
    lines = {
        "orders": box.totals(SHOP)["orders"],
        "customers": box.totals(SHOP)["customers"],
        "products": box.totals(SHOP)["products"],
    }
    # one Shoptet job per entity, each file downloaded twice, every line once
    assert sorted(j.entity for j in box.jobs_of(SHOP)) == ["customers", "orders", "products"]
    assert sorted(box.result_downloads.values()) == [2, 2, 2]
    assert jobs(admin) == {e: ("completed", 2, n, n, 0) for e, n in lines.items()}
    assert out.count("download resumed 1 time(s)") == 3
    resumed = [line for line in json_lines(err) if line.get("event") == RESUMING]
    assert sorted(r["entity"] for r in resumed) == ["customers", "orders", "products"]
    for r in resumed:  # the second download, after the last committed chunk of the first
        assert r["shop_id"] == SHOP and r["download"] == 2 and r["of"] == 4 and "truncated" in r["error"]
        assert r["resume_after_line"] % 100 == 0 and 0 <= r["resume_after_line"] < lines[r["entity"]]
    assert [r["resume_after_line"] > 0 for r in resumed if r["entity"] == "orders"] == [True]
    assert "resuming after line" in err  # the progress line says so too


def test_a_connection_dropped_mid_body_is_resumed_from_the_same_result_url(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    box = sandbox
    box.set_faults(drop_connection=2)
    phases: list[str] = []
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        outcome = snapshots.import_snapshot(
            conn, client, SHOP, "orders", options=FAST, progress=lambda p: phases.append(p.phase)
        )
    assert outcome["status"] == "completed" and outcome["downloads"] == 3
    got, want = hub_totals(admin), sandbox_totals(box)
    assert {k: got[k] for k in ("orders", "order_items", "orders_total_with_vat", "repeated_lines")} == {
        k: want[k] for k in ("orders", "order_items", "orders_total_with_vat", "repeated_lines")
    }
    assert len(box.jobs_of(SHOP)) == 1 and list(box.result_downloads.values()) == [3]
    assert [p.split(";")[0] for p in phases if p.startswith("download broke off")] == ["download broke off"] * 2
    assert jobs(admin)["orders"] == ("completed", 3, want["orders"], want["orders"], 0)


@pytest.mark.parametrize(("tail_bytes", "applied_before_resume"), [(4, "all"), (40, "all but the last")])
def test_a_download_cut_in_its_last_line_or_gzip_trailer_neither_repeats_nor_loses_lines(
    tail_bytes: int, applied_before_resume: str, sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    """Cut 4 bytes before the end (inside the gzip trailer: every line arrived, the end marker did
    not) or 40 (inside the last line): the resume starts after exactly the lines applied."""
    box = sandbox
    box.set_faults(truncate_gzip=1, truncate_tail_bytes=tail_bytes)
    total = box.totals(SHOP)["products"]
    phases: list[str] = []
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        outcome = snapshots.import_snapshot(
            conn,
            client,
            SHOP,
            "products",
            options=snapshots.Options(
                first_poll_seconds=0.2, watch_interval=0.05, resume_pause_seconds=0.05, chunk_lines=1
            ),
            progress=lambda p: phases.append(p.phase),
        )
    resumed_after = total if applied_before_resume == "all" else total - 1
    assert [p for p in phases if p.startswith("download broke off")] == [
        f"download broke off; resuming after line {resumed_after} (download 2 of 4) in 0 s"
    ]
    assert outcome == {
        "status": "completed",
        "failed": 0,
        "deleted": 0,
        "job_id": outcome["job_id"],
        "warnings": 0,
        "lines": total,
        "downloads": 2,
        "unchanged": 0,
        "analyzed": outcome["analyzed"],  # tables whose statistics the job's end refreshed
        "seconds": outcome["seconds"],
    }
    got = hub_totals(admin)
    assert (got["products"], got["variants"]) == (total, box.totals(SHOP)["variants"])
    assert jobs(admin)["products"] == ("completed", 2, total, total, 0)


def test_a_failed_job_is_retried_from_its_still_valid_result_else_from_a_new_snapshot(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    box = sandbox
    box.set_faults(truncate_gzip=4, truncate_fraction=0.8)  # every download of the attempt is cut
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        with pytest.raises(snapshots.SnapshotFailed) as failed:
            snapshots.import_snapshot(
                conn,
                client,
                SHOP,
                "customers",
                options=snapshots.Options(
                    first_poll_seconds=0.2, watch_interval=0.05, resume_pause_seconds=0.05, chunk_lines=100
                ),
            )
        job_id = failed.value.job_id
        assert "gave up after 4 downloads" in str(failed.value) and failed.value.retries_left == 2
        status, downloads, processed, resume_line, retries = jobs(admin)["customers"]
        assert (status, downloads, retries) == ("failed", 4, 1) and resume_line == processed > 0
        valid = admin.execute(
            "select result_valid_until - ready_at from ingest.snapshot_jobs where id = %s", (job_id,)
        ).fetchone()
        assert valid is not None and 23 * 3600 < valid[0].total_seconds() <= 24 * 3600 + 5  # validUntil kept

        # the file expired early at the source (404): the retry asks Shoptet for a new snapshot
        box.jobs[box.jobs_of(SHOP)[0].job_id].status = "expired"
        outcome = snapshots.run_job(conn, client, job_id, options=FAST)
    total = box.totals(SHOP)["customers"]
    assert outcome["status"] == "completed" and outcome["lines"] == total and len(box.jobs_of(SHOP)) == 2
    assert hub_totals(admin)["customers"] == total
    assert jobs(admin)["customers"] == ("completed", 1, total, total, 1)

    # past its validUntil a stored result is not reused: the next attempt asks for a new snapshot
    admin.execute(
        "update ingest.snapshot_jobs set result_valid_until = now() + interval '5 minutes', "
        "resume_after_line = 100, total_is_estimate = true where id = %s",
        (job_id,),
    )
    assert admin.execute("select * from ingest.snapshot_job_start(%s)", (job_id,)).fetchone() == (None, 0, None)
    admin.execute(
        "update ingest.snapshot_jobs set result_valid_until = now() + interval '5 hours', "
        "resume_after_line = 100, total_is_estimate = true where id = %s",
        (job_id,),
    )
    row = admin.execute("select * from ingest.snapshot_job_start(%s)", (job_id,)).fetchone()
    # reused, but read from its start: the seen keys of the earlier part are gone (as after a crash)
    assert row is not None and row[0] is not None and row[1] == 0
    admin.execute(
        "update ingest.snapshot_jobs set resume_after_line = 100, total_is_estimate = true where id = %s", (job_id,)
    )
    admin.execute("insert into ingest.snapshot_seen (job_id, key) values (%s, 'a-key-seen-before')", (job_id,))
    row = admin.execute("select * from ingest.snapshot_job_start(%s)", (job_id,)).fetchone()
    assert row is not None and row[0] is not None and row[1] == 100  # reused and resumed after line 100


def test_reimport_skips_what_the_hub_holds_in_that_version_and_applies_every_change(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    """The re-import measured by `hub bench import`: lines whose changeTime the hub holds are
    skipped before staging; changed, new and deleted entities are still applied exactly."""
    box = sandbox
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        for entity in ("customers", "products", "orders"):
            first = snapshots.import_snapshot(conn, client, SHOP, entity, options=FAST)
            assert first["unchanged"] == 0  # a first load has nothing to compare with
        stamp = admin.execute("select max(synced_at) from sales.orders").fetchone()
        again = snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)
        assert (again["unchanged"], again["lines"]) == (box.totals(SHOP)["orders"],) * 2
        assert admin.execute("select max(synced_at) from sales.orders").fetchone() == stamp  # nothing written

        events = box.mutate(SHOP, 40, seed=5)["events"]
        touched = {e["eventInstance"] for e in events if e["event"] in ("order:create", "order:update")}
        gone = {e["eventInstance"] for e in events if e["event"] == "order:delete"}
        assert touched - gone and gone, "seed 5 creates, updates and deletes orders"
        orders = snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)
        customers = snapshots.import_snapshot(conn, client, SHOP, "customers", options=FAST)
        products = snapshots.import_snapshot(conn, client, SHOP, "products", options=FAST)
        assert products["unchanged"] == 0  # products are always compared (stock need not move changeTime)
        assert orders["unchanged"] == box.totals(SHOP)["orders"] - len(touched - gone)
        assert orders["deleted"] == len(gone - (touched - gone))
        assert (
            customers["unchanged"]
            + len({e["eventInstance"] for e in events if e["event"] in ("customer:create", "customer:update")})
            >= box.totals(SHOP)["customers"]
        )
        assert hub_totals(admin) == sandbox_totals(box)

        # --compare-all: every line staged and compared again; still nothing to write
        stamp = admin.execute("select max(synced_at) from sales.orders").fetchone()
        compared = snapshots.import_snapshot(
            conn,
            client,
            SHOP,
            "orders",
            options=snapshots.Options(first_poll_seconds=0.2, watch_interval=0.05, compare_all=True),
        )
        assert compared["unchanged"] == 0 and compared["status"] == "completed"
        assert admin.execute("select max(synced_at) from sales.orders").fetchone() == stamp
    assert hub_totals(admin) == sandbox_totals(box)


def test_a_second_version_with_the_same_change_time_is_applied_by_a_reimport(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    """Shoptet's changeTime has whole seconds: a version the hub fetched (webhook) and a later one of
    the same second differ only in content. A re-import compares such a line instead of skipping it;
    a row a webhook wrote (no line hash) is compared too, and nothing is written when it is equal."""
    template = sandbox.shop(SHOP).order(0)
    assert template is not None
    first = dict(template, code="SAME-SECOND", changeTime="2026-03-10T10:15:00+0100", remark="first")
    with client_for(shop) as client, psycopg.connect(db.app) as conn:
        assert snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)["status"] == "completed"
        sandbox.put(SHOP, "orders", [first], webhooks=False)
        assert (
            snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)["unchanged"]
            == sandbox.totals(SHOP)["orders"] - 1
        )
        sandbox.put(
            SHOP, "orders", [dict(first, remark="second", status={"id": -3, "name": "Vyřízená"})], webhooks=False
        )
        again = snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)
        assert again["unchanged"] == sandbox.totals(SHOP)["orders"] - 1
        assert admin.execute(
            "select remark, status_id from sales.orders where shop_id = %s and code = 'SAME-SECOND'", (SHOP,)
        ).fetchone() == ("second", -3)
        # a row written by a webhook carries no line hash: its line is compared, and nothing written
        admin.execute("update sales.orders set source_hash = null where shop_id = %s and code = 'SAME-SECOND'", (SHOP,))
        stamp = admin.execute("select max(synced_at) from sales.orders").fetchone()
        compared = snapshots.import_snapshot(conn, client, SHOP, "orders", options=FAST)
        assert compared["unchanged"] == sandbox.totals(SHOP)["orders"] - 1 and compared["status"] == "completed"
        assert admin.execute("select max(synced_at) from sales.orders").fetchone() == stamp
    orders_only = ("orders", "order_items", "orders_total_with_vat", "repeated_lines")
    assert {k: hub_totals(admin)[k] for k in orders_only} == {k: sandbox_totals(sandbox)[k] for k in orders_only}


def test_unchanged_lookup_finds_lines_by_their_bytes_never_by_change_time(
    db: Target, admin: psycopg.Connection
) -> None:
    """A line is skipped only when a live row of the shop was written from the same bytes
    (source_hash); a soft-deleted row is revived by its line, another shop's row does not count."""
    same, other = b"\x01" * 16, b"\x02" * 16
    admin.execute("insert into core.shops (shop_id, name) values (1, 's'), (2, 't')")
    admin.execute(
        "insert into sales.orders (shop_id, code, created_at, changed_at, currency, source_hash) values "
        "(1, 'A', '2026-01-01 10:00+01', '2026-01-02 10:00+01', 'CZK', %s), "
        "(1, 'B', '2026-01-01 10:00+01', '2026-01-02 10:00+01', 'CZK', null), "
        "(2, 'C', '2026-01-01 10:00+01', '2026-01-02 10:00+01', 'CZK', %s)",
        (same, other),
    )

    def unchanged(entity: str, hashes: list[bytes]) -> list[Any]:
        return admin.execute("select * from ingest.snapshot_unchanged(1, %s, %s)", (entity, hashes)).fetchall()

    assert unchanged("orders", [other, same, b"\x03" * 16, same]) == [(2, "A"), (4, "A")]
    assert unchanged("customers", [same]) == [] and unchanged("products", [same]) == []
    admin.execute("update sales.orders set deleted_at = now() where code = 'A'")
    assert unchanged("orders", [same]) == []  # a deleted one is revived by its line
