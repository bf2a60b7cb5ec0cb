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
   ``warning_count``), which neither marks the job nor stops the deletion inference.
5. A broken download (truncated gzip, a connection dropped mid-body, a corrupt stream) is
   resumed at once, in the same attempt, from the same ``resultUrl`` while it is valid (the
   job detail's ``validUntil``, kept in ``ingest.snapshot_jobs.result_valid_until``): up to
   ``Options.download_attempts`` downloads with a doubling pause. The file is read again
   from its start and the lines up to ``resume_after_line`` -- the last line of the last
   committed chunk, committed with the data -- are gunzipped and skipped, not parsed or
   applied: so nothing is applied twice and nothing is lost, wherever the cut fell (even in
   the last line or the gzip trailer). HTTP ``Range`` is not used: a gzip stream cannot be
   gunzipped from the middle without the decompressor's state at that byte, and skipping
   gunzipped lines costs a fraction of parsing them. Only when every download broke does the
   attempt fail (the applied chunks stay, nothing is half-applied); the hourly retry
   (``ingest.snapshot_jobs_due_for_retry``) then reuses the still-valid file and resumes
   after the same line (``ingest.snapshot_job_start``), and asks Shoptet for a new snapshot
   only when the file expired or answers 403 / 404 / 410.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import httpx
import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from runner.connection import open_connection
from runner.errors import HubError, summarize
from runner.logs import log
from runner.queries import query
from runner.shoptet import documents, errors
from runner.shoptet.client import ShoptetClient, parse_datetime
from runner.shoptet.ingest import (
    ENTITIES,
    Prepared,
    Stager,
    UnchangedLookup,
    analyze_written,
    record_failures,
    record_seen,
    record_warnings,
)
from runner.shoptet.languages import other_languages

logger = logging.getLogger("hub.snapshots")

SNAPSHOT_PATHS = {entity: f"/api/{entity}/snapshot" for entity in ENTITIES}
CHUNK_LINES = {"orders": 500, "customers": 2000, "products": 500}
DOWNLOAD_PIECE = 1 << 20
WARNING_ROWS = 10_000  # field-level warnings kept per attempt in ingest.snapshot_failures (all are counted)
MAX_POLLS = 9  # Shoptet answers 403 to the 11th detail request of an unfinished job
FAILED_STATUSES = {"failed": "failed", "expired": "expired before it was read", "killed": "was killed"}
# when the job's detail is asked: it is over (webhook or list), or the list does not show it
DETAIL_WORTHY = frozenset(("finished", "unknown", "completed", *FAILED_STATUSES))


@dataclass
class Options:
    deadline_seconds: float = 3 * 3600 + 600
    first_poll_seconds: float = 1.0
    max_poll_interval: float = 60.0
    watch_interval: float = 0.5
    chunk_lines: int | None = None
    download_attempts: int = 4  # downloads of a result file per attempt: the first and 3 resumes
    resume_pause_seconds: float = 1.0  # pause before the n-th resume: this x 2^(n-1) seconds (1, 2, 4)
    compare_all: bool = False  # stage and compare every line, even those whose version the hub holds


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


class SnapshotFailed(HubError):
    """The attempt failed; the job is marked failed (and will be retried while it has retries)."""

    def __init__(self, job_id: int, message: str, retries_left: int):
        super().__init__(message)
        self.job_id = job_id
        self.retries_left = retries_left


def create_job(
    conn: psycopg.Connection, shop_id: int, entity: str, *, filters: dict[str, Any] | None = None, max_retries: int = 3
) -> int:
    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}: expected {', '.join(ENTITIES)}")
    row = conn.execute(
        query("snapshots.snapshot_job_create"),
        {"shop_id": shop_id, "entity": entity, "filters": Jsonb(filters or {}), "max_retries": max_retries},
    ).fetchone()
    assert row is not None
    return int(row[0])


def get_job(conn: psycopg.Connection, job_id: int) -> dict[str, Any] | None:
    return conn.cursor(row_factory=dict_row).execute(query("snapshots.snapshot_job_get"), {"job_id": job_id}).fetchone()


