/*
 * ops.orders_date_outliers: data quality — orders whose creation time is implausible
 * (ops.is_date_outlier: before 2000 or more than a year ahead), as Shoptet has them: the hub
 * keeps them (they exist at the source) with their lines in the partition of their own quarter
 * (archive.order_items for old ones). Fix the date in Shoptet and the next sync moves the order
 * and its lines where they belong. One row per order, deleted ones included (deleted_at set).
 * Reads one index range per shop (sales.orders (shop_id, created_at, code)), not the whole table.
 */
create or replace view ops.orders_date_outliers as
select s.shop_id,
       o.code,
       o.created_at,
       o.changed_at,
       case when o.created_at < now() then 'before 2000' else 'more than a year ahead' end as reason,
       case when o.created_at < ops.order_items_hot_from() then 'archive' else 'sales' end
           -- ops.quarter_partition_name, spelled out: a view cannot use a function loaded after it
           || '.order_items_p' || to_char(o.created_at at time zone 'UTC', 'YYYY"q"Q') as partition,
       o.deleted_at
from core.shops s
cross join lateral (
    select o.code, o.created_at, o.changed_at, o.deleted_at
    from sales.orders o
    where o.shop_id = s.shop_id and ops.is_date_outlier(o.created_at)
) o;

comment on view ops.orders_date_outliers is
    'Data quality: orders dated before 2000 or more than a year ahead (kept as Shoptet has them), with the partition holding their lines';
