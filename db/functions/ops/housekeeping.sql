/*
 * ops.housekeeping(...): delete what has served its purpose. Processed webhook events
 * (done or ignored) older than p_webhook_days; procrastinate jobs that ended (succeeded,
 * cancelled, aborted) more than p_job_days ago, and failed ones after p_failed_job_days
 * (kept longer: they are the visible record of what went wrong), with the records of the
 * stalled-job recovery (ops.job_recoveries) of the same age. Returns counts.
 */
create or replace function ops.housekeeping(
    p_webhook_days integer default 30,
    p_job_days integer default 14,
    p_failed_job_days integer default 90
)
returns table (what text, deleted bigint)
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_count bigint;
begin
    delete from ingest.webhook_events e
    where e.status in ('done', 'ignored')
      and e.processed_at < now() - make_interval(days => p_webhook_days);
    get diagnostics v_count = row_count;
    what := 'ingest.webhook_events'; deleted := v_count; return next;

    with ended as (
        select j.id
        from procrastinate_jobs j
        where (j.status in ('succeeded', 'cancelled', 'aborted')
               and (select max(ev.at) from procrastinate_events ev where ev.job_id = j.id)
                   < now() - make_interval(days => p_job_days))
           or (j.status = 'failed'
               and (select max(ev.at) from procrastinate_events ev where ev.job_id = j.id)
                   < now() - make_interval(days => p_failed_job_days))
    )
    delete from procrastinate_jobs j using ended where j.id = ended.id;
    get diagnostics v_count = row_count;
    what := 'procrastinate_jobs'; deleted := v_count; return next;

    delete from ops.job_recoveries r
    where r.recovered_at < now() - make_interval(days => p_failed_job_days);
    get diagnostics v_count = row_count;
    what := 'ops.job_recoveries'; deleted := v_count; return next;
end
$$;

comment on function ops.housekeeping(integer, integer, integer) is
    'Delete processed webhook events, ended procrastinate jobs and stalled-job recovery records older than the given days; returns counts';
