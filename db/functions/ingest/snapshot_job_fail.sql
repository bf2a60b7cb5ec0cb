/*
 * ingest.snapshot_job_fail(p_job_id, p_error): an attempt of a snapshot import failed. The job
 * becomes 'failed' with last_error and one more retry_count; the hourly retry takes it again
 * while retry_count < max_retries. Returns the retries left.
 */
create or replace function ingest.snapshot_job_fail(p_job_id bigint, p_error text)
returns integer
language sql
set search_path = pg_catalog
as $$
    update ingest.snapshot_jobs
    set status = 'failed', last_error = left(p_error, 2000), retry_count = retry_count + 1,
        finished_at = now(), updated_at = now()
    where id = p_job_id
    returning greatest(max_retries - retry_count, 0)
$$;

comment on function ingest.snapshot_job_fail(bigint, text) is
    'Record a failed attempt of a snapshot import (status failed, last_error, retry_count + 1); returns retries left';
