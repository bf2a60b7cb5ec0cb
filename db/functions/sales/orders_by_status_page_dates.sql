/*
 * sales.orders_by_status_page(p_shop_id, p_status_id, p_from date, p_to date, ...): a shop's
 * orders in a status created on its calendar days [p_from, p_to), cut at midnight in the shop's
 * time zone (core.shops.timezone), not at UTC midnight. Otherwise the timestamptz version.
 */
create or replace function sales.orders_by_status_page(
    p_shop_id bigint,
    p_status_id integer,
    p_from date,
    p_to date,
    p_after_created_at timestamptz default null,
    p_after_code text default null,
    p_limit integer default 50
)
returns setof sales.orders
language sql
stable
set search_path = pg_catalog
as $$
    select * from sales.orders_by_status_page(p_shop_id, p_status_id, core.shop_day_start(p_shop_id, p_from),
                                              core.shop_day_start(p_shop_id, p_to), p_after_created_at, p_after_code,
                                              p_limit)
$$;

comment on function sales.orders_by_status_page(bigint, integer, date, date, timestamptz, text, integer) is
    'A shop''s orders in a status created on its local calendar days [p_from, p_to) newest first, one keyset page';
