"""Errors of the Shoptet client: each names the request and says what to do about it.

Shoptet answers errors in the envelope ``{"data": null, "errors": [{"errorCode",
"message", "instance"}], "metadata": {"requestId"}}``; 400 / 403 / 404 / 409 / 422 are
not retried (the request itself is wrong), 401 ``expired-token`` mints a new token once,
429 / 423 / 5xx and connection errors are retried by the client before these are raised.
"""

from __future__ import annotations

from typing import Any

from runner.errors import HubError


class ShoptetError(HubError):
    """A Shoptet request failed for good. ``str()`` is a sentence a merchant understands."""

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        path: str = "",
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
    ):
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status
        self.error_code = error_code
        self.request_id = request_id


class AuthError(ShoptetError):
    """401: the token was refused (wrong, revoked, or the addon was uninstalled)."""


class Forbidden(ShoptetError):
    """403: the token lacks a right, a module is missing, or (snapshots) no job:finished webhook."""


class NotFound(ShoptetError):
    """404: the entity (or endpoint) does not exist."""


class BadRequest(ShoptetError):
    """400 / 409 / 413 / 422: Shoptet refused the request as invalid; repeating it will not help."""


class RateLimited(ShoptetError):
    """429 still after every retry."""


class Unavailable(ShoptetError):
    """5xx, 423 or a connection error still after every retry."""


class SnapshotError(ShoptetError):
    """A snapshot job failed, expired, was killed, or did not finish before the deadline."""


class ResultGone(SnapshotError):
    """403 / 404 / 410 for a snapshot's result file: it expired (Shoptet keeps results 24 h) or was
    removed; a new snapshot has to be requested."""


class MintError(ShoptetError):
    """An API access token could not be minted from the shop's OAuth token."""


def first_error(body: Any) -> tuple[str | None, str | None]:
    """(errorCode, message) of the first entry of an envelope's ``errors``, if any."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = errors[0].get("errorCode")
            message = errors[0].get("message")
            return (str(code) if code is not None else None, str(message) if message is not None else None)
    return None, None


def for_status(status: int, method: str, path: str, body: Any, request_id: str | None) -> ShoptetError:
    """The error to raise for a final non-2xx answer, with advice in its message."""
    code, message = first_error(body)
    detail = f"{code}: {message}" if code and message else (code or message or f"HTTP {status}")
    where = f"{method} {path}"
    kind: type[ShoptetError]
    if status == 401:
        kind, text = (
            AuthError,
            f"{where}: Shoptet refused the API token ({detail}). Check the token given to "
            "`hub shop add`, or reinstall the addon.",
        )
    elif status == 403:
        if path.endswith("/snapshot"):
            advice = (
                "snapshots need a registered job:finished webhook and the token's right to this "
                "endpoint group: run `hub shop add` again (it registers the webhooks) and check the "
                "token's rights in the Shoptet admin"
            )
        else:
            advice = "the token lacks the rights for this endpoint group (Shoptet admin > API > token rights)"
        kind, text = Forbidden, f"{where}: forbidden ({detail}); {advice}."
    elif status == 404:
        kind, text = NotFound, f"{where}: not found ({detail})."
    elif status == 429:
        kind, text = RateLimited, f"{where}: still rate-limited by Shoptet after retries ({detail})."
    elif status >= 500 or status == 423:
        kind, text = Unavailable, f"{where}: Shoptet is unavailable (HTTP {status}, {detail}) after retries."
    else:
        kind, text = BadRequest, f"{where}: Shoptet refused the request (HTTP {status}, {detail})."
    return kind(text, method=method, path=path, status=status, error_code=code, request_id=request_id)
