/*
 * sales.email_orders_page: one page of the orders placed with an e-mail (guest orders included),
 * newest first; the e-mail matches case- and whitespace-insensitively. Keyset pagination as in
 * sales.customer_orders_page.
 */
create or replace function sales.email_orders_page(
    p_shop_id bigint,
    p_email text,
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
      and lower(btrim(o.email)) = lower(btrim(p_email))
      and (p_after_created_at is null
           or (o.created_at, o.code) < (p_after_created_at, coalesce(p_after_code, '')))
      and o.deleted_at is null
    order by o.created_at desc, o.code desc
    limit p_limit
$$;

comment on function sales.email_orders_page(bigint, text, timestamptz, text, integer) is
    'Orders placed with an e-mail (case/space-insensitive, guests included) newest first, one keyset page';
