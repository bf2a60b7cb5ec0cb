"""The dashboard in a real browser: Debian's chromium, headless, driven through chromium-driver
(selenium; nothing is downloaded). On generated data (bench.generate at a small scale) plus a
failed snapshot job and a failed queue job: signs in through the form, opens every page of the
navigation, follows every link of the app (each answers 200, none is broken), clicks Retry on the
failed snapshot job and sees it re-queued, and saves a screenshot of every page (and of the
overview at a phone's width) under tests/artifacts/dashboard/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import httpx
import psycopg
import pytest

from bench.generate import BENCH_SHOPS, generate
from bench.processes import free_port, stop, wait_healthy
from dashboard_helpers import PAGES, PASSWORD, failed_procrastinate_job, failed_snapshot_job, set_password
from runner.config import REPO_ROOT
from runner.db import Target

HUB = str(REPO_ROOT / ".venv" / "bin" / "hub")
ARTIFACTS = REPO_ROOT / "tests" / "artifacts" / "dashboard"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
MAX_LINKS = 150  # the crawl's bound: every link of the pages reached, up to this many URLs


@pytest.fixture
def server(db: Target, hub_env: dict[str, str]) -> Iterator[tuple[str, Path]]:
    """`hub serve` on a free port over generated data; yields (base URL, the file of its output)."""
    generate(db, scale=0.002, seed=7, as_of=datetime.now(UTC), echo=False)
    set_password(db.app, hub_env["HUB_SECRET_KEY"])
    port = free_port()
    log_path = Path(hub_env["HUB_HOME"]) / "serve.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [HUB, "serve", "--port", str(port)], env={**os.environ, **hub_env}, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, timeout=30)
        yield base, log_path
    finally:
        stop([proc], timeout=10)


@pytest.fixture
def browser() -> Iterator[object]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)  # a loaded 2-core machine renders slowly; the test still ends
    try:
        yield driver
    finally:
        driver.quit()


def _shot(driver: object, name: str) -> None:
    from selenium.webdriver.common.by import By

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    # the whole page: make the window as tall as the document, then shoot
    height = driver.execute_script("return document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    width = driver.execute_script("return window.innerWidth")  # type: ignore[attr-defined]
    driver.set_window_size(max(width, 360), min(max(height + 120, 600), 6000))  # type: ignore[attr-defined]
    driver.find_element(By.TAG_NAME, "body").screenshot(str(ARTIFACTS / f"{name}.png"))  # type: ignore[attr-defined]


def _links(driver: object, base: str) -> list[str]:
    from selenium.webdriver.common.by import By

    found = []
    for a in driver.find_elements(By.CSS_SELECTOR, "a[href]"):  # type: ignore[attr-defined]
        href = urldefrag(a.get_attribute("href") or "")[0]
        if href.startswith(base + "/"):
            found.append(href)
    return found


def test_every_page_in_chromium_with_retry_and_no_broken_link(
    server: tuple[str, Path], browser: object, admin: psycopg.Connection
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    base, server_log = server
    driver = browser
    shop = BENCH_SHOPS[0]
    job = failed_snapshot_job(admin, shop, bad_lines=5)
    failed_procrastinate_job(admin, shop)

    # no session: the login form; sign in through it
    driver.get(base + "/")  # type: ignore[attr-defined]
    assert urlsplit(driver.current_url).path == "/login"  # type: ignore[attr-defined]
    _shot(driver, "login")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, "nav.nav")))
    assert urlsplit(driver.current_url).path == "/"  # type: ignore[attr-defined]

    # every page of the navigation, with a screenshot; the overview has its charts
    to_check: list[str] = []
    for path in PAGES:
        driver.get(base + path)  # type: ignore[attr-defined]
        body = driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
        assert "Internal Server Error" not in body and "Sign out" in body, (path, body[:300])
        _shot(driver, "overview" if path == "/" else path.strip("/"))
        to_check.extend(_links(driver, base))
    driver.get(base + "/")  # type: ignore[attr-defined]
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")) >= 90  # type: ignore[attr-defined]

    # the failed snapshot job: Retry (a confirm dialog), then it waits for a worker
    driver.get(f"{base}/snapshots/{job}")  # type: ignore[attr-defined]
    assert "the snapshot file ended early" in driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
    _shot(driver, "snapshot-job")
    to_check.extend(_links(driver, base))
    driver.find_element(By.CSS_SELECTOR, f"form[action='/snapshots/{job}/retry'] button").click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 10).until(EC.alert_is_present()).accept()
    WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, "p.notice")))
    assert "Retry queued" in driver.find_element(By.CSS_SELECTOR, "p.notice").text  # type: ignore[attr-defined]
    assert driver.find_element(By.ID, "job-status").text == "retrying"  # type: ignore[attr-defined]
    _shot(driver, "snapshot-job-retried")
    assert admin.execute(
        "select j.status, j.retry_count, q.status from ingest.snapshot_jobs j "
        "join procrastinate.procrastinate_jobs q on q.queueing_lock = 'snapshot:' || j.id where j.id = %s",
        (job,),
    ).fetchone() == ("retrying", 0, "todo")

    # a phone's width: the same overview, laid out for it
    driver.set_window_size(390, 844)  # type: ignore[attr-defined]
    driver.get(base + "/")  # type: ignore[attr-defined]
    _shot(driver, "overview-phone")

    # every link of the app, followed with the browser's session: none answers other than 200
    cookies = {c["name"]: c["value"] for c in driver.get_cookies()}  # type: ignore[attr-defined]
    seen: set[str] = set()
    broken: list[str] = []
    with httpx.Client(cookies=cookies, headers={"accept": "text/html"}, timeout=20) as http:
        while to_check and len(seen) < MAX_LINKS:
            url = to_check.pop(0)
            if url in seen:
                continue
            seen.add(url)
            r = http.get(url)
            if r.status_code != 200:
                broken.append(f"{url}: {r.status_code}")
                continue
            if "text/html" in r.headers.get("content-type", ""):
                for href in re.findall(r'href="([^"]+)"', r.text):
                    href = urldefrag(href.replace("&amp;", "&"))[0]
                    if href.startswith("/") and not href.startswith("//"):
                        to_check.append(base + href)
    assert not broken, broken
    assert len(seen) >= len(PAGES)
    # and the server logged no error (its log lines: runner/logs.py key=value format)
    lines = server_log.read_text(errors="replace").splitlines()
    assert any("web app started" in line for line in lines)
    errors = [line for line in lines if "level=error" in line or "level=critical" in line or "Traceback" in line]
    assert not errors, errors
