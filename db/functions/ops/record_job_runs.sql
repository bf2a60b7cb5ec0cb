/*
 * ops.record_job_runs(p_queues, p_tasks, p_statuses, p_seconds): add procrastinate job runs, one
 * per array position (queue, task name, outcome -- succeeded / failed / retried / aborted --,
 * duration in seconds), to ops.job_run_totals in one statement. The workers' telemetry
 * (runner/telemetry.py) calls it every few seconds. Unequal arrays raise 22023; an unknown
 * outcome violates the table's check. Returns the number of runs added.
 */
create or replace function ops.record_job_runs(
    p_queues text[],
    p_tasks text[],
    p_statuses text[],
    p_seconds double precision[]
)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_runs bigint;
begin
    if cardinality(p_queues) is distinct from cardinality(p_tasks)
       or cardinality(p_queues) is distinct from cardinality(p_statuses)
       or cardinality(p_queues) is distinct from cardinality(p_seconds) then
        raise exception 'ops.record_job_runs: arrays of unequal length (queues %, tasks %, statuses %, seconds %)',
            cardinality(p_queues), cardinality(p_tasks), cardinality(p_statuses), cardinality(p_seconds)
            using errcode = '22023';
    end if;

    with run as (
        select r.queue_name, r.task_name, r.status, greatest(r.seconds, 0) as seconds
        from unnest(p_queues, p_tasks, p_statuses, p_seconds) as r(queue_name, task_name, status, seconds)
    ),
    per_key as (
        select queue_name, task_name, status, count(*) as runs, sum(seconds) as seconds_sum,
               ops.histogram(ops.job_duration_buckets(), array_agg(seconds)) as bucket_counts
        from run
        group by queue_name, task_name, status
    ),
    added as (
        insert into ops.job_run_totals as t (queue_name, task_name, status, runs, seconds_sum, bucket_counts)
        select queue_name, task_name, status, runs, seconds_sum, bucket_counts from per_key
        on conflict (queue_name, task_name, status) do update
            set runs = t.runs + excluded.runs,
                seconds_sum = t.seconds_sum + excluded.seconds_sum,
                bucket_counts = ops.histogram_add(t.bucket_counts, excluded.bucket_counts)
    )
    select coalesce(sum(runs), 0) into v_runs from per_key;
    return v_runs;
end
$$;

comment on function ops.record_job_runs(text[], text[], text[], double precision[]) is
    'Add procrastinate job runs (parallel arrays: queue, task, outcome, seconds) to ops.job_run_totals; returns '
    'the runs added; unequal arrays raise 22023';
