"""What a newcomer ran into when trying the search (issue 16) on the demo shop: queries pasted with
no-break or zero-width spaces (a phone copied from a web page), and a command line that is not
UTF-8, which ended in a traceback."""

from __future__ import annotations

import psycopg
import pytest

from runner import search

SHOP = 4611


@pytest.fixture
def shop(admin: psycopg.Connection) -> int:
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'Newcomer shop')", (SHOP,))
    admin.execute(
        "insert into sales.customers (shop_id, guid, email, full_name, phone) values "
        "(%s, 'a0000000-0000-0000-0000-000000000101', 'anna.sedlackova@example.org', 'Anna Sedláčková', "
        "'+420724429880')",
        (SHOP,),
    )
    admin.execute(
        "insert into sales.orders (shop_id, code, created_at, email, full_name) values "
        "(%s, 'ODD-DATE-2206', now(), 'date@example.cz', 'Lukáš Beneš')",
        (SHOP,),
    )
    return SHOP


@pytest.mark.parametrize(
    ("typed", "checked"),
    [
        ("+420\u00a0724\u00a0429\u00a0880", "+420 724 429 880"),  # no-break spaces (a web page)
        ("724\u202f429\u202f880", "724 429 880"),  # narrow no-break spaces
        ("\ufeffNováková\u2007Jana\u00a0", "Nováková Jana"),  # a BOM, a figure space
        ("Nová\u200bková", "Nováková"),  # a zero-width space inside a word is dropped
        (" \t Jana \n Nováková ", "Jana Nováková"),
    ],
)
def test_search_query_treats_no_break_and_zero_width_spaces_as_white_space(
    app: psycopg.Connection, typed: str, checked: str
) -> None:
    assert app.execute("select core.search_query(%s, 20)", (typed,)).fetchone() == (checked,)


def test_a_query_of_no_break_and_zero_width_spaces_is_blank(app: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="search query is empty"):
        app.execute("select core.search_query(%s, 20)", ("\u00a0\u200b\ufeff",))


def test_a_phone_and_a_code_pasted_with_no_break_spaces_are_found(app: psycopg.Connection, shop: int) -> None:
    customers = search.search(app, "customers", shop, "+420\u00a0724\u00a0429\u00a0880")
    assert [(r["full_name"], r["matched_field"], r["rank"]) for r in customers] == [("Anna Sedláčková", "phone", 3)]
    orders = search.search(app, "orders", shop, "\ufeffODD-DATE-2206\u00a0")
    assert [(r["code"], r["matched_field"]) for r in orders] == [("ODD-DATE-2206", "code")]


def test_a_query_that_is_not_utf8_is_refused_with_the_byte(app: psycopg.Connection, shop: int) -> None:
    typed = b"Nov\xe1k".decode("utf-8", "surrogateescape")  # Latin-1 'Novák' on a UTF-8 command line
    with pytest.raises(search.SearchError, match=r"not UTF-8 text \(byte 0xe1 at character 4\)"):
        search.search(app, "customers", shop, typed)
