"""The runner's SQL lives in runner/sql/*.sql and is named by file: ``query("<file stem>.<block>")``.

An ast walk over runner/ and bench/ collects every ``query("...")`` call: each name must be
defined in runner/sql/, each defined query must be used somewhere, and a name is always a
string literal (a computed name would hide a use from this test).
"""

from __future__ import annotations

import ast
from pathlib import Path

from runner.queries import all_queries, query

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("runner", "bench")


def _query_calls() -> list[tuple[str, int, ast.expr]]:
    calls = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "query"
                    and node.args
                ):
                    calls.append((str(path.relative_to(ROOT)), node.lineno, node.args[0]))
    return calls


def _used_names() -> dict[str, str]:
    return {
        arg.value: f"{path}:{line}"
        for path, line, arg in _query_calls()
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }


def test_query_names_are_literals() -> None:
    computed = [
        f"{path}:{line}"
        for path, line, arg in _query_calls()
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    ]
    assert computed == [], "query() takes a literal name, so that its uses can be checked"


def test_every_used_query_is_defined() -> None:
    defined = all_queries()
    missing = {name: where for name, where in _used_names().items() if name not in defined}
    assert missing == {}, "query names used but not defined in runner/sql/"


def test_every_defined_query_is_used() -> None:
    used = _used_names()
    unused = sorted(set(all_queries()) - set(used))
    assert unused == [], "queries defined in runner/sql/ but used nowhere in runner/ or bench/"


def test_names_are_qualified_by_file() -> None:
    for name in all_queries():
        stem, _, block = name.partition(".")
        assert block and (ROOT / "runner" / "sql" / f"{stem}.sql").is_file(), name
    assert query("tasks.active_shops") == all_queries()["tasks.active_shops"]


def test_no_inline_sql_in_runner() -> None:
    """execute() and copy() in runner/ take a named query (or psycopg.sql built from one), never
    a string written in Python. The sandbox has no database and is left out."""
    inline = []
    for path in sorted((ROOT / "runner").rglob("*.py")):
        if "sandbox" in path.relative_to(ROOT).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "executemany", "copy")
                and node.args
                and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
            ):
                inline.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert inline == [], "SQL written inline in Python: move it to runner/sql/ and call query()"
