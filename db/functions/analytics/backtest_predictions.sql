/*
 * analytics.backtest_predictions(p_shop_id, p_cutoff, p_horizon_days, p_fits): every model's
 * predictions for every customer of a shop as of a cutoff, beside what happened after it
 * (issue 13 item 5). One row per (customer, model).
 *
 * The cutoff is a day of the shop's calendar: the models see only the orders created before its
 * local midnight (core.shop_day_start), and are compared with the counted orders created in the
 * horizon, [cutoff, cutoff + p_horizon_days days) in the shop's calendar. Counted as in the
 * metrics: not cancelled (analytics.cancelled_status_ids), not deleted, keyed by
 * analytics.customer_key. The customers are those with a counted order before the cutoff
 * (analytics.compute_customer_metrics at the cutoff); a customer whose first order comes later is
 * no one's prediction.
 *
 * Models (column model):
 *   baseline   churn_score = days since the last order (recency alone); expected_orders = the
 *              past rate over the horizon (analytics.baseline_model_score)
 *   rhythm-v1  churn_score = churn_risk, expected_orders = predicted_orders x H / CLV horizon
 *              (analytics.clv_model_score: predicted orders are proportional to the horizon)
 *   bgnbd-v1   only when p_fits has a key "bgnbd-v1": the BG/NBD parameters fitted on the
 *              orders before the cutoff (runner/clv_fit.py on analytics.clv_summary);
 *              analytics.bgnbd_score: churn_score = P(no order within the horizon),
 *              expected_orders = E[orders within the horizon]
 * actual_orders: counted orders of the customer in the horizon.
 *
 * Raises 22023 for a horizon outside 1 .. 3 650 days or one that has not ended yet (what happened
 * after the cutoff is not known), P0002 for an unknown shop. No rows when the shop has no counted
 * order before the cutoff. Reads only.
 */
create or replace function analytics.backtest_predictions(p_shop_id bigint, p_cutoff date, p_horizon_days integer default 90,
                                                          p_fits jsonb default '{}')
returns table (customer_key text, orders_count integer, model text, churn_score double precision,
               expected_orders double precision, actual_orders integer)
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_from timestamptz;
    v_to timestamptz;
    v_clv_horizon integer;
    v_cancelled integer[];
begin
    if not exists (select from core.shops s where s.shop_id = p_shop_id) then
        raise exception 'backtest: no shop % in core.shops', p_shop_id using errcode = 'P0002';
    end if;
    if p_horizon_days is null or p_horizon_days not between 1 and 3650 then
        raise exception 'backtest of shop %: the horizon must be 1 .. 3650 days, got %', p_shop_id, p_horizon_days
            using errcode = '22023';
    end if;
    if p_cutoff is null then
        raise exception 'backtest of shop %: a cutoff day is needed', p_shop_id using errcode = '22023';
    end if;
    v_from := core.shop_day_start(p_shop_id, p_cutoff);
    v_to := core.shop_day_start(p_shop_id, p_cutoff + p_horizon_days);
    if v_to > now() then
        raise exception 'backtest of shop %: the horizon of % days after the cutoff % ends at %, after now: what happened then is not known yet; take a cutoff on or before %',
            p_shop_id, p_horizon_days, p_cutoff, v_to, (now() at time zone core.shop_timezone(p_shop_id))::date - p_horizon_days
            using errcode = '22023';
    end if;
    v_clv_horizon := analytics.clv_horizon_days(p_shop_id);
    v_cancelled := analytics.cancelled_status_ids(p_shop_id);

    -- the query text carries the cutoff, the horizon end and the shop as literals: planned with
    -- them as constants, analytics.compute_customer_metrics is inlined and planned for this
    -- cutoff (with the cutoff as a parameter, planning it blind made it about ten times slower)
    return query execute format($q$
    with m as materialized (
        select cm.customer_key, cm.orders_count, cm.first_order_at, cm.last_order_at, cm.avg_days_between_orders,
               cm.churn_risk, cm.predicted_orders
        from analytics.compute_customer_metrics(%1$s, %2$L::timestamptz) cm
    ), median as materialized (
        -- materialized: computed once (inlined, the median would be recomputed for every customer)
        select analytics.shop_median_days(array(select m.avg_days_between_orders from m where m.orders_count > 1),
                                          %5$s) as days
    ), actual as (
        select analytics.customer_key(o.customer_guid, o.email) as customer_key, count(*)::integer as orders
        from sales.orders o
        where o.shop_id = %1$s
          and o.deleted_at is null
          and not coalesce(o.status_id = any (%6$L::integer[]), false)
          and o.created_at >= %2$L::timestamptz and o.created_at < %3$L::timestamptz
        group by 1
    ), joined as (
        select m.*, coalesce(a.orders, 0) as actual
        from m left join actual a on a.customer_key = m.customer_key
    )
    select j.customer_key, j.orders_count, 'baseline'::text, b.recency_days, b.predicted_orders, j.actual
    from joined j
    cross join median
    cross join lateral analytics.baseline_model_score(j.orders_count, j.first_order_at, j.last_order_at,
                                                      %2$L::timestamptz, median.days, %4$s) b
    union all
    select j.customer_key, j.orders_count, 'rhythm-v1'::text, j.churn_risk::double precision,
           (j.predicted_orders * %4$s / %5$s)::double precision, j.actual
    from joined j
    union all
    select j.customer_key, j.orders_count, 'bgnbd-v1'::text, s.p_no_order, s.expected_orders, j.actual
    from joined j
    cross join lateral analytics.bgnbd_score(
        %7$L::jsonb, j.orders_count - 1,
        least(extract(epoch from j.last_order_at - j.first_order_at), extract(epoch from %2$L::timestamptz - j.first_order_at))::double precision / 86400,
        greatest(1, extract(epoch from %2$L::timestamptz - j.first_order_at)::double precision / 86400), %4$s) s
    where %8$L::boolean
    $q$, p_shop_id, v_from, v_to, p_horizon_days, v_clv_horizon, v_cancelled,
         coalesce(p_fits -> 'bgnbd-v1', '{}'), coalesce(p_fits ? 'bgnbd-v1', false));
end
$$;

comment on function analytics.backtest_predictions(bigint, date, integer, jsonb) is
    'Per customer and model (baseline, rhythm-v1, bgnbd-v1 when p_fits has its parameters): churn_score and expected_orders from the orders before the cutoff day (shop''s local midnight), actual_orders in the p_horizon_days after it; counted orders only. Raises 22023 on a bad or unfinished horizon, P0002 on an unknown shop';
