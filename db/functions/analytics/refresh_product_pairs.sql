/*
 * analytics.refresh_product_pairs(p_shop_id, p_min_support, p_min_orders, p_days): recompute a
 * shop's frequently-bought-together statistics (analytics.product_popularity,
 * analytics.product_pairs, analytics.product_pair_runs) from its order lines, set-based, and
 * return the run row.
 *
 * Baskets: the counted orders (not deleted, status not in analytics.cancelled_status_ids) created
 * in the last p_days calendar days of the shop's time zone (today included; null or 0: the whole
 * history, archive included); a basket is the set of PRODUCTS (productGuid; a line without one
 * takes its variant's product from catalog.variants) of its lines of item_type product, bazar or
 * product-set that are not deleted. Lines of other types (shipping, billing, discounts, gifts,
 * set components) are no purchase decision and are left out. N = baskets with a product.
 *
 * Association rules, the standard definitions (Agrawal, Imielinski, Swami 1993; lift: Brin et al.
 * 1997): n(A) = baskets holding A, n(A,B) = baskets holding both; support(A,B) = n(A,B) / N,
 * confidence(A -> B) = n(A,B) / n(A), lift(A -> B) = n(A,B) * N / (n(A) * n(B)). A pair is kept
 * when n(A,B) >= greatest(p_min_orders, ceil(p_min_support * N)), i.e. support >= p_min_support and
 * at least p_min_orders orders; both directions are stored.
 *
 * Defaults from settings (the shop's value, else the global one):
 *   analytics.recommendations_min_support  fraction of baskets, 0..1, default 0.0001 (0.01 %)
 *   analytics.recommendations_min_orders   integer >= 1, default 3
 *   analytics.recommendations_days         integer >= 0 (0 = all history), default 365
 * Raises 22023 naming the parameter or setting and the value when one is out of range, 02000
 * (no_data) when the shop does not exist. Replaces the shop's rows in one transaction (readers
 * see the previous ones until commit); runs of the same shop wait for each other.
 */
create or replace function analytics.refresh_product_pairs(
    p_shop_id bigint,
    p_min_support numeric default null,
    p_min_orders integer default null,
    p_days integer default null)
returns analytics.product_pair_runs
language plpgsql
set search_path = pg_catalog
set work_mem = '256MB'
set jit = off
as $$
declare
    v_started timestamptz := clock_timestamp();
    v_cancelled integer[];
    v_min_support numeric := p_min_support;
    v_min_orders integer := p_min_orders;
    v_days integer := p_days;
    v_since timestamptz;
    v_baskets bigint;
    v_products integer;
    v_pairs bigint;
    v_run analytics.product_pair_runs;
