/*
 * analytics.defer_refresh(p_shop_id): queue the worker job that refreshes a shop's changed
 * customers (task refresh_changed_customers of runner/tasks.py, queue analytics, lock
 * shop:<id>:customer_changes): called after a snapshot import, a sync run or a webhook job wrote
 * the shop's orders or customers, by the workers and by `hub snapshot import` / `hub sync`. One
 * job waits at most (queueing lock shop:<id>:customer_changes:queued): a job already waiting is
 * reused (analytics.defer_shop_job). Returns the job's id. What changed is already queued, by the triggers, in
 * analytics.customer_changes.
 */
create or replace function analytics.defer_refresh(p_shop_id bigint)
returns bigint
language sql
set search_path = pg_catalog
return analytics.defer_shop_job(p_shop_id, 'refresh_changed_customers', 'customer_changes');

comment on function analytics.defer_refresh(bigint) is
    'Queue (or reuse the waiting) refresh_changed_customers job of a shop for the workers; returns its id';
