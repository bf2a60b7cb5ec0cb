"""docs/sql.md is what the migrated database says about itself (runner/sqldocs.py), and nothing else."""

from __future__ import annotations

import difflib

import psycopg
import pytest

from runner.config import REPO_ROOT
from runner.db import Target
from runner.sqldocs import REGENERATE, render

SQL_MD = REPO_ROOT / "docs" / "sql.md"


def test_docs_sql_md_equals_what_the_migrated_database_renders(admin: psycopg.Connection) -> None:
    rendered = render(admin)
    checked_in = SQL_MD.read_text(encoding="utf-8") if SQL_MD.exists() else ""
    if rendered != checked_in:
        diff = list(
            difflib.unified_diff(
                checked_in.splitlines(),
                rendered.splitlines(),
                "docs/sql.md (checked in)",
                "docs/sql.md (from the database)",
                lineterm="",
                n=1,
            )
        )
        shown = "\n".join(diff[:80]) + ("\n..." if len(diff) > 80 else "")
        pytest.fail(
            f"docs/sql.md differs from the migrated database's COMMENT ON texts; "
            f"regenerate with: {REGENERATE}\n{shown}",
            pytrace=False,
        )


def test_sql_docs_do_not_depend_on_the_role_the_session_or_the_partitions(
    db: Target, admin: psycopg.Connection
) -> None:
    before = render(admin)
    # an outlier quarter (its own partition) and a session that sees the world differently
    admin.execute("select ops.ensure_partitions_for(array['2206-01-15 10:00+00'::timestamptz])")
    with psycopg.connect(db.readonly, autocommit=True) as readonly:
        readonly.execute("set timezone = 'Pacific/Auckland'")
        readonly.execute("set search_path = sales, core, ingest, public")
        readonly.execute("set datestyle = 'SQL, DMY'")
        assert render(readonly) == before
        assert readonly.execute("show search_path").fetchone() == ("sales, core, ingest, public",), (
            "render() must not change the caller's session"
        )
    assert "order_items_p2206q1" not in before


def test_a_changed_comment_changes_the_docs(admin: psycopg.Connection) -> None:
    before = render(admin)
    admin.execute("comment on column sales.orders.code is 'Shoptet order code | the key, e.g. <E-2025-00488>'")
    after = render(admin)
    assert after != before
    # escaped for a table cell: the pipe does not end the cell, <...> is not read as an HTML tag
    assert "| `code` | `text` not null | Shoptet order code \\| the key, e.g. &lt;E-2025-00488> |" in after


def test_every_table_view_and_function_of_the_hub_has_a_comment(admin: psycopg.Connection) -> None:
    missing, heading = [], ""
    for line in render(admin).splitlines():
        if line.startswith("#"):
            heading = line.lstrip("# ")
        elif "*(no comment)*" in line:
            missing.append(heading)
    assert not missing, "objects without COMMENT ON (add one next to the object): " + ", ".join(missing)
