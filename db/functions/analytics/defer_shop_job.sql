/*
 * analytics.defer_shop_job(p_shop_id, p_task, p_lock): queue the worker task p_task (runner/tasks.py,
 * queue analytics) for a shop with lock shop:<id>:<p_lock>, at most one waiting: the queueing lock
 * shop:<id>:<p_lock>:queued makes a second defer reuse the job already waiting (also when a
 * concurrent writer queued it a moment ago). Returns the job's id. Used by
 * analytics.defer_refresh (refresh_changed_customers, customer_changes) and
 * analytics.defer_inventory_refresh (recalculate_inventory, inventory).
 */
create or replace function analytics.defer_shop_job(p_shop_id bigint, p_task text, p_lock text)
returns bigint
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_lock text := format('shop:%s:%s', p_shop_id, p_lock);
    v_id bigint;
begin
    select j.id into v_id from procrastinate_jobs j where j.queueing_lock = v_lock || ':queued' and j.status = 'todo';
    if v_id is null then
        begin
            v_id := (procrastinate_defer_jobs_v1(array[row(
                'analytics', p_task, 0, v_lock, v_lock || ':queued',
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

comment on function analytics.defer_shop_job(bigint, text, text) is
    'Queue (or reuse the waiting) analytics task of a shop with lock shop:<id>:<lock>, one waiting at most; returns the job id';
