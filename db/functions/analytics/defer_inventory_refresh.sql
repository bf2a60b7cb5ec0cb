/*
 * analytics.defer_inventory_refresh(p_shop_id): queue the worker job that refreshes a shop's
 * inventory figures (task recalculate_inventory of runner/tasks.py, queue analytics, lock
 * shop:<id>:inventory, as runner.tasks.defer_analytics('inventory', ...) queues it): called after
 * `hub snapshot import` or `hub sync` wrote a shop's orders or products, as the workers do after
 * their own writes (runner.tasks.analytics_after_write), so a shop's first import gets inventory
 * figures like its customer metrics. One job waits at most (queueing lock
 * shop:<id>:inventory:queued): a job already waiting is reused. Returns the job's id.
 */
create or replace function analytics.defer_inventory_refresh(p_shop_id bigint)
returns bigint
language plpgsql
set search_path = pg_catalog, procrastinate
as $$
declare
    v_lock text := format('shop:%s:inventory', p_shop_id);
    v_id bigint;
begin
    select j.id into v_id from procrastinate_jobs j where j.queueing_lock = v_lock || ':queued' and j.status = 'todo';
    if v_id is null then
        begin
            v_id := (procrastinate_defer_jobs_v1(array[row(
                'analytics', 'recalculate_inventory', 0, v_lock, v_lock || ':queued',
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

comment on function analytics.defer_inventory_refresh(bigint) is
    'Queue (or reuse the waiting) recalculate_inventory job of a shop for the workers (after hub snapshot import / hub sync wrote orders or products); returns its id';
