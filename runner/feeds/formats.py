"""The XML shape of each marketplace feed, and its writer.

A channel's items come from its SQL function (db/functions/channels/<channel>_items.sql) already
shaped: texts cut, prices formatted, ids made. This module only knows element names and order
(shared/docs/feeds.md) and writes one item at a time as text (memory stays constant for any
number of items): ``&``, ``<`` and ``>`` escaped, characters XML cannot hold removed. The same
specs drive the check (runner/feeds/validate.py): required elements, limits and patterns per
element, applied to the values as they are written and to a file read back.

The writer builds each item's text with plain string operations rather than an element-by-element
writer (lxml's ``etree.xmlfile`` before, whose context manager per element made up most of the
runner's time writing 500 k items). Its output is parsed as it is written (runner/feeds/build.py),
so a writer mistake cannot publish a file that is not well-formed.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
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


# Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR; U+FFFE, U+FFFF; NUL never reaches
# here: PostgreSQL text cannot hold it). The writer removes them from every value it writes.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


_TEXT_REFERENCES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
_ATTRIBUTE_REFERENCES = (*_TEXT_REFERENCES, ('"', "&quot;"), ("\t", "&#9;"), ("\n", "&#10;"))


def _replace(value: str, references: tuple[tuple[str, str], ...]) -> str:
    for char, reference in references:  # each replace only when the character is there (rarely)
        if char in value:
            value = value.replace(char, reference)
    return value


def escape_text(value: str) -> str:
    """Character data as XML text: & < > escaped, CR as a reference (a parser would read a raw CR
    as LF)."""
    return _replace(value, _TEXT_REFERENCES)


def escape_attribute(value: str) -> str:
    """An attribute value in double quotes: as text, plus ", tab and LF as references."""
    return _replace(value, _ATTRIBUTE_REFERENCES)


def xml_clean(value: Any) -> Any:
    """A value with the characters XML cannot hold removed (strings, and the strings in lists and
    in PARAM / DELIVERY objects); other values as they are."""
    if isinstance(value, str):
        return FORBIDDEN.sub("", value)
    if isinstance(value, list):
        return [xml_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: xml_clean(v) for k, v in value.items()}
    return value


_KIND_CODES = {TEXT: 0, LIST: 1, PARAMS: 2, DELIVERY: 3}


