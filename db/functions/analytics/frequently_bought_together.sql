/*
 * analytics.frequently_bought_together(p_shop_id, p_product, p_limit): the products most often
 * bought together with one product, from the last analytics.refresh_product_pairs of the shop:
 * best first (confidence, then lift, then orders together; analytics.product_pairs.rank).
 * p_product is a product GUID or a variant code (catalog.variants.code: its product is meant);
 * pairs are at product level. Partners deleted in catalog.products are left out.
 * Columns: the partner's product_guid and name (catalog.products), orders_together (orders with
 * both), support (share of all baskets), confidence (share of this product's orders that also
 * hold the partner), lift (> 1: more often together than by chance); see analytics.product_pairs.
 * Raises P0002 (no_data_found) for a code that is neither a GUID nor a variant code of the shop,
 * 22023 for p_limit < 1. A product without pairs (or before the first refresh): no rows.
 */
create or replace function analytics.frequently_bought_together(p_shop_id bigint, p_product text,
                                                                p_limit integer default 10)
returns table (product_guid uuid, name text, orders_together integer, support double precision,
               confidence double precision, lift double precision)
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_product uuid := core.normalize_guid(p_product);
begin
    if p_limit is null or p_limit < 1 then
        raise exception 'analytics.frequently_bought_together: p_limit must be at least 1, got %', coalesce(p_limit::text, 'null')
            using errcode = '22023';
    end if;
    if v_product is null then
        select v.product_guid into v_product
        from catalog.variants v
        where v.shop_id = p_shop_id and v.code = p_product;
        if v_product is null then
            raise exception 'analytics.frequently_bought_together: % is neither a product GUID nor a variant code of shop %',
                quote_nullable(p_product), p_shop_id
                using errcode = 'P0002';
        end if;
    end if;
    return query
    select p.other_product_guid, cp.name, p.orders_together, p.support, p.confidence, p.lift
    from analytics.product_pairs p
    left join catalog.products cp on cp.shop_id = p.shop_id and cp.guid = p.other_product_guid
    where p.shop_id = p_shop_id
      and p.product_guid = v_product
      and p.rank is not null
      and cp.deleted_at is null
    order by p.rank
    limit p_limit;
end
$$;

comment on function analytics.frequently_bought_together(bigint, text, integer) is
    'Top p_limit products bought together with a product (GUID or variant code) of a shop, from analytics.product_pairs: '
    '(product_guid, name, orders_together, support, confidence, lift), best first; raises P0002 for an unknown code';
