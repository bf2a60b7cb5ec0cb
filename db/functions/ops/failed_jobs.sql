/*
 * ops.failed_jobs: procrastinate jobs that ended failed (retries used up), newest first, with
 * their error: the ERROR event the worker logged for the job (ops.events, context job_id),
 * else the reason of the stalled-job recovery that failed it (ops.job_recoveries). shop_id is
 * the job's shop_id argument when it has one. Retry one (as hub_app) with
 * `set search_path = procrastinate; select procrastinate_retry_job_v2(<job_id>, now(), null, null, null);`.
 */
create or replace view ops.failed_jobs as
with failure as (
    -- when each job failed: its newest 'failed' event (index procrastinate_events_failed_at)
    select distinct on (e.job_id) e.job_id, e.at
    from procrastinate.procrastinate_events e
    where e.type = 'failed'
    order by e.job_id, e.at desc
)
select j.id as job_id, j.queue_name, j.task_name,
       case when j.args ->> 'shop_id' ~ '^[0-9]{1,18}$' then (j.args ->> 'shop_id')::bigint end as shop_id,
       j.args, j.attempts, j.lock,
       f.at as failed_at,
       coalesce(logged.error, recovered.reason) as error
from procrastinate.procrastinate_jobs j
left join failure f on f.job_id = j.id
left join lateral (
    select coalesce(x.context ->> 'error', x.message) as error
    from ops.events x
    where x.context ? 'job_id' and x.context ->> 'job_id' = j.id::text and x.level in ('error', 'critical')
    order by x.at desc
    limit 1
) logged on true
left join lateral (
    select r.reason from ops.job_recoveries r
    where r.job_id = j.id and r.action = 'failed'
    order by r.recovered_at desc
    limit 1
) recovered on true
where j.status = 'failed'
order by f.at desc nulls last, j.id desc;

comment on view ops.failed_jobs is
    'procrastinate jobs that ended failed, newest first, with the error the worker logged (ops.events) or the '
    'stalled-job recovery''s reason';
comment on column ops.failed_jobs.failed_at is 'When the job failed: its newest procrastinate event of type failed';
