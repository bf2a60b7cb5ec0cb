/*
 * ops.oldest_waiting_jobs: per queue, the job that has waited longest to run -- status todo and
 * due (scheduled_at, if any, has come). It waits since it became due: scheduled_at when set (a
 * retry's backoff, a scheduled defer), else when it was deferred (procrastinate_events). A job
 * waits because no worker serves its queue, every worker is busy, or its lock
 * (shop:<id>:<entity>) is held by a running job.
 */
create or replace view ops.oldest_waiting_jobs as
with due as (
    select j.id, j.queue_name, j.task_name, j.lock, j.attempts,
           coalesce(j.scheduled_at,
                    (select min(e.at) from procrastinate.procrastinate_events e
                     where e.job_id = j.id and e.type = 'deferred')) as waiting_since
    from procrastinate.procrastinate_jobs j
    where j.status = 'todo' and (j.scheduled_at is null or j.scheduled_at <= now())
)
select distinct on (d.queue_name)
       d.queue_name, d.id as job_id, d.task_name, d.lock, d.attempts, d.waiting_since,
       now() - d.waiting_since as waiting_for,
       (select count(*) from due x where x.queue_name = d.queue_name) as due_jobs
from due d
order by d.queue_name, d.waiting_since nulls last, d.id;

comment on view ops.oldest_waiting_jobs is
    'Per queue: the due todo job waiting longest (since scheduled_at or its defer), how long, and how many are due';
comment on column ops.oldest_waiting_jobs.due_jobs is 'todo jobs of the queue that are due now (not scheduled later)';
