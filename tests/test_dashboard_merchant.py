"""The dashboard's merchant pages (Customers, order detail, Segments, Inventory) on small generated
data (`hub bench generate` at a tiny scale, analytics refreshed), through the real web app with a
signed-in session: they render, the order history pages through without duplicates or gaps, the
e-mail search ignores case and surrounding spaces, and empty states say what to run."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import psycopg
import pytest
from starlette.testclient import TestClient

from bench.generate import generate
from conftest import _conninfo
from merchant_helpers import HISTORY_GUID, HISTORY_ORDERS, add_long_history
from runner.config import Config
from runner.dashboard import passwords
from runner.db import Target, target_for_conninfo
from runner.settings import Settings
from runner.web import create_app

SCALE = 0.002
AS_OF = datetime(2026, 11, 20, tzinfo=UTC)
SHOP = 900001
EMPTY_SHOP = 900777
SECRET_KEY = "test-secret-key-0123456789"
PASSWORD = "merchant-pages-pw"
NEXT = re.compile(r'<a rel="next" href="([^"]+)"')
ORDER_LINK = re.compile(rf'href="/orders/{SHOP}/([^"]+)"')


@pytest.fixture(scope="module")
def gen_db(postgresql_noproc: Any) -> Iterator[Target]:
    """One database for the module: generated once at a tiny scale, metrics and inventory refreshed,
    a tag rule, a registered customer with a long order history, and a shop without any data."""
    server = _conninfo(postgresql_noproc.host, postgresql_noproc.port, postgresql_noproc.user, "postgres")
    name = "hub_test_dashboard_merchant"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name}")
        conn.execute(f"create database {name} template {postgresql_noproc.template_dbname}")
    target = target_for_conninfo(psycopg.conninfo.make_conninfo(server, dbname=name))
    generate(target, scale=SCALE, seed=7, as_of=AS_OF, echo=False)
    with psycopg.connect(target.admin, autocommit=True) as conn:
        add_long_history(conn, SHOP)
        conn.execute(
            "insert into analytics.tag_rules (shop_id, name, condition, description) values "
            '(%(shop)s, \'many-orders\', \'{"metric": "orders_count", "op": ">=", "value": 100}\', '
            "'a hundred orders or more')",
            {"shop": SHOP},
        )
        conn.execute("select analytics.refresh_customer_metrics()")
        conn.execute("select analytics.refresh_variant_metrics(%(shop)s, true)", {"shop": SHOP})
        conn.execute("insert into core.shops (shop_id, name) values (%(shop)s, 'Empty shop')", {"shop": EMPTY_SHOP})
    yield target
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"drop database if exists {name} with (force)")


@pytest.fixture(scope="module")
def client(gen_db: Target) -> Iterator[TestClient]:
    """The web app on that database, signed in."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUB_SECRET_KEY", SECRET_KEY)
        settings = Settings(gen_db.app, secret_key=SECRET_KEY, listen=False)
        passwords.set_password(settings, PASSWORD)
        settings.close()
        with TestClient(create_app(Config.from_env(), gen_db), headers={"Accept": "text/html"}) as c:
            form = c.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert csrf, form.text
            signed_in = c.post("/login", data={"password": PASSWORD, "csrf": csrf.group(1)})
            assert signed_in.status_code == 200 and 'name="password"' not in signed_in.text
            yield c


@pytest.fixture
def db_admin(gen_db: Target) -> Iterator[psycopg.Connection]:
    with psycopg.connect(gen_db.admin, autocommit=True) as conn:
        yield conn


def _ok(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:500]}"
    assert 'name="password"' not in answer.text, f"{path}: the login form"
    return answer.text


