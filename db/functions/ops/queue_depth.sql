/*
 * ops.queue_depth: procrastinate jobs waiting (todo), running (doing) and failed, per queue --
 * every queue of ops.queue_timeouts and any other that has such jobs, with 0 where there are
 * none. A todo job may be scheduled later (a retry's backoff): ops.oldest_waiting_jobs says how
 * long the ready ones wait. Failed jobs stay until housekeeping removes them (90 days).
 */
create or replace view ops.queue_depth as
with counted as (
    select j.queue_name, j.status::text as status, count(*) as jobs
    from procrastinate.procrastinate_jobs j
    where j.status in ('todo', 'doing', 'failed')
    group by j.queue_name, j.status
),
queue as (
    select t.queue_name from ops.queue_timeouts t
    union
    select c.queue_name from counted c
)
select q.queue_name, s.status, coalesce(c.jobs, 0) as jobs
from queue q
cross join (values ('todo'), ('doing'), ('failed')) as s(status)
left join counted c on c.queue_name = q.queue_name and c.status = s.status;

comment on view ops.queue_depth is
    'procrastinate jobs per queue and status (todo, doing, failed), 0 where none; every known queue listed';