def on_job_finished(conn: psycopg.Connection, shop_id: int, shoptet_job_id: str) -> list[int]:
    """``job:finished`` arrived for a Shoptet job: mark the hub's jobs that wait for it ready."""
    return [
        r[0]
        for r in conn.execute(
            query("snapshots.snapshot_job_on_finished"), {"shop_id": shop_id, "shoptet_job_id": shoptet_job_id}
        ).fetchall()
    ]


def run_job(
    conn: psycopg.Connection,
    client: ShoptetClient,
    job_id: int,
    *,
    progress: ProgressCallback | None = None,
    options: Options | None = None,
) -> dict[str, Any]:
    """One attempt of a snapshot job, start to end. ``conn`` is autocommit-off; every step commits.

    Returns the finished job's outcome; raises SnapshotFailed after marking the job failed."""
    opts = options or Options()
    if get_job(conn, job_id) is None:
        raise ValueError(f"snapshot job {job_id} does not exist")
    reuse = conn.execute(query("snapshots.snapshot_job_start"), {"job_id": job_id}).fetchone()
    conn.commit()
    job = get_job(conn, job_id)
    assert job is not None and reuse is not None
    entity, shop_id = job["entity"], job["shop_id"]
    started = time.monotonic()
    try:
        position: _Position | None = None
        url, resume_after, valid_until = reuse
        if url is not None:
            position = _Position(
                line=int(resume_after),
                processed=int(job["processed_count"]),
                failed=int(job["failed_count"]),
                warnings=int(job["warning_count"]),
            )
            log(
                logger,
                logging.INFO,
                "snapshot reuses the result file of an earlier attempt",
                shop_id=shop_id,
                entity=entity,
                job_id=job_id,
                resume_after_line=position.line,
                valid_until=valid_until.isoformat() if valid_until else None,
            )
            try:
                _import_file(conn, client, job, str(url), valid_until, position, opts, progress, started)
            except errors.ResultGone as exc:
                conn.rollback()
                log(
                    logger,
                    logging.WARNING,
                    "the earlier result file is gone: asking Shoptet for a new snapshot",
                    shop_id=shop_id,
                    entity=entity,
                    job_id=job_id,
                    error=str(exc),
                )
                position = None
        if position is None:
            url, valid_until = _request_and_wait(conn, client, job, opts, progress)
            position = _Position()
            _import_file(conn, client, job, url, valid_until, position, opts, progress, started)
        total = position.processed
        row = conn.execute(query("snapshots.snapshot_job_finish"), {"job_id": job_id, "total": total}).fetchone()
        conn.commit()
        outcome = dict(row[0]) if row else {}
        # nothing else analyzes what the import wrote: a first load COPYs orders and lines straight
        # into their partitions (ingest._copy_new_orders), and autovacuum never analyzes a parent
        analyzed = analyze_written(conn, shop_id, entity, job_id=job_id)
        outcome.update(
            job_id=job_id,
            lines=total,
            downloads=position.downloads,
            unchanged=position.unchanged,
            analyzed=len(analyzed),
            seconds=round(time.monotonic() - started, 1),
        )
        log(logger, logging.INFO, "snapshot imported", shop_id=shop_id, entity=entity, **outcome)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the job, then re-raised
        _fail(conn, job_id, shop_id, entity, exc)
    if entity == "products" and "language" not in (job.get("filters") or {}):
        languages = _import_languages(conn, client, job, progress, opts)
        if languages:
            outcome["languages"] = languages
    return outcome


def _fail(conn: psycopg.Connection, job_id: int, shop_id: int, entity: str, exc: Exception) -> NoReturn:
    """Record the attempt's failure on the job and raise SnapshotFailed."""
    conn.rollback()
    message = summarize(exc)
    row = conn.execute(query("snapshots.snapshot_job_fail"), {"job_id": job_id, "error": message}).fetchone()
    conn.commit()
    left = int(row[0]) if row and row[0] is not None else 0
    log(
        logger,
        logging.WARNING,
        "snapshot import failed",
        shop_id=shop_id,
        entity=entity,
        job_id=job_id,
        error=message,
        retries_left=left,
    )
    raise SnapshotFailed(job_id, message, left) from exc


