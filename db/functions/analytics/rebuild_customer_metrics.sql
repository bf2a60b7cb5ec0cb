/*
 * analytics.rebuild_customer_metrics(p_shop_id, p_refit): the full refresh of one shop's stored
 * customer metrics (analytics.customer_metrics_base; the view analytics.customer_metrics adds the
 * model's figures when read). With p_refit (or when the shop has no model yet) the model is fitted
 * anew and stored in analytics.customer_models: median rhythm from the data
 * (analytics.shop_median_days over the repeat buyers), horizon from the setting
 * analytics.clv_horizon_days. Without, the stored model stays, which is what an incremental
 * refresh does (so the two give the same rows and the same view).
 *
 * Steps, in the caller's transaction, under analytics.customer_metrics_lock(shop):
 *  1. the shop's change queue (analytics.customer_changes) is emptied: this rebuild reads after
 *     it, so it covers every change queued so far;
 *  2. every customer computed (analytics.customer_base_rows, ranked) and compared with the stored
 *     row in the same statement; only the customers that are new, gone or changed are kept
 *     (temporary table _cm_diff: few on a daily refresh);
 *  3. those written: deleted, updated, inserted (in key order). Readers are never blocked: they
 *     see the old rows until the commit (row versions; no lock beyond ROW EXCLUSIVE);
 *     a shop without stored rows (a first fill) skips the comparison: every customer is inserted
 *     straight from the computation, in key order;
 *  4. the model fitted (with p_refit) and the RFM quintile boundaries
 *     (analytics.customer_rfm_bounds) set, both from the stored rows, now equal to the new ones;
 *  5. the customer tags re-evaluated (analytics.apply_tag_rules): every rule for the customers
 *     written, and the rules that depend on the clock (analytics.clock_tag_rules: the model's
 *     figures are as of now(), days_ago values) for everyone; every rule for everyone when more
 *     than a third of the customers changed.
 * work_mem 256MB: the ranks sort every customer of the shop in memory; jit off: compiling these
 * queries costs more than it saves (measured: 9.3 s with, 5.2 s without for 158 k customers).
 * Progress: a NOTICE before each step ("analytics: shop N: ..."; `hub analytics refresh` shows it).
 * Returns {shop_id, mode: "full", refit, customers, inserted, updated, deleted, model,
 * median_days, horizon_days, seconds}. Raises P0002 (no_data_found) for an unknown shop.
 */
create or replace function analytics.rebuild_customer_metrics(p_shop_id bigint, p_refit boolean default true)
returns jsonb
language plpgsql
set search_path = pg_catalog
set work_mem = '256MB'
set jit = off
as $$
declare
    v_clock timestamptz := clock_timestamp();
    v_model analytics.customer_models;
    v_refit boolean;
    v_customers integer;
    v_inserted bigint;
    v_updated bigint;
    v_deleted bigint;
    v_nestloop text := current_setting('enable_nestloop');
    v_indexscan text := current_setting('enable_indexscan');
