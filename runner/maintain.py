"""`hub db maintain`: partition maintenance now (the workers run the same hourly)."""

from __future__ import annotations

from typing import Any

from runner.db import Target, connect
from runner.queries import query


def run_maintenance(target: Target) -> dict[str, Any]:
    """Run ops.run_maintenance() once and return its summary (idempotent)."""
    with connect(target, "app") as conn:
        row = conn.execute(query("maintain.run_maintenance")).fetchone()
        conn.commit()
    assert row is not None
    summary: dict[str, Any] = row[0]
    return summary
