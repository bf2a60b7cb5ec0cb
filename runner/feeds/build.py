"""Build a feed: stream its items from SQL into an XML file, check the file, publish it.

1. The channel's SQL function (runner/sql/feeds.sql ``items_<channel>``) is read through a
   server-side cursor in batches; each row is written at once with lxml's incremental writer
   (runner/feeds/formats.py): memory does not grow with the catalogue.
2. Rows the rules exclude (``excluded``) are counted; rows with ``problems`` (an item the
   marketplace would refuse) are left out, counted and listed (the first 1000).
3. The file is written to a temporary name beside its target, its SHA-256 is taken while it is
   written (the ETag), then it is read back and checked (runner/feeds/validate.py).
4. Only a file that passes replaces the published one: gzip copy and file are renamed into place
   (``os.replace``: atomic on one file system) and channels.feeds records ETag, Last-Modified and
   counts. A file that fails is deleted; the published file stays and last_error says why.

Published files live in ``<HUB_FEEDS_DIR or HUB_HOME/feeds>/<feed_id>/<channel>.xml`` (+ ``.gz``).
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import orjson
import psycopg
from lxml import etree
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb, set_json_loads

from runner.config import Config
from runner.errors import HubError
from runner.feeds import validate
from runner.feeds.formats import CHANNELS, HEUREKA, Channel, open_root, write_item
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.feeds")

FETCH_ROWS = 2000  # rows per round trip of the server-side cursor
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


class _HashingWriter:
    """A binary file that hashes what is written through it (the ETag costs no second read)."""

    def __init__(self, raw: IO[bytes]):
        self.raw = raw
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.raw.write(data)


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


def write_items(
    conn: psycopg.Connection, feed: dict[str, Any], out: Path, *, now: datetime
) -> tuple[BuildResult, list[dict[str, Any]]]:
    """Stream the feed's items into ``out`` (created or truncated); returns counts and the
    problems of the items left out as invalid."""
    channel = CHANNELS[feed["channel"]]
    result = BuildResult(feed.get("feed_id"), channel.name, out)
    problems: list[dict[str, Any]] = []
    params = {"feed_id": feed["feed_id"], "shop_id": feed["shop_id"], "now": now}
    head = _head(conn, feed) if channel.name == "google" else {}
    with out.open("wb") as raw:
        sink = _HashingWriter(raw)
        with etree.xmlfile(sink, encoding="utf-8") as xf:
            xf.write_declaration()
            with open_root(xf, channel, head):
                with conn.cursor(name=f"feed_{feed['feed_id']}_{secrets.token_hex(4)}", row_factory=dict_row) as cur:
                    cur.itersize = FETCH_ROWS
                    set_json_loads(orjson.loads, cur)  # parameters and delivery blocks: 5x the json module
                    cur.execute(items_sql(channel.name), params)
                    for row in cur:
                        if row["excluded"] is not None:
                            result.excluded += 1
                            result.excluded_by[row["excluded"]] = result.excluded_by.get(row["excluded"], 0) + 1
                            continue
                        if row["problems"]:
                            result.invalid += 1
                            if len(problems) < PROBLEMS_KEPT:
                                item = row.get("item_id") or row.get("id")
                                problems.extend({"item_id": item, "problem": p} for p in row["problems"])
                            continue
                        write_item(xf, channel, row)
                        result.items += 1
        raw.flush()
        os.fsync(raw.fileno())
    result.size_bytes = sink.size
    result.etag = '"' + sink.sha.hexdigest() + '"'
    return result, problems[:PROBLEMS_KEPT]


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


def _gzip(src: Path, dst: Path) -> None:
    with src.open("rb") as fin, gzip.GzipFile(dst, "wb", compresslevel=6, mtime=0) as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)


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
        result, problems = write_items(conn, feed, tmp, now=now)
        report = validate.check_file(tmp, channel, offer_ids=offer_ids(conn, cfg, feed))
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
        _gzip(tmp, tmp_gz)
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
