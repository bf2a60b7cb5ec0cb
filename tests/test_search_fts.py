"""Full text over product descriptions in catalog.search_products (issue 16): the description tier
on fixture data with known answers, the import keeping the expression index current, the plan on
data big enough for the planner; and the fuzzy surname step shared by sales.search_customers and
sales.search_orders (sales.alike_surnames) still reading the collate "C" btree."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
import pytest

SHOP = 4611
OTHER = 4612
ROOT = Path(__file__).resolve().parents[1]

FIXTURE = """
insert into core.shops (shop_id, name, is_master) values (%(shop)s, 'FTS shop', true), (%(other)s, 'Other', false);

insert into catalog.products (shop_id, guid, name, description, deleted_at)
values (%(shop)s, 'c0000000-0000-0000-0000-000000000001', 'Tričko Basic',
        '<p>Měkká <strong>bavlna</strong> z Egypta, praní na 30&nbsp;°C.</p>', null),
       (%(shop)s, 'c0000000-0000-0000-0000-000000000002', 'Čepice zimní',
        '<div class="popis"><p>Pletená z vlny merino. Hřeje i za mrazu.</p><script>var ukryto = 1;</script></div>',
        null),
       (%(shop)s, 'c0000000-0000-0000-0000-000000000003', 'Hrnek',
        '<p>Keramický hrnek, 50%% sleva na druhý kus &amp; dárková krabička.</p>', null),
       (%(shop)s, 'c0000000-0000-0000-0000-000000000004', 'Rukavice',
        '<p>Zimní rukavice ke čepici, <em>bavlna</em> uvnitř.</p>', null),
       (%(shop)s, 'c0000000-0000-0000-0000-000000000008', 'Podtácek', '<p>Korková podložka pod hrnek.</p>', null),
       -- deleted at the source, and another shop's product: never found
       (%(shop)s, 'c0000000-0000-0000-0000-000000000005', 'Stará šála', '<p>Teplá bavlna, egyptská.</p>', now()),
       (%(other)s, 'c0000000-0000-0000-0000-000000000006', 'Tričko', '<p>Měkká bavlna z Egypta.</p>', null);

insert into catalog.variants (shop_id, code, product_guid, name)
values (%(shop)s, 'TR-1/M', 'c0000000-0000-0000-0000-000000000001', 'M'),
       (%(shop)s, 'TR-1/L', 'c0000000-0000-0000-0000-000000000001', 'L'),
       (%(shop)s, 'CEP-1', 'c0000000-0000-0000-0000-000000000002', null),
       (%(shop)s, 'HRN-1', 'c0000000-0000-0000-0000-000000000003', null),
       (%(shop)s, 'RUK-1', 'c0000000-0000-0000-0000-000000000004', null),
       (%(shop)s, 'POD-1', 'c0000000-0000-0000-0000-000000000008', null),
       (%(shop)s, 'SAL-1', 'c0000000-0000-0000-0000-000000000005', null),
       (%(other)s, 'TR-1/M', 'c0000000-0000-0000-0000-000000000006', null);
