"""Keyset (cursor) paging of the dashboard's lists: never OFFSET.

A page query takes the key of the last row shown (``%(after_...)s`` parameters, null for the first
page) and ``%(limit)s``; it is asked for ``limit + 1`` rows so that one more row tells that a next
page exists. The key travels in the URL as ``?after=<cursor>``, an opaque url-safe base64 of a
JSON list (the key's values as text), e.g.::

    after = paging.after(request, ("at", "id"))          # {"after_at": ..., "after_id": ...}
    rows = await data.rows(request, query("dashboard.events_page"), {**after, "limit": paging.LIMIT + 1})
    page = paging.Page.of(rows, paging.LIMIT, key=("at", "id"), request=request)

(``request=request`` for the links) and in the template ``{{ pager(page) }}`` (macros.html) links to
the first and the next page, keeping the other query parameters. Casts belong in the SQL
(``%(after_at)s::timestamptz``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from starlette.requests import Request

from runner.errors import HubError

LIMIT = 50
PARAM = "after"


class BadCursor(HubError):
    """An ``after`` parameter that is no cursor of this list (edited or from another page): answer 400."""


def _text(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode(values: Sequence[Any]) -> str:
    raw = json.dumps([_text(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, width: int) -> list[Any]:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise BadCursor(f"parameter {PARAM}={cursor[:40]!r} is not a page cursor: {exc}") from None
    if not isinstance(values, list) or len(values) != width:
        raise BadCursor(f"parameter {PARAM}={cursor[:40]!r} is not a cursor of this list ({width} values expected)")
    if not all(v is None or isinstance(v, str | int | float) for v in values):
        raise BadCursor(f"parameter {PARAM}={cursor[:40]!r} holds values that are not text or numbers")
    return values


def after(request: Request | Mapping[str, str], key: Sequence[str], *, prefix: str = "after_") -> dict[str, Any]:
    """The query parameters of a page query: ``{"after_<name>": value or None}`` for each name of key."""
    params = request.query_params if isinstance(request, Request) else request
    cursor = params.get(PARAM)
    values: list[Any] = decode(cursor, len(key)) if cursor else [None] * len(key)
    return {f"{prefix}{name}": value for name, value in zip(key, values, strict=True)}


@dataclass(frozen=True)
class Page:
    """One page of a keyset-paged list: its rows, the cursor of the next page (None on the last)
    and whether it is the first page."""

    rows: list[dict[str, Any]]
    next_cursor: str | None
    first: bool
    next_url: str | None = None  # this URL with ?after=<next_cursor> (other parameters kept)
    first_url: str | None = None  # this URL without ?after

    @classmethod
    def of(
        cls,
        rows: Sequence[dict[str, Any]],
        limit: int,
        key: Sequence[str],
        *,
        request: Request | None = None,
    ) -> Page:
        """The page from ``limit + 1`` fetched rows: the extra row only says that there is more."""
        shown = list(rows[:limit])
        more = len(rows) > limit and bool(shown)
        cursor = encode([shown[-1][name] for name in key]) if more else None
        first = request is None or not request.query_params.get(PARAM)
        if request is None:
            return cls(shown, cursor, first)
        next_url = str(request.url.include_query_params(**{PARAM: cursor})) if cursor else None
        first_url = str(request.url.remove_query_params(PARAM))
        return cls(shown, cursor, first, _relative(next_url), _relative(first_url))


def _relative(url: str | None) -> str | None:
    """Path and query of a URL: links stay on whatever host and scheme the page was served from."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