class ItemWriter:
    """Writes a channel's items as XML text, one item per call, from the rows of its SQL function.

    The element names and order are the channel's (``Channel.elements``); absent values (null,
    empty) write no element, as before with lxml's xmlfile, whose output this matches. Text is
    escaped by ``escape_text``; a row holding a character XML cannot hold is written again with
    ``clean`` (``xml_clean``) when the parser that reads the output stops at it, so the common
    item costs no test for them at all.
    ``values`` of an item are the values written, in ``Channel.elements`` order: what the check
    (runner/feeds/validate.py) judges, the same way it judges a file read back.
    """

    def __init__(self, channel: Channel):
        self.channel = channel

    def bind(self, columns: Sequence[str]) -> None:
        """Learn where each element's value is in the rows (the items query's column names)."""
        channel = self.channel
        index = {name: i for i, name in enumerate(columns)}
        needed = ["item_id", "stock_quantity", "order_deadline", "delivery_time"] if channel.id_attribute else []
        needed += [] if channel.id_attribute else [e.column for e in channel.elements]
        missing = [name for name in needed if name not in index]
        if missing:
            raise ValueError(f"{channel.name}: the items query has no column {', '.join(missing)}")
        self.id_index = index["item_id"] if "item_id" in index else index["id"]
        if channel.id_attribute:
            self.attribute_columns = tuple(index[name] for name in needed)
            return
        self.values_of = operator.itemgetter(*(index[e.column] for e in channel.elements))
        self.kinds = tuple(_KIND_CODES[e.kind] for e in channel.elements)
        self.opens = tuple(f"<{e.tag}>" for e in channel.elements)
        self.closes = tuple(f"</{e.tag}>" for e in channel.elements)
        self.open_item, self.close_item = f"<{channel.item}>", f"</{channel.item}>\n"

    def head(self, head: Mapping[str, str]) -> str:
        """The declaration and the opening of the root (Google: also <channel> with its title, link
        and description from ``head``)."""
        declaration = '<?xml version="1.0" encoding="UTF-8"?>\n'
        c = self.channel
        if c is GOOGLE:
            texts = "".join(
                f"<{tag}>{escape_text(FORBIDDEN.sub('', head.get(tag) or ''))}</{tag}>\n"
                for tag in ("title", "link", "description")
            )
            return f'{declaration}<rss xmlns:g="{GOOGLE_NS}" version="2.0">\n<channel>\n{texts}'
        if c.namespace:
            return f'{declaration}<{c.root} xmlns="{c.namespace}">\n'
        return f"{declaration}<{c.root}>\n"

    def tail(self) -> str:
        if self.channel is GOOGLE:
            return "</channel>\n</rss>\n"
        return f"</{self.channel.root}>\n"

    def item(self, row: Sequence[Any], *, clean: bool = False) -> tuple[str, Sequence[Any]]:
        """One item's XML text and the values it holds (in ``Channel.elements`` order). With
        ``clean`` the characters XML cannot hold are removed first; the caller knows when: the
        parser that reads every written byte stops at such a character (runner/feeds/build.py)."""
        if self.channel.id_attribute:
            return self._availability(row, clean=clean)
        values = self.values_of(row)
        if clean:
            values = tuple(xml_clean(list(values)))
        if "" in values:  # an empty value writes no element: it is absent, as for the check of a file
            values = tuple(None if v == "" else v for v in values)
        return self._render(values), values

    def item_id(self, row: Sequence[Any], *, clean: bool = False) -> str | None:
        value = row[self.id_index]
        return FORBIDDEN.sub("", value) if clean and isinstance(value, str) else value

    def _render(self, values: Sequence[Any]) -> str:
        parts = [self.open_item]
        for kind, open_tag, close_tag, value in zip(self.kinds, self.opens, self.closes, values, strict=True):
            if value is None:
                continue
            if kind == 0:  # TEXT; the escape test inline: a call per value costs more than the tests
                if value.__class__ is not str:
                    value = str(value)
                if "&" in value or "<" in value or ">" in value or "\r" in value:
                    value = escape_text(value)
                parts += (open_tag, value, close_tag)
            elif kind == 1:  # LIST
                for v in value:
                    if v is not None:
                        parts += (open_tag, escape_text(v), close_tag)
            elif kind == 2:  # PARAMS
                for param in value:
                    parts += (
                        "<PARAM><PARAM_NAME>",
                        escape_text(param["name"]),
                        "</PARAM_NAME><VAL>",
                        escape_text(param["value"]),
                        "</VAL></PARAM>",
                    )
            else:  # DELIVERY
                for block in value:
                    parts += ("<DELIVERY><DELIVERY_ID>", escape_text(block["id"]), "</DELIVERY_ID>")
                    if block.get("price") is not None:
                        parts += ("<DELIVERY_PRICE>", escape_text(block["price"]), "</DELIVERY_PRICE>")
                    if block.get("price_cod") is not None:
                        parts += ("<DELIVERY_PRICE_COD>", escape_text(block["price_cod"]), "</DELIVERY_PRICE_COD>")
                    parts.append("</DELIVERY>")
        parts.append(self.close_item)
        return "".join(parts)

    def _availability(self, row: Sequence[Any], *, clean: bool) -> tuple[str, Sequence[Any]]:
        """The availability feed: <item id="..."><stock_quantity/><delivery_time orderDeadline="...">."""
        item_col, stock_col, deadline_col, time_col = self.attribute_columns
        item_id, deadline = row[item_col], row[deadline_col]
        values = [None if row[stock_col] is None else str(row[stock_col]), row[time_col]]
        if clean:
            item_id, deadline, values = xml_clean(item_id), xml_clean(deadline), xml_clean(values)
        text = (
            f'<item id="{escape_attribute(item_id or "")}"><stock_quantity>{escape_text(values[0] or "")}'
            f'</stock_quantity><delivery_time orderDeadline="{escape_attribute(deadline or "")}">'
            f"{escape_text(values[1] or '')}</delivery_time></item>\n"
        )
        return text, values


__all__ = [
    "CHANNELS",
    "Channel",
    "Element",
    "FORBIDDEN",
    "GOOGLE",
    "HEUREKA",
    "HEUREKA_AVAILABILITY",
    "ItemWriter",
    "ZBOZI",
    "escape_text",
    "xml_clean",
]
