"""The XML shape of each marketplace feed, and its writer (lxml's incremental ``etree.xmlfile``).

A channel's items come from its SQL function (db/functions/channels/<channel>_items.sql) already
shaped: texts cut, prices formatted, ids made. This module only knows element names and order
(shared/docs/feeds.md), writes one item at a time (memory stays constant for any number of
items) and lets lxml escape ``&`` and ``<``. The same specs drive the file check
(runner/feeds/validate.py): required elements, limits and patterns per element.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

ZBOZI_NS = "http://www.zbozi.cz/ns/offer/1.0"
GOOGLE_NS = "http://base.google.com/ns/1.0"

# element kinds: a text, a list of texts (one element each), PARAM blocks, DELIVERY blocks
TEXT, LIST, PARAMS, DELIVERY = "text", "list", "params", "delivery"

ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,36}$")
MONEY_PATTERN = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
DAYS_OR_DATE = re.compile(r"^([0-9]{1,3}|[0-9]{4}-[0-9]{2}-[0-9]{2})$")
GTIN_PATTERN = re.compile(r"^([0-9]{8}|[0-9]{12,14})$")
MINUTE_PATTERN = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$")
GOOGLE_PRICE = re.compile(r"^[0-9]+\.[0-9]{2} [A-Z]{3}$")


@dataclass(frozen=True)
class Element:
    """One child element of an item: its tag (without namespace), the SQL column it comes from,
    its kind, and the rules the file check applies to it."""

    tag: str
    column: str
    kind: str = TEXT
    required: bool = False
    max_length: int | None = None
    pattern: re.Pattern[str] | None = None
    choices: frozenset[str] | None = None


@dataclass(frozen=True)
class Channel:
    """A feed format: root and item tags, namespace, the item's elements in order, its file name
    (its items: runner/feeds/build.py items_sql)."""

    name: str
    root: str
    item: str
    elements: tuple[Element, ...]
    namespace: str | None = None  # the default namespace of every element (Zbozi.cz)
    id_tag: str = "ITEM_ID"  # the element (or, with id_attribute, the attribute) holding the id
    id_attribute: bool = False
    group_tag: str | None = "ITEMGROUP_ID"
    max_items: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def file_name(self) -> str:
        return f"{self.name}.xml"

    def qualified(self, tag: str) -> str:
        """The tag as lxml names it: ``{namespace}TAG`` in a namespaced feed; Google's ``g:x``."""
        if tag.startswith("g:"):
            return f"{{{GOOGLE_NS}}}{tag[2:]}"
        return f"{{{self.namespace}}}{tag}" if self.namespace else tag

    @cached_property
    def tags(self) -> dict[str, str]:
        """Every tag of the feed -> its qualified name (computed once, used per item)."""
        names = [self.item, self.id_tag, "PARAM", "PARAM_NAME", "VAL", "DELIVERY", "DELIVERY_ID", "DELIVERY_PRICE"]
        names += ["DELIVERY_PRICE_COD", "stock_quantity", "delivery_time"] + [e.tag for e in self.elements]
        return {name: self.qualified(name) for name in names}


_HEUREKA_TAIL = (
    Element("PRODUCTNO", "productno", max_length=200),
    Element("PARAM", "params", PARAMS),
    Element("DELIVERY_DATE", "delivery_date", required=True, pattern=DAYS_OR_DATE),
    Element("DELIVERY", "delivery", DELIVERY),
)

HEUREKA = Channel(
    name="heureka",
    root="SHOP",
    item="SHOPITEM",
    max_items=500_000,
    elements=(
        Element("ITEM_ID", "item_id", required=True, pattern=ID_PATTERN),
        Element("PRODUCTNAME", "productname", required=True, max_length=200),
        Element("DESCRIPTION", "description"),
        Element("URL", "url", required=True, max_length=300),
        Element("IMGURL", "imgurl", required=True, max_length=255),
        Element("IMGURL_ALTERNATIVE", "imgurl_alternative", LIST, max_length=255),
        Element("PRICE_VAT", "price_vat", required=True, pattern=MONEY_PATTERN),
        Element("HEUREKA_CPC", "heureka_cpc", pattern=MONEY_PATTERN),
        Element("MANUFACTURER", "manufacturer"),
        Element("CATEGORYTEXT", "categorytext", required=True, max_length=255),
        Element("EAN", "ean", pattern=GTIN_PATTERN),
        *_HEUREKA_TAIL,
        Element("ITEMGROUP_ID", "itemgroup_id", pattern=ID_PATTERN),
    ),
)

HEUREKA_AVAILABILITY = Channel(
    name="heureka-availability",
    root="item_list",
    item="item",
    id_tag="id",
    id_attribute=True,
    group_tag=None,
    elements=(
        Element("stock_quantity", "stock_quantity", required=True, pattern=re.compile(r"^[0-9]+$")),
        Element("delivery_time", "delivery_time", required=True, pattern=MINUTE_PATTERN),
    ),
)

