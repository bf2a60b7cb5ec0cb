/*
 * analytics.refresh_variant_metrics(p_shop_id, p_full, p_codes, p_as_of): bring the stored demand
 * of a shop's variants (analytics.variant_demand, read through the view analytics.variant_metrics)
 * up to date, set-based, in the caller's transaction. Three ways:
 *
 *   full (p_full, or forced): every live variant recomputed (analytics.variant_demand_of);
 *   given codes (p_codes): those variants recomputed, e.g. what a caller knows it changed;
 *   changed since the last refresh (default): the variants of every line of the orders written
 *   since the watermark analytics.variant_demand_state.changes_from (orders.synced_at; a new,
 *   updated, cancelled, deleted or moved order, a line added, changed or removed all rewrite the
 *   order row) and created before the local day p_as_of (today's orders count from tomorrow,
 *   whose first refresh is a full one), then the watermark moves to analytics.change_horizon()
 *   read at the start. The codes lines were changed or moved in time away from
 *   (analytics.variant_code_changes, a trigger) are recomputed and consumed by every way.
 *
 * Every way also computes live variants that have no demand row yet and deletes the rows of
 * variants that are deleted or gone. A refresh is full anyway when the shop has no state yet,
 * when the local day, the shop's time zone or its cancelled statuses differ from the stored
 * ones (every window moved), or when more than a third of the live variants are to be
 * recomputed (one pass over the lines is then cheaper); the result is the same either way.
 * Stock, supplier terms and settings need no refresh: the view reads them live.
 *
 * p_as_of (default the shop's local today) is the day the windows end before.
 * Rows are upserted only where they differ and stale ones deleted, in one transaction: readers
 * keep seeing the previous rows until it commits, never blocked. Two refreshes of one shop run
 * one after the other (transaction advisory lock). Returns {shop_id, mode: full|incremental,
 * reason, as_of, variants: live variants, recomputed, written, deleted}. Raises 22023 for an
 * unknown shop, and what analytics.cancelled_status_ids raises.
 */
create or replace function analytics.refresh_variant_metrics(
    p_shop_id bigint,
    p_full boolean default false,
    p_codes text[] default null,
    p_as_of date default null
)
returns jsonb
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_horizon timestamptz;
    v_state analytics.variant_demand_state;
    v_tz text;
    v_as_of date;
    v_cancelled integer[];
    v_reason text;
    v_codes text[];
    v_logged text[];
    v_live integer;
    v_recomputed integer;
    v_written integer;
    v_deleted integer;
