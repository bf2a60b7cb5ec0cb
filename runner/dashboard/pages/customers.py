"""The Customers page (/customers): a placeholder route of branch web-core, replaced by branch web-pages
(which owns this file, its templates and runner/sql/dashboard_customers.sql)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runner.dashboard.auth import login_required
from runner.dashboard.render import page


@login_required
async def customers(request: Request) -> Response:
    return page(request, "placeholder.html", title="Customers")


ROUTES = [Route("/customers", customers, methods=["GET"])]
