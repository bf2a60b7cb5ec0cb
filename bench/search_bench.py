"""Search benchmark (issue 16): p50/p95/p99 of sales.search_customers, sales.search_orders and
catalog.search_products on data made by `hub bench generate`, over random realistic queries
drawn from the master bench shop's own rows.

Queries, in equal shares per function (each drawn from a random row of the shop):

* customers: the e-mail as typed (upper-case letters, surrounding spaces), the phone in another
  common format, the whole name without diacritics, the surname's first 3-6 letters (with and
  without diacritics), the surname's first 2 letters, the surname with one typo (a letter
  dropped, doubled or swapped), the e-mail's first 6 characters, a company's first word;
* orders: the order code, its first 7 characters, the e-mail, the phone, the name without
  diacritics, the surname with a typo, a surname prefix of 3-6 and of 2 letters;
* products: the variant code (lower-case), its first 4 characters, the EAN, the product name's
  first word without diacritics, its first 2 letters, a name word with a typo, a word of the
  description (5+ letters, not in the name; with or without diacritics).

Targets at scale 1 (issue 16): p95 <= 20 ms for customers and orders, <= 10 ms for products.
Each query is timed once after one warm-up pass over all of them (one hub_app connection,
execute + fetch all rows, measured in the client).
"""

from __future__ import annotations

import os
import random
import re
import time
import unicodedata
from collections.abc import Callable
from typing import Any

import psycopg

from bench.generate import BENCH_SHOPS
from bench.stats import fmt_seconds, record, summary
from runner.db import Target, connect

SHOP = BENCH_SHOPS[0]
TARGETS = {"customers": 0.020, "orders": 0.020, "products": 0.010}
FUNCTIONS = {
    "customers": "select * from sales.search_customers(%(shop)s, %(q)s, 20)",
    "orders": "select * from sales.search_orders(%(shop)s, %(q)s, 20)",
    "products": "select * from catalog.search_products(%(shop)s, %(q)s, 20)",
}

_SAMPLE = {
    "customers": """select c.email, c.phone, c.full_name, core.search_fold(c.full_name), c.company
        from sales.customers c
        where c.shop_id = %(shop)s and c.deleted_at is null and c.full_name is not null and c.email is not null
        order by md5(c.guid::text || %(seed)s) limit %(n)s""",
    "orders": """select o.code, o.email, o.phone, o.full_name, core.search_fold(o.full_name)
        from sales.orders o
        where o.shop_id = %(shop)s and o.deleted_at is null and o.full_name is not null
        order by md5(o.code || %(seed)s) limit %(n)s""",
    "products": """select v.code, v.ean, p.name, core.search_fold(p.name), channels.plain_text(p.description)
        from catalog.variants v join catalog.products p on p.shop_id = v.shop_id and p.guid = v.product_guid
        where v.shop_id = %(shop)s and v.deleted_at is null and p.deleted_at is null
        order by md5(v.code || %(seed)s) limit %(n)s""",
}


