"""What a person at the terminal reads: interactive commands log warnings and errors only (their
readable output is not interleaved with INFO lines) unless HUB_LOG_LEVEL says otherwise; the
services log at INFO."""

from __future__ import annotations

import logging

import pytest

from runner import cli


def test_interactive_commands_log_warnings_unless_hub_log_level_says_otherwise(
    hub_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("hub.test_cli_output")
    assert cli.main(["db", "url"]) == 0
    log.info("chatter")
    log.warning("trouble")
    err = capsys.readouterr().err
    assert "chatter" not in err and "trouble" in err

    monkeypatch.setenv("HUB_LOG_LEVEL", "INFO")  # the full log
    assert cli.main(["db", "url"]) == 0
    log.info("chatter")
    assert "level=info" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["serve"], ["worker"], ["sandbox", "serve"]])
def test_services_log_at_info_by_default(argv: list[str]) -> None:
    assert cli.build_parser().parse_args(argv).default_log_level == "INFO"
    assert not hasattr(cli.build_parser().parse_args(["shop", "list"]), "default_log_level")
