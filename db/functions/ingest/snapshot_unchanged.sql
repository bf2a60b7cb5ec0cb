/*
 * ingest.snapshot_unchanged(p_shop_id, p_entity, p_keys, p_change_times, p_hashes): the lines of a snapshot
 * chunk whose version the hub already holds, so the import skips them before staging (a re-import
 * of an unchanged file then costs little more than reading it; issue 11, item 7).
 *
 * p_keys / p_change_times / p_hashes: per line, in line order, the key (order code; customer GUID
 * as text), the changeTime text exactly as in the file (null when absent) and the BLAKE2b-128 of
 * the line's bytes (the importer's source_hash). Returns one row per such
 * line: its 1-based position in the arrays and the key as stored (sales.orders.code,
 * sales.customers.guid::text), which the import records as seen for the deletion check.
 *
 * A line is unchanged when its row exists, is not soft-deleted, and either its stored changed_at
 * is later than the line's changeTime (ingest.apply_orders / apply_customers never let an older
 * version replace a newer one) or it was written from the same bytes (source_hash): an equal
 * changeTime alone is not enough, since Shoptet's changeTime has whole seconds and two changes
 * within one second give two versions with the same time.
 * Customer keys go through core.normalize_guid (the one GUID normalisation).
 * Never skipped: lines without a key or changeTime, keys that are not GUIDs (customers),
 * customers stored without an e-mail (apply_customers decides again who holds an e-mail),
 * other entities (products: stock changes need not move a product's changeTime). When anything
 * cannot be read (a changeTime PostgreSQL refuses), nothing is skipped: staging and comparing
 * every line is always right, only slower.
 */
create or replace function ingest.snapshot_unchanged(p_shop_id bigint, p_entity text, p_keys text[],
                                                     p_change_times text[], p_hashes bytea[])
returns table (line_index integer, stored_key text)
language plpgsql
stable
set search_path = pg_catalog
as $$
declare
    v_index integer[] := '{}';
    v_keys text[] := '{}';
begin
    begin
        if p_entity = 'orders' then
            select coalesce(array_agg(l.n::integer order by l.n), '{}'), coalesce(array_agg(o.code order by l.n), '{}')
            into v_index, v_keys
            from unnest(p_keys, p_change_times, p_hashes) with ordinality l(key, change_time, hash, n)
            join sales.orders o on o.shop_id = p_shop_id and o.code = l.key
            where l.change_time is not null and o.deleted_at is null and o.changed_at is not null
              and (o.source_hash = l.hash or l.change_time::timestamptz < o.changed_at);
        elsif p_entity = 'customers' then
            with lines as (
                select l.n, l.change_time, l.hash, core.normalize_guid(l.key) as guid
                from unnest(p_keys, p_change_times, p_hashes) with ordinality l(key, change_time, hash, n)
                where l.change_time is not null
            )
            select coalesce(array_agg(l.n::integer order by l.n), '{}'), coalesce(array_agg(c.guid::text order by l.n), '{}')
            into v_index, v_keys
            from lines l
            join sales.customers c on c.shop_id = p_shop_id and c.guid = l.guid
            where c.deleted_at is null and c.email is not null and c.changed_at is not null
              and (c.source_hash = l.hash or l.change_time::timestamptz < c.changed_at);
        end if;
    exception when others then
        v_index := '{}';
        v_keys := '{}';
    end;
    return query select u.i, u.k from unnest(v_index, v_keys) u(i, k);
end
$$;

comment on function ingest.snapshot_unchanged(bigint, text, text[], text[], bytea[]) is
    'Positions (and stored keys) of the snapshot lines whose version the hub already holds (orders, customers): '
    'strictly newer stored rows, or rows written from the same line bytes (source_hash); the import skips them '
    'before staging; nothing when in doubt';
