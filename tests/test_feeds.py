"""Marketplace feeds (issue 17): built from a fixture catalogue imported through the real product
import, compared with hand-checked expected XML (canonicalised), parsed namespace-aware, served
with conditional GET, never replaced by an invalid build."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from lxml import etree
from starlette.testclient import TestClient

from feeds_helpers import HERE, SHOP, canonical, catalogue, load_catalogue
from runner import cli
from runner.config import Config
from runner.db import Target
from runner.feeds import build as feed_build
from runner.feeds import service
from runner.feeds.formats import GOOGLE_NS, ZBOZI_NS
from runner.web import create_app

# 10:00 in Prague on 2026-11-30: the action price of TR/BLUE (1 Nov - 31 Dec) is in force and the
# availability feed's order deadline is noon the same day
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DELIVERY = {"delivery": [{"id": "PPL", "price": 99, "price_cod": 129}]}


@pytest.fixture
def cfg(db: Target, hub_env: dict[str, str]) -> Config:
    load_catalogue(db.app)
    return Config.from_env()


def _feed(cfg: Config, db: Target, channel: str, **kwargs: Any) -> dict[str, Any]:
    return service.add_feed(cfg, SHOP, channel, target=db, **kwargs)


def _build(cfg: Config, db: Target, feed: dict[str, Any], **kwargs: Any) -> feed_build.BuildResult:
    with psycopg.connect(db.app) as conn:
        return feed_build.build(conn, cfg, service.get_feed(conn, feed["feed_id"]), now=NOW, **kwargs)


@pytest.mark.parametrize(
    ("channel", "options", "expected"),
    [
        ("heureka", {"rules": DELIVERY}, "heureka.xml"),
        ("heureka", {"rules": DELIVERY, "currency": "EUR"}, "heureka-eur.xml"),
        ("zbozi", {"rules": {**DELIVERY, "extra_message": ["free_gift"]}}, "zbozi.xml"),
        ("google", {}, "google.xml"),
    ],
)
def test_feed_equals_the_expected_xml(
    cfg: Config, db: Target, channel: str, options: dict[str, Any], expected: str
) -> None:
    result = _build(cfg, db, _feed(cfg, db, channel, **options))
    assert canonical(result.path) == canonical(HERE / "expected" / expected)
    # the hidden product is excluded everywhere, the one with heureka.feedExcluded / zboziCZ.hidden
    # there; the product without an image is left out as invalid and counted
    assert (result.excluded, result.invalid) == ((1, 1) if channel == "google" else (2, 1))
    assert {
        "item_id": "SVICKA",
        "problem": f"{'image_link' if channel == 'google' else 'IMGURL'}: the product has no image",
    } in result.problems


def test_availability_feed_lists_offers_in_stock_with_deadline(cfg: Config, db: Target) -> None:
    _build(cfg, db, _feed(cfg, db, "heureka", rules=DELIVERY))
    result = _build(cfg, db, _feed(cfg, db, "heureka-availability"))
    assert canonical(result.path) == canonical(HERE / "expected" / "heureka-availability.xml")


def test_feeds_parse_namespace_aware_and_gzip_matches(cfg: Config, db: Target) -> None:
    zbozi = _build(cfg, db, _feed(cfg, db, "zbozi"))
    root = etree.parse(str(zbozi.path)).getroot()
    assert root.tag == f"{{{ZBOZI_NS}}}SHOP"
    items = root.findall(f"{{{ZBOZI_NS}}}SHOPITEM")
    assert len(items) == 4 and all(el.tag.startswith(f"{{{ZBOZI_NS}}}") for item in items for el in item.iter())
    google = _build(cfg, db, _feed(cfg, db, "google"))
    root = etree.parse(str(google.path)).getroot()
    ids = root.findall(f"channel/item/{{{GOOGLE_NS}}}id")
    assert [i.text for i in ids][:1] == ["TR-RED"] and len(ids) == 5
    assert root.find("channel/item/{http://base.google.com/ns/1.0}price").text == "299.00 CZK"
    assert gzip.decompress(google.path.with_name("google.xml.gz").read_bytes()) == google.path.read_bytes()


def test_rules_exclude_and_map_categories(cfg: Config, db: Target) -> None:
    rules = {
        "exclude": {"stock_zero": True, "price_below": 210, "categories": ["Knihy"]},
        "category_map": {"Oblečení | Trička": "Heureka.cz | Oblečení a móda | Trička"},
        "default_cpc": 0.8,
    }
    result = _build(cfg, db, _feed(cfg, db, "heureka", rules=rules))
    root = etree.parse(str(result.path)).getroot()
    assert [i.findtext("ITEM_ID") for i in root] == ["TR-RED"]  # blue: stock 0; mug: 200 < 210; book: category
    assert root.findtext("SHOPITEM/CATEGORYTEXT") == "Heureka.cz | Oblečení a móda | Trička"
    assert root.findtext("SHOPITEM/HEUREKA_CPC") == "1.50"  # the variant's own bid wins over default_cpc
    assert result.excluded == 6  # and the candle (99 < 210), the hidden product, the lamp (feedExcluded)


def test_feed_add_defaults_and_refusals(cfg: Config, db: Target) -> None:
    feed = _feed(cfg, db, "heureka")
    assert (feed["language"], feed["currency"], feed["settings"]) == ("cs", "CZK", {})
    assert len(feed["token"]) == 36
    with pytest.raises(service.FeedError, match="already has a heureka feed"):
        _feed(cfg, db, "heureka")
    with pytest.raises(
        service.FeedError, match="language sk: the catalogue of shop 1001 holds its default language cs"
    ):
        _feed(cfg, db, "zbozi", language="sk")
    with pytest.raises(service.FeedError, match="currency USD: shop 1001 has no exchange rate"):
        _feed(cfg, db, "zbozi", currency="USD")
    with pytest.raises(service.FeedError, match=r"settings.exclude.stock_zero: expected true or false, got \"yes\""):
        _feed(cfg, db, "google", rules={"exclude": {"stock_zero": "yes"}})
    with pytest.raises(service.FeedError, match="settings.delivery_dayz: unknown key"):
        _feed(cfg, db, "google", rules={"delivery_dayz": {}})
    assert _feed(cfg, db, "zbozi", currency="USD", rules={"exchange_rate": 23.5})["currency"] == "USD"


def _invalid_product() -> dict[str, Any]:
    """A product whose only variant's code is the GUID of the T-shirt: its ITEM_ID would equal the
    T-shirt's ITEMGROUP_ID, which the file check refuses."""
    product = json.loads(json.dumps(catalogue()["products"][2]))
    product["guid"] = "77777777-7777-4777-8777-777777777777"
    product["variants"][0]["code"] = "11111111-1111-4111-8111-111111111111"
    return product


