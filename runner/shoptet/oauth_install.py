"""The addon installation callback (GET /shoptet/install?code=...).

Shoptet calls the addon's installation URL with a one-time ``code``; in the same
request the addon exchanges it at ``POST {oauth_url}/action/ApiOAuthServer/token``
(client_id, client_secret, code, redirect_uri, grant_type=authorization_code,
scope=api) for the shop's long-lived OAuth access token, and answers 200 only
after that worked (Shoptet counts anything else, or more than 5 s, as a failed
install). Then: the shop row in core.shops, the token as the secret
``shoptet.oauth_token`` of that shop, the webhooks registered, and the shop's time zone
read from ``GET /api/eshop`` (``settings.timezone``; a failure there only warns).

Global settings used: ``shoptet.addon.client_id``, ``shoptet.addon.redirect_uri``,
``shoptet.addon.oauth_url`` (the partner e-shop's base URL) and the secret
``shoptet.addon.client_secret``.

Webhook registration (``runner.shoptet.webhooks``) failing answers 502 after the
token is stored; a repeated install callback completes it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from runner.connection import open_connection
from runner.errors import HubError
from runner.logs import log
from runner.queries import query
from runner.shoptet import shops, webhooks
from runner.shoptet.client import RetryPolicy
from runner.shoptet.shop_client import client_for_shop
from runner.shoptet.shops import store_timezone

logger = logging.getLogger("hub.install")

TOKEN_PATH = "/action/ApiOAuthServer/token"
EXCHANGE_TIMEOUT = httpx.Timeout(4.0, connect=2.0)


class InstallError(HubError):
    """The installation cannot complete; ``status`` is the HTTP answer for Shoptet (400 or 502)."""

    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class OAuthGrant:
    access_token: str
    eshop_id: int
    eshop_url: str | None
    contact_email: str | None


@dataclass
class InstallResult:
    shop_id: int
    webhooks: list[str] = field(default_factory=list)
    timezone: str | None = None  # as stored from GET /api/eshop; None when it could not be read


def exchange_code(
    oauth_url: str,
    *,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    client: httpx.Client | None = None,
) -> OAuthGrant:
    """POST the code to the OAuth server; the grant, or InstallError naming what failed."""
    url = oauth_url.rstrip("/") + TOKEN_PATH
    body = {
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "redirect_uri": redirect_uri,
        "grant_type": "authorization_code",
        "scope": "api",
    }
    own = client is None
    http = client or httpx.Client(timeout=EXCHANGE_TIMEOUT)
    try:
        response = http.post(url, json=body)
    except httpx.HTTPError as exc:
        raise InstallError(f"POST {url}: {type(exc).__name__}: {exc}") from None
    finally:
        if own:
            http.close()
    try:
        data: Any = response.json()
    except ValueError:
        data = None
    if response.status_code != 200:
        detail = data.get("error") if isinstance(data, dict) else response.text[:200]
        status = 400 if response.status_code in (400, 401) else 502
        raise InstallError(f"POST {url} answered {response.status_code}: {detail}", status)
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) or not data["access_token"]:
        raise InstallError(f"POST {url}: the answer has no access_token")
    eshop_id = data.get("eshopId")
    if not isinstance(eshop_id, int) or isinstance(eshop_id, bool) or eshop_id <= 0:
        raise InstallError(f"POST {url}: the answer has no valid eshopId")
    return OAuthGrant(data["access_token"], eshop_id, data.get("eshopUrl"), data.get("contactEmail"))


def _register_webhooks_with_client(settings: Any, shop_id: int, public_url: str, api_url: str) -> list[str]:
    """Register webhooks.WEBHOOK_EVENTS at {public_url}/webhooks/shoptet and store the signature key
    (an API access token minted from the OAuth token, POST /api/webhooks, renew-signature-key)."""
    try:
        registered: list[str] = webhooks.register(
            settings, shop_id, url=public_url + webhooks.WEBHOOK_PATH, events=webhooks.WEBHOOK_EVENTS, api_url=api_url
        )
    except Exception as exc:  # noqa: BLE001 - Shoptet must see a failed install, with the reason
        raise InstallError(f"webhook registration failed: {exc}") from None
    return registered


register_webhooks: Callable[[Any, int, str, str], list[str]] = _register_webhooks_with_client

# the time zone is read with few, short retries: Shoptet gives the install request 5 s in all
TIMEZONE_READ = RetryPolicy(attempts_5xx=2, attempts_429=2, attempts_423=2, base_delay=0.2, max_delay=1.0)
TIMEZONE_TIMEOUT = httpx.Timeout(2.0, connect=1.0)


def store_timezone_from_api(settings: Any, conninfo: str, shop_id: int, api_url: str) -> str | None:
    """Read GET /api/eshop with the new shop's token and store its settings.timezone
    (shops.store_timezone: unknown or missing -> Europe/Prague with a warning). The zone stored,
    or None when the API could not be read (a warning; the shop keeps Europe/Prague and
    `hub shop refresh ID` reads it later): a time zone never fails an installation."""
    try:
        with client_for_shop(
            shop_id, settings=settings, api_url=api_url, retry=TIMEZONE_READ, timeout=TIMEZONE_TIMEOUT
        ) as api:
            eshop = api.get("/api/eshop", shops.ESHOP_INCLUDE) or {}
    except Exception as exc:  # noqa: BLE001 - the install stands; the message says how to complete it
        log(
            logger,
            logging.WARNING,
            "could not read GET /api/eshop for the shop's time zone: it stays Europe/Prague "
            "until `hub shop refresh` reads it",
            shop_id=shop_id,
            error=str(exc),
        )
        return None
    with open_connection(conninfo, autocommit=True) as conn:
        zone = store_timezone(conn, shop_id, eshop)
        shops.store_storefront(conn, shop_id, eshop)
        return zone


def install(
    settings: Any,
    conninfo: str,
    code: str,
    *,
    public_url: str,
    api_url: str,
    registrar: Callable[[Any, int, str, str], list[str]] | None = None,
) -> InstallResult:
    """Exchange the code, create the shop, store its token, register webhooks."""
    client_id = settings.get("shoptet.addon.client_id")
    redirect_uri = settings.get("shoptet.addon.redirect_uri")
    oauth_url = settings.get("shoptet.addon.oauth_url")
    missing = [
        k
        for k, v in (
            ("shoptet.addon.client_id", client_id),
            ("shoptet.addon.redirect_uri", redirect_uri),
            ("shoptet.addon.oauth_url", oauth_url),
        )
        if not v
    ]
    client_secret = settings.get_secret("shoptet.addon.client_secret")
    if not client_secret:
        missing.append("shoptet.addon.client_secret (secret)")
    if missing:
        raise InstallError(f"the addon is not configured: set {', '.join(missing)}")
    grant = exchange_code(
        str(oauth_url), client_id=str(client_id), client_secret=client_secret, code=code, redirect_uri=str(redirect_uri)
    )
    name = (grant.eshop_url or f"eshop {grant.eshop_id}").removeprefix("https://").removeprefix("http://").rstrip("/")
    with open_connection(conninfo, autocommit=True) as conn:
        conn.execute(query("webhooks.shop_install"), {"shop_id": grant.eshop_id, "name": name})
    settings.set_secret("shoptet.oauth_token", grant.access_token, shop_id=grant.eshop_id)
    if grant.eshop_url:
        settings.set("shoptet.oauth_url", grant.eshop_url.rstrip("/"), shop_id=grant.eshop_id)
    webhooks = (registrar or register_webhooks)(settings, grant.eshop_id, public_url, api_url)
    timezone = store_timezone_from_api(settings, conninfo, grant.eshop_id, api_url)
    return InstallResult(grant.eshop_id, webhooks, timezone)
