"""ingest.analyze_while_small: an import is not planned with statistics of a table far smaller than it is."""

from __future__ import annotations

import psycopg

ROWS = """
insert into sales.customers (shop_id, guid, email, full_name)
select %(shop)s, md5(%(shop)s || '-' || g)::uuid, 'c' || g || '@s' || %(shop)s || '.cz', 'Jana Nováková' || g
from generate_series(1, %(n)s) g
"""


def test_a_purged_and_vacuumed_table_is_analyzed_again_as_rows_come_back(admin: psycopg.Connection) -> None:
    """The file keeps its pages after a purge and VACUUM (rows of another shop sit at its end), so
    the file-size rule alone never fires while the new rows fill the free pages."""
    admin.execute("insert into core.shops (shop_id, name) values (71, 'a'), (72, 'b'), (73, 'c')")
    admin.execute(ROWS, {"shop": 71, "n": 20000})
    admin.execute(ROWS, {"shop": 72, "n": 200})
    admin.execute("delete from sales.customers where shop_id = 71")
    # the writes counted before the VACUUM ANALYZE resets the count (as when they came from other sessions)
    admin.execute("select pg_stat_force_next_flush()")
    admin.execute("select 1")
    admin.execute("vacuum analyze sales.customers")
    pages, tuples = admin.execute(
        "select relpages, reltuples from pg_class where oid = 'sales.customers'::regclass"
    ).fetchone() or (0, 0)
    assert pages > 100 and tuples < 1000
    with admin.transaction():
        admin.execute(ROWS, {"shop": 73, "n": 20000})
        size_grew = admin.execute(
            "select pg_relation_size('sales.customers') >= 10 * %s::bigint * 8192", [pages]
        ).fetchone()
        assert size_grew == (False,)
        assert admin.execute("select ingest.analyze_while_small('{sales.customers}')").fetchone() == (1,)
    assert admin.execute(
        "select reltuples > 15000 from pg_class where oid = 'sales.customers'::regclass"
    ).fetchone() == (True,)
    admin.execute("select pg_stat_force_next_flush()")
    admin.execute("select 1")
    # nothing written since but the rows that analyze counted: not analyzed again
    assert admin.execute("select ingest.analyze_while_small('{sales.customers}')").fetchone() == (0,)


# ingest.apply_customers' lookup of the live customer holding an e-mail (the statement that went
# O(n^2) when planned for an empty table)
EMAIL_HOLDER = """
explain (costs off)
select c.guid from sales.customers c
where c.shop_id = 74 and core.normalize_email(c.email) = 'c17@s74.cz'
  and c.email is not null and c.deleted_at is null and c.guid <> '00000000-0000-0000-0000-000000000000'
limit 1
"""


def test_a_fresh_table_gets_its_size_and_autovacuum_still_owes_it_a_full_analyze(admin: psycopg.Connection) -> None:
    """What the import's plans need is the table's size: one column is analyzed, with a small sample,
    and the count of changes since the last full ANALYZE is left for autovacuum."""
    admin.execute("insert into core.shops (shop_id, name) values (74, 'd')")
    with admin.transaction():
        admin.execute(ROWS, {"shop": 74, "n": 20000})
        assert admin.execute("select ingest.analyze_while_small('{sales.customers}')").fetchone() == (1,)
        plan = "\n".join(r[0] for r in admin.execute(EMAIL_HOLDER).fetchall())
    assert "customers_shop_email" in plan, plan
    tuples, analyzed_columns = admin.execute(
        "select c.reltuples, (select array_agg(attname::text order by attname) from pg_stats s "
        "where s.schemaname = 'sales' and s.tablename = 'customers') "
        "from pg_class c where c.oid = 'sales.customers'::regclass"
    ).fetchone() or (0, None)
    assert 19000 <= tuples <= 21000  # a 3,000-row sample: here the whole table
    assert analyzed_columns == ["shop_id"]
    admin.execute("select pg_stat_force_next_flush()")
    admin.execute("select 1")
    assert admin.execute("select pg_stat_get_mod_since_analyze('sales.customers'::regclass)").fetchone() == (20000,)


def test_the_search_keys_get_no_statistics(admin: psycopg.Connection) -> None:
    """ANALYZE skips the search indexes' keys (migration 0231: no plan reads them, and they made every
    ANALYZE of sales.orders ~40 % dearer); the e-mail keys, which the import's lookups use, keep theirs."""
    admin.execute("insert into core.shops (shop_id, name) values (75, 'e')")
    admin.execute(ROWS, {"shop": 75, "n": 2000})
    admin.execute("update sales.customers set phone = '+420 777 ' || right(guid::text, 6), company = 'Firma'")
    admin.execute("analyze sales.customers")
    indexes = {
        r[0]
        for r in admin.execute(
            "select tablename::text from pg_stats where schemaname = 'sales' and tablename ~ '^customers_'"
        ).fetchall()
    }
    assert indexes == {"customers_shop_email"}
    zeroed = admin.execute(
        "select count(*) from pg_attribute a join pg_class i on i.oid = a.attrelid "
        "join pg_namespace n on n.oid = i.relnamespace "
        "where n.nspname = 'sales' and i.relname ~ '^(orders|customers)_search_(name|phone|company|trgm)$' "
        "and a.attstattarget = 0"
    ).fetchone()
    assert zeroed == (8,)
