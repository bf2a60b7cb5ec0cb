"""The merchant pages in Debian's headless chromium (the server and browser fixtures of
tests/test_dashboard_browser.py): on generated data with inventory metrics and a customer with a
long order history, sign in, search that customer by e-mail typed in another case with spaces,
open them from the results, page through all their orders with the pager's Next link (each order
once, newest first, none missing), open an order, a segment and the inventory lists; screenshots
under tests/artifacts/dashboard/ (ignored by git); the server logs no error."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import psycopg

import test_dashboard_browser as core
from bench.generate import BENCH_SHOPS
from dashboard_helpers import PASSWORD
from merchant_helpers import HISTORY_EMAIL, HISTORY_GUID, HISTORY_NAME, add_long_history

server = core.server  # pytest fixtures: `hub serve` over generated data, headless chromium
browser = core.browser


def _body(driver: object) -> str:
    from selenium.webdriver.common.by import By

    text: str = driver.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
    assert "Internal Server Error" not in text and "Sign out" in text, text[:300]
    return text


def test_merchant_pages_in_chromium_page_through_a_customers_orders(
    server: tuple[str, Path], browser: object, admin: psycopg.Connection
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    base, server_log = server
    driver = browser
    shop = BENCH_SHOPS[0]
    expected = add_long_history(admin, shop)
    admin.execute("select analytics.refresh_customer_metrics()")
    admin.execute("select analytics.refresh_variant_metrics(%s, true)", (shop,))

    driver.get(base + "/login")  # type: ignore[attr-defined]
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)  # type: ignore[attr-defined]
    driver.find_element(By.CSS_SELECTOR, "form[action='/login'] button[type=submit]").click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, "nav.nav")))

    # search by e-mail as someone would type it, open the customer from the results
    driver.get(f"{base}/customers?shop={shop}")  # type: ignore[attr-defined]
    assert "Customers by total spent" in _body(driver)
    core._shot(driver, "customers")
    box = driver.find_element(By.ID, "q")  # type: ignore[attr-defined]
    box.send_keys("  " + HISTORY_EMAIL.upper() + " ")
    driver.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 60).until(EC.text_to_be_present_in_element((By.TAG_NAME, "h2"), "Found by e-mail"))
    assert "Found by e-mail: 1" in _body(driver)
    core._shot(driver, "customers-search")
    driver.find_element(By.LINK_TEXT, HISTORY_NAME).click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 60).until(EC.url_contains(HISTORY_GUID))
    text = _body(driver)
    for label in ("Churn risk", "CLV", "Expected next order", "RFM segment"):
        assert label in text, label
    core._shot(driver, "customer")

    # every page of the order history through the pager's Next link
    seen: list[str] = []
    pages = 0
    while True:
        pages += 1
        links = driver.find_elements(By.CSS_SELECTOR, f"a[href^='/orders/{shop}/']")  # type: ignore[attr-defined]
        seen.extend(a.text for a in links)
        following = driver.find_elements(By.CSS_SELECTOR, "nav.pager a[rel=next]")  # type: ignore[attr-defined]
        if not following or pages > 5:
            break
        following[0].click()
        WebDriverWait(driver, 60).until(EC.url_contains("after="))
        _body(driver)
    assert pages == 3
    assert seen == expected  # newest first, each order once, none missing
    core._shot(driver, "customer-orders-last-page")

    # an order and its lines
    driver.find_element(By.LINK_TEXT, expected[-1]).click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 60).until(EC.url_contains(f"/orders/{shop}/"))
    assert "A long-history product" in _body(driver)
    core._shot(driver, "order")

    # segments: the charts, then the first segment's customers
    driver.get(f"{base}/segments?shop={shop}")  # type: ignore[attr-defined]
    _body(driver)
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")) >= 2  # type: ignore[attr-defined]
    core._shot(driver, "segments")
    driver.find_element(By.CSS_SELECTOR, "table a[href*='segment=']").click()  # type: ignore[attr-defined]
    WebDriverWait(driver, 60).until(EC.url_contains("segment="))
    assert "Customers by total spent" in _body(driver)
    core._shot(driver, "segment")

    # inventory: the three lists, then one of them on its own
    driver.get(f"{base}/inventory?shop={shop}")  # type: ignore[attr-defined]
    text = _body(driver)
    for heading in ("Order now", "At risk of running out", "Demand anomalies"):
        assert heading in text, heading
    core._shot(driver, "inventory")
    driver.get(f"{base}/inventory?shop={shop}&list=at_risk&days=60")  # type: ignore[attr-defined]
    assert urlsplit(driver.current_url).path == "/inventory"  # type: ignore[attr-defined]
    _body(driver)
    core._shot(driver, "inventory-at-risk")

    errors = [
        line
        for line in server_log.read_text(errors="replace").splitlines()
        if "level=error" in line or "level=critical" in line or "Traceback" in line
    ]
    assert not errors, errors
