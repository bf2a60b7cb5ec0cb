/*
 * analytics.customer_recommendations(p_shop_id, p_customer_keys, p_limit): the top p_limit
 * products to offer each customer of a shop, never one they have already bought
 * (analytics.customer_products: any counted order, whole history, product level).
 * p_customer_keys: the customers (typed keys resolved by analytics.resolve_customer_keys: a GUID,
 * or an e-mail -> the registered customer with that account e-mail, answered under their GUID
 * key), null = every customer who has bought something (a heavy query, for exports). A key of
 * nobody known (no account, no order) gets the best sellers.
 *
 * Model (item-to-item association rules, analytics.product_pairs of the last
 * analytics.refresh_product_pairs): a candidate B scores max over the customer's products A of
 * confidence(A -> B), ties by the higher lift, then the GUID; because_of names the A of that best
 * rule. Pair-based candidates come first; free places are filled with the shop's best sellers
 * (analytics.product_popularity, score = support(B), because_of null) not bought. Products deleted
 * in catalog.products are never offered (one deleted since the last refresh may leave a list
 * shorter than p_limit until the next refresh).
 * Bound used to stay set-based and index-driven: the best p_limit new products of a customer who
 * has k products are among the first p_limit + k partners of each of their products and the first
 * p_limit + k best sellers, so only those are read (product_pairs.rank, product_popularity.rank).
 *
 * Columns: customer_key, rank (1 = best), product_guid, name, score (0-1), because_of (product
 * GUID or null), reason (text for a person). Raises 22023 for p_limit < 1.
 */
create or replace function analytics.customer_recommendations(p_shop_id bigint, p_customer_keys text[] default null,
                                                             p_limit integer default 10)
returns table (customer_key text, rank integer, product_guid uuid, name text, score double precision,
               because_of uuid, reason text)
language plpgsql
stable
set search_path = pg_catalog
set jit = off
as $$
begin
    if p_limit is null or p_limit < 1 then
        raise exception 'analytics.customer_recommendations: p_limit must be at least 1, got %', coalesce(p_limit::text, 'null')
            using errcode = '22023';
    end if;
    return query
    with customers as materialized (
        -- each customer with what they bought, as an array (membership tests, no anti-joins)
        select coalesce(k.customer_key, b.customer_key) as customer_key, coalesce(b.bought, '{}') as bought,
               coalesce(cardinality(b.bought), 0) as products
        from (select distinct r.customer_key
              from analytics.resolve_customer_keys(p_shop_id, p_customer_keys) r) k
        full join (select cp.customer_key, array_agg(cp.product_guid) as bought
                   from analytics.customer_products(p_shop_id, p_customer_keys) cp
                   group by cp.customer_key) b on b.customer_key = k.customer_key
        where coalesce(k.customer_key, b.customer_key) is not null
    ),
    by_pairs as (
        select c.customer_key, p.other_product_guid as product_guid, p.confidence as score, p.lift,
               p.product_guid as because_of
        from customers c
        cross join lateral unnest(c.bought) as a (product_guid)
        join analytics.product_pairs p
          on p.shop_id = p_shop_id and p.product_guid = a.product_guid and p.rank <= p_limit + c.products
        where not p.other_product_guid = any (c.bought)
    ),
    by_popularity as (
        select c.customer_key, pp.product_guid, pp.support as score, pp.rank
        from customers c
        join analytics.product_popularity pp
          on pp.shop_id = p_shop_id and pp.rank is not null and pp.rank <= p_limit + c.products
        where not pp.product_guid = any (c.bought)
    ),
    candidates as (
        -- one row per (customer, product): the best rule for it, else its best-seller place
        select distinct on (y.customer_key, y.product_guid)
               y.customer_key, y.product_guid, y.score, y.lift, y.because_of, y.seller_rank
        from (select b.customer_key, b.product_guid, b.score, b.lift, b.because_of, null::integer as seller_rank
              from by_pairs b
              union all
              select z.customer_key, z.product_guid, z.score, null, null, z.rank
              from by_popularity z) y
        order by y.customer_key, y.product_guid, (y.because_of is null), y.score desc, y.lift desc, y.because_of
    ),
    ranked as (
        select c.*, row_number() over (partition by c.customer_key
                                       order by (c.because_of is null), c.score desc, c.lift desc,
                                                c.seller_rank, c.product_guid)::integer as position
        from candidates c
        left join catalog.products cp on cp.shop_id = p_shop_id and cp.guid = c.product_guid
        where cp.deleted_at is null
    )
    select r.customer_key, r.position, r.product_guid, cp.name, r.score, r.because_of,
           case when r.because_of is not null
                then format('%s %% of the orders with %s also held it',
                            round((r.score * 100)::numeric, 1), coalesce(a.name, r.because_of::text))
                else format('best seller: in %s %% of the shop''s orders', round((r.score * 100)::numeric, 2))
           end
    from ranked r
    left join catalog.products cp on cp.shop_id = p_shop_id and cp.guid = r.product_guid
    left join catalog.products a on a.shop_id = p_shop_id and a.guid = r.because_of
    where r.position <= p_limit
    order by r.customer_key, r.position;
end
$$;

comment on function analytics.customer_recommendations(bigint, text[], integer) is
    'Top p_limit products for each given customer (null: all) of a shop, never one already bought: max confidence(A -> B) over '
    'their products A (analytics.product_pairs), then best sellers; (customer_key, rank, product_guid, name, score, because_of, reason)';
