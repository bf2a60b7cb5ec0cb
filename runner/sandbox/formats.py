"""Shoptet's value formats: Prague datetimes without a colon in the offset, money as strings.

Everything the sandbox sends goes through these helpers, so the formats are in one place:
datetimes ``2018-05-29T09:02:27+0200`` (+0100 in winter, +0200 in summer, the EU rule that
Europe/Prague follows), money ``"21.00"`` (2 dp), amounts ``"1.000"`` (3 dp), exchange
rates ``"1.00000000"`` (8 dp). Money is kept in integer hundredths (never float).
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from email.utils import formatdate
from functools import cache


@cache
def _dst_bounds(year: int) -> tuple[int, int]:
    """UTC timestamps when summer time starts and ends in the EU (last Sunday of March/October, 01:00 UTC)."""

    def last_sunday(month: int) -> int:
        last_day = calendar.monthrange(year, month)[1]
        weekday = calendar.weekday(year, month, last_day)  # Monday = 0
        day = last_day - (weekday + 1) % 7
        return calendar.timegm((year, month, day, 1, 0, 0))

    return last_sunday(3), last_sunday(10)


def prague_offset(ts: float) -> int:
    """Seconds east of UTC in Europe/Prague at the UTC timestamp ts (3600 or 7200)."""
    year = time.gmtime(ts).tm_year
    start, end = _dst_bounds(year)
    return 7200 if start <= ts < end else 3600


def fmt_dt(ts: float | None) -> str | None:
    """Shoptet datetime of a UTC timestamp: Prague local time, offset without colon."""
    if ts is None:
        return None
    ts = int(ts)
    off = prague_offset(ts)
    t = time.gmtime(ts + off)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}+0{off // 3600}00"
    )


def fmt_date(ts: float) -> str:
    """A calendar date (Prague) of a UTC timestamp, e.g. birth dates."""
    t = time.gmtime(int(ts) + prague_offset(ts))
    return f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}"


def parse_dt(text: str) -> float:
    """A query-string datetime (2017-12-12T22:08:01+0100, also +01:00 or Z) as a UTC timestamp.

    A '+' that was not URL-encoded arrives as a space; it is put back. No offset means Prague time.
    """
    text = text.strip()
    if len(text) > 19 and text[19] == " ":
        text = text[:19] + "+" + text[20:]
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        naive_utc = dt.replace(tzinfo=UTC).timestamp()
        return naive_utc - prague_offset(naive_utc - 3600)
    return dt.timestamp()


def http_date(ts: float) -> str:
    """An HTTP-date (Retry-After), e.g. Mon, 01 Jul 2024 12:01:11 GMT."""
    return formatdate(ts, usegmt=True)


def money(cents: int) -> str:
    """Integer hundredths as Shoptet money: -1234 -> "-12.34"."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def amount(thousandths: int) -> str:
    """Integer thousandths as a Shoptet amount: 2000 -> "2.000"."""
    sign = "-" if thousandths < 0 else ""
    thousandths = abs(thousandths)
    return f"{sign}{thousandths // 1000}.{thousandths % 1000:03d}"


def rate8(value: int) -> str:
    """An exchange rate held in units of 1e-8: 2512345678 -> "25.12345678"."""
    return f"{value // 100_000_000}.{value % 100_000_000:08d}"


def vat_split(with_vat_cents: int, vat_rate_pct: int) -> tuple[int, int]:
    """(withoutVat, vat) in hundredths for a price including VAT at a whole-percent rate; half up, sign kept."""
    sign = -1 if with_vat_cents < 0 else 1
    w = abs(with_vat_cents)
    without = (w * 100 * 2 + (100 + vat_rate_pct)) // (2 * (100 + vat_rate_pct))
    return sign * without, sign * (w - without)


def price_block(with_vat_cents: int, vat_rate_pct: int) -> dict[str, str]:
    """{withVat, withoutVat, vat, vatRate} as in order items' itemPrice / unitPrice."""
    without, vat = vat_split(with_vat_cents, vat_rate_pct)
    return {
        "withVat": money(with_vat_cents),
        "withoutVat": money(without),
        "vat": money(vat),
        "vatRate": f"{vat_rate_pct}.00",
    }