def _import_languages(
    conn: psycopg.Connection,
    client: ShoptetClient,
    job: dict[str, Any],
    progress: ProgressCallback | None,
    opts: Options,
) -> dict[str, Any]:
    """After a products snapshot in the shop's default language: one more snapshot per other
    language of the shop (``?language=L``, without the include sections: texts only), each its own
    job (filters ``{"language": L}`` plus the default job's filters; retried like any job), whose
    texts go to catalog.product_texts. A one-language shop: nothing, not even a request. A failed
    language snapshot does not undo the default one: its job is retried by the hourly retry and the
    failure is in its outcome. {language: outcome or {"job_id", "error", "retries_left"}}."""
    shop_id = job["shop_id"]
    languages = other_languages(conn, shop_id)
    conn.commit()
    out: dict[str, Any] = {}
    for language in languages:
        child = create_job(conn, shop_id, "products", filters={**(job.get("filters") or {}), "language": language})
        conn.commit()
        try:
            out[language] = run_job(conn, client, child, progress=progress, options=opts)
        except SnapshotFailed as exc:
            out[language] = {"job_id": child, "error": str(exc), "retries_left": exc.retries_left}
    return out


@dataclass
class _Position:
    """How far an attempt has got in its result file: what its committed chunks cover."""

    line: int = 0  # the last line number applied and committed (a resumed download skips up to it)
    processed: int = 0  # lines read: applied or dead-lettered
    failed: int = 0  # lines dead-lettered
    warnings: int = 0  # field-level warnings (the first WARNING_ROWS are kept)
    downloads: int = 0  # downloads of the file in this attempt
    unchanged: int = 0  # lines skipped in this attempt: the hub holds their version (ingest.snapshot_unchanged)


def _import_file(
    conn: psycopg.Connection,
    client: ShoptetClient,
    job: dict[str, Any],
    url: str,
    valid_until: datetime | None,
    position: _Position,
    opts: Options,
    progress: ProgressCallback | None,
    started: float,
) -> None:
    """Mark the job importing ``url`` and stream it (resuming broken downloads) into the database."""
    conn.execute(query("snapshots.snapshot_job_importing"), {"url": url, "valid_until": valid_until, "id": job["id"]})
    conn.commit()
    _stream(conn, client, job, url, valid_until, position, opts, progress, started)


