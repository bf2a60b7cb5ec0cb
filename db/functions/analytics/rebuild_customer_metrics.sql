/*
 * analytics.rebuild_customer_metrics(p_shop_id, p_refit): the full refresh of one shop's customer
 * metrics. With p_refit (or when the shop has no model yet) the model is fitted anew: valued at
 * now(), median rhythm from the data (analytics.shop_median_days), horizon from the setting
 * analytics.clv_horizon_days, stored in analytics.customer_models. Without, the stored model is
 * used as it is, which is what an incremental refresh does (so the two give the same rows).
 *
 * Steps, in the caller's transaction, under analytics.customer_metrics_lock(shop):
 *  1. the shop's change queue (analytics.customer_changes) is emptied: this rebuild reads after
 *     it, so it covers every change queued so far;
 *  2. every row computed by analytics.customer_metrics_rows (ranked) into a temporary table;
 *  3. written by upsert: rows whose values are unchanged are not touched, customers without a
 *     counted order any more are deleted. Readers are never blocked: they see the old rows until
 *     the commit (row versions, no table lock beyond ROW EXCLUSIVE);
 *  4. the RFM quintile boundaries (analytics.customer_rfm_bounds) set from the ranks.
 * Progress: a NOTICE before each step ("analytics: shop N: ..."; `hub analytics refresh` shows it).
 * Returns {shop_id, mode: "full", refit, customers, inserted, updated, deleted, model,
 * valued_at, median_days, horizon_days, seconds}. Raises P0002 (no_data_found) for an unknown
 * shop.
 */
create or replace function analytics.rebuild_customer_metrics(p_shop_id bigint, p_refit boolean default true)
returns jsonb
language plpgsql
set search_path = pg_catalog
set work_mem = '256MB'
as $$
declare
    v_clock timestamptz := clock_timestamp();
    v_model analytics.customer_models;
    v_refit boolean;
    v_valued_at timestamptz;
    v_median numeric;
    v_horizon integer;
    v_customers integer;
    v_inserted bigint;
    v_updated bigint;
    v_deleted bigint;
    v_pos integer[];
