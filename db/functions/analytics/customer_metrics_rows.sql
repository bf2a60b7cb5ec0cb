/*
 * analytics.customer_metrics_rows(p_shop_id, p_before, p_valued_at, p_median_days, p_horizon_days,
 * p_keys, p_ranked): THE computation of analytics.customer_metrics rows, pure (reads only).
 *
 *  1. facts per customer from the orders created before p_before (null: all orders):
 *     analytics.customer_facts (counted orders, keys, amounts);
 *  2. the model (rhythm-v1, analytics.customer_model_score), valued at p_valued_at with the shop
 *     median rhythm p_median_days and horizon p_horizon_days; a null median is fitted here
 *     (analytics.shop_median_days over the repeat buyers); a null horizon is the setting
 *     analytics.clv_horizon_days;
 *  3. with p_ranked: RFM scores ntile(5) over all the shop's customers ordered by (last_order_at,
 *     customer_key), (orders_count, customer_key), (total_spent, customer_key); the segment from
 *     analytics.rfm_segment_cells. Without: scores and segment null (the incremental refresh
 *     scores by the stored quintile boundaries instead);
 *  4. only p_keys when given (the facts of the others are still needed for the ranks when ranked).
 *
 * Returns rows of analytics.customer_metrics (computed_at = now()). clv = total_spent +
 * predicted_value. Amounts in the shop's default currency, days as numeric days.
 */
create or replace function analytics.customer_metrics_rows(
    p_shop_id bigint, p_before timestamptz, p_valued_at timestamptz, p_median_days numeric default null,
    p_horizon_days integer default null, p_keys text[] default null, p_ranked boolean default true)
returns setof analytics.customer_metrics
language sql
stable
as $$
    with facts as materialized (
        select f.*
        from analytics.customer_facts(p_shop_id, p_before, case when p_ranked then null else p_keys end) f
    ), model as materialized (
        select coalesce(p_median_days,
                        analytics.shop_median_days(array(select f.avg_days_between_orders from facts f
                                                         where f.orders_count > 1), h.horizon_days)) as median_days,
               h.horizon_days
        from (select coalesce(p_horizon_days, analytics.clv_horizon_days(p_shop_id)) as horizon_days) h
    ), ranked as (
        select f.*,
               case when p_ranked then ntile(5) over (order by f.last_order_at, f.customer_key collate "C") end as r,
               case when p_ranked then ntile(5) over (order by f.orders_count, f.customer_key collate "C") end as fr,
               case when p_ranked then ntile(5) over (order by f.total_spent, f.customer_key collate "C") end as m
        from facts f
    )
    select p_shop_id, k.customer_key, k.customer_guid, k.email, k.orders_count, k.total_spent, k.avg_order_value,
           k.first_order_at, k.last_order_at, k.avg_days_between_orders,
           k.r::smallint, k.fr::smallint, k.m::smallint, cell.segment,
           k.total_spent + s.predicted_value, s.churn_risk, s.expected_next_order_at, s.rhythm_days,
           s.predicted_orders, s.predicted_value, 'rhythm-v1', p_valued_at, now(), k.avg_order_value
    from ranked k
    cross join model
    cross join lateral analytics.customer_model_score(k.orders_count, k.avg_order_value, k.last_order_at, k.span_days,
                                                      p_valued_at, model.median_days, model.horizon_days) s
    left join analytics.rfm_segment_cells(p_shop_id) cell on cell.r = k.r and cell.f = k.fr and cell.m = k.m
    where p_keys is null or k.customer_key = any (p_keys)
$$;

comment on function analytics.customer_metrics_rows(bigint, timestamptz, timestamptz, numeric, integer, text[], boolean) is
    'The computation of analytics.customer_metrics rows (reads only): facts of orders before p_before, rhythm-v1 model valued at p_valued_at (median fitted when null, horizon from the setting when null), RFM ntile scores and segment when p_ranked, only p_keys when given';
