/*
 * ingest.analyze_while_small(p_tables): ANALYZE each of p_tables whose planner statistics call it
 * far smaller than it is: its file is 1 MB or more and 10 times or more the pages the statistics
 * last counted (pg_class.relpages: 0 when never analyzed). Called by
 * the apply functions after a batch is written, in the batch's transaction (ANALYZE counts the
 * transaction's own new rows), so the next batch is planned with real statistics.
 *
 * Why: on a fresh database the statistics know nothing, every index on a table looks alike, and a
 * cached plan keeps the first choice for the whole import. ingest.apply_customers' lookup of the
 * customer holding an e-mail then took customers_search_email (shop_id only, filtering every
 * customer of the shop) instead of the unique customers_shop_email: O(n^2), 66,100 customers in
 * 120 s instead of ~10 s (the demo's customers step). Autovacuum analyzes only after a minute.
 * It costs a catalog read and a file size per batch; a table is analyzed again only when it grew
 * tenfold since (autovacuum analyzes much sooner), a small table (< 1 MB) never here. The size is
 * the file's, so it includes the batch's own rows (the pending statistics of committed writes are
 * flushed too late for a first import's second batch).
 * Also when the rows written since the last ANALYZE (pg_stat_get_mod_since_analyze, plus this
 * transaction's own inserts, not yet counted there) are 5,000 or more and at least the rows the
 * statistics counted (pg_class.reltuples): a table emptied and vacuumed keeps its file (a shop
 * purged and imported again, as `hub bench import` does before every run), its new rows fill the
 * free pages, the file does not grow, and the e-mail lookup was planned for the few rows left:
 * 66,100 customers took 76-82 s instead of ~5 s (2026-12-01, bench/RESULTS.md).
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
               or pg_stat_get_mod_since_analyze(c.oid) + pg_stat_get_xact_tuples_inserted(c.oid)
                  >= greatest(5000, c.reltuples::bigint))
    loop
        execute format('analyze %s', v_table);
        v_done := v_done + 1;
    end loop;
    return v_done;
end
$$;

comment on function ingest.analyze_while_small(regclass[]) is
    'ANALYZE the given tables whose file is >= 1 MB and >= 10 x the pages their statistics counted, or that had >= max(5000, reltuples) rows written since their last ANALYZE, so an import is not planned blind (an O(n^2) e-mail lookup on a fresh or purged-and-vacuumed table); security definer; returns tables analyzed';
