"""Database (/database): the hub database's size, sessions and health (ops.db_health), the
largest tables (ops.table_sizes), order-item partitions hot and archived with rows and bytes
(ops.partitions), rows in default partitions (ops.default_partition_rows: should be none), the
slowest statements (ops.slow_statements, pg_stat_statements), connections per role and state
(ops.db_connections), and backups with their verification (ops.backups, keyset by id)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runner.dashboard import data, paging
from runner.dashboard.auth import login_required
from runner.dashboard.render import page
from runner.queries import query


@login_required
async def database(request: Request) -> Response:
    after = paging.after(request, ("backup_id",))
    found = await data.many(
        request,
        {
            "health": (query("dashboard.database_health"), {}),
            "tables": (query("dashboard.database_tables"), {}),
            "partitions": (query("dashboard.database_partitions"), {}),
            "defaults": (query("dashboard.database_default_rows"), {}),
            "slow": (query("dashboard.database_slow_statements"), {}),
            "connections": (query("dashboard.database_connections"), {}),
            "backups": (query("dashboard.backups_page"), {**after, "limit": paging.LIMIT + 1}),
            "backup_status": (query("dashboard.overview_backup"), {}),
        },
    )
    partitions = found["partitions"]
    return page(
        request,
        "database.html",
        title="Database",
        health=found["health"][0] if found["health"] else None,
        tables=found["tables"],
        partitions=partitions,
        hot=[p for p in partitions if p["tier"] == "hot"],
        archived=[p for p in partitions if p["tier"] == "archived"],
        defaults=found["defaults"],
        slow=found["slow"],
        connections=found["connections"],
        backups=paging.Page.of(found["backups"], paging.LIMIT, ("backup_id",), request=request),
        backup_status=found["backup_status"][0] if found["backup_status"] else None,
    )


ROUTES = [Route("/database", database, methods=["GET"])]
