/*
 * ingest.mark_deleted(p_shop_id, p_entity, p_keys): soft-delete entities deleted at the source
 * (a webhook *:delete, a 404 on fetch, a 'delete' change, absence from a clean full snapshot).
 * orders by code (their lines too), customers by GUID, products by GUID (their variants too),
 * variants by code. GUIDs go through core.normalize_guid (upper case or surrounding spaces match;
 * a key that is not a GUID matches nothing). Rows are kept with deleted_at set. Returns the
 * number of rows marked.
 */
create or replace function ingest.mark_deleted(p_shop_id bigint, p_entity text, p_keys text[])
returns integer
language plpgsql
set search_path = pg_catalog
as $$
declare
    v_count integer := 0;
    v_guids uuid[];
begin
    if p_entity in ('customers', 'products') then
        select coalesce(array_agg(g), '{}') into v_guids
        from (select core.normalize_guid(k) as g from unnest(p_keys) k) n
        where g is not null;
    end if;
    case p_entity
    when 'orders' then
        -- lines are found through their order's created_at (the partition key leads their key)
        with gone as (
            update sales.orders set deleted_at = now(), synced_at = now()
            where shop_id = p_shop_id and code = any (p_keys) and deleted_at is null
            returning code, created_at
        ), hot as (
            update sales.order_items i set deleted_at = now(), synced_at = now()
            from gone g
            where i.shop_id = p_shop_id and i.created_at = g.created_at and i.order_code = g.code
              and i.deleted_at is null
        ), archived as (
            update archive.order_items i set deleted_at = now(), synced_at = now()
            from gone g
            where i.shop_id = p_shop_id and i.created_at = g.created_at and i.order_code = g.code
              and i.deleted_at is null
        )
        select count(*) into v_count from gone;
    when 'customers' then
        update sales.customers set deleted_at = now(), synced_at = now()
        where shop_id = p_shop_id and guid = any (v_guids) and deleted_at is null;
        get diagnostics v_count = row_count;
    when 'products' then
        update catalog.products set deleted_at = now(), synced_at = now()
        where shop_id = p_shop_id and guid = any (v_guids) and deleted_at is null;
        get diagnostics v_count = row_count;
        update catalog.variants set deleted_at = now(), synced_at = now()
        where shop_id = p_shop_id and product_guid = any (v_guids) and deleted_at is null;
    when 'variants' then
        update catalog.variants set deleted_at = now(), synced_at = now()
        where shop_id = p_shop_id and code = any (p_keys) and deleted_at is null;
        get diagnostics v_count = row_count;
    else
        raise exception 'ingest.mark_deleted: unknown entity %, expected orders, customers, products or variants', p_entity
            using errcode = '22023';
    end case;
    return v_count;
end
$$;

comment on function ingest.mark_deleted(bigint, text, text[]) is
    'Soft-delete orders (with lines), customers, products (with variants) or variants of a shop by key; returns rows marked';
