"""Where the code of a `hub` command is: `hub <group> ...` is runner/commands/<group>.py, whose
handlers call the modules that do the work (no SQL in the command layer), and `hub --help`
loads none of the heavy modules."""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from runner.cli import build_parser
from runner.commands import GROUPS
from runner.config import REPO_ROOT

COMMANDS_DIR = REPO_ROOT / "runner" / "commands"
HEAVY = (
    "psycopg",
    "psycopg_pool",
    "httpx",
    "procrastinate",
    "starlette",
    "uvicorn",
    "yoyo",
    "orjson",
    "jinja2",
    "prometheus_client",
    "rich",
    "runner.db",
    "runner.settings",
    "runner.tasks",
    "runner.web",
    "runner.shoptet",
    "runner.sandbox",
    "bench",
)


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for name, sub in action.choices.items():
            yield from _leaves(sub, (*path, name))


def test_each_top_level_command_is_one_module_of_runner_commands() -> None:
    parser = build_parser()
    top = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(top.choices) == list(GROUPS)
    assert sorted(p.stem for p in COMMANDS_DIR.glob("*.py")) == sorted([*GROUPS, "__init__", "common"])
    leaves = list(_leaves(parser))
    for path, leaf in leaves:
        handler = leaf.get_default("func")
        assert handler.__module__ == f"runner.commands.{path[0]}", (path, handler)
        assert handler.__name__ == "cmd_" + "_".join(path), (path, handler.__name__)


def _sql_in(path: Path) -> list[str]:
    """What in ``path`` runs SQL itself: calls of query(), .execute(), .cursor(), or psycopg imports."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("query", "execute", "executemany", "cursor"):
                found.append(f"{path.name}:{node.lineno} {name}()")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [
                f"{path.name}:{node.lineno} import {m}"
                for m in modules
                if m.split(".")[0] == "psycopg" or m == "runner.queries"
            ]
    return found


def test_the_command_layer_holds_no_sql() -> None:
    assert [hit for path in sorted(COMMANDS_DIR.glob("*.py")) for hit in _sql_in(path)] == []
    assert _sql_in(REPO_ROOT / "runner" / "cli.py") == []


def test_hub_help_loads_no_heavy_module() -> None:
    probe = (
        "import sys, contextlib, io\n"
        "from runner.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    for argv in (['--help'], ['db', '--help'], ['snapshot', 'import', '--help']):\n"
        "        try:\n"
        "            main(argv)\n"
        "        except SystemExit:\n"
        "            pass\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m.startswith({HEAVY!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", done.stdout


def test_the_console_script_and_python_m_runner_cli_still_start() -> None:
    hub = Path(sys.executable).parent / "hub"
    for argv in ([str(hub), "--help"], [sys.executable, "-m", "runner.cli", "snapshot", "--help"]):
        done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_ROOT)
        assert done.returncode == 0 and done.stdout.startswith("usage: hub"), (argv, done.stderr)
    done = subprocess.run([str(hub), "snapshot", "import"], capture_output=True, text=True, cwd=REPO_ROOT)
    assert done.returncode == 2 and "the following arguments are required: --shop" in done.stderr
