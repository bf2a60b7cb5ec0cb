/*
 * analytics.defer_refresh(p_shop_id): queue the worker job that refreshes a shop's changed
 * customers (task refresh_changed_customers of runner/tasks.py, queue analytics, lock
 * shop:<id>:customer_changes): called after a snapshot import, a sync run or a webhook job wrote
 * the shop's orders or customers, by the workers and by `hub snapshot import` / `hub sync`. One
 * job waits at most (queueing lock shop:<id>:customer_changes:queued): a job already waiting is
 * reused. Returns the job's id. What changed is already queued, by the triggers, in
 * analytics.customer_changes.
 */
create or replace function analytics.defer_refresh(p_shop_id bigint)
returns bigint
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_lock text := format('shop:%s:customer_changes', p_shop_id);
    v_id bigint;
begin
    select j.id into v_id from procrastinate_jobs j where j.queueing_lock = v_lock || ':queued' and j.status = 'todo';
    if v_id is null then
        begin
            v_id := (procrastinate_defer_jobs_v1(array[row(
                'analytics', 'refresh_changed_customers', 0, v_lock, v_lock || ':queued',
                jsonb_build_object('shop_id', p_shop_id), null)::procrastinate_job_to_defer_v1]))[1];
        exception when unique_violation then
            -- queued by a concurrent writer a moment ago
            select j.id into v_id from procrastinate_jobs j
            where j.queueing_lock = v_lock || ':queued' and j.status = 'todo';
        end;
    end if;
    return v_id;
end
$$;

comment on function analytics.defer_refresh(bigint) is
    'Queue (or reuse the waiting) refresh_changed_customers job of a shop for the workers; returns its id';
