/*
 * analytics.variant_demand_of(p_shop_id, p_as_of, p_codes): the demand of a shop's live variants
 * (catalog.variants not deleted; only those in p_codes unless it is null) as of a local day,
 * computed set-based from the order lines. Read-only: analytics.refresh_variant_metrics stores
 * its result in analytics.variant_demand; call it from psql to look at another day.
 *
 * Counted lines: item_type 'product' lines, not deleted, with a variant code, of orders that are
 * neither deleted at the source nor in a cancelled status (analytics.cancelled_status_ids).
 * Local days and months are the shop's (core.shops.timezone); the day p_as_of itself is left out.
 * One row per variant, also for a variant that sold nothing (zeros):
 *   units_7d, units_30d, units_90d  sum of amount over the 7 / 30 / 90 local days before p_as_of
 *   demand_stddev   sample standard deviation (n - 1 = 89) of the 90 daily totals, days without a
 *                   sale counted as 0: sqrt((sum x^2 - (sum x)^2 / 90) / 89), rounded to 6 decimals
 *   sale_days_90d   days among the 90 with a non-zero total
 *   history_months  complete local months from the first month with a sale among the 24 before
 *                   p_as_of's month, up to that month (0 when none sold)
 *   seasonality     with history_months >= 12: January .. December, the method of simple averages
 *                   (e.g. Makridakis, Wheelwright & Hyndman, Forecasting: Methods and Applications,
 *                   1998): the units per day of each month of the history, averaged per calendar
 *                   month, divided by the mean of those 12 averages (so they average 1); rounded
 *                   to 3 decimals. Null with a shorter history.
 * Two passes over the lines (the 24 months, the 90 days), each reading only its quarters (partition pruning on
 * created_at of sales.order_items and archive.order_items); local days and months by width_bucket
 * over their starts (core.shop_day_start), exact across daylight-saving changes. Raises what
 * analytics.cancelled_status_ids raises.
 */
create or replace function analytics.variant_demand_of(p_shop_id bigint, p_as_of date, p_codes text[] default null)
returns table (
    variant_code text,
    units_7d numeric,
    units_30d numeric,
    units_90d numeric,
    demand_stddev numeric,
    sale_days_90d integer,
    history_months integer,
    seasonality numeric[]
)
language plpgsql
stable
set search_path = pg_catalog
set work_mem = '128MB'
set jit = off  -- compiling this plan costs more (0.7 s) than it saves
set plan_cache_mode = force_custom_plan  -- plan with this shop's bounds: partitions pruned at plan time
as $$
declare
    v_tz text := core.shop_timezone(p_shop_id);
    v_cancelled integer[] := analytics.cancelled_status_ids(p_shop_id);
    v_month0 date := date_trunc('month', p_as_of)::date;
    -- local midnights as timestamptz: the 24 complete months start at v_month_starts[1 .. 24],
    -- the current month at [25]; the 90 days at v_day_starts[1 .. 90], today at [91].
    -- width_bucket() puts a line into its local month or day without a time-zone conversion per line
    v_month_starts timestamptz[] := array(
        select core.shop_day_start(p_shop_id, (v_month0 - make_interval(months => 24 - k))::date)
        from generate_series(0, 24) k order by k);
    v_month_days integer[] := array(
        select (v_month0 - make_interval(months => 24 - k))::date - (v_month0 - make_interval(months => 25 - k))::date
        from generate_series(1, 24) k order by k);
    v_day_starts timestamptz[] := array(
        select core.shop_day_start(p_shop_id, p_as_of - 90 + k) from generate_series(0, 90) k order by k);
    v_from timestamptz := least(v_month_starts[1], v_day_starts[1]);
    v_to timestamptz := v_day_starts[91];
