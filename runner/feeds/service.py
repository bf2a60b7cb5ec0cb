"""Feed definitions and builds as the CLI (`hub feed ...`) and the worker use them.

Definitions are rows of channels.feeds (defaults and checks in channels.feed_add); builds are
runner/feeds/build.py; the SQL is runner/sql/feeds.sql.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from runner.config import Config
from runner.db import Target, connect, target_for
from runner.errors import as_hub_error
from runner.feeds import validate
from runner.feeds.build import BuildResult, FeedError, FeedInvalid, build, feeds_dir, offer_ids, published_path
from runner.feeds.formats import CHANNELS
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.feeds")


def read_rules(path: Path | None) -> dict[str, Any]:
    """The rules file of `hub feed add --rules FILE` (a JSON object, docs/feeds.md#rules)."""
    if path is None:
        return {}
    try:
        rules = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FeedError(f"--rules {path}: cannot read it: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise FeedError(f"--rules {path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(rules, dict):
        raise FeedError(f"--rules {path}: expected a JSON object, got {type(rules).__name__}")
    return rules


def add_feed(
    cfg: Config,
    shop_id: int,
    channel: str,
    *,
    language: str | None = None,
    currency: str | None = None,
    rules: dict[str, Any] | None = None,
    target: Target | None = None,
) -> dict[str, Any]:
    """Define a feed; returns it (with its token). FeedError names what channels.feed_add refused."""
    with connect(target or target_for(cfg), "app", autocommit=True) as conn:
        try:
            row = conn.execute(
                query("feeds.feed_add"),
                {
                    "shop_id": shop_id,
                    "channel": channel,
                    "language": language,
                    "currency": currency,
                    "settings": Jsonb(rules or {}),
                },
            ).fetchone()
        except (psycopg.errors.InvalidParameterValue, psycopg.errors.UniqueViolation) as exc:
            raise as_hub_error(exc, FeedError) from None
        assert row is not None
        return get_feed(conn, int(row[0]))


def get_feed(conn: psycopg.Connection, feed_id: int) -> dict[str, Any]:
    row = conn.cursor(row_factory=dict_row).execute(query("feeds.feed_get"), {"feed_id": feed_id}).fetchone()
    if row is None:
        raise FeedError(f"feed {feed_id} does not exist (hub feed list)")
    return row


def feed_url(cfg: Config, feed: dict[str, Any]) -> str:
    """The feed's public address (the one to give the marketplace)."""
    return f"{cfg.public_url}/feeds/{feed['token']}/{CHANNELS[feed['channel']].file_name}"


def list_feeds(cfg: Config, shop_id: int | None = None, *, target: Target | None = None) -> list[dict[str, Any]]:
    with connect(target or target_for(cfg), "app", autocommit=True) as conn:
        rows = conn.cursor(row_factory=dict_row).execute(query("feeds.feed_list"), {"shop_id": shop_id}).fetchall()
    for row in rows:
        row["url"] = feed_url(cfg, row)
    return rows


def show_feed(cfg: Config, feed_id: int, *, target: Target | None = None) -> dict[str, Any]:
    with connect(target or target_for(cfg), "app", autocommit=True) as conn:
        feed = get_feed(conn, feed_id)
    feed["url"] = feed_url(cfg, feed)
    return feed


def remove_feed(cfg: Config, feed_id: int, *, target: Target | None = None) -> dict[str, Any]:
    """Forget a feed and delete its published files (its URL answers 404 from now on)."""
    with connect(target or target_for(cfg), "app", autocommit=True) as conn:
        row = conn.execute(query("feeds.feed_remove"), {"feed_id": feed_id}).fetchone()
    if row is None:
        raise FeedError(f"feed {feed_id} does not exist (hub feed list)")
    shutil.rmtree(feeds_dir(cfg) / str(feed_id), ignore_errors=True)
    return {"feed_id": row[0], "shop_id": row[1], "channel": row[2]}


def select_feeds(
    conn: psycopg.Connection, *, feed_id: int | None = None, shop_id: int | None = None, channel: str | None = None
) -> list[dict[str, Any]]:
    """The feeds a build or check is about (availability feeds after the offer feeds they pair with)."""
    params = {"feed_id": feed_id, "shop_id": shop_id, "channel": channel}
    rows = conn.cursor(row_factory=dict_row).execute(query("feeds.feed_select"), params).fetchall()
    for row in rows:
        row.update(get_feed(conn, row["feed_id"]))
    return rows


def build_feeds(
    cfg: Config,
    *,
    feed_id: int | None = None,
    shop_id: int | None = None,
    channel: str | None = None,
    output: Path | None = None,
    target: Target | None = None,
) -> list[BuildResult | FeedInvalid]:
    """Build the selected feeds; each result is a BuildResult or the FeedInvalid of a feed whose
    file failed its check (the others are still built). With ``output`` exactly one feed must be
    selected; it is written to that file and the published file is not touched."""
    results: list[BuildResult | FeedInvalid] = []
    with connect(target or target_for(cfg), "app") as conn:
        feeds = select_feeds(conn, feed_id=feed_id, shop_id=shop_id, channel=channel)
        conn.commit()
        if not feeds:
            raise FeedError("no feed matches (hub feed list; define one with hub feed add)")
        if output is not None and len(feeds) != 1:
            raise FeedError(
                f"--output writes one feed, {len(feeds)} match: name it with --feed ID or --shop N --channel C"
            )
        for feed in feeds:
            try:
                results.append(build(conn, cfg, feed, output=output))
            except FeedInvalid as exc:
                conn.rollback()
                results.append(exc)
    return results


def rebuild_due(cfg: Config, target: Target) -> list[dict[str, Any]]:
    """The worker's periodic pass: build every feed channels.feeds_due names (schedule, debounced
    catalogue changes); one feed's failure does not stop the others."""
    done: list[dict[str, Any]] = []
    with connect(target, "app") as conn:
        due = conn.cursor(row_factory=dict_row).execute(query("feeds.feeds_due")).fetchall()
        conn.commit()
        for row in due:
            feed = get_feed(conn, row["feed_id"])
            conn.commit()
            try:
                result = build(conn, cfg, feed)
                done.append({"feed_id": row["feed_id"], "reason": row["reason"], "items": result.items})
            except FeedInvalid as exc:
                conn.rollback()
                log(logger, logging.WARNING, "feed not published", feed_id=row["feed_id"], error=str(exc))
                done.append({"feed_id": row["feed_id"], "reason": row["reason"], "error": str(exc)})
    return done


def check_feed(
    cfg: Config, feed_id: int, *, file: Path | None = None, target: Target | None = None
) -> tuple[dict[str, Any], validate.Report, Path]:
    """Check a feed's published file (or ``file``) as a build checks it; the report lists problems per item."""
    with connect(target or target_for(cfg), "app") as conn:
        feed = get_feed(conn, feed_id)
        path = file or published_path(cfg, feed_id, feed["channel"])
        if not path.exists():
            raise FeedError(f"feed {feed_id}: {path} does not exist (hub feed build --feed {feed_id})")
        offer = offer_ids(conn, cfg, feed)
    return feed, validate.check_file(path, CHANNELS[feed["channel"]], offer_ids=offer), path


__all__ = [
    "add_feed",
    "build_feeds",
    "check_feed",
    "feed_url",
    "list_feeds",
    "read_rules",
    "rebuild_due",
    "remove_feed",
    "show_feed",
]