def _request_and_wait(
    conn: psycopg.Connection,
    client: ShoptetClient,
    job: dict[str, Any],
    opts: Options,
    progress: ProgressCallback | None,
) -> tuple[str, datetime | None]:
    """Ask Shoptet for the snapshot and wait for its file: (absolute resultUrl, validUntil or None)."""
    path = SNAPSHOT_PATHS[job["entity"]]
    params = dict(job.get("filters") or {})
    if job["entity"] == "products" and "language" not in params:  # the sections the catalogue keeps (feeds)
        params.setdefault("include", documents.PRODUCT_INCLUDE)
    envelope = client.request("GET", path, params=params)
    data = envelope.get("data") or {}
    shoptet_job = data.get("jobId") if isinstance(data, dict) else None
    if not shoptet_job:
        raise errors.SnapshotError(
            f"GET {path}: Shoptet accepted the request but sent no jobId", method="GET", path=path
        )
    conn.execute(query("snapshots.snapshot_job_waiting"), {"shoptet_job": str(shoptet_job), "id": job["id"]})
    conn.commit()
    log(
        logger,
        logging.INFO,
        "snapshot requested",
        shop_id=job["shop_id"],
        entity=job["entity"],
        job_id=job["id"],
        shoptet_job=shoptet_job,
    )
    deadline = time.monotonic() + opts.deadline_seconds
    since = datetime.now(UTC) - timedelta(minutes=5)
    interval = opts.first_poll_seconds
    next_poll = time.monotonic() + interval
    detail_polls = 0
    while True:
        now = time.monotonic()
        if now >= deadline:
            raise errors.SnapshotError(
                f"Shoptet job {shoptet_job} did not finish within {opts.deadline_seconds / 60:.0f} minutes "
                "(Shoptet fails such jobs after 3 hours and then sends no job:finished)",
                path=path,
            )
        notified = bool(
            (conn.execute(query("snapshots.snapshot_job_ready_seen"), {"job_id": job["id"]}).fetchone() or [False])[0]
        )
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
                        raise errors.SnapshotError(
                            f"Shoptet job {shoptet_job} completed without a result file"
                            + (f": {info.get('log')}" if info.get("log") else ""),
                            path=path,
                        )
                    return (
                        str(httpx.URL(client.base_url + "/").join(str(url))),  # absolute, as documented
                        _valid_until(info.get("validUntil")),
                    )
                if status in FAILED_STATUSES:
                    raise errors.SnapshotError(
                        f"Shoptet job {shoptet_job} {FAILED_STATUSES[status]}"
                        + (f": {info.get('log')}" if info.get("log") else ""),
                        path=path,
                    )
            interval = min(interval * 1.5, opts.max_poll_interval)
            next_poll = time.monotonic() + interval
            if progress:
                progress(Progress(job["id"], job["entity"], f"waiting for Shoptet ({status or 'unknown'})"))
        time.sleep(opts.watch_interval)


def _valid_until(value: Any) -> datetime | None:
    """The job detail's validUntil; None when absent or unreadable (then ready_at + 20 h is assumed)."""
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


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


class SnapshotStreamError(HubError):
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
            try:
                data = decompressor.decompress(piece)
            except zlib.error as exc:
                raise SnapshotStreamError(
                    f"the result file is not valid gzip after {counter[0]:,} bytes ({line_no:,} lines): {exc}"
                ) from None
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
        raise SnapshotStreamError(
            f"the result file is truncated: the gzip stream ended after {counter[0]:,} "
            f"bytes ({line_no:,} lines) without its end marker"
        )
    pending += decompressor.flush()
    if pending.strip():
        yield line_no + 1, pending


def _pieces(response: httpx.Response, url: str, counter: list[int]) -> Iterator[bytes]:
    try:
        yield from response.iter_raw(DOWNLOAD_PIECE)
    except httpx.HTTPError as exc:
        raise SnapshotStreamError(
            f"the download of the result file broke off after {counter[0]:,} bytes ({type(exc).__name__}: {exc})"
        ) from None


_END = object()


def _prepare_chunks(
    stager: Stager, lines: Iterator[tuple[int, bytes]], chunk_size: int, out: queue.Queue[Any], stop: threading.Event
) -> None:
    """Parser thread: download -> gunzip -> lines -> parsed chunks, handed over through a small
    queue (at most CHUNKS_AHEAD chunks in memory). An error is handed over as well. With an
    ``unchanged`` lookup, a chunk's lookup runs in a thread of its own while the next chunk is
    parsed (only its lines' keys are held meanwhile when most lines are unchanged)."""
    lookups = (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="snapshot-lookup")
        if stager.unchanged is not None
        else None
    )
    waiting: tuple[Prepared, Future[list[tuple[int, str]]]] | None = None
    try:
        for chunk in _chunks(lines, chunk_size):
            loaded = stager.load(chunk)
            if lookups is None:
                out.put(loaded)
            else:
                looking = lookups.submit(stager.lookup, loaded)
                if waiting is not None:
                    out.put(stager.complete(waiting[0], waiting[1].result()))
                waiting = (loaded, looking)
            if stop.is_set():
                return
        if waiting is not None:
            out.put(stager.complete(waiting[0], waiting[1].result()))
        out.put(_END)
    except BaseException as exc:  # noqa: BLE001 - re-raised by the consumer
        out.put(exc)
    finally:
        if lookups is not None:
            lookups.shutdown(wait=True)


