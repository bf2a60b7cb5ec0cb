"""`hub shop`: connected Shoptet e-shops (runner/shoptet/shops.py; its SQL in runner/sql/shoptet.sql)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import Any

from runner.commands.common import (
    Column,
    Subparsers,
    add_command,
    add_group,
    add_json_option,
    add_shop_argument,
    print_fields,
    print_table,
)
from runner.config import Config
from runner.errors import CommandError


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "shop",
        help="connected Shoptet e-shops: add, list, show, remove",
        description="Connect Shoptet e-shops. `add` takes a private API token (Premium); addon "
        "shops arrive through the install callback of `hub serve`.",
    )
    p = add_command(
        sub,
        "add",
        cmd_shop_add,
        help="connect a shop with its private API token",
        description="Ask GET /api/eshop who the token belongs to (eshopId), store the token "
        "encrypted, register the webhooks the hub needs (job:finished, order/customer/"
        "product create-update-delete) at HUB_PUBLIC_URL/webhooks/shoptet and store "
        "the new signature key. Running it again updates the shop and its webhooks.",
        environment=True,
    )
    p.add_argument(
        "--token",
        help="the shop's private API token (Shoptet-Private-API-Token); "
        "or set HUB_SHOPTET_TOKEN to keep it out of the shell history",
    )
    p.add_argument("--api-url", help="Shoptet API base URL for this shop (default HUB_SHOPTET_API_URL)")
    p.add_argument("--name", help="name shown in the hub (default: the e-shop's name)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--master", action="store_true", help="this shop owns the catalogue (at most one master)")
    group.add_argument(
        "--master-shop", type=int, metavar="ID", help="the master shop whose catalogue this one overlays"
    )
    p.add_argument("--no-webhooks", action="store_true", help="do not register webhooks (snapshots then fail with 403)")
    p = add_command(
        sub,
        "list",
        cmd_shop_list,
        help="every shop with its status and row counts",
        description="List connected shops.",
    )
    add_json_option(p)
    p = add_command(
        sub,
        "show",
        cmd_shop_show,
        help="one shop: role, status, credentials kinds, counts",
        description="Show one shop (credentials are named, never shown).",
    )
    add_shop_argument(p)
    add_json_option(p)
    p = add_command(
        sub,
        "refresh",
        cmd_shop_refresh,
        help="read the shop's settings (time zone) from GET /api/eshop again",
        description="Read GET /api/eshop with the shop's stored credentials and store its "
        "settings.timezone in core.shops.timezone (its calendar: date-only bounds and "
        "per-day figures). A missing or unknown zone stores Europe/Prague with a "
        "warning. `hub shop add` and the addon install do the same.",
    )
    add_shop_argument(p)
    p = add_command(
        sub,
        "remove",
        cmd_shop_remove,
        help="disconnect a shop (data kept), or --purge it with its data",
        description="Forget the shop's credentials and mark it uninstalled; its data stay. With "
        "--purge --yes delete the shop and every row of it.",
    )
    add_shop_argument(p)
    p.add_argument("--purge", action="store_true", help="also delete all its orders, customers, catalogue, jobs")
    p.add_argument("--yes", action="store_true", help="confirm --purge")


def cmd_shop_add(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    token = args.token or os.environ.get("HUB_SHOPTET_TOKEN") or ""
    if not token.strip():
        raise CommandError("give the shop's private API token with --token (or HUB_SHOPTET_TOKEN)")
    added = shops.add_shop(
        cfg,
        token.strip(),
        api_url=args.api_url,
        name=args.name,
        master=args.master,
        master_shop_id=args.master_shop,
        register_webhooks=not args.no_webhooks,
    )
    print(f"connected shop {added.shop_id} ({added.name}); token stored encrypted; time zone {added.timezone}")
    if added.webhooks:
        print(f"webhooks -> {cfg.public_url}/webhooks/shoptet: {', '.join(added.webhooks)}; signature key stored")
    if added.webhook_error:
        print(
            f"warning: webhooks not registered: {added.webhook_error}\n"
            "  snapshots need the job:finished webhook; fix the cause and run `hub shop add` again",
            file=sys.stderr,
        )
        return 1
    print(f"next: hub snapshot import --shop {added.shop_id}")
    return 0


def _role(row: Mapping[str, Any]) -> str:
    return "master" if row["is_master"] else (f"of {row['master_shop_id']}" if row["master_shop_id"] else "-")


SHOP_COLUMNS = (
    Column("shop", 10, cell=lambda r: r["shop_id"]),
    Column("name", 28, cell=lambda r: r["name"][:28]),
    Column("role", 14, cell=_role),
    Column("status", 12),
    Column("orders", 9, ">", cell=lambda r: f"{r['orders']:,}"),
    Column("customers", 10, ">", cell=lambda r: f"{r['customers']:,}"),
    Column("variants", 9, ">", cell=lambda r: f"{r['variants']:,}"),
    Column(
        "last import",
        cell=lambda r: r["last_import"].strftime("%Y-%m-%d %H:%M") if r["last_import"] else "never",
        gap="  ",
    ),
)


def cmd_shop_list(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    print_table(
        shops.list_shops(cfg),
        SHOP_COLUMNS,
        as_json=args.json,
        empty="no shops: connect one with `hub shop add --token ...`",
    )
    return 0


def cmd_shop_show(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    rows = shops.list_shops(cfg, args.shop_id)
    if not rows:
        raise CommandError(f"shop {args.shop_id} does not exist (hub shop list)")
    print_fields(rows[0], as_json=args.json, width=16, blank="-")
    return 0


def cmd_shop_refresh(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    refreshed = shops.refresh_shop(cfg, args.shop_id)
    print(f"shop {refreshed['shop_id']}: time zone {refreshed['timezone']}")
    return 0


def cmd_shop_remove(cfg: Config, args: argparse.Namespace) -> int:
    from runner.shoptet import shops

    if args.purge and not args.yes:
        raise CommandError(
            f"--purge deletes every order, customer and product of shop {args.shop_id}: add --yes to confirm"
        )
    result = shops.remove_shop(cfg, args.shop_id, purge=args.purge)
    if args.purge:
        deleted = sum(int(v) for v in result["purged"].values())
        print(f"shop {args.shop_id} purged: {deleted:,} rows deleted")
    else:
        print(f"shop {args.shop_id} disconnected: credentials forgotten, data kept (status uninstalled)")
    return 0
