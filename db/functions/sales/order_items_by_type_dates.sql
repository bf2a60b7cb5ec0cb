/*
 * sales.order_items_by_type(p_shop_id, p_item_type, p_from date, p_to date, ...): the lines of
 * one item type created on the shop's calendar days [p_from, p_to), cut at midnight in the
 * shop's time zone (core.shops.timezone), not at UTC midnight: with a Prague shop,
 * ('2026-04-01', '2026-07-01') is 2026-03-31 22:00 UTC .. 2026-06-30 22:00 UTC. Otherwise the
 * timestamptz version (same keyset pagination). Partitions stay UTC quarters: a local quarter
 * reads at most two of them.
 */
create or replace function sales.order_items_by_type(
    p_shop_id bigint,
    p_item_type text,
    p_from date,
    p_to date,
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
    select * from sales.order_items_by_type(p_shop_id, p_item_type, core.shop_day_start(p_shop_id, p_from),
                                            core.shop_day_start(p_shop_id, p_to), p_limit, p_after_created_at,
                                            p_after_order_code, p_after_item_id)
$$;

comment on function sales.order_items_by_type(bigint, text, date, date, integer, timestamptz, text, bigint) is
    'A shop''s order lines of one item type created on its local calendar days [p_from, p_to), one keyset page';