begin
    -- the shop row locked against deletion until the commit: what a foreign key would check for
    -- every row written, once (customer_metrics_base has none: migration 0131)
    perform from core.shops s where s.shop_id = p_shop_id for key share;
    if not found then
        raise exception 'analytics.rebuild_customer_metrics: no shop %', p_shop_id using errcode = 'P0002';
    end if;
    perform analytics.customer_metrics_lock(p_shop_id);
    delete from analytics.customer_changes c where c.shop_id = p_shop_id;
    if to_regclass('pg_temp._cm_diff') is not null then
        drop table pg_temp._cm_diff;
    end if;

    if not exists (select from analytics.customer_metrics_base b where b.shop_id = p_shop_id) then
        -- a first fill: nothing to compare with; every customer inserted straight, in key order (the
        -- primary key grows at its right edge instead of splitting pages all over)
        raise notice 'analytics: shop %: computing and writing every customer (first fill)', p_shop_id;
        insert into analytics.customer_metrics_base (
            shop_id, customer_key, customer_guid, email, orders_count, total_spent, avg_order_value, first_order_at,
            last_order_at, avg_days_between_orders, recency_score, frequency_score, monetary_score, rfm_segment,
            computed_at)
        select n.shop_id, n.customer_key, n.customer_guid, n.email, n.orders_count, n.total_spent, n.avg_order_value,
               n.first_order_at, n.last_order_at, n.avg_days_between_orders, n.recency_score, n.frequency_score,
               n.monetary_score, n.rfm_segment, n.computed_at
        from analytics.customer_base_rows(p_shop_id, null, null, true) n
        order by n.customer_key;
        get diagnostics v_inserted = row_count;
        v_updated := 0;
        v_deleted := 0;
    else
        raise notice 'analytics: shop %: computing and comparing customer metrics', p_shop_id;
        create temp table _cm_diff on commit drop as
            select case when n.customer_key is null then 'gone' when m.customer_key is null then 'new' else 'changed' end
                       as change,
                   coalesce(n.customer_key, m.customer_key) as key,
                   n.*
            from analytics.customer_base_rows(p_shop_id, null, null, true) n
            full join (select * from analytics.customer_metrics_base b where b.shop_id = p_shop_id) m
                on m.customer_key = n.customer_key
            where n.customer_key is null or m.customer_key is null
               or (m.customer_guid, m.email, m.orders_count, m.total_spent, m.avg_order_value, m.first_order_at,
                   m.last_order_at, m.avg_days_between_orders, m.recency_score, m.frequency_score, m.monetary_score,
                   m.rfm_segment)
                  is distinct from
                  (n.customer_guid, n.email, n.orders_count, n.total_spent, n.avg_order_value, n.first_order_at,
                   n.last_order_at, n.avg_days_between_orders, n.recency_score, n.frequency_score, n.monetary_score,
                   n.rfm_segment);
        -- statistics and the key index keep the writes below on the right plan (few rows or all)
        analyze pg_temp._cm_diff;
        create unique index on pg_temp._cm_diff (key);

        raise notice 'analytics: shop %: writing the changed customers (% s)', p_shop_id,
            round(extract(epoch from clock_timestamp() - v_clock)::numeric, 1);
        delete from analytics.customer_metrics_base m
        using _cm_diff d
        where d.change = 'gone' and m.shop_id = p_shop_id and m.customer_key = d.key;
        get diagnostics v_deleted = row_count;

        update analytics.customer_metrics_base m
        set customer_guid = d.customer_guid, email = d.email, orders_count = d.orders_count,
            total_spent = d.total_spent, avg_order_value = d.avg_order_value,
            first_order_at = d.first_order_at, last_order_at = d.last_order_at,
            avg_days_between_orders = d.avg_days_between_orders, recency_score = d.recency_score,
            frequency_score = d.frequency_score, monetary_score = d.monetary_score,
            rfm_segment = d.rfm_segment, computed_at = d.computed_at
        from _cm_diff d
        where d.change = 'changed' and m.shop_id = p_shop_id and m.customer_key = d.key;
        get diagnostics v_updated = row_count;

        insert into analytics.customer_metrics_base (
            shop_id, customer_key, customer_guid, email, orders_count, total_spent, avg_order_value, first_order_at,
            last_order_at, avg_days_between_orders, recency_score, frequency_score, monetary_score, rfm_segment,
            computed_at)
        select d.shop_id, d.customer_key, d.customer_guid, d.email, d.orders_count, d.total_spent, d.avg_order_value,
               d.first_order_at, d.last_order_at, d.avg_days_between_orders, d.recency_score, d.frequency_score,
               d.monetary_score, d.rfm_segment, d.computed_at
        from _cm_diff d
        where d.change = 'new'
        order by d.key;
        get diagnostics v_inserted = row_count;
    end if;

    raise notice 'analytics: shop %: % new, % updated, % gone (% s); model and RFM boundaries', p_shop_id,
        v_inserted, v_updated, v_deleted, round(extract(epoch from clock_timestamp() - v_clock)::numeric, 1);
    -- one read of the shop's stored rows (now the new ones) for the customer count, the model fit
    -- and the RFM quintile boundaries, one statement (three reads before: measured a third of a
    -- daily refresh). Boundary i of a score = the greatest (value, key) among the customers scored
    -- <= i: the last of bucket i, or of the last bucket before it when n < 5 leaves it empty; the
    -- greatest of each bucket found by two hash aggregations (its greatest value, then the
    -- greatest key having it), not by sorting every customer three times
    v_refit := p_refit or not exists (select from analytics.customer_models m where m.shop_id = p_shop_id);
    -- planned for a whole shop whatever the statistics say: right after a first fill they know
    -- none of its rows (autovacuum analyses later), and the estimate of one row chose an index
    -- scan and nested loops over every customer (measured 2.2 s instead of 0.5 s for 152 k)
    perform set_config('enable_nestloop', 'off', true), set_config('enable_indexscan', 'off', true);
    with stored as materialized (
        select s.customer_key as key, s.last_order_at as r_value, s.orders_count as f_value, s.total_spent as m_value,
               s.recency_score as r_score, s.frequency_score as f_score, s.monetary_score as m_score,
               s.avg_days_between_orders as days
        from analytics.customer_metrics_base s
        where s.shop_id = p_shop_id
    ), counted as (
        select count(*)::integer as customers,
               coalesce(array_agg(s.days) filter (where s.f_value > 1), '{}') as days
        from stored s
    ), r_top as (
        select s.r_score as score, max(s.r_value) as value from stored s group by s.r_score
    ), r_last as (
        select t.score, t.value, max(s.key) as key
        from stored s join r_top t on t.score = s.r_score and t.value = s.r_value group by t.score, t.value
    ), f_top as (
        select s.f_score as score, max(s.f_value) as value from stored s group by s.f_score
    ), f_last as (
        select t.score, t.value, max(s.key) as key
        from stored s join f_top t on t.score = s.f_score and t.value = s.f_value group by t.score, t.value
    ), m_top as (
        select s.m_score as score, max(s.m_value) as value from stored s group by s.m_score
    ), m_last as (
        select t.score, t.value, max(s.key) as key
        from stored s join m_top t on t.score = s.m_score and t.value = s.m_value group by t.score, t.value
    ), model as (
        insert into analytics.customer_models as m
            (shop_id, model, horizon_days, median_days_between_orders, repeat_buyers, customers, params, fitted_at)
        select p_shop_id, 'rhythm-v1', h.horizon_days, analytics.shop_median_days(c.days, h.horizon_days),
               cardinality(c.days), c.customers, '{}', clock_timestamp()
        from counted c, (select analytics.clv_horizon_days(p_shop_id) as horizon_days) h
        where v_refit
        on conflict (shop_id) do update
        set model = excluded.model, horizon_days = excluded.horizon_days,
            median_days_between_orders = excluded.median_days_between_orders,
            repeat_buyers = excluded.repeat_buyers, customers = excluded.customers, params = excluded.params,
            fitted_at = excluded.fitted_at
        returning 1
    )
    insert into analytics.customer_rfm_bounds as b
        (shop_id, customers, recency_at, recency_key, frequency_orders, frequency_key, monetary_spent, monetary_key, updated_at)
    select p_shop_id, (select c.customers from counted c),
           array(select (select l.value from r_last l where l.score <= i order by l.score desc limit 1) from generate_series(1, 4) i order by i),
           array(select (select l.key from r_last l where l.score <= i order by l.score desc limit 1) from generate_series(1, 4) i order by i),
           array(select (select l.value from f_last l where l.score <= i order by l.score desc limit 1) from generate_series(1, 4) i order by i),
           array(select (select l.key from f_last l where l.score <= i order by l.score desc limit 1) from generate_series(1, 4) i order by i),
           array(select (select l.value from m_last l where l.score <= i order by l.score desc limit 1) from generate_series(1, 4) i order by i),
           array(select (select l.key from m_last l where l.score <= i order by l.score desc limit 1) from generate_series(1, 4) i order by i),
           clock_timestamp()
    on conflict (shop_id) do update
    set customers = excluded.customers, recency_at = excluded.recency_at, recency_key = excluded.recency_key,
        frequency_orders = excluded.frequency_orders, frequency_key = excluded.frequency_key,
        monetary_spent = excluded.monetary_spent, monetary_key = excluded.monetary_key,
        updated_at = excluded.updated_at
    returning b.customers into v_customers;
    perform set_config('enable_nestloop', v_nestloop, true), set_config('enable_indexscan', v_indexscan, true);
    select * into v_model from analytics.customer_models m where m.shop_id = p_shop_id;

    -- the customer tags follow the metrics: the customers written above for every rule, and
    -- everyone for the rules that depend on the clock (the view's model figures, days_ago);
    -- everyone for every rule when most customers changed or on a first fill
    raise notice 'analytics: shop %: tags', p_shop_id;
    if (v_inserted + v_updated + v_deleted) * 3 > v_customers or to_regclass('pg_temp._cm_diff') is null then
        perform analytics.apply_tag_rules(p_shop_id);
    else
        perform analytics.apply_tag_rules(p_shop_id, array(select d.key from _cm_diff d));
        perform analytics.apply_tag_rules(p_shop_id, null, analytics.clock_tag_rules(p_shop_id));
    end if;

    if to_regclass('pg_temp._cm_diff') is not null then
        drop table pg_temp._cm_diff;
    end if;
    return jsonb_build_object(
        'shop_id', p_shop_id, 'mode', 'full', 'refit', v_refit, 'customers', v_customers,
        'inserted', v_inserted, 'updated', v_updated, 'deleted', v_deleted, 'model', v_model.model,
        'median_days', v_model.median_days_between_orders, 'horizon_days', v_model.horizon_days,
        'seconds', round(extract(epoch from clock_timestamp() - v_clock)::numeric, 3));
end
$$;

comment on function analytics.rebuild_customer_metrics(bigint, boolean) is
    'Full refresh of one shop''s stored customer metrics (only new, gone and changed rows written; RFM boundaries; model fitted anew with p_refit, else kept); never blocks readers; returns a jsonb summary';
