"""Documents -> PostgreSQL: parse in Python, COPY flat rows into staging, apply set-based in SQL.

``Stager`` takes the lines of one chunk (raw JSON bytes with their line numbers), parses
them with orjson (about 8x faster than PostgreSQL's jsonb input), turns them into rows of
``ingest.stage_*`` (runner/shoptet/documents.py), COPYs them, and calls the entity's apply
function (``ingest.apply_orders`` / ``apply_customers`` / ``apply_products``) in the
caller's transaction: a chunk is applied entirely or not at all.

A line that is not JSON, not the entity's shape, or carries an unknown enum value is a
``Failure`` (line number, error, the raw line); so is a line whose value PostgreSQL refuses
(COPY names the row and column; that line is taken out and the chunk staged again). A line
imported with a field left out (a GUID field that is not a GUID) carries a ``LineWarning``;
so does a customer stored without its e-mail because another customer holds it.

``apply_documents`` / ``mark_deleted`` are what webhooks and incremental sync use for
single documents: there a bad document raises ``BadDocument``, and warnings are logged
(``log_warnings``: shop, entity, key, field) while the document is applied.

A snapshot import may give the Stager an ``unchanged`` lookup (``ingest.snapshot_unchanged``
on a connection of its own): a line whose bytes the hub's row was written from (the row's
``source_hash``, BLAKE2b-128 of the line) is then skipped before it is even parsed -- parsing,
staging and comparing unchanged lines is most of what a re-import would cost.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import psycopg
from psycopg import sql

from runner.logs import log
from runner.queries import query
from runner.shoptet import documents
from runner.shoptet.client import parse_datetime
from runner.shoptet.documents import BadDocument, FieldWarning

logger = logging.getLogger("hub.ingest")

ENTITIES = ("orders", "customers", "products")
RAW_LINE_LIMIT = 4000
_COPY_LINE = re.compile(r"COPY (\w+), line (\d+)")

# entity -> [(staging table, columns)] in COPY order; the first table has one row per document
STAGING: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "orders": [("ingest.stage_orders", documents.ORDER_COLUMNS), ("ingest.stage_order_items", documents.ITEM_COLUMNS)],
    "customers": [("ingest.stage_customers", documents.CUSTOMER_COLUMNS)],
    "products": [
        ("ingest.stage_products", documents.PRODUCT_COLUMNS),
        ("ingest.stage_variants", documents.VARIANT_COLUMNS),
    ],
}


def _apply_sql(entity: str) -> str:
    """The call that applies a staged batch of the entity (parameters shop_id, batch_id, job_id)."""
    return {
        "orders": query("ingest.apply_orders"),
        "customers": query("ingest.apply_customers"),
        "products": query("ingest.apply_products"),
    }[entity]


def text_warnings(outcome: dict[str, Any]) -> list[LineWarning]:
    """ingest.apply_products' text warnings (a text longer than its field allows, a language that is
    not a language code) as line warnings; the field is named ``texts[LANGUAGE].FIELD``."""
    return [
        LineWarning(
            int(w.get("line_no") or 0),
            str(w.get("guid")),
            f"texts[{w.get('language')}].{w.get('field')}",
            str(w.get("message")),
        )
        for w in outcome.get("text_warnings") or ()
        if isinstance(w, dict)
    ]


def _table(name: str) -> sql.Identifier:
    """A schema-qualified table name ("ingest.stage_orders") as an identifier."""
    return sql.Identifier(*name.split("."))


def _copy_statement(table: str, columns: Iterable[str]) -> sql.Composed:
    return sql.SQL(query("ingest.copy_from_stdin")).format(
        table=_table(table), columns=sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )


@dataclass
class Failure:
    line_no: int
    error: str
    raw: bytes

    def raw_text(self) -> str:
        return self.raw[:RAW_LINE_LIMIT].decode("utf-8", "replace")


@dataclass(frozen=True)
class LineWarning:
    """A line (document) that was imported with one field left out."""

    line_no: int
    key: str  # the document's key: order code, customer / product GUID
    field: str
    message: str


@dataclass
class ChunkResult:
    lines: int = 0
    applied: int = 0
    failures: list[Failure] = field(default_factory=list)
    warnings: list[LineWarning] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    unchanged: int = 0  # lines skipped: the hub holds their version already
    outcome: dict[str, Any] = field(default_factory=dict)

    @property
    def email_conflicts(self) -> list[str]:
        """GUIDs of customers stored without their e-mail (another customer holds it)."""
        return [str(g) for g in self.outcome.get("email_conflict_guids") or ()]

    @property
    def warning_count(self) -> int:
        return len(self.warnings) + len(self.email_conflicts)


def _check_entity(entity: str) -> None:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}: expected one of {', '.join(ENTITIES)}")


def parse_line(
    entity: str,
    raw: bytes,
    batch_id: int,
    line_no: int,
    warnings: list[FieldWarning],
    language: str | None = None,
) -> tuple[str, list[list[tuple[Any, ...]]]]:
    """(the document's key, rows per staging table) of one line; BadDocument when it is not usable.
    Fields left out of a usable line are appended to ``warnings``."""
    return build_rows(entity, load(raw), batch_id, line_no, warnings, language=language)


def load(raw: bytes) -> Any:
    """One line parsed by orjson; BadDocument when it is not JSON."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadDocument(f"malformed JSON: {exc}") from None


# line hashes of a chunk -> [(0-based index, stored key)] of the lines the hub holds (ingest.snapshot_unchanged)
UnchangedLookup = Callable[[list[bytes]], list[tuple[int, str]]]


def line_hash(raw: bytes) -> bytes:
    """BLAKE2b-128 of a snapshot line's bytes: sales.orders / sales.customers.source_hash, which
    ingest.snapshot_unchanged compares to skip a line the hub holds already (a few µs per line)."""
    return hashlib.blake2b(raw, digest_size=16).digest()


def build_rows(
    entity: str,
    doc: Any,
    batch_id: int,
    line_no: int,
    warnings: list[FieldWarning],
    source_hash: bytes | None = None,
    *,
    language: str | None = None,
) -> tuple[str, list[list[tuple[Any, ...]]]]:
    """(the document's key, rows per staging table) of one parsed document; BadDocument when it is
    not usable. Fields left out of a usable document are appended to ``warnings``; ``source_hash``
    (orders, customers) is the hash of the snapshot line, None for a fetched document.
    ``language`` (products): the document was read in that non-default language, texts only; a
    fetched detail may carry its other languages' texts (documents.LANGUAGE_TEXTS_KEY)."""
    if entity == "orders":
        order, items = documents.order_rows(doc, batch_id, line_no, warnings=warnings, source_hash=source_hash)
        return order[2], [[order], items]
    if entity == "customers":
        customer = documents.customer_row(doc, batch_id, line_no, source_hash)
        return customer[2], [[customer]]
    product, variants = documents.product_rows(doc, batch_id, line_no, warnings=warnings, language=language)
    others = documents.language_text_rows(doc, product[2], batch_id, line_no) if language is None else []
    return product[2], [[product, *others], variants]


@dataclass
class Prepared:
    """A parsed chunk: staging rows per document, and the lines that failed to parse.

    Batch ids are random 62-bit numbers, so chunks can be prepared away from the database
    (a parser thread) and concurrent imports never share one."""

    batch_id: int
    lines: int = 0
    last_line: int = 0  # the highest line number of the chunk (a resumed download skips up to it)
    parsed: list[tuple[int, bytes, str, list[list[tuple[Any, ...]]]]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    warnings: list[LineWarning] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # stored keys of the lines skipped as unchanged
    # between Stager.load and Stager.complete: the lines not parsed yet, and their hashes (made by lookup)
    pending: list[tuple[int, bytes, Any]] = field(default_factory=list)
    hashes: list[bytes] = field(default_factory=list)


class Stager:
    """Stages and applies chunks of one shop's entity on one connection."""

    def __init__(
        self,
        conn: psycopg.Connection,
        shop_id: int,
        entity: str,
        *,
        job_id: int | None = None,
        direct: bool = False,
        unchanged: UnchangedLookup | None = None,
        language: str | None = None,
    ):
        _check_entity(entity)
        self.conn = conn
        self.shop_id = shop_id
        self.entity = entity
        self.job_id = job_id
        # products read with ?language= (not the shop's default): their texts only
        self.language = language if entity == "products" else None
        # line hashes of a chunk -> [(0-based index, stored key)] of the lines the hub holds already
        self.unchanged = unchanged
        # snapshot lines carry their hash into source_hash (a fetched document has no line)
        self.hash_lines = job_id is not None and entity in ("orders", "customers")
        # orders that the shop does not have yet may be COPYed straight into their tables
        self.direct = direct and entity == "orders"
        self.hot_from: datetime | None = None
        if self.direct:
            row = conn.execute(query("ingest.order_items_hot_from")).fetchone()
            self.hot_from = row[0] if row else None

    def apply_chunk(self, lines: Iterable[tuple[int, bytes]]) -> ChunkResult:
        """Parse, stage and apply one chunk inside the caller's transaction."""
        return self.apply(self.prepare(lines))

    def prepare(self, lines: Iterable[tuple[int, bytes]]) -> Prepared:
        """Parse a chunk into staging rows (may run in another thread: the only database it
        touches is the ``unchanged`` lookup's own connection)."""
        prepared = self.load(lines)
        return self.complete(prepared, self.lookup(prepared))

    def load(self, lines: Iterable[tuple[int, bytes]]) -> Prepared:
        """Phase 1 of prepare. Without an ``unchanged`` lookup: parse the lines and build their rows,
        line by line (each document is freed at once). With one: only take the lines, unparsed; the
        lookup finds those the hub holds by their bytes, and ``complete`` parses the others."""
        prepared = Prepared(batch_id=secrets.randbits(62))
        for line_no, raw in lines:
            prepared.lines += 1
            prepared.last_line = max(prepared.last_line, line_no)
            if self.unchanged is None:
                self._build(prepared, line_no, raw, None)
            else:
                prepared.pending.append((line_no, raw, None))
        return prepared

    def lookup(self, prepared: Prepared) -> list[tuple[int, str]]:
        """Phase 2 (may run in a thread of its own): [(index in prepared.pending, stored key)] of the
        lines whose bytes the hub's rows were written from; [] without a lookup. The hashes are
        made here: hashlib lets go of the GIL for long inputs, so hashing runs beside the parsing
        in another thread."""
        if self.unchanged is None or not prepared.pending:
            return []
        prepared.hashes = [line_hash(raw) for _, raw, _ in prepared.pending]
        return self.unchanged(prepared.hashes)

    def complete(self, prepared: Prepared, found: list[tuple[int, str]]) -> Prepared:
        """Phase 3: build the rows of the lines ``lookup`` did not find unchanged."""
        if prepared.pending:
            skip = {index for index, _ in found}
            prepared.unchanged.extend(key for _, key in found)
            hashes = prepared.hashes
            for index, (line_no, raw, doc) in enumerate(prepared.pending):
                if index not in skip:
                    self._build(prepared, line_no, raw, doc, hashes[index] if hashes else None)
            prepared.pending, prepared.hashes = [], []
        return prepared

    def _build(
        self,
        prepared: Prepared,
        line_no: int,
        raw: bytes,
        doc: Any,
        source_hash: bytes | None = None,
    ) -> None:
        """Rows of one line (``doc``: the line parsed already, or None; ``source_hash``: its hash when
        made already) into the chunk, or its failure; fields left out go to its warnings."""
        found: list[FieldWarning] = []
        if source_hash is None and self.hash_lines:
            source_hash = line_hash(raw)
        try:
            key, rows = build_rows(
                self.entity,
                load(raw) if doc is None else doc,
                prepared.batch_id,
                line_no,
                found,
                source_hash,
                language=self.language,
            )
        except BadDocument as exc:
            prepared.failures.append(Failure(line_no, str(exc), raw))
            return
        prepared.parsed.append((line_no, raw, key, rows))
        if found:
            prepared.warnings.extend(LineWarning(line_no, key, w.field, w.message) for w in found)

    def apply(self, prepared: Prepared) -> ChunkResult:
        """COPY a prepared chunk into staging and apply it, in the caller's transaction.
        ``keys`` of the result: every key the chunk holds, the unchanged ones included."""
        result = ChunkResult(lines=prepared.lines, failures=list(prepared.failures), unchanged=len(prepared.unchanged))
        parsed = prepared.parsed
        if self.direct and parsed and self._copy_new_orders(parsed, result):
            result.keys.extend(prepared.unchanged)
            result.warnings = list(prepared.warnings)
            self._warn_date_outliers(result)
            return result
        while parsed:
            bad = self._copy(prepared.batch_id, parsed)
            if bad is None:
                break
            index, error = bad
            line_no, raw, _, _ = parsed.pop(index)
            result.failures.append(Failure(line_no, error, raw))
        if parsed:
            row = self.conn.execute(
                _apply_sql(self.entity), {"shop_id": self.shop_id, "batch_id": prepared.batch_id, "job_id": self.job_id}
            ).fetchone()
            result.outcome = row[0] if row else {}
        result.applied = len(parsed)
        result.keys = [p[2] for p in parsed] + prepared.unchanged
        if prepared.warnings:  # of the lines applied (not of those COPY refused)
            applied = {p[0] for p in parsed}
            result.warnings = [w for w in prepared.warnings if w.line_no in applied]
        result.warnings.extend(text_warnings(result.outcome))
        self._warn_date_outliers(result)
        return result

    def _warn_date_outliers(self, result: ChunkResult) -> None:
        """One warning per chunk naming the orders written with an implausible creation time."""
        outliers = result.outcome.get("date_outliers") or []
        if outliers:
            log(
                logger,
                logging.WARNING,
                "orders dated before 2000 or more than a year ahead: kept as Shoptet has "
                "them, listed in ops.orders_date_outliers",
                shop_id=self.shop_id,
                job_id=self.job_id,
                count=len(outliers),
                codes=",".join(outliers[:20]),
            )

    def _copy_new_orders(
        self, parsed: list[tuple[int, bytes, str, list[list[tuple[Any, ...]]]]], result: ChunkResult
    ) -> bool:
        """Fast path of a first load: when no order of the chunk exists yet (and none repeats),
        COPY orders and lines straight into sales.orders / sales.order_items (old quarters into
        archive.order_items), as a plain COPY would. False (nothing written) when the chunk
        needs the staging path: existing orders, repeats, or a value PostgreSQL refuses. No apply
        function runs, so nothing analyzes here: the job's end does (snapshots.run_job ->
        analyze_written: sales.orders and every order-item partition written)."""
        codes = [p[2] for p in parsed]
        if len(set(codes)) != len(codes):
            return False
        exists = self.conn.execute(query("ingest.orders_exist"), {"shop_id": self.shop_id, "codes": codes}).fetchone()
        if exists is None or exists[0]:
            return False
        try:
            orders, hot, archived, created = direct_order_rows(self.shop_id, parsed, self.hot_from)
        except ValueError:  # a creation time Python cannot read: the staging path reports the line
            return False
        try:
            with self.conn.transaction():
                self.conn.execute(query("ingest.ensure_partitions_for"), {"quarters": quarter_starts(created)})
                copy_rows(self.conn, "sales.orders", DIRECT_ORDER_COLUMNS, orders)
                for table, rows in (("sales.order_items", hot), ("archive.order_items", archived)):
                    if rows:
                        copy_rows(self.conn, table, DIRECT_ITEM_COLUMNS, rows)
        except psycopg.Error:
            return False
        result.applied = len(parsed)
        result.keys = codes
        result.outcome = {
            "orders_written": len(orders),
            "items_written": len(hot) + len(archived),
            "items_archived": len(archived),
            "items_removed": 0,
            "date_outliers": date_outliers(codes, created),
            "direct": True,
        }
        return True

    def _copy(
        self, batch_id: int, parsed: list[tuple[int, bytes, str, list[list[tuple[Any, ...]]]]]
    ) -> tuple[int, str] | None:
        """COPY every staging table; None when it worked, else (index in parsed, error) of the first bad document."""
        for table_no, (table, columns) in enumerate(STAGING[self.entity]):
            owners: list[int] = []  # staged row -> index in parsed
            try:
                with self.conn.transaction():
                    with self.conn.cursor().copy(_copy_statement(table, columns)) as copy:
                        for index, (_, _, _, rows) in enumerate(parsed):
                            for row in rows[table_no]:
                                copy.write_row(row)
                                owners.append(index)
            # psycopg.IntegrityError: every class-23 error (CheckViolation, NotNullViolation ...);
            # errors.IntegrityConstraintViolation is only the bare 23000
            except (psycopg.DataError, psycopg.IntegrityError) as exc:
                self._unstage(batch_id)
                context = exc.diag.context or ""
                match = _COPY_LINE.search(context)
                message = (exc.diag.message_primary or str(exc)).strip()
                column = re.search(r"column (\w+)", context)
                error = f"{message}" + (f" (column {column.group(1)})" if column else "")
                if match is None or int(match.group(2)) > len(owners):
                    raise
                return owners[int(match.group(2)) - 1], error
        return None

    def _unstage(self, batch_id: int) -> None:
        """Remove what earlier tables of this batch received (a later table's COPY failed)."""
        for table, _ in STAGING[self.entity]:
            self.conn.execute(sql.SQL(query("ingest.unstage")).format(table=_table(table)), {"batch_id": batch_id})


def copy_rows(conn: psycopg.Connection, table: str, columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """COPY rows (tuples in the order of columns) into a table."""
    with conn.cursor().copy(_copy_statement(table, columns)) as copy:
        for row in rows:
            copy.write_row(row)


# the columns of sales.orders / sales.order_items a first load COPYs directly
DIRECT_ORDER_COLUMNS = ("shop_id",) + documents.ORDER_COLUMNS[2:]
DIRECT_ITEM_COLUMNS = ("shop_id", "order_code", "item_id", "created_at") + documents.ITEM_COLUMNS[3:]
_CREATED = documents.ORDER_COLUMNS.index("created_at")
_CHANGED = documents.ORDER_COLUMNS.index("changed_at")
_CASH_DESK = documents.ORDER_COLUMNS.index("cash_desk_order")


def direct_order_rows(
    shop_id: int, parsed: list[tuple[int, bytes, str, list[list[tuple[Any, ...]]]]], hot_from: datetime | None
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list[datetime]]:
    """Staging rows of new orders -> rows of sales.orders, hot and archived order_items; the
    created_at rule is ingest.apply_orders' (creationTime, else changeTime, else now)."""
    now = datetime.now(UTC)
    orders: list[tuple[Any, ...]] = []
    hot: list[tuple[Any, ...]] = []
    archived: list[tuple[Any, ...]] = []
    created_all: list[datetime] = []
    for _, _, _, (order_rows, item_rows) in parsed:
        order = order_rows[0]
        text = order[_CREATED] or order[_CHANGED]
        parsed_time = parse_datetime(text) if text else now
        try:  # in UTC (the same moment); outside the years 1..9999 UTC the staging path refuses the line by name
            created = (parsed_time or now).astimezone(UTC)
        except OverflowError:
            raise ValueError(f"order {order[2]}: time {text!r} is outside the years 1..9999 UTC") from None
        created_all.append(created)
        row = list(order)
        row[_CREATED] = created
        row[_CASH_DESK] = bool(row[_CASH_DESK])
        orders.append((shop_id, *row[2:]))
        target = hot if hot_from is None or created >= hot_from else archived
        seen: set[int] = set()
        for item in item_rows:
            if item[2] in seen:  # a repeated itemId: keep the first, as the staging path keeps one
                continue
            seen.add(item[2])
            target.append((shop_id, item[1], item[2], created, *item[3:]))
    return orders, hot, archived, created_all


def quarter_starts(times: Iterable[datetime]) -> list[datetime]:
    """The distinct UTC quarters the times fall in, as the first moment of each (sorted): what
    ops.ensure_partitions_for needs, a dozen values instead of a chunk's thousands."""
    utc = UTC
    quarters = {(u.year, (u.month - 1) // 3) for u in (t if t.tzinfo is utc else t.astimezone(utc) for t in times)}
    return [datetime(year, q * 3 + 1, 1, tzinfo=UTC) for year, q in sorted(quarters)]


# ops.is_date_outlier: before 2000 or more than a year ahead (the view ops.orders_date_outliers is the reference)
OUTLIER_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)
OUTLIER_AHEAD = timedelta(days=365)


def date_outliers(codes: list[str], created: list[datetime]) -> list[str]:
    """The codes whose creation time is implausible, sorted (what ingest.apply_orders reports)."""
    ahead = datetime.now(UTC) + OUTLIER_AHEAD
    return sorted(code for code, at in zip(codes, created, strict=True) if at < OUTLIER_BEFORE or at > ahead)


def analyze_written(conn: psycopg.Connection, shop_id: int, entity: str, **context: Any) -> list[str]:
    """Size statistics for what an import or a sync of the entity wrote (ingest.analyze_written: its
    tables and partitions never analyzed or whose row count moved by max(50, 10 %)), in a
    transaction of its own on an autocommit-off ``conn`` with none open. The tables analyzed; a failure is logged as a
    warning and not raised: the data is in, only its statistics wait for autovacuum."""
    try:
        # the session's counters are flushed to pg_stat_* at most once a second: forced at this commit,
        # so that the rows written are counted before the ANALYZE (else after it, as changes since)
        conn.execute(query("ingest.stats_flush"))
        conn.commit()
        row = conn.execute(query("ingest.analyze_written"), {"entity": entity}).fetchone()
        conn.commit()
    except psycopg.Error as exc:
        try:
            conn.rollback()
        except psycopg.Error:  # a broken connection: the caller's next statement says so
            pass
        log(
            logger,
            logging.WARNING,
            "statistics not gathered after writing; autovacuum will",
            shop_id=shop_id,
            entity=entity,
            error=str(exc).strip()[:300],
            **context,
        )
        return []
    tables = [str(t) for t in (row[0] if row and row[0] else [])]
    if tables:
        log(
            logger,
            logging.INFO,
            "statistics gathered",
            shop_id=shop_id,
            entity=entity,
            tables=",".join(tables),
            **context,
        )
    return tables


def apply_documents(conn: psycopg.Connection, shop_id: int, entity: str, docs: Iterable[bytes]) -> dict[str, Any]:
    """Upsert whole documents (JSON bytes, e.g. fetched by a webhook job) in the caller's transaction.

    Raises BadDocument (naming the document and field) when one is not usable; nothing is
    applied then. Fields left out (a GUID field that is not a GUID, an e-mail another customer
    holds) are logged as warnings and the documents applied."""
    stager = Stager(conn, shop_id, entity)
    result = stager.apply_chunk((n, raw) for n, raw in enumerate(docs, 1))
    if result.failures:
        first = result.failures[0]
        raise BadDocument(f"{entity} document {first.line_no} of shop {shop_id}: {first.error}")
    log_warnings(shop_id, entity, result)
    outcome = {k: v for k, v in result.outcome.items() if k not in ("email_conflict_guids", "text_warnings")}
    return {"documents": result.applied, **outcome, "warnings": result.warning_count}


def log_warnings(shop_id: int, entity: str, result: ChunkResult) -> None:
    """One structured warning per field left out of a single document (webhook, sync): shop,
    entity, key, field and what was wrong; the document itself was applied."""
    for w in result.warnings:
        log(
            logger,
            logging.WARNING,
            "document applied without a field",
            shop_id=shop_id,
            entity=entity,
            entity_key=w.key,
            field=w.field,
            error=w.message,
        )
    for guid in result.email_conflicts:
        log(
            logger,
            logging.WARNING,
            "document applied without a field",
            shop_id=shop_id,
            entity=entity,
            entity_key=guid,
            field="email",
            error="the e-mail already belongs to another customer of the shop; stored without e-mail",
        )


def mark_deleted(conn: psycopg.Connection, shop_id: int, entity: str, keys: list[str]) -> int:
    """Soft-delete entities deleted at the source (orders by code, customers/products by GUID,
    variants by code); returns the number of rows marked."""
    row = conn.execute(query("ingest.mark_deleted"), {"shop_id": shop_id, "entity": entity, "keys": keys}).fetchone()
    return int(row[0]) if row else 0


def record_failures(conn: psycopg.Connection, shop_id: int, job_id: int, failures: list[Failure]) -> None:
    """Dead-letter bad lines of a snapshot job (the attempt's start cleared earlier ones)."""
    if not failures:
        return
    copy_rows(
        conn,
        "ingest.snapshot_failures",
        ("shop_id", "job_id", "line_no", "error", "raw_line"),
        ((shop_id, job_id, f.line_no, f.error[:2000], f.raw_text()) for f in failures),
    )


def record_warnings(conn: psycopg.Connection, shop_id: int, job_id: int, warnings: list[LineWarning]) -> None:
    """Field-level warnings of imported lines of a snapshot job (severity 'warning', no raw line:
    the line was imported; the message names field and value)."""
    if not warnings:
        return
    copy_rows(
        conn,
        "ingest.snapshot_failures",
        ("shop_id", "job_id", "line_no", "severity", "field", "error"),
        ((shop_id, job_id, w.line_no, "warning", w.field[:200], w.message[:2000]) for w in warnings),
    )


def record_seen(conn: psycopg.Connection, job_id: int, keys: list[str]) -> None:
    """Remember the keys a full snapshot contained (what is absent afterwards was deleted)."""
    if not keys:
        return
    copy_rows(conn, "ingest.snapshot_seen", ("job_id", "key"), ((job_id, key) for key in keys))
