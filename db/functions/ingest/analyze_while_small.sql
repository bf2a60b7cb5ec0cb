/*
 * ingest.analyze_while_small(p_tables): ANALYZE each of p_tables whose planner statistics still
 * call it small (pg_class.reltuples < 1000: never analyzed, or analyzed while empty) although
 * 1000 or more rows were written since (pg_stat_get_mod_since_analyze: committed writes). Called by
 * the apply functions after a batch is written, in the batch's transaction (ANALYZE counts the
 * transaction's own new rows), so the next batch is planned with real statistics.
 *
 * Why: on a fresh database the statistics know nothing, every index on a table looks alike, and a
 * cached plan keeps the first choice for the whole import. ingest.apply_customers' lookup of the
 * customer holding an e-mail then took customers_search_email (shop_id only, filtering every
 * customer of the shop) instead of the unique customers_shop_email: O(n^2), 66,100 customers in
 * 120 s instead of ~10 s (the demo's customers step). Autovacuum analyzes only after a minute.
 * Once a table is analyzed with >= 1000 rows this costs one catalog read per batch; a table that
 * stays small is analyzed once per 1000 writes (as autovacuum would, only sooner).
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
        select c.oid::regclass from pg_class c where c.oid = any (p_tables) and c.reltuples < 1000
          and pg_stat_get_mod_since_analyze(c.oid) >= 1000
    loop
        execute format('analyze %s', v_table);
        v_done := v_done + 1;
    end loop;
    return v_done;
end
$$;

comment on function ingest.analyze_while_small(regclass[]) is
    'ANALYZE the given tables while their statistics call them small (reltuples < 1000) and 1000+ rows were written since, so a first import is not planned blind (an O(n^2) e-mail lookup on a fresh database); security definer; returns tables analyzed';
