/*
 * analytics.top_customers: a shop's best customers by total spent (p_by = 'spent', default) or
 * by number of orders (p_by = 'orders').
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
        order by m.orders_count desc, m.customer_key
        limit p_limit;
    elsif p_by = 'spent' then
        return query
        select m.* from analytics.customer_metrics m
        where m.shop_id = p_shop_id
        order by m.total_spent desc, m.customer_key
        limit p_limit;
    else
        raise exception 'analytics.top_customers: p_by must be spent or orders, got %', quote_literal(p_by)
            using errcode = '22023';
    end if;
end
$$;

comment on function analytics.top_customers(bigint, integer, text) is
    'A shop''s top customers by total spent (default) or by orders count';
