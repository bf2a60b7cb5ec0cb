"""`hub db migrate`: all or nothing, errors name file and line, re-runs apply nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from runner import migrate as migrate_mod
from runner.db import Target
from runner.migrate import MigrationError, catalog_snapshot, dry_run, function_files, migrate


@pytest.fixture
def sql_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Copies of db/migrations and db/functions the test may break."""
    migrations = tmp_path / "migrations"
    functions = tmp_path / "functions"
    shutil.copytree(migrate_mod.MIGRATIONS_DIR, migrations)
    shutil.copytree(migrate_mod.FUNCTIONS_DIR, functions)
    monkeypatch.setattr(migrate_mod, "MIGRATIONS_DIR", migrations)
    monkeypatch.setattr(migrate_mod, "FUNCTIONS_DIR", functions)
    return migrations, functions


def _yoyo_rows(admin: psycopg.Connection) -> int:
    row = admin.execute("select count(*) from _yoyo_migration").fetchone()
    return int(row[0]) if row else 0


def test_second_migrate_applies_nothing(db: Target) -> None:
    result = migrate(db)
    assert result.applied == []
    assert result.functions_changed == []
    assert result.nothing_to_do
    assert result.functions_loaded == len(function_files())


def test_cli_migrate_twice_says_nothing_to_apply(hub_env: dict[str, str]) -> None:
    out = subprocess.run([sys.executable, "-m", "runner.cli", "db", "migrate"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "nothing to apply" in out.stdout


def test_broken_function_names_file_and_line_and_changes_nothing(
    db: Target, admin: psycopg.Connection, sql_tree: tuple[Path, Path]
) -> None:
    _, functions = sql_tree
    good = functions / "core" / "setting_get.sql"
    good.write_text(good.read_text().replace("limit 1;", "limit 1;\n    this is not plpgsql;"))
    broken_line = good.read_text().splitlines().index("    this is not plpgsql;") + 1
    # and a brand-new function that should not survive the failed run
    (functions / "ops").mkdir(exist_ok=True)
    (functions / "ops" / "aaa_new.sql").write_text(
        "create function ops.aaa_new() returns int language sql as $$ select 1 $$;\n"
    )
    before = catalog_snapshot(db.admin)
    with pytest.raises(MigrationError) as err:
        migrate(db)
    assert err.value.path == good
    assert err.value.line == broken_line
    assert f"setting_get.sql:{broken_line}:" in str(err.value)
    assert catalog_snapshot(db.admin) == before


def test_function_with_unknown_column_is_rejected(db: Target, sql_tree: tuple[Path, Path]) -> None:
    _, functions = sql_tree
    bad = functions / "core" / "zz_bad.sql"
    bad.write_text(
        "-- bad\n\ncreate or replace function core.zz_bad() returns int\nlanguage sql\n"
        "as $$ select no_such_column from core.shops $$;\n"
    )
    with pytest.raises(MigrationError, match=r"zz_bad.sql:5: column \"no_such_column\" does not exist"):
        migrate(db)


def test_sql_standard_body_may_call_a_function_of_a_later_file(
    db: Target, admin: psycopg.Connection, sql_tree: tuple[Path, Path]
) -> None:
    # a SQL-standard body is parsed when created, even with body checks off: aa_caller.sql loads
    # only after zz_callee.sql, which comes later in load order (it is tried again after the others)
    _, functions = sql_tree
    (functions / "ops" / "aa_caller.sql").write_text(
        "create or replace function ops.aa_caller() returns int language sql stable\n"
        "begin atomic select ops.zz_callee() + 1; end;\n"
    )
    (functions / "ops" / "zz_callee.sql").write_text(
        "create or replace function ops.zz_callee() returns int language sql immutable return 41;\n"
    )
    result = migrate(db)
    assert {"ops/aa_caller.sql", "ops/zz_callee.sql"} <= set(result.functions_changed)
    assert admin.execute("select ops.aa_caller()").fetchone() == (42,)
    # a body that calls what no file makes still fails, naming its file and line
    (functions / "ops" / "ab_orphan.sql").write_text(
        "-- calls nothing that exists\ncreate or replace function ops.ab_orphan() returns int language sql stable\n"
        "begin atomic select ops.no_such_function(); end;\n"
    )
    with pytest.raises(MigrationError, match=r"ab_orphan.sql:3: function ops.no_such_function\(\) does not exist"):
        migrate(db)


def test_broken_migration_rolls_back_every_migration_of_the_run(
    db: Target, admin: psycopg.Connection, sql_tree: tuple[Path, Path]
) -> None:
    migrations, _ = sql_tree
    (migrations / "9001_good.sql").write_text("-- fine on its own\ncreate table core.t_good (a int);\n")
    (migrations / "9002_bad.sql").write_text(
        "-- second statement is broken\ncreate table core.t_bad1 (a int);\n\ncreate table core.t_bad2 (\n"
        "    a int,\n    b no_such_type\n);\n"
    )
    applied_before = _yoyo_rows(admin)
    with pytest.raises(MigrationError) as err:
        migrate(db)
    assert err.value.path.name == "9002_bad.sql" and err.value.line == 6
    assert "no_such_type" in err.value.message
    tables = admin.execute(
        "select count(*) from pg_tables where tablename in ('t_good', 't_bad1', 't_bad2')"
    ).fetchone()
    assert tables == (0,)
    assert _yoyo_rows(admin) == applied_before


def test_migration_objects_are_owned_by_hub_owner(
    db: Target, admin: psycopg.Connection, sql_tree: tuple[Path, Path]
) -> None:
    migrations, _ = sql_tree
    (migrations / "9001_new.sql").write_text("create table core.t_new (a int);\n")
    assert migrate(db).applied == ["9001_new"]
    owners = admin.execute(
        "select distinct pg_get_userbyid(c.relowner) from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname in ('core', 'ingest', 'sales', 'catalog', 'analytics', 'ops', 'archive')"
    ).fetchall()
    assert owners == [("hub_owner",)]
    fowners = admin.execute(
        "select distinct pg_get_userbyid(p.proowner) from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
        "where n.nspname in ('core', 'ingest', 'sales', 'catalog', 'analytics', 'ops', 'archive')"
    ).fetchall()
    assert fowners == [("hub_owner",)]


def test_dry_run_reports_changes_and_leaves_database_untouched(db: Target, sql_tree: tuple[Path, Path]) -> None:
    migrations, functions = sql_tree
    (migrations / "9001_widgets.sql").write_text("create table core.widgets (id int primary key);\n")
    target = functions / "core" / "setting_delete.sql"
    target.write_text(target.read_text().replace("true when one was removed", "true when a row was removed"))
    before = catalog_snapshot(db.admin)
    result = dry_run(db)
    assert result.applied == ["9001_widgets"]
    assert result.functions_changed == ["core/setting_delete.sql"]
    changes = {(c, k, i) for c, k, i in result.catalog_changes}
    assert ("+", "table", "core.widgets") in changes
    assert ("~", "function", "core.setting_delete(p_key text, p_shop_id bigint)") in changes
    assert catalog_snapshot(db.admin) == before
    with psycopg.connect(db.admin, autocommit=True) as admin:
        dbname = admin.info.dbname
        assert admin.execute(
            "select count(*) from pg_database where datname like %s", (f"{dbname}_dryrun_%",)
        ).fetchone() == (0,)


def test_function_files_load_in_documented_order(tmp_path: Path) -> None:
    for schema in ("ops", "zeta", "core", "sales"):
        (tmp_path / schema).mkdir()
        (tmp_path / schema / "b.sql").touch()
        (tmp_path / schema / "a.sql").touch()
    order = [str(p.relative_to(tmp_path)) for p in function_files(tmp_path)]
    assert order == [
        "core/a.sql",
        "core/b.sql",
        "sales/a.sql",
        "sales/b.sql",
        "ops/a.sql",
        "ops/b.sql",
        "zeta/a.sql",
        "zeta/b.sql",
    ]


def test_a_removed_function_file_is_noted_only_while_its_function_exists(
    db: Target, admin: psycopg.Connection, sql_tree: tuple[Path, Path]
) -> None:
    """A function file taken away: the note asks for a migration that drops its function; when a
    migration of the same run (or an earlier one) dropped it, there is nothing to ask."""
    migrations, functions = sql_tree
    for name in ("gone_kept", "gone_dropped"):
        (functions / "ops" / f"{name}.sql").write_text(
            f"create or replace function ops.{name}() returns int language sql immutable return 1;\n"
        )
    migrate(db)
    (functions / "ops" / "gone_kept.sql").unlink()
    (functions / "ops" / "gone_dropped.sql").unlink()
    (migrations / "9002_drop_gone_dropped.sql").write_text("drop function ops.gone_dropped();\n")
    result = migrate(db)
    assert result.applied == ["9002_drop_gone_dropped"]
    assert [n for n in result.notes if "removed from db/functions" in n] == [
        "ops/gone_kept.sql was removed from db/functions/: drop its object by a migration"
    ]
    assert admin.execute("select count(*) from ops.sql_files where path like 'ops/gone_%'").fetchone() == (0,)
