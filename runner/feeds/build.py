"""Build a feed: stream its items from SQL into an XML file, checking them as they are written,
and publish it.

1. The channel's SQL function (runner/sql/feeds.sql ``items_<channel>``) is inlined into the
   query (db/functions/channels/): the server produces rows as they are read, and they are read
   in chunks as they come (psycopg ``stream``), so the database and the writer work at the same
   time and memory does not grow with the catalogue. JIT is off for the query (it costs more
   than it saves on these wide expressions).
2. Rows the rules exclude (``excluded``) are counted; rows with ``problems`` (an item the
   marketplace would refuse) are left out, counted and listed (the first 1000).
3. Each item is written as text (runner/feeds/formats.py ItemWriter) to a temporary file beside
   its target and, in the same pass, to its gzip copy, into the SHA-256 (the ETag) and into a
   parser (runner/feeds/validate.py WellFormed): the bytes are proved well-formed XML with the
   channel's root as they are written. Each item's values are checked as they are written
   (validate.ItemCheck, the rules `hub feed check` applies to a file): required elements,
   limits and patterns, unique ids, ITEMGROUP_ID not an ITEM_ID, the availability feed's ids
   among the published offer feed's.
4. Only a feed that passes replaces the published one: file and gzip copy are renamed into place
   (``os.replace``: atomic on one file system) and channels.feeds records ETag, Last-Modified and
   counts. A feed that fails is deleted; the published file stays and last_error says why.

Published files live in ``<HUB_FEEDS_DIR or HUB_HOME/feeds>/<feed_id>/<channel>.xml`` (+ ``.gz``).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import secrets
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson
import psycopg
from psycopg.types.json import Jsonb, set_json_loads

from runner.config import Config
from runner.errors import HubError
from runner.feeds import validate
from runner.feeds.formats import CHANNELS, FORBIDDEN, HEUREKA, Channel, ItemWriter
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.feeds")

FETCH_ROWS = 500  # rows per chunk of the result (libpq chunked rows: they arrive while the writer works)
WRITE_CHARS = 1 << 18  # item text gathered before it is encoded and written (about 256 kB)
GZIP_LEVEL = 3  # twice as fast as zlib's default 6 on feed XML, for a file about a sixth larger
PROBLEMS_KEPT = validate.MAX_LISTED


class FeedError(HubError):
    """A feed cannot be built or found; the message names the feed."""


class FeedInvalid(FeedError):
    """A built file failed its check: it was not published (the previous file stays)."""

    def __init__(self, feed_id: int | None, message: str, report: validate.Report):
        super().__init__(message)
        self.feed_id = feed_id
        self.report = report


def feeds_dir(cfg: Config) -> Path:
    """Where published feeds are kept: HUB_FEEDS_DIR, else HUB_HOME/feeds."""
    given = cfg.env.get("HUB_FEEDS_DIR")
    return Path(given).expanduser().resolve() if given else cfg.home / "feeds"


def published_path(cfg: Config, feed_id: int, channel: str, *, gz: bool = False) -> Path:
    return feeds_dir(cfg) / str(feed_id) / (CHANNELS[channel].file_name + (".gz" if gz else ""))


@dataclass
class BuildResult:
    feed_id: int | None
    channel: str
    path: Path
    items: int = 0
    excluded: int = 0
    invalid: int = 0
    size_bytes: int = 0
    etag: str = ""
    seconds: float = 0.0
    problems: list[dict[str, Any]] = field(default_factory=list)
    published: bool = False
    # why items were left out (the channel function's `excluded` text) -> how many
    excluded_by: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "feed_id": self.feed_id,
            "channel": self.channel,
            "path": str(self.path),
            "items": self.items,
            "excluded": self.excluded,
            "excluded_by": self.excluded_by,
            "invalid": self.invalid,
            "size_bytes": self.size_bytes,
            "etag": self.etag,
            "seconds": round(self.seconds, 3),
            "published": self.published,
        }


class _Sink:
    """Where a feed's bytes go once they are accepted: the file, its gzip copy and the SHA-256
    (the ETag, no second read)."""

    def __init__(self, raw: IO[bytes], gz: IO[bytes]):
        self.raw, self.gz = raw, gz
        self.sha = hashlib.sha256()
        self.size = 0
        # wbits 31: a gzip member (header with mtime 0 and no name, deflate, CRC-32 and size)
        self.compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)

    def write(self, data: bytes) -> None:
        self.sha.update(data)
        self.size += len(data)
        self.raw.write(data)
        self.gz.write(self.compressor.compress(data))

    def close(self) -> None:
        self.gz.write(self.compressor.flush())
        for f in (self.raw, self.gz):
            f.flush()
            os.fsync(f.fileno())


class _Items:
    """Items on their way out, a chunk at a time: parsed (validate.WellFormed), then checked
    (validate.ItemCheck), then written (_Sink). A chunk the parser refuses holds a character XML
    cannot hold (or a writer mistake): its items that hold one are written again cleaned and the
    chunk is parsed again by a parser restarted after the head; refused again, the feed is not
    well-formed."""

    def __init__(self, writer: ItemWriter, sink: _Sink, parser: validate.WellFormed, check: validate.ItemCheck):
        self.writer, self.sink, self.parser, self.check = writer, sink, parser, check
        self.chunk: list[tuple[str, Sequence[Any], Sequence[Any]]] = []
        self.chars = 0
        self.written = 0

    def add(self, row: Sequence[Any]) -> None:
        text, values = self.writer.item(row)
        self.chunk.append((text, values, row))
        self.chars += len(text)
        if self.chars >= WRITE_CHARS:
            self.flush()

    def flush(self) -> None:
        writer, chunk = self.writer, self.chunk
        data = "".join(item[0] for item in chunk).encode()
        clean: set[int] = set()
        if not self.parser.failed and not self.parser.accepts(data):  # (once failed, the feed is lost anyway)
            clean = {n for n, (text, _values, _row) in enumerate(chunk) if FORBIDDEN.search(text)}
            for n in clean:
                row = chunk[n][2]
                chunk[n] = (*writer.item(row, clean=True), row)
            data = "".join(item[0] for item in chunk).encode()
            self.parser.restart()
            if not self.parser.accepts(data):
                self.parser.fail(f"items {self.written + 1:,} to {self.written + len(chunk):,}")
        for n, (_text, values, row) in enumerate(chunk):
            self.check.item(writer.item_id(row, clean=n in clean), values)
        self.sink.write(data)
        self.written += len(chunk)
        chunk.clear()
        self.chars = 0


def items_sql(channel: str) -> str:
    """The named query (runner/sql/feeds.sql) that gives a channel's items."""
    return {
        "heureka": query("feeds.items_heureka"),
        "heureka-availability": query("feeds.items_heureka_availability"),
        "zbozi": query("feeds.items_zbozi"),
        "google": query("feeds.items_google"),
    }[channel]


