"""Snapshots (/snapshots, /snapshots/{id}): snapshot jobs newest first with progress (processed /
total / %, rate, ETA; the page reloads itself every few seconds while one runs), last error, the
bad lines of a job (keyset by line), and Retry (POST /snapshots/{id}/retry): what `hub snapshot
retry` does — a fresh retry budget — with the attempt queued for the workers
(ingest.snapshot_job_retry_now) instead of run in the web process."""

from __future__ import annotations

import logging

import psycopg
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runner.dashboard import data, paging
from runner.dashboard.auth import login_required
from runner.dashboard.render import page
from runner.errors import database_message
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.dashboard")

REFRESH_SECONDS = 3
STATUSES = ("requested", "waiting", "importing", "retrying", "completed", "completed_with_errors", "failed")


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "").strip()
    return int(raw) if raw.isdigit() else None


@login_required
async def snapshots(request: Request) -> Response:
    status = request.query_params.get("status") or None
    if status not in STATUSES:
        status = None
    shop_id = _int_param(request, "shop")
    after = paging.after(request, ("job_id",))
    found = await data.rows(
        request,
        query("dashboard.snapshot_jobs_page"),
        {**after, "shop_id": shop_id, "status": status, "limit": paging.LIMIT + 1},
    )
    jobs = paging.Page.of(found, paging.LIMIT, ("job_id",), request=request)
    running = any(j["active"] and j["status"] != "retrying" for j in jobs.rows)
    return page(
        request,
        "snapshots.html",
        title="Snapshots",
        page=jobs,
        status=status,
        shop_id=shop_id,
        statuses=STATUSES,
        refresh=REFRESH_SECONDS if running else None,
        notice=request.query_params.get("notice"),
    )


@login_required
async def snapshot(request: Request) -> Response:
    job_id = int(request.path_params["job_id"])
    job = await data.row(request, query("dashboard.snapshot_job"), {"job_id": job_id})
    if job is None:
        return page(
            request,
            "message.html",
            status_code=404,
            title="No such snapshot job",
            message=f"Snapshot job {job_id} does not exist.",
            back="/snapshots",
        )
    after = paging.after(request, ("line_no", "field"))
    found = await data.rows(
        request, query("dashboard.snapshot_failures_page"), {**after, "job_id": job_id, "limit": paging.LIMIT + 1}
    )
    return page(
        request,
        "snapshot.html",
        title=f"Snapshot job {job_id}",
        job=job,
        failures=paging.Page.of(found, paging.LIMIT, ("line_no", "field"), request=request),
        refresh=REFRESH_SECONDS if job["active"] and job["status"] != "retrying" else None,
        notice=request.query_params.get("notice"),
    )


@login_required
async def retry(request: Request) -> Response:
    job_id = int(request.path_params["job_id"])
    try:
        found = await data.row(request, query("dashboard.snapshot_retry"), {"job_id": job_id})
    except (psycopg.errors.NoData, psycopg.errors.ObjectNotInPrerequisiteState) as exc:
        return page(
            request,
            "message.html",
            status_code=409 if isinstance(exc, psycopg.errors.ObjectNotInPrerequisiteState) else 404,
            title="Not retried",
            message=database_message(exc),
            back=f"/snapshots/{job_id}",
        )
    queued = found["queued_job_id"] if found else None
    log(logger, logging.INFO, "snapshot job retried from the dashboard", job_id=job_id, queued_job_id=queued)
    return RedirectResponse(f"/snapshots/{job_id}?notice=retry", status_code=303)


ROUTES = [
    Route("/snapshots", snapshots, methods=["GET"]),
    Route("/snapshots/{job_id:int}", snapshot, methods=["GET"]),
    Route("/snapshots/{job_id:int}/retry", retry, methods=["POST"]),
]
