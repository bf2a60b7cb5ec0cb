/*
 * ops.job_duration_buckets(): the upper bounds, in seconds, of the duration histogram of
 * procrastinate job runs (ops.job_run_totals, /metrics): from a webhook's fetch (well under a
 * second) to a large snapshot import or backup (an hour).
 */
create or replace function ops.job_duration_buckets()
returns double precision[]
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select array[0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600]::double precision[];
$$;

comment on function ops.job_duration_buckets() is
    'Upper bounds (seconds, ascending) of the job duration histogram; a last bucket counts runs above 3600 s';
