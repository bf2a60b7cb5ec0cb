"""docs/sql.md, written by the database itself: every schema, table, view and function with its `COMMENT ON`.

``render(conn)`` reads the system catalog of a migrated database and returns the markdown; the
file is never edited by hand, and ``tests/test_sql_docs.py`` fails when the checked-in docs/sql.md
differs from what the test template database renders. Only what a migration makes is shown:
partitions (named after today's quarters) and objects that belong to an extension are left out,
everything is sorted with the "C" collation, and nothing depends on time, OIDs or the session's
settings, so the output changes only when the schema or a comment does.

Besides the catalog it names the file that creates each object (``db/migrations/*.sql`` for
tables, ``db/functions/<schema>/*.sql`` for views and functions), so a reader goes from a name to
its source in one step.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from runner.config import REPO_ROOT
from runner.queries import query

# How to rebuild docs/sql.md; printed by the test when the file is out of date.
REGENERATE = "hub db migrate && hub db docs --output docs/sql.md"

# Schemas made by the migrations whose objects belong to another project: named, not described.
THIRD_PARTY_SCHEMAS: dict[str, str] = {
    "partman": "pg_partman's configuration and functions",
    "procrastinate": "procrastinate's tables and functions (migration 0040_procrastinate_schema.sql)",
    "public": "the extensions' functions (pgcrypto, pg_trgm, btree_gin, amcheck, pg_stat_statements, unaccent) and "
    "yoyo's migration log",
}

RELATION_KINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view", "f": "foreign table"}
ROUTINE_KINDS = {"f": "function", "p": "procedure", "a": "aggregate", "w": "window function"}

_CREATES = re.compile(
    r"\bcreate\s+(?:or\s+replace\s+)?(?:unlogged\s+)?(?:materialized\s+)?"
    r"(?:table|view|function|procedure|aggregate)\s+(?:if\s+not\s+exists\s+)?"
    r"([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    comment: str | None


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: str
    unlogged: bool
    comment: str | None
    primary_key: str | None
    partition_key: str | None
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Routine:
    schema: str
    name: str
    kind: str
    arguments: str
    result: str | None
    comment: str | None

    @property
    def signature(self) -> str:
        call = f"{self.schema}.{self.name}({self.arguments})"
        return f"{call} returns {self.result}" if self.kind == "f" and self.result else call


@dataclass(frozen=True)
class Schema:
    name: str
    comment: str | None
    relations: tuple[Relation, ...]
    routines: tuple[Routine, ...]


def read_catalog(conn: psycopg.Connection[Any]) -> tuple[list[tuple[str, str | None]], list[Schema]]:
    """Every schema (name, comment), and the hub's own schemas with their objects, from the catalog."""
    with conn.transaction():
        cur = conn.cursor(row_factory=dict_row)
        cur.execute(query("sqldocs.sqldocs_session"))
        all_schemas = [(r["name"], r["comment"]) for r in cur.execute(query("sqldocs.sqldocs_schemas")).fetchall()]
        own = [name for name, _ in all_schemas if name not in THIRD_PARTY_SCHEMAS]
        params = {"schemas": own}
        relation_rows = cur.execute(query("sqldocs.sqldocs_relations"), params).fetchall()
        column_rows = cur.execute(query("sqldocs.sqldocs_columns"), params).fetchall()
        routine_rows = cur.execute(query("sqldocs.sqldocs_functions"), params).fetchall()

    columns: dict[tuple[str, str], list[tuple[int, Column]]] = defaultdict(list)
    for r in column_rows:
        columns[(r["schema"], r["relation"])].append((r["position"], Column(r["name"], _column_type(r), r["comment"])))
    relations: dict[str, list[Relation]] = defaultdict(list)
    for r in relation_rows:
        cols = tuple(c for _, c in sorted(columns[(r["schema"], r["name"])], key=lambda pc: pc[0]))
        relations[r["schema"]].append(
            Relation(
                r["schema"],
                r["name"],
                r["kind"],
                r["unlogged"],
                r["comment"],
                r["primary_key"],
                r["partition_key"],
                cols,
            )
        )
    routines: dict[str, list[Routine]] = defaultdict(list)
    for r in routine_rows:
        routines[r["schema"]].append(
            Routine(r["schema"], r["name"], r["kind"], r["arguments"], r["result"], r["comment"])
        )
    comments = dict(all_schemas)
    schemas = [
        Schema(
            name,
            comments[name],
            tuple(sorted(relations[name], key=lambda x: _c_key(x.name))),
            tuple(sorted(routines[name], key=lambda x: (_c_key(x.name), _c_key(x.arguments)))),
        )
        for name in sorted(own, key=_c_key)
    ]
    return sorted(all_schemas, key=lambda s: _c_key(s[0])), schemas


