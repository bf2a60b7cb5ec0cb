/*
 * analytics.refresh_customer_keys(p_shop_id, p_keys): the incremental refresh: recompute the
 * stored metrics (analytics.customer_metrics_base) of just these customers of a shop (keys as in
 * analytics.customer_metrics), and keep every other customer's RFM scores exact while touching
 * only those whose score changes. The shop's model is not refitted (the view scores with it).
 *
 * Steps, under analytics.customer_metrics_lock(shop):
 *  1. the changed customers' old (value, key) of each score into _ck_old, their new rows
 *     (analytics.customer_base_rows, unranked) into _ck_new;
 *  2. their rows written (upsert), customers without a counted order any more deleted;
 *  3. per score, the quintile boundaries moved (analytics.rfm_move_bounds), customers between an
 *     old and a new boundary queued for rescoring with the changed ones;
 *  4. those rescored from the new boundaries (analytics.rfm_score, equal to ntile(5) over the
 *     whole shop) and re-segmented (analytics.rfm_segment_cells), written only when different;
 *  5. the new boundaries and customer count stored;
 *  6. the tags of the changed and rescored customers re-evaluated (analytics.apply_tag_rules).
 * The result equals analytics.rebuild_customer_metrics(shop, false) on the same data (a test
 * compares them after random changes). A shop without a model or boundaries yet gets a rebuild.
 * Returns {shop_id, mode: "keys", keys, inserted, updated, deleted, rescored, customers, seconds}.
 */
create or replace function analytics.refresh_customer_keys(p_shop_id bigint, p_keys text[])
returns jsonb
language plpgsql
set search_path = pg_catalog
set jit = off
as $$
declare
    v_clock timestamptz := clock_timestamp();
    v_model analytics.customer_models;
    v_bounds analytics.customer_rfm_bounds;
    v_keys text[];
    v_customers integer;
    v_inserted bigint;
    v_updated bigint;
    v_deleted bigint;
    v_rescored bigint;
    v_r jsonb;
    v_f jsonb;
    v_m jsonb;
    v_cells text[];
