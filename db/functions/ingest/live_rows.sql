/*
 * ingest.live_rows(p_table): the live rows of a table as this session sees them now (bigint):
 * pg_stat_get_live_tuples -- what committed writes have reported to the statistics, flushed at most
 * once a second -- plus this transaction's own inserts less its deletes, which are counted there only
 * at commit. What ingest.analyze_while_small and ingest.analyze_written compare to pg_class.reltuples
 * to tell statistics that have fallen behind. Not for a partitioned parent (0: count its leaves).
 */
create or replace function ingest.live_rows(p_table regclass)
returns bigint
language sql
stable
set search_path = pg_catalog
return pg_stat_get_live_tuples(p_table) + pg_stat_get_xact_tuples_inserted(p_table)
       - pg_stat_get_xact_tuples_deleted(p_table);

comment on function ingest.live_rows(regclass) is
    'Live rows of a table now: pg_stat_get_live_tuples plus this transaction''s inserts less its deletes (not yet counted there); for ingest.analyze_while_small and ingest.analyze_written';