def typo(word: str, rng: random.Random) -> str:
    """One typing mistake in a word of 4+ letters: a letter dropped, doubled or two swapped (not
    the first letter, as people rarely get that wrong)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def reformat_phone(phone: str, rng: random.Random) -> str:
    """The same phone as somebody else would type it."""
    digits = "".join(ch for ch in phone if ch.isdigit())[-9:]
    spaced = f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    return rng.choice([digits, spaced, f"+420 {spaced}", f"+420{digits}", f"00420{digits}"])


def description_word(text: str | None, name: str, rng: random.Random) -> str | None:
    """A word of 5+ letters of a product's description (its plain text) that is not in its name, as
    typed or without diacritics; None when there is none."""
    if not text:
        return None
    in_name = {w.lower() for w in name.split()}
    words = [w for w in re.findall(r"\w+", text) if len(w) >= 5 and not w.isdigit() and w.lower() not in in_name]
    if not words:
        return None
    word = rng.choice(words).lower()
    return word if rng.random() < 0.5 else unaccented(word)


def unaccented(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))


def _surname(full_name: str) -> str:
    return full_name.split()[-1]


def _customer_queries(rows: list[tuple[Any, ...]], rng: random.Random) -> list[tuple[str, str]]:
    makers: list[tuple[str, Callable[[tuple[Any, ...]], str | None]]] = [
        ("exact e-mail", lambda r: f" {r[0][:1].upper()}{r[0][1:]} "),
        ("phone", lambda r: reformat_phone(r[1], rng) if r[1] else None),
        ("name without diacritics", lambda r: r[3]),
        ("surname prefix", lambda r: rng.choice([_surname(r[2]), _surname(r[3])])[: rng.randint(3, 6)]),
        ("2 letters", lambda r: _surname(r[2])[:2]),
        ("surname typo", lambda r: typo(_surname(r[3]), rng)),
        ("e-mail prefix", lambda r: r[0][:6]),
        ("company", lambda r: r[4].split()[0] if r[4] else None),
    ]
    return _assign(rows, makers)


def _order_queries(rows: list[tuple[Any, ...]], rng: random.Random) -> list[tuple[str, str]]:
    makers: list[tuple[str, Callable[[tuple[Any, ...]], str | None]]] = [
        ("code", lambda r: r[0]),
        ("code prefix", lambda r: r[0][:7]),
        ("exact e-mail", lambda r: r[1].upper() if r[1] else None),
        ("phone", lambda r: reformat_phone(r[2], rng) if r[2] else None),
        ("name without diacritics", lambda r: r[4]),
        ("surname typo", lambda r: typo(_surname(r[4]), rng)),
        ("surname prefix", lambda r: rng.choice([_surname(r[3]), _surname(r[4])])[: rng.randint(3, 6)]),
        ("2 letters", lambda r: _surname(r[3])[:2]),
    ]
    return _assign(rows, makers)


def _product_queries(rows: list[tuple[Any, ...]], rng: random.Random) -> list[tuple[str, str]]:
    makers: list[tuple[str, Callable[[tuple[Any, ...]], str | None]]] = [
        ("variant code", lambda r: r[0].lower()),
        ("code prefix", lambda r: r[0][:4]),
        ("EAN", lambda r: r[1]),
        ("name word without diacritics", lambda r: r[3].split()[0]),
        ("2 letters", lambda r: r[2][:2]),
        ("name typo", lambda r: typo(r[3].split()[0], rng)),
        ("description word", lambda r: description_word(r[4], r[2], rng)),
    ]
    return _assign(rows, makers)


def _assign(
    rows: list[tuple[Any, ...]], makers: list[tuple[str, Callable[[tuple[Any, ...]], str | None]]]
) -> list[tuple[str, str]]:
    """One query per row, the kinds in turn (a row without what its kind needs gives the next kind)."""
    out: list[tuple[str, str]] = []
    for i, row in enumerate(rows):
        for k in range(len(makers)):
            kind, make = makers[(i + k) % len(makers)]
            q = make(row)
            if q and q.strip():
                out.append((kind, q))
                break
    return out


def draw(conn: psycopg.Connection, n: int, seed: int) -> dict[str, list[tuple[str, str]]]:
    rng = random.Random(seed)
    sample = {
        name: conn.execute(sql, {"shop": SHOP, "seed": str(seed), "n": n}).fetchall() for name, sql in _SAMPLE.items()
    }
    return {
        "customers": _customer_queries(sample["customers"], rng),
        "orders": _order_queries(sample["orders"], rng),
        "products": _product_queries(sample["products"], rng),
    }


def _time(conn: psycopg.Connection, sql: str, queries: list[tuple[str, str]]) -> list[tuple[str, float, int]]:
    out = []
    for kind, q in queries:
        started = time.perf_counter()
        rows = conn.execute(sql, {"shop": SHOP, "q": q}, prepare=True).fetchall()
        out.append((kind, time.perf_counter() - started, len(rows)))
    return out


def _trivial(conn: psycopg.Connection, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        conn.execute("select 1", prepare=True).fetchall()
        out.append(time.perf_counter() - started)
    return out


def run(target: Target, *, queries: int = 500, seed: int = 1, record_results: bool = True) -> int:
    load_before = os.getloadavg()
    with connect(target, "app", autocommit=True) as conn:
        drawn = draw(conn, queries, seed)
        counts = conn.execute(
            "select (select count(*) from sales.customers where shop_id = %(s)s),"
            " (select count(*) from sales.orders where shop_id = %(s)s),"
            " (select count(*) from catalog.variants where shop_id = %(s)s)",
            {"s": SHOP},
        ).fetchone()
        assert counts is not None
        # calibration: what a trivial round trip costs on this machine right now
        trivial = summary(_trivial(conn, 200))
        results: dict[str, list[tuple[str, float, int]]] = {}
        for name, sql in FUNCTIONS.items():
            if not drawn[name]:
                print(f"{name}: no rows in shop {SHOP} to draw queries from (hub bench generate): not measured")
                continue
            _time(conn, sql, drawn[name])  # warm-up: caches, plans
            results[name] = _time(conn, sql, drawn[name])
    load_after = os.getloadavg()

    lines = [
        f"Data: shop {SHOP} of `hub bench generate`: {counts[0]:,} customers, {counts[1]:,} orders, "
        f"{counts[2]:,} variants; {queries} random realistic queries per function (bench/search_bench.py: "
        "exact, prefix, 2-letter, typo, with and without diacritics), limit 20, each timed once after "
        "a warm-up pass, one hub_app connection, prepared statements; time = execute + fetch, in the client. "
        f"Load average before {load_before[0]:.2f} / {load_before[1]:.2f}, after {load_after[0]:.2f} / "
        f"{load_after[1]:.2f} (1 / 5 min; the machine is shared). Calibration: `select 1` round trip "
        f"p50 {fmt_seconds(trivial['p50'])}, p95 {fmt_seconds(trivial['p95'])} (well under 0.1 ms on an idle machine).",
        "",
        "| function | queries | rows/call | p50 | p95 | p99 | max | target p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    status = 0
    per_kind: list[str] = ["", "| function | query kind | n | p50 | p95 | max |", "|---|---|---|---|---|---|"]
    for name, timed in results.items():
        s = summary([t for _, t, _ in timed])
        rows = sum(r for _, _, r in timed) / len(timed)
        ok = s["p95"] <= TARGETS[name]
        status |= 0 if ok else 1
        lines.append(
            f"| {name} | {len(timed)} | {rows:.1f} | {fmt_seconds(s['p50'])} | {fmt_seconds(s['p95'])} | "
            f"{fmt_seconds(s['p99'])} | {fmt_seconds(max(t for _, t, _ in timed))} | "
            f"<= {fmt_seconds(TARGETS[name])} {'met' if ok else 'NOT met'} |"
        )
        for kind in dict.fromkeys(k for k, _, _ in timed):
            times = [t for k, t, _ in timed if k == kind]
            ks = summary(times)
            per_kind.append(
                f"| {name} | {kind} | {len(times)} | {fmt_seconds(ks['p50'])} | {fmt_seconds(ks['p95'])} | "
                f"{fmt_seconds(max(times))} |"
            )
    lines += per_kind
    print("\n".join(lines))
    if record_results:
        record("Search", f"hub bench search --queries {queries} --seed {seed}", lines)
    return status
