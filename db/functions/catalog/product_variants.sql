/*
 * catalog.product_variants: the variants of one product, by code (deleted ones left out).
 */
create or replace function catalog.product_variants(p_shop_id bigint, p_product_guid uuid)
returns setof catalog.variants
language sql
stable
set search_path = pg_catalog
as $$
    select v.*
    from catalog.variants v
    where v.shop_id = p_shop_id and v.product_guid = p_product_guid and v.deleted_at is null
    order by v.code
$$;

comment on function catalog.product_variants(bigint, uuid) is 'The variants of a product by code';