def test_characters_xml_cannot_hold_are_removed(cfg: Config, db: Target) -> None:
    # a control character in a name, a description, a parameter and a brand: the writer removes
    # them (the parser that reads what is written refuses them first); &, < and > stay escaped
    product = json.loads(json.dumps(catalogue()["products"][2]))
    product["guid"] = "99999999-9999-4999-8999-999999999999"
    product["name"] = "Kniha\x01 <nová> & \x0bčtivá"
    product["description"] = "<p>Text\x02 s\x1f řídicími znaky</p>"
    product["brand"] = {"code": "b", "name": "Nakl\x08adatel"}
    product["descriptiveParameters"] = [{"name": "Vazba\x03", "value": "pevná\x04", "priority": 1}]
    product["variants"][0]["code"] = "KNIHA2"
    load_catalogue(db.app, [product])
    result = _build(cfg, db, _feed(cfg, db, "heureka"))
    item = next(i for i in etree.parse(str(result.path)).getroot() if i.findtext("ITEM_ID") == "KNIHA2")
    assert item.findtext("PRODUCTNAME") == "Kniha <nová> & čtivá"
    assert item.findtext("DESCRIPTION") == "Text s řídicími znaky"
    assert item.findtext("MANUFACTURER") == "Nakladatel"
    assert (item.findtext("PARAM/PARAM_NAME"), item.findtext("PARAM/VAL")) == ("Vazba", "pevná")
    assert b"&lt;nov\xc3\xa1&gt; &amp;" in result.path.read_bytes()
    assert cli.main(["feed", "check", "--feed", str(result.feed_id), "--file", str(result.path)]) == 0


