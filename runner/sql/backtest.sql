-- Queries of runner/backtest.py (`hub analytics backtest`); the work is analytics.choose_clv_model.

-- name: summary
-- what the BG/NBD fit reads: (repeat orders, t_x, T in days, customers) before the cutoff
select x, t_x, t, customers from analytics.clv_summary(%(shop_id)s, %(cutoff)s::date);

-- name: choose
-- backtest the shop's CLV / churn models at the cutoff and record which is used for what
select model, customers_group, customers, churned, churn_auc, baseline_churn_auc, orders_mae,
       baseline_orders_mae, mean_expected_orders, mean_actual_orders, used_for
from analytics.choose_clv_model(%(shop_id)s, %(cutoff)s::date, %(horizon_days)s, %(fits)s::jsonb);
