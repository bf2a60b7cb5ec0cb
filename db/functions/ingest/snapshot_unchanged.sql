/*
 * ingest.snapshot_unchanged(p_shop_id, p_entity, p_keys, p_change_times): the lines of a snapshot
 * chunk whose version the hub already holds, so the import skips them before staging (a re-import
 * of an unchanged file then costs little more than reading it; issue 11, item 7).
 *
 * p_keys / p_change_times: per line, in line order, the key (order code; customer GUID as text)
 * and the changeTime text exactly as in the file (null when absent). Returns one row per such
 * line: its 1-based position in the arrays and the key as stored (sales.orders.code,
 * sales.customers.guid::text), which the import records as seen for the deletion check.
 *
 * A line is unchanged when its row exists, is not soft-deleted, and its stored changed_at is at
 * least the line's changeTime: ingest.apply_orders / apply_customers would not write it (an older
 * version never replaces a newer one; the same changeTime is the same version at Shoptet).
 * Customer keys go through core.normalize_guid (the one GUID normalisation).
 * Never skipped: lines without a key or changeTime, keys that are not GUIDs (customers),
 * customers stored without an e-mail (apply_customers decides again who holds an e-mail),
 * other entities (products: stock changes need not move a product's changeTime). When anything
 * cannot be read (a changeTime PostgreSQL refuses), nothing is skipped: staging and comparing
 * every line is always right, only slower.
 */
create or replace function ingest.snapshot_unchanged(p_shop_id bigint, p_entity text, p_keys text[],
                                                     p_change_times text[])
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
            from unnest(p_keys, p_change_times) with ordinality l(key, change_time, n)
            join sales.orders o on o.shop_id = p_shop_id and o.code = l.key
            where l.change_time is not null and o.deleted_at is null and o.changed_at is not null
              and l.change_time::timestamptz <= o.changed_at;
        elsif p_entity = 'customers' then
            with lines as (
                select l.n, l.change_time, core.normalize_guid(l.key) as guid
                from unnest(p_keys, p_change_times) with ordinality l(key, change_time, n)
                where l.change_time is not null
            )
            select coalesce(array_agg(l.n::integer order by l.n), '{}'), coalesce(array_agg(c.guid::text order by l.n), '{}')
            into v_index, v_keys
            from lines l
            join sales.customers c on c.shop_id = p_shop_id and c.guid = l.guid
            where c.deleted_at is null and c.email is not null and c.changed_at is not null
              and l.change_time::timestamptz <= c.changed_at;
        end if;
    exception when others then
        v_index := '{}';
        v_keys := '{}';
    end;
    return query select u.i, u.k from unnest(v_index, v_keys) u(i, k);
end
$$;

comment on function ingest.snapshot_unchanged(bigint, text, text[], text[]) is
    'Positions (and stored keys) of the snapshot lines whose version the hub already holds (orders, customers): '
    'the import skips them before staging; nothing when in doubt';
