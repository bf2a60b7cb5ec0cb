/*
 * ops.stuck_jobs: procrastinate jobs doing for longer than their queue allows
 * (ops.queue_timeouts.stuck_after; 1 hour for a queue not listed there) -- a hung task (its
 * worker still sends heartbeats) or a dead worker's job the stalled-job recovery has not put
 * back. A stuck job holds its lock (shop:<id>:<entity>): nothing else of that shop's entity runs.
 */
create or replace view ops.stuck_jobs as
select j.id as job_id, j.queue_name, j.task_name, j.args, j.lock, j.worker_id,
       started.at as started_at,
       now() - started.at as running_for,
       coalesce(t.stuck_after, interval '1 hour') as stuck_after,
       w.last_heartbeat as worker_last_heartbeat
from procrastinate.procrastinate_jobs j
left join lateral (
    select max(e.at) as at from procrastinate.procrastinate_events e where e.job_id = j.id and e.type = 'started'
) started on true
left join ops.queue_timeouts t on t.queue_name = j.queue_name
left join procrastinate.procrastinate_workers w on w.id = j.worker_id
where j.status = 'doing'
  and started.at < now() - coalesce(t.stuck_after, interval '1 hour');

comment on view ops.stuck_jobs is
    'procrastinate jobs doing longer than their queue''s stuck_after (ops.queue_timeouts, default 1 hour), with their worker''s heartbeat';
comment on column ops.stuck_jobs.worker_last_heartbeat is
    'Last heartbeat of the job''s worker: recent means the task hangs; old or null means the worker is gone';
