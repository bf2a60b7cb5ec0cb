"""The check of a built feed file before it replaces the published one (and `hub feed check`).

The file is read back with lxml's iterparse, a namespace-aware parser, one item at a time
(each item is cleared after its check: memory stays constant): well-formed XML, the root and
item elements in the channel's namespace, each item's required elements present and non-empty,
lengths and patterns of runner/feeds/formats.py, ids unique, no ITEMGROUP_ID equal to an ITEM_ID,
and for the Heureka availability feed every id among the offer feed's ITEM_IDs. Ids are kept as
64-bit hashes (about 60 bytes each, 30 MB for 500 k items), not as strings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from runner.feeds.formats import ID_PATTERN, PARAMS, TEXT, Channel

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


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _check_item(channel: Channel, el: Any, report: Report) -> tuple[str | None, str | None]:
    """Problems of one item element; returns (its id, its group id)."""
    q = channel.tags
    children: dict[str, list[Any]] = {}
    for child in el:
        children.setdefault(child.tag, []).append(child)
    if channel.id_attribute:
        item_id = el.get(channel.id_tag)
    else:
        found_id = children.get(q[channel.id_tag])
        item_id = found_id[0].text if found_id else None
    before = sum(report.counts.values())
    if not item_id:
        report.add(None, f"item {report.items}: no {channel.id_tag}")
    elif channel.id_attribute and not ID_PATTERN.match(item_id):
        report.add(item_id, f"id: {item_id[:60]!r} does not match {ID_PATTERN.pattern}")
    for spec in channel.elements:
        found = children.get(q[spec.tag], ())
        if spec.kind == PARAMS:
            for param in found:
                name, val = param.findtext(q["PARAM_NAME"]), param.findtext(q["VAL"])
                if not (name or "").strip() or not (val or "").strip():
                    report.add(item_id, "PARAM: PARAM_NAME and VAL must both be non-empty")
            continue
        if spec.required and not any((f.text or "").strip() for f in found):
            report.add(item_id, f"{spec.tag}: required, missing or empty")
        if spec.kind == TEXT and len(found) > 1:
            report.add(item_id, f"{spec.tag}: {len(found)} times, expected once")
        for f in found:
            text = f.text or ""
            if spec.max_length is not None and len(text) > spec.max_length:
                report.add(item_id, f"{spec.tag}: {len(text)} characters, at most {spec.max_length}")
            if spec.pattern is not None and text and not spec.pattern.match(text):
                report.add(item_id, f"{spec.tag}: {text[:60]!r} does not match {spec.pattern.pattern}")
            if spec.choices is not None and text not in spec.choices:
                report.add(item_id, f"{spec.tag}: {text[:60]!r} is not one of {', '.join(sorted(spec.choices))}")
    if sum(report.counts.values()) > before:
        report.bad_items += 1
    group_el = children.get(q[channel.group_tag]) if channel.group_tag else None
    return item_id, (group_el[0].text if group_el else None)


def check_file(path: Path, channel: Channel, *, offer_ids: Iterable[int] | None = None) -> Report:
    """Check a feed file of ``channel``; ``offer_ids``: hashes of the offer feed's ITEM_IDs an
    availability feed's ids must be among (None: not checked)."""
    report = Report()
    ids: set[int] = set()
    groups: set[int] = set()
    allowed = set(offer_ids) if offer_ids is not None else None
    item_tag = channel.qualified(channel.item)
    root_tag = channel.qualified(channel.root) if channel.name != "google" else "rss"
    try:
        context = etree.iterparse(str(path), events=("end",), tag=item_tag, huge_tree=True, resolve_entities=False)
        for _event, el in context:
            report.items += 1
            item_id, group = _check_item(channel, el, report)
            if item_id:
                h = hash(item_id)
                if h in ids:
                    report.add(item_id, f"{channel.id_tag}: not unique")
                ids.add(h)
                if allowed is not None and h not in allowed:
                    report.add(item_id, "id: not an ITEM_ID of the shop's Heureka offer feed")
            if group:
                groups.add(hash(group))
            _drop(el)
    except etree.XMLSyntaxError as exc:
        report.add(None, f"not well-formed XML: {exc}")
        return report
    root = context.root
    if root is None or root.tag != root_tag:
        report.add(None, f"root element is {getattr(root, 'tag', None)}, expected {root_tag}")
    for g in groups & ids:  # an ITEMGROUP_ID equal to an ITEM_ID (rare: named by hash only)
        report.add(None, f"an {channel.group_tag} equals an {channel.id_tag} (hash {g})")
    if channel.max_items is not None and report.items > channel.max_items:
        report.add(None, f"{report.items:,} items, at most {channel.max_items:,} in one file")
    return report


def item_id_hashes(path: Path, channel: Channel) -> set[int]:
    """Hashes of the ids of a published feed file (the offer feed an availability feed pairs with)."""
    found: set[int] = set()
    id_tag = channel.qualified(channel.id_tag)
    item_tag = channel.qualified(channel.item)
    for _event, el in etree.iterparse(str(path), events=("end",), tag=item_tag, resolve_entities=False):
        text = el.get(channel.id_tag) if channel.id_attribute else el.findtext(id_tag)
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


__all__ = ["Report", "check_file", "item_id_hashes", "MAX_LISTED"]
