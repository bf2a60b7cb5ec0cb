"""Queues (/queues): procrastinate jobs per queue and status (ops.queue_depth), the oldest waiting
job of each queue (ops.oldest_waiting_jobs), stuck jobs (ops.stuck_jobs) and failed jobs with
their error (ops.failed_jobs, keyset by job id), Retry of a failed job and Cancel of a waiting or
stuck one (procrastinate's own functions), and job runs per hour over the last 24 h as a chart."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runner.dashboard import data, fmt, paging
from runner.dashboard.auth import login_required
from runner.dashboard.charts import line_chart
from runner.dashboard.render import page
from runner.logs import log
from runner.queries import query

logger = logging.getLogger("hub.dashboard")


@login_required
async def queues(request: Request) -> Response:
    after = paging.after(request, ("job_id",))
    found = await data.many(
        request,
        {
            "depth": (query("dashboard.queue_depth"), {}),
            "stuck": (query("dashboard.stuck_jobs"), {}),
            "failed": (query("dashboard.failed_jobs_page"), {**after, "limit": paging.LIMIT + 1}),
            "throughput": (query("dashboard.job_throughput"), {}),
        },
    )
    tz = request.state.timezone
    hours = found["throughput"]
    chart = line_chart(
        [fmt.when(h["hour"], tz)[11:] for h in hours],
        {"succeeded": [h["succeeded"] for h in hours], "failed": [h["failed"] for h in hours]},
        title="Jobs ended per hour, last 24 h",
        unit="jobs/h",
        colours={"succeeded": "#16a34a", "failed": "#dc2626"},
    )
    return page(
        request,
        "queues.html",
        title="Queues",
        depth=found["depth"],
        stuck=found["stuck"],
        failed=paging.Page.of(found["failed"], paging.LIMIT, ("job_id",), request=request),
        chart=chart,
        ran=sum(h["succeeded"] + h["failed"] for h in hours),
        notice=request.query_params.get("notice"),
    )


@login_required
async def retry(request: Request) -> Response:
    job_id = int(request.path_params["job_id"])
    found = await data.row(request, query("dashboard.job_retry"), {"job_id": job_id})
    log(logger, logging.INFO, "job retried from the dashboard", job_id=job_id, retried=found is not None)
    return RedirectResponse(f"/queues?notice={'retried' if found else 'not-failed'}&job={job_id}", status_code=303)


@login_required
async def cancel(request: Request) -> Response:
    job_id = int(request.path_params["job_id"])
    found = await data.row(request, query("dashboard.job_cancel"), {"job_id": job_id})
    done = found is not None and found["cancelled_id"] is not None
    log(logger, logging.INFO, "job cancelled from the dashboard", job_id=job_id, cancelled=done)
    return RedirectResponse(f"/queues?notice={'cancelled' if done else 'not-cancelled'}&job={job_id}", status_code=303)


ROUTES = [
    Route("/queues", queues, methods=["GET"]),
    Route("/queues/jobs/{job_id:int}/retry", retry, methods=["POST"]),
    Route("/queues/jobs/{job_id:int}/cancel", cancel, methods=["POST"]),
]
