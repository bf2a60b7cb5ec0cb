"""How the dashboard writes numbers, money, sizes and times: one locale (English: 1,234.50), dates
in the shop's time zone (core.shops.timezone) or the hub's display zone, never mixed within a page.

Jinja filters of the same names are registered by runner/dashboard/render.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runner.status import duration as _duration
from runner.status import size as _size

DEFAULT_TIMEZONE = "Europe/Prague"
"""Times that belong to no shop (queues, database) are shown in the master shop's zone, else this."""

DASH = "–"
# ops.sync_lag.lag_from -> what the overview says the "changes read up to" time is
LAG_FROM = {
    "sync run": "start of the last sync run",
    "snapshot import": "start of the last snapshot import",
    "sync cursor": "sync cursor: trails the data by the 10-minute overlap",
    "shop added": "nothing synced yet",
}


@cache
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def number(value: float | int | Decimal | None, digits: int = 0) -> str:
    """1,234,567 or 1,234.50 (digits after the point); – for none."""
    if value is None:
        return DASH
    return f"{value:,.{digits}f}"


def money(value: float | int | Decimal | None, currency: str | None = "CZK", digits: int = 2) -> str:
    """1,234.50 CZK; – for none."""
    if value is None:
        return DASH
    return f"{number(value, digits)} {currency}" if currency else number(value, digits)


def percent(value: float | int | Decimal | None, digits: int = 1) -> str:
    """Of a value 0..100: 42.5 %."""
    if value is None:
        return DASH
    return f"{value:,.{digits}f} %"


def ratio(value: float | int | Decimal | None, digits: int = 1) -> str:
    """Of a value 0..1: 99.2 %."""
    return DASH if value is None else percent(float(value) * 100, digits)


def size(value: float | int | Decimal | None) -> str:
    """Bytes as 12.3 MB."""
    return DASH if value is None else _size(float(value))


def duration(value: float | int | timedelta | None) -> str:
    """Seconds or an interval as 3 s, 5 min, 2 h 10 min, 3 d 4 h."""
    if value is None:
        return DASH
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return _duration(seconds)


def when(value: datetime | None, tz: str | None = None, *, seconds: bool = False) -> str:
    """A moment as 2026-11-30 21:05 in the time zone tz (a shop's; default the hub's display zone)."""
    if value is None:
        return DASH
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def day(value: date | datetime | None, tz: str | None = None) -> str:
    """A calendar day as 2026-11-30 (a moment: its day in the time zone tz)."""
    if value is None:
        return DASH
    if isinstance(value, datetime):
        return when(value, tz)[:10]
    return value.isoformat()


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago: 5 min ago; in 3 min for the future."""
    if value is None:
        return DASH
    now = now or datetime.now(UTC)
    seconds = (now - value).total_seconds()
    return f"{_duration(seconds)} ago" if seconds >= 0 else f"in {_duration(-seconds)}"
