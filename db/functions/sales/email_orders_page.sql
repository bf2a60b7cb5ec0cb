/*
 * sales.email_orders_page: one page of the orders placed with an e-mail (guest orders included),
 * newest first; e-mails are matched by core.normalize_email (case, surrounding white space). Keyset pagination as in
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
      and core.normalize_email(o.email) = core.normalize_email(p_email)
      and o.email is not null
      and (p_after_created_at is null
           or (o.created_at, o.code) < (p_after_created_at, coalesce(p_after_code, '')))
      and o.deleted_at is null
    order by o.created_at desc, o.code desc
    limit p_limit
$$;

comment on function sales.email_orders_page(bigint, text, timestamptz, text, integer) is
    'Orders placed with an e-mail (matched by core.normalize_email, guests included; index orders_email_history) newest first, one keyset page';
