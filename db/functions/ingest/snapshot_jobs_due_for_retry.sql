/*
 * ingest.snapshot_jobs_due_for_retry(): the failed snapshot imports that may be tried again
 * (retry_count < max_retries and at least an hour since their last attempt), marked
 * 'retrying' so that no other caller picks them. The hourly worker task starts them; after
 * the last attempt a job stays 'failed' and visible.
 */
create or replace function ingest.snapshot_jobs_due_for_retry()
returns setof ingest.snapshot_jobs
language sql
set search_path = pg_catalog
as $$
    with due as (
        select j.shop_id, j.id
        from ingest.snapshot_jobs j
        where j.status = 'failed'
          and j.retry_count < j.max_retries
          and coalesce(j.last_attempt_at, j.requested_at) <= now() - interval '1 hour'
        order by j.last_attempt_at
        for update skip locked
    )
    update ingest.snapshot_jobs j
    set status = 'retrying', updated_at = now()
    from due
    where j.shop_id = due.shop_id and j.id = due.id
    returning j.*
$$;

comment on function ingest.snapshot_jobs_due_for_retry() is
    'Failed snapshot jobs with retries left and an hour since the last attempt, marked retrying (claimed); the hourly task runs them';
