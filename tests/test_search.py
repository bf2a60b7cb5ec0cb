"""Search inside PostgreSQL (issue 16): sales.search_customers, sales.search_orders,
catalog.search_products and `hub search`, on small fixture data with known answers; the plans
(auto_explain inside the functions) on data big enough for the planner to pick the indexes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

SHOP = 4601
OTHER = 4602
ROOT = Path(__file__).resolve().parents[1]

FIXTURE = """
insert into core.shops (shop_id, name, is_master) values (%(shop)s, 'Search shop', true), (%(other)s, 'Other', false);

insert into sales.customers (shop_id, guid, email, full_name, company, phone, deleted_at)
values (%(shop)s, 'a0000000-0000-0000-0000-000000000001', 'jana.novakova@seznam.cz', 'Jana Nováková', null,
        '+420 777 123 456', null),
       (%(shop)s, 'a0000000-0000-0000-0000-000000000002', 'petr.novak@gmail.com', 'Petr Novák', null,
        '777654321', null),
       (%(shop)s, 'a0000000-0000-0000-0000-000000000003', 'eva.ruzickova@email.cz', 'Eva Růžičková', null,
        '00420 603 111 222', null),
       (%(shop)s, 'a0000000-0000-0000-0000-000000000004', 'tomas_cerny@post.cz', 'Tomáš Černý', 'Černý & syn s.r.o.',
        null, null),
       (%(shop)s, 'a0000000-0000-0000-0000-000000000005', 'tomasxcerny@post.cz', 'Tomáš Xerný', null, null, null),
       (%(shop)s, 'a0000000-0000-0000-0000-000000000006', 'jan.oneill@example.com', 'Jan O''Neill', null, null, null),
       (%(shop)s, 'a0000000-0000-0000-0000-000000000007', 'lucie@dvorakova.cz', 'Lucie Dvorakova',
        '100%% Bio', null, null),
       (%(shop)s, 'a0000000-0000-0000-0000-000000000008', 'antonin@konopny.cz', 'Antonín Konopný', null, null, null),
       -- deleted at the source, and another shop's namesake: never found
       (%(shop)s, 'a0000000-0000-0000-0000-000000000009', 'old@seznam.cz', 'Jana Nováková', null, '777123456', now()),
       (%(other)s, 'a0000000-0000-0000-0000-000000000010', 'jana.novakova@seznam.cz', 'Jana Nováková', null,
        '777123456', null);

insert into sales.orders (shop_id, code, created_at, email, phone, full_name, company, customer_guid)
values (%(shop)s, '2024000123', now() - interval '3 days', 'jana.novakova@seznam.cz', '+420777123456',
        'Jana Nováková', null, 'a0000000-0000-0000-0000-000000000001'),
       (%(shop)s, '2024000124', now() - interval '2 days', 'jana.novakova@seznam.cz', '777 123 456',
        'Jana Nováková', null, 'a0000000-0000-0000-0000-000000000001'),
       (%(shop)s, '2024000200', now() - interval '1 day', 'host55@email.cz', '+421 905 123 456', 'Eva Růžičková',
        'Růže a.s.', null),
       (%(shop)s, '2025000001', now(), 'petr.novak@gmail.com', null, 'Petr Novák', null,
        'a0000000-0000-0000-0000-000000000002'),
       (%(other)s, '2024000123', now(), 'x@y.cz', null, 'Jana Nováková', null, null);

insert into catalog.products (shop_id, guid, name)
values (%(shop)s, 'b0000000-0000-0000-0000-000000000001', 'Tričko Basic'),
       (%(shop)s, 'b0000000-0000-0000-0000-000000000002', 'Čepice zimní'),
       (%(shop)s, 'b0000000-0000-0000-0000-000000000003', 'Hrnek 50%% sleva');

insert into catalog.variants (shop_id, code, product_guid, ean, name, manufacturer_code)
values (%(shop)s, 'TR-001/M', 'b0000000-0000-0000-0000-000000000001', '8594001234567', 'Velikost M', 'GIL-5000'),
       (%(shop)s, 'TR-001/L', 'b0000000-0000-0000-0000-000000000001', '8594001234574', 'Velikost L', 'GIL-5001'),
       (%(shop)s, 'CEP-7', 'b0000000-0000-0000-0000-000000000002', '8594009999999', null, null),
       (%(shop)s, 'HRN_1', 'b0000000-0000-0000-0000-000000000003', null, null, null);
