"""Ready to scale out by shop_id (Citus): keys and foreign keys of tenant tables include shop_id."""

from __future__ import annotations

import psycopg

TENANT_SCHEMAS = ("sales", "catalog", "analytics", "ingest", "archive")

# every primary key / unique constraint or index of a tenant table (one with a shop_id column)
KEYS_WITHOUT_SHOP = """
select i.indexrelid::regclass::text
from pg_index i
join pg_class t on t.oid = i.indrelid
join pg_namespace n on n.oid = t.relnamespace
where n.nspname = any(%(schemas)s)
  and (i.indisunique or i.indisprimary)
  and not t.relispartition
  and exists (select from pg_attribute a where a.attrelid = t.oid and a.attname = 'shop_id' and not a.attisdropped)
  and not exists (
      select from unnest(i.indkey) k
      join pg_attribute a on a.attrelid = t.oid and a.attnum = k
      where a.attname = 'shop_id')
"""

FOREIGN_KEYS_WITHOUT_SHOP = """
select c.conrelid::regclass::text || ' ' || c.conname
from pg_constraint c
join pg_class t on t.oid = c.conrelid
join pg_class r on r.oid = c.confrelid
join pg_namespace n on n.oid = t.relnamespace
join pg_namespace rn on rn.oid = r.relnamespace
where c.contype = 'f'
  and n.nspname = any(%(schemas)s) and rn.nspname = any(%(schemas)s)
  and not t.relispartition
  and not exists (
      select from unnest(c.conkey) with ordinality k(attnum, pos)
      join unnest(c.confkey) with ordinality f(attnum, pos) using (pos)
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
      join pg_attribute b on b.attrelid = c.confrelid and b.attnum = f.attnum
      where a.attname = 'shop_id' and b.attname = 'shop_id')
"""


def test_every_key_of_a_tenant_table_includes_shop_id(admin: psycopg.Connection) -> None:
    assert admin.execute(KEYS_WITHOUT_SHOP, {"schemas": list(TENANT_SCHEMAS)}).fetchall() == []


def test_every_foreign_key_between_tenant_tables_includes_shop_id(admin: psycopg.Connection) -> None:
    assert admin.execute(FOREIGN_KEYS_WITHOUT_SHOP, {"schemas": list(TENANT_SCHEMAS)}).fetchall() == []


def test_the_check_sees_a_violation(admin: psycopg.Connection) -> None:
    admin.execute("create table sales.bad_tenant (shop_id bigint, code text primary key)")
    admin.execute("create table sales.bad_child (shop_id bigint, code text references sales.bad_tenant (code))")
    found = admin.execute(KEYS_WITHOUT_SHOP, {"schemas": list(TENANT_SCHEMAS)}).fetchall()
    assert found == [("sales.bad_tenant_pkey",)]
    fks = admin.execute(FOREIGN_KEYS_WITHOUT_SHOP, {"schemas": list(TENANT_SCHEMAS)}).fetchall()
    assert fks == [("sales.bad_child bad_child_code_fkey",)]


def test_every_tenant_table_leads_its_primary_key_with_shop_id(admin: psycopg.Connection) -> None:
    rows = admin.execute(
        """
        select t.oid::regclass::text, a.attname
        from pg_index i
        join pg_class t on t.oid = i.indrelid
        join pg_namespace n on n.oid = t.relnamespace
        join pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0]
        where i.indisprimary and n.nspname = any(%(schemas)s) and not t.relispartition
          and exists (select from pg_attribute s where s.attrelid = t.oid and s.attname = 'shop_id')
    """,
        {"schemas": list(TENANT_SCHEMAS)},
    ).fetchall()
    assert rows and all(col == "shop_id" for _, col in rows), rows
