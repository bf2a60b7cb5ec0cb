/*
 * analytics.clv_live_summary(p_shop_id, p_as_of): the per-customer summary the live BG/NBD fit
 * reads (runner/backtest.py fit_live_model, runner/clv_fit.py), from the stored customer facts
 * (analytics.customer_metrics_base: every counted order of the last refresh) as of p_as_of (the
 * time of the fit): x = orders_count - 1 (repeat orders), t_x = days from the first to the last
 * order, t = days from the first order to p_as_of, both rounded to whole days (t at least 1 and at
 * least t_x), grouped: customers = how many have that summary. The same shape as
 * analytics.clv_summary (the backtest's, from the orders before a cutoff). Reads only.
 */
create or replace function analytics.clv_live_summary(p_shop_id bigint, p_as_of timestamptz)
returns table (x integer, t_x integer, t integer, customers integer)
language sql
stable
set search_path = pg_catalog
as $$
    with facts as (
        select b.orders_count - 1 as x,
               round(extract(epoch from b.last_order_at - b.first_order_at) / 86400)::integer as t_x,
               greatest(1, round(extract(epoch from p_as_of - b.first_order_at) / 86400))::integer as t
        from analytics.customer_metrics_base b
        where b.shop_id = p_shop_id
    )
    select f.x, least(f.t_x, f.t), f.t, count(*)::integer
    from facts f
    group by 1, 2, 3
    order by 1, 2, 3
$$;

comment on function analytics.clv_live_summary(bigint, timestamptz) is
    'Per-customer summary for the live BG/NBD fit from the stored customer facts as of a time: (x repeat orders, t_x and t in whole days) with the number of customers having it';
