/*
 * analytics.customer_products(p_shop_id, p_customer_keys): the products each customer of a shop
 * has bought: one row per (customer_key, product_guid) with the number of the customer's orders
 * holding it and when it was last ordered. Keys as analytics.customer_key makes them (lower-case
 * customer GUID, or the normalised e-mail of guest orders); given keys are resolved with
 * analytics.resolve_customer_keys first (an account e-mail finds the registered customer, under
 * their GUID key). p_customer_keys null: every customer of the shop.
 *
 * What counts as bought is what the frequently-bought-together statistics count (see
 * analytics.refresh_product_pairs), over the whole history: product lines (item_type product,
 * bazar, product-set; not deleted) of counted orders (not deleted, status not in
 * analytics.cancelled_status_ids), at product level (productGuid, else the product of the
 * line's variant code in catalog.variants). A given key with no such order gives no row.
 */
create or replace function analytics.customer_products(p_shop_id bigint, p_customer_keys text[] default null)
returns table (customer_key text, product_guid uuid, orders_count integer, last_ordered_at timestamptz)
language plpgsql
stable
set search_path = pg_catalog
set jit = off
as $$
declare
    v_cancelled integer[] := analytics.cancelled_status_ids(p_shop_id);
    v_keys text[];
begin
    if p_customer_keys is null then
        -- every customer: one pass over the shop's orders and lines (hash joins)
        return query
        select analytics.customer_key(o.customer_guid, o.email) as customer_key,
               coalesce(oi.product_guid, v.product_guid) as product_guid,
               count(distinct o.code)::integer, max(o.created_at)
        from sales.orders o
        join sales.order_items_all oi on oi.shop_id = o.shop_id and oi.order_code = o.code
        left join catalog.variants v on oi.product_guid is null and v.shop_id = oi.shop_id and v.code = oi.code
        where o.shop_id = p_shop_id
          and o.deleted_at is null
          and (o.status_id is null or o.status_id <> all (v_cancelled))
          and analytics.customer_key(o.customer_guid, o.email) is not null
          and oi.shop_id = p_shop_id
          and oi.item_type in ('product', 'bazar', 'product-set')
          and oi.deleted_at is null
          and coalesce(oi.product_guid, v.product_guid) is not null
        group by 1, 2;
        return;
    end if;

    v_keys := array(select distinct r.customer_key from analytics.resolve_customer_keys(p_shop_id, p_customer_keys) r);
    -- given customers: their orders by the customer-history and e-mail-history indexes, their
    -- lines by the lines' primary key (shop_id, created_at, order_code)
    return query
    with orders as (
        select o.code, o.created_at, pg_catalog.text(o.customer_guid) as customer_key
        from sales.orders o
        where o.shop_id = p_shop_id
          and o.customer_guid = any (array(select core.normalize_guid(k) from unnest(v_keys) k
                                           where core.normalize_guid(k) is not null))
          and o.deleted_at is null
          and (o.status_id is null or o.status_id <> all (v_cancelled))
        union all
        select o.code, o.created_at, core.normalize_email(o.email)
        from sales.orders o
        where o.shop_id = p_shop_id
          and core.normalize_email(o.email) = any (v_keys)
          and o.email is not null
          and o.customer_guid is null
          and o.deleted_at is null
          and (o.status_id is null or o.status_id <> all (v_cancelled))
    )
    select o.customer_key, coalesce(oi.product_guid, v.product_guid),
           count(distinct o.code)::integer, max(o.created_at)
    from orders o
    join sales.order_items_all oi
      on oi.shop_id = p_shop_id and oi.created_at = o.created_at and oi.order_code = o.code
    left join catalog.variants v on oi.product_guid is null and v.shop_id = oi.shop_id and v.code = oi.code
    where oi.item_type in ('product', 'bazar', 'product-set')
      and oi.deleted_at is null
      and coalesce(oi.product_guid, v.product_guid) is not null
    group by 1, 2;
end
$$;

comment on function analytics.customer_products(bigint, text[]) is
    'Products (product level) each customer of a shop bought in counted orders, whole history: (customer_key, product_guid, orders_count, last_ordered_at); p_customer_keys null = every customer';
