"""Templates of the dashboard: one jinja2 environment (autoescaping on), the navigation, the
filters of runner/dashboard/fmt.py, the chart functions, and ``page()`` that renders a template
into a response with what every page needs (navigation, CSRF token, time zone)."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from runner.dashboard import charts, fmt

NAV: tuple[tuple[str, str], ...] = (
    ("/", "Overview"),
    ("/shops", "Shops"),
    ("/snapshots", "Snapshots"),
    ("/queues", "Queues"),
    ("/database", "Database"),
    ("/customers", "Customers"),
    ("/segments", "Segments"),
    ("/inventory", "Inventory"),
)
"""The pages in the navigation bar: path (a contract, docs/dashboard.md) and label."""


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("runner.dashboard", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=fmt.number,
        money=fmt.money,
        percent=fmt.percent,
        ratio=fmt.ratio,
        size=fmt.size,
        duration=fmt.duration,
        when=fmt.when,
        day=fmt.day,
        ago=fmt.ago,
    )
    env.globals.update(
        nav=NAV, bar_chart=charts.bar_chart, line_chart=charts.line_chart, DASH=fmt.DASH, LAG_FROM=fmt.LAG_FROM
    )
    return env


def section_of(path: str) -> str:
    """The navigation entry a path belongs to (/shops/123 -> /shops)."""
    best = "/"
    for href, _ in NAV:
        if href != "/" and (path == href or path.startswith(href + "/")):
            best = href
    return best


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page of the dashboard: the template with the request, the session's CSRF token, the
    current navigation entry and the display time zone (context may override)."""
    session = getattr(request.state, "session", None)
    base: dict[str, Any] = {
        "request": request,
        "csrf": session.csrf if session is not None else "",
        "signed_in": bool(session is not None and session.auth),
        "current": section_of(request.url.path),
        "tz": getattr(request.state, "timezone", fmt.DEFAULT_TIMEZONE),
        "refresh": None,
    }
    base.update(context)
    return HTMLResponse(render(template, **base), status_code=status_code, headers=NO_STORE)


NO_STORE = {"Cache-Control": "no-store", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
"""Headers of every dashboard page: never cached (they hold data and a CSRF token), never framed."""
