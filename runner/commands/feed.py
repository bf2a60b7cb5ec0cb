"""`hub feed`: marketplace product feeds (runner/feeds/service.py; its SQL in runner/sql/feeds.sql
and db/functions/channels/; docs/feeds.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from runner.commands.common import (
    Column,
    Subparsers,
    add_command,
    add_group,
    add_json_option,
    add_shop_option,
    print_fields,
    print_json,
    print_table,
)
from runner.config import Config
from runner.errors import CommandError

CHANNEL_NAMES = ("heureka", "heureka-availability", "zbozi", "google")


def _add_channel_option(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument("--channel", choices=CHANNEL_NAMES, required=required, help="the marketplace format")


def _add_feed_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("feed_id", type=int, metavar="ID", help="the feed's id (hub feed list)")


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "feed",
        help="marketplace feeds (Heureka, Zbozi.cz, Google): add, list, show, remove, build, check",
        description="Product feeds for marketplaces, built from the hub's catalogue in SQL, checked "
        "before they are published at HUB_PUBLIC_URL/feeds/<token>/<channel>.xml (docs/feeds.md).",
    )
    p = add_command(
        sub,
        "add",
        cmd_feed_add,
        help="define a feed of a shop for a marketplace",
        description="Define a feed. Defaults: the shop's default language and currency (GET /api/eshop, "
        "read by hub shop add / refresh), no rules beyond the marketplace flags (heureka.feedExcluded, "
        "zboziCZ.hidden). --rules FILE: a JSON object of rules (docs/feeds.md#rules). Prints the feed's "
        "public URL; the worker builds it within a minute (or run hub feed build).",
    )
    add_shop_option(p, required=True)
    _add_channel_option(p, required=True)
    p.add_argument("--language", help="language of the texts (default: the shop's default language)")
    p.add_argument("--currency", help="currency of the prices, e.g. EUR (default: the shop's default currency)")
    p.add_argument("--rules", type=Path, metavar="FILE", help="JSON file with the feed's rules (docs/feeds.md#rules)")
    add_json_option(p)
    p = add_command(
        sub, "list", cmd_feed_list, help="feeds with their last build", description="List the defined feeds."
    )
    add_shop_option(p, help="only the feeds of this shop (eshopId)")
    add_json_option(p)
    p = add_command(
        sub,
        "show",
        cmd_feed_show,
        help="one feed: URL, rules, last build and its problems",
        description="Show one feed with its rules, public URL and the state and problems of its last build.",
    )
    _add_feed_argument(p)
    add_json_option(p)
    p = add_command(
        sub,
        "remove",
        cmd_feed_remove,
        help="forget a feed and delete its files",
        description="Forget a feed; its published files are deleted and its URL answers 404.",
    )
    _add_feed_argument(p)
    p = add_command(
        sub,
        "build",
        cmd_feed_build,
        help="build feeds now (all, a shop's, a channel's) and publish them when valid",
        description="Build the selected feeds (default: all): stream the items from SQL into XML, check "
        "the file, and replace the published file only when it passes. With --output FILE the one "
        "selected feed is written to FILE (and FILE.gz) and the published file is not touched. Exit "
        "status 1 when a feed failed its check (the previous file stays).",
        environment=True,
    )
    p.add_argument("--feed", type=int, metavar="ID", help="only this feed")
    add_shop_option(p, help="only the feeds of this shop (eshopId)")
    _add_channel_option(p)
    p.add_argument("--output", type=Path, metavar="FILE", help="write the one selected feed to FILE instead")
    add_json_option(p)
    p = add_command(
        sub,
        "check",
        cmd_feed_check,
        help="check a feed's published file (or a file) and list problems per item",
        description="Read a feed file back as a build does (well-formed, namespaces, required elements, "
        "limits and patterns, unique ids, ITEMGROUP_ID not an ITEM_ID, availability ids among the offer "
        "feed's) and list the problems per item. Exit status 1 when there are problems.",
    )
    p.add_argument("--feed", type=int, metavar="ID", help="the feed (or --shop and --channel)")
    add_shop_option(p, help="the shop of the feed (with --channel)")
    _add_channel_option(p)
    p.add_argument("--file", type=Path, metavar="FILE", help="check this file instead of the published one")
    add_json_option(p)


FEED_COLUMNS = (
    Column("feed", 6, ">", cell=lambda r: r["feed_id"]),
    Column("shop", 10, cell=lambda r: r["shop_id"]),
    Column("channel", 21),
    Column("lang", 5, cell=lambda r: r["language"]),
    Column("cur", 4, cell=lambda r: r["currency"]),
    Column("items", 9, ">", cell=lambda r: "-" if r["items"] is None else f"{r['items']:,}"),
    Column("built", 17, cell=lambda r: r["built_at"].strftime("%Y-%m-%d %H:%M") if r["built_at"] else "never"),
    Column("url", cell=lambda r: r["url"] + (" (last build failed)" if r["last_error"] else ""), gap="  "),
)


def cmd_feed_add(cfg: Config, args: argparse.Namespace) -> int:
    from runner.feeds import service

    feed = service.add_feed(
        cfg,
        args.shop,
        args.channel,
        language=args.language,
        currency=args.currency,
        rules=service.read_rules(args.rules),
    )
    feed["url"] = service.feed_url(cfg, feed)
    if args.json:
        print_json(feed)
    else:
        print(
            f"feed {feed['feed_id']}: {feed['channel']} of shop {feed['shop_id']} "
            f"({feed['language']}, {feed['currency']})\n  url {feed['url']}\n"
            f"next: hub feed build --feed {feed['feed_id']} (or let hub worker build it)"
        )
    return 0


def cmd_feed_list(cfg: Config, args: argparse.Namespace) -> int:
    from runner.feeds import service

    print_table(
        service.list_feeds(cfg, args.shop),
        FEED_COLUMNS,
        as_json=args.json,
        empty="no feeds: define one with `hub feed add --shop ID --channel heureka`",
    )
    return 0


def cmd_feed_show(cfg: Config, args: argparse.Namespace) -> int:
    from runner.feeds import service

    feed = service.show_feed(cfg, args.feed_id)
    if args.json:
        print_json(feed)
        return 0
    problems = feed.pop("problems", None) or []
    settings = feed.pop("settings", None)
    print_fields(feed, as_json=False, width=16, blank="-")
    # the rules as they were given (JSON, one line), then the last build's problems one per line
    print(f"{'settings':<16} {json.dumps(settings, ensure_ascii=False, sort_keys=True) if settings else '-'}")
    if not problems:
        print(f"{'problems':<16} none at the last build")
        return 0
    print(f"{'problems':<16} {len(problems):,} at the last build (items left out as invalid; first 1000 kept):")
    for problem in problems:
        item = problem.get("item_id") if isinstance(problem, dict) else None
        text = problem.get("problem") if isinstance(problem, dict) else problem
        print(f"  {item or '(feed)'}: {text}")
    return 0


def cmd_feed_remove(cfg: Config, args: argparse.Namespace) -> int:
    from runner.feeds import service

    gone = service.remove_feed(cfg, args.feed_id)
    print(f"feed {gone['feed_id']} ({gone['channel']} of shop {gone['shop_id']}) removed; its URL answers 404")
    return 0


def _left_out(excluded_by: dict[str, int]) -> str:
    """Why items were left out, said by kind: the feed's rules, Shoptet (a product or variant not
    shown there), the marketplace flag set in Shoptet (heureka.feedExcluded, zboziCZ.hidden), or
    (availability feed) nothing to promise."""
    kinds: dict[str, dict[str, int]] = {
        "by rules": {},
        "not shown in Shoptet": {},
        "flagged in Shoptet": {},
        "not available": {},
    }
    for reason, n in excluded_by.items():
        if reason.startswith("rule "):
            kind = "by rules"
        elif "visib" in reason:
            kind = "not shown in Shoptet"
        elif reason in ("heureka.feedExcluded", "zboziCZ.hidden"):
            kind = "flagged in Shoptet"
        else:  # the availability feed: stock not tracked, not in stock, not in the offer feed
            kind = "not available"
        kinds[kind][reason.removeprefix("rule ")] = n
    parts = [
        f"{sum(reasons.values()):,} {kind} ["
        + ", ".join(f"{reason}: {n:,}" for reason, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
        + "]"
        for kind, reasons in kinds.items()
        if reasons
    ]
    return "; ".join(parts) if parts else "0 left out by rules or Shoptet"


def _result_line(result: Any) -> str:
    from runner.feeds.build import FeedInvalid

    if isinstance(result, FeedInvalid):
        return f"NOT PUBLISHED {result}"
    where = "published" if result.published else "written"
    return (
        f"feed {result.feed_id} {result.channel}: {result.items:,} items {where} to {result.path} "
        f"({result.size_bytes:,} bytes, {result.seconds:.2f} s); left out: {_left_out(result.excluded_by)}; "
        f"{result.invalid:,} invalid left out (hub feed show {result.feed_id})"
    )


def cmd_feed_build(cfg: Config, args: argparse.Namespace) -> int:
    from runner.feeds import service
    from runner.feeds.build import FeedInvalid

    results = service.build_feeds(cfg, feed_id=args.feed, shop_id=args.shop, channel=args.channel, output=args.output)
    if args.json:
        print_json(
            [
                {"feed_id": r.feed_id, "error": str(r), "problems": r.report.as_json()}
                if isinstance(r, FeedInvalid)
                else r.as_json()
                for r in results
            ]
        )
    else:
        for r in results:
            print(_result_line(r), file=sys.stderr if isinstance(r, FeedInvalid) else sys.stdout)
    return 1 if any(isinstance(r, FeedInvalid) for r in results) else 0


def cmd_feed_check(cfg: Config, args: argparse.Namespace) -> int:
    from runner.db import connect, target_for
    from runner.feeds import service

    feed_id = args.feed
    if feed_id is None:
        if args.shop is None or args.channel is None:
            raise CommandError("name the feed: --feed ID, or --shop ID --channel C")
        with connect(target_for(cfg), "app", autocommit=True) as conn:
            found = service.select_feeds(conn, shop_id=args.shop, channel=args.channel)
        if len(found) != 1:
            raise CommandError(
                f"{len(found)} feeds of shop {args.shop} for {args.channel}: name one with --feed ID (hub feed list)"
            )
        feed_id = found[0]["feed_id"]
    feed, report, path = service.check_feed(cfg, feed_id, file=args.file)
    if args.json:
        print_json({"feed_id": feed_id, "file": str(path), "items": report.items, "problems": report.as_json()})
    else:
        for item, problem in report.problems:
            print(f"{item or '(feed)'}: {problem}")
        total = sum(report.counts.values())
        print(
            f"feed {feed_id} {feed['channel']}: {path}: {report.items:,} items, "
            + ("no problems" if report.ok else f"{total:,} problem(s) in {report.bad_items:,} item(s)")
        )
    return 0 if report.ok else 1
