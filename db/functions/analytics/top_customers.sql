/*
 * analytics.top_customers: a shop's best customers by total spent (p_by = 'spent', default), by
 * number of orders (p_by = 'orders') or by customer lifetime value (p_by = 'clv'); ties by
 * customer_key, descending (the indexes customer_metrics_shop_spent / _orders read backwards).
 * Raises 22023 for another p_by.
 */
create or replace function analytics.top_customers(p_shop_id bigint, p_limit integer default 50,
                                                   p_by text default 'spent')
returns setof analytics.customer_metrics
language plpgsql
stable
set search_path = pg_catalog
as $$
begin
    if p_by = 'orders' then
        return query
        select m.* from analytics.customer_metrics m
        where m.shop_id = p_shop_id
        order by m.orders_count desc, m.customer_key desc
        limit p_limit;
    elsif p_by = 'spent' then
        return query
        select m.* from analytics.customer_metrics m
        where m.shop_id = p_shop_id
        order by m.total_spent desc, m.customer_key desc
        limit p_limit;
    elsif p_by = 'clv' then
        return query
        select m.* from analytics.customer_metrics m
        where m.shop_id = p_shop_id
        order by m.clv desc nulls last, m.customer_key desc
        limit p_limit;
    else
        raise exception 'analytics.top_customers: p_by must be spent, orders or clv, got %', quote_literal(p_by)
            using errcode = '22023';
    end if;
end
$$;

comment on function analytics.top_customers(bigint, integer, text) is
    'A shop''s top customers by total spent (default), orders count or clv; ties by customer_key descending';
