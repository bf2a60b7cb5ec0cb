/*
 * analytics.clv_model_score(...): the rhythm-v1 CLV / churn model for one customer, one row.
 * Inputs: the customer's orders_count n, avg_order_value, first_order_at and last_order_at, the
 * time valued at, the shop's median rhythm m in days (analytics.customer_models.
 * median_days_between_orders) and the horizon H in days.
 *
 *   rhythm_days            r = round(((last - first) in days + m) / n, 4)
 *                          the n - 1 own gaps plus one shop-median gap, averaged over n gaps:
 *                          the own rhythm pulled toward the shop's by one gap; n = 1 gives m
 *   days since last order  d = max(0, valued_at - last_order_at) in days
 *   churn_risk             c = round(1 - exp(-d / r), 4)   (double precision exp)
 *                          if the customer still buys at random with a mean gap of r days
 *                          (a Poisson process), the probability of a silence of at least d days
 *                          is exp(-d / r); c is its complement: how unusual the silence is
 *   expected_next_order_at last_order_at + r days (exact seconds; before valued_at = overdue)
 *   predicted_orders       round((1 - c) x H / r, 4): H / r orders at the own rhythm, weighted
 *                          by the chance the customer is still buying
 *   predicted_value        round(predicted_orders x avg_order_value, 2); clv = total_spent + it
 *
 * Every step after c is numeric (exact); churn_risk is the only value from floating point.
 * Source: the exponential inter-purchase model (the "buy" part of Pareto/NBD, Schmittlein,
 * Morrison & Colombo 1987) with a one-gap credibility prior; docs/analytics.md.
 * Created by migration 0092 as well (the view analytics.customer_metrics needs it before
 * db/functions/ is loaded); a test keeps the two definitions equal.
 */
create or replace function analytics.clv_model_score(
    p_orders_count integer, p_avg_order_value numeric, p_first_order_at timestamptz, p_last_order_at timestamptz,
    p_valued_at timestamptz, p_median_days numeric, p_horizon_days integer)
returns table (rhythm_days numeric, churn_risk numeric, expected_next_order_at timestamptz,
               predicted_orders numeric, predicted_value numeric)
language sql
immutable
as $$
    select r.rhythm_days, c.churn_risk,
           p_last_order_at + make_interval(secs => (r.rhythm_days * 86400)::double precision),
           o.predicted_orders,
           round(o.predicted_orders * p_avg_order_value, 2)
    from (select round((extract(epoch from p_last_order_at - p_first_order_at) / 86400 + p_median_days)
                       / p_orders_count, 4) as rhythm_days) r
    cross join lateral (
        select round((1 - exp(-greatest(0, extract(epoch from p_valued_at - p_last_order_at))::double precision
                              / 86400 / r.rhythm_days::double precision))::numeric, 4) as churn_risk
    ) c
    cross join lateral (
        select round((1 - c.churn_risk) * p_horizon_days / r.rhythm_days, 4) as predicted_orders
    ) o
$$;

comment on function analytics.clv_model_score(integer, numeric, timestamptz, timestamptz, timestamptz, numeric, integer) is
    'rhythm-v1 model of one customer: rhythm_days = round(((last - first) days + shop median) / n, 4); churn_risk = round(1 - exp(-days since last / rhythm), 4); expected_next_order_at = last + rhythm; predicted_orders = round((1 - churn) x horizon / rhythm, 4); predicted_value = round(predicted_orders x AOV, 2)';
