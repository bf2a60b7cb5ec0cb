"""GET /feeds/<token>/<file>.xml: a published feed for the marketplaces (no login; the token is
the secret). Mounted by runner/web.py (``ROUTES``); uses its pool (``request.app.state.hub``).

- 404 for an unknown token, a file name other than the feed's (``heureka.xml``, ...), or a feed
  never published.
- ``ETag`` (SHA-256 of the file; ``-gz`` appended for the gzip body) and ``Last-Modified`` (the
  build time); ``If-None-Match`` (either ETag, or ``*``) and, without it, ``If-Modified-Since``
  answer 304.
- ``Accept-Encoding: gzip`` gets the gzip copy built beside the file (``Content-Encoding: gzip``).
"""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from runner.feeds.build import published_path
from runner.feeds.formats import CHANNELS
from runner.queries import query


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().removeprefix("q=").strip() if "q=" in params else "1"
            try:
                return float(q) > 0
            except ValueError:
                return True
    return False


def _not_modified(request: Request, etag: str, built_at: datetime) -> bool:
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags or etag[:-1] + '-gz"' in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            return built_at <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


async def serve_feed(request: Request) -> Response:
    hub: Any = request.app.state.hub
    token, file = request.path_params["token"], request.path_params["file"]
    async with hub.pool.connection(timeout=3.0) as conn:
        cur = await conn.execute(query("feeds.feed_by_token"), {"token": token})
        row = await cur.fetchone()
    if row is None or row[2] is None or CHANNELS[row[1]].file_name != file:
        return PlainTextResponse("no such feed\n", status_code=404)
    feed_id, channel, etag, built_at = row[0], row[1], row[2], row[3]
    gz = _accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "ETag": etag[:-1] + '-gz"' if gz else etag,
        "Last-Modified": format_datetime(built_at, usegmt=True),
        "Cache-Control": "no-cache",
        "Vary": "Accept-Encoding",
    }
    if _not_modified(request, etag, built_at):
        return Response(status_code=304, headers=headers)
    path = published_path(hub.cfg, feed_id, channel, gz=gz)
    if not path.exists():
        return PlainTextResponse("feed file missing: it is being rebuilt\n", status_code=404)
    if gz:
        headers["Content-Encoding"] = "gzip"
    return FileResponse(path, media_type="application/xml; charset=utf-8", headers=headers)


ROUTES = [Route("/feeds/{token}/{file}", serve_feed, methods=["GET", "HEAD"])]
