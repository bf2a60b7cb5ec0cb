/*
 * sales.orders_by_status_page: one page of a shop's orders in a status created in
 * [p_from, p_to), newest first. Keyset pagination on (created_at, code).
 * Bounds are moments (timestamptz); for the shop's calendar days pass dates (or date-only
 * text): see orders_by_status_page_dates.sql / _text.sql.
 */
create or replace function sales.orders_by_status_page(
    p_shop_id bigint,
    p_status_id integer,
    p_from timestamptz,
    p_to timestamptz,
    p_after_created_at timestamptz default null,
    p_after_code text default null,
    p_limit integer default 50
)
returns setof sales.orders
language sql
stable
set search_path = pg_catalog
as $$
    select o.*
    from sales.orders o
    where o.shop_id = p_shop_id
      and o.status_id = p_status_id
      and o.created_at >= p_from and o.created_at < p_to
      and (p_after_created_at is null
           or (o.created_at, o.code) < (p_after_created_at, coalesce(p_after_code, '')))
      and o.deleted_at is null
    order by o.created_at desc, o.code desc
    limit p_limit
$$;

comment on function sales.orders_by_status_page(bigint, integer, timestamptz, timestamptz, timestamptz, text, integer) is
    'A shop''s orders in a status created in [p_from, p_to) newest first, one keyset page';