"""


def _run(conn: psycopg.Connection, script: str) -> None:
    """A script of several statements (no server-side parameters: the shop ids are put in here)."""
    text = script.replace("%(shop)s", str(SHOP)).replace("%(other)s", str(OTHER)).replace("%%", "%")
    conn.execute(text.encode())


@pytest.fixture
def shop(admin: psycopg.Connection) -> int:
    _run(admin, FIXTURE)
    return SHOP


def _search(conn: psycopg.Connection, kind: str, q: str, limit: int = 20) -> list[tuple[Any, ...]]:
    fn = {"customers": "sales.search_customers", "orders": "sales.search_orders", "products": "catalog.search_products"}
    return conn.execute(f"select * from {fn[kind]}(%s, %s, %s)", [SHOP, q, limit]).fetchall()


def _names(rows: list[tuple[Any, ...]]) -> list[str]:
    return [r[2] for r in rows]


def test_diacritics_are_ignored_both_ways(app: psycopg.Connection, shop: int) -> None:
    rows = _search(app, "customers", "ruzickova")
    assert _names(rows) == ["Eva Růžičková"] and rows[0][4] == "name" and 2 < rows[0][3] < 3
    # stored without diacritics, typed with them; any case
    rows = _search(app, "customers", "DVOŘÁKOVÁ")
    assert _names(rows) == ["Lucie Dvorakova"]
    # the whole name, typed first name first or surname first, is an exact match
    for q in ("jana novakova", "Nováková Jana"):
        rows = _search(app, "customers", q)
        assert rows[0][2] == "Jana Nováková" and rows[0][3] == 3 and rows[0][4] == "name", q


def test_email_case_and_white_space(app: psycopg.Connection, shop: int) -> None:
    rows = _search(app, "customers", "  JANA.Novakova@Seznam.CZ \t")
    assert [(str(r[0]), r[3], r[4]) for r in rows] == [("a0000000-0000-0000-0000-000000000001", 3, "email")]
    rows = _search(app, "orders", " Jana.Novakova@seznam.cz")
    # exact e-mail, newest order first
    assert [(r[0], r[5]) for r in rows] == [("2024000124", "email"), ("2024000123", "email")]
    # an e-mail prefix
    rows = _search(app, "customers", "petr.no")
    assert _names(rows) == ["Petr Novák"] and rows[0][4] == "email" and 2 < rows[0][3] < 3


@pytest.mark.parametrize("q", ["+420 777 123 456", "777123456", "00420777123456", "777 123 456", "+420-777-123-456"])
def test_phone_in_any_common_czech_format(app: psycopg.Connection, shop: int, q: str) -> None:
    rows = _search(app, "customers", q)
    assert [(str(r[0]), r[3], r[4]) for r in rows] == [("a0000000-0000-0000-0000-000000000001", 3, "phone")]
    rows = _search(app, "orders", q)
    assert [(r[0], r[4], r[5]) for r in rows] == [("2024000124", 3, "phone"), ("2024000123", 3, "phone")]


def test_phone_prefix_and_stored_formats(app: psycopg.Connection, shop: int) -> None:
    assert _names(_search(app, "customers", "603111222")) == ["Eva Růžičková"]  # stored as 00420 603 111 222
    assert [r[0] for r in _search(app, "orders", "905 123 456")] == ["2024000200"]  # +421: Slovak
    rows = _search(app, "customers", "777 12")
    assert _names(rows) == ["Jana Nováková"] and rows[0][4] == "phone" and 2 < rows[0][3] < 3
    assert app.execute(
        "select core.normalize_phone('+420 777 123 456'), core.normalize_phone('00421905123456'),"
        " core.normalize_phone('+49 30 1234567'), core.normalize_phone('n/a')"
    ).fetchone() == ("777123456", "905123456", "49301234567", None)


def test_order_codes_exact_then_prefix(app: psycopg.Connection, shop: int) -> None:
    rows = _search(app, "orders", "2024000123")
    assert [(r[0], r[4], r[5]) for r in rows] == [("2024000123", 3, "code")]
    # codes in either case: as typed, upper-cased, lower-cased (one probe or range each)
    app.execute(
        "insert into sales.orders (shop_id, code, created_at, full_name) values"
        " (%(s)s, 'OBJ-77', now(), 'Upper'), (%(s)s, 'obj-78', now(), 'Lower'), (%(s)s, 'Obj-79', now(), 'Mixed')",
        {"s": shop},
    )
    assert [r[0] for r in _search(app, "orders", "obj-77")] == ["OBJ-77"]
    assert [r[0] for r in _search(app, "orders", "OBJ-78")] == ["obj-78"]
    assert sorted(r[0] for r in _search(app, "orders", "obj-")) == ["OBJ-77", "obj-78"]
    assert [r[0] for r in _search(app, "orders", "Obj-79")] == ["Obj-79"]
    app.execute("delete from sales.orders where shop_id = %s and code ~* '^obj-'", [shop])
    rows = _search(app, "orders", "202400")
    assert {r[0] for r in rows} == {"2024000123", "2024000124", "2024000200"}
    assert all(2 < r[4] < 3 and r[5] == "code" for r in rows)
    # a prefix with more codes than the limit: the highest (newest) codes, not the first of the range
    rows = app.execute("select code from sales.search_orders(%s, '202400', 2)", [shop]).fetchall()
    assert sorted(r[0] for r in rows) == ["2024000124", "2024000200"]
    # names and companies of orders
    rows = _search(app, "orders", "ruzickova")
    assert [(r[0], r[5]) for r in rows] == [("2024000200", "name")]
    rows = _search(app, "orders", "Růže")
    assert [(r[0], r[5]) for r in rows] == [("2024000200", "company")] and 2 < rows[0][4] < 3


def test_fuzzy_words_of_guest_and_registered_customers_orders(app: psycopg.Connection, shop: int) -> None:
    """Step 2 (a typo in a first name, no surname like it): a guest order through the orders' trigram
    index, a registered customer's order through the customer's, then re-checked on the order."""
    rows = _search(app, "orders", "Petra")
    assert [(r[0], r[5]) for r in rows] == [("2025000001", "name")] and 0 < rows[0][4] < 1
    rows = _search(app, "orders", "ruze as")
    assert [(r[0], r[5]) for r in rows] == [("2024000200", "company")] and 0 < rows[0][4] < 1


def test_products_by_ean_code_manufacturer_code_and_name(app: psycopg.Connection, shop: int) -> None:
    rows = _search(app, "products", "8594001234567")
    assert [(r[1], r[3], r[4]) for r in rows] == [("TR-001/M", 3, "ean")]
    assert rows[0][2] == "Tričko Basic Velikost M"
    rows = _search(app, "products", "tr-001")
    assert [(r[1], r[4]) for r in rows] == [("TR-001/L", "variant_code"), ("TR-001/M", "variant_code")]
    rows = _search(app, "products", "gil-5000")
    assert [(r[1], r[3], r[4]) for r in rows] == [("TR-001/M", 3, "manufacturer_code")]
    rows = _search(app, "products", "cepice")
    assert [(r[1], r[4]) for r in rows] == [("CEP-7", "name")]
    # a word inside the name, misspelt: fuzzy
    rows = _search(app, "products", "zimni")
    assert [(r[1], r[4]) for r in rows] == [("CEP-7", "name")] and 0 < rows[0][3] <= 1
    rows = _search(app, "products", "Tricka")
    assert {r[1] for r in rows} == {"TR-001/M", "TR-001/L"} and all(r[3] < 1 for r in rows)
    # a letter left out of a short word (word_similarity 0.44: under pg_trgm's default 0.6)
    rows = _search(app, "products", "Trcko")
    assert {r[1] for r in rows} == {"TR-001/M", "TR-001/L"} and all(r[4] == "name" for r in rows)
    rows = _search(app, "products", "hrnke")
    assert [r[1] for r in rows] == ["HRN_1"]


def test_a_typo_in_a_surname_is_found_by_trigrams(app: psycopg.Connection, shop: int) -> None:
    rows = _search(app, "customers", "Novkova")
    assert rows[0][2] == "Jana Nováková" and 0 < rows[0][3] < 1 and rows[0][4] == "name"
    rows = _search(app, "orders", "Novkova")
    assert [r[0] for r in rows][:2] == ["2024000124", "2024000123"]  # Nováková (0.6) before Novák (0.4)
    assert [r[0] for r in rows][2:] == ["2025000001"] and rows[2][4] < rows[1][4]
    # a company, misspelt
    rows = _search(app, "customers", "cerny a syn")
    assert rows[0][2] == "Tomáš Černý"


def test_a_misspelt_surname_with_a_first_name_puts_that_first_name_first(app: psycopg.Connection, shop: int) -> None:
    """Fuzzy step 1 reads each alike surname's rows from the surname-first key: first the range of the
    query's other words as the first name (`novak tomas`), then the rest in name order."""
    app.execute(
        "insert into sales.customers (shop_id, guid, email, full_name, synced_at)"
        " select %(s)s, ('b0000000-0000-0000-0000-00000000000' || n)::uuid, 'n' || n || '@x.cz', f || ' Novák', now()"
        " from unnest(array['Adam', 'David', 'Jakub', 'Tomáš'], array[1, 2, 3, 4]) x (f, n)",
        {"s": shop},
    )
    app.execute(
        "insert into sales.orders (shop_id, code, created_at, full_name)"
        " select %(s)s, 'N-' || n, now() - n * interval '1 day', f || ' Novák'"
        " from unnest(array['Adam', 'David', 'Jakub', 'Tomáš'], array[1, 2, 3, 4]) x (f, n)",
        {"s": shop},
    )
    rows = _search(app, "customers", "Tomas Novk", limit=2)
    assert _names(rows)[0] == "Tomáš Novák" and rows[0][3] > rows[1][3], rows
    assert _search(app, "orders", "Tomas Novk", limit=1)[0][0] == "N-4"
    # a first name typed in part
    assert _names(_search(app, "customers", "Novk Jak", limit=1)) == ["Jakub Novák"]
    # without a first name: the surname's rows in name order, one rank
    rows = _search(app, "customers", "Novk", limit=3)
    assert _names(rows)[0] == "Adam Novák" and len({r[3] for r in rows}) == 1