begin
    if not exists (select from core.shops s where s.shop_id = p_shop_id) then
        raise exception 'analytics.refresh_variant_metrics: unknown shop %', p_shop_id using errcode = '22023';
    end if;
    perform pg_advisory_xact_lock(hashtextextended('analytics.variant_demand', p_shop_id));
    -- before any data is read: no change older than this can be missed by the reads below
    v_horizon := analytics.change_horizon();
    -- old codes of lines changed to another code (analytics.order_lines_code_changed), consumed
    -- before the lines are read: what commits later stays for the next refresh
    with consumed as (
        delete from analytics.variant_code_changes c where c.shop_id = p_shop_id returning c.variant_code
    )
    select coalesce(array_agg(c.variant_code), '{}') into v_logged from consumed c;

    v_tz := core.shop_timezone(p_shop_id);
    v_as_of := coalesce(p_as_of, (now() at time zone v_tz)::date);
    v_cancelled := analytics.cancelled_status_ids(p_shop_id);
    select * into v_state from analytics.variant_demand_state s where s.shop_id = p_shop_id;
    select count(*) into v_live from catalog.variants v where v.shop_id = p_shop_id and v.deleted_at is null;

    v_reason := case
        when p_full then 'requested'
        when v_state.shop_id is null then 'first refresh'
        when v_state.as_of <> v_as_of then 'new day'
        when v_state.time_zone <> v_tz then 'time zone changed'
        when v_state.cancelled_status_ids <> v_cancelled then 'cancelled statuses changed'
    end;

    if v_reason is null then
        with changed as (
            -- the caller's codes, or the variants of the lines of orders written since the watermark
            select c.code from unnest(p_codes) c (code)
            where p_codes is not null
            union
            select c.code from unnest(v_logged) c (code)
            union
            select i.code
            from sales.orders o
            join sales.order_items_all i
              on i.shop_id = o.shop_id and i.created_at = o.created_at and i.order_code = o.code
            where p_codes is null
              and o.shop_id = p_shop_id and o.synced_at >= v_state.changes_from
              -- an order created today counts from tomorrow (a new day is a full refresh); one
              -- moved here from an earlier day left its old code in analytics.variant_code_changes
              and o.created_at < core.shop_day_start(p_shop_id, v_as_of)
              and i.code is not null
            union
            -- live variants not computed yet (new, or back after a deletion)
            select v.code
            from catalog.variants v
            where v.shop_id = p_shop_id and v.deleted_at is null
              and not exists (select from analytics.variant_demand d
                              where d.shop_id = p_shop_id and d.variant_code = v.code)
        )
        select coalesce(array_agg(c.code), '{}') into v_codes
        from changed c
        where exists (select from catalog.variants v
                      where v.shop_id = p_shop_id and v.code = c.code and v.deleted_at is null);
        if cardinality(v_codes) * 3 > v_live then
            v_reason := 'many changes';
        end if;
    end if;
    if v_reason is not null then
        v_codes := null;  -- every live variant
    end if;

    with computed as (
        select * from analytics.variant_demand_of(p_shop_id, v_as_of, v_codes)
    ),
    written as (
        insert into analytics.variant_demand as d
            (shop_id, variant_code, units_7d, units_30d, units_90d, demand_stddev, sale_days_90d,
             history_months, seasonality)
        select p_shop_id, c.variant_code, c.units_7d, c.units_30d, c.units_90d, c.demand_stddev, c.sale_days_90d,
               c.history_months, c.seasonality
        from computed c
        on conflict (shop_id, variant_code) do update set
            units_7d = excluded.units_7d, units_30d = excluded.units_30d, units_90d = excluded.units_90d,
            demand_stddev = excluded.demand_stddev, sale_days_90d = excluded.sale_days_90d,
            history_months = excluded.history_months, seasonality = excluded.seasonality
        where (d.units_7d, d.units_30d, d.units_90d, d.demand_stddev, d.sale_days_90d, d.history_months, d.seasonality)
              is distinct from
              (excluded.units_7d, excluded.units_30d, excluded.units_90d, excluded.demand_stddev,
               excluded.sale_days_90d, excluded.history_months, excluded.seasonality)
        returning 1
    )
    select (select count(*) from computed), (select count(*) from written) into v_recomputed, v_written;

    -- rows of variants deleted at the source or gone from the catalogue
    delete from analytics.variant_demand d
    where d.shop_id = p_shop_id
      and not exists (select from catalog.variants v
                      where v.shop_id = p_shop_id and v.code = d.variant_code and v.deleted_at is null);
    get diagnostics v_deleted = row_count;

    insert into analytics.variant_demand_state as s
        (shop_id, as_of, time_zone, cancelled_status_ids, changes_from, full_refreshed_at, refreshed_at)
    values (p_shop_id, v_as_of, v_tz, v_cancelled, v_horizon, now(), now())
    on conflict (shop_id) do update set
        as_of = excluded.as_of,
        time_zone = excluded.time_zone,
        cancelled_status_ids = excluded.cancelled_status_ids,
        -- given codes say nothing about other orders: the watermark stays unless all was recomputed
        changes_from = case when v_reason is not null or p_codes is null then excluded.changes_from
                            else s.changes_from end,
        full_refreshed_at = case when v_reason is not null then excluded.full_refreshed_at else s.full_refreshed_at end,
        refreshed_at = excluded.refreshed_at;

    return jsonb_build_object(
        'shop_id', p_shop_id, 'mode', case when v_reason is null then 'incremental' else 'full' end,
        'reason', v_reason, 'as_of', v_as_of, 'variants', v_live, 'recomputed', v_recomputed,
        'written', v_written, 'deleted', v_deleted);
end
$$;

comment on function analytics.refresh_variant_metrics(bigint, boolean, text[], date) is
    'Refresh a shop''s analytics.variant_demand: full (p_full), given variant codes (p_codes), or the variants of orders written since the watermark (default); full anyway on a new day, changed time zone or cancelled statuses, or > 1/3 of variants; upserts only differences; returns jsonb counts';