"""


def _run(conn: psycopg.Connection, script: str) -> None:
    """A script of several statements (no server-side parameters: the shop ids are put in here)."""
    text = script.replace("%(shop)s", str(SHOP)).replace("%(other)s", str(OTHER)).replace("%%", "%")
    conn.execute(text.encode())


@pytest.fixture
def shop(admin: psycopg.Connection) -> int:
    _run(admin, FIXTURE)
    return SHOP


def _products(conn: psycopg.Connection, q: str, limit: int = 20) -> list[tuple[Any, ...]]:
    """(variant_code, rank, matched_field) of catalog.search_products, in the order returned."""
    rows = conn.execute("select * from catalog.search_products(%s, %s, %s)", [SHOP, q, limit]).fetchall()
    return [(r[1], r[3], r[4]) for r in rows]


def test_a_word_only_in_a_description_is_found(app: psycopg.Connection, shop: int) -> None:
    rows = _products(app, "Egypta")
    assert [(code, field) for code, _, field in rows] == [("TR-1/L", "description"), ("TR-1/M", "description")]
    assert all(0 < rank <= 0.5 for _, rank, _ in rows)
    # every word must be there (plainto_tsquery: and), in any order
    assert {r[0] for r in _products(app, "bavlna egypta")} == {"TR-1/L", "TR-1/M"}
    assert _products(app, "egypta bavlna merino") == []
    # a word in two descriptions: both, never the deleted product or the other shop's
    assert {r[0] for r in _products(app, "bavlna")} == {"TR-1/L", "TR-1/M", "RUK-1"}
    assert _products(app, "egyptska") == []


def test_diacritics_are_ignored_both_ways(app: psycopg.Connection, shop: int) -> None:
    for q in ("mekka", "Měkká", "MĚKKA"):
        assert {r[0] for r in _products(app, q)} == {"TR-1/L", "TR-1/M"}, q
    for q in ("hreje", "hřeje"):
        assert _products(app, q)[0][::2] == ("CEP-1", "description"), q
    assert [r[0] for r in _products(app, "darkova krabicka")] == ["HRN-1"]


def test_html_is_not_matched_as_words(app: psycopg.Connection, shop: int) -> None:
    # tag and attribute names, script content and entity names are not words of the text
    for q in ("strong", "div", "popis", "class", "script", "ukryto", "nbsp", "amp", "em"):
        assert [r for r in _products(app, q) if r[2] == "description"] == [], q
    # the text around an entity and inside inline tags is
    assert [r[0] for r in _products(app, "praní")] == ["TR-1/L", "TR-1/M"]
    assert [r[0] for r in _products(app, "uvnitř")] == ["RUK-1"]


def test_the_description_tier_comes_after_the_name_tiers(app: psycopg.Connection, shop: int) -> None:
    # 'zimni' is a word of Čepice zimní's name (fuzzy: word similarity 1) and of Rukavice's description
    assert [(c, f) for c, _, f in _products(app, "zimni")] == [("CEP-1", "name"), ("RUK-1", "description")]
    # 'hrnek' is Hrnek's whole name and a word of its description: Hrnek once, as the name; then
    # Podtácek, whose description has it
    rows = _products(app, "hrnek")
    assert [(c, f) for c, _, f in rows] == [("HRN-1", "name"), ("POD-1", "description")] and rows[0][1] == 3
    # the limit is filled by the tiers before: no description rows
    assert _products(app, "zimni", limit=1) == [("CEP-1", 1, "name")]
    # a product found by a tier above takes no candidate's place: Hrnek's description also has
    # 'hrnek' and the index gives it first, yet the one row left goes to Podtácek
    assert [(c, f) for c, _, f in _products(app, "hrnek", limit=2)] == [("HRN-1", "name"), ("POD-1", "description")]


def test_short_queries_and_literal_characters(app: psycopg.Connection, shop: int) -> None:
    # 'za' and 'ke' are words of descriptions, but a query of 1-2 characters is a prefix only
    assert _products(app, "za") == [] and _products(app, "ke") == []
    assert [r[0] for r in _products(app, "kus")] == ["HRN-1"]
    # punctuation of the query must be in the text; it is never a pattern
    assert [(c, f) for c, _, f in _products(app, "50% sleva")] == [("HRN-1", "description")]
    for q in ("50_ sleva", "sleva'", "%' or 1=1 --", "%%%", "---"):
        assert _products(app, q) == [], q


def test_the_import_keeps_the_index_current(app: psycopg.Connection, admin: psycopg.Connection, shop: int) -> None:
    """A description written by ingest.apply_products (snapshot, sync and webhook path) is found at once;
    the words of the description it replaced are not."""

    def stage(batch: int, description: str, changed: str) -> None:
        admin.execute(
            "insert into ingest.stage_products (batch_id, line_no, guid, name, changed_at, description)"
            " values (%s, 1, 'c0000000-0000-0000-0000-000000000007', 'Ponožky', %s, %s)",
            [batch, changed, description],
        )
        admin.execute(
            "insert into ingest.stage_variants (batch_id, product_guid, code)"
            " values (%s, 'c0000000-0000-0000-0000-000000000007', 'PON-1')",
            [batch],
        )
        admin.execute("select ingest.apply_products(%s, %s)", [SHOP, batch])

    stage(900001, "<p>Froté <b>chodidlo</b>, vysoký lem.</p>", "2026-01-01T00:00:00Z")
    assert [(c, f) for c, _, f in _products(app, "chodidlo")] == [("PON-1", "description")]
    stage(900002, "<p>Tenký úplet, nízký lem.</p>", "2026-02-01T00:00:00Z")
    assert _products(app, "chodidlo") == []
    assert [r[0] for r in _products(app, "uplet")] == ["PON-1"]


def test_the_index_key_functions_equal_the_migration_that_indexes_them() -> None:
    """products_search_description stores catalog.description_vector's result, which depends on
    channels.plain_text: a change to either file without a migration that rebuilds the index would
    leave the index answering for the old text."""
    # the newest migration that (re)built the index holds each function's definition
    for path, migration_file in (
        ("db/functions/catalog/description_vector.sql", "0200_search_descriptions.sql"),
        ("db/functions/channels/plain_text.sql", "0222_plain_text_rebuild_description_index.sql"),
    ):
        migration = (ROOT / "db/migrations" / migration_file).read_text(encoding="utf-8")
        text = (ROOT / path).read_text(encoding="utf-8")
        definition = text[text.index("create or replace function") :].strip()
        assert definition in migration, (
            f"{path} differs from its copy in {migration_file}: rebuild the index by a migration"
        )


# -- plans -------------------------------------------------------------------------------------

BULK_PRODUCTS = """
insert into catalog.products (shop_id, guid, name, description)
select %(shop)s, md5('fts' || g)::uuid, 'Výrobek ' || g,
       '<p><strong>Výrobek ' || g || '</strong> z naší dílny, ' || (array['bavlna', 'len', 'vlna', 'sklo'])[1 + g %% 4]
       || ', barva ' || (array['černá', 'bílá', 'modrá', 'zelená', 'šedá'])[1 + g %% 5]
       || case when g %% 1000 = 7 then ', ručně malovaný' else '' end || '.</p>'
