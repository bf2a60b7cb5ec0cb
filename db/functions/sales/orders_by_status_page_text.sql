/*
 * sales.orders_by_status_page(p_shop_id, p_status_id, p_from text, p_to text, ...): the form a
 * psql call with quoted bounds takes (orders_by_status_page(42, -1, '2026-04-01', '2026-07-01')).
 * A bound that is a date alone is local midnight of the shop (core.shop_time_bound); a bound
 * with a time is a timestamptz as before.
 */
create or replace function sales.orders_by_status_page(
    p_shop_id bigint,
    p_status_id integer,
    p_from text,
    p_to text,
    p_after_created_at timestamptz default null,
    p_after_code text default null,
    p_limit integer default 50
)
returns setof sales.orders
language sql
stable
set search_path = pg_catalog
as $$
    select * from sales.orders_by_status_page(p_shop_id, p_status_id, core.shop_time_bound(p_shop_id, p_from),
                                              core.shop_time_bound(p_shop_id, p_to), p_after_created_at, p_after_code,
                                              p_limit)
$$;

comment on function sales.orders_by_status_page(bigint, integer, text, text, timestamptz, text, integer) is
    'orders_by_status_page with bounds as text: a date alone is local midnight of the shop, else a timestamptz';
