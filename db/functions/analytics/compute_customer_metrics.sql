/*
 * analytics.compute_customer_metrics(p_shop_id, p_as_of, p_keys): what analytics.customer_metrics
 * of a shop would show if it was computed and read at p_as_of from the orders created before
 * p_as_of only (a backtest's cutoff): facts and RFM of then (analytics.customer_base_rows), the
 * rhythm-v1 model fitted on that data (median rhythm of then, horizon from the setting
 * analytics.clv_horizon_days) and valued at p_as_of (analytics.clv_model_score). p_keys: return
 * only these customers (null: all). Reads only; writes nothing. Rows of the view
 * analytics.customer_metrics (valued_at = p_as_of, computed_at = now(); clv_model and churn_model
 * rhythm-v1: the live metrics' choice of model is made by backtests, which use this function).
 */
create or replace function analytics.compute_customer_metrics(p_shop_id bigint, p_as_of timestamptz default now(),
                                                              p_keys text[] default null)
returns setof analytics.customer_metrics
language sql
stable
as $$
    with base as materialized (
        select * from analytics.customer_base_rows(p_shop_id, p_as_of, null, true)
    ), model as materialized (
        select analytics.shop_median_days(array(select b.avg_days_between_orders from base b where b.orders_count > 1),
                                          h.horizon_days) as median_days,
               h.horizon_days
        from (select analytics.clv_horizon_days(p_shop_id) as horizon_days) h
    )
    select b.shop_id, b.customer_key, b.customer_guid, b.email, b.orders_count, b.total_spent, b.avg_order_value,
           b.first_order_at, b.last_order_at, b.avg_days_between_orders, b.recency_score, b.frequency_score,
           b.monetary_score, b.rfm_segment,
           b.total_spent + s.predicted_value,
           s.churn_risk, s.expected_next_order_at, s.rhythm_days, s.predicted_orders, s.predicted_value,
           'rhythm-v1', p_as_of, b.computed_at, b.avg_order_value, 'rhythm-v1'
    from base b
    cross join model m
    cross join lateral analytics.clv_model_score(b.orders_count, b.avg_order_value, b.first_order_at, b.last_order_at,
                                                 p_as_of, m.median_days, m.horizon_days) s
    where p_keys is null or b.customer_key = any (p_keys)
$$;

comment on function analytics.compute_customer_metrics(bigint, timestamptz, text[]) is
    'Customer metrics of a shop as computed and read at p_as_of from orders created before it (model fitted then); only p_keys when given; reads only';
