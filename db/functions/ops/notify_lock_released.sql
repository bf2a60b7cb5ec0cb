/*
 * ops.notify_lock_released(): trigger on procrastinate.procrastinate_jobs. procrastinate wakes its
 * workers (LISTEN) only when a job is inserted; a job that waits for its lock (e.g. the next drain
 * of shop:<id>:orders while one runs) would be found only at the next poll (--polling-interval,
 * 5 s). When a job that held a lock ends (doing -> anything else), this sends the waiting job
 * next in line for that lock procrastinate's own 'job_inserted' notification (channels
 * procrastinate_queue_v1#<queue> and procrastinate_any_queue_v1, delivered at commit), so a
 * worker takes it at once.
 */
create or replace function ops.notify_lock_released()
returns trigger
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_next record;
    v_payload text;
begin
    select j.id, j.queue_name into v_next
    from procrastinate.procrastinate_jobs j
    where j.lock = new.lock and j.status = 'todo' and (j.scheduled_at is null or j.scheduled_at <= now())
    order by j.priority desc, j.id
    limit 1;
    if v_next.id is not null then
        v_payload := json_build_object('type', 'job_inserted', 'job_id', v_next.id)::text;
        perform pg_notify('procrastinate_queue_v1#' || v_next.queue_name, v_payload);
        perform pg_notify('procrastinate_any_queue_v1', v_payload);
    end if;
    return null;
end
$$;

comment on function ops.notify_lock_released() is
    'Trigger: when a procrastinate job that held a lock ends, wake the workers for the next job waiting on that lock';

create or replace trigger notify_lock_released
    after update of status on procrastinate.procrastinate_jobs
    for each row
    when (old.status = 'doing' and new.status <> 'doing' and new.lock is not null)
    execute function ops.notify_lock_released();