def _chunks(lines: Iterator[tuple[int, bytes]], size: int) -> Iterator[list[tuple[int, bytes]]]:
    chunk: list[tuple[int, bytes]] = []
    for item in lines:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


CHUNKS_AHEAD = 1


def _stream(
    conn: psycopg.Connection,
    client: ShoptetClient,
    job: dict[str, Any],
    url: str,
    valid_until: datetime | None,
    position: _Position,
    opts: Options,
    progress: ProgressCallback | None,
    started: float,
) -> None:
    """Download, parse and apply the file from after ``position.line``; a broken download is
    downloaded again at once and resumed after the last committed line, while attempts are
    left and the file is valid. Raises SnapshotStreamError when every download broke."""
    lookup, side = _unchanged_lookup(conn, job, opts)
    language = (job.get("filters") or {}).get("language")  # a snapshot read in another language: its texts
    stager = Stager(
        conn, job["shop_id"], job["entity"], job_id=job["id"], direct=True, unchanged=lookup, language=language
    )
    # a chunk lost to a server crash is re-read by the retry (progress commits with its data), so
    # the import need not wait for each commit's WAL flush
    conn.execute(query("snapshots.synchronous_commit_off"))
    conn.commit()
    try:
        while True:
            position.downloads += 1
            conn.execute(query("snapshots.snapshot_job_download"), {"id": job["id"], "downloads": position.downloads})
            conn.commit()
            try:
                _download(conn, client, stager, job, url, position, opts, progress, started)
                return
            except SnapshotStreamError as exc:
                _pause_before_resume(job, position, valid_until, opts, progress, exc)
    finally:
        if side is not None:
            side.close()


def _unchanged_lookup(
    conn: psycopg.Connection,
    job: dict[str, Any],
    opts: Options,
) -> tuple[UnchangedLookup | None, psycopg.Connection | None]:
    """(lookup, its connection) for the parser thread to skip lines whose version the hub holds
    (``ingest.snapshot_unchanged``), on a connection of its own (autocommit, read only): for orders
    and customers of a shop that has some already, unless ``Options.compare_all``. (None, None)
    otherwise. A failing lookup skips nothing."""
    shop_id, entity = job["shop_id"], job["entity"]
    if opts.compare_all or entity not in ("orders", "customers"):
        return None, None
    has_rows = (
        query("snapshots.snapshot_shop_has_orders")
        if entity == "orders"
        else query("snapshots.snapshot_shop_has_customers")
    )
    row = conn.execute(has_rows, {"shop_id": shop_id}).fetchone()
    conn.commit()
    if not (row and row[0]):
        return None, None  # a first load: nothing to compare with
    side = open_connection(make_conninfo(conn.info.dsn, password=conn.info.password), autocommit=True)

    def lookup(hashes: list[bytes]) -> list[tuple[int, str]]:
        try:
            rows = side.execute(
                query("snapshots.snapshot_unchanged"), {"shop_id": shop_id, "entity": entity, "hashes": hashes}
            ).fetchall()
        except psycopg.Error as exc:
            log(
                logger,
                logging.WARNING,
                "snapshot import could not look up stored versions: comparing every line",
                shop_id=shop_id,
                entity=entity,
                job_id=job["id"],
                error=str(exc).strip(),
            )
            return []
        return [(int(index) - 1, str(key)) for index, key in rows]

    return lookup, side


