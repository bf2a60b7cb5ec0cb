"""Housekeeping: delete what has served its purpose (old processed webhook events, ended
procrastinate jobs, old log rows, ...), in batches of ``housekeeping.batch_rows`` rows, each its
own transaction, so that no lock on procrastinate's busy tables is held for long. What goes and
when is SQL (ops.housekeeping_batch, ages from ops.housekeeping_settings); this module only
loops over the kinds and their batches, then logs one ops.events row with the counts.

Run by the daily task ``housekeeping`` (runner/tasks.py) and ``hub db housekeeping``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from runner.errors import HubError, as_hub_error
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.housekeeping")


class HousekeepingError(HubError):
    """Housekeeping cannot run: a bad housekeeping.* setting, or another run holds the lock."""


@dataclass
class HousekeepingRun:
    """What one run removed (or, with dry_run, would remove): rows per table, in the order
    deleted; the ages it used; batches (transactions) and seconds; the ops.events row."""

    dry_run: bool
    removed: dict[str, int] = field(default_factory=dict)
    ages: dict[str, int] = field(default_factory=dict)
    batches: int = 0
    seconds: float = 0.0
    event_id: int | None = None

    @property
    def total(self) -> int:
        return sum(self.removed.values())

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"total": self.total}


def run(conn: psycopg.Connection, *, dry_run: bool = False) -> HousekeepingRun:
    """Run housekeeping on ``conn`` (autocommit, not in a transaction: every batch commits on its
    own). With ``dry_run`` nothing is deleted or logged: each kind's rows are counted."""
    if not conn.autocommit:
        raise HousekeepingError("housekeeping needs an autocommit connection (each batch is its own transaction)")
    started = time.monotonic()
    result = HousekeepingRun(dry_run=dry_run)
    try:
        ages = conn.execute(query("housekeeping.settings")).fetchone()
    except psycopg.errors.InvalidParameterValue as exc:
        raise as_hub_error(exc, HousekeepingError, "housekeeping") from None
    assert ages is not None
    result.ages = dict(ages[0])
    locked = conn.execute(query("housekeeping.try_lock")).fetchone()
    if not (locked and locked[0]):
        raise HousekeepingError("housekeeping: another run is under way (advisory lock ops.housekeeping); try later")
    try:
        kinds = conn.execute(query("housekeeping.kinds")).fetchone()
        assert kinds is not None
        limit = None if dry_run else int(result.ages["batch_rows"])
        for kind in kinds[0]:
            while True:
                with conn.transaction():
                    rows = conn.execute(
                        query("housekeeping.batch"), {"kind": kind, "limit": limit, "dry_run": dry_run}
                    ).fetchall()
                result.batches += 1
                for what, deleted in rows:
                    result.removed[what] = result.removed.get(what, 0) + int(deleted)
                if limit is None or int(rows[0][1]) < limit:
                    break
    finally:
        conn.execute(query("housekeeping.unlock"))
    result.seconds = round(time.monotonic() - started, 3)
    if not dry_run:
        context = {"removed": result.removed, "seconds": result.seconds, "ages": result.ages, "batches": result.batches}
        row = conn.execute(
            query("housekeeping.log_run"),
            {"message": f"housekeeping removed {result.total} rows", "context": Jsonb(context)},
        ).fetchone()
        result.event_id = int(row[0]) if row else None
    log(
        logger,
        logging.INFO,
        "housekeeping dry run" if dry_run else "housekeeping done",
        seconds=result.seconds,
        batches=result.batches,
        **{what.replace(".", "_"): n for what, n in result.removed.items()},
    )
    return result
