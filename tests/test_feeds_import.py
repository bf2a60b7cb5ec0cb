"""The catalogue keeps what feeds need (issue 17): the importer asks Shoptet's product snapshot and
detail for the include= sections that carry it, and the sandbox serves them only when asked,
as Shoptet does."""

from __future__ import annotations

import psycopg

from runner.config import Config
from runner.db import Target
from runner.feeds import service
from runner.sandbox import Sandbox
from runner.shoptet import documents
from runner.shoptet.ingest import apply_documents
from runner.shoptet.sync import fetch_entity
from sandbox_helpers import SHOP, client_for, import_entity


def test_sandbox_serves_the_feed_sections_only_when_asked(sandbox: Sandbox, shop: Config) -> None:
    guid = sandbox.shop(SHOP).data.product_guid(0)
    with client_for(shop) as client:
        bare = client.get(f"/api/products/{guid}")
        full = client.get(f"/api/products/{guid}", {"include": documents.PRODUCT_INCLUDE})
    for section in ("images", "categories", "descriptiveParameters", "flags"):
        assert section not in bare and section in full
    assert "parameters" not in bare["variants"][0] and "parameters" in full["variants"][0]
    # the fields every product detail carries
    assert "heureka" in bare["variants"][0] and "zboziCZ" in bare["variants"][0] and "xmlFeedName" in bare
    assert {c["parentGuid"] is None for c in full["categories"]} == {True, False}


def test_snapshot_and_detail_import_keep_the_feed_fields(
    sandbox: Sandbox, shop: Config, db: Target, admin: psycopg.Connection
) -> None:
    import_entity(shop, db, "products")
    products, with_images, with_categories, with_params = admin.execute(
        "select count(*), count(*) filter (where jsonb_array_length(images) > 0),"
        " count(*) filter (where jsonb_array_length(categories) = 2),"
        " count(*) filter (where jsonb_array_length(descriptive_parameters) > 0) from catalog.products"
    ).fetchone()
    assert products > 0 and with_categories == products == with_params and 0 < with_images <= products
    variants, heureka, params = admin.execute(
        "select count(*), count(heureka_feed_excluded), count(*) filter (where parameters is not null)"
        " from catalog.variants"
    ).fetchone()
    assert variants == heureka == params
    parents = admin.execute("select count(*) from catalog.categories where parent_guid is not null").fetchone()[0]
    assert parents > 0
    web, base, currency = admin.execute(
        "select web_url, image_base_url, currency from channels.shop_storefronts where shop_id = %s", (SHOP,)
    ).fetchone()
    assert base.endswith("/user/shop/big/") and currency == "CZK"
    # the storefront's web address (what a Google feed's channel <link> says), not the sandbox API's
    assert web == f"https://{SHOP}.myshoptet.com/"
    # a product fetched by its detail (webhook, sync) keeps them too
    guid = admin.execute("select guid::text from catalog.products limit 1").fetchone()[0]
    admin.execute("update catalog.products set images = null, categories = null where guid = %s", (guid,))
    with client_for(shop) as client:
        doc = fetch_entity(client, "products", guid)
    assert doc is not None
    with psycopg.connect(db.app) as conn:
        admin.execute("update catalog.products set changed_at = changed_at - interval '1 day' where guid = %s", (guid,))
        apply_documents(conn, SHOP, "products", [doc])
    assert admin.execute(
        "select images is not null and categories is not null from catalog.products where guid = %s", (guid,)
    ).fetchone()[0]
    # and a Heureka feed of the sandbox's catalogue builds and passes its check
    feed = service.add_feed(shop, SHOP, "heureka", target=db)
    (result,) = service.build_feeds(shop, feed_id=feed["feed_id"], target=db)
    assert not isinstance(result, Exception) and 0 < result.items <= variants