begin
    perform analytics.customer_metrics_lock(p_shop_id);
    -- the shop row locked against deletion until the commit (customer_metrics_base has no foreign
    -- key: migration 0131); an unknown shop is the full refresh's error
    perform from core.shops s where s.shop_id = p_shop_id for key share;
    select * into v_model from analytics.customer_models m where m.shop_id = p_shop_id;
    select * into v_bounds from analytics.customer_rfm_bounds b where b.shop_id = p_shop_id;
    if v_model.shop_id is null or v_bounds.shop_id is null or v_bounds.customers = 0 then
        return analytics.rebuild_customer_metrics(p_shop_id, v_model.shop_id is null);
    end if;
    v_keys := array(select distinct k collate "C" from unnest(p_keys) k where k is not null);
    if cardinality(v_keys) = 0 then
        return jsonb_build_object('shop_id', p_shop_id, 'mode', 'keys', 'keys', 0);
    end if;

    if to_regclass('pg_temp._ck_old') is not null then
        drop table pg_temp._ck_old, pg_temp._ck_new, pg_temp._ck_rescore;
    end if;
    create temp table _ck_old on commit drop as
        select m.customer_key, m.last_order_at, m.orders_count, m.total_spent
        from analytics.customer_metrics_base m
        where m.shop_id = p_shop_id and m.customer_key = any (v_keys);
    -- planned with the keys' values (EXECUTE): the keyed index lookups of analytics.customer_facts
    execute 'create temp table _ck_new on commit drop as
             select * from analytics.customer_base_rows($1, null, $2, false)'
        using p_shop_id, v_keys;
    create temp table _ck_rescore (customer_key text collate "C") on commit drop;

    delete from analytics.customer_metrics_base m
    where m.shop_id = p_shop_id and m.customer_key = any (v_keys)
      and not exists (select from _ck_new n where n.customer_key = m.customer_key);
    get diagnostics v_deleted = row_count;

    with written as (
        insert into analytics.customer_metrics_base as m (
            shop_id, customer_key, customer_guid, email, orders_count, total_spent, avg_order_value,
            first_order_at, last_order_at, avg_days_between_orders, computed_at)
        select n.shop_id, n.customer_key, n.customer_guid, n.email, n.orders_count, n.total_spent, n.avg_order_value,
               n.first_order_at, n.last_order_at, n.avg_days_between_orders, n.computed_at
        from _ck_new n
        on conflict (shop_id, customer_key) do update
        set customer_guid = excluded.customer_guid, email = excluded.email, orders_count = excluded.orders_count,
            total_spent = excluded.total_spent, avg_order_value = excluded.avg_order_value,
            first_order_at = excluded.first_order_at, last_order_at = excluded.last_order_at,
            avg_days_between_orders = excluded.avg_days_between_orders, computed_at = excluded.computed_at
        where (m.customer_guid, m.email, m.orders_count, m.total_spent, m.avg_order_value, m.first_order_at,
               m.last_order_at, m.avg_days_between_orders)
              is distinct from
              (excluded.customer_guid, excluded.email, excluded.orders_count, excluded.total_spent,
               excluded.avg_order_value, excluded.first_order_at, excluded.last_order_at,
               excluded.avg_days_between_orders)
        returning (m.xmax = 0) as inserted
    )
    select count(*) filter (where inserted), count(*) filter (where not inserted) into v_inserted, v_updated
    from written;

    v_customers := v_bounds.customers
        + (select count(*) from _ck_new n where not exists (select from _ck_old o where o.customer_key = n.customer_key))
        - (select count(*) from _ck_old o where not exists (select from _ck_new n where n.customer_key = o.customer_key));

    if v_customers = 0 then
        update analytics.customer_rfm_bounds b
        set customers = 0, recency_at = '{null,null,null,null}', recency_key = '{null,null,null,null}',
            frequency_orders = '{null,null,null,null}', frequency_key = '{null,null,null,null}',
            monetary_spent = '{null,null,null,null}', monetary_key = '{null,null,null,null}', updated_at = clock_timestamp()
        where b.shop_id = p_shop_id;
        v_rescored := 0;
    else
        insert into _ck_rescore (customer_key) select n.customer_key from _ck_new n;
        v_r := analytics.rfm_move_bounds(p_shop_id, 'last_order_at', v_bounds.customers, v_customers);
        v_f := analytics.rfm_move_bounds(p_shop_id, 'orders_count', v_bounds.customers, v_customers);
        v_m := analytics.rfm_move_bounds(p_shop_id, 'total_spent', v_bounds.customers, v_customers);
        if not ((v_r ->> 'complete')::boolean and (v_f ->> 'complete')::boolean and (v_m ->> 'complete')::boolean) then
            -- the stored boundaries did not match the rows (they always should): start again from scratch
            raise warning 'analytics: shop %: RFM boundaries out of step, rebuilding', p_shop_id;
            return analytics.rebuild_customer_metrics(p_shop_id, false) || jsonb_build_object('keys', cardinality(v_keys));
        end if;
        update analytics.customer_rfm_bounds b
        set customers = v_customers,
            recency_at = array(select (e #>> '{}')::timestamptz from jsonb_array_elements(v_r -> 'values') with ordinality x(e, i) order by i),
            recency_key = array(select e #>> '{}' from jsonb_array_elements(v_r -> 'keys') with ordinality x(e, i) order by i),
            frequency_orders = array(select (e #>> '{}')::integer from jsonb_array_elements(v_f -> 'values') with ordinality x(e, i) order by i),
            frequency_key = array(select e #>> '{}' from jsonb_array_elements(v_f -> 'keys') with ordinality x(e, i) order by i),
            monetary_spent = array(select (e #>> '{}')::numeric from jsonb_array_elements(v_m -> 'values') with ordinality x(e, i) order by i),
            monetary_key = array(select e #>> '{}' from jsonb_array_elements(v_m -> 'keys') with ordinality x(e, i) order by i),
            updated_at = clock_timestamp()
        where b.shop_id = p_shop_id
        returning * into v_bounds;

        -- the segment of each score combination, (r - 1) x 25 + (f - 1) x 5 + m
        v_cells := array(select c.segment from analytics.rfm_segment_cells(p_shop_id) c order by c.r, c.f, c.m);
        -- (the scores are computed from the row being updated: an UPDATE cannot join it again)
        update analytics.customer_metrics_base m
        set recency_score = analytics.rfm_score(m.last_order_at, m.customer_key, v_bounds.recency_at, v_bounds.recency_key),
            frequency_score = analytics.rfm_score(m.orders_count, m.customer_key, v_bounds.frequency_orders, v_bounds.frequency_key),
            monetary_score = analytics.rfm_score(m.total_spent, m.customer_key, v_bounds.monetary_spent, v_bounds.monetary_key),
            rfm_segment = v_cells[
                (analytics.rfm_score(m.last_order_at, m.customer_key, v_bounds.recency_at, v_bounds.recency_key) - 1) * 25
                + (analytics.rfm_score(m.orders_count, m.customer_key, v_bounds.frequency_orders, v_bounds.frequency_key) - 1) * 5
                + analytics.rfm_score(m.total_spent, m.customer_key, v_bounds.monetary_spent, v_bounds.monetary_key)],
            computed_at = now()
        where m.shop_id = p_shop_id
          and m.customer_key in (select c.customer_key from _ck_rescore c)
          and (m.recency_score, m.frequency_score, m.monetary_score, m.rfm_segment)
              is distinct from
              (analytics.rfm_score(m.last_order_at, m.customer_key, v_bounds.recency_at, v_bounds.recency_key),
               analytics.rfm_score(m.orders_count, m.customer_key, v_bounds.frequency_orders, v_bounds.frequency_key),
               analytics.rfm_score(m.total_spent, m.customer_key, v_bounds.monetary_spent, v_bounds.monetary_key),
               v_cells[
                (analytics.rfm_score(m.last_order_at, m.customer_key, v_bounds.recency_at, v_bounds.recency_key) - 1) * 25
                + (analytics.rfm_score(m.orders_count, m.customer_key, v_bounds.frequency_orders, v_bounds.frequency_key) - 1) * 5
                + analytics.rfm_score(m.total_spent, m.customer_key, v_bounds.monetary_spent, v_bounds.monetary_key)]);
        get diagnostics v_rescored = row_count;
    end if;

    -- the customer tags follow the metrics: re-tag the keys whose rows may have changed (the
    -- changed customers and those queued for rescoring)
    perform analytics.apply_tag_rules(p_shop_id, array(select unnest(v_keys) union select r.customer_key from _ck_rescore r));

    drop table pg_temp._ck_old, pg_temp._ck_new, pg_temp._ck_rescore;
    return jsonb_build_object(
        'shop_id', p_shop_id, 'mode', 'keys', 'keys', cardinality(v_keys), 'inserted', v_inserted,
        'updated', v_updated, 'deleted', v_deleted, 'rescored', v_rescored, 'customers', v_customers,
        'seconds', round(extract(epoch from clock_timestamp() - v_clock)::numeric, 3));
end
$$;

comment on function analytics.refresh_customer_keys(bigint, text[]) is
    'Incremental refresh of these customers of a shop with the stored model; RFM scores of the others kept exact by moving the stored quintile boundaries (analytics.rfm_move_bounds); equals a rebuild without refit; returns a jsonb summary';
