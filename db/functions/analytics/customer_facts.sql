/*
 * analytics.customer_facts(p_shop_id, p_before, p_keys): the order facts of a shop's customers,
 * one row per customer_key, from the counted orders: not deleted at the source (deleted_at null),
 * not cancelled (status_id not in analytics.cancelled_status_ids(shop); a null status counts),
 * created before p_before (null: every order), and with a key (sales.orders.customer_key =
 * analytics.customer_key; an order with neither customer GUID nor e-mail counts for nobody). p_keys: only these customer keys
 * (null: all); a customer without a counted order has no row.
 *
 * Columns: customer_key; customer_guid (registered customers; null for guests); email (the guest's
 * e-mail, or the registered customer's account e-mail sales.customers.email, else the e-mail of
 * their latest counted order that has one); orders_count; total_spent = sum of
 * analytics.order_amount (round(total_with_vat x exchange_rate, 2) per order, shop currency);
 * avg_order_value = round(total_spent / orders_count, 2); first_order_at, last_order_at (min and
 * max created_at); avg_days_between_orders = (last - first) in days / (orders_count - 1), rounded
 * to 4 decimals, null for one order; span_days = (last - first) in days, unrounded (numeric).
 *
 * SQL, inlined into the caller: called with constant p_keys the orders are found by the index
 * orders_customer_key (shop_id, customer_key).
 */
create or replace function analytics.customer_facts(p_shop_id bigint, p_before timestamptz default null,
                                                    p_keys text[] default null)
returns table (customer_key text, customer_guid uuid, email text, orders_count integer, total_spent numeric,
               avg_order_value numeric, first_order_at timestamptz, last_order_at timestamptz,
               avg_days_between_orders numeric, span_days numeric)
language sql
stable
as $$
    with cancelled as materialized (
        select analytics.cancelled_status_ids(p_shop_id) as ids
    ), counted as (
        select o.customer_key, o.customer_guid, o.created_at, sc.email as account_email,
               analytics.order_amount(o.total_with_vat, o.exchange_rate) as amount
        from sales.orders o
        cross join cancelled x
        left join sales.customers sc on sc.shop_id = p_shop_id and sc.guid = o.customer_guid
        where o.shop_id = p_shop_id
          and o.customer_key is not null
          and o.deleted_at is null
          and not coalesce(o.status_id = any (x.ids), false)
          and (p_before is null or o.created_at < p_before)
          and (p_keys is null or o.customer_key = any (p_keys))
    ), per_customer as (
        select c.customer_key,
               case when bool_or(c.customer_guid is not null) then c.customer_key::uuid end as customer_guid,
               count(*)::integer as orders_count,
               -- whole cents: an int8 sum is exact and much cheaper than a numeric one
               sum((c.amount * 100)::bigint) as cents,
               min(c.created_at) as first_order_at,
               max(c.created_at) as last_order_at,
               max(c.account_email) as account_email
        from counted c
        group by c.customer_key
    )
    select p.customer_key,
           p.customer_guid,
           case when p.customer_guid is null then p.customer_key
                when p.account_email is not null then core.normalize_email(p.account_email)
                -- a registered customer without an account e-mail: their latest counted order's
                -- (a subquery run only for them)
                else (select core.normalize_email(o.email)
                      from sales.orders o
                      cross join cancelled x
                      where o.shop_id = p_shop_id and o.customer_key = p.customer_key
                        and o.deleted_at is null and o.email is not null
                        and not coalesce(o.status_id = any (x.ids), false)
                        and (p_before is null or o.created_at < p_before)
                      order by o.created_at desc, o.code desc
                      limit 1)
           end as email,
           p.orders_count,
           round(p.cents / 100.0, 2) as total_spent,
           round(p.cents / 100.0 / p.orders_count, 2) as avg_order_value,
           p.first_order_at,
           p.last_order_at,
           case when p.orders_count > 1
                then round(extract(epoch from p.last_order_at - p.first_order_at) / 86400 / (p.orders_count - 1), 4)
           end as avg_days_between_orders,
           extract(epoch from p.last_order_at - p.first_order_at) / 86400 as span_days
    from per_customer p
$$;

comment on function analytics.customer_facts(bigint, timestamptz, text[]) is
    'Order facts per customer_key of a shop from counted orders (not cancelled, not deleted, created before p_before when given; only p_keys when given): guid, e-mail, orders_count, total_spent, avg_order_value, first/last order, avg_days_between_orders, span_days';
