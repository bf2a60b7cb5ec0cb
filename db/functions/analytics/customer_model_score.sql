/*
 * analytics.customer_model_score(...): the model figures of one customer with the models its shop
 * uses (analytics.customer_model_choice), one row; what the view analytics.customer_metrics shows.
 * p_churn_model picks churn_risk, p_orders_model everything that follows from expected orders
 * (rhythm_days, expected_next_order_at, predicted_orders, predicted_value):
 *
 *   rhythm-v1  analytics.clv_model_score (exact numeric arithmetic; docs/analytics.md)
 *   baseline   the formulas of analytics.baseline_model_score (written out here: that function has a
 *              search_path setting, which would keep it from being inlined): churn_risk = round(1 - exp(-d / m), 4), d the days
 *              since the last order, m the shop's median rhythm; predicted_orders =
 *              round(n x H / max(days since the first order, H), 4), the past rate; rhythm_days =
 *              round(max(days since the first order, H) / n, 4), one order at that rate
 *   bgnbd-v1   analytics.bgnbd_predict with the shop's fit (p_bgnbd_*), x = n - 1, t_x = days
 *              from the first to the last order, T = days from the first order to p_valued_at
 *              (at least t_x): churn_risk = round(P(no order within p_churn_days), 4) (the backtest's
 *              horizon: the score its AUC was measured on), predicted_orders =
 *              round(E[orders within H], 4), rhythm_days = round((alpha + T) / (r + x), 4)
 *
 * In every model expected_next_order_at = last_order_at + rhythm_days and predicted_value =
 * round(predicted_orders x p_avg_order_value, 2). Any other model name counts as rhythm-v1. Only
 * the chosen model's figures are computed (each is a branch of a CASE): a shop on rhythm-v1 pays
 * nothing for BG/NBD, whose expected orders sum a hypergeometric series (analytics.hyp2f1).
 * The expected orders are computed once per row (a subquery kept apart with OFFSET 0; inlined,
 * the series would be summed for each column that uses it). Plain SQL without a search_path
 * setting, like analytics.clv_model_score, so that it is inlined into the view. Created by migration 0130 as well; a test keeps the two definitions equal.
 */
create or replace function analytics.customer_model_score(
    p_churn_model text, p_orders_model text,
    p_orders_count integer, p_avg_order_value numeric, p_first_order_at timestamptz, p_last_order_at timestamptz,
    p_valued_at timestamptz, p_median_days numeric, p_horizon_days integer, p_churn_days integer,
    p_bgnbd_r double precision, p_bgnbd_alpha double precision, p_bgnbd_a double precision,
    p_bgnbd_b double precision)
returns table (rhythm_days numeric, churn_risk numeric, expected_next_order_at timestamptz,
               predicted_orders numeric, predicted_value numeric)
language sql
immutable
as $$
    select o.rhythm_days,
           case p_churn_model
               when 'bgnbd-v1' then round(bg.p_no_order::numeric, 4)
               when 'baseline' then round((1 - exp(greatest(-700, -d.silence / p_median_days::double precision)))::numeric, 4)
               else rv.churn_risk
           end,
           p_last_order_at + make_interval(secs => (o.rhythm_days * 86400)::double precision),
           o.predicted_orders,
           round(o.predicted_orders * p_avg_order_value, 2)
    from analytics.clv_model_score(p_orders_count, p_avg_order_value, p_first_order_at, p_last_order_at,
                                   p_valued_at, p_median_days, p_horizon_days) rv
    cross join lateral (
        select extract(epoch from p_last_order_at - p_first_order_at)::double precision / 86400 as t_x,
               extract(epoch from p_valued_at - p_first_order_at)::double precision / 86400 as age,
               greatest(0, extract(epoch from p_valued_at - p_last_order_at)::double precision / 86400) as silence
    ) d
    cross join lateral analytics.bgnbd_predict(p_bgnbd_r, p_bgnbd_alpha, p_bgnbd_a, p_bgnbd_b, p_orders_count - 1,
                                               d.t_x, greatest(d.age, d.t_x), p_churn_days, p_horizon_days) bg
    cross join lateral (
        select case p_orders_model
                   when 'bgnbd-v1' then round(bg.expected_orders::numeric, 4)
                   when 'baseline' then round((p_orders_count * p_horizon_days / greatest(d.age, p_horizon_days))::numeric, 4)
                   else rv.predicted_orders
               end as predicted_orders,
               case p_orders_model
                   when 'bgnbd-v1' then round(bg.rhythm_days::numeric, 4)
                   when 'baseline' then round((greatest(d.age, p_horizon_days) / p_orders_count)::numeric, 4)
                   else rv.rhythm_days
               end as rhythm_days
        offset 0  -- computed once per row: the view reads predicted_orders three times (clv, value, itself)
    ) o
$$;

comment on function analytics.customer_model_score(text, text, integer, numeric, timestamptz, timestamptz, timestamptz, numeric, integer, integer, double precision, double precision, double precision, double precision) is
    'Model figures of one customer with the shop''s models for churn and for orders (rhythm-v1, baseline or bgnbd-v1; others count as rhythm-v1): rhythm_days, churn_risk (4 decimals), expected_next_order_at = last + rhythm, predicted_orders (4 decimals) within the CLV horizon, predicted_value (2 decimals); only the chosen model is computed';
