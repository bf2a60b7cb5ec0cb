"""Translations (issue 19): a master shop (cs) and a second shop (sk, en) in the sandbox; drafts
for 20 products through review and approval, synced to the sandbox and read back per language;
stale marking, overlays, the translation memory, XLIFF round trips and machine translation."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import psycopg
import pytest

from runner.config import Config
from runner.db import Target
from runner.sandbox import Sandbox
from runner.shoptet.shops import add_shop
from runner.translations import sync, workflow
from sandbox_helpers import NOWHERE, SHOP, client_for, import_entity

MASTER, SECOND = SHOP, 900102
N = 20

pytestmark = [
    pytest.mark.sandbox(
        scale=0.00002,
        seed=19,
        shops=(MASTER, SECOND),
        job_seconds=0.1,
        webhook_retry_delay=0.05,
        languages={MASTER: ["cs"], SECOND: ["sk", "en"]},
    ),
    pytest.mark.shop(master=True, env={"HUB_PUBLIC_URL": NOWHERE}),
]


def _products(box: Sandbox, n: int = N) -> list[dict[str, Any]]:
    """n products made from the master's first one (own GUIDs, names and variant codes), an HTML
    short description on every other one."""
    base = box.shop(MASTER).product(0)
    assert base is not None
    out = []
    for p in range(n):
        doc = copy.deepcopy(base)
        doc["guid"] = f"7a000000-0000-4000-8000-{p:012d}"
        doc["name"] = f"Stůl dubový {p}"
        doc["description"] = f"<p>Dubový <em>stůl</em> číslo {p}.</p>"
        doc["shortDescription"] = (
            f'<p>Krátký <b>popis</b> {p}<br/><a href="/x?a=1&amp;b=2">více</a></p>' if p % 2 == 0 else None
        )
        doc["variants"] = [{**doc["variants"][0], "code": f"TR-{p:04d}"}]
        doc["isVariant"] = False
        out.append(doc)
    return out


@pytest.fixture
def two_shops(sandbox: Sandbox, shop: Config, db: Target) -> list[dict[str, Any]]:
    """The master (cs) imported, and the second shop (sk default, en) selling the same 20
    products (same GUIDs), connected as one of the master's and imported (the ordinary snapshot
    import: sk with the products, en by a second snapshot read with ?language=en)."""
    docs = _products(sandbox)
    sandbox.put(MASTER, "products", docs, webhooks=False)
    sandbox.put(SECOND, "products", copy.deepcopy(docs), webhooks=False)
    add_shop(shop, sandbox.private_token(SECOND), master_shop_id=MASTER, register_webhooks=True)
    import_entity(shop, db, "products", MASTER)
    import_entity(shop, db, "products", SECOND)
    return docs


def _draft_all(app: psycopg.Connection, docs: list[dict[str, Any]], language: str, by: str = "eva") -> list[int]:
    ids = []
    for doc in docs:
        ids.append(
            workflow.draft(
                app,
                master_shop_id=MASTER,
                product_guid=doc["guid"],
                field="name",
                language=language,
                text=f"{doc['name']} [{language}]",
                changed_by=by,
            )
        )
        if doc.get("shortDescription"):
            ids.append(
                workflow.draft(
                    app,
                    master_shop_id=MASTER,
                    product_guid=doc["guid"],
                    field="shortDescription",
                    language=language,
                    text=doc["shortDescription"].replace("Krátký", f"Short ({language})"),
                    changed_by=by,
                )
            )
    return ids


def test_round_trip_master_to_second_shop_per_language_and_a_second_sync_sends_nothing(
    sandbox: Sandbox, shop: Config, db: Target, app: psycopg.Connection, two_shops: list[dict[str, Any]]
) -> None:
    app.autocommit = True
    languages = dict(
        app.execute("select shop_id, array_agg(language order by language) from catalog.shop_languages group by 1")
    )
    assert languages == {MASTER: ["cs"], SECOND: ["en", "sk"]}
    # the ordinary import read every language each shop has: one products snapshot for the
    # one-language master, one per language for the second shop
    jobs = app.execute(
        """select shop_id, array_agg(coalesce(filters ->> 'language', '-') order by id)
           from ingest.snapshot_jobs where entity = 'products' group by 1"""
    ).fetchall()
    assert dict(jobs) == {MASTER: ["-"], SECOND: ["-", "en"]}
    texts = dict(
        app.execute(
            """select shop_id || ':' || language, count(*) from catalog.product_texts
               where field = 'name' group by 1"""
        ).fetchall()
    )
    assert texts[f"{MASTER}:cs"] >= N and texts[f"{SECOND}:sk"] >= N and texts[f"{SECOND}:en"] >= N

    ids = {lang: _draft_all(app, two_shops, lang) for lang in ("sk", "en")}
    one = ids["en"][0]
    with pytest.raises(psycopg.errors.CheckViolation, match=r"draft -> approved is not allowed"):
        workflow.set_status(app, one, "approved", "bob")
    for lang in ("sk", "en"):
        workflow.step(app, "review", [], "eva", language=lang)
        moved = workflow.step(app, "approve", [], "bob", language=lang)
        assert {m["status"] for m in moved} == {"approved"} and len(moved) == len(ids[lang])
    with pytest.raises(psycopg.errors.CheckViolation, match=r"approved -> review is not allowed"):
        workflow.set_status(app, one, "review", "bob")

    sandbox.set_faults(locked_writes=2)  # Shoptet is busy with two of the products: 423, retried
    with client_for(shop, SECOND) as client:
        first = sync.sync_shop(app, client, SECOND)
        assert client.stats.by_status.get(423) == 2 and sandbox.faults.locked_writes == 0
        assert first.failed == 0, first.errors
        assert first.requests == 2 * N  # one PATCH per product and language
        assert first.synced == len(ids["sk"]) + len(ids["en"])
        # read back from the sandbox, per language
        for doc in two_shops:
            sk = client.get(f"/api/products/{doc['guid']}", {"language": "sk"})
            en = client.get(f"/api/products/{doc['guid']}", {"language": "en"})
            assert sk["name"] == f"{doc['name']} [sk]" and en["name"] == f"{doc['name']} [en]"
            if doc.get("shortDescription"):
                assert en["shortDescription"] == doc["shortDescription"].replace("Krátký", "Short (en)")
        patches = sandbox.shop(SECOND).languages.patches
        assert len(patches) == 2 * N
    # and read back by the ordinary catalogue import (sk with the products, en by its own snapshot):
    # what the shop has per language equals what was approved
    before = app.execute("select now()").fetchone()
    outcome = import_entity(shop, db, "products", SECOND)
    assert outcome["languages"]["en"]["lines"] >= N
    changed = dict(
        app.execute(
            "select language, count(*) from catalog.product_texts where shop_id = %s and changed_at > %s group by 1",
            (SECOND, before[0] if before else None),
        ).fetchall()
    )
    assert changed == {"sk": len(ids["sk"]), "en": len(ids["en"])}
    # a re-import of unchanged texts writes nothing
    before = app.execute("select now()").fetchone()
    import_entity(shop, db, "products", SECOND)
    unchanged = app.execute(
        "select count(*) from catalog.product_texts where changed_at > %s", (before[0] if before else None,)
    ).fetchone()
    assert unchanged is not None and unchanged[0] == 0
    with client_for(shop, SECOND) as client:
        second = sync.sync_shop(app, client, SECOND)
    assert (second.requests, second.pushed, second.failed) == (0, 0, 0)
    mismatched = app.execute(
        """select t.id, t.text, pt.value
           from catalog.translations t
           left join catalog.product_texts pt
             on pt.shop_id = %s and pt.product_guid = t.product_guid and pt.language = t.language and pt.field = t.field
           where pt.value is distinct from t.text""",
        (SECOND,),
    ).fetchall()
    assert mismatched == []
    assert len(sandbox.shop(SECOND).languages.patches) == 2 * N
    statuses = dict(app.execute("select status, count(*) from catalog.translations group by 1"))
    assert statuses == {"synced": len(ids["sk"]) + len(ids["en"])}
    history = app.execute(
        "select array_agg(to_status order by id) from catalog.translation_events where translation_id = %s", (one,)
    ).fetchone()
    assert history is not None and history[0] == ["draft", "review", "approved", "synced"]


def test_master_text_change_makes_translations_stale_and_an_overlay_wins(
    sandbox: Sandbox, shop: Config, db: Target, app: psycopg.Connection, two_shops: list[dict[str, Any]]
) -> None:
    app.autocommit = True
    doc = two_shops[0]
    ids = [
        workflow.draft(
            app,
            master_shop_id=MASTER,
            product_guid=doc["guid"],
            field="name",
            language=lang,
            text=f"{doc['name']} [{lang}]",
            changed_by="eva",
        )
        for lang in ("sk", "en")
    ]
    workflow.step(app, "review", ids, "eva")
    workflow.step(app, "approve", ids, "bob")
    effective = {(e["language"], e["field"]): e for e in workflow.effective(app, SECOND)}
    assert effective[("en", "name")]["source"] == "translation"
    assert effective[("en", "name")]["value"] == f"{doc['name']} [en]"

    workflow.set_overlay(
        app,
        shop_id=SECOND,
        product_guid=doc["guid"],
        language="en",
        field="name",
        value="Our own name",
        changed_by="ann",
    )
    effective = {(e["language"], e["field"]): e for e in workflow.effective(app, SECOND)}
    assert effective[("en", "name")] == {
        "shop_id": SECOND,
        "product_guid": doc["guid"],
        "language": "en",
        "field": "name",
        "value": "Our own name",
        "source": "overlay",
        "translation_id": None,
    }
    assert effective[("sk", "name")]["source"] == "translation"
    # the master shop gets nothing in en or sk: it does not sell in them (never cs by accident)
    assert workflow.effective(app, MASTER) == []

    # the master's name changes at the source; the import marks both translations stale
    changed = {**copy.deepcopy(doc), "name": doc["name"] + " NEW", "changeTime": "2099-01-01T00:00:00+0100"}
    sandbox.put(MASTER, "products", [changed], webhooks=False)
    import_entity(shop, db, "products", MASTER)
    rows = app.execute("select id, status, text from catalog.translations order by id").fetchall()
    assert [(r[1], r[2]) for r in rows] == [("stale", f"{doc['name']} [sk]"), ("stale", f"{doc['name']} [en]")]
    worklist = workflow.worklist(app, language="en", status=None, master_shop_id=None)
    assert [(w["id"], w["status"], w["current_source"]) for w in worklist] == [(ids[1], "stale", doc["name"] + " NEW")]
    # stale texts are not effective any more; the overlay still is
    effective = {(e["language"], e["field"]): e["source"] for e in workflow.effective(app, SECOND)}
    assert effective == {("en", "name"): "overlay"}


def _approved(app: psycopg.Connection, docs: list[dict[str, Any]], language: str, **kw: Any) -> list[int]:
    ids = [
        workflow.draft(
            app,
            master_shop_id=MASTER,
            product_guid=doc["guid"],
            field="name",
            language=language,
            text=f"{doc['name']} [{language}]",
            changed_by="eva",
            **kw,
        )
        for doc in docs
    ]
    workflow.step(app, "review", ids, "eva")
    workflow.step(app, "approve", ids, "bob")
    return ids


def test_refusals_fail_with_shoptets_error_a_missing_language_is_an_error_and_the_worker_retries(
    sandbox: Sandbox, shop: Config, db: Target, app: psycopg.Connection, two_shops: list[dict[str, Any]]
) -> None:
    from runner import tasks

    app.autocommit = True
    ok, gone = two_shops[0], two_shops[1]
    en = _approved(app, [ok, gone], "en")
    (de,) = _approved(app, [ok], "de", target_shop_id=SECOND)  # the second shop has no German
    sandbox.remove(SECOND, "products", [gone["guid"]], webhooks=False)  # deleted there, the hub not told yet

    def run_job() -> None:
        bound = tasks.configure(db)
        with bound.open():
            sync.defer(app, SECOND)
            bound.run_worker(queues=["translations"], wait=False, install_signal_handlers=False)

    run_job()
    job = app.execute(
        "select status::text, queue_name, lock from procrastinate.procrastinate_jobs "
        "where task_name = 'sync_translations'"
    ).fetchall()
    # the one deferred, and maybe one the periodic dispatcher queued after it (failures stay to push)
    assert job and set(job) == {("succeeded", "translations", f"shop:{SECOND}:translations")}
    rows = {r[0]: r[1:] for r in app.execute("select id, status, sync_error from catalog.translations")}
    assert rows[en[0]] == ("synced", None)
    assert rows[en[1]][0] == "failed"
    assert f"shop {SECOND}: PATCH /api/products/{gone['guid']}: not found (product-not-found" in rows[en[1]][1]
    assert rows[de][0] == "failed" and f"shop {SECOND} has no language de (its languages: en, sk)" in rows[de][1]

    # the product is back: the next sync retries the failed push; the missing language stays an error
    sandbox.put(SECOND, "products", [gone], webhooks=False)
    with client_for(shop, SECOND) as client:
        again = sync.sync_shop(app, client, SECOND)
    assert (again.requests, again.pushed, again.synced) == (1, 1, 1)
    rows = {r[0]: r[1] for r in app.execute("select id, status from catalog.translations")}
    assert rows == {en[0]: "synced", en[1]: "synced", de: "failed"}
    assert client_for(shop, SECOND).get(f"/api/products/{gone['guid']}", {"language": "en"})["name"] == (
        f"{gone['name']} [en]"
    )


class _Files(BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = type(self).files.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: Any) -> None:
        pass


def test_many_texts_go_as_one_batch_job_and_a_refused_row_fails_alone(
    sandbox: Sandbox,
    shop: Config,
    db: Target,
    app: psycopg.Connection,
    admin: psycopg.Connection,
    two_shops: list[dict[str, Any]],
) -> None:
    app.autocommit = True
    admin.execute("select core.setting_set('translations.batch_threshold', '5'::jsonb)")
    ids = _approved(app, two_shops, "en")
    gone = two_shops[7]
    sandbox.remove(SECOND, "products", [gone["guid"]], webhooks=False)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def publish(shop_id: int, name: str, body: bytes) -> str:
        _Files.files[f"/{name}"] = body
        return f"http://127.0.0.1:{server.server_address[1]}/{name}"

    try:
        with client_for(shop, SECOND) as client:
            result = sync.sync_shop(app, client, SECOND, publish=publish)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    assert result.batch_job is not None and result.requests == 1
    assert (result.pushed, result.failed, result.synced) == (N - 1, 1, N - 1)
    rows = (body for body in _Files.files.values())
    lines = [json.loads(line) for line in next(rows).splitlines()]
    assert len(lines) == N and {line["language"] for line in lines} == {"en"}
    assert {line["guid"] for line in lines} == {doc["guid"] for doc in two_shops}
    patches = sandbox.shop(SECOND).languages.patches
    assert len(patches) == N - 1 and {p["via"] for p in patches} == {"batch"}
    failed = app.execute("select id, sync_error from catalog.translations where status = 'failed'").fetchall()
    assert [f[0] for f in failed] == [ids[7]] and "row 8" in failed[0][1]
    with client_for(shop, SECOND) as client:
        assert client.get(f"/api/products/{two_shops[0]['guid']}", {"language": "en"})["name"] == (
            f"{two_shops[0]['name']} [en]"
        )


def test_the_web_app_serves_a_published_batch_file_until_it_expires(
    db: Target, admin: psycopg.Connection, hub_env: dict[str, str]
) -> None:
    from starlette.testclient import TestClient

    from runner.web import create_app

    admin.execute("insert into core.shops (shop_id, name) values (%s, 'a shop')", (SECOND,))
    url = sync.database_publisher(db.app, "http://hub.example")(SECOND, "translations-1.jsonl", b'{"guid": "g"}\n')
    assert url.startswith("http://hub.example/translations/batch/translations-1-") and url.endswith(".jsonl")
    path = url.removeprefix("http://hub.example")
    with TestClient(create_app(Config.from_env(), db)) as client:
        answer = client.get(path)
        assert (answer.status_code, answer.content) == (200, b'{"guid": "g"}\n')
        assert client.get("/translations/batch/translations-1-not-the-token.jsonl").status_code == 404
        admin.execute("update catalog.translation_batch_files set expires_at = now() - interval '1 second'")
        assert client.get(path).status_code == 404


def _texts(app: psycopg.Connection, shop_id: int, guid: str) -> dict[tuple[str, str], str | None]:
    rows = app.execute(
        "select language, field, value from catalog.product_texts where shop_id = %s and product_guid = %s",
        (shop_id, guid),
    ).fetchall()
    return {(r[0], r[1]): r[2] for r in rows}


def test_sync_and_webhook_drain_read_every_language_and_a_one_language_shop_sends_nothing_more(
    sandbox: Sandbox, shop: Config, db: Target, app: psycopg.Connection, two_shops: list[dict[str, Any]]
) -> None:
    from runner.shoptet import drain as drains
    from runner.shoptet import sync as catalogue_sync

    app.autocommit = True
    first, second = two_shops[0]["guid"], two_shops[1]["guid"]
    with client_for(shop, SECOND) as client:
        # the same product changes in both shops (the default language); the second shop also has a new en text
        client.request("PATCH", f"/api/products/{first}", params={"language": "en"}, json={"data": {"name": "Oak"}})
        client.request("PATCH", f"/api/products/{first}", json={"data": {"name": "Dubový stôl"}})
    with client_for(shop, MASTER) as client:
        client.request("PATCH", f"/api/products/{first}", json={"data": {"name": "Dubový stůl"}})

    with client_for(shop, MASTER) as master, client_for(shop, SECOND) as other, psycopg.connect(db.app) as conn:
        catalogue_sync.sync_entity(conn, master, MASTER, "products")
        catalogue_sync.sync_entity(conn, other, SECOND, "products")
        # the same change list and one detail each; the second shop reads its en texts as well
        assert other.stats.requests - master.stats.requests == 1
    assert _texts(app, MASTER, first)[("cs", "name")] == "Dubový stůl"
    assert {k: v for k, v in _texts(app, SECOND, first).items() if k[1] == "name"} == {
        ("sk", "name"): "Dubový stôl",
        ("en", "name"): "Oak",
    }
    assert not [k for k in _texts(app, MASTER, first) if k[0] != "cs"]

    # a webhook names the second product: the drain reads it in every language too
    with client_for(shop, SECOND) as client:
        client.request("PATCH", f"/api/products/{second}", params={"language": "en"}, json={"data": {"name": "Elm"}})
        with psycopg.connect(db.app) as conn:
            conn.execute(
                "select * from ingest.webhook_accept(%s, 'product:update', %s, now())", (SECOND, second)
            ).fetchall()
            conn.commit()
            outcome = drains.drain(conn, client, SECOND, "products")
    assert outcome.applied == 1
    assert _texts(app, SECOND, second)[("en", "name")] == "Elm"


def test_bad_language_codes_and_too_long_texts_are_warnings_that_never_block_other_rows(
    sandbox: Sandbox,
    shop: Config,
    db: Target,
    app: psycopg.Connection,
    two_shops: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from runner.sandbox.languages import ShopLanguages

    app.autocommit = True
    guids = [d["guid"] for d in two_shops]
    # GET /api/eshop lists a code that is no language code: left out with a warning, the others kept
    sandbox.shop(SECOND).languages = ShopLanguages(["sk", "en", "en_gb!"])
    with caplog.at_level("WARNING"), client_for(shop, SECOND) as client:
        assert sync.refresh_languages(app, client, SECOND) == ["sk", "en"]
    left_out = [r for r in caplog.records if r.getMessage() == "GET /api/eshop: a language left out"]
    assert len(left_out) == 1 and left_out[0].ctx["shop_id"] == SECOND and left_out[0].ctx["language"] == "en_gb!"

    # Shoptet serves an en name over the 250 characters productUpdate allows: stored as sent, with a
    # warning on the snapshot line naming shop, product, language and field; every other text imported
    long_name = "Oak table " * 26
    sandbox.shop(SECOND).languages.texts[(guids[3], "en")] = {"name": long_name, "metaTitle": "Oak"}
    outcome = import_entity(shop, db, "products", SECOND)
    en = outcome["languages"]["en"]
    assert en["status"] == "completed" and en["lines"] >= N
    warnings = app.execute(
        "select field, error from ingest.snapshot_failures where job_id = %s and severity = 'warning'", (en["job_id"],)
    ).fetchall()
    assert len(warnings) == 1 and warnings[0][0] == "texts[en].name"
    assert f"shop {SECOND}, product {guids[3]}, language en, field name: 260 characters" in warnings[0][1]
    assert _texts(app, SECOND, guids[3])[("en", "name")] == long_name
    assert _texts(app, SECOND, guids[3])[("en", "metaTitle")] == "Oak"
    stored = app.execute(
        "select count(distinct product_guid) from catalog.product_texts where shop_id = %s and language = 'en'",
        (SECOND,),
    ).fetchone()
    assert stored is not None and stored[0] >= N

    # texts read in a language whose code is not one: not stored, one warning per text, nothing raised
    sandbox.shop(SECOND).languages.texts[(guids[0], "en_gb!")] = {"name": "Oak", "description": "<p>Oak</p>"}
    caplog.clear()
    with caplog.at_level("WARNING"), client_for(shop, SECOND) as client:
        assert sync.read_texts(app, client, SECOND, "en_gb!", guids[:2]) == 0
    warned = [r.ctx for r in caplog.records if r.getMessage() == "document applied without a field"]
    assert sorted(w["field"] for w in warned) == ["texts[en_gb!].description", "texts[en_gb!].name"]
    assert all(w["shop_id"] == SECOND and w["entity_key"] == guids[0] for w in warned)
    assert "language 'en_gb!', field name: 'en_gb!' is not a language code" in " ".join(w["error"] for w in warned)
    bad = app.execute("select count(*) from catalog.product_texts where language = 'en_gb!'").fetchone()
    assert bad is not None and bad[0] == 0


def test_the_sandbox_honours_language_on_product_reads_and_refuses_a_language_the_shop_lacks(
    sandbox: Sandbox, shop: Config, two_shops: list[dict[str, Any]]
) -> None:
    from runner.shoptet import errors

    guid = two_shops[0]["guid"]
    since = "2020-01-01T00:00:00+0100"
    with client_for(shop, SECOND) as client:
        client.request("PATCH", f"/api/products/{guid}", params={"language": "en"}, json={"data": {"name": "Oak"}})
        listed = {
            p["guid"]: p["name"]
            for p in client.get("/api/products", {"language": "en", "itemsPerPage": 100})["products"]
        }
        assert listed[guid] == "Oak"
        default = {p["guid"]: p["name"] for p in client.get("/api/products", {"itemsPerPage": 100})["products"]}
        assert default[guid] == two_shops[0]["name"]
        code = two_shops[0]["variants"][0]["code"]
        assert client.get(f"/api/products/code/{code}", {"language": "en"})["name"] == "Oak"
        job = client.get("/api/products/snapshot", {"language": "en"})["jobId"]
        assert sandbox.wait_job(job).language == "en"
        assert sandbox.wait_job(client.get("/api/products/snapshot")["jobId"]).language == "sk"
        for path, params in (
            ("/api/products", {}),
            (f"/api/products/{guid}", {}),
            ("/api/products/snapshot", {}),
            ("/api/products/changes", {"from": since}),
        ):
            with pytest.raises(errors.BadRequest, match='Language "de" is not available in this e-shop'):
                client.get(path, {**params, "language": "de"})
    with client_for(shop, MASTER) as client, pytest.raises(errors.BadRequest, match="Foreign languages is not active"):
        client.get("/api/products", {"language": "en"})


def test_pull_counts_only_texts_that_changed_not_empty_fields(
    sandbox: Sandbox, shop: Config, app: psycopg.Connection, two_shops: list[dict[str, Any]]
) -> None:
    app.autocommit = True
    guids = [d["guid"] for d in two_shops]
    # the language just activated: the hub holds no en texts yet; Shoptet has one en name
    app.execute("delete from catalog.product_texts where shop_id = %s and language = 'en'", (SECOND,))
    sandbox.shop(SECOND).languages.texts[(guids[0], "en")] = {"name": "Oak table"}
    with client_for(shop, SECOND) as client:
        assert sync.read_texts(app, client, SECOND, "en", guids) == 1
        assert _texts(app, SECOND, guids[0])[("en", "name")] == "Oak table"
        assert sync.read_texts(app, client, SECOND, "en", guids) == 0  # nothing changed since
        sandbox.shop(SECOND).languages.texts[(guids[1], "en")] = {"name": "Pine table", "metaTitle": "Pine"}
        assert sync.read_texts(app, client, SECOND, "en", guids) == 2
