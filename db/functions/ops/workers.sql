/*
 * ops.workers: procrastinate workers (`hub worker` processes) with their last heartbeat and the
 * jobs they run. A worker sends a heartbeat every few seconds (at most 10); one silent for more
 * than 60 s (the default --stalled-after) is taken for dead, and its jobs are recovered. A
 * worker that stops cleanly removes its row.
 */
create or replace view ops.workers as
select w.id as worker_id, w.last_heartbeat,
       now() - w.last_heartbeat as since_heartbeat,
       w.last_heartbeat >= now() - interval '60 seconds' as alive,
       count(j.id) as jobs_doing,
       coalesce(array_agg(j.task_name::text order by j.id) filter (where j.id is not null), '{}') as tasks
from procrastinate.procrastinate_workers w
left join procrastinate.procrastinate_jobs j on j.worker_id = w.id and j.status = 'doing'
group by w.id, w.last_heartbeat;

comment on view ops.workers is
    'procrastinate workers: last heartbeat, alive (one within 60 s), and the jobs they are doing';