def _head(conn: psycopg.Connection, feed: dict[str, Any]) -> dict[str, str]:
    """Google's <channel> title, link and description: the shop's name and address (or the
    feed's settings.title / settings.description)."""
    row = conn.execute(query("feeds.storefront"), {"shop_id": feed["shop_id"]}).fetchone()
    web, name = (row[0], row[1]) if row else (None, None)
    settings = feed.get("settings") or {}
    return {
        "title": settings.get("title") or name or f"shop {feed['shop_id']}",
        "link": web or "",
        "description": settings.get("description") or f"Products of {name or feed['shop_id']}",
    }


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cycle collector off while rows stream: each row makes tuples, lists and dicts that only
    reference counting frees, and the collector's passes over them cost about a tenth of the
    writer's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_items(
    conn: psycopg.Connection,
    feed: dict[str, Any],
    out: Path,
    gz: Path,
    *,
    now: datetime,
    offer_ids: set[int] | None = None,
) -> tuple[BuildResult, list[dict[str, Any]], validate.Report]:
    """Stream the feed's items into ``out`` and its gzip copy ``gz`` (created or truncated),
    checking them as they are written; returns counts, the problems of the items left out as
    invalid, and the check's report (``ok`` or why the feed must not be published)."""
    channel = CHANNELS[feed["channel"]]
    result = BuildResult(feed.get("feed_id"), channel.name, out)
    problems: list[dict[str, Any]] = []
    report = validate.Report()
    writer = ItemWriter(channel)
    head = writer.head(_head(conn, feed) if channel.name == "google" else {}).encode()
    tail = writer.tail().encode()
    params = {"feed_id": feed["feed_id"], "shop_id": feed["shop_id"], "now": now}
    conn.execute(query("feeds.items_settings"))
    with out.open("wb") as raw, gz.open("wb") as gz_raw:
        sink = _Sink(raw, gz_raw)
        parser = validate.WellFormed(channel, report, head)
        sink.write(head)
        items = _Items(writer, sink, parser, validate.ItemCheck(channel, report, offer_ids=offer_ids))
        with conn.cursor() as cur, _no_gc():
            set_json_loads(orjson.loads, cur)  # parameters and delivery blocks: 5x the json module
            excluded_at = problems_at = -1
            for row in cur.stream(items_sql(channel.name), params, size=FETCH_ROWS):
                if excluded_at < 0:
                    columns = [c.name for c in cur.description or ()]
                    writer.bind(columns)
                    excluded_at, problems_at = columns.index("excluded"), columns.index("problems")
                if row[excluded_at] is not None:
                    result.excluded += 1
                    result.excluded_by[row[excluded_at]] = result.excluded_by.get(row[excluded_at], 0) + 1
                elif row[problems_at]:
                    result.invalid += 1
                    if len(problems) < PROBLEMS_KEPT:
                        item = writer.item_id(row, clean=True)
                        problems.extend({"item_id": item, "problem": p} for p in row[problems_at])
                else:
                    items.add(row)
        items.flush()
        parser.finish(tail)
        sink.write(tail)
        sink.close()
    items.check.finish()
    result.items = items.written
    result.size_bytes = sink.size
    result.etag = '"' + sink.sha.hexdigest() + '"'
    return result, problems[:PROBLEMS_KEPT], report


