"""`hub sync`: incremental sync of a shop from Shoptet's change lists (runner/shoptet/sync.py; its SQL
in runner/sql/sync.sql). The workers run the same sync on a schedule (runner/tasks.py)."""

from __future__ import annotations

import argparse
import sys

from runner.commands.common import Subparsers, add_command, add_json_option, add_shop_option, print_json
from runner.config import Config

ENTITIES = ("orders", "customers", "products")


def register(subparsers: Subparsers) -> None:
    p = add_command(
        subparsers,
        "sync",
        cmd_sync,
        help="incremental sync of a shop now: Shoptet's change lists since the cursor",
        description="Read /api/{entity}/changes from the shop's cursor (minus a 10-minute overlap), "
        "fetch and upsert what changed, soft-delete what was deleted, move the cursor "
        "with each batch. Without a cursor: from the newest stored change, else now. "
        "A cursor older than 29 days imports a snapshot instead. Prints what it did.",
        environment=True,
    )
    add_shop_option(p, required=True)
    p.add_argument("--entity", choices=[*ENTITIES, "all"], default="all", help="what to sync")
    add_json_option(p, "one JSON object per entity")


def cmd_sync(cfg: Config, args: argparse.Namespace) -> int:
    from runner.connection import open_connection
    from runner.db import target_for
    from runner.shoptet import sync
    from runner.shoptet.shop_client import client_for_shop
    from runner.tasks import procrastinate_conninfo

    target = target_for(cfg)
    client = client_for_shop(args.shop, cfg=cfg, target=target)
    status = 0
    # sync may defer jobs (a snapshot for an old cursor): procrastinate's schema on the search_path
    with (
        client,
        open_connection(
            procrastinate_conninfo(target.app), what=f"{target.description} as app", hint=target.embedded
        ) as conn,
    ):
        for entity in ENTITIES if args.entity == "all" else (args.entity,):
            try:
                summary = sync.sync_entity(conn, client, args.shop, entity)
            except sync.SyncBusy as exc:
                print(f"shop {args.shop} {entity}: skipped, {exc}")
                status = 1
                continue
            except Exception as exc:  # noqa: BLE001 - reported per entity; recorded in ingest.sync_cursors
                print(f"shop {args.shop} {entity}: FAILED: {exc}", file=sys.stderr)
                status = 1
                continue
            if summary.get("upserted") or summary.get("deleted") or summary.get("snapshot"):
                from runner import analytics

                analytics.after_write(conn, args.shop, entity)  # the workers refresh the customers it touched
                conn.commit()
            if args.json:
                print_json(summary, compact=True)
            else:
                print(sync.describe(summary))
            sys.stdout.flush()
    return status
