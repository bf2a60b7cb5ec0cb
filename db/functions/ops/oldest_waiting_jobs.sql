/*
 * ops.oldest_waiting_jobs: per queue, the job that has waited longest to run -- status todo and
 * due (scheduled_at, if any, has come) -- and how many are due. It waits since it became due:
 * scheduled_at when set (a retry's backoff, a scheduled defer), else when it was deferred
 * (procrastinate_events). A job waits because no worker serves its queue, every worker is busy,
 * or its lock (shop:<id>:<entity>) is held by a running job.
 * Cheap with a long queue: job ids grow in the order jobs are deferred, so of the due jobs without
 * scheduled_at only the lowest id is looked up in the events, and of those with one only the
 * earliest scheduled_at is a candidate; the older of the two wins.
 */
create or replace view ops.oldest_waiting_jobs as
with due as (
    select j.id, j.queue_name, j.scheduled_at
    from procrastinate.procrastinate_jobs j
    where j.status = 'todo' and (j.scheduled_at is null or j.scheduled_at <= now())
),
per_queue as (
    select d.queue_name, count(*) as due_jobs,
           min(d.id) filter (where d.scheduled_at is null) as first_deferred,
           (array_agg(d.id order by d.scheduled_at, d.id) filter (where d.scheduled_at is not null))[1] as first_scheduled
    from due d
    group by d.queue_name
),
candidate as (
    select p.queue_name, p.due_jobs, j.id, j.task_name, j.lock, j.attempts,
           coalesce(j.scheduled_at,
                    (select min(e.at) from procrastinate.procrastinate_events e
                     where e.job_id = j.id and e.type = 'deferred')) as waiting_since
    from per_queue p
    cross join lateral (values (p.first_deferred), (p.first_scheduled)) as c(id)
    join procrastinate.procrastinate_jobs j on j.id = c.id
)
select distinct on (c.queue_name)
       c.queue_name, c.id as job_id, c.task_name, c.lock, c.attempts, c.waiting_since,
       now() - c.waiting_since as waiting_for,
       c.due_jobs
from candidate c
order by c.queue_name, c.waiting_since nulls last, c.id;

comment on view ops.oldest_waiting_jobs is
    'Per queue: the due todo job waiting longest (since scheduled_at or its defer), how long, and how many are due';
comment on column ops.oldest_waiting_jobs.due_jobs is 'todo jobs of the queue that are due now (not scheduled later)';
