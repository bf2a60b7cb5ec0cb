"""What the command modules share: how a command is added, the options several commands have,
the help formatter, and the one way a result is printed (JSON or text).

Imports only the standard library and runner.config: `hub --help` loads this module.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from runner.config import VARIABLES, Config

Handler: TypeAlias = Callable[[Config, argparse.Namespace], int]
"""A command's handler: the configuration and the parsed arguments in, the exit status out."""

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""Where commands are added: what ``add_subparsers()`` returns."""

EPILOG_ENV = "environment:\n" + "\n".join(
    f"  {name:<24} {desc} (default: {default})" for name, (default, desc) in VARIABLES.items()
)


# -- help ----------------------------------------------------------------------------------


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, ending an option's help with its default, e.g. ``(default 0.1)``.

    Left out where it says nothing: no default (None), a flag's False, and help that speaks of
    its default itself (an option whose default is worked out at run time, like ``--parallel``)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            default is None
            or default is False
            or default == argparse.SUPPRESS
            or "default" in text
            or not (action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE))
        ):
            return text
        return text + " (default %(default)s)"


class RawDescriptionHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """The same, printing the description and epilog as written (the environment list keeps its lines)."""


def add_group(subparsers: Subparsers, name: str, *, help: str, description: str) -> Subparsers:
    """A top-level command with subcommands (``hub db ...``); returns where to add them."""
    parser = subparsers.add_parser(
        name, help=help, description=description, epilog=EPILOG_ENV, formatter_class=RawDescriptionHelpFormatter
    )
    return parser.add_subparsers(dest=f"{name}_command", metavar="SUBCOMMAND", required=True)


def add_command(
    subparsers: Subparsers, name: str, handler: Handler, *, help: str, description: str, environment: bool = False
) -> argparse.ArgumentParser:
    """A command run by ``handler``; with ``environment`` its help ends with the HUB_* variables."""
    if environment:
        parser = subparsers.add_parser(
            name, help=help, description=description, epilog=EPILOG_ENV, formatter_class=RawDescriptionHelpFormatter
        )
    else:
        parser = subparsers.add_parser(name, help=help, description=description, formatter_class=HelpFormatter)
    parser.set_defaults(func=handler)
    return parser


# -- options several commands share ----------------------------------------------------------


def add_shop_option(
    parser: argparse.ArgumentParser, *, required: bool = False, metavar: str = "ID", help: str = "the shop's eshopId"
) -> None:
    """``--shop``: a shop by its Shoptet eshopId."""
    parser.add_argument("--shop", type=int, required=required, metavar=metavar, help=help)


def add_shop_argument(parser: argparse.ArgumentParser) -> None:
    """``ID``: the shop a command is about."""
    parser.add_argument("shop_id", type=int, metavar="ID", help="the shop's eshopId")


def add_job_argument(parser: argparse.ArgumentParser) -> None:
    """``ID``: the snapshot job a command is about."""
    parser.add_argument("job_id", type=int, metavar="ID", help="the job's id (hub snapshot list)")


def add_json_option(parser: argparse.ArgumentParser, help: str = "print JSON") -> None:
    """``--json``: print the result as JSON (print_json, print_table, print_fields)."""
    parser.add_argument("--json", action="store_true", help=help)


def add_no_record_option(parser: argparse.ArgumentParser) -> None:
    """``--no-record``: a benchmark prints its figures without appending them to bench/RESULTS.md."""
    parser.add_argument("--no-record", action="store_true", help="do not append the figures to bench/RESULTS.md")


def add_quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def add_bind_options(parser: argparse.ArgumentParser, *, port: int) -> None:
    """``--host`` and ``--port`` of a server."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind")
    parser.add_argument("--port", type=int, default=port, help="port to bind")


# -- output ----------------------------------------------------------------------------------


def print_json(data: Any, *, compact: bool = False) -> None:
    """``data`` as JSON (dates and decimals as text): indented, or on one line with ``compact``."""
    print(json.dumps(data, default=str) if compact else json.dumps(data, default=str, indent=2))


@dataclass(frozen=True)
class Column:
    """One column of a table: its title, width (None: the last, unpadded), alignment ("<" or ">"),
    the text of a row's cell (default: the row's value under the title) and the gap before it."""

    title: str
    width: int | None = None
    align: str = "<"
    cell: Callable[[Mapping[str, Any]], Any] | None = None
    gap: str = " "

    def format(self, text: Any) -> str:
        return str(text) if self.width is None else format(str(text), f"{self.align}{self.width}")


def print_table(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    *,
    as_json: bool,
    empty: str,
    note: Callable[[Mapping[str, Any]], str | None] | None = None,
) -> None:
    """``rows`` as JSON, or as a table: a header, one line per row (and the ``note`` line under a
    row when it has one); ``empty`` when there are no rows."""
    if as_json:
        print_json(rows)
        return
    if not rows:
        print(empty)
        return

    def line(cells: Sequence[str]) -> str:
        pairs = enumerate(zip(columns, cells, strict=True))
        return "".join((column.gap if i else "") + column.format(text) for i, (column, text) in pairs)

    print(line([column.title for column in columns]))
    for row in rows:
        print(line([column.cell(row) if column.cell else row[column.title] for column in columns]))
        extra = note(row) if note else None
        if extra is not None:
            print(extra)


def print_fields(record: Mapping[str, Any], *, as_json: bool, width: int, blank: str | None = None) -> None:
    """One record as JSON, or as ``key  value`` lines with the keys padded to ``width`` (lists
    joined with commas; with ``blank``, an empty value shown as it)."""
    if as_json:
        print_json(record)
        return
    for key, value in record.items():
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else value
        if blank is not None and (shown is None or shown == ""):
            shown = blank
        print(f"{key:<{width}} {shown}")
