"""Connected shops: `hub shop add | list | show | refresh | remove`.

A shop's credentials are secrets in core.settings (per shop):
``shoptet.private_token`` (private API token, `hub shop add`) or ``shoptet.oauth_token``
(+ ``shoptet.oauth_url``; addon installation), ``shoptet.signature_key`` (webhooks);
``shoptet.api_url`` when the shop is served by another API base URL than HUB_SHOPTET_API_URL.
The API client of a stored shop is built by runner/shoptet/shop_client.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from runner.config import Config
from runner.connection import open_connection
from runner.db import Target, connect, target_for
from runner.errors import as_hub_error
from runner.logs import log
from runner.queries import query
from runner.shoptet import webhooks
from runner.shoptet.auth import PrivateToken
from runner.shoptet.client import ShoptetClient
from runner.shoptet.shop_client import API_URL, PRIVATE_TOKEN, ShopError, client_for_shop, open_settings, shared_slots

DEFAULT_TIMEZONE = "Europe/Prague"

logger = logging.getLogger("hub.shops")


@dataclass
class AddedShop:
    shop_id: int
    name: str
    webhooks: list[str]
    webhook_error: str | None = None
    timezone: str = DEFAULT_TIMEZONE


# GET /api/eshop sections the hub keeps: image cuts give feeds their image URLs
ESHOP_INCLUDE = {"include": "imageCuts"}


def store_storefront(conn: psycopg.Connection, shop_id: int, eshop: dict[str, Any]) -> None:
    """Keep what feeds need of a GET /api/eshop answer (web address, default language and currency,
    exchange rates, image base URL) in channels.shop_storefronts (channels.store_storefront)."""
    conn.execute(query("shoptet.shop_store_storefront"), {"shop_id": shop_id, "eshop": Jsonb(eshop)})


def shop_timezone(conn: psycopg.Connection, shop_id: int) -> str | None:
    """The shop's IANA time zone (what the dashboard shows its times in); None: no such shop."""
    row = conn.execute(query("shoptet.shop_timezone"), {"shop_id": shop_id}).fetchone()
    return None if row is None else row[0]


def store_timezone(conn: psycopg.Connection, shop_id: int, eshop: dict[str, Any]) -> str:
    """Store the shop's time zone from a GET /api/eshop answer (``data.settings.timezone``,
    shoptet-api.md 4.5) with core.shop_set_timezone; returns the zone stored. A missing value or
    one PostgreSQL does not know (pg_timezone_names) stores Europe/Prague and logs a warning
    naming the shop and the value."""
    settings = eshop.get("settings")
    given = settings.get("timezone") if isinstance(settings, dict) else None
    row = conn.execute(
        query("shoptet.shop_set_timezone"), {"shop_id": shop_id, "timezone": given if isinstance(given, str) else None}
    ).fetchone()
    stored = str(row[0]) if row else DEFAULT_TIMEZONE
    if given is None:
        log(
            logger,
            logging.WARNING,
            "GET /api/eshop has no settings.timezone: the shop's calendar uses the default",
            shop_id=shop_id,
            timezone=stored,
        )
    elif not isinstance(given, str) or given.strip() != stored:
        log(
            logger,
            logging.WARNING,
            "GET /api/eshop settings.timezone is not a time zone PostgreSQL knows "
            "(pg_timezone_names): the shop's calendar uses the default",
            shop_id=shop_id,
            given=repr(given),
            timezone=stored,
        )
    return stored


def store_languages(conn: psycopg.Connection, shop_id: int, eshop: dict[str, Any]) -> list[str]:
    """Store the shop's languages from a GET /api/eshop answer (catalog.shop_languages: languages[]
    with the Foreign languages module, else settings.eshopLanguage); default first. An answer that
    names none leaves them as they were (logged)."""
    from runner.translations.sync import store_languages as store

    settings = eshop.get("settings")
    if not eshop.get("languages") and not (isinstance(settings, dict) and settings.get("eshopLanguage")):
        log(logger, logging.WARNING, "GET /api/eshop names no language: the shop's languages are kept", shop_id=shop_id)
        return []
    return store(conn, shop_id, eshop)


def refresh_shop(
    cfg: Config, shop_id: int, *, client: ShoptetClient | None = None, target: Target | None = None
) -> dict[str, Any]:
    """Read GET /api/eshop with the shop's credentials and store what the hub keeps of it (the
    time zone; the languages: catalog.shop_languages). Returns {"shop_id", "timezone"}. Raises
    ShopError for an unknown shop."""
    target = target or target_for(cfg)
    with connect(target, "app", autocommit=True) as conn:
        if conn.execute(query("shoptet.shop_exists"), {"shop_id": shop_id}).fetchone() is None:
            raise ShopError(f"shop {shop_id} does not exist (hub shop list)")
        own = client is None
        api = client or client_for_shop(shop_id, cfg=cfg, target=target)
        try:
            eshop = api.get("/api/eshop", ESHOP_INCLUDE) or {}
        finally:
            if own:
                api.close()
        zone = store_timezone(conn, shop_id, eshop)
        store_storefront(conn, shop_id, eshop)
        store_languages(conn, shop_id, eshop)
        return {"shop_id": shop_id, "timezone": zone}


