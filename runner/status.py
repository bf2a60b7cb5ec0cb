"""`hub status`: the hub's health on one screen, from the monitoring views of ``ops``.

``collect`` reads every section (runner/sql/status.sql, one query each, read from the views of
db/functions/ops/) in one read-only transaction; ``ops.attention()`` decides what needs an
operator, and the exit status follows the monitoring-plugin convention (Nagios, Icinga, Zabbix
agents understand it): 0 all well, 1 only warnings, 2 something critical, 3 unknown (the
database does not answer). ``renderable`` lays the report out with ``rich`` (imported only here,
so `hub --help` stays fast); ``watch`` redraws it until Ctrl-C.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from runner.db import Target, connect
from runner.queries import query

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

OK, WARNING, CRITICAL, UNKNOWN = 0, 1, 2, 3
STATES = {OK: "ok", WARNING: "warning", CRITICAL: "critical", UNKNOWN: "unknown"}
SEVERITY_EXIT = {"warning": WARNING, "critical": CRITICAL}


def _queries() -> dict[str, str]:
    """Section -> query; sections named in SINGLE have one row."""
    return {
        "attention": query("status.attention"),
        "queues": query("status.queues"),
        "workers": query("status.workers"),
        "failed_jobs": query("status.failed_jobs"),
        "stuck_jobs": query("status.stuck_jobs"),
        "syncs": query("status.syncs"),
        "snapshots": query("status.snapshots"),
        "api_calls": query("status.api_calls"),
        "database": query("status.database"),
        "largest_tables": query("status.largest_tables"),
        "slow_statements": query("status.slow_statements"),
        "backups": query("status.backups"),
        "recent_errors": query("status.recent_errors"),
    }


SINGLE = ("database", "backups")


def exit_status(attention: Sequence[dict[str, Any]]) -> int:
    """0 nothing needs attention, 1 warnings only, 2 anything critical."""
    return max((SEVERITY_EXIT.get(str(a["severity"]), CRITICAL) for a in attention), default=OK)


def collect(target: Target) -> dict[str, Any]:
    """Every section of the report, and its status (``exit_status``, ``status``)."""
    from psycopg.rows import dict_row

    report: dict[str, Any] = {"checked_at": datetime.now(UTC).isoformat(timespec="seconds")}
    report["database_target"] = target.description
    with connect(target, "app", connect_timeout=5) as conn:
        conn.read_only = True
        with conn.cursor(row_factory=dict_row) as cur:
            for section, sql in _queries().items():
                rows = cur.execute(sql).fetchall()
                report[section] = (rows[0] if rows else {}) if section in SINGLE else rows
        conn.rollback()
    code = exit_status(report["attention"])
    report["exit_status"] = code
    report["status"] = STATES[code]
    return report


def unreachable(target: Target, error: str) -> dict[str, Any]:
    """The report when the database does not answer (exit status 3)."""
    return {
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database_target": target.description,
        "status": STATES[UNKNOWN],
        "exit_status": UNKNOWN,
        "error": error,
    }


def to_json(report: dict[str, Any], *, compact: bool = False) -> str:
    return json.dumps(report, default=str, indent=None if compact else 2)


# -- text ---------------------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    """3 s, 5 min, 2 h 10 min, 3 d 4 h; '-' for none."""
    if seconds is None:
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def size(nbytes: float | None) -> str:
    if nbytes is None:
        return "-"
    value = float(nbytes)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # not reached


def _when(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.0f} ms"


def _table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, right: Sequence[str] = ()) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", title_style="bold", expand=False, pad_edge=False)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left", overflow="fold")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    return table


def _sync_state(sync: dict[str, Any]) -> str:
    """A row of ops.sync_lag in a word or two: LAGGING, never synced (no run, no snapshot), ok
    (snapshot only: no sync run yet, the data is the import's), ok."""
    if sync["lagging"]:
        return "LAGGING"
    if sync["lag_from"] == "shop added":
        return "never synced"
    return "ok (snapshot only)" if sync["never_synced"] else "ok"


def _sections(report: dict[str, Any]) -> list[RenderableType]:
    """The report's tables, the empty ones left out (queues, database and backups always shown)."""
    from rich.text import Text

    parts: list[RenderableType] = []
    attention = report["attention"]
    if attention:
        parts.append(
            _table(
                "Needs attention",
                ("severity", "check", "subject", "detail", "what to do"),
                [(a["severity"], a["check_name"], a["subject"], a["detail"], a["action"]) for a in attention],
            )
        )
    parts.append(
        _table(
            "Queues",
            ("queue", "todo", "doing", "failed", "stuck", "oldest wait", "oldest task"),
            [
                (
                    q["queue"],
                    q["todo"],
                    q["doing"],
                    q["failed"],
                    q["stuck"],
                    duration(q["oldest_wait_seconds"]),
                    q["oldest_task"] or "",
                )
                for q in report["queues"]
            ],
            right=("todo", "doing", "failed", "stuck", "oldest wait"),
        )
    )
    workers = report["workers"]
    alive = sum(1 for w in workers if w["alive"])
    line = f"Workers: {alive} alive, {len(workers) - alive} silent"
    if workers:
        line += " - " + "; ".join(
            f"#{w['worker_id']} heartbeat {duration(w['since_heartbeat_seconds'])} ago, {w['jobs_doing']} running"
            for w in workers[:6]
        )
    parts.append(Text(line, style="" if alive else "bold red"))
    if report["failed_jobs"]:
        parts.append(
            _table(
                "Failed jobs (newest 10)",
                ("job", "queue", "task", "shop", "failed", "error"),
                [
                    (
                        f["job_id"],
                        f["queue"],
                        f["task"],
                        f["shop_id"] or "",
                        _when(f["failed_at"]),
                        (f["error"] or "")[:160],
                    )
                    for f in report["failed_jobs"]
                ],
            )
        )
    if report["stuck_jobs"]:
        parts.append(
            _table(
                "Stuck jobs",
                ("job", "queue", "task", "worker", "running", "allowed"),
                [
                    (
                        s["job_id"],
                        s["queue"],
                        s["task"],
                        s["worker_id"] or "gone",
                        duration(s["running_seconds"]),
                        duration(s["stuck_after_seconds"]),
                    )
                    for s in report["stuck_jobs"]
                ],
            )
        )
    if report["syncs"]:
        parts.append(
            _table(
                "Syncs",
                ("shop", "entity", "behind", "since", "every", "state", "last error"),
                [
                    (
                        s["shop_id"],
                        s["entity"],
                        duration(s["lag_seconds"]),
                        s["lag_from"],
                        duration(s["interval_seconds"]),
                        _sync_state(s),
                        (s["last_error"] or "")[:100],
                    )
                    for s in report["syncs"]
                ],
                right=("behind", "every"),
            )
        )
    if report["snapshots"]:
        parts.append(
            _table(
                "Snapshot imports (under way or ended in 24 h)",
                ("job", "shop", "entity", "status", "rows", "%", "rows/s", "finish", "retries"),
                [
                    (
                        s["job_id"],
                        s["shop_id"],
                        s["entity"],
                        s["status"],
                        f"{s['processed_count']}/{s['total_count'] if s['total_count'] is not None else '?'}",
                        f"{s['progress_percentage']:.0f}",
                        f"{s['rows_per_second']:.0f}" if s["rows_per_second"] is not None else "-",
                        _when(s["expected_finish_at"]),
                        s["retry_count"],
                    )
                    for s in report["snapshots"]
                ],
                right=("rows", "%", "rows/s", "retries"),
            )
        )
    if report["api_calls"]:
        parts.append(
            _table(
                "Shoptet API, last hour",
                ("shop", "calls", "429", "5xx/none", "4xx", "p50", "p95", "p99", "max", "by status"),
                [
                    (
                        a["shop_id"],
                        a["calls"],
                        a["rate_limited"],
                        a["server_errors"],
                        a["client_errors"],
                        _ms(a["p50_seconds"]),
                        _ms(a["p95_seconds"]),
                        _ms(a["p99_seconds"]),
                        _ms(a["max_seconds"]),
                        " ".join(f"{k}:{v}" for k, v in sorted((a["by_status"] or {}).items())),
                    )
                    for a in report["api_calls"]
                ],
                right=("calls", "429", "5xx/none", "4xx", "p50", "p95", "p99", "max"),
            )
        )
    db = report["database"]
    if db:
        ratio = db["cache_hit_ratio"]
        parts.append(
            Text(
                f"Database {db['database']}: {size(db['database_bytes'])}, "
                f"{db['connections']}/{db['max_connections']} connections, "
                f"cache hit {'-' if ratio is None else f'{ratio:.2%}'}, {db['dead_tuples']} dead tuples, "
                f"oldest transaction {duration(db['oldest_transaction_seconds'])}, "
                f"{db['default_partition_rows']} rows in default partitions, {db['deadlocks']} deadlocks"
            )
        )
    if report["largest_tables"]:
        parts.append(
            Text(
                "Largest: " + ", ".join(f"{t['table_name']} {size(t['total_bytes'])}" for t in report["largest_tables"])
            )
        )
    slow = report["slow_statements"]
    if slow and not slow[0]["available"]:
        parts.append(Text(f"Slow statements: {slow[0]['note']}", style="yellow"))
    elif slow:
        parts.append(
            _table(
                "Slowest statements (mean)",
                ("mean", "calls", "total", "query"),
                [(f"{s['mean_ms']:.1f} ms", s["calls"], f"{s['total_ms']:.0f} ms", s["query"]) for s in slow],
                right=("mean", "calls", "total"),
            )
        )
    b = report["backups"]
    if b and b["newest_backup_id"] is None and b["last_completed_at"] is None:
        parts.append(Text("Backups: none yet (hub backup run)", style="bold red"))
    elif b:
        parts.append(
            Text(
                f"Backups: last verified {_when(b['last_verified_at'])}"
                f" ({duration(b['last_verified_age_seconds'])} ago), last completed {_when(b['last_completed_at'])}, "
                f"newest #{b['newest_backup_id'] or '-'} {b['newest_status'] or 'none'}"
                + (" (not verified)" if b["newest_status"] == "completed" and not b["newest_verified"] else "")
                + (f", {b['running']} running" if b["running"] else "")
            )
        )
    if report["recent_errors"]:
        parts.append(
            _table(
                "Recent warnings and errors (24 h)",
                ("at", "level", "source", "shop", "message"),
                [
                    (_when(e["at"]), e["level"], e["source"], e["shop_id"] or "", (e["message"] or "")[:160])
                    for e in report["recent_errors"]
                ],
            )
        )
    return parts


def renderable(report: dict[str, Any]) -> RenderableType:
    """The whole report for a rich Console."""
    from rich.console import Group
    from rich.text import Text

    code = int(report["exit_status"])
    style = {OK: "bold green", WARNING: "bold yellow", CRITICAL: "bold red", UNKNOWN: "bold red"}[code]
    verdict = {
        OK: "all well",
        WARNING: "needs attention (warning)",
        CRITICAL: "needs attention (critical)",
        UNKNOWN: "unknown: the database does not answer",
    }[code]
    head = Text.assemble(("Shoptet Hub ", "bold"), (verdict, style), f"  {report['checked_at']}  ")
    head.append(report["database_target"], style="dim")
    if code == UNKNOWN:
        return Group(head, Text(str(report.get("error")), style="red"))
    return Group(head, *_sections(report))


def watch(read: Callable[[], dict[str, Any]], console: Console, *, interval: float, as_json: bool) -> int:
    """Redraw the report every ``interval`` seconds until Ctrl-C; the last exit status."""
    from rich.live import Live

    code = UNKNOWN
    if as_json:
        try:
            while True:
                report = read()
                code = int(report["exit_status"])
                print(to_json(report, compact=True), flush=True)
                time.sleep(interval)
        except KeyboardInterrupt:
            return code
    with Live(console=console, auto_refresh=False, screen=False) as live:
        try:
            while True:
                report = read()
                code = int(report["exit_status"])
                live.update(renderable(report), refresh=True)
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
    return code
