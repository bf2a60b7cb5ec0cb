"""Dashboard benchmark (`hub bench web`): every page of the dashboard requested many times by one
logged-in browser-like client against `hub serve` on localhost; p50/p95 per page.

The target (issue 15) is p95 < 200 ms per page on the seeds' full-scale data
(`hub bench generate --scale 1` then `hub analytics refresh --full`). The pages name the biggest
shop, its customer with the most orders (the longest order history), that customer's newest order
and the shop's largest RFM segment (runner/sql/dashboard_bench.sql). Requests are sequential (one
user), each page is requested a few times first to warm the caches, and every answer must be 200
with the page itself (not the login form): a failed request fails the benchmark.

The dashboard password is replaced by a random one for the run and the previous one (its stored
hash) is put back afterwards (runner.dashboard.passwords; the secret setting needs HUB_SECRET_KEY).
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx

from bench.processes import free_port, stop, wait_healthy
from bench.stats import fmt_seconds, record, summary
from runner.config import Config
from runner.db import Target, connect, target_for
from runner.queries import query
from runner.secret_key import load_secret_key
from runner.settings import Settings

HUB = str(Path(sys.executable).with_name("hub"))
TARGET_P95 = 0.200
HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>', re.IGNORECASE)
ATTR = re.compile(r'(name|value)="([^"]*)"')
NEXT_LINK = re.compile(r'<a[^>]*rel="next"[^>]*href="([^"]+)"|<a[^>]*href="([^"]+)"[^>]*rel="next"')


class BenchFailed(RuntimeError):
    """A page answered with an error or the login form."""


@dataclass(frozen=True)
class Subjects:
    shop_id: int
    customer_key: str | None
    email: str | None
    order_code: str | None
    segment: str | None
    full_name: str | None


@contextmanager
def temporary_password(cfg: Config, password: str) -> Iterator[None]:
    """The dashboard password set to password for the block; the previous hash (or none) after."""
    from runner.dashboard import passwords

    settings = Settings(target_for(cfg).app, secret_key=load_secret_key(cfg), listen=False)
    try:
        previous = passwords.stored_hash(settings)
        passwords.set_password(settings, password)
        try:
            yield
        finally:
            if previous is None:
                settings.delete(passwords.PASSWORD_SETTING)
            else:
                settings.set_secret(passwords.PASSWORD_SETTING, previous)
    finally:
        settings.close()


def subjects(target: Target) -> Subjects:
    with connect(target) as conn:
        row = conn.execute(query("dashboard_bench.subjects")).fetchone()
    if row is None:
        raise BenchFailed("no shop in the database: run `hub bench generate --scale 1` first")
    return Subjects(*row)


def pages(s: Subjects) -> list[tuple[str, str]]:
    """(label, path) of every page to measure; the customer pages only where the data has them."""
    shop = f"shop={s.shop_id}"
    out = [
        ("overview", "/"),
        ("shops", "/shops"),
        ("shop detail", f"/shops/{s.shop_id}"),
        ("snapshots", "/snapshots"),
        ("queues", "/queues"),
        ("database", "/database"),
        ("customers (top)", f"/customers?{shop}"),
        ("segments", f"/segments?{shop}"),
        ("inventory", f"/inventory?{shop}"),
    ]
    if s.email:
        variant = f"  {s.email.upper()} "
        out.append(("customers: e-mail search", f"/customers?{shop}&{urlencode({'q': variant})}"))
    if s.full_name:
        out.append(("customers: name search", f"/customers?{shop}&{urlencode({'q': s.full_name[:4]})}"))
    if s.customer_key:
        out.append(("customer detail", f"/customers/{s.shop_id}/{quote(s.customer_key, safe='')}"))
    if s.order_code:
        out.append(("order detail", f"/orders/{s.shop_id}/{quote(s.order_code, safe='')}"))
    if s.segment:
        out.append(("segment customers", f"/segments?{shop}&{urlencode({'segment': s.segment})}"))
    for name in ("recommendations", "at_risk", "anomalies"):
        out.append((f"inventory: {name}", f"/inventory?{shop}&list={name}"))
    return out


def login(client: httpx.Client, password: str) -> None:
    """GET /login for its hidden fields (the CSRF token), POST the password; raise unless it took."""
    form = client.get("/login")
    fields = {}
    for tag in HIDDEN.findall(form.text):
        attrs = dict(ATTR.findall(tag))
        if "name" in attrs:
            fields[attrs["name"]] = attrs.get("value", "")
    answer = client.post("/login", data={**fields, "password": password})
    if answer.status_code >= 400 or 'name="password"' in answer.text:
        raise BenchFailed(f"login failed: HTTP {answer.status_code}")


def fetch(client: httpx.Client, path: str) -> httpx.Response:
    answer = client.get(path)
    if answer.status_code != 200 or 'name="password"' in answer.text:
        raise BenchFailed(
            f"GET {path}: HTTP {answer.status_code}{' (the login form)' if answer.status_code == 200 else ''}"
        )
    return answer


def next_page(html: str) -> str | None:
    """The href of the page's rel="next" link (the pager), if any."""
    found = NEXT_LINK.search(html)
    if not found:
        return None
    return (found.group(1) or found.group(2)).replace("&amp;", "&")


def load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def measure(client: httpx.Client, path: str, requests: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fetch(client, path)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        fetch(client, path)
        samples.append(time.perf_counter() - started)
    return samples


def run(cfg: Config, *, requests: int = 50, record_results: bool = True) -> int:
    target = target_for(cfg)
    s = subjects(target)
    measured = pages(s)
    password = secrets.token_urlsafe(18)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "HUB_LOG_LEVEL": "WARNING"}
    load_before = load()
    with temporary_password(cfg, password):
        server = subprocess.Popen([HUB, "serve", "--port", str(port)], env=env)
        try:
            wait_healthy(base, server)
            with httpx.Client(base_url=base, timeout=30, follow_redirects=True) as client:
                login(client, password)
                if s.customer_key:  # the second page of the longest order history, as the pager links it
                    first = fetch(client, f"/customers/{s.shop_id}/{quote(s.customer_key, safe='')}")
                    following = next_page(first.text)
                    if following:
                        measured.append(("customer detail, page 2", following))
                results = [(label, path, summary(measure(client, path, requests))) for label, path in measured]
        finally:
            stop([server])
    load_after = load()
    width = max(len(label) for label, _, _ in results)
    lines = [
        f"shop {s.shop_id}; {requests} sequential requests per page after 3 warm-up ones, one logged-in client; "
        f"load average before {load_before}, after {load_after}",
        "",
        f"| {'page':<{width}} | p50 | p95 | p95 < 200 ms |",
        f"|{'-' * (width + 2)}|---|---|---|",
    ]
    worst = 0.0
    for label, _path, stats in results:
        worst = max(worst, stats["p95"])
        ok = "yes" if stats["p95"] < TARGET_P95 else "NO"
        lines.append(f"| {label:<{width}} | {fmt_seconds(stats['p50'])} | {fmt_seconds(stats['p95'])} | {ok} |")
    lines.append("")
    lines.append(f"slowest page p95: {fmt_seconds(worst)} (target < {fmt_seconds(TARGET_P95)})")
    print("\n".join(lines))
    if record_results:
        record("Dashboard pages (hub bench web)", f"hub bench web --requests {requests}", lines)
    return 0 if worst < TARGET_P95 else 1
