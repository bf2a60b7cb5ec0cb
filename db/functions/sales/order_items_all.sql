/*
 * sales.order_items_all: every order line, hot (sales.order_items) and archived
 * (archive.order_items, quarters older than the 2-year retention). A date range in the
 * query prunes partitions on both sides.
 */
create or replace view sales.order_items_all as
select * from sales.order_items
union all
select * from archive.order_items;

comment on view sales.order_items_all is
    'Every order line, hot and archived (older than 2 years); filter on created_at to prune partitions';