from generate_series(1, 4000) g;
insert into catalog.variants (shop_id, code, product_guid)
select %(shop)s, 'BULK-' || g, md5('fts' || g)::uuid from generate_series(1, 4000) g;
analyze catalog.products;
analyze catalog.variants;
"""

BULK_NAMES = """
insert into sales.customers (shop_id, guid, email, full_name)
select %(shop)s, md5('bulk' || g)::uuid, 'bulk' || g || '@example.cz',
       (array['Jan', 'Jana', 'Petr', 'Eva'])[1 + g %% 4] || ' '
           || (array['Svoboda', 'Dvořák', 'Černý', 'Procházka', 'Kučera', 'Nováková'])[1 + g %% 6] || 'x' || (g %% 499)
from generate_series(1, 5000) g;
insert into sales.orders (shop_id, code, created_at, email, full_name)
select %(shop)s, (3000000000 + g)::text, now() - g * interval '1 hour', 'bulk' || (g %% 5000) || '@example.cz',
       (array['Jan', 'Jana', 'Petr', 'Eva'])[1 + g %% 4] || ' '
           || (array['Svoboda', 'Dvořák', 'Černý', 'Procházka', 'Kučera', 'Nováková'])[1 + g %% 6] || 'y' || (g %% 491)
from generate_series(1, 6000) g;
insert into sales.customers (shop_id, guid, email, full_name)
values (%(shop)s, 'a0000000-0000-0000-0000-000000000001', 'jana@example.cz', 'Jana Nováková');
insert into sales.orders (shop_id, code, created_at, email, full_name)
values (%(shop)s, '2024000123', now(), 'jana@example.cz', 'Jana Nováková');
analyze sales.customers;
analyze sales.orders;
"""


def _plans(admin: psycopg.Connection, statement: str, params: list[Any]) -> list[str]:
    """The plans of the statements run inside the functions (auto_explain at NOTICE level), one per
    statement, each with its query text."""
    notices: list[str] = []
    admin.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    admin.execute("load 'auto_explain'")
    admin.execute("set auto_explain.log_min_duration = 0")
    admin.execute("set auto_explain.log_nested_statements = on")
    admin.execute("set auto_explain.log_level = notice")
    admin.execute("set client_min_messages = notice")
    admin.execute(statement, params).fetchall()
    admin.execute("set auto_explain.log_min_duration = -1")
    return notices


def test_the_description_tier_reads_the_gin_index(admin: psycopg.Connection, shop: int) -> None:
    _run(admin, BULK_PRODUCTS)
    plans = _plans(admin, "select * from catalog.search_products(%s, 'rucne malovany', 20)", [SHOP])
    described = [p for p in plans if "description_vector" in p or "plain_text" in p]
    assert any("products_search_description" in p for p in described), "\n".join(plans)
    assert not any("Seq Scan on products" in p for p in described), "\n".join(described)
    rows = admin.execute(
        "select variant_code, matched_field from catalog.search_products(%s, 'ručně malovaný', 20)", [SHOP]
    )
    assert sorted(rows.fetchall()) == [(f"BULK-{g}", "description") for g in (1007, 2007, 3007, 7)]


@pytest.mark.parametrize("kind", ["customers", "orders"])
def test_the_fuzzy_surname_step_reads_the_c_collated_btree(admin: psycopg.Connection, kind: str) -> None:
    admin.execute(f"insert into core.shops (shop_id, name) values ({SHOP}, 'FTS shop')")
    _run(admin, BULK_NAMES)
    plans = _plans(admin, f"select * from sales.search_{kind}(%s, 'Novkova', 20)", [SHOP])
    loose = [p for p in plans if "recursive" in p and "surnames" in p]
    assert len(loose) == 1, "\n".join(plans)
    # one probe per distinct surname: index scans of the surname-first key, never a scan of the table
    assert f"{kind}_search_name" in loose[0] and "Seq Scan" not in loose[0], loose[0]
    found = admin.execute(f"select * from sales.search_{kind}(%s, 'Novkova', 5)", [SHOP]).fetchall()
    names = [r[2] if kind == "customers" else r[3] for r in found]
    assert names[0] == "Jana Nováková" and all(re.search(r"Nováková|novakova", n, re.I) for n in names), names
    # the surnames themselves, straight from the function
    alike = admin.execute(
        "select surname, rank from sales.alike_surnames(%s, %s, 'novkova') order by rank desc, surname",
        [SHOP, f"sales.{kind}"],
    ).fetchall()
    assert alike[0] == ("novakova", pytest.approx(0.6)) and all(r[1] >= 0.35 for r in alike)


def test_alike_surnames_refuses_another_table(admin: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match=re.escape("(got catalog.products)")):
        admin.execute("select * from sales.alike_surnames(1, 'catalog.products', 'novak')")
