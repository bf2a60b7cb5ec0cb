-- Queries of runner/backtest.py (`hub analytics backtest`); the work is analytics.choose_clv_model.

-- name: summary
-- what the BG/NBD fit reads: (repeat orders, t_x, T in days, customers) before the cutoff
select x, t_x, t, customers from analytics.clv_summary(%(shop_id)s, %(cutoff)s::date);

-- name: choose
-- backtest the shop's CLV / churn models at the cutoff and record which is used for what
select model, customers_group, customers, churned, churn_auc, baseline_churn_auc, orders_mae,
       baseline_orders_mae, mean_expected_orders, mean_actual_orders, used_for
from analytics.choose_clv_model(%(shop_id)s, %(cutoff)s::date, %(horizon_days)s, %(fits)s::jsonb);

-- name: live_choice
-- the shop's models and whether its backtest chose BG/NBD for something (then it is fitted live)
select shop_id, chosen_churn_model, chosen_orders_model,
       'bgnbd-v1' in (chosen_churn_model, chosen_orders_model) as wants_bgnbd
from analytics.customer_model_choice where shop_id = %(shop_id)s;

-- name: live_summary
-- what the live BG/NBD fit reads: (repeat orders, t_x, T in days, customers) of the stored facts now
select x, t_x, t, customers from analytics.clv_live_summary(%(shop_id)s, now());

-- name: store_live_fit
-- the live BG/NBD parameters, used by analytics.customer_metrics where the shop's backtest chose BG/NBD
update analytics.customer_models
set bgnbd_r = %(r)s, bgnbd_alpha = %(alpha)s, bgnbd_a = %(a)s, bgnbd_b = %(b)s, bgnbd_fit = %(fit)s::jsonb,
    bgnbd_fitted_at = now()
where shop_id = %(shop_id)s;

-- name: store_live_fit_error
-- why the live fit failed; the previous parameters (if any) stay in use
update analytics.customer_models
set bgnbd_fit = jsonb_build_object('error', %(error)s::text, 'at', now())
where shop_id = %(shop_id)s;