def test_invalid_build_leaves_the_published_file(cfg: Config, db: Target) -> None:
    feed = _feed(cfg, db, "heureka")
    first = _build(cfg, db, feed)
    before = first.path.read_bytes()
    load_catalogue(db.app, [_invalid_product()])
    with pytest.raises(feed_build.FeedInvalid, match="ITEMGROUP_ID equals an ITEM_ID"):
        _build(cfg, db, feed)
    assert first.path.read_bytes() == before
    assert [p.name for p in first.path.parent.iterdir() if p.name.endswith(".tmp")] == []
    with psycopg.connect(db.app) as conn:
        shown = service.get_feed(conn, feed["feed_id"])
    assert shown["etag"] == first.etag and "the previous file stays" in shown["last_error"]
    # `hub feed build` says so and exits 1; `hub feed check` finds the published file clean
    assert cli.main(["feed", "build", "--feed", str(feed["feed_id"])]) == 1
    assert first.path.read_bytes() == before
    assert cli.main(["feed", "check", "--feed", str(feed["feed_id"])]) == 0


def test_availability_ids_must_be_offer_ids(cfg: Config, db: Target) -> None:
    _build(cfg, db, _feed(cfg, db, "heureka"))
    availability = _feed(cfg, db, "heureka-availability")
    published = _build(cfg, db, availability).path.read_bytes()
    extra = json.loads(json.dumps(catalogue()["products"][2]))
    extra["guid"], extra["variants"][0]["code"], extra["variants"][0]["stock"] = (
        "88888888-8888-4888-8888-888888888888",
        "NOVY",
        "4.000",
    )
    load_catalogue(db.app, [extra])  # in stock, but the offer feed was built before it existed
    with pytest.raises(feed_build.FeedInvalid, match="not an ITEM_ID of the shop's Heureka offer feed"):
        _build(cfg, db, availability)
    assert (feed_build.published_path(cfg, availability["feed_id"], "heureka-availability")).read_bytes() == published


