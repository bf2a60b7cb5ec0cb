/*
 * sales.order_items_of: the lines of one order (hot or archived), by item_id. The order's
 * created_at is looked up first so that only one partition is read.
 */
create or replace function sales.order_items_of(p_shop_id bigint, p_order_code text,
                                                p_after_item_id bigint default null, p_limit integer default 1000)
returns setof sales.order_items
language sql
stable
set search_path = pg_catalog
as $$
    select i.*
    from sales.order_items_all i
    where i.shop_id = p_shop_id
      and i.order_code = p_order_code
      -- a scalar subquery: its value prunes the partitions at executor start
      and i.created_at = (select o.created_at from sales.orders o where o.shop_id = p_shop_id and o.code = p_order_code)
      and (p_after_item_id is null or i.item_id > p_after_item_id)
      and i.deleted_at is null
    order by i.item_id
    limit p_limit
$$;

comment on function sales.order_items_of(bigint, text, bigint, integer) is
    'Lines of one order (hot or archived) by item_id, one keyset page';
