/*
 * sales.order_items_by_type(p_shop_id, p_item_type, p_from text, p_to text, ...): the form a
 * psql call with quoted bounds takes — order_items_by_type(42, 'discount-coupon', '2026-04-01',
 * '2026-07-01') — since PostgreSQL prefers a text parameter for an untyped literal. A bound that
 * is a date alone is local midnight of the shop (core.shop_time_bound), so the call above means
 * the shop's second quarter; a bound with a time is a timestamptz as before.
 */
create or replace function sales.order_items_by_type(
    p_shop_id bigint,
    p_item_type text,
    p_from text,
    p_to text,
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
    select * from sales.order_items_by_type(p_shop_id, p_item_type, core.shop_time_bound(p_shop_id, p_from),
                                            core.shop_time_bound(p_shop_id, p_to), p_limit, p_after_created_at,
                                            p_after_order_code, p_after_item_id)
$$;

comment on function sales.order_items_by_type(bigint, text, text, text, integer, timestamptz, text, bigint) is
    'order_items_by_type with bounds as text: a date alone is local midnight of the shop, else a timestamptz';
