/*
 * ingest.snapshot_unchanged(p_shop_id, p_entity, p_hashes): the lines of a snapshot chunk the hub
 * holds already, byte for byte, so the import skips them before parsing (a re-import of an
 * unchanged file then costs little more than reading it; issue 11, item 7).
 *
 * p_hashes: per line, in line order, BLAKE2b-128 of the line's bytes (runner/shoptet/ingest.py
 * line_hash). Returns one row per line whose hash equals the source_hash of a live row of the
 * shop: its 1-based position and the row's key as stored (sales.orders.code,
 * sales.customers.guid::text), which the import records as seen for the deletion check.
 *
 * Exact: a row's source_hash is the hash of the snapshot line it was last written from (null
 * once a webhook or sync wrote it: such rows are compared again), so the same bytes mean the
 * same version. A version is never recognised by its changeTime: Shoptet's change times have
 * whole seconds, and two versions of one second share one. Never skipped: soft-deleted rows
 * (the line revives them), customers stored without an e-mail (apply_customers decides again
 * who holds an e-mail), other entities (products: stock changes need not change the line's
 * key fields, and products are few). Index: orders_source_hash / customers_source_hash.
 */
create or replace function ingest.snapshot_unchanged(p_shop_id bigint, p_entity text, p_hashes bytea[])
returns table (line_index integer, stored_key text)
language sql
stable
set search_path = pg_catalog
as $$
    select l.n::integer, o.code
    from unnest(p_hashes) with ordinality l(hash, n)
    join sales.orders o on o.shop_id = p_shop_id and o.source_hash = l.hash
    where p_entity = 'orders' and o.deleted_at is null
    union all
    select l.n::integer, c.guid::text
    from unnest(p_hashes) with ordinality l(hash, n)
    join sales.customers c on c.shop_id = p_shop_id and c.source_hash = l.hash
    where p_entity = 'customers' and c.deleted_at is null and c.email is not null
    order by 1
$$;

comment on function ingest.snapshot_unchanged(bigint, text, bytea[]) is
    'Positions (and stored keys) of the snapshot lines whose bytes a live row of the shop was written from '
    '(source_hash): the import skips them before parsing; exact, never by changeTime';
