-- Queries of runner/backtest.py (`hub analytics backtest`); the work is analytics.choose_clv_model.

-- name: choose
-- backtest the shop's CLV / churn models at the cutoff and record which is used for what
select model, customers_group, customers, churned, churn_auc, baseline_churn_auc, orders_mae,
       baseline_orders_mae, mean_expected_orders, mean_actual_orders, used_for
from analytics.choose_clv_model(%(shop_id)s, %(cutoff)s::date, %(horizon_days)s);