def test_every_merchant_page_renders_on_generated_data(client: TestClient, db_admin: psycopg.Connection) -> None:
    top = _ok(client, f"/customers?shop={SHOP}")
    assert "Customers by total spent" in top and "Total spent (CZK, with VAT)" in top
    assert f"#{SHOP}" in _ok(client, "/customers")  # without ?shop= the master shop
    segments = _ok(client, f"/segments?shop={SHOP}")
    assert "<svg" in segments and "Customers per segment" in segments and "champions" in segments
    segment = db_admin.execute(
        "select rfm_segment from analytics.customer_metrics where shop_id = %s and rfm_segment is not null limit 1",
        (SHOP,),
    ).fetchone()
    assert segment is not None
    assert "R · F · M" in _ok(client, f"/segments?shop={SHOP}&segment={quote(segment[0])}")
    inventory = _ok(client, f"/inventory?shop={SHOP}")
    assert "Order now" in inventory and "At risk of running out" in inventory and "Demand anomalies" in inventory
    for name in ("recommendations", "at_risk", "anomalies"):
        _ok(client, f"/inventory?shop={SHOP}&list={name}&days=30")
    guest = db_admin.execute(
        "select customer_key from analytics.customer_metrics where shop_id = %s and customer_guid is null limit 1",
        (SHOP,),
    ).fetchone()
    assert guest is not None
    assert "guest (no account)" in _ok(client, f"/customers/{SHOP}/{quote(guest[0], safe='')}")
    detail = _ok(client, f"/customers/{SHOP}/{HISTORY_GUID}")
    for text in ("many-orders", "Churn risk", "CLV", "Expected next order", "RFM segment", "Europe/Prague"):
        assert text in detail, text
    order = _ok(client, f"/orders/{SHOP}/H-0001")
    assert "A long-history product" in order and "HIST-SKU" in order


def test_customer_order_history_pages_through_without_duplicates_or_gaps(
    client: TestClient, db_admin: psycopg.Connection
) -> None:
    expected = [
        code
        for (code,) in db_admin.execute(
            "select code from sales.orders where shop_id = %s and customer_guid = %s "
            "order by created_at desc, code desc",
            (SHOP, HISTORY_GUID),
        )
    ]
    assert len(expected) == HISTORY_ORDERS
    seen: list[str] = []
    path: str | None = f"/customers/{SHOP}/{HISTORY_GUID}"
    pages = 0
    while path:
        html = _ok(client, path)
        seen.extend(ORDER_LINK.findall(html))
        found = NEXT.search(html)
        path = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
        assert pages <= 5, "the pager does not end"
    assert pages == 3
    assert seen == expected  # newest first, each order once, none missing (ties broken by code)


def test_an_archived_orders_product_lines_are_counted_on_the_customer_page(
    client: TestClient, db_admin: psycopg.Connection
) -> None:
    """Newcomer finding 3: orders older than the retention showed 0 product lines, as their lines
    live in archive.order_items."""
    found = db_admin.execute(
        "select o.customer_key, o.code, count(*) from sales.orders o"
        " join archive.order_items i on i.shop_id = o.shop_id and i.created_at = o.created_at"
        " and i.order_code = o.code"
        " where o.shop_id = %s and i.deleted_at is null and i.item_type in ('product', 'bazar', 'product-set', 'gift')"
        " and (select count(*) from sales.orders x"
        " where x.shop_id = o.shop_id and x.customer_key = o.customer_key) < 20"
        " group by 1, 2 order by 1, 2 limit 1",
        (SHOP,),
    ).fetchone()
    assert found is not None, "the generated data has archived lines"
    key, code, lines = found
    html = _ok(client, f"/customers/{SHOP}/{quote(key, safe='')}")
    row = re.search(
        rf'href="/orders/{SHOP}/{re.escape(quote(code))}">[^<]*</a></td>\s*<td>.*?</td>\s*<td>.*?</td>\s*'
        r'<td class="num">([^<]*)</td>',
        html,
        re.S,
    )
    assert row is not None, html
    assert row.group(1).strip() == str(lines) and lines > 0


def test_customer_search_shows_more_than_the_first_50(client: TestClient, db_admin: psycopg.Connection) -> None:
    """Newcomer finding 7: a name search stopped at 50 rows with no way to the rest."""
    word = ("Novák",)  # a surname common in the generated data (102 customers at this scale)
    total = db_admin.execute("select count(*) from sales.search_customers(%s, %s, 1000)", (SHOP, word[0])).fetchone()
    assert total is not None and total[0] > 50, (word, total)
    first = _ok(client, f"/customers?shop={SHOP}&q={quote(word[0])}")
    assert "Found by name, e-mail, phone or company: 50+ (the first 50)" in first
    more = re.search(r'<a rel="more" href="([^"]+)">Show more \(up to 200\)</a>', first)
    assert more is not None, first
    second = _ok(client, more.group(1).replace("&amp;", "&"))
    shown = min(total[0], 200)
    assert f"Found by name, e-mail, phone or company: {shown}" in second
    assert len(re.findall(rf'href="/customers/{SHOP}/', second)) >= shown
    assert ('rel="more"' in second) == (total[0] > 200)
    assert client.get(f"/customers?shop={SHOP}&q=a&limit=51").status_code == 400


