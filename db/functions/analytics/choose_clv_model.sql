/*
 * analytics.choose_clv_model(p_shop_id, p_cutoff, p_horizon_days, p_fits): run a backtest of the shop's
 * CLV / churn models (analytics.backtest) and keep each model only where it beats the naive
 * baseline (issue 13 item 5). Writes analytics.clv_models, one row per model of the backtest
 * (the baseline included) with the figures of its group "all", its fitted parameters (p_fits, by
 * model name; {} for models without) and what each is used for:
 *
 *   churn   the model with the highest churn_auc, if that is above the baseline's; else baseline
 *   orders  the model with the lowest orders_mae, if that is below the baseline's; else baseline
 *           (expected orders and all that follows from them: CLV, the next order)
 *
 * A model of an earlier backtest that this one did not run keeps its figures and loses its uses.
 * Returns every row of the backtest (both groups) with used_for of its model (empty on the
 * repeat group's rows). Raises 22023 when the shop has no counted order before the cutoff, and
 * what analytics.backtest_predictions raises.
 */
create or replace function analytics.choose_clv_model(p_shop_id bigint, p_cutoff date, p_horizon_days integer default 90,
                                                      p_fits jsonb default '{}')
returns table (model text, customers_group text, customers integer, churned integer,
               churn_auc double precision, baseline_churn_auc double precision,
               orders_mae double precision, baseline_orders_mae double precision,
               mean_expected_orders double precision, mean_actual_orders double precision, used_for text[])
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_rows jsonb;
    v_churn text;
    v_orders text;
begin
    select jsonb_agg(to_jsonb(b)) into v_rows
    from analytics.backtest(p_shop_id, p_cutoff, p_horizon_days, p_fits) b;
    if v_rows is null then
        raise exception 'backtest of shop %: no counted order before the cutoff % (nothing to predict from); take a later cutoff',
            p_shop_id, p_cutoff
            using errcode = '22023';
    end if;

    create temp table if not exists pg_temp.backtest_rows (
        model text, customers_group text, customers integer, churned integer,
        churn_auc double precision, baseline_churn_auc double precision,
        orders_mae double precision, baseline_orders_mae double precision,
        mean_expected_orders double precision, mean_actual_orders double precision
    ) on commit drop;
    truncate pg_temp.backtest_rows;
    insert into pg_temp.backtest_rows
    select * from jsonb_populate_recordset(null::pg_temp.backtest_rows, v_rows);

    select coalesce((select r.model from pg_temp.backtest_rows r
                     where r.customers_group = 'all' and r.model <> 'baseline' and r.churn_auc > r.baseline_churn_auc
                     order by r.churn_auc desc, r.model limit 1), 'baseline'),
           coalesce((select r.model from pg_temp.backtest_rows r
                     where r.customers_group = 'all' and r.model <> 'baseline' and r.orders_mae < r.baseline_orders_mae
                     order by r.orders_mae, r.model limit 1), 'baseline')
    into v_churn, v_orders;

    update analytics.clv_models c set used_for = '{}' where c.shop_id = p_shop_id;
    insert into analytics.clv_models as c
        (shop_id, model, params, cutoff, horizon_days, customers, churned, churn_auc, baseline_churn_auc,
         orders_mae, baseline_orders_mae, used_for, backtested_at, chosen_at)
    select p_shop_id, r.model, coalesce(p_fits -> r.model, '{}'), p_cutoff, p_horizon_days, r.customers, r.churned, r.churn_auc,
           r.baseline_churn_auc, r.orders_mae, r.baseline_orders_mae, u.used_for, now(),
           case when cardinality(u.used_for) > 0 then now() end
    from pg_temp.backtest_rows r
    cross join lateral (
        select array_remove(array[case when r.model = v_churn then 'churn' end,
                                  case when r.model = v_orders then 'orders' end], null) as used_for
    ) u
    where r.customers_group = 'all'
    on conflict on constraint clv_models_pkey do update
    set params = excluded.params, cutoff = excluded.cutoff, horizon_days = excluded.horizon_days,
        customers = excluded.customers, churned = excluded.churned, churn_auc = excluded.churn_auc,
        baseline_churn_auc = excluded.baseline_churn_auc, orders_mae = excluded.orders_mae,
        baseline_orders_mae = excluded.baseline_orders_mae, used_for = excluded.used_for,
        backtested_at = excluded.backtested_at, chosen_at = coalesce(excluded.chosen_at, c.chosen_at);

    return query
    select r.model, r.customers_group, r.customers, r.churned, r.churn_auc, r.baseline_churn_auc,
           r.orders_mae, r.baseline_orders_mae, r.mean_expected_orders, r.mean_actual_orders,
           case when r.customers_group = 'all' then c.used_for else '{}'::text[] end
    from pg_temp.backtest_rows r
    left join analytics.clv_models c on c.shop_id = p_shop_id and c.model = r.model
    order by r.customers_group, r.model = 'baseline' desc, r.model;
end
$$;

comment on function analytics.choose_clv_model(bigint, date, integer, jsonb) is
    'Backtest a shop''s CLV / churn models (analytics.backtest) and record in analytics.clv_models which is used for churn and for orders: the best model where it beats the baseline, else baseline; returns the backtest''s rows with used_for';