begin
    if p_shop_id is null or p_as_of is null then
        raise exception 'analytics.variant_demand_of: shop and day are required (got shop %, day %)', p_shop_id, p_as_of
            using errcode = '22004';
    end if;
    return query
    with live as (
        select v.code
        from catalog.variants v
        where v.shop_id = p_shop_id and v.deleted_at is null
          and (p_codes is null or v.code = any (p_codes))
    ),
    not_counted as (
        -- orders whose lines count nowhere (a line's created_at is its order's): cancelled
        -- (index orders_shop_status_created), deleted at the source (index orders_shop_deleted)
        select o.code
        from sales.orders o
        where o.shop_id = p_shop_id and o.status_id = any (v_cancelled)
          and o.created_at >= v_from and o.created_at < v_to
        union
        select o.code
        from sales.orders o
        where o.shop_id = p_shop_id and o.deleted_at is not null
          and o.created_at >= v_from and o.created_at < v_to
    ),
    daily as (
        -- units per variant and local day (1 .. 90) of the 90 days
        select i.code, width_bucket(i.created_at, v_day_starts) as day_no, sum(coalesce(i.amount, 0)) as units
        from sales.order_items_all i
        where i.shop_id = p_shop_id and i.item_type = 'product' and i.code is not null and i.deleted_at is null
          and i.created_at >= v_day_starts[1] and i.created_at < v_day_starts[91]
          and (p_codes is null or i.code = any (p_codes))
          and not exists (select from not_counted n where n.code = i.order_code)
        group by 1, 2
    ),
    day_stats as (
        select d.code,
               coalesce(sum(d.units) filter (where d.day_no > 83), 0) as u7,
               coalesce(sum(d.units) filter (where d.day_no > 60), 0) as u30,
               sum(d.units) as u90,
               sum(d.units * d.units) as sq90,
               count(*) filter (where d.units <> 0)::integer as sale_days
        from daily d
        group by d.code
    ),
    monthly as (
        -- units per variant and complete local month (1 .. 24)
        select i.code, width_bucket(i.created_at, v_month_starts) as month_no, sum(coalesce(i.amount, 0)) as units
        from sales.order_items_all i
        where i.shop_id = p_shop_id and i.item_type = 'product' and i.code is not null and i.deleted_at is null
          and i.created_at >= v_month_starts[1] and i.created_at < v_month_starts[25]
          and (p_codes is null or i.code = any (p_codes))
          and not exists (select from not_counted n where n.code = i.order_code)
        group by 1, 2
    ),
    history as (
        select m.code, min(m.month_no) as first_month, 25 - min(m.month_no) as months
        from monthly m
        where m.units <> 0
        group by m.code
    ),
    calendar as (
        -- the 12 calendar months of the window, by their position in its first year (1 .. 12);
        -- each comes again 12 positions later
        select k as position, extract(month from v_month0 - make_interval(months => 25 - k))::integer as calendar_month
        from generate_series(1, 12) k
    ),
    rate_sums as (
        -- units per day of the months with sales, summed per calendar month
        select m.code, (m.month_no - 1) % 12 + 1 as position, sum(m.units / v_month_days[m.month_no]) as rate_sum
        from monthly m
        group by 1, 2
    ),
    calendar_rates as (
        -- mean units per day of each calendar month over the history (months without a sale as
        -- 0): a history of 12 .. 24 months holds a calendar month twice when its first position
        -- is not before the history's first month, else once
        select h.code, c.calendar_month,
               coalesce(r.rate_sum, 0) / (1 + (c.position >= h.first_month)::integer) as rate
        from history h
        cross join calendar c
        left join rate_sums r on r.code = h.code and r.position = c.position
        where h.months >= 12
    ),
    seasonal as (
        select c.code, array_agg(round(c.rate / c.mean, 3) order by c.calendar_month) as indices
        from (select c.*, avg(c.rate) over (partition by c.code) as mean from calendar_rates c) c
        where c.mean > 0
        group by c.code
    )
    select l.code,
           coalesce(s.u7, 0),
           coalesce(s.u30, 0),
           coalesce(s.u90, 0),
           coalesce(round(sqrt(greatest((s.sq90 - s.u90 * s.u90 / 90) / 89, 0)), 6), 0),
           coalesce(s.sale_days, 0),
           coalesce(h.months, 0),
           se.indices
    from live l
    left join day_stats s on s.code = l.code
    left join history h on h.code = l.code
    left join seasonal se on se.code = l.code;
end
$$;

comment on function analytics.variant_demand_of(bigint, date, text[]) is
    'Demand of a shop''s live variants (all, or p_codes) as of a local day, from counted product lines: units over 7/30/90 days before it, daily sample std dev (zeros included, n-1), sale days, months of history, monthly seasonality index (simple averages, >= 12 months); read-only';
