/*
 * sales.customers_created_page(p_shop_id, p_from date, p_to date, ...): customers who registered
 * on the shop's calendar days [p_from, p_to), cut at midnight in the shop's time zone
 * (core.shops.timezone). Otherwise the timestamptz version.
 */
create or replace function sales.customers_created_page(
    p_shop_id bigint,
    p_from date,
    p_to date,
    p_after_created_at timestamptz default null,
    p_after_guid uuid default null,
    p_limit integer default 100
)
returns setof sales.customers
language sql
stable
set search_path = pg_catalog
as $$
    select * from sales.customers_created_page(p_shop_id, core.shop_day_start(p_shop_id, p_from),
                                               core.shop_day_start(p_shop_id, p_to), p_after_created_at, p_after_guid,
                                               p_limit)
$$;

comment on function sales.customers_created_page(bigint, date, date, timestamptz, uuid, integer) is
    'Customers who registered on the shop''s local calendar days [p_from, p_to) newest first, one keyset page';