ZBOZI = Channel(
    name="zbozi",
    root="SHOP",
    item="SHOPITEM",
    namespace=ZBOZI_NS,
    elements=(
        Element("ITEM_ID", "item_id", required=True, pattern=ID_PATTERN),
        Element("PRODUCTNAME", "productname", required=True, max_length=255),
        Element("DESCRIPTION", "description"),
        Element("URL", "url", required=True),
        Element("IMGURL", "imgurl", required=True),
        Element("IMGURL_ALTERNATIVE", "imgurl_alternative", LIST),
        Element("PRICE_VAT", "price_vat", required=True, pattern=MONEY_PATTERN),
        Element("MAX_CPC", "max_cpc", pattern=MONEY_PATTERN),
        Element("MAX_CPC_SEARCH", "max_cpc_search", pattern=MONEY_PATTERN),
        Element("MANUFACTURER", "manufacturer"),
        Element("CATEGORYTEXT", "categorytext", required=True, max_length=255),
        Element("EAN", "ean", pattern=GTIN_PATTERN),
        *_HEUREKA_TAIL,
        Element("EXTRA_MESSAGE", "extra_message", LIST),
        Element("ITEMGROUP_ID", "itemgroup_id", pattern=ID_PATTERN),
    ),
)

GOOGLE = Channel(
    name="google",
    root="rss",
    item="item",
    id_tag="g:id",
    group_tag="g:item_group_id",
    elements=(
        Element("g:id", "id", required=True, max_length=50),
        Element("title", "title", required=True, max_length=150),
        Element("description", "description", required=True, max_length=5000),
        Element("link", "link", required=True),
        Element("g:image_link", "image_link", required=True),
        Element("g:additional_image_link", "additional_image_link", LIST),
        Element(
            "g:availability",
            "availability",
            required=True,
            choices=frozenset(("in_stock", "out_of_stock", "preorder", "backorder")),
        ),
        Element("g:price", "price", required=True, pattern=GOOGLE_PRICE),
        Element("g:condition", "condition", choices=frozenset(("new", "refurbished", "used"))),
        Element("g:brand", "brand", max_length=70),
        Element("g:gtin", "gtin", pattern=GTIN_PATTERN),
        Element("g:mpn", "mpn", max_length=70),
        Element("g:identifier_exists", "identifier_exists", choices=frozenset(("no", "yes"))),
        Element("g:item_group_id", "item_group_id", max_length=50),
        Element("g:product_type", "product_type", max_length=750),
        Element("g:google_product_category", "google_product_category"),
        Element("g:color", "color", max_length=100),
        Element("g:size", "size", max_length=100),
    ),
)

CHANNELS: dict[str, Channel] = {c.name: c for c in (HEUREKA, HEUREKA_AVAILABILITY, ZBOZI, GOOGLE)}


def write_item(xf: Any, channel: Channel, row: Mapping[str, Any]) -> None:
    """One item of ``channel`` from its SQL row; absent values (null, empty) write no element."""
    q = channel.tags
    element, write = xf.element, xf.write
    if channel.id_attribute:  # the availability feed: <item id="..."> and an attribute on delivery_time
        with element(q[channel.item], id=row["item_id"]):
            with element(q["stock_quantity"]):
                write(str(row["stock_quantity"]))
            with element(q["delivery_time"], orderDeadline=row["order_deadline"]):
                write(row["delivery_time"])
        return
    with element(q[channel.item]):
        for el in channel.elements:
            value = row[el.column]
            if value is None or value == "":
                continue
            kind = el.kind
            if kind == TEXT:
                with element(q[el.tag]):
                    write(value)
            elif kind == LIST:
                for v in value:
                    with element(q[el.tag]):
                        write(v)
            elif kind == PARAMS:
                for param in value:
                    with element(q["PARAM"]):
                        with element(q["PARAM_NAME"]):
                            write(param["name"])
                        with element(q["VAL"]):
                            write(param["value"])
            elif kind == DELIVERY:
                for block in value:
                    with element(q["DELIVERY"]):
                        with element(q["DELIVERY_ID"]):
                            write(block["id"])
                        with element(q["DELIVERY_PRICE"]):
                            write(block["price"])
                        if block.get("price_cod") is not None:
                            with element(q["DELIVERY_PRICE_COD"]):
                                write(block["price_cod"])


def open_root(xf: Any, channel: Channel, head: Mapping[str, str]) -> Any:
    """The root element's context (entered by the caller); Google's RSS also opens <channel>
    and writes its title, link and description from ``head``."""
    if channel is GOOGLE:
        return _google_root(xf, head)
    if channel.namespace:
        return xf.element(channel.qualified(channel.root), nsmap={None: channel.namespace})
    return xf.element(channel.root)


class _google_root:  # noqa: N801 - a context manager used like xf.element
    def __init__(self, xf: Any, head: Mapping[str, str]):
        self.xf, self.head = xf, head
        self.rss: Any = None
        self.channel: Any = None

    def __enter__(self) -> None:
        self.rss = self.xf.element("rss", nsmap={"g": GOOGLE_NS}, version="2.0")
        self.rss.__enter__()
        self.channel = self.xf.element("channel")
        self.channel.__enter__()
        for tag in ("title", "link", "description"):
            with self.xf.element(tag):
                self.xf.write(self.head.get(tag) or "")

    def __exit__(self, *exc: object) -> None:
        self.channel.__exit__(*exc)
        self.rss.__exit__(*exc)


WriteItem = Callable[[Any, Channel, Mapping[str, Any]], None]

__all__ = ["CHANNELS", "Channel", "Element", "GOOGLE", "HEUREKA", "HEUREKA_AVAILABILITY", "ZBOZI", "write_item"]
