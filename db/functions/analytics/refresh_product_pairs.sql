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
 * Also ranks each product's partners (product_pairs.rank) and the best sellers
 * (product_popularity.rank) for the readers; a product deleted in catalog.products gets no rank.
 * Raises 22023 naming the parameter or setting and the value when one is out of range, P0002
 * (no_data_found) when the shop does not exist. Replaces the shop's rows in one transaction
 * (readers see the previous ones until commit); runs of the same shop wait for each other.
 * Works through temporary tables dropped at commit (each step planned on real row counts).
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
    v_min_count integer;
    v_run analytics.product_pair_runs;
begin
    if not exists (select from core.shops s where s.shop_id = p_shop_id) then
        raise exception 'analytics.refresh_product_pairs: no shop %', p_shop_id using errcode = 'P0002';
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

    -- step by step through temporary tables (dropped at commit): each step is planned on the real
    -- row counts of the one before (one statement of CTEs was planned on guesses, and joined the
    -- few kept pairs in the most expensive order)
    if to_regclass('pg_temp._pp_lines') is not null then
        drop table pg_temp._pp_lines, pg_temp._pp_ids, pg_temp._pp_baskets, pg_temp._pp_popularity, pg_temp._pp_pairs;
    end if;

    -- the lines that are purchases, of the counted orders in the window
    create temp table _pp_lines on commit drop as
    select oi.order_code, coalesce(oi.product_guid, v.product_guid) as product_guid
    from sales.order_items_all oi
    left join catalog.variants v
           on oi.product_guid is null and v.shop_id = oi.shop_id and v.code = oi.code
    where oi.shop_id = p_shop_id
      and oi.item_type in ('product', 'bazar', 'product-set')
      and oi.deleted_at is null
      and (v_since is null or oi.created_at >= v_since)
      and coalesce(oi.product_guid, v.product_guid) is not null
      and not exists (
          select from sales.orders o
          where o.shop_id = oi.shop_id and o.code = oi.order_code
            and (o.deleted_at is not null or o.status_id = any (v_cancelled)));

    -- the products as small integers: pairs are counted by two int4 columns (hashed and compared
    -- much faster than two uuids) and translated back for the kept ones only
    create temp table _pp_ids on commit drop as
    select p.product_guid, row_number() over (order by p.product_guid)::integer as pid
    from (select distinct l.product_guid from _pp_lines l) p;
    analyze pg_temp._pp_ids;

    -- a basket: the distinct products of an order
    create temp table _pp_baskets on commit drop as
    select array_agg(distinct i.pid) as pids
    from _pp_lines l
    join _pp_ids i on i.product_guid = l.product_guid
    group by l.order_code;
    get diagnostics v_baskets = row_count;

    create temp table _pp_popularity on commit drop as
    select i.pid, i.product_guid, c.orders_count
    from (select p.pid, count(*)::integer as orders_count
          from _pp_baskets b cross join lateral unnest(b.pids) as p (pid)
          group by p.pid) c
    join _pp_ids i on i.pid = c.pid;
    get diagnostics v_products = row_count;
    analyze pg_temp._pp_popularity;

    -- each unordered pair once (the smaller id first), kept at the minimum; unnest rather than
    -- generate_series: its row estimate keeps the hash table of the count near its real size
    v_min_count := greatest(v_min_orders, ceil(v_min_support * v_baskets))::integer;
    create temp table _pp_pairs on commit drop as
    select a.pid as pid_a, b.pid as pid_b, count(*)::integer as orders_together
    from _pp_baskets x
    cross join lateral unnest(x.pids) as a (pid)
    cross join lateral unnest(x.pids) as b (pid)
    where cardinality(x.pids) > 1 and a.pid < b.pid
    group by 1, 2
    having count(*) >= v_min_count;
    analyze pg_temp._pp_pairs;

    insert into analytics.product_popularity (shop_id, product_guid, orders_count, support, rank)
    select p_shop_id, p.product_guid, p.orders_count, p.orders_count::double precision / v_baskets,
           case when cp.deleted_at is null
                then row_number() over (partition by cp.deleted_at is null
                                        order by p.orders_count desc, p.product_guid) end
    from _pp_popularity p
    left join catalog.products cp on cp.shop_id = p_shop_id and cp.guid = p.product_guid;

    insert into analytics.product_pairs
        (shop_id, product_guid, other_product_guid, orders_together, support, confidence, lift, rank)
    select p_shop_id, r.product_guid, r.other_product_guid, r.orders_together, r.support, r.confidence, r.lift,
           case when not r.other_deleted
                then row_number() over (partition by r.product_guid, r.other_deleted
                                        order by r.confidence desc, r.lift desc, r.orders_together desc,
                                                 r.other_product_guid) end
    from (select a.product_guid, b.product_guid as other_product_guid, c.orders_together,
                 c.orders_together::double precision / v_baskets as support,
                 c.orders_together::double precision / a.orders_count as confidence,
                 c.orders_together::double precision * v_baskets
                     / (a.orders_count::double precision * b.orders_count) as lift,
                 coalesce(cp.deleted_at is not null, false) as other_deleted
          from _pp_pairs c
          cross join lateral (values (c.pid_a, c.pid_b), (c.pid_b, c.pid_a)) as d (pid, other_pid)
          join _pp_popularity a on a.pid = d.pid
          join _pp_popularity b on b.pid = d.other_pid
          left join catalog.products cp on cp.shop_id = p_shop_id and cp.guid = b.product_guid) r;
    get diagnostics v_pairs = row_count;

    drop table pg_temp._pp_lines, pg_temp._pp_ids, pg_temp._pp_baskets, pg_temp._pp_popularity, pg_temp._pp_pairs;

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
    'analytics.recommendations_min_orders (3), analytics.recommendations_days (365; 0 = all). Returns the run row; raises 22023 on a bad value, P0002 for an unknown shop';
