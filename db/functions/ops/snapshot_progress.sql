/*
 * ops.snapshot_progress: snapshot imports (ingest.snapshot_jobs) that are under way (requested,
 * waiting for Shoptet's file, importing, or waiting for their next retry) or that ended in the
 * last 24 hours, newest first, with their progress and, while importing, the expected finish at
 * the current rate (rows_per_second; an estimate when total_is_estimate).
 */
create or replace view ops.snapshot_progress as
select j.id as job_id, j.shop_id, j.entity, j.status,
       j.status in ('requested', 'waiting', 'importing', 'retrying') as active,
       j.processed_count, j.total_count, j.total_is_estimate, j.progress_percentage, j.rows_per_second,
       case when j.status = 'importing' and j.rows_per_second > 0 and j.total_count > j.processed_count
            then now() + make_interval(secs => (j.total_count - j.processed_count) / j.rows_per_second)
       end as expected_finish_at,
       j.failed_count, j.warning_count, j.retry_count, j.max_retries,
       j.requested_at, j.started_at, j.finished_at, j.updated_at, j.last_error
from ingest.snapshot_jobs j
where j.status in ('requested', 'waiting', 'importing', 'retrying')
   or j.finished_at > now() - interval '24 hours'
   or j.updated_at > now() - interval '24 hours'
order by j.id desc;

comment on view ops.snapshot_progress is
    'Snapshot imports under way or ended in the last 24 h: status, processed / total rows, %, rate, expected finish, retries, error';
comment on column ops.snapshot_progress.active is 'requested, waiting, importing or retrying: not ended yet';
