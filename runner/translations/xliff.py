"""XLIFF files for translators' CAT tools: `hub translate export` / `hub translate import`.

Export writes the translations of one target language in the given states as XLIFF 1.2
(``urn:oasis:names:tc:xliff:document:1.2``: one ``<file>`` per source language, a ``<trans-unit>``
per translation) or XLIFF 2.0 (``urn:oasis:names:tc:xliff:document:2.0``: ``<unit>`` /
``<segment>``). A unit's ``id`` is the translation's id; ``resname`` / ``name`` says the product
GUID and field. Texts are written as escaped text, HTML included, so tags come back exactly as
they went out (no ``<g>`` / ``<ph>`` markup is made or accepted).

Import parses with lxml (no DTD, no entities, no network), checks the whole file first --
well-formed XML, an XLIFF 1.2 or 2.0 root, every unit naming a translation of the file's target
language whose source text is the one exported, targets without inline markup -- and refuses a
bad file with its line and the reason, applying nothing. Then, in ONE transaction, every unit
whose target differs from the stored text becomes a draft with that text (origin ``xliff``,
catalog.translation_draft); an unchanged unit changes nothing, so export -> import is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from lxml import etree
from psycopg.rows import dict_row

from runner.errors import as_hub_error
from runner.queries import query
from runner.translations import TranslationError

NS12 = "urn:oasis:names:tc:xliff:document:1.2"
NS20 = "urn:oasis:names:tc:xliff:document:2.0"
HUB_NS = "urn:shoptet-hub:translations"
FORMATS = ("1.2", "2.0")
EXPORT_STATUSES = ("draft", "review", "stale", "failed", "approved", "synced")
# workflow status -> XLIFF 1.2 target state / XLIFF 2.0 segment state
STATE_12 = {
    "draft": "translated",
    "review": "needs-review-translation",
    "stale": "needs-translation",
    "failed": "signed-off",
    "approved": "signed-off",
    "synced": "final",
}
STATE_20 = {
    "draft": "translated",
    "review": "translated",
    "stale": "initial",
    "failed": "final",
    "approved": "reviewed",
    "synced": "final",
}


class XliffError(TranslationError):
    """A file that cannot be imported: names the file, the line and the reason; nothing was applied."""


@dataclass
class Unit:
    line: int
    translation_id: int
    source: str
    target: str | None


def export(
    conn: psycopg.Connection,
    *,
    language: str,
    statuses: list[str],
    master_shop_id: int | None = None,
    fmt: str = "1.2",
) -> tuple[bytes, int]:
    """The XLIFF document of a language's translations in ``statuses``; (bytes, units)."""
    if fmt not in FORMATS:
        raise TranslationError(f"XLIFF format {fmt!r}: expected one of {', '.join(FORMATS)}")
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            query("translations.export_units"),
            {"language": language, "statuses": statuses, "master_shop_id": master_shop_id},
        ).fetchall()
    by_source: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_source.setdefault(row["source_language"], []).append(row)
    if fmt == "1.2":
        root = etree.Element(f"{{{NS12}}}xliff", nsmap=_nsmap(NS12), version="1.2")
        for source_language, units in sorted(by_source.items()) or [("", [])]:
            file = etree.SubElement(
                root,
                f"{{{NS12}}}file",
                original=f"shoptet-hub/translations/{language.lower()}",
                datatype="html",
                attrib={"source-language": source_language or "cs", "target-language": language.lower()},
            )
            body = etree.SubElement(file, f"{{{NS12}}}body")
            for row in units:
                unit = etree.SubElement(
                    body,
                    f"{{{NS12}}}trans-unit",
                    id=str(row["id"]),
                    resname=f"{row['product_guid']}/{row['field']}",
                    attrib={f"{{{HUB_NS}}}status": row["status"], f"{{{HUB_NS}}}master": str(row["master_shop_id"])},
                )
                etree.SubElement(unit, f"{{{NS12}}}source").text = row["source_text"] or ""
                etree.SubElement(
                    unit, f"{{{NS12}}}target", state=_state(row, STATE_12, "needs-translation")
                ).text = row["text"]
                etree.SubElement(unit, f"{{{NS12}}}note").text = _note(row)
    else:
        if len(by_source) > 1:
            raise TranslationError(
                "XLIFF 2.0 has one source language per file; these translations come from "
                f"{', '.join(sorted(by_source))}: export with --format 1.2 or one master at a time (--shop)"
            )
        source_language = next(iter(by_source), "cs")
        root = etree.Element(
            f"{{{NS20}}}xliff",
            nsmap=_nsmap(NS20),
            version="2.0",
            srcLang=source_language,
            trgLang=language.lower(),
        )
        file = etree.SubElement(root, f"{{{NS20}}}file", id=f"translations-{language.lower()}")
        for row in by_source.get(source_language, []):
            unit = etree.SubElement(
                file,
                f"{{{NS20}}}unit",
                id=str(row["id"]),
                name=f"{row['product_guid']}/{row['field']}",
                attrib={f"{{{HUB_NS}}}status": row["status"], f"{{{HUB_NS}}}master": str(row["master_shop_id"])},
            )
            notes = etree.SubElement(unit, f"{{{NS20}}}notes")
            etree.SubElement(notes, f"{{{NS20}}}note").text = _note(row)
            segment = etree.SubElement(unit, f"{{{NS20}}}segment", state=_state(row, STATE_20, "initial"))
            etree.SubElement(segment, f"{{{NS20}}}source").text = row["source_text"] or ""
            etree.SubElement(segment, f"{{{NS20}}}target").text = row["text"]
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True), len(rows)


