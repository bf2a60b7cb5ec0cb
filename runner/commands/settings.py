"""`hub settings`: typed global and per-shop settings in core.settings, encrypted secrets
(runner/settings.py; the SQL side is db/functions/core/setting_*.sql)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

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
from runner.errors import CommandError

if TYPE_CHECKING:
    from runner.settings import Settings

SHOP_HELP = "the shop (Shoptet eshopId); without it, the global setting"


def register(subparsers: Subparsers) -> None:
    sub = add_group(
        subparsers,
        "settings",
        help="typed global and per-shop settings, encrypted secrets",
        description="Read and change settings in core.settings. Secrets are encrypted with "
        "HUB_SECRET_KEY (or the generated HUB_HOME/secret.key).",
    )
    p = add_command(
        sub,
        "get",
        cmd_settings_get,
        help="print a setting's value (a shop's own value, else the global one)",
        description="Print a setting's value; exit status 1 when it is not set.",
    )
    p.add_argument("key", help="setting key, e.g. sync.orders.interval")
    add_shop_option(p, metavar="N", help=SHOP_HELP)
    p.add_argument("--secret", action="store_true", help="the setting is a secret: decrypt and print it")
    p = add_command(
        sub,
        "set",
        cmd_settings_set,
        help="create or replace a setting",
        description="Create or replace a setting. VALUE '-' reads it from standard input "
        "(keeps secrets out of shell history).",
    )
    p.add_argument("key", help="setting key: lower case letters, digits and _ . : -")
    p.add_argument("value", help="the value, or - to read it from standard input")
    add_shop_option(p, metavar="N", help=SHOP_HELP)
    p.add_argument("--type", choices=("text", "integer", "boolean", "json"), help="value type (default text)")
    p.add_argument("--secret", action="store_true", help="store the value encrypted (always text)")
    p = add_command(
        sub,
        "delete",
        cmd_settings_delete,
        help="remove a setting",
        description="Remove a setting; exit status 1 when it did not exist.",
    )
    p.add_argument("key", help="setting key")
    add_shop_option(p, metavar="N", help=SHOP_HELP)
    p = add_command(
        sub,
        "list",
        cmd_settings_list,
        help="list settings, secrets masked",
        description="List settings with secrets shown as ********.",
    )
    add_shop_option(p, metavar="N", help="only this shop's settings and the global ones")
    p.add_argument("--secret", action="store_true", help="only secret settings (still masked)")
    add_json_option(p, "print as JSON")


def _settings(cfg: Config, *, need_key: bool) -> Settings:
    from runner.db import target_for
    from runner.secret_key import load_secret_key
    from runner.settings import Settings

    key = load_secret_key(cfg) if need_key else None
    return Settings(target_for(cfg).app, secret_key=key, ttl=cfg.settings_ttl, listen=False)


def _parse_value(raw: str, value_type: str) -> Any:
    """The value of ``--type value_type`` given as ``raw`` text."""
    if value_type == "text":
        return raw
    if value_type == "integer":
        try:
            return int(raw)
        except ValueError:
            raise CommandError(f"--type integer needs a whole number, got {raw!r}") from None
    if value_type == "boolean":
        lowered = raw.strip().lower()
        if lowered in ("true", "yes", "on", "1"):
            return True
        if lowered in ("false", "no", "off", "0"):
            return False
        raise CommandError(f"--type boolean needs true or false, got {raw!r}")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise CommandError(f"--type json needs valid JSON: {exc}") from None


def _shop_option(shop_id: int | None) -> str:
    return f" --shop {shop_id}" if shop_id is not None else ""


def cmd_settings_get(cfg: Config, args: argparse.Namespace) -> int:
    from runner.settings import SettingIsSecret

    with _settings(cfg, need_key=args.secret) as settings:
        if args.secret:
            value = settings.get_secret(args.key, shop_id=args.shop)
        else:
            try:
                value = settings.get(args.key, shop_id=args.shop)
            except SettingIsSecret:
                raise CommandError(
                    f"setting {args.key} is a secret: add --secret to decrypt and print it "
                    f"(hub settings get {args.key}{_shop_option(args.shop)} --secret)"
                ) from None
    if value is None:
        print(f"setting {args.key} is not set" + (f" for shop {args.shop}" if args.shop else ""), file=sys.stderr)
        return 1
    print(value if isinstance(value, str) else json.dumps(value))
    return 0


def cmd_settings_set(cfg: Config, args: argparse.Namespace) -> int:
    raw = sys.stdin.read().rstrip("\n") if args.value == "-" else args.value
    with _settings(cfg, need_key=args.secret) as settings:
        if args.secret:
            if args.type not in (None, "text"):
                raise CommandError("a secret is always text: drop --type")
            settings.set_secret(args.key, raw, shop_id=args.shop)
        else:
            value_type = args.type or "text"
            value = _parse_value(raw, value_type)
            if value is None:
                raise CommandError(
                    f"setting {args.key}: the value must not be null; to remove the setting run "
                    f"hub settings delete {args.key}{_shop_option(args.shop)}"
                )
            settings.set(args.key, value, shop_id=args.shop, value_type=value_type)
    scope = f"shop {args.shop}" if args.shop else "global"
    print(f"set {args.key} ({scope}{', secret' if args.secret else ''})")
    return 0


def cmd_settings_delete(cfg: Config, args: argparse.Namespace) -> int:
    with _settings(cfg, need_key=False) as settings:
        removed = settings.delete(args.key, shop_id=args.shop)
    scope = f"shop {args.shop}" if args.shop else "global"
    if not removed:
        print(f"setting {args.key} ({scope}) did not exist", file=sys.stderr)
        return 1
    print(f"deleted {args.key} ({scope})")
    return 0


SETTINGS_COLUMNS = (
    Column("shop", 10, cell=lambda r: r["shop_id"] or "global"),
    Column("key", 40),
    Column("type", 8, cell=lambda r: r["value_type"]),
    Column("value"),
)


def cmd_settings_list(cfg: Config, args: argparse.Namespace) -> int:
    with _settings(cfg, need_key=False) as settings:
        rows = settings.list(shop_id=args.shop, secrets_only=args.secret)
    print_table(rows, SETTINGS_COLUMNS, as_json=args.json, empty="no settings")
    return 0