def _pause_before_resume(
    job: dict[str, Any],
    position: _Position,
    valid_until: datetime | None,
    opts: Options,
    progress: ProgressCallback | None,
    exc: SnapshotStreamError,
) -> None:
    """Log the broken download and wait before the next one; re-raise when none may follow."""
    if position.downloads >= opts.download_attempts:
        raise SnapshotStreamError(
            f"{exc}; gave up after {position.downloads} downloads of the result file "
            f"(lines up to {position.line:,} are applied)"
        ) from None
    if valid_until is not None and datetime.now(UTC) >= valid_until:
        raise SnapshotStreamError(
            f"{exc}; the result file expired at {valid_until.isoformat()}, so it cannot be "
            f"downloaded again (lines up to {position.line:,} are applied)"
        ) from None
    wait = opts.resume_pause_seconds * 2 ** (position.downloads - 1)
    log(
        logger,
        logging.WARNING,
        "snapshot download broke off: resuming",
        shop_id=job["shop_id"],
        entity=job["entity"],
        job_id=job["id"],
        download=position.downloads + 1,
        of=opts.download_attempts,
        resume_after_line=position.line,
        wait_s=round(wait, 2),
        error=str(exc),
    )
    if progress:
        progress(
            Progress(
                job["id"],
                job["entity"],
                f"download broke off; resuming after line {position.line:,} "
                f"(download {position.downloads + 1} of {opts.download_attempts}) in {wait:.0f} s",
                position.processed,
                position.failed,
            )
        )
    time.sleep(wait)


def _download(
    conn: psycopg.Connection,
    client: ShoptetClient,
    stager: Stager,
    job: dict[str, Any],
    url: str,
    position: _Position,
    opts: Options,
    progress: ProgressCallback | None,
    started: float,
) -> None:
    """One download of the file, skipping the lines up to ``position.line``. Parsing runs in a
    thread while this one COPYs and applies the previous chunk (the database work releases the GIL).
    Every chunk commits with the job's progress and ``position`` follows the commits."""
    job_id, shop_id, entity = job["id"], job["shop_id"], job["entity"]
    full = not job.get("filters")
    chunk_size = opts.chunk_lines or CHUNK_LINES[entity]
    counter = [0]
    skip = position.line
    with client.download(url) as response:
        length = int(response.headers.get("Content-Length") or 0)
        lines = gunzip_lines(_pieces(response, url, counter), counter)
        if skip:
            lines = (item for item in lines if item[0] > skip)
        chunks: queue.Queue[Any] = queue.Queue(maxsize=CHUNKS_AHEAD)
        stop = threading.Event()
        parser = threading.Thread(
            target=_prepare_chunks,
            args=(stager, lines, chunk_size, chunks, stop),
            name=f"snapshot-{job_id}-parser",
            daemon=True,
        )
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
                    room = WARNING_ROWS - position.warnings
                    if room > 0:
                        record_warnings(conn, shop_id, job_id, result.warnings[:room])
                    warnings = position.warnings + result.warning_count
                    if full:
                        record_seen(conn, job_id, result.keys)
                    processed = position.processed + result.lines
                    failed = position.failed + len(result.failures)
                    line = max(position.line, prepared.last_line)
                    elapsed = max(time.monotonic() - started, 1e-6)
                    fraction = min(counter[0] / length, 1.0) if length else None
                    total = int(processed / fraction) if fraction else None
                    percent = round(min(fraction * 100, 99.99), 2) if fraction else 0.0
                    rate = processed / elapsed
                    conn.execute(
                        query("snapshots.snapshot_job_progress"),
                        {
                            "id": job_id,
                            "processed": processed,
                            "failed": failed,
                            "warnings": warnings,
                            "total": total,
                            "line": line,
                            "bytes": counter[0],
                            "percent": percent,
                            "rate": round(rate, 1),
                        },
                    )
                conn.commit()
                position.processed, position.failed, position.line = processed, failed, line
                position.warnings = warnings
                position.unchanged += result.unchanged
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


def import_snapshot(
    conn: psycopg.Connection,
    client: ShoptetClient,
    shop_id: int,
    entity: str,
    *,
    filters: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    options: Options | None = None,
) -> dict[str, Any]:
    """Create a snapshot job for a shop's entity and run it once (``hub snapshot import``)."""
    job_id = create_job(conn, shop_id, entity, filters=filters)
    conn.commit()
    return run_job(conn, client, job_id, progress=progress, options=options)
