/*
 * sales.customers_created_page: one page of the customers who registered in [p_from, p_to),
 * newest first. Keyset pagination on (created_at, guid).
 * Bounds are moments (timestamptz); for the shop's calendar days pass dates (or date-only
 * text): see customers_created_page_dates.sql / _text.sql.
 */
create or replace function sales.customers_created_page(
    p_shop_id bigint,
    p_from timestamptz,
    p_to timestamptz,
    p_after_created_at timestamptz default null,
    p_after_guid uuid default null,
    p_limit integer default 100
)
returns setof sales.customers
language sql
stable
set search_path = pg_catalog
as $$
    select c.*
    from sales.customers c
    where c.shop_id = p_shop_id
      and c.created_at >= p_from and c.created_at < p_to
      and (p_after_created_at is null
           or (c.created_at, c.guid) < (p_after_created_at, coalesce(p_after_guid, 'ffffffff-ffff-ffff-ffff-ffffffffffff')))
      and c.deleted_at is null
    order by c.created_at desc, c.guid desc
    limit p_limit
$$;

comment on function sales.customers_created_page(bigint, timestamptz, timestamptz, timestamptz, uuid, integer) is
    'Customers who registered in [p_from, p_to) newest first, one keyset page';