def offer_ids(conn: psycopg.Connection, cfg: Config, feed: dict[str, Any]) -> set[int] | None:
    """The ITEM_ID hashes an availability feed must stay within: the shop's published Heureka
    offer feed (None when the shop has none yet: nothing to pair with, not checked)."""
    if feed["channel"] != "heureka-availability":
        return None
    row = conn.execute(query("feeds.offer_feed_of_shop"), {"shop_id": feed["shop_id"]}).fetchone()
    if row is None:
        return None
    path = published_path(cfg, int(row[0]), HEUREKA.name)
    return validate.item_id_hashes(path, HEUREKA) if path.exists() else None


def build(
    conn: psycopg.Connection,
    cfg: Config,
    feed: dict[str, Any],
    *,
    output: Path | None = None,
    now: datetime | None = None,
) -> BuildResult:
    """Build one feed (a channels.feeds row as a dict) and publish it, or with ``output`` write it
    to that file (atomically, with ``output.gz`` beside it) without touching the published one.
    Raises FeedInvalid (after recording it on the feed) when the file fails its check."""
    started = time.monotonic()
    now = now or datetime.now(UTC)
    channel: Channel = CHANNELS[feed["channel"]]
    target = output or published_path(cfg, feed["feed_id"], channel.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    tmp_gz = tmp.with_name(tmp.name + ".gz")
    try:
        result, problems, report = write_items(conn, feed, tmp, tmp_gz, now=now, offer_ids=offer_ids(conn, cfg, feed))
        result.problems = problems + report.as_json()
        if not report.ok:
            message = (
                f"feed {feed['feed_id']} ({channel.name}, shop {feed['shop_id']}): the built file failed its check "
                f"({report.counts['feed']} feed problem(s), {report.counts['item']} item problem(s); first: "
                f"{report.problems[0][1] if report.problems else '?'}); the previous file stays"
            )
            if output is None:
                conn.execute(
                    query("feeds.feed_failed"),
                    {"feed_id": feed["feed_id"], "error": message, "problems": Jsonb(result.problems)},
                )
                conn.commit()
            raise FeedInvalid(feed["feed_id"], message, report)
        os.replace(tmp_gz, target.with_name(target.name + ".gz"))
        os.replace(tmp, target)
        result.path = target
        result.seconds = time.monotonic() - started
        result.published = output is None
        if output is None:
            conn.execute(
                query("feeds.feed_published"),
                {
                    "feed_id": feed["feed_id"],
                    "built_at": now.replace(microsecond=0),
                    "etag": result.etag,
                    "size_bytes": result.size_bytes,
                    "items": result.items,
                    "excluded": result.excluded,
                    "invalid": result.invalid,
                    "seconds": round(result.seconds, 3),
                    "problems": Jsonb(result.problems),
                },
            )
            conn.commit()
        log(
            logger,
            logging.INFO,
            "feed built",
            feed_id=feed["feed_id"],
            shop_id=feed["shop_id"],
            channel=channel.name,
            items=result.items,
            excluded=result.excluded,
            invalid=result.invalid,
            seconds=round(result.seconds, 3),
        )
        return result
    finally:
        for leftover in (tmp, tmp_gz):
            leftover.unlink(missing_ok=True)


__all__ = ["BuildResult", "FeedError", "FeedInvalid", "build", "feeds_dir", "published_path", "write_items"]
