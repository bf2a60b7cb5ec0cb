"""Named SQL queries of the runner, kept in runner/sql/*.sql, not inline in Python.

A file holds blocks that each start with a line ``-- name: <block_name>``; a query is named
by its file and block: ``query("snapshots.jobs_list")`` returns the text of the block
``jobs_list`` in ``runner/sql/snapshots.sql``. Parameters are named (``%(shop_id)s``).
Identifiers that vary (table names) are never part of a query text: build them with
``psycopg.sql`` where they are used.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent / "sql"
_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def all_queries() -> dict[str, str]:
    """Every named query, ``"<file stem>.<block name>"`` -> text (without a trailing semicolon)."""
    found: dict[str, str] = {}
    for path in sorted(SQL_DIR.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        parts = _HEADER.split(text)
        for block, body in zip(parts[1::2], parts[2::2], strict=True):
            name = f"{path.stem}.{block}"
            if name in found:
                raise KeyError(f"query {block!r} is defined twice in {path.name}")
            found[name] = body.strip().rstrip(";")
    return found


def query(name: str) -> str:
    """The text of the query ``"<file stem>.<block name>"`` of runner/sql/."""
    try:
        return all_queries()[name]
    except KeyError:
        raise KeyError(f"no query named {name!r} in {SQL_DIR} (names are '<file stem>.<block name>')") from None
