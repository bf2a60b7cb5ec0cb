"""Snapshot import: request -> wait -> stream gzip JSON Lines -> COPY -> set-based apply.

1. ``GET /api/{entity}/snapshot`` answers 202 with a ``jobId`` (403 without a registered
   ``job:finished`` webhook).
2. Wait for the file: the web app records ``job:finished`` (``on_job_finished``); meanwhile
   the job list ``GET /api/system/jobs`` is polled with growing pauses (up to a minute) for
   the job's status; its detail ``GET /api/system/jobs/{jobId}`` is asked only once the job
   is finished, or at most ``MAX_POLLS`` times when the list does not show it (Shoptet
   answers 403 to the 11th detail request of an unfinished job); never past the deadline
   (Shoptet fails a job after 3 hours without sending ``job:finished``).
3. Stream ``resultUrl``: download in pieces -> gunzip -> split lines -> chunks of lines,
   each parsed, COPYed into staging and applied in ONE transaction together with the
   job's progress (runner/shoptet/ingest.py). Memory stays at one chunk.
4. Bad lines go to ``ingest.snapshot_failures`` and the job ends ``completed_with_errors``;
   lines imported with a field left out (a GUID field that is not a GUID) get a warning there
   (severity 'warning', the field; the first ``WARNING_ROWS`` of an attempt, all are counted in
   ``warning_count``), which neither marks the job nor stops the deletion inference;
   a truncated gzip or a broken download fails the job (the applied chunks stay, nothing
   is half-applied) and the hourly retry repeats it (``ingest.snapshot_jobs_due_for_retry``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

import httpx
import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from runner.logs import log
from runner.queries import query
from runner.shoptet import errors
from runner.shoptet.client import ShoptetClient
from runner.shoptet.ingest import ENTITIES, Stager, record_failures, record_seen, record_warnings

logger = logging.getLogger("hub.snapshots")

SNAPSHOT_PATHS = {entity: f"/api/{entity}/snapshot" for entity in ENTITIES}
CHUNK_LINES = {"orders": 500, "customers": 2000, "products": 500}
DOWNLOAD_PIECE = 1 << 20
WARNING_ROWS = 10_000  # field-level warnings kept per attempt in ingest.snapshot_failures (all are counted)
MAX_POLLS = 9  # Shoptet answers 403 to the 11th detail request of an unfinished job
FAILED_STATUSES = {"failed": "failed", "expired": "expired before it was read", "killed": "was killed"}
RESULT_REUSE_SECONDS = 20 * 3600  # a result file is kept 24 h; reuse it on retry within 20 h
# when the job's detail is asked: it is over (webhook or list), or the list does not show it
DETAIL_WORTHY = frozenset(("finished", "unknown", "completed", *FAILED_STATUSES))


@dataclass
class Options:
    deadline_seconds: float = 3 * 3600 + 600
    first_poll_seconds: float = 1.0
    max_poll_interval: float = 60.0
    watch_interval: float = 0.5
    chunk_lines: int | None = None


@dataclass
class Progress:
    job_id: int
    entity: str
    phase: str
    processed: int = 0
    failed: int = 0
    total: int | None = None
    estimate: bool = True
    percent: float = 0.0
    rate: float = 0.0
    eta_seconds: float | None = None


ProgressCallback = Callable[[Progress], None]


class SnapshotFailed(Exception):
    """The attempt failed; the job is marked failed (and will be retried while it has retries)."""

    def __init__(self, job_id: int, message: str, retries_left: int):
        super().__init__(message)
        self.job_id = job_id
        self.retries_left = retries_left


def create_job(conn: psycopg.Connection, shop_id: int, entity: str, *, filters: dict[str, Any] | None = None,
               max_retries: int = 3) -> int:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}: expected {', '.join(ENTITIES)}")
    row = conn.execute(query("snapshot_job_create"), (shop_id, entity, Jsonb(filters or {}), max_retries)).fetchone()
    assert row is not None
    return int(row[0])


def get_job(conn: psycopg.Connection, job_id: int) -> dict[str, Any] | None:
    return conn.cursor(row_factory=dict_row).execute(query("snapshot_job_get"), (job_id,)).fetchone()


def on_job_finished(conn: psycopg.Connection, shop_id: int, shoptet_job_id: str) -> list[int]:
    """``job:finished`` arrived for a Shoptet job: mark the hub's jobs that wait for it ready."""
    return [r[0] for r in conn.execute(query("snapshot_job_on_finished"), (shop_id, shoptet_job_id)).fetchall()]


