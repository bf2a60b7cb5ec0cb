"""Structured logs on stderr: `key=value` text or one JSON object per line (HUB_LOG_FORMAT).

Call sites pass context as ``extra={"ctx": {...}}`` or use ``log(logger, level, event, **fields)``.
Never pass secrets: fields named like a secret are masked as a last line of defence.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from runner.config import Config

_SECRET_WORDS = ("token", "secret", "password", "key")
# field names that contain a secret word but never hold a secret
_NOT_SECRET = frozenset(("key_name", "entity_key"))


def _safe(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        k: ("***" if any(w in k.lower() for w in _SECRET_WORDS) and k not in _NOT_SECRET else v)
        for k, v in fields.items()
    }


class _Formatter(logging.Formatter):
    def __init__(self, as_json: bool):
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        fields.update(_safe(getattr(record, "ctx", {}) or {}))
        if record.exc_info:
            fields["error"] = self.formatException(record.exc_info).splitlines()[-1]
        if self.as_json:
            return json.dumps(fields, default=str, ensure_ascii=False)
        return " ".join(f"{k}={_quote(v)}" for k, v in fields.items())


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if (not text or any(c in text for c in ' "=\n')) else text


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a record is emitted (not the stream of the moment
    `configure` ran: background threads outlive redirected or closed streams)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure(cfg: Config) -> None:
    handler = _StderrHandler()
    handler.setFormatter(_Formatter(cfg.log_format == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(cfg.log_level)
    logging.getLogger("yoyo").setLevel(logging.WARNING)
    # one line per HTTP request is noise at INFO; the client logs its retries itself
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    logger.log(level, event, extra={"ctx": fields})
