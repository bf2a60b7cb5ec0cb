/*
 * analytics.backtest(p_shop_id, p_cutoff, p_horizon_days, p_fits): how well each model predicted
 * what the shop's customers did in the p_horizon_days after the cutoff day, from the orders before
 * it (analytics.backtest_predictions), beside the naive baseline. One row per model and group of
 * customers: all (every customer with an order before the cutoff) and repeat (2 orders or more
 * before it: where a customer's own rhythm can tell something).
 *
 *   churned              customers without a counted order within the horizon (the positives)
 *   churn_auc            analytics.roc_auc of the model's churn score as a classifier of churned
 *   orders_mae           analytics.mean_absolute_error of its expected orders against the actual
 *                        orders within the horizon (orders per customer)
 *   baseline_churn_auc,  the same figures of the baseline model (recency alone; past rate) of the
 *   baseline_orders_mae  same group, repeated on each row for comparison
 *   mean_expected_orders, mean_actual_orders: the averages per customer (calibration)
 *
 * p_fits: parameters of fitted models by name (analytics.backtest_predictions). Reads only; raises what analytics.backtest_predictions raises.
 */
create or replace function analytics.backtest(p_shop_id bigint, p_cutoff date, p_horizon_days integer default 90,
                                              p_fits jsonb default '{}')
returns table (model text, customers_group text, customers integer, churned integer,
               churn_auc double precision, baseline_churn_auc double precision,
               orders_mae double precision, baseline_orders_mae double precision,
               mean_expected_orders double precision, mean_actual_orders double precision)
language sql
stable
set search_path = pg_catalog
as $$
    with p as materialized (
        select * from analytics.backtest_predictions(p_shop_id, p_cutoff, p_horizon_days, p_fits)
    ), grouped as (
        select 'all'::text as grp, p.* from p
        union all
        select 'repeat'::text, p.* from p where p.orders_count > 1
    ), figures as (
        select g.model, g.grp,
               count(*)::integer as customers,
               count(*) filter (where g.actual_orders = 0)::integer as churned,
               analytics.roc_auc(array_agg(g.churn_score), array_agg(g.actual_orders = 0)) as churn_auc,
               analytics.mean_absolute_error(array_agg(g.expected_orders), array_agg(g.actual_orders::double precision)) as orders_mae,
               avg(g.expected_orders) as mean_expected_orders,
               avg(g.actual_orders)::double precision as mean_actual_orders
        from grouped g
        group by g.model, g.grp
    )
    select f.model, f.grp, f.customers, f.churned,
           f.churn_auc, max(f.churn_auc) filter (where f.model = 'baseline') over (partition by f.grp),
           f.orders_mae, max(f.orders_mae) filter (where f.model = 'baseline') over (partition by f.grp),
           f.mean_expected_orders, f.mean_actual_orders
    from figures f
    order by f.grp, f.model = 'baseline' desc, f.model
$$;

comment on function analytics.backtest(bigint, date, integer, jsonb) is
    'Backtest of a shop''s CLV / churn models at a cutoff day over a horizon: per model and group (all, repeat) the ROC AUC of the churn score for "no order within the horizon" and the MAE of expected orders, beside the baseline''s (recency alone; past rate)';