begin
    if not exists (select from core.shops s where s.shop_id = p_shop_id) then
        raise exception 'analytics.refresh_product_pairs: no shop %', p_shop_id using errcode = '02000';
    end if;
    v_cancelled := analytics.cancelled_status_ids(p_shop_id);
    v_min_support := coalesce(v_min_support,
        analytics.setting_number(p_shop_id, 'analytics.recommendations_min_support', 0.0001, 0, 1));
    v_min_orders := coalesce(v_min_orders,
        analytics.setting_number(p_shop_id, 'analytics.recommendations_min_orders', 3, 1, null, true));
    v_days := coalesce(v_days,
        analytics.setting_number(p_shop_id, 'analytics.recommendations_days', 365, 0, null, true));
    if v_min_support not between 0 and 1 then
        raise exception 'analytics.refresh_product_pairs: p_min_support must be a fraction between 0 and 1, got %', v_min_support
            using errcode = '22023';
    elsif v_min_orders < 1 then
        raise exception 'analytics.refresh_product_pairs: p_min_orders must be at least 1, got %', v_min_orders
            using errcode = '22023';
    elsif v_days < 0 then
        raise exception 'analytics.refresh_product_pairs: p_days must be 0 (all history) or more, got %', v_days
            using errcode = '22023';
    end if;
    if v_days > 0 then
        v_since := core.shop_day_start(p_shop_id,
            (now() at time zone core.shop_timezone(p_shop_id))::date - (v_days - 1));
    end if;

    perform pg_advisory_xact_lock(hashtextextended('analytics.refresh_product_pairs', p_shop_id));
    delete from analytics.product_pairs p where p.shop_id = p_shop_id;
    delete from analytics.product_popularity p where p.shop_id = p_shop_id;

    with lines as (
        select oi.order_code, coalesce(oi.product_guid, v.product_guid) as product_guid
        from sales.order_items_all oi
        left join catalog.variants v
               on oi.product_guid is null and v.shop_id = oi.shop_id and v.code = oi.code
        where oi.shop_id = p_shop_id
          and oi.item_type in ('product', 'bazar', 'product-set')
          and oi.deleted_at is null
          and (v_since is null or oi.created_at >= v_since)
          and not exists (
              select from sales.orders o
              where o.shop_id = oi.shop_id and o.code = oi.order_code
                and (o.deleted_at is not null or o.status_id = any (v_cancelled)))
    ),
    baskets as materialized (
        select l.order_code, array_agg(distinct l.product_guid) as products
        from lines l
        where l.product_guid is not null
        group by l.order_code
    ),
    totals as (
        select count(*) as baskets from baskets
    ),
    popularity as materialized (
        select p.product_guid, count(*)::integer as orders_count
        from baskets b cross join lateral unnest(b.products) as p (product_guid)
        group by p.product_guid
    ),
    deleted as (
        select cp.guid as product_guid
        from catalog.products cp
        where cp.shop_id = p_shop_id and cp.deleted_at is not null
    ),
    popularity_written as (
        insert into analytics.product_popularity (shop_id, product_guid, orders_count, support, rank)
        select p_shop_id, p.product_guid, p.orders_count, p.orders_count::double precision / t.baskets,
               case when d.product_guid is null
                    then row_number() over (partition by d.product_guid is null
                                            order by p.orders_count desc, p.product_guid) end
        from popularity p
        cross join totals t
        left join deleted d on d.product_guid = p.product_guid
        returning 1
    ),
    pair_counts as (
        -- each unordered pair once: array_agg(distinct) sorts the products, so i < j means a < b
        select b.products[i] as product_a, b.products[j] as product_b, count(*)::integer as orders_together
        from baskets b
        cross join lateral generate_series(1, cardinality(b.products) - 1) as i
        cross join lateral generate_series(i + 1, cardinality(b.products)) as j
        where cardinality(b.products) > 1
        group by 1, 2
        having count(*) >= greatest(v_min_orders, ceil(v_min_support * (select t.baskets from totals t)))
    ),
    rules as (
        select d.product_guid, d.other_product_guid, c.orders_together,
               c.orders_together::double precision / t.baskets as support,
               c.orders_together::double precision / pa.orders_count as confidence,
               c.orders_together::double precision * t.baskets
                   / (pa.orders_count::double precision * pb.orders_count) as lift,
               x.product_guid is not null as other_deleted
        from pair_counts c
        cross join totals t
        cross join lateral (values (c.product_a, c.product_b), (c.product_b, c.product_a))
            as d (product_guid, other_product_guid)
        join popularity pa on pa.product_guid = d.product_guid
        join popularity pb on pb.product_guid = d.other_product_guid
        left join deleted x on x.product_guid = d.other_product_guid
    ),
    pairs_written as (
        insert into analytics.product_pairs
            (shop_id, product_guid, other_product_guid, orders_together, support, confidence, lift, rank)
        select p_shop_id, r.product_guid, r.other_product_guid, r.orders_together, r.support, r.confidence, r.lift,
               case when not r.other_deleted
                    then row_number() over (partition by r.product_guid, r.other_deleted
                                            order by r.confidence desc, r.lift desc, r.orders_together desc,
                                                     r.other_product_guid) end
        from rules r
        returning 1
    )
    select t.baskets, (select count(*) from popularity_written), (select count(*) from pairs_written)
    into v_baskets, v_products, v_pairs
    from totals t;

    insert into analytics.product_pair_runs as r
        (shop_id, baskets, products, pairs, min_support, min_orders, days, refreshed_at, duration_ms)
    values (p_shop_id, v_baskets, v_products, v_pairs, v_min_support, v_min_orders, v_days, now(),
            (extract(epoch from clock_timestamp() - v_started) * 1000)::integer)
    on conflict (shop_id) do update
    set baskets = excluded.baskets, products = excluded.products, pairs = excluded.pairs,
        min_support = excluded.min_support, min_orders = excluded.min_orders, days = excluded.days,
        refreshed_at = excluded.refreshed_at, duration_ms = excluded.duration_ms
    returning r.* into v_run;
    return v_run;
end
$$;

comment on function analytics.refresh_product_pairs(bigint, numeric, integer, integer) is
    'Recompute a shop''s frequently-bought-together statistics (product level) from counted orders of the last p_days days: '
    'support(A,B) = n(A,B)/N, confidence(A->B) = n(A,B)/n(A), lift = n(A,B)*N/(n(A)*n(B)); keeps pairs with n(A,B) >= '
    'greatest(p_min_orders, ceil(p_min_support*N)). Defaults: settings analytics.recommendations_min_support (0.0001), '
    'analytics.recommendations_min_orders (3), analytics.recommendations_days (365; 0 = all). Returns the run row; raises 22023 on a bad value, 02000 for an unknown shop';
