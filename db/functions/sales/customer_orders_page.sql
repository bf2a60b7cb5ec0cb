/*
 * sales.customer_orders_page: one page of a customer's order history, newest first.
 * Keyset pagination: pass the (created_at, code) of the last row of the previous page as
 * p_after_created_at / p_after_code (null for the first page). Ties on created_at are broken
 * by code, so no order repeats or goes missing across pages. Deleted orders are left out.
 */
create or replace function sales.customer_orders_page(
    p_shop_id bigint,
    p_customer_guid uuid,
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
      and o.customer_guid = p_customer_guid
      and (p_after_created_at is null
           or (o.created_at, o.code) < (p_after_created_at, coalesce(p_after_code, '')))
      and o.deleted_at is null
    order by o.created_at desc, o.code desc
    limit p_limit
$$;

comment on function sales.customer_orders_page(bigint, uuid, timestamptz, text, integer) is
    'A customer''s orders newest first, one keyset page: pass the last row''s (created_at, code) for the next page';