def test_exact_before_prefix_before_fuzzy(app: psycopg.Connection, shop: int) -> None:
    rows = _search(app, "customers", "novak")
    # 'novak' is a prefix of both surnames: the shorter match first, then the misspellings
    assert _names(rows)[:2] == ["Petr Novák", "Jana Nováková"]
    ranks = [r[3] for r in rows]
    assert ranks == sorted(ranks, reverse=True)
    rows = _search(app, "customers", "novak", limit=1)
    assert _names(rows) == ["Petr Novák"]


def test_a_two_letter_query_matches_prefixes_only(app: psycopg.Connection, shop: int) -> None:
    rows = _search(app, "customers", "no")
    # surnames starting with no -- not Konopný, whose name only contains it
    assert _names(rows) == ["Petr Novák", "Jana Nováková"]
    assert all(2 < r[3] < 3 for r in rows)
    # one letter, with or without its diacritics
    assert _names(_search(app, "customers", "ř")) == _names(_search(app, "customers", "R")) == ["Eva Růžičková"]


def test_sql_wildcards_and_quotes_are_literal(app: psycopg.Connection, shop: int) -> None:
    for q in ("%", "_", "%%", "%nov%", "Nov_k", "nov%", "'", "''", "\\", "%' or 1=1 --"):
        assert _search(app, "customers", q) == [], q
        assert _search(app, "orders", q) == [], q
        assert _search(app, "products", q) == [], q
    # an underscore in an e-mail is that character, not "any one"
    assert [r[1] for r in _search(app, "customers", "tomas_c")] == ["tomas_cerny@post.cz"]
    assert [r[1] for r in _search(app, "customers", "tomasxc")][0] == "tomasxcerny@post.cz"
    # quotes and % inside names
    assert _names(_search(app, "customers", "O'Neill")) == ["Jan O'Neill"]
    assert _names(_search(app, "customers", "o'neil")) == ["Jan O'Neill"]
    assert _names(_search(app, "customers", "100% bio")) == ["Lucie Dvorakova"]
    assert [r[1] for r in _search(app, "products", "hrn_1")] == ["HRN_1"]
    assert [r[1] for r in _search(app, "products", "50% sleva")] == ["HRN_1"]


