/*
 * ingest.sync_versions_held(p_shop_id, p_entity, p_keys, p_times): the keys (order codes,
 * customer / product GUIDs as listed) of p_keys whose live stored row (not soft-deleted) has
 * exactly the matching p_times (parallel array) as its changed_at: the hub holds that version.
 * GUIDs are compared after core.normalize_guid (a key that is not a GUID matches nothing).
 *
 * Why: Shoptet's change list returns every change with a changeTime at or after `from`; an entry
 * dated in the future (an order typed in the year 2206, kept as Shoptet has it) is therefore in
 * every run's window. The incremental sync (runner/shoptet/sync.py) asks this for such entries and
 * skips the ones it holds already: no fetch, no write, no warning on every 5-minute run. A changed
 * version (another changeTime) is not held: it is fetched, applied and warned about once.
 * p_entity: orders | customers | products (anything else raises 22023). Returns text[] ('{}' when none).
 */
create or replace function ingest.sync_versions_held(p_shop_id bigint, p_entity text, p_keys text[],
                                                     p_times timestamptz[])
returns text[]
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_held text[];
begin
    case p_entity
    when 'orders' then
        select coalesce(array_agg(k.key), '{}') into v_held
        from unnest(p_keys, p_times) k(key, at)
        where exists (select from sales.orders o
                      where o.shop_id = p_shop_id and o.code = k.key and o.changed_at = k.at and o.deleted_at is null);
    when 'customers' then
        select coalesce(array_agg(k.key), '{}') into v_held
        from unnest(p_keys, p_times) k(key, at)
        where exists (select from sales.customers c
                      where c.shop_id = p_shop_id and c.guid = core.normalize_guid(k.key) and c.changed_at = k.at
                        and c.deleted_at is null);
    when 'products' then
        select coalesce(array_agg(k.key), '{}') into v_held
        from unnest(p_keys, p_times) k(key, at)
        where exists (select from catalog.products p
                      where p.shop_id = p_shop_id and p.guid = core.normalize_guid(k.key) and p.changed_at = k.at
                        and p.deleted_at is null);
    else
        raise exception 'ingest.sync_versions_held: unknown entity %, expected orders, customers or products', p_entity
            using errcode = '22023';
    end case;
    return v_held;
end
$$;

comment on function ingest.sync_versions_held(bigint, text, text[], timestamptz[]) is
    'Keys of a change list whose live stored row has exactly that changed_at (the hub holds the version): the sync skips such future-dated entries instead of re-applying and re-warning them every run; text[]';
