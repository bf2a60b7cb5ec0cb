"""The `hub` command tree is a contract: every command and subcommand with its options (flags,
dest, required, choices, nargs, default, type, metavar, action), the one-line help and the
description of every command must stay as listed in tests/cli_tree.txt.

Option help texts are left out on purpose: the help formatter may word them (it prints the
defaults). After a deliberate change of the command line, regenerate the list with

    HUB_UPDATE_CLI_TREE=1 .venv/bin/python -m pytest tests/test_cli_tree.py

and review its diff like code.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

from runner.cli import build_parser

TREE_FILE = Path(__file__).resolve().parent / "cli_tree.txt"


def _action_line(action: argparse.Action) -> str:
    kind = type(action).__name__.strip("_")
    name = ", ".join(action.option_strings) if action.option_strings else action.dest
    fields = {
        "dest": action.dest,
        "required": action.required,
        "nargs": action.nargs,
        "const": action.const,
        "default": action.default,
        "type": getattr(action.type, "__name__", action.type),
        "choices": list(action.choices) if action.choices is not None else None,
        "metavar": action.metavar,
    }
    if isinstance(action, argparse._VersionAction):
        fields["version"] = action.version
    return f"{name}  [{kind}] " + " ".join(f"{k}={v!r}" for k, v in fields.items())


def _subcommand_helps(action: argparse._SubParsersAction) -> dict[str, str | None]:
    return {choice.dest: choice.help for choice in action._choices_actions}


def command_tree(parser: argparse.ArgumentParser, indent: str = "", summary: str | None = None) -> Iterator[str]:
    """Lines describing ``parser`` and, recursively, every subcommand under it."""
    raw = issubclass(parser.formatter_class, argparse.RawDescriptionHelpFormatter)
    yield f"{indent}command: {parser.prog}"
    inner = indent + "    "
    yield f"{inner}help: {summary!r}"
    yield f"{inner}description: {parser.description!r}"
    yield f"{inner}epilog: {'environment' if parser.epilog else None}  raw description: {raw}"
    defaults = {k: v for k, v in parser._defaults.items() if k != "func"}
    yield f"{inner}handler: {'func' in parser._defaults}  other defaults: {defaults!r}"
    for group in parser._mutually_exclusive_groups:
        names = " | ".join(a.option_strings[0] for a in group._group_actions)
        yield f"{inner}mutually exclusive: {names}  required={group.required}"
    for action in parser._actions:
        yield f"{inner}{_action_line(action)}"
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = _subcommand_helps(action)
            for name, sub in action.choices.items():
                yield from command_tree(sub, inner, helps.get(name))


def test_command_tree_is_unchanged() -> None:
    """Every command, subcommand and option of `hub`, as listed in tests/cli_tree.txt."""
    tree = "\n".join(command_tree(build_parser())) + "\n"
    if os.environ.get("HUB_UPDATE_CLI_TREE"):
        TREE_FILE.write_text(tree, encoding="utf-8")
    expected = TREE_FILE.read_text(encoding="utf-8")
    assert tree == expected, (
        "the command tree differs from tests/cli_tree.txt; if the change is deliberate, "
        "regenerate it with HUB_UPDATE_CLI_TREE=1 (see this module's docstring)"
    )
