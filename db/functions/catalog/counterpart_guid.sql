/*
 * catalog.counterpart_guid(p_master_shop_id, p_product_guid, p_shop_id): the GUID of a master
 * product in another shop of its group -- the same GUID when the shop has it, else the product
 * sharing a variant code with the master's (the lowest GUID when several do); null when the shop
 * has no such product. Deleted products and variants do not count.
 */
create or replace function catalog.counterpart_guid(p_master_shop_id bigint, p_product_guid uuid, p_shop_id bigint)
returns uuid
language sql
stable
set search_path = pg_catalog
as $$
    select coalesce(
        (select p.guid from catalog.products p
         where p.shop_id = p_shop_id and p.guid = p_product_guid and p.deleted_at is null),
        (select v2.product_guid
         from catalog.variants mv
         join catalog.variants v2 on v2.shop_id = p_shop_id and v2.code = mv.code and v2.deleted_at is null
         where mv.shop_id = p_master_shop_id and mv.product_guid = p_product_guid and mv.deleted_at is null
         order by v2.product_guid
         limit 1))
$$;

comment on function catalog.counterpart_guid(bigint, uuid, bigint) is
    'A master product''s GUID in another shop: the same GUID, else one sharing a variant code (lowest); null: none';