def _matched(html: str, guid: str) -> str:
    """The Matched cell of a customer's row in a search result."""
    row = re.search(rf'href="/customers/{SHOP}/{guid}">.*?</td>\s*<td>([^<]*)</td>', html, re.S)
    assert row is not None, html
    return row.group(1).strip()


def test_customer_search_says_what_matched_each_row(client: TestClient, db_admin: psycopg.Connection) -> None:
    """Newcomer finding (search session): a phone, an e-mail's start or a whole name was headed
    "Found by name (fuzzy)"; each row now says which field matched and how."""
    found = db_admin.execute(
        "select lower(guid::text), phone, email, full_name from sales.customers "
        "where shop_id = %s and deleted_at is null and core.normalize_phone(phone) ~ '^[0-9]{9}$' "
        "order by guid limit 1",
        (SHOP,),
    ).fetchone()
    assert found is not None
    guid, phone, email, full_name = found
    digits = db_admin.execute("select core.normalize_phone(%s)", (phone,)).fetchone()
    assert digits is not None
    typed = f"+420 {digits[0][:3]} {digits[0][3:6]} {digits[0][6:]}"
    html = _ok(client, f"/customers?shop={SHOP}&q={quote(typed)}")
    assert "Found by name, e-mail, phone or company:" in html and "(fuzzy)" not in html
    assert _matched(html, guid) == "phone, exact"
    assert _matched(_ok(client, f"/customers?shop={SHOP}&q={quote(email.split('@')[0])}"), guid) == "e-mail, start"
    assert _matched(_ok(client, f"/customers?shop={SHOP}&q={quote(full_name)}"), guid) == "name, exact"
    assert "<th>Matched</th>" not in _ok(client, f"/customers?shop={SHOP}&q={quote(email.upper())}")


@pytest.mark.parametrize(
    "typed",
    [
        "long.history@example.com",
        "  LONG.History@Example.COM  ",
        "\u00a0Long.History@example.com\t",
        "\ufeffLONG.HISTORY@EXAMPLE.COM",
    ],
)
def test_customer_search_finds_an_email_whatever_its_case_and_spaces(client: TestClient, typed: str) -> None:
    html = _ok(client, f"/customers?shop={SHOP}&q={quote(typed)}")
    assert "Found by e-mail: 1" in html
    assert f'href="/customers/{SHOP}/{HISTORY_GUID}"' in html


def test_customer_search_finds_a_guest_by_email_and_a_customer_by_name(
    client: TestClient, db_admin: psycopg.Connection
) -> None:
    guest = db_admin.execute(
        "select customer_key from analytics.customer_metrics where shop_id = %s and customer_guid is null "
        "order by customer_key limit 1",
        (SHOP,),
    ).fetchone()
    assert guest is not None
    html = _ok(client, f"/customers?shop={SHOP}&q={quote(' ' + guest[0].upper() + ' ')}")
    assert f'href="/customers/{SHOP}/{quote(guest[0], safe="")}"' in html and "guest" in html
    by_name = _ok(client, f"/customers?shop={SHOP}&q={quote('zdeňka dl')}")
    assert f'href="/customers/{SHOP}/{HISTORY_GUID}"' in by_name
    nobody = _ok(client, f"/customers?shop={SHOP}&q=nobody-has-this-name")
    assert "No customer of" in nobody


def test_empty_states_say_what_to_run(client: TestClient) -> None:
    refresh = f"hub analytics refresh --shop {EMPTY_SHOP}"
    assert refresh in _ok(client, f"/customers?shop={EMPTY_SHOP}")
    assert refresh in _ok(client, f"/segments?shop={EMPTY_SHOP}")
    assert f"hub analytics refresh --shop {EMPTY_SHOP} --only inventory" in _ok(client, f"/inventory?shop={EMPTY_SHOP}")
    missing = _ok(client, "/customers?shop=123456")
    assert "There is no shop 123456" in missing and "hub shop add" in missing


def test_unknown_customer_and_order_are_404_and_a_forged_cursor_is_400(client: TestClient) -> None:
    assert client.get(f"/customers/{SHOP}/nobody@example.com").status_code == 404
    assert client.get(f"/orders/{SHOP}/NO-SUCH-ORDER").status_code == 404
    assert client.get(f"/customers/{SHOP}/{HISTORY_GUID}?after=not-a-cursor").status_code == 400
    assert client.get(f"/customers?shop={SHOP}&after=WzFd").status_code == 400  # a cursor of another list
    assert client.get("/segments?shop=abc").status_code == 400