def run_job(conn: psycopg.Connection, client: ShoptetClient, job_id: int, *, progress: ProgressCallback | None = None,
            options: Options | None = None) -> dict[str, Any]:
    """One attempt of a snapshot job, start to end. ``conn`` is autocommit-off; every step commits.

    Returns the finished job's outcome; raises SnapshotFailed after marking the job failed."""
    opts = options or Options()
    job = get_job(conn, job_id)
    if job is None:
        raise ValueError(f"snapshot job {job_id} does not exist")
    conn.execute(query("snapshot_job_start"), {"id": job_id})
    conn.commit()
    entity, shop_id = job["entity"], job["shop_id"]
    started = time.monotonic()
    try:
        url = _reusable_result(job)
        if url is None:
            url = _request_and_wait(conn, client, job, opts, progress)
        conn.execute(query("snapshot_job_importing"), (url, job_id))
        conn.commit()
        total = _stream(conn, client, job, url, opts, progress, started)
        row = conn.execute(query("snapshot_job_finish"), (job_id, total)).fetchone()
        conn.commit()
        outcome = dict(row[0]) if row else {}
        outcome.update(job_id=job_id, lines=total, seconds=round(time.monotonic() - started, 1))
        log(logger, logging.INFO, "snapshot imported", shop_id=shop_id, entity=entity, **outcome)
        return outcome
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job, then re-raised
        conn.rollback()
        message = _explain(exc)
        row = conn.execute(query("snapshot_job_fail"), (job_id, message)).fetchone()
        conn.commit()
        left = int(row[0]) if row and row[0] is not None else 0
        log(logger, logging.WARNING, "snapshot import failed", shop_id=shop_id, entity=entity, job_id=job_id,
            error=message, retries_left=left)
        raise SnapshotFailed(job_id, message, left) from exc


def _explain(exc: BaseException) -> str:
    if isinstance(exc, (errors.ShoptetError, SnapshotStreamError)):
        return str(exc)
    if isinstance(exc, psycopg.Error):
        return f"database error: {exc}".strip()
    return f"{type(exc).__name__}: {exc}"


def _reusable_result(job: dict[str, Any]) -> str | None:
    """A retry within 20 h of the file being ready reads the same file again."""
    ready = job.get("ready_at")
    if job.get("result_url") and ready is not None and time.time() - ready.timestamp() < RESULT_REUSE_SECONDS:
        return str(job["result_url"])
    return None


