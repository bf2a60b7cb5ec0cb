"""Translations (issue 19): a master shop (cs) and a second shop (sk, en) in the sandbox; drafts
for 20 products through review and approval, synced to the sandbox and read back per language;
stale marking, overlays, the translation memory, XLIFF round trips and machine translation."""

from __future__ import annotations

import copy
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
    products (same GUIDs), connected as one of the master's and imported."""
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
    texts = app.execute(
        "select count(*) from catalog.product_texts where shop_id = %s and language = 'cs' and field = 'name'",
        (MASTER,),
    ).fetchone()
    assert texts is not None and texts[0] >= N

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

    with client_for(shop, SECOND) as client:
        first = sync.sync_shop(app, client, SECOND)
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
        second = sync.sync_shop(app, client, SECOND)
    assert (second.requests, second.pushed, second.failed) == (0, 0, 0)
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