def test_deleted_rows_and_other_shops_are_not_found(app: psycopg.Connection, shop: int) -> None:
    guids = [str(r[0]) for r in _search(app, "customers", "Jana Nováková")]
    assert guids[0] == "a0000000-0000-0000-0000-000000000001"
    assert not {"a0000000-0000-0000-0000-000000000009", "a0000000-0000-0000-0000-000000000010"} & set(guids)
    assert [r[0] for r in _search(app, "customers", "old@seznam.cz")] == []
    assert app.execute("select count(*) from sales.search_customers(4242, 'jana', 20)").fetchone() == (0,)


def test_a_blank_query_or_a_bad_limit_is_refused(app: psycopg.Connection, shop: int) -> None:
    for q, limit, message in (
        ("  ", 20, "search query is empty"),
        (None, 20, "search query is empty"),
        ("jana", 0, "search limit must be 1 .. 1000 rows (got 0)"),
        ("jana", 1001, "search limit must be 1 .. 1000 rows (got 1001)"),
    ):
        with pytest.raises(psycopg.errors.InvalidParameterValue, match=re.escape(message)):
            app.execute("select * from sales.search_orders(%s, %s, %s)", [SHOP, q, limit])


def test_the_key_functions_equal_the_migration_that_indexes_them() -> None:
    # the last migration that (re)built the indexes on a key holds the key's definition
    for name, migration_file in (
        ("search_fold", "0143_search_indexes.sql"),
        ("search_name_key", "0220_search_keys_cheaper.sql"),
        ("normalize_phone", "0220_search_keys_cheaper.sql"),
        ("collation_is_codepoint", "0230_search_email_code_reuse_indexes.sql"),
    ):
        migration = (ROOT / "db/migrations" / migration_file).read_text(encoding="utf-8")
        text = (ROOT / f"db/functions/core/{name}.sql").read_text(encoding="utf-8")
        definition = text[text.index("create or replace function") : text.index("comment on function")].strip()
        assert definition in migration, name


