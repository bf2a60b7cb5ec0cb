/*
 * ingest.snapshot_job_retry_now(p_job_id): the dashboard's Retry of a snapshot job — what
 * `hub snapshot retry` does, handed to the workers instead of run in the caller: the job gets a
 * fresh retry budget (retry_count 0, status retrying; as runner/sql/snapshots.sql
 * snapshot_job_reset_retries) and an attempt is queued as procrastinate task run_snapshot_job on
 * queue snapshots, under the shop's entity lock 'shop:<shop_id>:<entity>' and queueing lock
 * 'snapshot:<job_id>' (runner/tasks.py defer_snapshot_job); an attempt already waiting is reused.
 * Returns the procrastinate job id of the attempt. Raises 02000 for an unknown job and 55000 for
 * a job that is not failed, retrying or completed_with_errors. Runs in the caller's transaction.
 */
create or replace function ingest.snapshot_job_retry_now(p_job_id bigint)
returns bigint
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_job ingest.snapshot_jobs%rowtype;
    v_queueing_lock text := format('snapshot:%s', p_job_id);
    v_id bigint;
    v_try integer;
begin
    select * into v_job from ingest.snapshot_jobs where id = p_job_id for update;
    if not found then
        raise exception 'snapshot job % does not exist', p_job_id using errcode = '02000';
    end if;
    if v_job.status not in ('failed', 'completed_with_errors', 'retrying') then
        raise exception 'snapshot job % is %: only failed, retrying or completed_with_errors jobs are retried',
            p_job_id, v_job.status using errcode = '55000';
    end if;
    update ingest.snapshot_jobs set retry_count = 0, status = 'retrying', updated_at = now() where id = p_job_id;
    for v_try in 1 .. 3 loop
        select j.id into v_id from procrastinate_jobs j where j.queueing_lock = v_queueing_lock and j.status = 'todo';
        exit when v_id is not null;
        begin
            v_id := (procrastinate_defer_jobs_v1(array[row(
                'snapshots', 'run_snapshot_job', 0, format('shop:%s:%s', v_job.shop_id, v_job.entity), v_queueing_lock,
                jsonb_build_object('job_id', p_job_id), null
            )::procrastinate_job_to_defer_v1]))[1];
        exception when unique_violation then
            v_id := null;
        end;
        exit when v_id is not null;
    end loop;
    return v_id;
end
$$;

comment on function ingest.snapshot_job_retry_now(bigint) is
    'Dashboard Retry of a snapshot job: fresh retry budget (status retrying) and an attempt queued for the workers '
    '(task run_snapshot_job, lock shop:<id>:<entity>); returns the procrastinate job id; 02000 unknown job, '
    '55000 a job in another status';