def _request_and_wait(conn: psycopg.Connection, client: ShoptetClient, job: dict[str, Any], opts: Options,
                      progress: ProgressCallback | None) -> str:
    path = SNAPSHOT_PATHS[job["entity"]]
    envelope = client.request("GET", path, params=job.get("filters") or {})
    data = envelope.get("data") or {}
    shoptet_job = data.get("jobId") if isinstance(data, dict) else None
    if not shoptet_job:
        raise errors.SnapshotError(f"GET {path}: Shoptet accepted the request but sent no jobId", method="GET", path=path)
    conn.execute(query("snapshot_job_waiting"), (str(shoptet_job), job["id"]))
    conn.commit()
    log(logger, logging.INFO, "snapshot requested", shop_id=job["shop_id"], entity=job["entity"],
        job_id=job["id"], shoptet_job=shoptet_job)
    deadline = time.monotonic() + opts.deadline_seconds
    since = datetime.now(timezone.utc) - timedelta(minutes=5)
    interval = opts.first_poll_seconds
    next_poll = time.monotonic() + interval
    detail_polls = 0
    while True:
        now = time.monotonic()
        if now >= deadline:
            raise errors.SnapshotError(
                f"Shoptet job {shoptet_job} did not finish within {opts.deadline_seconds / 60:.0f} minutes "
                "(Shoptet fails such jobs after 3 hours and then sends no job:finished)", path=path)
        notified = bool((conn.execute(query("snapshot_job_ready_seen"), (job["id"],)).fetchone() or [False])[0])
        conn.commit()
        status = None
        if notified or now >= next_poll:
            # the job list tells the status without spending the job's 10 detail requests
            status = "finished" if notified else _listed_status(client, str(shoptet_job), since)
            if status is None and detail_polls < MAX_POLLS:  # not listed: ask the detail, sparingly
                detail_polls += 1
                status = "unknown"
            if status in DETAIL_WORTHY:
                info = (client.get(f"/api/system/jobs/{shoptet_job}") or {}).get("job") or {}
                status = info.get("status")
                if status == "completed":
                    url = info.get("resultUrl")
                    if not url:
                        raise errors.SnapshotError(f"Shoptet job {shoptet_job} completed without a result file"
                                                   + (f": {info.get('log')}" if info.get("log") else ""), path=path)
                    return str(httpx.URL(client.base_url + "/").join(str(url)))  # absolute, as documented
                if status in FAILED_STATUSES:
                    raise errors.SnapshotError(f"Shoptet job {shoptet_job} {FAILED_STATUSES[status]}"
                                               + (f": {info.get('log')}" if info.get("log") else ""), path=path)
            interval = min(interval * 1.5, opts.max_poll_interval)
            next_poll = time.monotonic() + interval
            if progress:
                progress(Progress(job["id"], job["entity"], f"waiting for Shoptet ({status or 'unknown'})"))
        time.sleep(opts.watch_interval)


def _listed_status(client: ShoptetClient, shoptet_job: str, since: datetime) -> str | None:
    """The job's status from GET /api/system/jobs (created since ``since``), None when not listed
    (or when the list cannot be read: then the job's detail is asked, sparingly)."""
    try:
        for page in client.iter_pages("/api/system/jobs", "jobs", {"creationTimeFrom": since}, items_per_page=500):
            for listed in page:
                if isinstance(listed, dict) and str(listed.get("jobId")) == shoptet_job:
                    return str(listed.get("status") or "") or None
    except (errors.NotFound, errors.Forbidden, errors.BadRequest):
        return None
    return None


class SnapshotStreamError(Exception):
    """The result file could not be read to its end (truncated gzip, broken download)."""


