/*
 * analytics.clv_summary(p_shop_id, p_cutoff): the per-customer summary a buy-till-you-die model is
 * fitted on (runner/clv_fit.py), as of the local midnight starting the cutoff day, from the counted
 * orders before it (analytics.customer_facts): x = orders_count - 1 (repeat orders), t_x = days
 * from the first to the last order, t = days from the first order to the cutoff, both rounded to
 * whole days (t at least 1), grouped: customers = how many have that summary. Reads only.
 */
create or replace function analytics.clv_summary(p_shop_id bigint, p_cutoff date)
returns table (x integer, t_x integer, t integer, customers integer)
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_from timestamptz := core.shop_day_start(p_shop_id, p_cutoff);
begin
    -- the cutoff as a literal: analytics.customer_facts is planned for it (as an expression, its
    -- plan was many times slower)
    return query execute format($q$
    with facts as (
        select f.orders_count - 1 as x,
               round(extract(epoch from f.last_order_at - f.first_order_at) / 86400)::integer as t_x,
               greatest(1, round(extract(epoch from %2$L::timestamptz - f.first_order_at) / 86400))::integer as t
        from analytics.customer_facts(%1$s, %2$L::timestamptz) f
    )
    select f.x, least(f.t_x, f.t), f.t, count(*)::integer
    from facts f
    group by 1, 2, 3
    order by 1, 2, 3
    $q$, p_shop_id, v_from);
end
$$;

comment on function analytics.clv_summary(bigint, date) is
    'Per-customer summary for a buy-till-you-die fit as of a cutoff day: (x repeat orders, t_x and t in whole days) with the number of customers having it';
