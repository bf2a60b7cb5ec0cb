"""The feed writer and the check of what it writes (runner/feeds/formats.py, validate.py), without
a database: the values a build checks item by item are judged exactly as `hub feed check` judges
the file written from them, and the bytes it writes are well-formed XML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lxml import etree

from runner.feeds import validate
from runner.feeds.formats import GOOGLE, HEUREKA, HEUREKA_AVAILABILITY, ZBOZI, Channel, ItemWriter

HEUREKA_COLUMNS = [e.column for e in HEUREKA.elements] + ["excluded", "problems"]


def _row(**values: Any) -> tuple[Any, ...]:
    base = {
        "item_id": "A1",
        "productname": "Hrnek",
        "url": "https://e.cz/hrnek/",
        "imgurl": "https://e.cz/1.jpg",
        "price_vat": "199.00",
        "categorytext": "Kuchyně",
        "delivery_date": "0",
    }
    base.update(values)
    return tuple(base.get(c) for c in HEUREKA_COLUMNS)


def _write(channel: Channel, columns: list[str], rows: list[tuple[Any, ...]], path: Path) -> validate.Report:
    """Write rows as a build does (writer, parser, item check) and return the check's report."""
    report = validate.Report()
    writer = ItemWriter(channel)
    writer.bind(columns)
    head = writer.head({"title": "Obchod", "link": "https://e.cz/", "description": "d"}).encode()
    parser = validate.WellFormed(channel, report, head)
    check = validate.ItemCheck(channel, report)
    parts = [head]
    for row in rows:
        text, values = writer.item(row)
        if not parser.accepts(text.encode()):
            parser.restart()  # as a build does: the item holds a character XML cannot hold
            text, values = writer.item(row, clean=True)
            assert parser.accepts(text.encode())
        check.item(writer.item_id(row), values)
        parts.append(text.encode())
    tail = writer.tail().encode()
    parser.finish(tail)
    check.finish()
    path.write_bytes(b"".join(parts) + tail)
    return report


def test_values_judged_as_the_file_is(tmp_path: Path) -> None:
    rows = [
        _row(),
        _row(item_id="A 2", price_vat="1,50", productname="x" * 201, url=None),
        _row(item_id="A3", imgurl_alternative=["https://e.cz/" + "y" * 260 + ".jpg", "https://e.cz/2.jpg"]),
        _row(item_id="A3", ean="123", params=[{"name": "Barva", "value": " "}]),
        _row(item_id="A4", itemgroup_id="A1", delivery_date="zítra"),
    ]
    path = tmp_path / "heureka.xml"
    written = _write(HEUREKA, HEUREKA_COLUMNS, rows, path)
    read_back = validate.check_file(path, HEUREKA)
    assert written.problems == read_back.problems and written.counts == read_back.counts
    assert (written.items, written.bad_items) == (read_back.items, read_back.bad_items) == (5, 4)
    problems = {p for _item, p in written.problems}
    assert {
        "ITEM_ID: 'A 2' does not match ^[A-Za-z0-9_-]{1,36}$",
        "PRICE_VAT: '1,50' does not match ^[0-9]+(\\.[0-9]{1,2})?$",
        "PRODUCTNAME: 201 characters, at most 200",
        "URL: required, missing or empty",
        "IMGURL_ALTERNATIVE: 277 characters, at most 255",
        "ITEM_ID: not unique",
        "PARAM: PARAM_NAME and VAL must both be non-empty",
        "DELIVERY_DATE: 'zítra' does not match ^([0-9]{1,3}|[0-9]{4}-[0-9]{2}-[0-9]{2})$",
    } <= problems
    assert any(p.startswith("an ITEMGROUP_ID equals an ITEM_ID") for p in problems)


def test_text_is_escaped_and_forbidden_characters_removed(tmp_path: Path) -> None:
    rows = [
        _row(
            productname="a < b & c > d\r\x01e",
            description="\x0b\ufffe",
            params=[{"name": "P\x02", "value": '"q"'}],
        )
    ]
    path = tmp_path / "heureka.xml"
    report = _write(HEUREKA, HEUREKA_COLUMNS, rows, path)
    assert report.ok, report.problems
    item = etree.parse(str(path)).getroot()[0]
    assert item.findtext("PRODUCTNAME") == "a < b & c > d\re"
    assert item.find("DESCRIPTION") is None  # nothing left of it: no element
    assert (item.findtext("PARAM/PARAM_NAME"), item.findtext("PARAM/VAL")) == ("P", '"q"')
    assert b"a &lt; b &amp; c &gt; d&#13;e" in path.read_bytes()


def test_namespaces_and_attributes(tmp_path: Path) -> None:
    zbozi_columns = [e.column for e in ZBOZI.elements] + ["excluded", "problems"]
    zbozi = {"item_id": "Z1", "productname": "n", "url": "u", "imgurl": "i", "price_vat": "1.00"}
    zbozi_row = tuple({**zbozi, "categorytext": "c", "delivery_date": "1"}.get(c) for c in zbozi_columns)
    path = tmp_path / "zbozi.xml"
    assert _write(ZBOZI, zbozi_columns, [zbozi_row], path).ok
    root = etree.parse(str(path)).getroot()
    assert root.tag == "{http://www.zbozi.cz/ns/offer/1.0}SHOP"
    assert all(el.tag.startswith("{http://www.zbozi.cz/ns/offer/1.0}") for el in root.iter())
    google_columns = [e.column for e in GOOGLE.elements] + ["excluded", "problems"]
    google = {"id": "G1", "title": "t", "description": "d", "link": "l", "image_link": "i"}
    google_row = tuple({**google, "availability": "in_stock", "price": "1.00 CZK"}.get(c) for c in google_columns)
    path = tmp_path / "google.xml"
    assert _write(GOOGLE, google_columns, [google_row], path).ok
    root = etree.parse(str(path)).getroot()
    assert root.findtext("channel/title") == "Obchod"
    assert root.findtext("channel/item/{http://base.google.com/ns/1.0}price") == "1.00 CZK"
    columns = ["item_id", "stock_quantity", "order_deadline", "delivery_time", "excluded", "problems"]
    rows = [("H1", 3, '2026-11-30 12:00"<&', "2026-12-01 12:00", None, None)]
    path = tmp_path / "availability.xml"
    assert _write(HEUREKA_AVAILABILITY, columns, rows, path).ok
    item = etree.parse(str(path)).getroot()[0]
    assert (item.get("id"), item.findtext("stock_quantity")) == ("H1", "3")
    assert item.find("delivery_time").get("orderDeadline") == '2026-11-30 12:00"<&'