def gunzip_lines(pieces: Iterator[bytes], counter: list[int]) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a gzip JSON-Lines stream; blank lines skipped; ``counter[0]`` is
    the compressed bytes consumed. Raises SnapshotStreamError when the stream ends early."""
    decompressor = zlib.decompressobj(wbits=31)
    pending = b""
    line_no = 0
    for piece in pieces:
        counter[0] += len(piece)
        while piece:
            data = decompressor.decompress(piece)
            piece = b""
            if decompressor.eof and decompressor.unused_data:  # concatenated gzip members
                piece = decompressor.unused_data
                decompressor = zlib.decompressobj(wbits=31)
            if not data:
                continue
            lines = (pending + data).split(b"\n")
            pending = lines.pop()
            for line in lines:
                line_no += 1
                if line_no == 1 and line.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte order mark
                    line = line[3:]
                if line.strip():
                    yield line_no, line
    if not decompressor.eof:
        raise SnapshotStreamError(f"the result file is truncated: the gzip stream ended after {counter[0]:,} "
                                  f"bytes ({line_no:,} lines) without its end marker")
    pending += decompressor.flush()
    if pending.strip():
        yield line_no + 1, pending


def _pieces(response: httpx.Response, url: str, counter: list[int]) -> Iterator[bytes]:
    try:
        yield from response.iter_raw(DOWNLOAD_PIECE)
    except httpx.HTTPError as exc:
        raise SnapshotStreamError(f"the download of the result file broke off after {counter[0]:,} bytes "
                                  f"({type(exc).__name__}: {exc})") from None


_END = object()


def _prepare_chunks(stager: Stager, lines: Iterator[tuple[int, bytes]], chunk_size: int, out: "queue.Queue[Any]",
                    stop: threading.Event) -> None:
    """Parser thread: download -> gunzip -> lines -> parsed chunks, handed over through a small
    queue (at most CHUNKS_AHEAD chunks in memory). An error is handed over as well."""
    try:
        chunk: list[tuple[int, bytes]] = []
        for item in lines:
            chunk.append(item)
            if len(chunk) >= chunk_size:
                out.put(stager.prepare(chunk))
                chunk = []
                if stop.is_set():
                    return
        if chunk:
            out.put(stager.prepare(chunk))
        out.put(_END)
    except BaseException as exc:  # noqa: BLE001 - re-raised by the consumer
        out.put(exc)


CHUNKS_AHEAD = 1


def _stream(conn: psycopg.Connection, client: ShoptetClient, job: dict[str, Any], url: str, opts: Options,
            progress: ProgressCallback | None, started: float) -> int:
    """Download, parse and apply the file. Parsing runs in a thread while this one COPYs and
    applies the previous chunk (the database work releases the GIL)."""
    job_id, shop_id, entity = job["id"], job["shop_id"], job["entity"]
    full = not job.get("filters")
    chunk_size = opts.chunk_lines or CHUNK_LINES[entity]
    stager = Stager(conn, shop_id, entity, job_id=job_id, direct=True)
    processed = failed = warnings = 0
    counter = [0]
    # a chunk lost to a server crash is re-read by the retry (progress commits with its data), so
    # the import need not wait for each commit's WAL flush
    conn.execute("set synchronous_commit = off")
    conn.commit()
    with client.download(url) as response:
        length = int(response.headers.get("Content-Length") or 0)
        lines = gunzip_lines(_pieces(response, url, counter), counter)
        chunks: queue.Queue[Any] = queue.Queue(maxsize=CHUNKS_AHEAD)
        stop = threading.Event()
        parser = threading.Thread(target=_prepare_chunks, args=(stager, lines, chunk_size, chunks, stop),
                                  name=f"snapshot-{job_id}-parser", daemon=True)
        parser.start()
        try:
            while True:
                prepared = chunks.get()
                if prepared is _END:
                    break
                if isinstance(prepared, BaseException):
                    raise prepared
                with conn.transaction():
                    result = stager.apply(prepared)
                    record_failures(conn, shop_id, job_id, result.failures)
                    room = WARNING_ROWS - warnings
                    if room > 0:
                        record_warnings(conn, shop_id, job_id, result.warnings[:room])
                    warnings += result.warning_count
                    if full:
                        record_seen(conn, job_id, result.keys)
                    processed += result.lines
                    failed += len(result.failures)
                    elapsed = max(time.monotonic() - started, 1e-6)
                    fraction = min(counter[0] / length, 1.0) if length else None
                    total = int(processed / fraction) if fraction else None
                    percent = round(min(fraction * 100, 99.99), 2) if fraction else 0.0
                    rate = processed / elapsed
                    conn.execute(query("snapshot_job_progress"), {
                        "id": job_id, "processed": processed, "failed": failed, "warnings": warnings, "total": total,
                        "bytes": counter[0], "percent": percent, "rate": round(rate, 1)})
                conn.commit()
                if progress:
                    eta = (total - processed) / rate if total and rate else None
                    progress(Progress(job_id, entity, "importing", processed, failed, total, True, percent, rate, eta))
        finally:
            stop.set()
            while parser.is_alive():  # unblock a parser waiting on a full queue, then let it end
                try:
                    chunks.get(timeout=0.1)
                except queue.Empty:
                    pass
            parser.join()
    return processed


def import_snapshot(conn: psycopg.Connection, client: ShoptetClient, shop_id: int, entity: str, *,
                    filters: dict[str, Any] | None = None, progress: ProgressCallback | None = None,
                    options: Options | None = None) -> dict[str, Any]:
    """Create a snapshot job for a shop's entity and run it once (``hub snapshot import``)."""
    job_id = create_job(conn, shop_id, entity, filters=filters)
    conn.commit()
    return run_job(conn, client, job_id, progress=progress, options=options)
