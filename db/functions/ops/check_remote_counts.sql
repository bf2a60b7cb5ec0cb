/*
 * ops.check_remote_counts(p_remote): the hub's counts of a shop's orders, customers and products
 * (rows not deleted) against what Shoptet's list endpoints say it holds (paginator.totalCount of
 * GET /api/orders, /api/customers, /api/products), as `hub db check --remote` fetched them.
 * p_remote: a jsonb array of {"shop_id": int, "entity": "orders"|"customers"|"products",
 * "total_count": int} -- or {"shop_id", "entity", "error": text} when Shoptet could not be asked.
 * One row per shop and entity that differs (check_name 'remote_counts', severity warning), with
 * both counts, the difference and how long ago the entity's sync cursor was; and per error.
 * A shop that syncs normally differs only by what changed at Shoptet since its last sync (orders:
 * minutes; customers, products: up to 2 hours): sync, then check again.
 * Raises 22023 for an element without shop_id and entity.
 */
create or replace function ops.check_remote_counts(p_remote jsonb)
returns table (check_name text, severity text, object text, detail text, remedy text)
language plpgsql
stable
set search_path = pg_catalog
as $$
begin
    if exists (select from jsonb_array_elements(coalesce(p_remote, '[]')) e
               where e ->> 'shop_id' is null
                  or coalesce(e ->> 'entity', '') not in ('orders', 'customers', 'products')) then
        raise exception 'ops.check_remote_counts: every element needs shop_id and entity orders|customers|products, got %',
            p_remote using errcode = '22023';
    end if;
    return query
    with remote as (
        select (e ->> 'shop_id')::bigint as shop_id, e ->> 'entity' as entity,
               (e ->> 'total_count')::bigint as total_count, e ->> 'error' as error
        from jsonb_array_elements(coalesce(p_remote, '[]')) e
    ),
    local as (
        select r.shop_id, r.entity, r.total_count, r.error,
               case r.entity
                   when 'orders' then (select count(*) from sales.orders o where o.shop_id = r.shop_id and o.deleted_at is null)
                   when 'customers' then (select count(*) from sales.customers c where c.shop_id = r.shop_id and c.deleted_at is null)
                   when 'products' then (select count(*) from catalog.products p where p.shop_id = r.shop_id and p.deleted_at is null)
               end as local_count,
               (select s.cursor_at from ingest.sync_cursors s where s.shop_id = r.shop_id and s.entity = r.entity) as cursor_at
        from remote r
    )
    select 'remote_counts', 'warning', format('shop %s %s', l.shop_id, l.entity),
           case when l.error is not null
                then format('could not ask Shoptet: %s', l.error)
                else format('the hub holds %s, Shoptet %s (%s%s); sync cursor %s', l.local_count, l.total_count,
                            case when l.local_count > l.total_count then '+' else '' end, l.local_count - l.total_count,
                            coalesce(date_trunc('second', now() - l.cursor_at)::text || ' ago', 'never synced'))
           end,
           case when l.error is not null
                then format('hub shop list; check the shop''s token (hub shop add again) and Shoptet''s status, then hub db check --remote')
                else format('hub sync --shop %s --entity %s, then hub db check --remote --only remote_counts; a difference that stays: '
                            'hub snapshot import --shop %s --entity %s (docs/operations.md#integrity-checks)',
                            l.shop_id, l.entity, l.shop_id, l.entity)
           end
    from local l
    where l.error is not null or l.local_count <> l.total_count
    order by l.shop_id, l.entity;
end
$$;

revoke execute on function ops.check_remote_counts(jsonb) from public;
grant execute on function ops.check_remote_counts(jsonb) to hub_app, hub_readonly;

comment on function ops.check_remote_counts(jsonb) is
    'Compares the hub''s live counts of orders, customers and products per shop with Shoptet''s paginator.totalCount '
    '(p_remote: [{shop_id, entity, total_count | error}]): one row per difference or error (warning); raises 22023 on a bad element';
