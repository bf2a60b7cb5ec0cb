/*
 * analytics.refresh_customer_metrics(p_shop_id): recompute analytics.customer_metrics of one shop
 * (or of all when null) from sales.orders, set-based: orders count, total spent in the shop's
 * default currency (total_with_vat * exchange_rate), average order, first and last order, per
 * customer key core.normalize_email(email) (orders without an e-mail are left out).
 * Customers without orders any more are removed. RFM, CLV and churn are left as they are (a
 * later computation fills them). Returns the number of rows written.
 */
create or replace function analytics.refresh_customer_metrics(p_shop_id bigint default null)
returns bigint
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_rows bigint;
begin
    with per_customer as (
        select
            o.shop_id,
            core.normalize_email(o.email) as customer_key,
            (array_agg(o.customer_guid order by o.created_at desc) filter (where o.customer_guid is not null))[1] as customer_guid,
            count(*)::integer as orders_count,
            coalesce(sum(o.total_with_vat * coalesce(o.exchange_rate, 1)), 0)::numeric(14,2) as total_spent,
            min(o.created_at) as first_order_at,
            max(o.created_at) as last_order_at
        from sales.orders o
        where (p_shop_id is null or o.shop_id = p_shop_id)
          and o.deleted_at is null
          and core.normalize_email(o.email) is not null
        group by o.shop_id, core.normalize_email(o.email)
    )
    insert into analytics.customer_metrics as m
        (shop_id, customer_key, customer_guid, orders_count, total_spent, average_order,
         first_order_at, last_order_at, computed_at)
    select shop_id, customer_key, customer_guid, orders_count, total_spent,
           round(total_spent / orders_count, 2), first_order_at, last_order_at, now()
    from per_customer
    on conflict (shop_id, customer_key) do update
    set customer_guid = excluded.customer_guid, orders_count = excluded.orders_count,
        total_spent = excluded.total_spent, average_order = excluded.average_order,
        first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at,
        computed_at = excluded.computed_at;
    get diagnostics v_rows = row_count;

    delete from analytics.customer_metrics m
    where (p_shop_id is null or m.shop_id = p_shop_id)
      and m.computed_at < now();
    return v_rows;
end
$$;

comment on function analytics.refresh_customer_metrics(bigint) is
    'Recompute order metrics per customer (key: core.normalize_email of the orders'' e-mail) of one shop or all, set-based; returns rows written';
