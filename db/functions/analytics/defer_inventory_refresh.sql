/*
 * analytics.defer_inventory_refresh(p_shop_id): queue the worker job that refreshes a shop's
 * inventory figures (task recalculate_inventory of runner/tasks.py, queue analytics, lock
 * shop:<id>:inventory, as runner.tasks.defer_analytics('inventory', ...) queues it): called after
 * `hub snapshot import` or `hub sync` wrote a shop's orders or products, as the workers do after
 * their own writes (runner.tasks.analytics_after_write), so a shop's first import gets inventory
 * figures like its customer metrics. One job waits at most (queueing lock
 * shop:<id>:inventory:queued): a job already waiting is reused (analytics.defer_shop_job).
 * Returns the job's id.
 */
create or replace function analytics.defer_inventory_refresh(p_shop_id bigint)
returns bigint
language sql
set search_path = pg_catalog
return analytics.defer_shop_job(p_shop_id, 'recalculate_inventory', 'inventory');

comment on function analytics.defer_inventory_refresh(bigint) is
    'Queue (or reuse the waiting) recalculate_inventory job of a shop for the workers (after hub snapshot import / hub sync wrote orders or products); returns its id';
