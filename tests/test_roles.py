"""Roles: hub_readonly reads (also tables made later), hub_app does DML but no DDL."""

from __future__ import annotations

import psycopg
import pytest

from runner.db import Target


def test_readonly_can_select_but_not_insert(db: Target, admin: psycopg.Connection) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (1, 'One')")
    with psycopg.connect(db.readonly, autocommit=True) as ro:
        assert ro.execute("select name from core.shops").fetchall() == [("One",)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ro.execute("insert into core.shops (shop_id, name) values (2, 'Two')")


def test_readonly_reads_tables_created_later(db: Target, admin: psycopg.Connection) -> None:
    admin.execute("set role hub_owner")
    admin.execute("create table ops.later (a int)")
    admin.execute("insert into ops.later values (7)")
    with psycopg.connect(db.readonly, autocommit=True) as ro:
        assert ro.execute("select a from ops.later").fetchall() == [(7,)]


def test_app_does_dml_but_no_ddl(app: psycopg.Connection) -> None:
    app.execute("insert into core.shops (shop_id, name) values (3, 'Three')")
    app.execute("update core.shops set name = 'Tri' where shop_id = 3")
    app.execute("delete from core.shops where shop_id = 3")
    for ddl in (
        "create table core.x (a int)",
        "create table public.x (a int)",
        "drop table core.settings",
        "alter table core.shops add column x int",
        "create schema x",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            app.execute(ddl)


def test_required_extensions_and_schemas_exist(admin: psycopg.Connection) -> None:
    exts = {r[0] for r in admin.execute("select extname from pg_extension")}
    assert {"pg_partman", "pgcrypto", "pg_stat_statements", "pg_trgm", "btree_gin", "amcheck", "unaccent"} <= exts
    partman_schema = admin.execute(
        "select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace "
        "where e.extname = 'pg_partman'"
    ).fetchone()
    assert partman_schema == ("partman",)
    schemas = {r[0] for r in admin.execute("select nspname from pg_namespace")}
    assert {"core", "ingest", "sales", "catalog", "analytics", "ops", "archive"} <= schemas


def test_every_table_and_function_has_a_comment(admin: psycopg.Connection) -> None:
    missing = admin.execute("""
        select c.oid::regclass::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('core', 'ingest', 'sales', 'catalog', 'analytics', 'ops')
          and c.relkind in ('r', 'p', 'v', 'm') and not c.relispartition
          and obj_description(c.oid, 'pg_class') is null
        union all
        select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname in ('core', 'ingest', 'sales', 'catalog', 'analytics', 'ops')
          and obj_description(p.oid, 'pg_proc') is null
    """).fetchall()
    assert missing == []
