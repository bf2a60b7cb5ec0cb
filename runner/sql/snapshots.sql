-- Queries of runner/shoptet/snapshots.py; the bookkeeping rules live in ingest.snapshot_job_* functions.

-- name: snapshot_job_create
insert into ingest.snapshot_jobs (shop_id, entity, filters, max_retries)
values (%(shop_id)s, %(entity)s, %(filters)s, %(max_retries)s)
returning id;

-- name: snapshot_job_get
select id, shop_id, entity, status, shoptet_job_id, result_url, filters, retry_count, max_retries,
       processed_count, failed_count, warning_count, total_count, total_is_estimate, progress_percentage,
       rows_per_second, requested_at, started_at, ready_at, finished_at, last_attempt_at, last_error,
       result_valid_until, resume_after_line, downloads
from ingest.snapshot_jobs
where id = %(job_id)s;

-- name: snapshot_job_start
-- a new attempt: the still-valid result file to reuse and the line to resume after (see the function)
select result_url, resume_after_line, result_valid_until from ingest.snapshot_job_start(%(job_id)s);

-- name: snapshot_job_waiting
-- Shoptet makes a new file: nothing of an earlier file's progress, bad lines or seen keys applies to it
with cleared as (
    delete from ingest.snapshot_failures where job_id = %(id)s
), unseen as (
    delete from ingest.snapshot_seen where job_id = %(id)s
)
update ingest.snapshot_jobs
set status = 'waiting', shoptet_job_id = %(shoptet_job)s, result_url = null, result_valid_until = null, ready_at = null,
    processed_count = 0, failed_count = 0, warning_count = 0, total_count = null, total_is_estimate = true,
    bytes_downloaded = 0, progress_percentage = 0, resume_after_line = 0, updated_at = now()
where id = %(id)s;

-- name: snapshot_job_ready_seen
-- has job:finished for the Shoptet job arrived (the web app received it)?
select j.ready_at is not null
    or exists (select from ingest.webhook_events e
               where e.shop_id = j.shop_id and e.event = 'job:finished' and e.event_instance = j.shoptet_job_id)
from ingest.snapshot_jobs j
where j.id = %(job_id)s;

-- name: snapshot_job_importing
-- the file is ready; valid_until is the job detail's validUntil (null when reused: the stored one stays)
update ingest.snapshot_jobs
set status = 'importing', result_url = %(url)s, result_valid_until = coalesce(%(valid_until)s, result_valid_until),
    ready_at = coalesce(ready_at, now()), updated_at = now()
where id = %(id)s;

-- name: snapshot_job_download
-- a download of the result file begins (1: the first; more: resumed after a broken one)
update ingest.snapshot_jobs
set downloads = %(downloads)s, updated_at = now()
where id = %(id)s;

-- name: snapshot_job_progress
update ingest.snapshot_jobs
set processed_count = %(processed)s, failed_count = %(failed)s, warning_count = %(warnings)s, total_count = %(total)s,
    resume_after_line = %(line)s,
    bytes_downloaded = %(bytes)s, progress_percentage = %(percent)s, rows_per_second = %(rate)s, updated_at = now()
where id = %(id)s;

-- name: snapshot_job_finish
select ingest.snapshot_job_finish(%(job_id)s, %(total)s);

-- name: snapshot_job_fail
select ingest.snapshot_job_fail(%(job_id)s, %(error)s);

-- name: snapshot_job_on_finished
-- job:finished arrived: the file of that Shoptet job is ready
update ingest.snapshot_jobs
set ready_at = coalesce(ready_at, now()), updated_at = now()
where shop_id = %(shop_id)s and shoptet_job_id = %(shoptet_job_id)s and status in ('requested', 'waiting')
returning id;

-- name: snapshot_job_reset_retries
-- a manual retry: a fresh budget
update ingest.snapshot_jobs
set retry_count = 0, status = 'retrying', updated_at = now()
where id = %(job_id)s and status in ('failed', 'completed_with_errors', 'retrying')
returning id;

-- name: snapshot_jobs_list
select id, shop_id, entity, status, retry_count, max_retries, processed_count, failed_count, warning_count,
       total_count, progress_percentage, rows_per_second, requested_at, finished_at, last_error
from ingest.snapshot_jobs
where (%(shop_id)s::bigint is null or shop_id = %(shop_id)s::bigint)
order by id desc
limit %(limit)s;

-- name: snapshot_failures_of_job
-- the first bad lines (errors) of a job
select line_no, error, left(raw_line, %(raw_chars)s)
from ingest.snapshot_failures
where job_id = %(job_id)s and severity = 'error'
order by line_no
limit %(limit)s;

-- name: snapshot_warnings_of_job
-- the first field-level warnings of a job (lines imported with that field left out)
select line_no, field, error
from ingest.snapshot_failures
where job_id = %(job_id)s and severity = 'warning'
order by line_no, field
limit %(limit)s;

-- name: snapshot_shop_has_orders
-- does the shop hold orders already (else an import is a first load: nothing to compare with)
select exists (select from sales.orders where shop_id = %(shop_id)s and deleted_at is null);

-- name: snapshot_shop_has_customers
select exists (select from sales.customers where shop_id = %(shop_id)s and deleted_at is null);

-- name: snapshot_unchanged
-- lines of a chunk whose version the hub holds: (1-based position, stored key); see the function
select line_index, stored_key from ingest.snapshot_unchanged(%(shop_id)s, %(entity)s, %(hashes)s::bytea[]);

-- name: synchronous_commit_off
-- an import's chunk lost to a server crash is re-read by the retry: no need to wait for WAL flushes
set synchronous_commit = off;