def _state(row: dict[str, Any], states: dict[str, str], untranslated: str) -> str:
    """The XLIFF state of a unit: an empty or blank target is never marked translated, whatever its
    workflow status (such a text was stored before drafts refused it)."""
    if not (row["text"] or "").strip():
        return untranslated
    return states[row["status"]]


def _nsmap(default: str) -> Any:
    """The namespace map of a document: XLIFF's as the default, the hub's as ``hub:``."""
    return {None: default, "hub": HUB_NS}


def _note(row: dict[str, Any]) -> str:
    return (
        f"master {row['master_shop_id']}, product {row['product_guid']}, field {row['field']}, status {row['status']}"
    )


def parse(data: bytes, where: str = "file") -> tuple[str, list[Unit]]:
    """(target language, units) of an XLIFF 1.2 or 2.0 document; XliffError naming the line and
    the reason when it is not one."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else 0)
        raise XliffError(f"{where}:{line}: malformed XML: {exc.msg}") from None
    tag = etree.QName(root)
    if tag.localname != "xliff" or tag.namespace not in (NS12, NS20):
        raise XliffError(
            f"{where}:{root.sourceline}: not an XLIFF document: the root is <{root.tag}>, expected <xliff> in "
            f"{NS12} (1.2) or {NS20} (2.0)"
        )
    version = root.get("version")
    if (tag.namespace, version) not in ((NS12, "1.2"), (NS20, "2.0")):
        raise XliffError(
            f"{where}:{root.sourceline}: XLIFF version {version!r} does not match its namespace {tag.namespace}"
        )
    return _parse12(root, where) if tag.namespace == NS12 else _parse20(root, where)


def _text(element: Any, where: str, what: str) -> str:
    """An element's text; inline markup (child elements) is refused."""
    children = [c for c in element if isinstance(c.tag, str)]
    if children:
        raise XliffError(
            f"{where}:{children[0].sourceline}: <{etree.QName(children[0]).localname}> inside <{what}>: inline markup "
            "is not accepted; HTML stays escaped text exactly as exported"
        )
    return element.text or ""


def _unit_id(element: Any, where: str) -> int:
    value = element.get("id")
    if value is None or not value.isdigit():
        raise XliffError(f"{where}:{element.sourceline}: unit id {value!r} is not a translation id of the hub")
    return int(value)