begin
    if not exists (select from core.shops s where s.shop_id = p_shop_id) then
        raise exception 'analytics.rebuild_customer_metrics: no shop %', p_shop_id using errcode = 'P0002';
    end if;
    perform analytics.customer_metrics_lock(p_shop_id);
    delete from analytics.customer_changes c where c.shop_id = p_shop_id;

    select * into v_model from analytics.customer_models m where m.shop_id = p_shop_id;
    v_refit := p_refit or v_model.shop_id is null;
    if v_refit then
        v_valued_at := now();
        v_horizon := analytics.clv_horizon_days(p_shop_id);
    else
        v_valued_at := v_model.valued_at;
        v_median := v_model.median_days_between_orders;
        v_horizon := v_model.horizon_days;
    end if;

    raise notice 'analytics: shop %: computing customer metrics', p_shop_id;
    if to_regclass('pg_temp._cm_new') is not null then
        drop table pg_temp._cm_new;
    end if;
    create temp table _cm_new on commit drop as
        select * from analytics.customer_metrics_rows(p_shop_id, null, v_valued_at, v_median, v_horizon, null, true);
    get diagnostics v_customers = row_count;
    raise notice 'analytics: shop %: % customers computed (% s)', p_shop_id, v_customers,
        round(extract(epoch from clock_timestamp() - v_clock)::numeric, 1);
    analyze pg_temp._cm_new;

    if v_refit then
        v_median := analytics.shop_median_days(
            array(select n.avg_days_between_orders from _cm_new n where n.orders_count > 1), v_horizon);
        insert into analytics.customer_models as m
            (shop_id, model, valued_at, horizon_days, median_days_between_orders, repeat_buyers, customers, params, fitted_at)
        select p_shop_id, 'rhythm-v1', v_valued_at, v_horizon, v_median,
               (select count(*) from _cm_new n where n.orders_count > 1), v_customers, '{}', clock_timestamp()
        on conflict (shop_id) do update
        set model = excluded.model, valued_at = excluded.valued_at, horizon_days = excluded.horizon_days,
            median_days_between_orders = excluded.median_days_between_orders,
            repeat_buyers = excluded.repeat_buyers, customers = excluded.customers, params = excluded.params,
            fitted_at = excluded.fitted_at;
    end if;

    raise notice 'analytics: shop %: writing % customers', p_shop_id, v_customers;
    delete from analytics.customer_metrics m
    where m.shop_id = p_shop_id
      and not exists (select from _cm_new n where n.customer_key = m.customer_key);
    get diagnostics v_deleted = row_count;

    -- an update joined with the new rows (one hash join, no per-row conflict check), then the
    -- new customers; a row whose values are all unchanged is not written
    update analytics.customer_metrics m
    set customer_guid = n.customer_guid, email = n.email, orders_count = n.orders_count,
        total_spent = n.total_spent, avg_order_value = n.avg_order_value,
        first_order_at = n.first_order_at, last_order_at = n.last_order_at,
        avg_days_between_orders = n.avg_days_between_orders, recency_score = n.recency_score,
        frequency_score = n.frequency_score, monetary_score = n.monetary_score,
        rfm_segment = n.rfm_segment, clv = n.clv, churn_risk = n.churn_risk,
        expected_next_order_at = n.expected_next_order_at, rhythm_days = n.rhythm_days,
        predicted_orders = n.predicted_orders, predicted_value = n.predicted_value,
        clv_model = n.clv_model, valued_at = n.valued_at, computed_at = n.computed_at
    from _cm_new n
    where m.shop_id = p_shop_id and m.customer_key = n.customer_key
      and (m.customer_guid, m.email, m.orders_count, m.total_spent, m.avg_order_value, m.first_order_at,
           m.last_order_at, m.avg_days_between_orders, m.recency_score, m.frequency_score, m.monetary_score,
           m.rfm_segment, m.clv, m.churn_risk, m.expected_next_order_at, m.rhythm_days, m.predicted_orders,
           m.predicted_value, m.clv_model, m.valued_at)
          is distinct from
          (n.customer_guid, n.email, n.orders_count, n.total_spent, n.avg_order_value, n.first_order_at,
           n.last_order_at, n.avg_days_between_orders, n.recency_score, n.frequency_score, n.monetary_score,
           n.rfm_segment, n.clv, n.churn_risk, n.expected_next_order_at, n.rhythm_days, n.predicted_orders,
           n.predicted_value, n.clv_model, n.valued_at);
    get diagnostics v_updated = row_count;

    insert into analytics.customer_metrics (
        shop_id, customer_key, customer_guid, email, orders_count, total_spent, avg_order_value,
        first_order_at, last_order_at, avg_days_between_orders, recency_score, frequency_score,
        monetary_score, rfm_segment, clv, churn_risk, expected_next_order_at, rhythm_days,
        predicted_orders, predicted_value, clv_model, valued_at, computed_at)
    select n.shop_id, n.customer_key, n.customer_guid, n.email, n.orders_count, n.total_spent, n.avg_order_value,
           n.first_order_at, n.last_order_at, n.avg_days_between_orders, n.recency_score, n.frequency_score,
           n.monetary_score, n.rfm_segment, n.clv, n.churn_risk, n.expected_next_order_at, n.rhythm_days,
           n.predicted_orders, n.predicted_value, n.clv_model, n.valued_at, n.computed_at
    from _cm_new n
    where not exists (select from analytics.customer_metrics m
                      where m.shop_id = p_shop_id and m.customer_key = n.customer_key);
    get diagnostics v_inserted = row_count;

    raise notice 'analytics: shop %: % new, % updated, % gone (% s); RFM boundaries', p_shop_id, v_inserted, v_updated,
        v_deleted, round(extract(epoch from clock_timestamp() - v_clock)::numeric, 1);
    v_pos := analytics.rfm_bound_positions(v_customers);
    insert into analytics.customer_rfm_bounds as b
        (shop_id, customers, recency_at, recency_key, frequency_orders, frequency_key, monetary_spent, monetary_key, updated_at)
    select p_shop_id, v_customers, r.vals, r.keys, f.vals, f.keys, m.vals, m.keys, clock_timestamp()
    from (select array_agg(x.last_order_at order by p.i) as vals, array_agg(x.customer_key order by p.i) as keys
          from unnest(v_pos) with ordinality p(pos, i)
          left join (select n.last_order_at, n.customer_key,
                            row_number() over (order by n.last_order_at, n.customer_key collate "C") as rn
                     from _cm_new n) x on x.rn = p.pos) r,
         (select array_agg(x.orders_count order by p.i) as vals, array_agg(x.customer_key order by p.i) as keys
          from unnest(v_pos) with ordinality p(pos, i)
          left join (select n.orders_count, n.customer_key,
                            row_number() over (order by n.orders_count, n.customer_key collate "C") as rn
                     from _cm_new n) x on x.rn = p.pos) f,
         (select array_agg(x.total_spent order by p.i) as vals, array_agg(x.customer_key order by p.i) as keys
          from unnest(v_pos) with ordinality p(pos, i)
          left join (select n.total_spent, n.customer_key,
                            row_number() over (order by n.total_spent, n.customer_key collate "C") as rn
                     from _cm_new n) x on x.rn = p.pos) m
    on conflict (shop_id) do update
    set customers = excluded.customers, recency_at = excluded.recency_at, recency_key = excluded.recency_key,
        frequency_orders = excluded.frequency_orders, frequency_key = excluded.frequency_key,
        monetary_spent = excluded.monetary_spent, monetary_key = excluded.monetary_key,
        updated_at = excluded.updated_at;

    -- hook for what follows the customers (tags of issue 13 item 6 go here:
    -- perform analytics.apply_tag_rules(p_shop_id, null) or similar, for every customer)

    drop table pg_temp._cm_new;
    return jsonb_build_object(
        'shop_id', p_shop_id, 'mode', 'full', 'refit', v_refit, 'customers', v_customers,
        'inserted', v_inserted, 'updated', v_updated, 'deleted', v_deleted, 'model', 'rhythm-v1',
        'valued_at', v_valued_at, 'median_days', v_median, 'horizon_days', v_horizon,
        'seconds', round(extract(epoch from clock_timestamp() - v_clock)::numeric, 3));
end
$$;

comment on function analytics.rebuild_customer_metrics(bigint, boolean) is
    'Full refresh of one shop''s customer metrics (upsert of changed rows, delete of gone ones, RFM boundaries); p_refit fits the model anew (valued at now()), else the stored model is used; never blocks readers; returns a jsonb summary';
