/*
 * sales.customers_created_page(p_shop_id, p_from text, p_to text, ...): the form a psql call with
 * quoted bounds takes (customers_created_page(42, '2026-01-01', '2026-02-01')). A bound that is a
 * date alone is local midnight of the shop (core.shop_time_bound); a bound with a time is a
 * timestamptz as before.
 */
create or replace function sales.customers_created_page(
    p_shop_id bigint,
    p_from text,
    p_to text,
    p_after_created_at timestamptz default null,
    p_after_guid uuid default null,
    p_limit integer default 100
)
returns setof sales.customers
language sql
stable
set search_path = pg_catalog
as $$
    select * from sales.customers_created_page(p_shop_id, core.shop_time_bound(p_shop_id, p_from),
                                               core.shop_time_bound(p_shop_id, p_to), p_after_created_at, p_after_guid,
                                               p_limit)
$$;

comment on function sales.customers_created_page(bigint, text, text, timestamptz, uuid, integer) is
    'customers_created_page with bounds as text: a date alone is local midnight of the shop, else a timestamptz';
