/*
 * ops.order_items_hot_from(): the first day kept in sales.order_items; older quarters belong to
 * archive.order_items. It is the start of the quarter that holds now() minus the retention
 * (pg_partman's part_config.retention of sales.order_items, 2 years).
 */
create or replace function ops.order_items_hot_from()
returns timestamptz
language sql
stable
security definer
set search_path = pg_catalog
set timezone = 'UTC'  -- quarters are UTC quarters whatever the session's time zone
as $$
    select date_trunc('quarter', now() - coalesce(
        (select c.retention::interval from partman.part_config c where c.parent_table = 'sales.order_items'),
        interval '2 years'))
$$;

comment on function ops.order_items_hot_from() is
    'First moment kept in sales.order_items: quarters before it are detached into archive.order_items';
