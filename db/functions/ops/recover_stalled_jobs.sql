/*
 * ops.recover_stalled_jobs(p_seconds_since_heartbeat, p_max_attempts): end or put back every
 * procrastinate job left `doing` by a worker whose heartbeat is older than
 * p_seconds_since_heartbeat seconds (or whose worker row is gone) -- procrastinate's own
 * definition of a stalled job (its query select_stalled_jobs_by_heartbeat). Each job, on its own
 * (one job that cannot be handled never stops the others):
 *   cancelled: another job with the same queueing_lock is waiting (`todo`): it does the same
 *              work, so putting this one back would violate procrastinate's unique index on
 *              (queueing_lock) where status = 'todo' (procrastinate issue #1446) and keep the
 *              `lock` (e.g. shop:<id>:orders) held for good. The job ends `cancelled` (with a
 *              procrastinate event `cancelled`) and its webhook events are moved to the waiting job;
 *   failed:    it used p_max_attempts attempts (procrastinate_finish_job_v1);
 *   retried:   back to `todo` after 2^attempts - 2 seconds (procrastinate_retry_job_v2);
 *   error:     none of that worked (the error is recorded); the next run tries again.
 * A retry that loses a race with a new defer of the same work ends the job cancelled; any other
 * error ends it failed, so that its lock is released. Every action is recorded in
 * ops.job_recoveries with its reason; the rows are returned. Never raises for a job.
 * Jobs another recovery is handling are skipped (FOR UPDATE SKIP LOCKED).
 */
create or replace function ops.recover_stalled_jobs(
    p_seconds_since_heartbeat double precision default 60,
    p_max_attempts integer default 5
)
returns setof ops.job_recoveries
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_job record;
    v_attempts integer;
    v_action text;
    v_retry_at timestamptz;
    v_waiting bigint;
    v_reason text;
    v_error text;
    v_stalled text;
begin
    for v_job in
        select j.id, j.task_name, j.queue_name, j.lock, j.queueing_lock, j.attempts, j.worker_id,
               w.last_heartbeat
        from procrastinate_jobs j
        left join procrastinate_workers w on w.id = j.worker_id
        where j.status = 'doing'
          and (j.worker_id is null
               or w.last_heartbeat < now() - make_interval(secs => p_seconds_since_heartbeat))
        order by j.id
        for update of j skip locked
    loop
        v_attempts := v_job.attempts + 1;
        v_retry_at := null;
        v_waiting := null;
        v_stalled := case when v_job.last_heartbeat is null then 'its worker is gone'
                          else format('its worker %s last sent a heartbeat at %s', v_job.worker_id,
                                      v_job.last_heartbeat) end;
        begin
            select j.id into v_waiting
            from procrastinate_jobs j
            where v_job.queueing_lock is not null and j.queueing_lock = v_job.queueing_lock
              and j.status = 'todo' and j.id <> v_job.id;
            if v_waiting is not null then
                v_action := 'cancelled';
            elsif v_attempts >= p_max_attempts then
                perform procrastinate_finish_job_v1(v_job.id, 'failed', false);
                v_action := 'failed';
                v_reason := format('stalled (%s) and used its %s attempts', v_stalled, v_attempts);
            else
                v_retry_at := now() + make_interval(secs => 2 ^ v_attempts - 2);
                perform procrastinate_retry_job_v2(v_job.id, v_retry_at, null, null, null);
                v_action := 'retried';
                v_reason := format('stalled (%s): attempt %s of %s', v_stalled, v_attempts + 1, p_max_attempts);
            end if;
        exception when unique_violation then
            -- a webhook queued the same work between our look and the retry
            select j.id into v_waiting
            from procrastinate_jobs j
            where j.queueing_lock = v_job.queueing_lock and j.status = 'todo' and j.id <> v_job.id;
            v_action := case when v_waiting is not null then 'cancelled' else 'error' end;
            v_error := sqlerrm;
        when others then
            v_action := 'error';
            v_error := sqlerrm;
        end;

        if v_action = 'cancelled' then
            begin
                update procrastinate_jobs j
                set status = 'cancelled', attempts = j.attempts + 1
                where j.id = v_job.id and j.status = 'doing';
                -- procrastinate's trigger records no event for doing -> cancelled
                insert into procrastinate_events (job_id, type) values (v_job.id, 'cancelled');
                update ingest.webhook_events e
                set job_ids = (select array_agg(distinct x order by x)
                               from unnest(array_replace(e.job_ids, v_job.id, v_waiting)) as t (x))
                where e.job_ids @> array[v_job.id];
                v_reason := format('stalled (%s); job %s with the same queueing_lock %s is waiting and does the '
                                   'same work, so this one ends', v_stalled, v_waiting, v_job.queueing_lock);
            exception when others then
                v_action := 'error';
                v_error := coalesce(v_error || '; then ', '') || sqlerrm;
            end;
        end if;

        if v_action = 'error' then
            -- it cannot be put back: end it so that it stops holding its lock
            begin
                perform procrastinate_finish_job_v1(v_job.id, 'failed', false);
                v_action := 'failed';
                v_reason := format('stalled (%s) and could not be put back: %s', v_stalled, v_error);
            exception when others then
                v_reason := format('stalled (%s); neither put back nor ended: %s; %s', v_stalled, v_error, sqlerrm);
            end;
        end if;

        return query
            insert into ops.job_recoveries as r (job_id, task_name, queue_name, lock, queueing_lock, attempts,
                                                 action, retry_at, superseded_by, reason)
            values (v_job.id, v_job.task_name, v_job.queue_name, v_job.lock, v_job.queueing_lock, v_attempts,
                    v_action, case when v_action = 'retried' then v_retry_at end, case when v_action = 'cancelled' then v_waiting end, v_reason)
            returning r.*;
        v_error := null;
    end loop;
end
$$;

comment on function ops.recover_stalled_jobs(double precision, integer) is
    'Stalled procrastinate jobs (worker without heartbeat): cancelled when their work is queued again, failed after their attempts, else retried with backoff; each on its own, recorded in ops.job_recoveries';