def test_check_reports_problems_per_item(cfg: Config, db: Target, tmp_path: Path, capsys: Any) -> None:
    feed = _feed(cfg, db, "heureka")
    bad = tmp_path / "bad.xml"
    bad.write_text(
        "<SHOP><SHOPITEM><ITEM_ID>A B</ITEM_ID><PRODUCTNAME>x</PRODUCTNAME><PRICE_VAT>1,5</PRICE_VAT></SHOPITEM>"
        "<SHOPITEM><ITEM_ID>OK</ITEM_ID></SHOPITEM><SHOPITEM><ITEM_ID>OK</ITEM_ID></SHOPITEM></SHOP>",
        encoding="utf-8",
    )
    assert cli.main(["feed", "check", "--feed", str(feed["feed_id"]), "--file", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "A B: ITEM_ID: 'A B' does not match" in out
    assert "A B: PRICE_VAT: '1,5' does not match" in out
    assert "A B: URL: required, missing or empty" in out
    assert "OK: ITEM_ID: not unique" in out
    bad.write_text("<SHOP><SHOPITEM>", encoding="utf-8")
    assert cli.main(["feed", "check", "--feed", str(feed["feed_id"]), "--file", str(bad)]) == 1
    assert "not well-formed XML" in capsys.readouterr().out


@pytest.fixture
def web(cfg: Config, db: Target) -> Iterator[TestClient]:
    with TestClient(create_app(cfg, db)) as client:
        yield client


def test_served_with_conditional_get_and_gzip(cfg: Config, db: Target, web: TestClient) -> None:
    feed = _feed(cfg, db, "heureka")
    url = f"/feeds/{feed['token']}/heureka.xml"
    assert web.get(url).status_code == 404  # defined, never built
    built = _build(cfg, db, feed)
    first = web.get(url, headers={"Accept-Encoding": "identity"})
    assert first.status_code == 200 and first.content == built.path.read_bytes()
    assert first.headers["etag"] == built.etag and first.headers["content-type"].startswith("application/xml")
    again = web.get(url, headers={"If-None-Match": first.headers["etag"], "Accept-Encoding": "identity"})
    assert again.status_code == 304 and again.content == b""
    since = web.get(url, headers={"If-Modified-Since": first.headers["last-modified"], "Accept-Encoding": "identity"})
    assert since.status_code == 304
    older = (NOW - timedelta(days=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert web.get(url, headers={"If-Modified-Since": older, "Accept-Encoding": "identity"}).status_code == 200
    zipped = web.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == built.path.read_bytes()  # decoded by the client
    assert web.get(url, headers={"If-None-Match": zipped.headers["etag"]}).status_code == 304
    assert web.get(f"/feeds/{'0' * 36}/heureka.xml").status_code == 404
    assert web.get(f"/feeds/{feed['token']}/zbozi.xml").status_code == 404


def test_cli_add_list_build_output_remove(cfg: Config, db: Target, tmp_path: Path, capsys: Any) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"exclude": {"categories": ["Kuchyně"]}}), encoding="utf-8")
    assert cli.main(["feed", "add", "--shop", str(SHOP), "--channel", "zbozi", "--rules", str(rules)]) == 0
    assert "/feeds/" in capsys.readouterr().out
    rules.write_text("{not json", encoding="utf-8")
    assert cli.main(["feed", "add", "--shop", str(SHOP), "--channel", "google", "--rules", str(rules)]) == 1
    assert "not JSON (line 1" in capsys.readouterr().err
    out = tmp_path / "out" / "zbozi.xml"
    out.parent.mkdir()
    assert cli.main(["feed", "build", "--shop", str(SHOP), "--channel", "zbozi", "--output", str(out)]) == 0
    ids = [e.text for e in etree.parse(str(out)).getroot().iter(f"{{{ZBOZI_NS}}}ITEM_ID")]
    assert "HRNEK" not in ids and "KNIHA" in ids and Path(str(out) + ".gz").exists()
    assert "3 items written to" in capsys.readouterr().out
    assert cli.main(["feed", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["built_at"] is None  # --output does not publish
    feed_id = listed[0]["feed_id"]
    assert cli.main(["feed", "build"]) == 0
    built = capsys.readouterr().out
    assert "3 items published to" in built
    # why the 4 were left out: the rules, and Shoptet (a hidden product), not "4 excluded by rules"
    assert "left out: 3 by rules [exclude.categories: 3]; 1 not shown in Shoptet [product not shown" in built
    assert cli.main(["feed", "show", str(feed_id), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["items"] == 3 and shown["excluded_items"] == 4  # Kuchyně (3) and the hidden product
    # the readable form: the rules as JSON on one line, problems one per line (none here)
    assert cli.main(["feed", "show", str(feed_id)]) == 0
    text = capsys.readouterr().out
    assert 'settings         {"exclude": {"categories": ["Kuchyně"]}}' in text
    assert "problems         none at the last build" in text and "{'" not in text
    with psycopg.connect(db.admin) as conn:
        conn.execute(
            "update channels.feeds set problems = %s::jsonb where feed_id = %s",
            (json.dumps([{"item_id": "TR-RED", "problem": "PRICE_VAT missing"}]), feed_id),
        )
    assert cli.main(["feed", "show", str(feed_id)]) == 0
    text = capsys.readouterr().out
    assert "problems         1 at the last build" in text and "\n  TR-RED: PRICE_VAT missing\n" in text
    assert cli.main(["feed", "remove", str(feed_id)]) == 0
    assert not feed_build.published_path(cfg, feed_id, "zbozi").exists()


def test_worker_rebuilds_on_schedule_and_after_quiet_changes(
    cfg: Config, db: Target, admin: psycopg.Connection
) -> None:
    _feed(cfg, db, "heureka")

    def due() -> list[str]:
        return [r[3] for r in admin.execute("select * from channels.feeds_due(now())")]

    assert due() == ["never built"]
    assert service.rebuild_due(cfg, db)[0]["items"] == 4
    assert due() == []
    admin.execute("update catalog.variants set price = 300, synced_at = now() where code = 'HRNEK'")
    assert due() == []  # changed just now: waits for the catalogue to be quiet (feeds.debounce_minutes)
    admin.execute("update catalog.variants set synced_at = now() - interval '6 minutes'")
    admin.execute("update catalog.products set synced_at = now() - interval '6 minutes'")
    admin.execute("update channels.feeds set built_at = now() - interval '10 minutes'")
    assert due() == ["catalogue changed"]
    admin.execute("update channels.feeds set built_at = now() - interval '2 hours'")
    assert due() == ["schedule"]
    admin.execute("select core.setting_set('feeds.rebuild_minutes', '180'::jsonb, %s)", (SHOP,))
    assert due() == ["catalogue changed"]
