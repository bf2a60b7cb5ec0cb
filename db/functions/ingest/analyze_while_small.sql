/*
 * ingest.analyze_while_small(p_tables): refresh the size statistics (pg_class.reltuples and
 * relpages) of each of p_tables that the planner believes far smaller than it is: its file is 1 MB
 * or more and 10 times or more the pages the statistics last counted (pg_class.relpages: 0 when
 * never analyzed), or its live rows are 5,000 or more and at least twice the rows the statistics
 * counted (pg_class.reltuples). Called by the apply functions after a batch is written, in the
 * batch's transaction (ANALYZE counts the transaction's own new rows), so the next batch is planned
 * for the table's real size.
 *
 * Why: on a fresh database the statistics know nothing, every index on a table looks alike, and a
 * cached plan keeps the first choice for the whole import. ingest.apply_customers' lookup of the
 * customer holding an e-mail then took an index on shop_id (filtering every customer of the shop)
 * instead of the unique customers_shop_email: O(n^2), 66,100 customers in 120 s instead of ~10 s
 * (the demo's customers step). Autovacuum analyzes only after a minute.
 * The size rule reads the file, which includes the batch's own rows (the pending statistics of
 * committed writes are flushed too late for a first import's second batch). The rows rule
 * (ingest.live_rows: pg_stat_get_live_tuples plus this transaction's own inserts) covers a
 * table emptied and vacuumed: it keeps its file (a shop purged and imported again, as
 * `hub bench import` does before every run), its new rows fill the free pages and the file does not
 * grow; the e-mail lookup was planned for the few rows left: 66,100 customers took 76-82 s instead
 * of ~5 s (2026-12-01, bench/RESULTS.md).
 *
 * Cheap by design: what the import's plans need is the table's size, so this ANALYZEs one column
 * (ingest.analyze_size: the primary key's first, shop_id, at a statistics target of 10): ~0.05 s
 * where a full ANALYZE of 66,100 customers took 0.7-2 s (every column, the jsonb addresses, every
 * expression index's key), and it fired 7 times in one import. A column-limited ANALYZE does not
 * reset the table's count of changes since its last full ANALYZE, so autovacuum still analyzes
 * the whole table, at the configured target, soon after the import.
 * Runs as hub_owner (security definer): ANALYZE needs the table's owner; the importer is hub_app.
 * Returns how many tables it analyzed.
 */
create or replace function ingest.analyze_while_small(p_tables regclass[])
returns integer
language plpgsql
security definer
set search_path = pg_catalog
as $$
declare
    v_table regclass;
    v_done integer := 0;
begin
    for v_table in
        select c.oid::regclass
        from pg_class c
        cross join lateral (select pg_relation_size(c.oid) as bytes) f
        where c.oid = any (p_tables)
          and f.bytes >= 1048576
          and (f.bytes >= 10 * c.relpages::bigint * current_setting('block_size')::bigint
               or ingest.live_rows(c.oid) >= greatest(5000, 2 * c.reltuples::bigint))
    loop
        perform ingest.analyze_size(v_table);
        v_done := v_done + 1;
    end loop;
    return v_done;
end
$$;

comment on function ingest.analyze_while_small(regclass[]) is
    'Refresh the size statistics (reltuples, relpages) of the given tables whose file is >= 1 MB and >= 10 x the pages their statistics counted, or whose live rows are >= max(5000, 2 x reltuples), so an import is not planned blind (an O(n^2) e-mail lookup on a fresh or purged-and-vacuumed table): ANALYZE of the primary key''s first column at statistics target 10, which leaves the full ANALYZE to autovacuum; security definer; returns tables analyzed';
