"""A database error reaches the person at the terminal as its message, DETAIL and HINT -- never the
PL/pgSQL CONTEXT trace nor the SQL statement -- whether it is printed as raised or first made a hub
error by a module or a command (runner.errors.as_hub_error, which keeps the SQLSTATE for the logs)."""

from __future__ import annotations

import ast

import psycopg
import pytest

from runner import cli
from runner.config import REPO_ROOT
from runner.errors import CommandError, HubError, as_hub_error

SHOP = 900301

RAISE_WITH_DETAIL_AND_HINT = """
create function pg_temp.refuse(p_value integer) returns void language plpgsql as $$
begin
    raise exception 'value % is out of range', p_value
        using errcode = '22023', detail = 'expected 1 .. 10', hint = 'give a smaller value';
end $$;
"""


def _trace_free(text: str) -> bool:
    return "CONTEXT" not in text and "PL/pgSQL" not in text and "SQL statement" not in text


def test_a_database_error_made_a_hub_error_keeps_message_detail_hint_and_sqlstate(app: psycopg.Connection) -> None:
    app.execute(RAISE_WITH_DETAIL_AND_HINT)
    with pytest.raises(psycopg.errors.InvalidParameterValue) as raised:
        app.execute("select pg_temp.refuse(%(v)s)", {"v": 42})
    assert "PL/pgSQL function" in (raised.value.diag.context or "")  # what str(exc) used to drag along

    class RangeError(HubError):
        pass

    error = as_hub_error(raised.value, RangeError, "--value")
    assert type(error) is RangeError
    assert str(error) == "--value: value 42 is out of range\nDETAIL: expected 1 .. 10\nHINT: give a smaller value"
    assert error.sqlstate == "22023" and "PL/pgSQL function" in (error.context or "")
    # a command's error made from the module's: the same message and SQLSTATE
    command = as_hub_error(error)
    assert type(command) is CommandError and str(command) == str(error) and command.sqlstate == "22023"
    # any other error: its text, no SQLSTATE
    other = as_hub_error(ValueError("not a number: 'x'"))
    assert str(other) == "not a number: 'x'" and other.sqlstate is None


def test_a_refused_setting_prints_its_message_and_hint_only(
    hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["settings", "set", "Bad Key", "1"]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "hub: error: setting key 'Bad Key' is not valid (check constraint settings_key_format)",
        "HINT: a key is lower case letters, digits and _ . : -, starting with a letter, at most 200 characters",
    ]


def test_an_analytics_command_given_a_bad_value_prints_one_line_and_logs_the_sqlstate_at_debug(
    hub_env: dict[str, str],
    admin: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin.execute("insert into core.shops (shop_id, name) values (%s, 'Shop')", [SHOP])
    argv = ["analytics", "pairs", "--shop", str(SHOP), "--min-support", "5"]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err == (
        f"hub: error: shop {SHOP}: analytics.refresh_product_pairs: p_min_support must be a fraction between 0 "
        "and 1, got 5\n"
    )

    monkeypatch.setenv("HUB_LOG_LEVEL", "DEBUG")
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    logged = [line for line in err.splitlines() if 'event="database error"' in line]
    assert len(logged) == 1 and "sqlstate=22023" in logged[0] and "PL/pgSQL function" in logged[0]
    assert err.splitlines()[-1].startswith("hub: error: shop ") and _trace_free(err.splitlines()[-1])


def test_a_refused_translation_step_prints_one_line(
    hub_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["translate", "approve", "987654", "--by", "bob"]) == 1
    err = capsys.readouterr().err
    assert err == "hub: error: no translation 987654\n"


def _raised_from_text(handler: ast.ExceptHandler) -> list[int]:
    """Lines in ``handler`` that raise an error made of the caught one's text: ``str(exc)``,
    ``exc.diag.message_primary``, or (when it catches a database error) ``f"...{exc}"``."""
    catches_database = handler.type is not None and "psycopg" in ast.unparse(handler.type)
    lines = []
    for node in ast.walk(handler):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        for part in ast.walk(node.exc):
            text = ast.unparse(part)
            formatted = isinstance(part, ast.FormattedValue) and ast.unparse(part.value) == handler.name
            if text in (f"str({handler.name})", f"{handler.name}.diag.message_primary") or (
                catches_database and formatted
            ):
                lines.append(node.lineno)
    return lines


def test_no_module_turns_a_caught_error_into_a_hub_error_by_its_text() -> None:
    """``raise SomeError(str(exc))``, ``...(exc.diag.message_primary)``, ``...(f"...: {exc}")`` of a
    database error: the CONTEXT trace goes along, or the DETAIL and HINT are lost; as_hub_error does it."""
    found = []
    for path in sorted((REPO_ROOT / "runner").rglob("*.py")):
        if "sandbox" in path.parts:  # a fake Shoptet: its errors are the fake API's answers
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and node.name:
                found += [f"{path.relative_to(REPO_ROOT)}:{line}" for line in _raised_from_text(node)]
    assert found == []
