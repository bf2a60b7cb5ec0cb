/*
 * analytics.baseline_model_score(...): the naive baseline a CLV / churn model must beat
 * (analytics.clv_models; issue 13 item 5), for one customer, one row.
 * Inputs: orders_count n, first_order_at, last_order_at, the time valued at, the shop's median
 * rhythm m in days (analytics.customer_models.median_days_between_orders), the horizon H in days.
 *
 *   recency_days      d = max(0, valued_at - last_order_at) in days: the baseline's churn score
 *                     (recency alone: the longer the silence, the likelier the churn)
 *   churn_risk        1 - exp(-d / m): recency on a 0-1 scale (the same order as d, so the same
 *                     ROC AUC), for storing in analytics.customer_metrics.churn_risk
 *   predicted_orders  n x H / max(days since first_order_at, H): the customer's past rate over the
 *                     horizon; the time since the first order counts as at least one horizon, so
 *                     that a customer first seen yesterday is not predicted to buy every day
 *
 * Double precision, unrounded (the caller rounds what it stores); exp() of less than -700 counts
 * as exp(-700) (no underflow error for a silence of hundreds of median rhythms). Created by
 * migration 0130 as well (the view analytics.customer_metrics calls it); a test keeps the two
 * definitions equal.
 */
create or replace function analytics.baseline_model_score(
    p_orders_count integer, p_first_order_at timestamptz, p_last_order_at timestamptz, p_valued_at timestamptz,
    p_median_days numeric, p_horizon_days integer)
returns table (recency_days double precision, churn_risk double precision, predicted_orders double precision)
language sql
immutable
parallel safe
set search_path = pg_catalog
as $$
    select d.recency_days,
           1 - exp(greatest(-700, -d.recency_days / p_median_days::double precision)),
           p_orders_count * p_horizon_days
               / greatest(extract(epoch from p_valued_at - p_first_order_at)::double precision / 86400, p_horizon_days)
    from (select greatest(0, extract(epoch from p_valued_at - p_last_order_at)::double precision / 86400) as recency_days) d
$$;

comment on function analytics.baseline_model_score(integer, timestamptz, timestamptz, timestamptz, numeric, integer) is
    'Naive baseline of one customer: recency_days = days since the last order (the churn score), churn_risk = 1 - exp(-recency_days / shop median rhythm), predicted_orders = orders_count x H / max(days since first order, H); double precision';
