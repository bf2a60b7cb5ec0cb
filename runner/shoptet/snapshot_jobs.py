"""The hub's record of snapshot jobs (ingest.snapshot_jobs, ingest.snapshot_failures) as
`hub snapshot list / show / retry` read and reset it. Running an import is snapshots.py; the
queries are in runner/sql/snapshots.sql."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import psycopg
from psycopg.rows import dict_row

from runner.db import Target, connect
from runner.errors import HubError
from runner.queries import query
from runner.shoptet.snapshots import get_job

RAW_LINE_CHARS = 200
"""How much of a bad line's raw text a report shows."""


class SnapshotJobError(HubError):
    """A snapshot job does not exist, or cannot be done what was asked; the message names it."""


class BadLine(NamedTuple):
    """A line of the snapshot file that was not imported."""

    line_no: int
    error: str
    raw_line: str | None


class FieldWarning(NamedTuple):
    """A line imported with one field left out."""

    line_no: int
    field: str
    warning: str


@dataclass
class JobReport:
    """A job (its ingest.snapshot_jobs row) with its first bad lines and field warnings."""

    job: dict[str, Any]
    failures: list[BadLine] = field(default_factory=list)
    warnings: list[FieldWarning] = field(default_factory=list)


def list_jobs(target: Target, *, shop_id: int | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The newest ``limit`` jobs, of one shop or of all."""
    with connect(target, "app", autocommit=True) as conn:
        return (
            conn.cursor(row_factory=dict_row)
            .execute(query("snapshots.snapshot_jobs_list"), {"shop_id": shop_id, "limit": limit})
            .fetchall()
        )


def job_report(target: Target, job_id: int, *, first: int = 20) -> JobReport:
    """Job ``job_id`` with its first ``first`` bad lines and first ``first`` warnings."""
    with connect(target, "app", autocommit=True) as conn:
        job = _existing_job(conn, job_id)
        failures = conn.execute(
            query("snapshots.snapshot_failures_of_job"), {"raw_chars": RAW_LINE_CHARS, "job_id": job_id, "limit": first}
        ).fetchall()
        warnings = conn.execute(
            query("snapshots.snapshot_warnings_of_job"), {"job_id": job_id, "limit": first}
        ).fetchall()
    return JobReport(job, [BadLine(*row) for row in failures], [FieldWarning(*row) for row in warnings])


def reset_retries(target: Target, job_id: int) -> dict[str, Any]:
    """Give a failed, retrying or completed_with_errors job a fresh retry budget; returns the job."""
    with connect(target, "app", autocommit=True) as conn:
        job = _existing_job(conn, job_id)
        if conn.execute(query("snapshots.snapshot_job_reset_retries"), {"job_id": job_id}).fetchone() is None:
            raise SnapshotJobError(
                f"snapshot job {job_id} is {job['status']}: only failed, retrying or "
                "completed_with_errors jobs are retried"
            )
    return job


def _existing_job(conn: psycopg.Connection, job_id: int) -> dict[str, Any]:
    job = get_job(conn, job_id)
    if job is None:
        raise SnapshotJobError(f"snapshot job {job_id} does not exist (hub snapshot list)")
    return job
