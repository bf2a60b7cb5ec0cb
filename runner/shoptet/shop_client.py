"""The API client of a connected shop, built from the credentials the hub stores for it.

A shop's credentials are secrets in core.settings (per shop):
``shoptet.private_token`` (private API token, `hub shop add`) or ``shoptet.oauth_token``
(+ ``shoptet.oauth_url``; addon installation); ``shoptet.api_url`` when the shop is served
by another API base URL than HUB_SHOPTET_API_URL. ``client_for_shop`` is the one place a
ShoptetClient is made for a stored shop (workers, commands, webhook registration, the
install callback); client.py knows nothing of the hub's settings. Its API calls are counted in
ops.api_calls through the process's telemetry (runner/telemetry.py) for the same database.
"""

from __future__ import annotations

from typing import Any

from runner import telemetry
from runner.config import Config
from runner.db import Target, target_for
from runner.errors import HubError
from runner.secret_key import load_secret_key
from runner.settings import Settings
from runner.shoptet.auth import AddonToken, Credentials, PrivateToken
from runner.shoptet.client import ShoptetClient
from runner.shoptet.slots import TokenSlots

PRIVATE_TOKEN = "shoptet.private_token"
OAUTH_TOKEN = "shoptet.oauth_token"
OAUTH_URL = "shoptet.oauth_url"
API_URL = "shoptet.api_url"


class ShopError(HubError):
    """A shop cannot be used as asked; the message says why and what to do."""


def open_settings(cfg: Config, target: Target | None = None) -> Settings:
    return Settings(
        (target or target_for(cfg)).conninfo("app"), secret_key=load_secret_key(cfg), listen=False, ttl=cfg.settings_ttl
    )


def shared_slots(credentials: Credentials, target: Target) -> TokenSlots:
    """The token's request slots, shared with every other process on this hub database."""
    return TokenSlots(credentials.key, conninfo=target.conninfo("app"))


def client_for_shop(
    shop_id: int,
    *,
    cfg: Config | None = None,
    target: Target | None = None,
    settings: Settings | None = None,
    api_url: str | None = None,
    **kwargs: Any,
) -> ShoptetClient:
    """A ShoptetClient with the shop's stored credentials."""
    cfg = cfg or Config.from_env()
    target = target or target_for(cfg)
    own = settings is None
    settings = settings or open_settings(cfg, target)
    kwargs.setdefault("on_call", telemetry.for_database(target.conninfo("app")).api_call)
    try:
        base = api_url or settings.get(API_URL, None, shop_id=shop_id) or cfg.shoptet_api_url
        private = settings.get_secret(PRIVATE_TOKEN, None, shop_id=shop_id)
        if private:
            token = PrivateToken(private, shop_id=shop_id)
            return ShoptetClient(str(base), token, shop_id=shop_id, slots=shared_slots(token, target), **kwargs)
        oauth = settings.get_secret(OAUTH_TOKEN, None, shop_id=shop_id)
        # the addon's OAuth server (the partner's e-shop domain) mints access tokens; the shop's own
        # URL from the installation is the fallback
        oauth_url = settings.get("shoptet.addon.oauth_url") or settings.get(OAUTH_URL, None, shop_id=shop_id)
        if oauth and oauth_url:
            credentials = AddonToken(
                shop_id,
                oauth_url=str(oauth_url),
                oauth_token=oauth,
                conninfo=target.conninfo("app"),
                secret_key=load_secret_key(cfg),
            )
            return ShoptetClient(
                str(base), credentials, shop_id=shop_id, slots=shared_slots(credentials, target), **kwargs
            )
    finally:
        if own:
            settings.close()
    raise ShopError(
        f"shop {shop_id} has no Shoptet credentials: connect it with `hub shop add --token ...` or install the addon"
    )