def render(conn: psycopg.Connection[Any], repo_root: Path = REPO_ROOT) -> str:
    """docs/sql.md for the database behind ``conn`` (any role that can read the catalog)."""
    all_schemas, schemas = read_catalog(conn)
    sources = source_files(repo_root)
    out: list[str] = [
        "# SQL reference",
        "",
        "<!-- Generated from the database's COMMENT ON texts by runner/sqldocs.py: do not edit. -->",
        "<!-- Regenerate after a migration: hub db docs --output docs/sql.md (see docs/development.md). -->",
        "",
        "Every schema, table, view and function of a freshly migrated hub database, with its",
        "`COMMENT ON` text and the file that creates it. Partitions (`sales.order_items_p2026q2`, ...)",
        "and objects of extensions are left out. Written from the database by `runner/sqldocs.py`;",
        "`tests/test_sql_docs.py` fails when this file and the database differ.",
        "",
        "## Schemas",
        "",
        "| schema | what |",
        "|---|---|",
    ]
    own = {s.name for s in schemas}
    for name, comment in all_schemas:
        if name in own:
            out.append(f"| [`{name}`](#{name}) | {_cell(comment)} |")
        else:
            what = f"{_cell(comment)}. " if comment else ""
            out.append(f"| `{name}` | {what}Not described here: {THIRD_PARTY_SCHEMAS[name]} |")
    for schema in schemas:
        out += ["", f"## {schema.name}", "", _text(schema.comment)]
        tables = [r for r in schema.relations if r.kind in ("r", "p", "f")]
        views = [r for r in schema.relations if r.kind in ("v", "m")]
        for title, group in (("tables", tables), ("views", views)):
            if group:
                out += ["", f"### {schema.name}: {title}"]
                for relation in group:
                    out += _relation(relation, sources)
        if schema.routines:
            out += ["", f"### {schema.name}: functions"]
            by_name: dict[str, list[Routine]] = defaultdict(list)
            for routine in schema.routines:
                by_name[routine.name].append(routine)
            for name in sorted(by_name, key=_c_key):
                out += _routines(by_name[name], sources)
    return "\n".join(out).rstrip("\n") + "\n"


def source_files(repo_root: Path = REPO_ROOT) -> dict[tuple[str, str], list[str]]:
    """(schema, name) -> the repository files that create it, as paths relative to the repository."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    db = repo_root / "db"
    for path in sorted([*db.glob("migrations/*.sql"), *db.glob("functions/*/*.sql")]):
        rel = path.relative_to(repo_root).as_posix()
        for schema, name in _CREATES.findall(_strip_sql_comments(path.read_text(encoding="utf-8"))):
            found[(schema.lower(), name.lower())].add(rel)
    return {key: sorted(paths, key=_c_key) for key, paths in found.items()}


def _relation(relation: Relation, sources: dict[tuple[str, str], list[str]]) -> list[str]:
    facts = [("unlogged " if relation.unlogged else "") + RELATION_KINDS.get(relation.kind, relation.kind)]
    if relation.partition_key:
        facts.append(f"partitioned by `{relation.partition_key}`")
    if relation.primary_key:
        facts.append(f"`{relation.primary_key}`")
    files = sources.get((relation.schema, relation.name), [])
    if files:
        facts.append("created in " + ", ".join(_link(f) for f in files))
    lines = ["", f"#### `{relation.schema}.{relation.name}`", "", _text(relation.comment), "", "; ".join(facts), ""]
    lines += ["| column | type | comment |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.type} | {_cell(c.comment)} |" for c in relation.columns]
    return lines


def _routines(overloads: Sequence[Routine], sources: dict[tuple[str, str], list[str]]) -> list[str]:
    first = overloads[0]
    lines = ["", f"#### `{first.schema}.{first.name}`"]
    for routine in overloads:
        kind = ROUTINE_KINDS.get(routine.kind, routine.kind)
        lines += [
            "",
            f"    {routine.signature}",
            "",
            (f"{kind[0].upper()}{kind[1:]}: " if kind != "function" else "") + _text(routine.comment),
        ]
    files = sources.get((first.schema, first.name), [])
    if files:
        lines += ["", "Defined in " + ", ".join(_link(f) for f in files) + "."]
    return lines


def _column_type(row: dict[str, Any]) -> str:
    text = f"`{row['type']}`"
    if row["not_null"]:
        text += " not null"
    if row["identity"]:
        text += " generated " + ("always" if row["identity"] == "a" else "by default") + " as identity"
    elif row["generated"] and row["default_expr"] is not None:
        text += f" generated always as `{row['default_expr']}`"
    elif row["default_expr"] is not None:
        text += f" default `{row['default_expr']}`"
    return text.replace("|", "\\|")  # inside code spans: only the cell separator is escaped


def _link(path: str) -> str:
    return f"[{path}](../{path})"


def _text(comment: str | None) -> str:
    """A comment as one paragraph (no comment: said so, so a missing COMMENT ON shows)."""
    return _escape(" ".join(comment.split())) if comment else "*(no comment)*"


def _cell(comment: str | None) -> str:
    return _escape(" ".join(comment.split())) if comment else ""


def _escape(text: str) -> str:
    """Safe in a markdown table cell: `|` would end the cell, `<word>` would be read as an HTML tag
    (except inside `code`, where an entity would show as written)."""
    parts = text.replace("|", "\\|").split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;") for i, p in enumerate(parts))


def _c_key(text: str) -> bytes:
    """Sort like the "C" collation: by UTF-8 bytes, whatever the locale."""
    return text.encode("utf-8")


def _strip_sql_comments(text: str) -> str:
    """SQL without its comments, so that a comment quoting a `create ...` names no source."""
    return re.sub(r"--[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL))


def write(text: str, output: str | None) -> None:
    """The rendered text to a file, or to standard output when output is None or '-'."""
    if output in (None, "-"):
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