def test_merchant_pages_need_a_session(gen_db: Target) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HUB_SECRET_KEY", SECRET_KEY)
        with TestClient(create_app(Config.from_env(), gen_db)) as anonymous:
            for path in (f"/customers?shop={SHOP}", f"/customers/{SHOP}/{HISTORY_GUID}", "/segments", "/inventory"):
                assert anonymous.get(path, headers={"Accept": "application/json"}).status_code == 401
                answer = anonymous.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
                assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_segments_after_a_refresh_show_the_earlier_figures_then_the_new_ones(
    client: TestClient, db_admin: psycopg.Connection
) -> None:
    """Segment sizes aggregate the whole shop: a view after a refresh (a new version of the figures)
    gets the earlier ones at once, says a newer refresh is being read, and the next views get the
    new figures computed in the background — never a view that waits for the aggregate."""
    marked = "zz-test-segment"
    before = _ok(client, f"/segments?shop={SHOP}")
    assert marked not in before and "a newer refresh is being read" not in before
    key = db_admin.execute(
        "select customer_key from analytics.customer_metrics_base where shop_id = %s order by customer_key limit 1",
        (SHOP,),
    ).fetchone()
    assert key is not None
    old_segment = db_admin.execute(
        "select rfm_segment from analytics.customer_metrics_base where shop_id = %s and customer_key = %s",
        (SHOP, key[0]),
    ).fetchone()
    assert old_segment is not None

    def move(segment: str | None) -> None:
        db_admin.execute(
            "update analytics.customer_metrics_base set rfm_segment = %s where shop_id = %s and customer_key = %s",
            (segment, SHOP, key[0]),
        )
        db_admin.execute(
            "update analytics.customer_rfm_bounds set updated_at = clock_timestamp() where shop_id = %s", (SHOP,)
        )

    move(marked)
    try:
        stale = _ok(client, f"/segments?shop={SHOP}")
        assert marked not in stale and "a newer refresh is being read" in stale
        for _ in range(100):
            fresh = _ok(client, f"/segments?shop={SHOP}")
            if marked in fresh:
                break
            time.sleep(0.05)
        assert marked in fresh and "a newer refresh is being read" not in fresh
    finally:
        move(old_segment[0])


@pytest.mark.parametrize("shops", [0, 1, 2])
def test_an_unknown_shop_points_only_at_what_is_there(shops: int) -> None:
    """Newcomer finding 23: with one shop there is no picker, yet the message said "Pick one of the
    list above"."""
    from runner.dashboard.pages.merchant import Choice
    from runner.dashboard.render import environment

    listed = [{"shop_id": 900101 + n, "name": f"Shop {n}"} for n in range(shops)]
    html = (
        environment()
        .from_string(
            '{% from "merchant_macros.html" import no_shop, shop_picker with context %}'
            '{{ shop_picker(choice, "/customers") }}{{ no_shop(choice) }}'
        )
        .render(choice=Choice(None, listed, 999))
    )
    assert "There is no shop 999" in html and "hub shop add" in html
    assert ("list above" in html) == ("<select" in html) == (shops > 1)
    assert ('href="?shop=900101"' in html) == (shops == 1)


def test_inventory_headline_and_order_now_list_agree(client: TestClient, db_admin: psycopg.Connection) -> None:
    """Newcomer finding 13: the headline said 0 variants to order now while the "Order now" list
    showed ten rows (those it cannot tell): the list's heading now counts both kinds, as the
    headline does, from the list's own rows."""
    kinds = dict(
        db_admin.execute(
            "select split_part(reason, ':', 1), count(*) from analytics.purchase_recommendations(%s) group by 1",
            (SHOP,),
        ).fetchall()
    )
    assert set(kinds) <= {"order now", "cannot tell"} and kinds, kinds
    order_now, cannot_tell = kinds.get("order now", 0), kinds.get("cannot tell", 0)
    html = _ok(client, f"/inventory?shop={SHOP}")
    assert f"Order now: {order_now:,} to order now, {cannot_tell:,} cannot tell" in html
    stats = re.findall(
        r"<b><a href=\"/inventory\?shop=\d+&amp;list=recommendations\">([\d,]+)</a></b><span>([^<]+)", html
    )
    assert stats == [(f"{order_now:,}", "variants to order now"), (f"{cannot_tell:,}", stats[1][1])], stats
    assert "cannot tell" in stats[1][1]