def _parse12(root: Any, where: str) -> tuple[str, list[Unit]]:
    languages: set[str] = set()
    units: list[Unit] = []
    files = root.findall(f"{{{NS12}}}file")
    if not files:
        raise XliffError(f"{where}:{root.sourceline}: no <file> element")
    for file in files:
        target_language = file.get("target-language")
        if not target_language:
            raise XliffError(f"{where}:{file.sourceline}: <file> has no target-language")
        languages.add(target_language.lower())
        body = file.find(f"{{{NS12}}}body")
        if body is None:
            raise XliffError(f"{where}:{file.sourceline}: <file> has no <body>")
        for unit in body.iter(f"{{{NS12}}}trans-unit"):
            source = unit.find(f"{{{NS12}}}source")
            if source is None:
                raise XliffError(f"{where}:{unit.sourceline}: <trans-unit> has no <source>")
            target = unit.find(f"{{{NS12}}}target")
            units.append(
                Unit(
                    unit.sourceline,
                    _unit_id(unit, where),
                    _text(source, where, "source"),
                    None if target is None else _text(target, where, "target"),
                )
            )
    if len(languages) != 1:
        raise XliffError(f"{where}: one target language per file, found {', '.join(sorted(languages))}")
    return languages.pop(), units


def _parse20(root: Any, where: str) -> tuple[str, list[Unit]]:
    target_language = root.get("trgLang")
    if not target_language:
        raise XliffError(f"{where}:{root.sourceline}: <xliff> has no trgLang")
    units: list[Unit] = []
    for unit in root.iter(f"{{{NS20}}}unit"):
        segments = unit.findall(f"{{{NS20}}}segment")
        if len(segments) != 1:
            raise XliffError(f"{where}:{unit.sourceline}: <unit> must have exactly one <segment>, has {len(segments)}")
        source = segments[0].find(f"{{{NS20}}}source")
        if source is None:
            raise XliffError(f"{where}:{segments[0].sourceline}: <segment> has no <source>")
        target = segments[0].find(f"{{{NS20}}}target")
        units.append(
            Unit(
                unit.sourceline,
                _unit_id(unit, where),
                _text(source, where, "source"),
                None if target is None else _text(target, where, "target"),
            )
        )
    return target_language.lower(), units


@dataclass
class ImportResult:
    units: int = 0
    changed: int = 0
    unchanged: int = 0
    empty: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"units": self.units, "changed": self.changed, "unchanged": self.unchanged, "empty": self.empty}


def import_file(conn: psycopg.Connection, data: bytes, *, changed_by: str, where: str = "file") -> ImportResult:
    """Apply an XLIFF file (see the module docstring): all or nothing."""
    language, units = parse(data, where)
    result = ImportResult(units=len(units))
    with conn.transaction():
        conn.execute(query("translations.import_lock"))
        for unit in units:
            with conn.cursor(row_factory=dict_row) as cur:
                row = cur.execute(query("translations.translation_by_id"), {"id": unit.translation_id}).fetchone()
            if row is None:
                raise XliffError(f"{where}:{unit.line}: unit {unit.translation_id}: no such translation in the hub")
            if row["language"] != language:
                raise XliffError(
                    f"{where}:{unit.line}: unit {unit.translation_id} is a translation to {row['language']}, "
                    f"the file's target language is {language}"
                )
            if unit.target is None or unit.target == "":
                result.empty += 1
                continue
            if unit.target == row["text"]:
                result.unchanged += 1
                continue
            current = conn.execute(
                query("translations.source_text"),
                {"master_shop_id": row["master_shop_id"], "product_guid": row["product_guid"], "field": row["field"]},
            ).fetchone()
            if current is None or (current[0] or "") != unit.source:
                raise XliffError(
                    f"{where}:{unit.line}: unit {unit.translation_id}: the source text changed since the export "
                    f"(product {row['product_guid']} {row['field']}); export again and translate the new text"
                )
            try:
                with conn.transaction():
                    conn.execute(
                        query("translations.draft"),
                        {
                            "master_shop_id": row["master_shop_id"],
                            "product_guid": row["product_guid"],
                            "field": row["field"],
                            "language": row["language"],
                            "text": unit.target,
                            "changed_by": changed_by,
                            "target_shop_id": row["target_shop_id"],
                            "origin": "xliff",
                        },
                    )
            except psycopg.Error as exc:
                raise as_hub_error(exc, XliffError, f"{where}:{unit.line}: unit {unit.translation_id}") from None
            result.changed += 1
    return result
