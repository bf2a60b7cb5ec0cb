"""One error hierarchy (runner/errors.py), shown in one place (runner.cli.main), and one way to
connect to the database (runner/connection.py) that says `hub db start` when the embedded
cluster is not running."""

from __future__ import annotations

import ast
import importlib
import inspect
import socket
from pathlib import Path

import psycopg
import pytest

from runner import cli
from runner.config import REPO_ROOT
from runner.connection import DatabaseUnavailable, open_connection
from runner.errors import CommandError, HubError, explain, summarize

# the sandbox is a fake Shoptet: its errors are HTTP answers of the fake API, not the hub's
NOT_THE_HUBS = ("runner.sandbox",)


def _runner_modules() -> list[str]:
    names = [
        ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted((REPO_ROOT / "runner").rglob("*.py"))
    ]
    return [name for name in names if not name.startswith(NOT_THE_HUBS)]


def test_every_error_class_of_the_runner_is_a_hub_error() -> None:
    own = {}
    for name in _runner_modules():
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                own[f"{name}.{cls.__name__}"] = cls
    assert len(own) >= 20, sorted(own)
    assert [name for name, cls in own.items() if not issubclass(cls, HubError)] == []


def test_hub_errors_keep_their_other_bases_and_their_import_paths() -> None:
    from runner.db import DatabaseUnavailable as from_db
    from runner.settings import SettingError, SettingIsSecret
    from runner.shoptet.documents import BadDocument
    from runner.shoptet.errors import AuthError, ShoptetError

    assert from_db is DatabaseUnavailable
    assert issubclass(DatabaseUnavailable, psycopg.OperationalError)  # retry loops that catch it still do
    assert issubclass(BadDocument, ValueError) and issubclass(BadDocument, HubError)
    assert issubclass(SettingIsSecret, SettingError) and issubclass(AuthError, ShoptetError)
    assert cli.CommandError is CommandError


def test_summarize_names_what_failed_in_one_line() -> None:
    assert summarize(CommandError("shop 7 does not exist")) == "shop 7 does not exist"
    assert summarize(psycopg.errors.DeadlockDetected("deadlock detected")) == "database error: deadlock detected"
    assert summarize(KeyError("id")) == "KeyError: 'id'"
    assert summarize(TimeoutError()) == "TimeoutError"
    two_lines = psycopg.OperationalError("connection failed: refused\n\tIs the server running?")
    assert summarize(two_lines, one_line=True) == "database error: connection failed: refused"
    assert summarize(two_lines, one_line=True, label=False) == "connection failed: refused"


def test_explain_prints_the_cause_chain() -> None:
    try:
        try:
            raise ValueError("not a number: 'x'")
        except ValueError as inner:
            raise CommandError("--keep: expected a whole number") from inner
    except CommandError as exc:
        assert explain(exc) == "--keep: expected a whole number\n  caused by: ValueError: not a number: 'x'"
    assert explain(CommandError("alone")) == "alone"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_stopped_embedded_cluster_is_an_error_that_says_hub_db_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("HUB_ADMIN_DATABASE_URL", raising=False)
    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    monkeypatch.setenv("HUB_DB_PORT", str(_free_port()))
    for argv in (["shop", "list"], ["snapshot", "list"], ["settings", "list"]):
        assert cli.main(argv) == 1, argv
        err = capsys.readouterr().err
        assert err.startswith("hub: error: cannot connect to the ") and "(is it running? `hub db start`)" in err, err
        assert "Traceback" not in err


def test_open_connection_names_the_database_and_keeps_the_hint_for_sockets_only(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable) as socket_error:
        open_connection(f"host={tmp_path} port=5 user=hub_app dbname=hub")
    assert str(socket_error.value).startswith(
        f"cannot connect to the database hub (socket {tmp_path}) as hub_app (is it running? `hub db start`): "
    )
    with pytest.raises(psycopg.OperationalError) as tcp_error:  # still what retry loops catch
        open_connection(f"host=127.0.0.1 port={_free_port()} user=x password=secret dbname=hub", connect_timeout=2)
    assert "hub db start" not in str(tcp_error.value) and "secret" not in str(tcp_error.value)


def _psycopg_connects(path: Path) -> list[int]:
    """Lines of ``path`` that call ``psycopg.connect(`` or import psycopg's ``connect``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "connect"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "psycopg"
        )
        or (
            isinstance(node, ast.ImportFrom)
            and node.module == "psycopg"
            and any(alias.name == "connect" for alias in node.names)
        )
    ]


def test_every_connection_of_the_runner_goes_through_open_connection() -> None:
    callers = {
        str(path.relative_to(REPO_ROOT)): lines
        for folder in ("runner", "bench")
        for path in sorted((REPO_ROOT / folder).rglob("*.py"))
        if (lines := _psycopg_connects(path))
    }
    assert list(callers) == ["runner/connection.py"], callers