def add_shop(
    cfg: Config,
    token: str,
    *,
    api_url: str | None = None,
    name: str | None = None,
    master: bool = False,
    master_shop_id: int | None = None,
    register_webhooks: bool = True,
) -> AddedShop:
    """Connect a shop with a private API token: discover eshopId, store the token, register webhooks."""
    base = (api_url or cfg.shoptet_api_url).rstrip("/")
    with ShoptetClient(base, PrivateToken(token)) as probe:
        data = probe.get("/api/eshop", ESHOP_INCLUDE) or {}
    info = data.get("contactInformation") or {}
    shop_id = info.get("eshopId")
    if not isinstance(shop_id, int) or shop_id <= 0:
        raise ShopError(f"GET {base}/api/eshop answered without contactInformation.eshopId: is {base} a Shoptet API?")
    shop_name = name or str(info.get("eshopName") or info.get("eshopTitle") or f"eshop {shop_id}")
    target = target_for(cfg)
    with connect(target, "app", autocommit=True) as conn:
        if master_shop_id is not None:
            row = conn.execute(query("shoptet.shop_exists"), {"shop_id": master_shop_id}).fetchone()
            if row is None:
                raise ShopError(f"--master-shop {master_shop_id}: no such shop (hub shop list)")
        try:
            conn.execute(
                query("shoptet.shop_upsert"),
                {"shop_id": shop_id, "name": shop_name, "is_master": master, "master_shop_id": master_shop_id},
            )
        except psycopg.errors.UniqueViolation:
            raise ShopError("--master: another shop is already the master (hub shop list)") from None
        except psycopg.errors.CheckViolation as exc:
            raise as_hub_error(exc, ShopError, f"shop {shop_id}") from None
        zone = store_timezone(conn, shop_id, data)
        store_storefront(conn, shop_id, data)
        store_languages(conn, shop_id, data)
    with open_settings(cfg, target) as settings:
        settings.set_secret(PRIVATE_TOKEN, token, shop_id=shop_id)
        # the API the token was verified against belongs to the shop (workers need no HUB_SHOPTET_API_URL)
        settings.set(API_URL, base, shop_id=shop_id)
        registered: list[str] = []
        error = None
        if register_webhooks:
            credentials = PrivateToken(token, shop_id=shop_id)
            client = ShoptetClient(base, credentials, shop_id=shop_id, slots=shared_slots(credentials, target))
            try:
                registered = webhooks.register(
                    settings,
                    shop_id,
                    url=cfg.public_url + webhooks.WEBHOOK_PATH,
                    events=webhooks.WEBHOOK_EVENTS,
                    client=client,
                )
            except Exception as exc:  # noqa: BLE001 - the shop stays connected; the message says what is missing
                error = str(exc)
            finally:
                client.close()
    return AddedShop(shop_id, shop_name, registered, error, zone)


def list_shops(cfg: Config, shop_id: int | None = None) -> list[dict[str, Any]]:
    with connect(target_for(cfg), "app", autocommit=True) as conn:
        return conn.cursor(row_factory=dict_row).execute(query("shoptet.shops_list"), {"shop_id": shop_id}).fetchall()


def purge_shop(admin_conninfo: str, shop_id: int) -> dict[str, Any]:
    """ops.purge_shop in one transaction. As a superuser the foreign-key triggers are skipped
    (session_replication_role = replica): ops.purge_shop deletes children before parents
    itself, and a per-order cascade check makes removing a big shop take minutes."""
    with open_connection(admin_conninfo) as conn:
        superuser = conn.execute(query("shoptet.current_user_is_superuser")).fetchone()
        if superuser and superuser[0]:
            conn.execute(query("shoptet.skip_foreign_key_triggers"))
        row = conn.execute(query("shoptet.shop_purge"), {"shop_id": shop_id}).fetchone()
        conn.commit()
    return dict(row[0]) if row and row[0] else {}


def remove_shop(cfg: Config, shop_id: int, *, purge: bool = False) -> dict[str, Any]:
    """Disconnect a shop (credentials forgotten, data kept), or with purge delete it and its data."""
    with connect(target_for(cfg), "app", autocommit=True) as conn:
        if conn.execute(query("shoptet.shop_exists"), {"shop_id": shop_id}).fetchone() is None:
            raise ShopError(f"shop {shop_id} does not exist (hub shop list)")
        if purge:
            return {"purged": purge_shop(target_for(cfg).admin, shop_id)}
        with conn.transaction():
            conn.execute(query("shoptet.shop_disconnect"), {"shop_id": shop_id})
            conn.execute(query("shoptet.shop_forget_credentials"), {"shop_id": shop_id})
    return {"disconnected": shop_id}