def test_name_and_phone_keys(app: psycopg.Connection) -> None:
    cases = {
        "Jana Nováková": "novakova jana",
        "  Ing. Jan   Novák ": "novak ing. jan",
        "\tJana\tNováková\n": "novakova jana",
        "Jana\u00a0Nová\u00a0": "nova jana",
        "ŘEHOŘ Šťastný": "stastny rehor",
        "Novák": "novak",
        " \t ": None,
    }
    for name, key in cases.items():
        assert app.execute("select core.search_name_key(%s)", [name]).fetchone() == (key,), repr(name)
    phones = {
        "+420 777 123 456": "777123456",
        "00420 777 123 456": "777123456",
        "+421905123456": "905123456",
        "777-123-456": "777123456",
        "+49 30 1234567": "49301234567",
        "420777": "420777",
        "n/a": None,
    }
    for phone, key in phones.items():
        assert app.execute("select core.normalize_phone(%s)", [phone]).fetchone() == (key,), phone


def test_the_cluster_ctype_keeps_czech_letters_in_trigrams(admin: psycopg.Connection) -> None:
    # pg_trgm keeps only what the database's LC_CTYPE calls a letter: under "C" it would drop č
    ctype, encoding = admin.execute(
        "select datctype, pg_encoding_to_char(encoding) from pg_database where datname = current_database()"
    ).fetchone()
    assert encoding == "UTF8"
    (trigrams,) = admin.execute("select show_trgm('č')").fetchone()
    assert len(trigrams) == 2, (ctype, trigrams)  # '  č' and ' č ', hashed
    assert admin.execute("select core.search_fold('Růžičková ŘEHOŘ')").fetchone() == ("ruzickova rehor",)


