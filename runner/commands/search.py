"""`hub search`: find a shop's customers, orders or products by what an assistant would type
(runner/search.py; the SQL functions sales.search_customers, sales.search_orders,
catalog.search_products do the matching and ranking, docs/search.md)."""

from __future__ import annotations

import argparse
from typing import Any

from runner.commands.common import (
    Column,
    Subparsers,
    add_command,
    add_group,
    add_json_option,
    add_shop_option,
    print_table,
)
from runner.config import Config
from runner.errors import CommandError, as_hub_error

_WHAT = {
    "customers": "a shop's customers by name, e-mail, phone or company",
    "orders": "a shop's orders by code, e-mail, phone, customer name or company",
    "products": "a shop's variants by product name, variant code, EAN, manufacturer code or description words",
}

_RANK = Column("rank", 5, ">", cell=lambda r: f"{r['rank']:.2f}")
_FIELD = Column("matched", 17, cell=lambda r: r["matched_field"])
COLUMNS: dict[str, tuple[Column, ...]] = {
    "customers": (
        _RANK,
        _FIELD,
        Column("guid", 36, cell=lambda r: str(r["guid"])),
        Column("email", 36, cell=lambda r: r["email"] or "-"),
        Column("name", None, cell=lambda r: r["full_name"] or "-"),
    ),
    "orders": (
        _RANK,
        _FIELD,
        Column("code", 14),
        Column("created", 16, cell=lambda r: f"{r['created_at']:%Y-%m-%d %H:%M}"),
        Column("email", 36, cell=lambda r: r["email"] or "-"),
        Column("name", None, cell=lambda r: r["full_name"] or "-"),
    ),
    "products": (
        _RANK,
        _FIELD,
        Column("variant", 20, cell=lambda r: r["variant_code"]),
        Column("product_guid", 36, cell=lambda r: str(r["product_guid"])),
        Column("name", None, cell=lambda r: r["name"] or "-"),
    ),
}


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "search",
        help="search customers, orders and products (diacritics-insensitive, typo-tolerant)",
        description="Search a shop's customers, orders or products inside PostgreSQL: exact matches "
        "(code, e-mail, EAN, phone in any Czech format) first, then prefixes, then misspellings; "
        "with or without diacritics, in any case. See docs/search.md.",
    )
    for kind, what in _WHAT.items():
        p = add_command(
            sub,
            kind,
            HANDLERS[kind],
            help=f"search {what}",
            description=f"Print {what} matching QUERY, best first: rank 3 exact, 2..3 prefix, "
            "0..1 fuzzy (queries of 3+ characters)"
            + (", 0..0.5 every word in the description (full text)" if kind == "products" else "")
            + "; the matched field of each row.",
            environment=True,
        )
        p.set_defaults(kind=kind)
        add_shop_option(p, required=True, metavar="N")
        # nargs="+": an unquoted query of several words gets a hint to quote it, not argparse's
        # "unrecognized arguments"
        p.add_argument("query", metavar="QUERY", nargs="+", help="what to look for (quote it when it has spaces)")
        p.add_argument("--limit", type=int, default=20, help="rows to print, 1 .. 1000")
        add_json_option(p)


def cmd_search_customers(cfg: Config, args: argparse.Namespace) -> int:
    return _search(cfg, args)


def cmd_search_orders(cfg: Config, args: argparse.Namespace) -> int:
    return _search(cfg, args)


def cmd_search_products(cfg: Config, args: argparse.Namespace) -> int:
    return _search(cfg, args)


HANDLERS = {"customers": cmd_search_customers, "orders": cmd_search_orders, "products": cmd_search_products}


def _search(cfg: Config, args: argparse.Namespace) -> int:
    from runner import search
    from runner.db import connect, target_for
    from runner.shoptet.shops import shop_timezone

    words = args.query if isinstance(args.query, list) else [args.query]
    if len(words) > 1:
        quoted = " ".join(words).replace("'", "'\\''")
        raise CommandError(
            f"QUERY is one argument: quote a query of several words, e.g. hub search {args.kind} --shop {args.shop} "
            f"'{quoted}'"
        )
    text = words[0]
    columns = COLUMNS[args.kind]
    with connect(target_for(cfg), "app") as conn:
        try:
            rows: list[dict[str, Any]] = search.search(conn, args.kind, args.shop, text, limit=args.limit)
        except search.SearchError as exc:
            raise as_hub_error(exc) from None
        if args.kind == "orders" and not args.json:
            columns = _orders_columns(shop_timezone(conn, args.shop) or "UTC")
    print_table(rows, columns, as_json=args.json, empty=f"no {args.kind} match {text!r}")
    return 0


def _orders_columns(timezone: str) -> tuple[Column, ...]:
    """The orders' columns with times in the shop's time zone, named in the header (as the dashboard
    shows them); JSON keeps created_at with its offset."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone, timezone = ZoneInfo("UTC"), "UTC"
    title = f"created ({timezone})"
    created = Column(title, max(16, len(title)), cell=lambda r: f"{r['created_at'].astimezone(zone):%Y-%m-%d %H:%M}")
    return tuple(created if c.title == "created" else c for c in COLUMNS["orders"])
