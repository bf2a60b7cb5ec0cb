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