def test_hub_search_prints_rows_and_json(
    shop: int, hub_env: dict[str, str], admin: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    from runner import cli

    assert cli.main(["search", "customers", "--shop", str(SHOP), "ruzickova"]) == 0
    out = capsys.readouterr().out
    assert "Eva Růžičková" in out and "eva.ruzickova@email.cz" in out and "name" in out
    assert cli.main(["search", "orders", "--shop", str(SHOP), "777 123 456", "--limit", "1", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["code"], r["matched_field"]) for r in rows] == [("2024000124", "phone")]
    assert cli.main(["search", "products", "--shop", str(SHOP), "8594001234567", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["variant_code"] == "TR-001/M"
    assert cli.main(["search", "products", "--shop", str(SHOP), "nothing-like-this"]) == 0
    assert "no products match 'nothing-like-this'" in capsys.readouterr().out
    assert cli.main(["search", "customers", "--shop", "4242", "jana"]) == 1
    assert "no shop 4242" in capsys.readouterr().err
    assert cli.main(["search", "customers", "--shop", str(SHOP), " ", "--limit", "5"]) == 1
    assert "the query is empty" in capsys.readouterr().err
    assert cli.main(["search", "customers", "--shop", str(SHOP), "jana", "--limit", "0"]) == 1
    assert "--limit must be 1 .. 1000, got 0" in capsys.readouterr().err
    # order times in the shop's time zone (as the dashboard), named in the header
    local, zone = admin.execute(
        "select to_char(o.created_at at time zone s.timezone, 'YYYY-MM-DD HH24:MI'), s.timezone"
        " from sales.orders o join core.shops s on s.shop_id = o.shop_id where o.code = '2024000124'"
    ).fetchone()
    assert cli.main(["search", "orders", "--shop", str(SHOP), "2024000124"]) == 0
    out = capsys.readouterr().out
    assert f"created ({zone})" in out.splitlines()[0] and local in out
    # an unquoted query of several words: a hint to quote it
    assert cli.main(["search", "products", "--shop", str(SHOP), "hodinky", "sport"]) == 1
    assert "quote a query of several words" in capsys.readouterr().err


# -- plans: the indexes are used inside the functions --------------------------------------------

BULK = """
insert into sales.customers (shop_id, guid, email, full_name, phone)
select %(shop)s, md5('bulk' || g)::uuid, 'bulk' || g || '@example.cz',
       (array['Jan', 'Jana', 'Petr', 'Eva', 'Karel', 'Marie'])[1 + g %% 6] || ' '
           || (array['Svoboda', 'Dvořák', 'Černý', 'Procházka', 'Kučera', 'Veselý', 'Horák', 'Němec'])[1 + g %% 8]
           || 'x' || (g %% 997),
       '+420 6' || lpad(g::text, 8, '0')
from generate_series(1, 5000) g;
insert into sales.orders (shop_id, code, created_at, email, full_name, phone)
select %(shop)s, (3000000000 + g)::text, now() - g * interval '1 hour', 'bulk' || (g %% 5000) || '@example.cz',
       (array['Jan', 'Jana', 'Petr', 'Eva'])[1 + g %% 4] || ' '
           || (array['Svoboda', 'Dvořák', 'Černý', 'Procházka', 'Kučera', 'Veselý'])[1 + g %% 6] || 'y' || (g %% 991),
       '+420 7' || lpad(g::text, 8, '0')
from generate_series(1, 6000) g;
analyze sales.customers;
analyze sales.orders;
"""


def _plans(admin: psycopg.Connection, statement: str, params: list[Any]) -> str:
    """The plans of the statements run inside the functions (auto_explain at NOTICE level)."""
    notices: list[str] = []
    admin.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    admin.execute("load 'auto_explain'")
    admin.execute("set auto_explain.log_min_duration = 0")
    admin.execute("set auto_explain.log_nested_statements = on")
    admin.execute("set auto_explain.log_level = notice")
    admin.execute("set client_min_messages = notice")
    admin.execute(statement, params).fetchall()
    admin.execute("set auto_explain.log_min_duration = -1")
    return "\n".join(notices)


def test_the_functions_use_the_trigram_and_expression_indexes(admin: psycopg.Connection, shop: int) -> None:
    _run(admin, BULK)
    plans = _plans(admin, "select * from sales.search_customers(%s, 'Novkova', 20)", [SHOP])
    assert "customers_search_trgm" in plans and "Seq Scan on customers" not in plans, plans
    plans = _plans(admin, "select * from sales.search_orders(%s, 'Novkova', 20)", [SHOP])
    assert "orders_search_trgm" in plans and "Seq Scan on orders" not in plans, plans
    # prefix: the surname-first btree in index order; a 2-letter query never reads the trigrams
    plans = _plans(admin, "select * from sales.search_customers(%s, 'dv', 20)", [SHOP])
    assert "customers_search_name" in plans and "customers_search_trgm" not in plans, plans
    plans = _plans(admin, "select * from sales.search_orders(%s, '+420 700 000 123', 20)", [SHOP])
    assert "orders_search_phone" in plans and "Seq Scan on orders" not in plans, plans
    rows = admin.execute("select full_name from sales.search_customers(%s, 'dv', 3)", [SHOP]).fetchall()
    assert len(rows) == 3 and all(r[0].split()[-1].lower().startswith(("dvořák", "dvorak")) for r in rows)


def test_email_and_code_prefixes_read_the_indexes_the_tables_already_had(admin: psycopg.Connection, shop: int) -> None:
    """Migration 0230: e-mail prefixes come from customers_shop_email / orders_email_history
    (text_pattern_ops), order-code prefixes from the primary key (the cluster's C.UTF-8 is byte
    order): three index inserts fewer per imported row."""
    _run(admin, BULK)
    gone = admin.execute(
        "select array_agg(n) from unnest(array['sales.customers_search_email', 'sales.orders_search_email',"
        " 'sales.orders_search_code']) n where to_regclass(n) is not null"
    ).fetchone()
    assert gone == (None,)
    assert admin.execute("select core.collation_is_codepoint()").fetchone() == (True,)
    plans = _plans(admin, "select * from sales.search_customers(%s, 'jana.nov', 20)", [SHOP])
    assert "Index Scan using customers_shop_email" in plans and "Seq Scan on customers" not in plans, plans
    plans = _plans(admin, "select * from sales.search_orders(%s, 'jana.nov', 20)", [SHOP])
    assert "Index Scan using orders_email_history" in plans and "Seq Scan on orders" not in plans, plans
    plans = _plans(admin, "select * from sales.search_orders(%s, '20240001', 20)", [SHOP])
    # the exact probe and the prefix range (read backwards: the highest codes first)
    assert "Index Scan using orders_pkey" in plans and "Index Scan Backward using orders_pkey" in plans, plans
    assert "Seq Scan on orders" not in plans, plans
    rows = admin.execute("select email, rank, matched_field from sales.search_customers(%s, 'JANA.nov', 5)", [SHOP])
    hit = [r for r in rows.fetchall() if r[0] == "jana.novakova@seznam.cz"][0]
    assert hit[1:] == (pytest.approx(2 + 8 / 23), "email")


def test_order_code_prefixes_on_a_database_with_a_linguistic_collation(admin: psycopg.Connection) -> None:
    """A database whose collation is not byte order (here ICU cs-CZ, where 'ch' sorts after 'h')
    keeps orders_search_code, and the prefix tier reads it: a range of the primary key would miss
    codes there."""
    from runner.db import target_for_conninfo
    from runner.migrate import migrate

    name = "hub_search_cs_collation"
    admin.execute(f"drop database if exists {name}")
    admin.execute(f"create database {name} template template0 locale_provider icu icu_locale 'cs-CZ' locale 'C.UTF-8'")
    try:
        info = admin.info
        conninfo = psycopg.conninfo.make_conninfo(
            host=info.host, port=str(info.port), user=info.user, dbname=name, password=info.password or None
        )
        migrate(target_for_conninfo(conninfo))
        with psycopg.connect(conninfo, autocommit=True) as conn:
            assert conn.execute("select core.collation_is_codepoint()").fetchone() == (False,)
            assert conn.execute("select to_regclass('sales.orders_search_code') is not null").fetchone() == (True,)
            conn.execute(
                "insert into core.shops (shop_id, name) values (1, 'cs');"
                "insert into sales.orders (shop_id, code, created_at)"
                " select 1, c, now() from unnest(array['C-1', 'CH-2', 'Ch-3', 'H-4', 'CZ-5', 'D-6']) c"
            )
            rows = conn.execute("select code, matched_field from sales.search_orders(1, 'C', 10)").fetchall()
            assert sorted(rows) == [("C-1", "code"), ("CH-2", "code"), ("CZ-5", "code"), ("Ch-3", "code")]
            rows = conn.execute("select code from sales.search_orders(1, 'CH', 10)").fetchall()
            assert rows == [("CH-2",)]
            rows = conn.execute("select code from sales.search_orders(1, 'C', 2)").fetchall()
            assert sorted(rows) == [("CZ-5",), ("Ch-3",)]
    finally:
        admin.execute(f"drop database if exists {name} with (force)")
