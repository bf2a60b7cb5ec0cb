/*
 * sales.order_items_by_type: order lines of one item type (product, shipping, billing,
 * discount-coupon, ...) of a shop created in [p_from, p_to), hot and archived, oldest first.
 * Keyset pagination on (created_at, order_code, item_id); the date range prunes partitions.
 * Bounds are moments (timestamptz); for the shop's calendar days pass dates (or date-only
 * text): see order_items_by_type_dates.sql / _text.sql.
 */
create or replace function sales.order_items_by_type(
    p_shop_id bigint,
    p_item_type text,
    p_from timestamptz,
    p_to timestamptz,
    p_limit integer default 1000,
    p_after_created_at timestamptz default null,
    p_after_order_code text default null,
    p_after_item_id bigint default null
)
returns setof sales.order_items
language sql
stable
set search_path = pg_catalog
as $$
    select i.*
    from sales.order_items_all i
    where i.shop_id = p_shop_id
      and i.item_type = p_item_type
      and i.created_at >= p_from and i.created_at < p_to
      and (p_after_created_at is null
           or (i.created_at, i.order_code, i.item_id)
              > (p_after_created_at, coalesce(p_after_order_code, ''), coalesce(p_after_item_id, -1)))
      and i.deleted_at is null
    order by i.created_at, i.order_code, i.item_id
    limit p_limit
$$;

comment on function sales.order_items_by_type(bigint, text, timestamptz, timestamptz, integer, timestamptz, text, bigint) is
    'A shop''s order lines of one item type created in [p_from, p_to) (hot and archived), one keyset page';
