"""Structured logs on stderr: `key=value` text or one JSON object per line (HUB_LOG_FORMAT).

Call sites pass context as ``extra={"ctx": {...}}`` or use ``log(logger, level, event, **fields)``.
Never pass secrets: fields named like a secret are masked as a last line of defence.

`hub worker` and `hub serve` also send their log to the database (``attach``): every WARNING and
higher record becomes a row of ``ops.events`` (level, source = the logger, shop_id from the
fields, message, the fields as context), and procrastinate's job-outcome records (logger
``procrastinate.worker``: action job_success / job_error / job_error_retry / job_aborted*, with
the job and its duration) become job-run figures. The handlers only hand a small dict to a sink
(runner/telemetry.py buffers it; a thread writes every few seconds): a log call never waits for
the database and never fails because of it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, Protocol

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
    handler.setLevel(cfg.log_level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # warnings are made even when stderr shows errors only: ops.events keeps them (attach)
    root.setLevel(min(logging.getLevelNamesMapping()[cfg.log_level], logging.WARNING))
    logging.getLogger("yoyo").setLevel(logging.WARNING)
    # one line per HTTP request is noise at INFO; the client logs its retries itself
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    logger.log(level, event, extra={"ctx": fields})


# -- the log in the database (ops.events) and job-run figures -------------------------------------

EVENT_LEVEL = logging.WARNING
# loggers whose records never go to the database: the writer's own (a failed write must not loop)
_NOT_TO_EVENTS = ("hub.telemetry",)
# procrastinate's job outcomes (its worker's `action` field) -> ops.job_run_totals.status
JOB_OUTCOMES = {
    "job_success": "succeeded",
    "job_error": "failed",
    "job_error_retry": "retried",
    "job_aborted": "aborted",
    "job_aborted_retry": "aborted",
}
MAX_MESSAGE = 2000
MAX_TRACEBACK = 4000


class Sink(Protocol):
    """Where the handlers hand their rows (runner.telemetry.Telemetry)."""

    def event(self, row: dict[str, Any]) -> None: ...

    def job_run(self, queue: str, task: str, status: str, seconds: float) -> None: ...


def _shop_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def event_row(record: logging.LogRecord, process: str) -> dict[str, Any]:
    """A log record as a row of ops.events: at, level, source, shop_id, message, context."""
    fields = _safe(dict(getattr(record, "ctx", None) or {}))
    context: dict[str, Any] = {"process": process, "pid": os.getpid(), "host": socket.gethostname(), **fields}
    job = getattr(record, "job", None)
    if isinstance(job, dict):  # procrastinate's worker: the job the record is about
        given = job.get("task_kwargs")
        kwargs: dict[str, Any] = given if isinstance(given, dict) else {}
        context.update(
            job_id=job.get("id"),
            task=job.get("task_name"),
            queue=job.get("queue"),
            attempts=job.get("attempts"),
            task_kwargs=_safe(kwargs),
        )
        fields.setdefault("shop_id", kwargs.get("shop_id"))
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        context["error"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:MAX_MESSAGE]
        context["traceback"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-MAX_TRACEBACK:]
    return {
        "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
        "level": record.levelname.lower(),
        "source": record.name,
        "shop_id": _shop_id(fields.get("shop_id")),
        "message": record.getMessage()[:MAX_MESSAGE],
        "context": context,
    }


class EventHandler(logging.Handler):
    """WARNING and higher records to ``sink.event`` (ops.events). Never raises."""

    def __init__(self, sink: Sink, process: str):
        super().__init__(EVENT_LEVEL)
        self.sink = sink
        self.process = process

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_NOT_TO_EVENTS):
            return
        try:
            self.sink.event(event_row(record, self.process))
        except Exception:  # noqa: BLE001 - logging must never fail the caller
            pass


class JobOutcomeHandler(logging.Handler):
    """procrastinate's job-outcome records to ``sink.job_run`` (ops.job_run_totals). Never raises."""

    def __init__(self, sink: Sink):
        super().__init__(logging.DEBUG)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        status = JOB_OUTCOMES.get(str(getattr(record, "action", "")))
        job = getattr(record, "job", None)
        if status is None or not isinstance(job, dict):
            return
        try:
            seconds = float(getattr(record, "duration", None) or 0.0)
            self.sink.job_run(str(job.get("queue")), str(job.get("task_name")), status, max(seconds, 0.0))
        except Exception:  # noqa: BLE001 - logging must never fail the caller
            pass


JOB_LOGGER = "procrastinate.worker"


def attach(sink: Sink, *, process: str) -> None:
    """Send this process's warnings and errors, and procrastinate's job outcomes, to ``sink``
    (replacing an earlier sink)."""
    detach()
    logging.getLogger().addHandler(EventHandler(sink, process))
    jobs = logging.getLogger(JOB_LOGGER)
    jobs.addHandler(JobOutcomeHandler(sink))
    if jobs.getEffectiveLevel() > logging.INFO:  # the outcomes are INFO records (a failure is ERROR)
        jobs.setLevel(logging.INFO)


def detach() -> None:
    """Stop sending to the database (``attach`` undone)."""
    for name, kind in (("", EventHandler), (JOB_LOGGER, JobOutcomeHandler)):
        target = logging.getLogger(name)
        for handler in [h for h in target.handlers if isinstance(h, kind)]:
            target.removeHandler(handler)
