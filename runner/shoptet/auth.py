"""Credentials for the Shoptet API.

* ``PrivateToken``: a shop's private API token (Premium), header
  ``Shoptet-Private-API-Token``; it never expires.
* ``AddonToken``: an addon installation. Its long-lived OAuth access token mints
  short-lived API access tokens (``GET {oauth_url}/action/ApiOAuthServer/getAccessToken``,
  Bearer, ``expires_in`` 1800 s), sent as ``Shoptet-Access-Token``. The current token is
  kept encrypted in ``core.shop_access_tokens`` and shared by every process; minting
  happens under a per-shop advisory lock, so that of 20 concurrent callers one mints
  and the others reuse its token (the seeds' refresh race). A token is renewed a minute
  before it expires, or at once when Shoptet answers 401 ``expired-token``.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import httpx

from runner.connection import open_connection
from runner.queries import query
from runner.shoptet.errors import MintError

MINT_PATH = "/action/ApiOAuthServer/getAccessToken"
RENEW_BEFORE_SECONDS = 60.0
MINT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Credentials(Protocol):
    def headers(self) -> dict[str, str]:
        """Headers that authenticate one request."""

    def renew(self, used: dict[str, str]) -> bool:
        """Shoptet called the token in ``used`` expired: get a new one; False when impossible."""

    @property
    def key(self) -> str:
        """Identifies the token for the per-token concurrency limit (never the token itself)."""


class PrivateToken:
    def __init__(self, token: str, *, shop_id: int | None = None):
        if not token or not token.strip():
            raise ValueError("the private API token is empty")
        self._token = token.strip()
        self._key = f"private:{shop_id if shop_id is not None else id(self)}"

    def headers(self) -> dict[str, str]:
        return {"Shoptet-Private-API-Token": self._token}

    def renew(self, used: dict[str, str]) -> bool:
        return False

    @property
    def key(self) -> str:
        return self._key

    def __repr__(self) -> str:  # never show the token
        return f"PrivateToken({self._key})"


class AddonToken:
    """API access tokens minted from an addon shop's OAuth token, shared through the database."""

    def __init__(
        self,
        shop_id: int,
        *,
        oauth_url: str,
        oauth_token: str,
        conninfo: str,
        secret_key: str,
        http: httpx.Client | None = None,
    ):
        self.shop_id = shop_id
        self._oauth_url = oauth_url.rstrip("/")
        self._oauth_token = oauth_token
        self._conninfo = conninfo
        self._secret_key = secret_key
        self._http = http
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0
        self.mints = 0  # tokens this object minted (tests, logs)

    @property
    def key(self) -> str:
        return f"addon:{self.shop_id}"

    def __repr__(self) -> str:
        return f"AddonToken(shop {self.shop_id})"

    def headers(self) -> dict[str, str]:
        return {"Shoptet-Access-Token": self.token()}

    def token(self) -> str:
        with self._lock:
            if self._token is None or time.time() > self._expires_at - RENEW_BEFORE_SECONDS:
                self._token, self._expires_at = self._shared_token()
            return self._token

    def renew(self, used: dict[str, str]) -> bool:
        stale = used.get("Shoptet-Access-Token")
        with self._lock:
            if stale is not None and stale == self._token:
                with open_connection(self._conninfo, autocommit=True) as conn:
                    conn.execute(
                        query("shoptet.access_token_expire"),
                        {"shop_id": self.shop_id, "key": self._secret_key, "token": stale},
                    )
                self._token = None
        return True

    def _shared_token(self) -> tuple[str, float]:
        """The valid token in the database, or a new one minted under the shop's lock."""
        with open_connection(self._conninfo) as conn:
            conn.execute(query("shoptet.access_token_lock"), {"shop_id": self.shop_id})
            row = conn.execute(
                query("shoptet.access_token_get"),
                {"key": self._secret_key, "shop_id": self.shop_id, "renew_before": RENEW_BEFORE_SECONDS},
            ).fetchone()
            if row is not None:
                return str(row[0]), float(row[1])
            token, expires_in = self._mint()
            put = conn.execute(
                query("shoptet.access_token_put"),
                {"shop_id": self.shop_id, "token": token, "key": self._secret_key, "expires_in": expires_in},
            )
            expires_at = put.fetchone()
            assert expires_at is not None
            return token, float(expires_at[0])

    def _mint(self) -> tuple[str, float]:
        url = self._oauth_url + MINT_PATH
        http = self._http or httpx.Client(timeout=MINT_TIMEOUT)
        try:
            for attempt in range(1, 4):
                try:
                    response = http.get(url, headers={"Authorization": f"Bearer {self._oauth_token}"})
                except httpx.TransportError as exc:
                    if attempt == 3:
                        raise MintError(
                            f"GET {url}: {type(exc).__name__}: {exc}", method="GET", path=MINT_PATH
                        ) from None
                    time.sleep(attempt)
                    continue
                if response.status_code >= 500 and attempt < 3:
                    time.sleep(attempt)
                    continue
                break
        finally:
            if self._http is None:
                http.close()
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or not body.get("access_token"):
            error = body.get("error") if isinstance(body, dict) else None
            if response.status_code == 401:
                advice = "the addon's OAuth token was refused: was the addon uninstalled? Reinstall it"
            elif error == "maximum_tokens_reached":
                advice = "Shoptet allows 5 valid access tokens per installation and all are in use; retry later"
            else:
                advice = f"HTTP {response.status_code} {error or response.text[:200]}"
            raise MintError(
                f"shop {self.shop_id}: cannot mint an API access token at {url}: {advice}",
                method="GET",
                path=MINT_PATH,
                status=response.status_code,
                error_code=error,
            )
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, (int, float)) and expires_in > 0 else 1800.0
        self.mints += 1
        return str(body["access_token"]), lifetime
