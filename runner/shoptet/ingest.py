"""Documents -> PostgreSQL: parse in Python, COPY flat rows into staging, apply set-based in SQL.

``Stager`` takes the lines of one chunk (raw JSON bytes with their line numbers), parses
them with orjson (about 8x faster than PostgreSQL's jsonb input), turns them into rows of
``ingest.stage_*`` (runner/shoptet/documents.py), COPYs them, and calls the entity's apply
function (``ingest.apply_orders`` / ``apply_customers`` / ``apply_products``) in the
caller's transaction: a chunk is applied entirely or not at all.

A line that is not JSON, not the entity's shape, or carries an unknown enum value is a
``Failure`` (line number, error, the raw line); so is a line whose value PostgreSQL refuses
(COPY names the row and column; that line is taken out and the chunk staged again).

``apply_documents`` / ``mark_deleted`` are what webhooks and incremental sync use for
single documents: there a bad document raises ``BadDocument``.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable

import orjson
import psycopg

from runner.shoptet import documents
from runner.shoptet.documents import BadDocument

ENTITIES = ("orders", "customers", "products")
RAW_LINE_LIMIT = 4000
_COPY_LINE = re.compile(r"COPY (\w+), line (\d+)")

# entity -> [(staging table, columns)] in COPY order; the first table has one row per document
STAGING: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "orders": [("ingest.stage_orders", documents.ORDER_COLUMNS), ("ingest.stage_order_items", documents.ITEM_COLUMNS)],
    "customers": [("ingest.stage_customers", documents.CUSTOMER_COLUMNS)],
    "products": [("ingest.stage_products", documents.PRODUCT_COLUMNS), ("ingest.stage_variants", documents.VARIANT_COLUMNS)],
}
APPLY_SQL = {
    "orders": "select ingest.apply_orders(%(shop_id)s, %(batch_id)s)",
    "customers": "select ingest.apply_customers(%(shop_id)s, %(batch_id)s, %(job_id)s)",
    "products": "select ingest.apply_products(%(shop_id)s, %(batch_id)s)",
}


@dataclass
class Failure:
    line_no: int
    error: str
    raw: bytes

    def raw_text(self) -> str:
        return self.raw[:RAW_LINE_LIMIT].decode("utf-8", "replace")


@dataclass
class ChunkResult:
    lines: int = 0
    applied: int = 0
    failures: list[Failure] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}: expected one of {', '.join(ENTITIES)}")


def parse_line(entity: str, raw: bytes, batch_id: int, line_no: int) -> tuple[str, list[list[tuple[Any, ...]]]]:
    """(the document's key, rows per staging table) of one line; BadDocument when it is not usable."""
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadDocument(f"malformed JSON: {exc}") from None
    if entity == "orders":
        order, items = documents.order_rows(doc, batch_id, line_no)
        return order[2], [[order], items]
    if entity == "customers":
        customer = documents.customer_row(doc, batch_id, line_no)
        return customer[2], [[customer]]
    product, variants = documents.product_rows(doc, batch_id, line_no)
    return product[2], [[product], variants]


@dataclass
class Prepared:
    """A parsed chunk: staging rows per document, and the lines that failed to parse.

    Batch ids are random 62-bit numbers, so chunks can be prepared away from the database
    (a parser thread) and concurrent imports never share one."""

    batch_id: int
    lines: int = 0
    parsed: list[tuple[int, bytes, str, list[list[tuple[Any, ...]]]]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


class Stager:
    """Stages and applies chunks of one shop's entity on one connection."""

    def __init__(self, conn: psycopg.Connection, shop_id: int, entity: str, *, job_id: int | None = None):
        _check_entity(entity)
        self.conn = conn
        self.shop_id = shop_id
        self.entity = entity
        self.job_id = job_id

    def apply_chunk(self, lines: Iterable[tuple[int, bytes]]) -> ChunkResult:
        """Parse, stage and apply one chunk inside the caller's transaction."""
        return self.apply(self.prepare(lines))

    def prepare(self, lines: Iterable[tuple[int, bytes]]) -> "Prepared":
        """Parse a chunk into staging rows (no database: may run in another thread)."""
        prepared = Prepared(batch_id=secrets.randbits(62))
        for line_no, raw in lines:
            prepared.lines += 1
            try:
                key, rows = parse_line(self.entity, raw, prepared.batch_id, line_no)
            except BadDocument as exc:
                prepared.failures.append(Failure(line_no, str(exc), raw))
                continue
            prepared.parsed.append((line_no, raw, key, rows))
        return prepared

    def apply(self, prepared: "Prepared") -> ChunkResult:
        """COPY a prepared chunk into staging and apply it, in the caller's transaction."""
        result = ChunkResult(lines=prepared.lines, failures=list(prepared.failures))
        parsed = prepared.parsed
        while parsed:
            bad = self._copy(parsed)
            if bad is None:
                break
            index, error = bad
            line_no, raw, _, _ = parsed.pop(index)
            result.failures.append(Failure(line_no, error, raw))
        if parsed:
            row = self.conn.execute(APPLY_SQL[self.entity], {"shop_id": self.shop_id, "batch_id": prepared.batch_id,
                                                             "job_id": self.job_id}).fetchone()
            result.outcome = row[0] if row else {}
        result.applied = len(parsed)
        result.keys = [p[2] for p in parsed]
        return result

    def _copy(self, parsed: list[tuple[int, bytes, str, list[list[tuple[Any, ...]]]]]) -> tuple[int, str] | None:
        """COPY every staging table; None when it worked, else (index in parsed, error) of the first bad document."""
        for table_no, (table, columns) in enumerate(STAGING[self.entity]):
            owners: list[int] = []  # staged row -> index in parsed
            try:
                with self.conn.transaction():
                    with self.conn.cursor().copy(f"copy {table} ({', '.join(columns)}) from stdin") as copy:
                        for index, (_, _, _, rows) in enumerate(parsed):
                            for row in rows[table_no]:
                                copy.write_row(row)
                                owners.append(index)
            except (psycopg.errors.DataError, psycopg.errors.IntegrityConstraintViolation) as exc:
                self._unstage(parsed)
                context = exc.diag.context or ""
                match = _COPY_LINE.search(context)
                message = (exc.diag.message_primary or str(exc)).strip()
                column = re.search(r"column (\w+)", context)
                error = f"{message}" + (f" (column {column.group(1)})" if column else "")
                if match is None or int(match.group(2)) > len(owners):
                    raise
                return owners[int(match.group(2)) - 1], error
        return None

    def _unstage(self, parsed: list[tuple[int, bytes, str, list[list[tuple[Any, ...]]]]]) -> None:
        """Remove what earlier tables of this batch received (a later table's COPY failed)."""
        if not parsed:
            return
        batch_id = parsed[0][3][0][0][0]
        for table, _ in STAGING[self.entity]:
            self.conn.execute(f"delete from {table} where batch_id = %s", (batch_id,))


def apply_documents(conn: psycopg.Connection, shop_id: int, entity: str, docs: Iterable[bytes]) -> dict[str, Any]:
    """Upsert whole documents (JSON bytes, e.g. fetched by a webhook job) in the caller's transaction.

    Raises BadDocument (naming the document and field) when one is not usable; nothing is
    applied then."""
    stager = Stager(conn, shop_id, entity)
    result = stager.apply_chunk((n, raw) for n, raw in enumerate(docs, 1))
    if result.failures:
        first = result.failures[0]
        raise BadDocument(f"{entity} document {first.line_no} of shop {shop_id}: {first.error}")
    return {"documents": result.applied, **result.outcome}


def mark_deleted(conn: psycopg.Connection, shop_id: int, entity: str, keys: list[str]) -> int:
    """Soft-delete entities deleted at the source (orders by code, customers/products by GUID,
    variants by code); returns the number of rows marked."""
    row = conn.execute("select ingest.mark_deleted(%s, %s, %s)", (shop_id, entity, keys)).fetchone()
    return int(row[0]) if row else 0


def record_failures(conn: psycopg.Connection, shop_id: int, job_id: int, failures: list[Failure]) -> None:
    """Dead-letter bad lines of a snapshot job (kept if the same line fails again)."""
    if not failures:
        return
    with conn.cursor().copy("copy ingest.snapshot_failures (shop_id, job_id, line_no, error, raw_line) from stdin") as copy:
        for failure in failures:
            copy.write_row((shop_id, job_id, failure.line_no, failure.error[:2000], failure.raw_text()))


def record_seen(conn: psycopg.Connection, job_id: int, keys: list[str]) -> None:
    """Remember the keys a full snapshot contained (what is absent afterwards was deleted)."""
    if not keys:
        return
    with conn.cursor().copy("copy ingest.snapshot_seen (job_id, key) from stdin") as copy:
        for key in keys:
            copy.write_row((job_id, key))

