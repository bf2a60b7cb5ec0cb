"""The check of a feed: of each item as it is written (a build), or of a file read back
(`hub feed check`). One set of rules for both (``ItemCheck``): each item's required elements
present and non-empty, lengths, patterns and choices of runner/feeds/formats.py, ids unique, no
ITEMGROUP_ID equal to an ITEM_ID, for the Heureka availability feed every id among the offer
feed's ITEM_IDs, at most the channel's number of items. Ids are kept as 64-bit hashes (about 60
bytes each, 30 MB for 500 k items), not as strings.

A build checks the values its writer writes, item by item, and parses the bytes as they are
written (``WellFormed``: expat, namespace-aware): well-formed, root in the channel's namespace.
`hub feed check` reads a file with lxml's iterparse (namespace-aware, one item at a time, each
cleared after its check: memory stays constant), takes each item's values from its elements and
applies the same ``ItemCheck``; it also reports an element that appears more than once.
"""

from __future__ import annotations

import pyexpat
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.feeds.formats import DELIVERY, GOOGLE, GOOGLE_NS, ID_PATTERN, LIST, PARAMS, TEXT, Channel

MAX_LISTED = 1000  # problems listed (all are counted)


@dataclass
class Report:
    """What the check found: per-item problems (item id, text), feed-level ones (item id None),
    and the item count."""

    items: int = 0
    problems: list[tuple[str | None, str]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    bad_items: int = 0

    def add(self, item_id: str | None, problem: str) -> None:
        self.counts["feed" if item_id is None else "item"] += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append((item_id, problem))

    @property
    def ok(self) -> bool:
        return not self.counts

    def as_json(self) -> list[dict[str, Any]]:
        return [{"item_id": item, "problem": problem} for item, problem in self.problems]


class ItemCheck:
    """The rules of a channel applied item by item; ``finish`` adds the feed-level problems.

    ``values`` of an item are in ``Channel.elements`` order: a text (or None) for a TEXT element,
    a list of texts for a LIST, a list of {name, value} for PARAMS (DELIVERY is not judged)."""

    def __init__(self, channel: Channel, report: Report, *, offer_ids: Iterable[int] | None = None):
        self.channel = channel
        self.report = report
        self.ids: set[int] = set()
        self.groups: set[int] = set()
        self.allowed = set(offer_ids) if offer_ids is not None else None
        self.group_index = next(
            (i for i, e in enumerate(channel.elements) if e.tag == channel.group_tag),
            None,
        )
        # only the elements with a rule to apply
        self.rules = [
            (i, e.tag, e.kind, e.required, e.max_length, e.pattern, e.choices)
            for i, e in enumerate(channel.elements)
            if e.kind == PARAMS or (e.kind != DELIVERY and (e.required or e.max_length or e.pattern or e.choices))
        ]
        # the same rules split by what they test, for the quick pass over an item that passes
        elements = list(enumerate(channel.elements))
        self.required_texts = tuple(i for i, e in elements if e.kind == TEXT and e.required)
        self.long_texts = tuple((i, e.max_length) for i, e in elements if e.kind == TEXT and e.max_length)
        self.text_patterns = tuple((i, e.pattern.match) for i, e in elements if e.kind == TEXT and e.pattern)
        self.text_choices = tuple((i, e.choices) for i, e in elements if e.kind == TEXT and e.choices)
        self.lists = tuple(
            (i, e.required, e.max_length or 1 << 62, e.pattern.match if e.pattern else None, e.choices)
            for i, e in elements
            if e.kind == LIST and (e.required or e.max_length or e.pattern or e.choices)
        )
        self.params = tuple(i for i, e in elements if e.kind == PARAMS)

    def _passes(self, values: Sequence[Any]) -> bool:
        """True when no rule finds anything (``_judge`` then has nothing to say): the common case,
        without building a message or a tuple per element."""
        for i in self.required_texts:
            v = values[i]
            if not v or v.isspace():
                return False
        for i, max_length in self.long_texts:
            v = values[i]
            if v is not None and len(v) > max_length:
                return False
        for i, match in self.text_patterns:
            v = values[i]
            if v and not match(v):
                return False
        for i, choices in self.text_choices:
            v = values[i]
            if v is not None and v not in choices:
                return False
        for i, required, list_max, list_match, list_choices in self.lists:
            texts = values[i] or ()
            if required and not any(t and not t.isspace() for t in texts):
                return False
            for t in texts:
                if t is None:
                    continue
                if (
                    len(t) > list_max
                    or (list_match is not None and t and not list_match(t))
                    or (list_choices is not None and t not in list_choices)
                ):
                    return False
        for i in self.params:
            for param in values[i] or ():
                name, value = param.get("name"), param.get("value")
                if not name or name.isspace() or not value or value.isspace():
                    return False
        return True

    def item(self, item_id: str | None, values: Sequence[Any]) -> None:
        report = self.report
        report.items += 1
        channel = self.channel
        if not item_id or (channel.id_attribute and not ID_PATTERN.match(item_id)) or not self._passes(values):
            self._judge(item_id, values)
        if item_id:
            h = hash(item_id)
            if h in self.ids:
                report.add(item_id, f"{channel.id_tag}: not unique")
            self.ids.add(h)
            if self.allowed is not None and h not in self.allowed:
                report.add(item_id, "id: not an ITEM_ID of the shop's Heureka offer feed")
        if self.group_index is not None:
            group = values[self.group_index]
            if group:
                self.groups.add(hash(group))

    def _judge(self, item_id: str | None, values: Sequence[Any]) -> None:
        """Every problem of one item, each named."""
        report, channel = self.report, self.channel
        before = report.counts["item"] + report.counts["feed"]
        if not item_id:
            report.add(None, f"item {report.items}: no {channel.id_tag}")
        elif channel.id_attribute and not ID_PATTERN.match(item_id):
            report.add(item_id, f"id: {item_id[:60]!r} does not match {ID_PATTERN.pattern}")
        for index, tag, kind, required, max_length, pattern, choices in self.rules:
            value = values[index]
            if kind == PARAMS:
                for param in value or ():
                    if not (param.get("name") or "").strip() or not (param.get("value") or "").strip():
                        report.add(item_id, "PARAM: PARAM_NAME and VAL must both be non-empty")
                continue
            texts = (value,) if kind == TEXT else (value or ())
            if required and not any((t or "").strip() for t in texts):
                report.add(item_id, f"{tag}: required, missing or empty")
            for text in texts:
                if text is None:  # absent (an empty element of a file is "", and judged)
                    continue
                if max_length is not None and len(text) > max_length:
                    report.add(item_id, f"{tag}: {len(text)} characters, at most {max_length}")
                if pattern is not None and text and not pattern.match(text):
                    report.add(item_id, f"{tag}: {text[:60]!r} does not match {pattern.pattern}")
                if choices is not None and text not in choices:
                    report.add(item_id, f"{tag}: {text[:60]!r} is not one of {', '.join(sorted(choices))}")
        if report.counts["item"] + report.counts["feed"] > before:
            report.bad_items += 1

    def finish(self) -> None:
        channel, report = self.channel, self.report
        for g in self.groups & self.ids:  # an ITEMGROUP_ID equal to an ITEM_ID (rare: named by hash only)
            report.add(None, f"an {channel.group_tag} equals an {channel.id_tag} (hash {g})")
        if channel.max_items is not None and report.items > channel.max_items:
            report.add(None, f"{report.items:,} items, at most {channel.max_items:,} in one file")


def root_tag(channel: Channel) -> str:
    """The root element as lxml names it ({namespace}name)."""
    return "rss" if channel is GOOGLE else channel.qualified(channel.root)


class WellFormed:
    """Parses a feed's bytes as they are written (expat, namespace-aware, no tree, no callback per
    element): bytes that are not well-formed XML (a character XML cannot hold among them), a
    prefix without a namespace, or a root other than the channel's make a feed-level problem.

    ``accepts`` parses the next bytes and says whether they are well-formed so far; after a no the
    parser is spent, and ``restart`` makes a new one that has read ``head`` (the declaration and
    the root's start): the same state as before the refused bytes when everything accepted so far
    ended between two items. The writer uses this to clean the items of a refused chunk and try
    again (runner/feeds/build.py)."""

    def __init__(self, channel: Channel, report: Report, head: bytes):
        self.report = report
        self.expected = root_tag(channel).replace("{", "").replace("}", " ")
        self.head = head
        self.failed = False
        self.error = ""
        self.restart()

    def restart(self) -> None:
        self.root: str | None = None
        self.parser = pyexpat.ParserCreate("UTF-8", " ")
        self.parser.StartElementHandler = self._root
        if not self.accepts(self.head):
            self.fail("the feed's head")

    def _root(self, name: str, _attributes: Any) -> None:
        self.root = name
        self.parser.StartElementHandler = None  # the root only: nothing is called per element after it

    def accepts(self, data: bytes, *, final: bool = False) -> bool:
        if self.failed:
            return False
        try:
            self.parser.Parse(data, final)
        except pyexpat.ExpatError as exc:
            self.error = f"{pyexpat.ErrorString(exc.code)}, line {exc.lineno} column {exc.offset}"
            return False
        return True

    def fail(self, where: str) -> None:
        """Record the last refusal as the feed's problem (once)."""
        if not self.failed:
            self.failed = True
            self.report.add(None, f"not well-formed XML in {where}: {self.error}")

    def finish(self, tail: bytes) -> None:
        if not self.accepts(tail, final=True):
            self.fail("the end of the feed")
        elif self.root != self.expected:
            self.report.add(None, f"root element is {self.root}, expected {self.expected}")


def _item_values(channel: Channel, el: Any, report: Report, item_id: str | None) -> list[Any]:
    """An item element's values in ``Channel.elements`` order (and a problem for a single-valued
    element that appears more than once)."""
    q = channel.tags
    children: dict[str, list[Any]] = {}
    for child in el:
        children.setdefault(child.tag, []).append(child)
    values: list[Any] = []
    for spec in channel.elements:
        found = children.get(q[spec.tag], ())
        if spec.kind == PARAMS:
            values.append([{"name": p.findtext(q["PARAM_NAME"]), "value": p.findtext(q["VAL"])} for p in found])
        elif spec.kind == LIST:
            values.append([f.text or "" for f in found])
        elif spec.kind == TEXT:
            if len(found) > 1:
                report.add(item_id, f"{spec.tag}: {len(found)} times, expected once")
            values.append(found[0].text or "" if found else None)
        else:
            values.append(None)
    return values


def _item_id(channel: Channel, el: Any) -> str | None:
    if channel.id_attribute:
        return el.get(channel.id_tag)
    return el.findtext(channel.tags[channel.id_tag])


def check_file(path: Path, channel: Channel, *, offer_ids: Iterable[int] | None = None) -> Report:
    """Check a feed file of ``channel``; ``offer_ids``: hashes of the offer feed's ITEM_IDs an
    availability feed's ids must be among (None: not checked)."""
    from lxml import etree  # here: a build, which does not read files back, need not load it

    report = Report()
    check = ItemCheck(channel, report, offer_ids=offer_ids)
    item_tag = channel.qualified(channel.item)
    try:
        context = etree.iterparse(str(path), events=("end",), tag=item_tag, huge_tree=True, resolve_entities=False)
        for _event, el in context:
            item_id = _item_id(channel, el)
            check.item(item_id, _item_values(channel, el, report, item_id))
            _drop(el)
    except etree.XMLSyntaxError as exc:
        report.add(None, f"not well-formed XML: {exc}")
        return report
    root = context.root
    expected = root_tag(channel)
    if root is None or root.tag != expected:
        report.add(None, f"root element is {getattr(root, 'tag', None)}, expected {expected}")
    check.finish()
    return report


def item_id_hashes(path: Path, channel: Channel) -> set[int]:
    """Hashes of the ids of a published feed file (the offer feed an availability feed pairs with)."""
    from lxml import etree

    found: set[int] = set()
    item_tag = channel.qualified(channel.item)
    for _event, el in etree.iterparse(str(path), events=("end",), tag=item_tag, resolve_entities=False):
        text = _item_id(channel, el)
        if text:
            found.add(hash(text))
        _drop(el)
    return found


def _drop(el: Any) -> None:
    """Free a checked item and the items before it (iterparse keeps them on the root otherwise)."""
    el.clear()
    parent = el.getparent()
    while parent is not None and el.getprevious() is not None:
        del parent[0]


__all__ = ["GOOGLE_NS", "ItemCheck", "MAX_LISTED", "Report", "WellFormed", "check_file", "item_id_hashes", "root_tag"]
